/* core/id.h — random identifiers (UUIDv4, request ids).
 *
 * Randomness comes from the kernel (getrandom); ids name objects in the
 * bucket, so they must not collide across processes or restarts.
 */
#ifndef LH_CORE_ID_H
#define LH_CORE_ID_H

#include <stddef.h>

#define LH_UUID_STRLEN 37  /* 36 chars + NUL */

void lh_uuid4(char out[LH_UUID_STRLEN]);

/* Fill buf with n random bytes. */
void lh_random_bytes(void *buf, size_t n);

/* A short random hex id (2*nbytes chars) into out (size >= 2*nbytes+1). */
void lh_hex_id(char *out, size_t nbytes);

#endif

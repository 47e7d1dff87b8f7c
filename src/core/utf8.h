/* core/utf8.h — UTF-8 well-formedness, the one definition used everywhere.
 *
 * Keys, TOML files and error messages all must be valid UTF-8 (RFC 3629:
 * no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF). One
 * validator keeps those three in agreement about what "valid" means.
 */
#ifndef LH_CORE_UTF8_H
#define LH_CORE_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed sequence starting at p, reading at most
 * `avail` bytes; 0 if the bytes there are not one. avail must be >= 1. */
size_t lh_utf8_seq_len(const unsigned char *p, size_t avail);

/* Copy `s` into a new string with every byte that does not start a
 * well-formed sequence replaced by '?'. Caller frees. */
char *lh_utf8_sanitize(const char *s);

#endif

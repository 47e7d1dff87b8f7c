/* storage/secrets.h — the secrets provider (ADR-017).
 *
 * Credentials never live in lakehouse.toml: a bucket names a secret_ref,
 * and the ref resolves here, from a TOML file of sections
 *
 *     [client_eu]
 *     access_key_id = "..."
 *     secret_access_key = "..."
 *     session_token = "..."      # optional
 *
 * The file is refused unless only its owner can read it (mode 0600 or
 * stricter): a world-readable credentials file is a leak waiting to be
 * found, and failing loudly at start is the only moment we can say so.
 * Values are never logged; lh_secrets_redact gives the "***" spelling used
 * wherever a secret would otherwise be shown.
 *
 * Ownership: the provider owns its strings; lh_secrets_get returns
 * pointers valid until lh_secrets_free.
 */
#ifndef LH_STORAGE_SECRETS_H
#define LH_STORAGE_SECRETS_H

#include "core/err.h"

#include <stddef.h>

typedef struct lh_secrets lh_secrets;

/* Load `path`. A missing file is LH_ENOTFOUND (code "secrets_file_missing");
 * a group/other-readable one LH_EPERM ("secrets_file_mode"); bad TOML or a
 * non-string value LH_EINVAL ("secrets_invalid"). */
int  lh_secrets_open(const char *path, lh_secrets **out, lh_err *err);
/* An empty provider (no file needed because nothing references one). */
lh_secrets *lh_secrets_empty(void);
void lh_secrets_free(lh_secrets *s);

int         lh_secrets_has(const lh_secrets *s, const char *ref);
/* The value of `field` in section `ref`, or NULL. */
const char *lh_secrets_get(const lh_secrets *s, const char *ref, const char *field);
/* Field names of a ref, for `config check` (values are never printed). */
size_t      lh_secrets_fields(const lh_secrets *s, const char *ref, const char **names, size_t max);

#define LH_SECRET_REDACTED "***"

#endif

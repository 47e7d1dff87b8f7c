/* core/err.h — the error value every fallible function fills.
 *
 * A function that can fail returns int: 0 on success or a negative LH_E*
 * status, and fills an lh_err with a stable machine code (a snake_case
 * string that HTTP clients and tests match on, e.g. "bucket_not_found") and
 * a message a person can act on without the source at hand. The status
 * picks the HTTP class (lh_err_http_status); the code says exactly what
 * went wrong. lh_err is a plain value: no allocation, safe to copy, and
 * passing NULL where an lh_err* is expected is allowed (the detail is
 * dropped, the status still returned).
 */
#ifndef LH_CORE_ERR_H
#define LH_CORE_ERR_H

#include <stdarg.h>

enum {
    LH_OK        = 0,
    LH_EINVAL    = -1,  /* bad input from the caller: 400 */
    LH_ENOTFOUND = -2,  /* named thing does not exist: 404 */
    LH_EEXIST    = -3,  /* create-only target already exists: 409/412 */
    LH_ECONFLICT = -4,  /* concurrent writer won: 409 */
    LH_ETOOBIG   = -5,  /* over a configured size limit: 413 */
    LH_EPERM     = -6,  /* refused by policy or permissions: 403 */
    LH_EUNAVAIL  = -7,  /* a dependency (bucket, server) is unreachable: 503 */
    LH_ETIMEOUT  = -8,  /* deadline passed: 504 */
    LH_EIO       = -9,  /* I/O failed on a reachable dependency: 500 */
    LH_ENOMEM    = -10, /* allocation failed: 500 */
    LH_EINTERNAL = -11, /* a bug or an impossible state: 500 */
    LH_EMETHOD   = -12, /* method not allowed on this route: 405 */
};

#define LH_ERR_CODE_MAX 64
#define LH_ERR_MSG_MAX  1024

typedef struct lh_err {
    int  status;                 /* LH_E*, 0 when clear */
    char code[LH_ERR_CODE_MAX];  /* stable snake_case code */
    char msg[LH_ERR_MSG_MAX];    /* human message */
} lh_err;

/* Fill err (if non-NULL) and return status, so callers can write
 * `return lh_err_set(err, LH_EINVAL, "bad_key", "key %s ...", k);`. */
int lh_err_set(lh_err *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int lh_err_setv(lh_err *err, int status, const char *code, const char *fmt, va_list ap);

/* Prefix the existing message with context ("loading x: <old message>"). */
void lh_err_prefix(lh_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void lh_err_clear(lh_err *err);

/* Name of a status ("invalid", "not_found", ...) used when no code is set. */
const char *lh_status_name(int status);

/* The HTTP status a given LH_E* status maps to. */
int lh_err_http_status(int status);

#endif

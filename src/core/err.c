/* core/err.c — filling and mapping lh_err values (see err.h). */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

int lh_err_setv(lh_err *err, int status, const char *code, const char *fmt, va_list ap)
{
    if (!err) return status;
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code ? code : lh_status_name(status));
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return status;
}

int lh_err_set(lh_err *err, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lh_err_setv(err, status, code, fmt, ap);
    va_end(ap);
    return status;
}

void lh_err_prefix(lh_err *err, const char *fmt, ...)
{
    if (!err) return;
    char pre[LH_ERR_MSG_MAX], old[LH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable here: the prefix and the start of the old
     * message are the informative parts. */
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
}

void lh_err_clear(lh_err *err)
{
    if (!err) return;
    err->status = 0;
    err->code[0] = '\0';
    err->msg[0] = '\0';
}

const char *lh_status_name(int status)
{
    switch (status) {
    case LH_OK:        return "ok";
    case LH_EINVAL:    return "invalid_request";
    case LH_ENOTFOUND: return "not_found";
    case LH_EEXIST:    return "already_exists";
    case LH_ECONFLICT: return "conflict";
    case LH_ETOOBIG:   return "too_large";
    case LH_EPERM:     return "forbidden";
    case LH_EUNAVAIL:  return "unavailable";
    case LH_ETIMEOUT:  return "timeout";
    case LH_EIO:       return "io_error";
    case LH_ENOMEM:    return "out_of_memory";
    case LH_EMETHOD:   return "method_not_allowed";
    default:           return "internal_error";
    }
}

int lh_err_http_status(int status)
{
    switch (status) {
    case LH_OK:        return 200;
    case LH_EINVAL:    return 400;
    case LH_ENOTFOUND: return 404;
    case LH_EEXIST:    return 409;
    case LH_ECONFLICT: return 409;
    case LH_ETOOBIG:   return 413;
    case LH_EPERM:     return 403;
    case LH_EUNAVAIL:  return 503;
    case LH_ETIMEOUT:  return 504;
    case LH_EMETHOD:   return 405;
    default:           return 500;
    }
}

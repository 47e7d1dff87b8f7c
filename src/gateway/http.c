/* gateway/http.c — request accessors and response builders (see http.h). */
#include "gateway/http.h"
#include "core/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lh_req_param(const lh_req *req, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < req->n_params; i++) {
        const char *pn = req->param_names[i];  /* "name}" or "name}/..." inside the pattern */
        if (!strncmp(pn, name, n) && pn[n] == '}') return req->param_values[i];
    }
    return NULL;
}

int lh_req_json(lh_req *req, lh_resp *resp, json_t **out)
{
    *out = NULL;
    if (req->body.len == 0) { *out = json_object(); return 0; }
    json_error_t je;
    json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        lh_resp_errorf(resp, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
                       je.text, je.line, je.column);
        return -1;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        lh_resp_errorf(resp, 400, "invalid_json", "request body must be a JSON object");
        return -1;
    }
    *out = v;
    return 0;
}

int lh_body_known(json_t *body, const char *const *known, lh_resp *resp)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        const char *const *a = known;
        while (*a && strcmp(k, *a)) a++;
        if (*a) continue;
        lh_buf allowed = LH_BUF_INIT;
        for (a = known; *a; a++) lh_buf_printf(&allowed, "%s%s", a == known ? "" : ", ", *a);
        lh_resp_errorf(resp, 400, "invalid_parameter", "unknown field \"%.100s\" (allowed: %s)", k,
                       allowed.data ? allowed.data : "none");
        lh_buf_free(&allowed);
        return -1;
    }
    return 0;
}

int lh_body_str(json_t *body, const char *name, const char **out, lh_resp *resp)
{
    json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || !json_string_length(v))
        return lh_resp_errorf(resp, 400, "invalid_parameter", "%s must be a non-empty string", name), -1;
    *out = json_string_value(v);
    return 0;
}

int lh_body_int(json_t *body, const char *name, int def, int min, int max, int *out, lh_resp *resp)
{
    json_t *v = json_object_get(body, name);
    *out = def;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return lh_resp_errorf(resp, 400, "invalid_parameter", "%s must be an integer in %d..%d", name, min, max), -1;
    *out = (int)json_integer_value(v);
    return 0;
}

int lh_req_query_int(lh_req *req, lh_resp *resp, const char *name, int64_t def,
                     int64_t min, int64_t max, int64_t *out)
{
    const char *s = lh_req_query(req, name);
    *out = def;
    if (!s) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "query parameter %s must be an integer between %" PRId64
                       " and %" PRId64 ", got \"%s\"", name, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

void lh_resp_header(lh_resp *resp, const char *name, const char *value)
{
    if (resp->n_headers == LH_RESP_MAX_HEADERS) return;
    resp->hdr_names[resp->n_headers] = lh_xstrdup(name);
    resp->hdr_values[resp->n_headers] = lh_xstrdup(value);
    resp->n_headers++;
}

int lh_resp_json(lh_resp *resp, int status, json_t *obj)
{
    lh_buf_reset(&resp->body);
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
    json_decref(obj);
    if (!s) s = lh_xstrdup("{}");
    lh_buf_puts(&resp->body, s);
    lh_buf_putc(&resp->body, '\n');
    free(s);
    resp->status = status;
    resp->content_type = "application/json";
    return 0;
}

void lh_resp_text(lh_resp *resp, int status, const char *content_type, const char *text, size_t n)
{
    lh_buf_reset(&resp->body);
    lh_buf_append(&resp->body, text, n);
    resp->status = status;
    resp->content_type = content_type;
}

static int error_body(lh_resp *resp, int http_status, const char *code, const char *msg)
{
    /* A message may echo the caller's bytes; JSON needs valid UTF-8. */
    char *safe = lh_utf8_sanitize(msg);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", safe);
    free(safe);
    return lh_resp_json(resp, http_status, o);
}

int lh_resp_error(lh_resp *resp, const lh_err *err)
{
    return error_body(resp, lh_err_http_status(err->status), err->code[0] ? err->code : lh_status_name(err->status),
                      err->msg);
}

int lh_resp_errorf(lh_resp *resp, int http_status, const char *code, const char *fmt, ...)
{
    char msg[LH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_body(resp, http_status, code, msg);
}

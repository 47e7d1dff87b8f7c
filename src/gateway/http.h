/* gateway/http.h — requests, responses and routes, as handlers see them.
 *
 * Handlers never touch libmicrohttpd: they read an lh_req (method, path
 * parameters, query, headers, buffered body), fill an lh_resp (status,
 * headers, a JSON/text body or a stream), and return. server.c turns that
 * into the wire response, adds X-Request-Id, records metrics and logs.
 *
 * Bodies: by default a request body is buffered up to
 * server.max_body_bytes (413 past it). A route with body_chunk set streams
 * its body instead (up to server.max_upload_bytes): body_begin runs once
 * before any data, body_chunk for every piece, then the handler; cleanup
 * always runs last, so a half-written upload can be aborted. A body
 * callback that fails fills resp and returns non-zero; the rest of the body
 * is then discarded and that response is sent.
 */
#ifndef LH_GATEWAY_HTTP_H
#define LH_GATEWAY_HTTP_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

typedef struct lh_app lh_app;
typedef struct lh_req lh_req;
typedef struct lh_resp lh_resp;

typedef int (*lh_handler)(lh_req *req, lh_resp *resp);

typedef struct lh_route {
    const char *method;   /* "GET", "PUT", ... */
    const char *pattern;  /* "/storage/buckets/{bucket}/objects/{*key}" */
    lh_handler  handler;
    /* streaming body (optional) */
    int  (*body_begin)(lh_req *req, lh_resp *resp);
    int  (*body_chunk)(lh_req *req, const char *data, size_t n, lh_resp *resp);
    void (*cleanup)(lh_req *req);
} lh_route;

#define LH_MAX_PARAMS 8

struct lh_req {
    lh_app         *app;
    const char     *method;
    const char     *path;          /* percent-decoded */
    char            request_id[72];  /* up to 64 client-chosen characters */
    const lh_route *route;
    const char     *param_names[LH_MAX_PARAMS];
    char           *param_values[LH_MAX_PARAMS];
    int             n_params;
    lh_buf          body;          /* buffered body (non-streaming routes) */
    uint64_t        body_bytes;    /* bytes received, streaming or not */
    void           *user;          /* handler state across body callbacks */
    void           *conn;          /* server-private */
};

typedef int64_t (*lh_stream_read)(void *cls, uint64_t pos, char *buf, size_t max);

#define LH_RESP_MAX_HEADERS 16

struct lh_resp {
    int         status;
    const char *content_type;
    lh_buf      body;
    char       *hdr_names[LH_RESP_MAX_HEADERS];
    char       *hdr_values[LH_RESP_MAX_HEADERS];
    int         n_headers;
    /* streaming body (optional): read is called until it returns 0 (end)
     * or < 0 (error: the connection is closed); free releases cls. */
    lh_stream_read stream_read;
    void          (*stream_free)(void *cls);
    void          *stream_cls;
    uint64_t       stream_size;   /* UINT64_MAX when unknown */
};

/* ---- request accessors ---- */
const char *lh_req_param(const lh_req *req, const char *name);   /* path parameter */
const char *lh_req_query(const lh_req *req, const char *name);   /* query argument, NULL if absent */
const char *lh_req_header(const lh_req *req, const char *name);
/* Parse the buffered body as a JSON object; an empty body gives an empty object.
 * On failure fills resp with a 400 and returns non-zero. */
int lh_req_json(lh_req *req, lh_resp *resp, json_t **out);
/* Body fields: a 400 "invalid_parameter" for a member of body not among
 * the NULL-terminated `known`; for an optional string that is not a
 * non-empty string (*out NULL when absent); for an optional integer outside
 * [min, max] (*out = def when absent). Each returns non-zero after filling
 * resp. */
int lh_body_known(json_t *body, const char *const *known, lh_resp *resp);
int lh_body_str(json_t *body, const char *name, const char **out, lh_resp *resp);
int lh_body_int(json_t *body, const char *name, int def, int min, int max, int *out, lh_resp *resp);
/* Parse an optional non-negative integer query argument within [min, max]. */
int lh_req_query_int(lh_req *req, lh_resp *resp, const char *name, int64_t def,
                     int64_t min, int64_t max, int64_t *out);

/* ---- response builders ---- */
void lh_resp_header(lh_resp *resp, const char *name, const char *value);
/* Steals the reference to obj. */
int  lh_resp_json(lh_resp *resp, int status, json_t *obj);
void lh_resp_text(lh_resp *resp, int status, const char *content_type, const char *text, size_t n);
/* {"error":{"code":…,"message":…}} with the status mapped from err. Returns 0. */
int  lh_resp_error(lh_resp *resp, const lh_err *err);
/* Same with an explicit HTTP status and code. */
int  lh_resp_errorf(lh_resp *resp, int http_status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

/* gateway/server.c — libmicrohttpd glue: the request lifecycle.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with the headers, once per piece of body, and once more when the body is
 * complete. We route on the first call and refuse early (404, 405, 413 on a
 * declared Content-Length) so an oversize or misdirected body is never
 * read; we buffer or stream the body in the middle calls; we run the
 * handler on the last. The completion callback does the bookkeeping that
 * must happen exactly once per request whatever its fate: cleanup, metrics,
 * the access log line.
 *
 * Paths are percent-decoded by our own unescape callback so that an
 * encoded NUL ("%00"), which cannot live in a C string, becomes a DEL byte
 * that key validation then refuses, rather than silently truncating the
 * path the way in-place decoding would.
 */
#include "gateway/gateway.h"
#include "gateway/http.h"
#include "gateway/router.h"
#include "gateway/routes.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct lh_gateway {
    lh_app            *app;
    lh_router         *router;
    struct MHD_Daemon *mhd;
    uint16_t           port;
};

/* How much of a refused body we read and throw away so that the client,
 * which is still writing it, can read our answer (see access_cb): a
 * declared oversize body up to its declared length when that is at most
 * this far past the limit, otherwise this much past the point of failure;
 * then the connection is dropped. */
#define DRAIN_CAP ((uint64_t)64 << 20)

typedef struct reqstate {
    lh_req    req;
    lh_resp   resp;
    int64_t   t0;
    int       failed;     /* resp holds an error; discard the rest of the body */
    uint64_t  drain_until; /* ...up to this many body bytes, then drop the connection */
    int       queued;     /* a response was queued */
    int       streaming;
    uint64_t  limit;
    char     *path;
} reqstate;

/* ---- decoding ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls; (void)c;
    char *w = s;
    for (char *r = s; *r; r++) {
        int h, l;
        if (r[0] == '%' && (h = hexval((unsigned char)r[1])) >= 0 && (l = hexval((unsigned char)r[2])) >= 0) {
            int v = h * 16 + l;
            *w++ = (char)(v == 0 ? 0x7f : v);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---- responses ---- */

typedef struct stream_box {
    lh_stream_read read;
    void         (*free)(void *);
    void          *cls;
} stream_box;

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_box *b = cls;
    int64_t n = b->read(b->cls, pos, buf, max);
    if (n > 0) return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free_cb(void *cls)
{
    stream_box *b = cls;
    if (b->free) b->free(b->cls);
    free(b);
}

static void queue(reqstate *rs)
{
    struct MHD_Connection *conn = rs->req.conn;
    lh_resp *rp = &rs->resp;
    struct MHD_Response *r;
    if (rp->stream_read) {
        stream_box *b = lh_xmalloc(sizeof *b);
        b->read = rp->stream_read;
        b->free = rp->stream_free;
        b->cls = rp->stream_cls;
        rp->stream_read = NULL;  /* ownership moved to libmicrohttpd */
        rp->stream_free = NULL;
        uint64_t size = rp->stream_size == UINT64_MAX ? MHD_SIZE_UNKNOWN : rp->stream_size;
        r = MHD_create_response_from_callback(size, 256 * 1024, stream_cb, b, stream_free_cb);
    } else {
        r = MHD_create_response_from_buffer(rp->body.len, rp->body.data ? rp->body.data : (char *)"",
                                            MHD_RESPMEM_MUST_COPY);
    }
    if (!r) {
        lh_error("request %s: could not create a response", rs->req.request_id);
        return;
    }
    if (rp->content_type) MHD_add_response_header(r, "Content-Type", rp->content_type);
    MHD_add_response_header(r, "X-Request-Id", rs->req.request_id);
    for (int i = 0; i < rp->n_headers; i++) MHD_add_response_header(r, rp->hdr_names[i], rp->hdr_values[i]);
    if (rp->status == 0) rp->status = 500;
    MHD_queue_response(conn, (unsigned)rp->status, r);
    MHD_destroy_response(r);
    rs->queued = 1;
}

static void resp_reset(lh_resp *rp)
{
    lh_buf_free(&rp->body);
    for (int i = 0; i < rp->n_headers; i++) { free(rp->hdr_names[i]); free(rp->hdr_values[i]); }
    if (rp->stream_free) rp->stream_free(rp->stream_cls);
    memset(rp, 0, sizeof *rp);
}

/* ---- the access handler ---- */

static int request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.')) return 0;
    return 1;
}

static reqstate *begin(lh_gateway *gw, struct MHD_Connection *conn, const char *url, const char *method)
{
    reqstate *rs = lh_xcalloc(1, sizeof *rs);
    rs->t0 = lh_mono_us();
    rs->path = lh_xstrdup(url);
    rs->req.app = gw->app;
    rs->req.method = method;
    rs->req.path = rs->path;
    rs->req.conn = conn;
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (rid && request_id_ok(rid)) snprintf(rs->req.request_id, sizeof rs->req.request_id, "%s", rid);
    else lh_hex_id(rs->req.request_id, 8);
    lh_metrics_inflight(gw->app->metrics, 1);
    return rs;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_size,
                                 void **con_cls)
{
    (void)version;
    lh_gateway *gw = cls;
    reqstate *rs = *con_cls;

    if (!rs) {
        rs = begin(gw, conn, url, method);
        *con_cls = rs;
        char allow[128];
        int m = lh_router_match(gw->router, &rs->req, allow, sizeof allow);
        if (m == LH_EMETHOD) {
            lh_resp_header(&rs->resp, "Allow", allow);
            lh_resp_errorf(&rs->resp, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                           method, rs->req.path, allow);
        } else if (m != 0) {
            lh_resp_errorf(&rs->resp, 404, "route_not_found", "no route for %s %s", method, rs->req.path);
        }
        if (m != 0) { queue(rs); return MHD_YES; }
        rs->streaming = rs->req.route->body_chunk != NULL;
        rs->limit = (uint64_t)(rs->streaming ? gw->app->cfg->server_max_upload_bytes
                                             : gw->app->cfg->server_max_body_bytes);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > rs->limit) {
            lh_resp_errorf(&rs->resp, 413, "body_too_large",
                           "request body of %s bytes exceeds the limit of %llu bytes (server.%s)", cl,
                           (unsigned long long)rs->limit, rs->streaming ? "max_upload_bytes" : "max_body_bytes");
            /* A client that asked "Expect: 100-continue" has not sent the
             * body and reads the answer now. Most others write the whole
             * body before reading, and an early answer followed by a close
             * reaches them as a broken pipe; for them we discard up to
             * DRAIN_CAP bytes and answer at the end. */
            const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
            if ((expect && !strcasecmp(expect, "100-continue")) ||
                strtoull(cl, NULL, 10) - rs->limit > DRAIN_CAP) {
                queue(rs);
                return MHD_YES;
            }
            rs->failed = 1;
            rs->drain_until = strtoull(cl, NULL, 10);
            return MHD_YES;
        }
        if (rs->streaming) {
            if (rs->req.route->body_begin && rs->req.route->body_begin(&rs->req, &rs->resp)) {
                rs->failed = 1;
                rs->drain_until = DRAIN_CAP;
            }
        }
        return MHD_YES;
    }

    if (rs->queued) { *upload_size = 0; return MHD_YES; }

    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        rs->req.body_bytes += n;
        if (rs->failed) {
            /* discarding; past the cap stop reading and drop the connection */
            return rs->req.body_bytes > rs->drain_until ? MHD_NO : MHD_YES;
        }
        if (rs->req.body_bytes > rs->limit) {
            resp_reset(&rs->resp);
            lh_resp_errorf(&rs->resp, 413, "body_too_large", "request body exceeds the limit of %llu bytes (server.%s)",
                           (unsigned long long)rs->limit, rs->streaming ? "max_upload_bytes" : "max_body_bytes");
            rs->failed = 1;
            rs->drain_until = rs->req.body_bytes + DRAIN_CAP;
            return MHD_YES;
        }
        if (rs->streaming) {
            if (rs->req.route->body_chunk(&rs->req, upload_data, n, &rs->resp)) {
                rs->failed = 1;
                rs->drain_until = rs->req.body_bytes + DRAIN_CAP;
            }
        } else {
            lh_buf_append(&rs->req.body, upload_data, n);
        }
        return MHD_YES;
    }

    if (!rs->failed) rs->req.route->handler(&rs->req, &rs->resp);
    queue(rs);
    return MHD_YES;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    lh_gateway *gw = cls;
    reqstate *rs = *con_cls;
    if (!rs) return;
    *con_cls = NULL;
    if (rs->req.route && rs->req.route->cleanup) rs->req.route->cleanup(&rs->req);
    double secs = (double)(lh_mono_us() - rs->t0) / 1e6;
    int status = rs->queued ? rs->resp.status : 499;  /* client went away before a response */
    const char *route = rs->req.route ? rs->req.route->pattern : "unmatched";
    lh_metrics_observe(gw->app->metrics, route, rs->req.method, status, secs);
    lh_metrics_inflight(gw->app->metrics, -1);
    lh_info("req=%s %s %s -> %d %.1fms in=%llu%s", rs->req.request_id, rs->req.method, rs->req.path, status,
            secs * 1000, (unsigned long long)rs->req.body_bytes,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
    lh_req_params_free(&rs->req);
    lh_buf_free(&rs->req.body);
    resp_reset(&rs->resp);
    free(rs->path);
    free(rs);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    lh_debug("http: %s", msg);
}

/* ---- lifecycle ---- */

int lh_gateway_start(lh_app *app, lh_gateway **out, lh_err *err)
{
    *out = NULL;
    const lh_config *cfg = app->cfg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%lld", (long long)cfg->server_port);
    int g = getaddrinfo(cfg->server_host, port, &hints, &ai);
    if (g != 0 || !ai)
        return lh_err_set(err, LH_EINVAL, "bad_listen_address", "cannot listen on %s: %s",
                          cfg->server_host, gai_strerror(g));

    lh_gateway *gw = lh_xcalloc(1, sizeof *gw);
    gw->app = app;
    gw->router = lh_router_new();
    lh_router_add(gw->router, lh_routes_system, lh_routes_system_n);
    lh_router_add(gw->router, lh_routes_storage, lh_routes_storage_n);
    lh_router_add(gw->router, lh_routes_catalog, lh_routes_catalog_n);
    lh_router_add(gw->router, lh_routes_ingest, lh_routes_ingest_n);
    lh_router_add(gw->router, lh_routes_ingest_db, lh_routes_ingest_db_n);
    lh_router_add(gw->router, lh_routes_query, lh_routes_query_n);
    lh_router_add(gw->router, lh_routes_jobs, lh_routes_jobs_n);
    lh_router_add(gw->router, lh_routes_vectors, lh_routes_vectors_n);
    lh_router_add(gw->router, lh_routes_ai, lh_routes_ai_n);
    lh_router_add(gw->router, lh_routes_tables, lh_routes_tables_n);
    lh_router_add(gw->router, lh_routes_journal, lh_routes_journal_n);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    gw->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, gw,
                               MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->server_threads,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->server_connection_timeout_s,
                               MHD_OPTION_NOTIFY_COMPLETED, completed_cb, gw,
                               MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
                               MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
                               MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!gw->mhd) {
        lh_router_free(gw->router);
        free(gw);
        return lh_err_set(err, LH_EUNAVAIL, "listen_failed",
                          "cannot listen on %s:%lld (is the port in use? try --port)", cfg->server_host,
                          (long long)cfg->server_port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(gw->mhd, MHD_DAEMON_INFO_BIND_PORT);
    gw->port = info ? info->port : (uint16_t)cfg->server_port;
    *out = gw;
    return 0;
}

uint16_t lh_gateway_port(const lh_gateway *gw) { return gw->port; }

void lh_gateway_stop(lh_gateway *gw, int64_t timeout_ms)
{
    if (!gw) return;
    MHD_socket s = MHD_quiesce_daemon(gw->mhd);
    if (s != MHD_INVALID_SOCKET) close(s);
    int64_t deadline = lh_mono_us() + timeout_ms * 1000;
    long left;
    while ((left = lh_metrics_inflight_now(gw->app->metrics)) > 0 && lh_mono_us() < deadline)
        usleep(10000);
    if (left > 0) lh_warn("shutdown: %ld request(s) still running after %lld ms; closing them", left,
                          (long long)timeout_ms);
    MHD_stop_daemon(gw->mhd);
    lh_router_free(gw->router);
    free(gw);
}

/* ---- request accessors used by handlers (declared in http.h) ---- */

const char *lh_req_query(const lh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *lh_req_header(const lh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* gateway/routes_storage.c — the /storage routes: buckets, objects, the error journal.
 *
 * Object bodies stream in both directions: a PUT goes piece by piece into
 * an object writer (nothing visible until commit), a GET streams from an
 * object reader. Reads go through the registry so they fall back to the
 * rescue bucket, which the response then says with
 * X-Lakehouse-Rescue-Used: true; writes never fall back.
 */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static void http_date(int64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static json_t *info_json(const char *key, const lh_obj_info *info)
{
    char ts[40];
    lh_time_format_us(info->mtime_us, ts, sizeof ts);
    return json_pack("{s:s,s:I,s:s,s:s}", "key", key, "size", (json_int_t)info->size, "etag", info->etag,
                     "last_modified", ts);
}

static void rescue_header(lh_resp *resp, int used)
{
    if (used) lh_resp_header(resp, "X-Lakehouse-Rescue-Used", "true");
}

/* ---- buckets ---- */

static int get_buckets(lh_req *req, lh_resp *resp)
{
    lh_registry *reg = req->app->reg;
    json_t *arr = json_array();
    for (size_t i = 0; i < lh_registry_count(reg); i++) {
        const lh_bucket_desc *d = lh_registry_desc(reg, i);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:b}", "name", d->name, "backend", d->backend,
                                             "location", d->location, "primary", d->is_primary,
                                             "rescue", d->is_rescue));
    }
    return lh_resp_json(resp, 200, json_pack("{s:o}", "buckets", arr));
}

static int get_bucket_health(lh_req *req, lh_resp *resp)
{
    lh_registry *reg = req->app->reg;
    json_t *arr = json_array();
    int all_ok = 1;
    for (size_t i = 0; i < lh_registry_count(reg); i++) {
        const lh_bucket_desc *d = lh_registry_desc(reg, i);
        int64_t us;
        lh_err e;
        int rc = lh_registry_probe(reg, i, &us, &e);
        json_t *b = json_pack("{s:s,s:s,s:b,s:f}", "name", d->name, "backend", d->backend, "reachable", rc == 0,
                              "latency_ms", (double)us / 1000.0);
        if (rc) {
            all_ok = 0;
            json_object_set_new(b, "error", json_string(e.msg));
            json_object_set_new(b, "code", json_string(e.code));
        }
        char msg[LH_ERR_MSG_MAX];
        int64_t ts;
        if (lh_error_journal_last(lh_registry_errors(reg), d->name, msg, sizeof msg, &ts)) {
            char t[40];
            lh_time_format_us(ts, t, sizeof t);
            json_object_set_new(b, "last_error", json_pack("{s:s,s:s}", "at", t, "message", msg));
        }
        json_array_append_new(arr, b);
    }
    return lh_resp_json(resp, 200, json_pack("{s:s,s:o}", "status", all_ok ? "ok" : "degraded", "buckets", arr));
}

/* ---- listing ---- */

static int get_objects(lh_req *req, lh_resp *resp)
{
    const char *bucket = lh_req_param(req, "bucket");
    int64_t max_keys;
    if (lh_req_query_int(req, resp, "max_keys", 1000, 1, 1000, &max_keys)) return 0;
    lh_list_opts o = {
        .prefix = lh_req_query(req, "prefix"),
        .delimiter = lh_req_query(req, "delimiter"),
        .cursor = lh_req_query(req, "cursor"),
        .max_keys = (size_t)max_keys,
    };
    lh_list l;
    int used = 0;
    lh_err e;
    if (lh_registry_list(req->app->reg, bucket, &o, &l, &used, &e)) return lh_resp_error(resp, &e);
    json_t *objs = json_array(), *prefixes = json_array();
    for (size_t i = 0; i < l.n_objects; i++) json_array_append_new(objs, info_json(l.objects[i].key, &l.objects[i].info));
    for (size_t i = 0; i < l.n_prefixes; i++) json_array_append_new(prefixes, json_string(l.prefixes[i]));
    json_t *out = json_pack("{s:s,s:s,s:o,s:o,s:b}", "bucket", bucket, "prefix", o.prefix ? o.prefix : "",
                            "objects", objs, "common_prefixes", prefixes, "truncated", l.next_cursor != NULL);
    json_object_set_new(out, "next_cursor", l.next_cursor ? json_string(l.next_cursor) : json_null());
    lh_list_free(&l);
    rescue_header(resp, used);
    return lh_resp_json(resp, 200, out);
}

/* ---- GET / HEAD ---- */

static int64_t reader_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    return lh_obj_reader_read(cls, buf, max, NULL);
}

static void reader_free(void *cls) { lh_obj_reader_close(cls); }

/* Parse a single "bytes=" range against an object of `size` bytes.
 * Returns 1 with r filled, 0 when there is no Range header, -1 when it
 * cannot be satisfied, -2 when it is malformed or a multi-range. */
static int parse_range(const char *h, uint64_t size, lh_range *r)
{
    if (!h) return 0;
    if (strncmp(h, "bytes=", 6) || strchr(h, ',')) return -2;
    const char *s = h + 6;
    char *end;
    if (*s == '-') {
        unsigned long long n = strtoull(s + 1, &end, 10);
        if (end == s + 1 || *end) return -2;
        if (n == 0 || size == 0) return -1;
        if (n > size) n = size;
        r->offset = size - n;
        r->length = n;
        return 1;
    }
    unsigned long long a = strtoull(s, &end, 10);
    if (end == s || *end != '-') return -2;
    const char *b = end + 1;
    unsigned long long last = size ? size - 1 : 0;
    if (*b) {
        last = strtoull(b, &end, 10);
        if (*end) return -2;
        if (last < a) return -2;
        if (size && last > size - 1) last = size - 1;
    }
    if (a >= size) return -1;
    r->offset = a;
    r->length = last - a + 1;
    return 1;
}

/* GET and HEAD (the router sends HEAD here; libmicrohttpd then sends the
 * headers, with the real Content-Length, and no body). */
static int get_object(lh_req *req, lh_resp *resp)
{
    const char *bucket = lh_req_param(req, "bucket");
    const char *key = lh_req_param(req, "key");
    lh_registry *reg = req->app->reg;
    lh_obj_info info;
    int used = 0;
    lh_err e;
    if (lh_registry_head(reg, bucket, key, &info, &used, &e)) return lh_resp_error(resp, &e);
    lh_range range = LH_RANGE_ALL;
    int pr = parse_range(lh_req_header(req, "Range"), info.size, &range);
    char tmp[128];
    if (pr == -2)
        return lh_resp_errorf(resp, 400, "invalid_range", "Range header must be a single \"bytes=START-END\", "
                              "\"bytes=START-\" or \"bytes=-SUFFIX\" range");
    if (pr == -1) {
        snprintf(tmp, sizeof tmp, "bytes */%" PRIu64, info.size);
        lh_resp_header(resp, "Content-Range", tmp);
        return lh_resp_errorf(resp, 416, "range_not_satisfiable", "range %s is outside the object's %" PRIu64
                              " bytes", lh_req_header(req, "Range"), info.size);
    }
    lh_resp_header(resp, "ETag", info.etag);
    http_date(info.mtime_us, tmp, sizeof tmp);
    lh_resp_header(resp, "Last-Modified", tmp);
    lh_resp_header(resp, "Accept-Ranges", "bytes");
    rescue_header(resp, used);
    resp->content_type = "application/octet-stream";
    resp->status = pr == 1 ? 206 : 200;
    if (pr == 1) {
        snprintf(tmp, sizeof tmp, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, range.offset,
                 range.offset + range.length - 1, info.size);
        lh_resp_header(resp, "Content-Range", tmp);
    }
    lh_obj_reader *r;
    int used2 = 0;
    if (lh_registry_get(reg, bucket, key, range, &r, &info, &used2, &e)) {
        for (int i = 0; i < resp->n_headers; i++) { free(resp->hdr_names[i]); free(resp->hdr_values[i]); }
        resp->n_headers = 0;
        return lh_resp_error(resp, &e);
    }
    if (used2 && !used) rescue_header(resp, 1);
    resp->stream_read = reader_stream;
    resp->stream_free = reader_free;
    resp->stream_cls = r;
    resp->stream_size = lh_obj_reader_length(r);
    return 0;
}

/* ---- PUT (streamed) ---- */

typedef struct put_state {
    lh_obj_writer *w;
    int            create_only;
} put_state;

static int put_begin(lh_req *req, lh_resp *resp)
{
    lh_err e;
    lh_objstore *s = lh_registry_bucket(req->app->reg, lh_req_param(req, "bucket"), &e);
    if (!s) return lh_resp_error(resp, &e), -1;
    put_state *ps = lh_xcalloc(1, sizeof *ps);
    req->user = ps;
    const char *inm = lh_req_header(req, "If-None-Match");
    if (inm) {
        if (strcmp(inm, "*"))
            return lh_resp_errorf(resp, 400, "invalid_header", "only If-None-Match: * is supported on PUT"), -1;
        ps->create_only = 1;
    }
    if (lh_objstore_writer_open(s, lh_req_param(req, "key"), ps->create_only ? LH_PUT_CREATE_ONLY : 0, &ps->w, &e))
        return lh_resp_error(resp, &e), -1;
    return 0;
}

static int put_chunk(lh_req *req, const char *data, size_t n, lh_resp *resp)
{
    put_state *ps = req->user;
    lh_err e;
    if (lh_obj_writer_write(ps->w, data, n, &e)) return lh_resp_error(resp, &e), -1;
    return 0;
}

static int put_object(lh_req *req, lh_resp *resp)
{
    put_state *ps = req->user;
    lh_obj_info info;
    lh_err e;
    lh_obj_writer *w = ps->w;
    ps->w = NULL;  /* commit frees the writer, whatever its outcome */
    if (lh_obj_writer_commit(w, &info, &e)) {
        if (e.status == LH_EEXIST && ps->create_only)
            return lh_resp_errorf(resp, 412, e.code, "%s", e.msg);
        return lh_resp_error(resp, &e);
    }
    lh_resp_header(resp, "ETag", info.etag);
    json_t *o = info_json(lh_req_param(req, "key"), &info);
    json_object_set_new(o, "bucket", json_string(lh_req_param(req, "bucket")));
    return lh_resp_json(resp, 201, o);
}

static void put_cleanup(lh_req *req)
{
    put_state *ps = req->user;
    if (!ps) return;
    if (ps->w) lh_obj_writer_abort(ps->w);
    free(ps);
    req->user = NULL;
}

/* ---- DELETE ---- */

static int delete_object(lh_req *req, lh_resp *resp)
{
    lh_err e;
    lh_objstore *s = lh_registry_bucket(req->app->reg, lh_req_param(req, "bucket"), &e);
    if (!s || lh_objstore_delete(s, lh_req_param(req, "key"), &e)) return lh_resp_error(resp, &e);
    resp->status = 204;
    return 0;
}

/* ---- the error journal ---- */

typedef struct collect {
    json_t     *arr;
    const char *bucket;
} collect;

static void collect_line(collect *c, const char *line, size_t len)
{
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (!ev) return;
    const char *b = json_string_value(json_object_get(ev, "bucket"));
    if (c->bucket && (!b || strcmp(b, c->bucket))) { json_decref(ev); return; }
    json_array_append_new(c->arr, ev);
}

static int collect_cb(void *ctx, const char *line, size_t len)
{
    collect_line(ctx, line, len);
    return 0;
}

static int get_errors(lh_req *req, lh_resp *resp)
{
    lh_append_log *log = lh_error_journal_log(lh_registry_errors(req->app->reg));
    int64_t limit;
    if (lh_req_query_int(req, resp, "limit", 100, 1, 100000, &limit)) return 0;
    const char *source = lh_req_query(req, "source");
    if (source && strcmp(source, "recent") && strcmp(source, "all"))
        return lh_resp_errorf(resp, 400, "invalid_parameter", "source must be \"recent\" or \"all\", got \"%s\"", source);
    collect c = {json_array(), lh_req_query(req, "bucket")};
    if (source && !strcmp(source, "all")) {
        lh_err e;
        if (lh_append_log_read(log, collect_cb, &c, &e)) { json_decref(c.arr); return lh_resp_error(resp, &e); }
    } else {
        char **lines;
        size_t n = lh_append_log_recent(log, (size_t)-1, &lines);
        for (size_t i = 0; i < n; i++) collect_line(&c, lines[i], strlen(lines[i]));
        lh_append_log_lines_free(lines, n);
    }
    /* keep the newest `limit`, oldest first */
    size_t total = json_array_size(c.arr);
    while (json_array_size(c.arr) > (size_t)limit) json_array_remove(c.arr, 0);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    json_t *stats = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "appended", (json_int_t)st.appended,
                              "flushed_events", (json_int_t)st.flushed_events, "flush_batches",
                              (json_int_t)st.flush_batches, "flush_failures", (json_int_t)st.flush_failures,
                              "dropped", (json_int_t)st.dropped, "buffered", (json_int_t)st.buffered);
    return lh_resp_json(resp, 200, json_pack("{s:o,s:I,s:o}", "events", c.arr, "matched", (json_int_t)total,
                                             "stats", stats));
}

static int post_errors_flush(lh_req *req, lh_resp *resp)
{
    lh_append_log *log = lh_error_journal_log(lh_registry_errors(req->app->reg));
    lh_append_log_stats before, after;
    lh_append_log_stats_get(log, &before);
    lh_err e;
    if (lh_append_log_flush(log, &e)) return lh_resp_error(resp, &e);
    lh_append_log_stats_get(log, &after);
    return lh_resp_json(resp, 200, json_pack("{s:I,s:I}", "flushed_events",
                                             (json_int_t)(after.flushed_events - before.flushed_events),
                                             "batches_written", (json_int_t)(after.flush_batches - before.flush_batches)));
}

static int post_errors_compact(lh_req *req, lh_resp *resp)
{
    lh_append_log *log = lh_error_journal_log(lh_registry_errors(req->app->reg));
    lh_append_log_compact_result r;
    lh_err e;
    if (lh_append_log_compact(log, &r, &e)) return lh_resp_error(resp, &e);
    json_t *o = json_pack("{s:I,s:I}", "batches_merged", (json_int_t)r.batches_merged, "events", (json_int_t)r.events);
    json_object_set_new(o, "key", r.batches_merged ? json_string(r.key) : json_null());
    return lh_resp_json(resp, 200, o);
}

/* ---- the read cache of S3 buckets ---- */

static int get_cache_stats(lh_req *req, lh_resp *resp)
{
    lh_cache_stats st;
    const char *dir = lh_registry_cache_dir(req->app->reg);
    if (lh_registry_cache_stats(req->app->reg, &st))
        return lh_resp_json(resp, 200, json_pack("{s:b,s:s}", "enabled", 0, "reason",
                                                 "every bucket is local; the query engine reads them directly"));
    double hit_ratio = st.hits + st.misses ? (double)st.hits / (double)(st.hits + st.misses) : 0.0;
    return lh_resp_json(resp, 200, json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I}", "enabled", 1,
                                             "dir", dir, "files", (json_int_t)st.files, "bytes", (json_int_t)st.bytes,
                                             "max_bytes", (json_int_t)st.max_bytes, "hits", (json_int_t)st.hits,
                                             "misses", (json_int_t)st.misses, "fills_on_write", (json_int_t)st.fills,
                                             "evictions", (json_int_t)st.evictions, "validations",
                                             (json_int_t)st.validations, "refetched_stale",
                                             (json_int_t)st.refetched_stale, "hit_ratio", hit_ratio,
                                             "pinned", (json_int_t)st.pinned));
}

#define OBJ "/storage/buckets/{bucket}/objects/{*key}"

const lh_route lh_routes_storage[] = {
    {"GET", "/storage/buckets", get_buckets, NULL, NULL, NULL},
    {"GET", "/storage/bucket-health", get_bucket_health, NULL, NULL, NULL},
    {"GET", "/storage/buckets/{bucket}/objects", get_objects, NULL, NULL, NULL},
    {"GET", OBJ, get_object, NULL, NULL, NULL},
    {"PUT", OBJ, put_object, put_begin, put_chunk, put_cleanup},
    {"DELETE", OBJ, delete_object, NULL, NULL, NULL},
    {"GET", "/storage/errors", get_errors, NULL, NULL, NULL},
    {"POST", "/storage/errors/flush", post_errors_flush, NULL, NULL, NULL},
    {"POST", "/storage/errors/compact", post_errors_compact, NULL, NULL, NULL},
    {"GET", "/storage/cache/stats", get_cache_stats, NULL, NULL, NULL},
};
const size_t lh_routes_storage_n = sizeof lh_routes_storage / sizeof lh_routes_storage[0];

/* storage/s3.c — the S3 backend (see s3.h).
 *
 * Requests. Every request is built here (URL, signed headers), signed with
 * SigV4 over the SHA-256 of its body (bodies are always in memory: a whole
 * small object, one multipart part, or a small XML document), and sent on a
 * curl easy handle taken from a per-store pool. Handles go back to the pool
 * after use and keep their connections, so a busy store reuses a handful of
 * keep-alive connections instead of connecting per request.
 *
 * Retries. A request that fails at the transport (refused, reset, timed
 * out, closed early) or answers 5xx (except 501) or 429 is retried with
 * exponential backoff and full jitter (base 100 ms, doubling, capped at
 * 5 s), at most max_retries times and never starting a retry after
 * retry_budget_ms on the operation. 4xx answers are never retried: they are
 * the same the second time. A retried PUT is safe because puts replace
 * whole objects; a retried create-only PUT that finds its own first attempt
 * landed would see 412 — we accept that ambiguity (the catalog re-reads and
 * reports a concurrent commit, never corrupts).
 *
 * Errors. Every failure names the bucket, the operation, the key, the S3
 * error code, the HTTP status and the request id, so an operator can find
 * it in the server's logs; the journaling wrapper (journaled.c) records
 * them. Connection failures are LH_EUNAVAIL "bucket_unavailable" (what the
 * registry's rescue reads react to), refused credentials LH_EPERM
 * "s3_access_denied", a missing bucket LH_EUNAVAIL "s3_bucket_missing".
 *
 * Reads. A reader fetches the object in ranges of READ_CHUNK bytes, one
 * request per chunk, pinned to the first chunk's ETag with If-Match: the
 * pull interface (lh_obj_reader_read) maps onto it without threads, each
 * chunk is retried on its own, and an object replaced mid-read fails with
 * "object_changed" instead of splicing two versions.
 *
 * Writes. A writer buffers; at commit an object up to multipart_threshold
 * is one PUT. Past the threshold the writer starts a multipart upload and
 * ships part_size parts from worker threads, parallel_parts at a time
 * (memory: threshold + parallel_parts × part_size at most), completes the
 * upload at commit and aborts it on any failure or on abort, so no parts
 * are left behind to be billed.
 *
 * Create-only puts (the catalog's commit) are single PUTs with
 * If-None-Match: * (412 → LH_EEXIST) — up to multipart_threshold; a larger
 * create-only object (a big data file, whose name is unique anyway) is
 * checked with HEAD before its multipart upload starts. At open we ask the server whether it
 * honours that (create a probe object twice); if not, we log it and use a
 * lock object instead: write .lakehouse/locks/KEY holding a random token,
 * read it back, and only if it is still ours check that KEY is absent, put
 * it and remove the lock. The lock narrows the race between two writers to
 * the read-back window; it is a guard against accidental overlap, not
 * consensus — ADR-009's single writer is still the rule on such servers.
 * Keys under .lakehouse/ are this backend's own and are hidden from lists.
 */
#include "storage/curl_global.h"
#include "storage/s3.h"
#include "storage/s3_internal.h"
#include "storage/sigv4.h"

#include "core/log.h"

#include <openssl/crypto.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (16u << 20)

static lh_s3_store *S3(lh_objstore *s) { return (lh_s3_store *)s; }

/* ---- head, delete, probe ---- */

int lh_s3_head(lh_objstore *st, const char *key, lh_obj_info *info, lh_err *err)
{
    lh_s3_store *s = S3(st);
    lh_s3_call c = {.op = "head", .method = "HEAD", .key = key};
    int rc = lh_s3_perform(s, &c, err);
    if (!rc) {
        info->size = c.content_length;
        snprintf(info->etag, sizeof info->etag, "%s", c.etag);
        info->mtime_us = c.mtime_us;
    }
    lh_s3_call_free(&c);
    return rc;
}

static int s3_del(lh_objstore *st, const char *key, lh_err *err)
{
    /* S3 answers 204 for a missing key too; the interface says not found. */
    lh_obj_info info;
    int rc = lh_s3_head(st, key, &info, err);
    if (rc) return rc;
    lh_s3_call c = {.op = "delete", .method = "DELETE", .key = key};
    rc = lh_s3_perform(S3(st), &c, err);
    lh_s3_call_free(&c);
    return rc;
}

static int s3_probe(lh_objstore *st, lh_err *err)
{
    lh_s3_call c = {.op = "probe", .method = "HEAD", .quick = 1};
    int rc = lh_s3_perform(S3(st), &c, err);
    lh_s3_call_free(&c);
    return rc;
}

/* ---- get ---- */

typedef struct s3_reader {
    lh_obj_reader base;
    lh_s3_store *s;
    char     *key;
    char      etag[LH_ETAG_MAX];
    uint64_t  pos, end;    /* next byte to fetch, end of the range (exclusive) */
    lh_buf    chunk;
    size_t    off;         /* consumed bytes of chunk */
} s3_reader;

/* GET bytes [from, to) into c (to > from). */
static int get_range(lh_s3_store *s, const char *key, uint64_t from, uint64_t to, const char *if_match,
                     lh_s3_call *c, lh_err *err)
{
    char range[64];
    snprintf(range, sizeof range, "bytes=%" PRIu64 "-%" PRIu64, from, to - 1);
    memset(c, 0, sizeof *c);
    c->op = "get";
    c->method = "GET";
    c->key = key;
    lh_s3_call_add_header(c, "range", range);
    if (if_match && *if_match) lh_s3_call_add_header(c, "if-match", if_match);
    int rc = lh_s3_perform(s, c, err);
    if (rc == LH_EEXIST)  /* 412 on If-Match: someone replaced the object */
        rc = lh_err_set(err, LH_ECONFLICT, "object_changed", "object \"%s\" in bucket \"%s\" was replaced "
                        "while it was being read; read it again", key, s->base.name);
    return rc;
}

static int64_t r_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err)
{
    s3_reader *sr = (s3_reader *)r;
    if (sr->off == sr->chunk.len) {
        if (sr->pos >= sr->end) return 0;
        uint64_t to = sr->pos + READ_CHUNK < sr->end ? sr->pos + READ_CHUNK : sr->end;
        lh_s3_call c;
        int rc = get_range(sr->s, sr->key, sr->pos, to, sr->etag, &c, err);
        if (!rc && c.resp.len != to - sr->pos)
            rc = lh_err_set(err, LH_EIO, "s3_short_read", "bucket \"%s\": get of \"%s\" returned %zu bytes where "
                            "%" PRIu64 " were asked for", sr->s->base.name, sr->key, c.resp.len, to - sr->pos);
        if (rc) { lh_s3_call_free(&c); return rc; }
        lh_buf_free(&sr->chunk);
        sr->chunk = c.resp;  /* take the body */
        sr->off = 0;
        sr->pos = to;
    }
    size_t avail = sr->chunk.len - sr->off;
    if (n > avail) n = avail;
    memcpy(buf, sr->chunk.data + sr->off, n);
    sr->off += n;
    return (int64_t)n;
}

static void r_close(lh_obj_reader *r)
{
    s3_reader *sr = (s3_reader *)r;
    lh_buf_free(&sr->chunk);
    free(sr->key);
    free(sr);
}

static const lh_obj_reader_ops READER_OPS = {r_read, r_close};

static int s3_get(lh_objstore *st, const char *key, lh_range range, lh_obj_reader **out, lh_obj_info *info,
                  lh_err *err)
{
    lh_s3_store *s = S3(st);
    uint64_t want = range.length;
    if (want == 0) want = 1;  /* still learn the size; nothing is returned */
    uint64_t first_to = range.offset + (want < READ_CHUNK ? want : READ_CHUNK);
    if (first_to < range.offset) first_to = UINT64_MAX;  /* overflow */
    lh_s3_call c;
    int rc = get_range(s, key, range.offset, first_to, NULL, &c, err);
    uint64_t size;
    if (rc == LH_EINVAL && c.status == 416) {
        /* Past the end — or an empty object, whose offset 0 is allowed. */
        lh_s3_call_free(&c);
        rc = lh_s3_head(st, key, info, err);
        if (rc) return rc;
        if (range.offset != 0 || info->size != 0)
            return lh_err_set(err, LH_EINVAL, "invalid_range", "range starts at byte %" PRIu64 " but object "
                              "\"%s\" in bucket \"%s\" is %" PRIu64 " bytes long", range.offset, key,
                              s->base.name, info->size);
        size = 0;
        memset(&c, 0, sizeof c);
    } else if (rc) {
        lh_s3_call_free(&c);
        return rc;
    } else {
        size = c.status == 206 && c.total_size != UINT64_MAX ? c.total_size : c.resp.len;
        info->size = size;
        snprintf(info->etag, sizeof info->etag, "%s", c.etag);
        info->mtime_us = c.mtime_us;
    }
    uint64_t len = size - range.offset;
    if (range.length < len) len = range.length;
    s3_reader *r = lh_xcalloc(1, sizeof *r);
    r->base.ops = &READER_OPS;
    r->base.length = len;
    r->s = s;
    r->key = lh_xstrdup(key);
    snprintf(r->etag, sizeof r->etag, "%s", c.etag);
    r->end = range.offset + len;
    if (c.status == 200 && len > 0) {
        /* a server that ignored Range sent everything: keep the slice we want */
        lh_buf body = c.resp;
        memset(&c.resp, 0, sizeof c.resp);
        lh_buf_append(&r->chunk, body.data + range.offset, (size_t)len);
        lh_buf_free(&body);
        r->pos = r->end;
    } else if (len > 0) {
        r->chunk = c.resp;
        memset(&c.resp, 0, sizeof c.resp);
        if (r->chunk.len > len) r->chunk.len = (size_t)len;
        r->pos = range.offset + r->chunk.len;
    } else {
        r->pos = r->end;
    }
    lh_s3_call_free(&c);
    *out = &r->base;
    return 0;
}

/* ---- list ---- */

#define CURSOR_TAG "s3ct-"   /* our cursors: CURSOR_TAG + hex(continuation token) */

static void hex_encode(lh_buf *out, const char *s)
{
    static const char H[] = "0123456789abcdef";
    for (; *s; s++) {
        lh_buf_putc(out, H[(unsigned char)*s >> 4]);
        lh_buf_putc(out, H[(unsigned char)*s & 15]);
    }
}

static char *hex_decode(const char *h)
{
    size_t n = strlen(h);
    if (n % 2) return NULL;
    char *out = lh_xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = isdigit((unsigned char)h[2 * i]) ? h[2 * i] - '0' : tolower((unsigned char)h[2 * i]) - 'a' + 10;
        int lo = isdigit((unsigned char)h[2 * i + 1]) ? h[2 * i + 1] - '0' : tolower((unsigned char)h[2 * i + 1]) - 'a' + 10;
        if (hi < 0 || hi > 15 || lo < 0 || lo > 15) { free(out); return NULL; }
        out[i] = (char)(hi << 4 | lo);
    }
    out[n / 2] = '\0';
    return out;
}

static void add_param(lh_buf *q, const char *k, const char *v)
{
    if (q->len) lh_buf_putc(q, '&');
    lh_buf_printf(q, "%s=", k);
    lh_sigv4_uri_encode(q, v, strlen(v), 0);
}

static int s3_list(lh_objstore *st, const lh_list_opts *o, lh_list *out, lh_err *err)
{
    lh_s3_store *s = S3(st);
    lh_buf q = LH_BUF_INIT;
    char mk[24];
    snprintf(mk, sizeof mk, "%zu", o->max_keys);
    add_param(&q, "list-type", "2");
    add_param(&q, "max-keys", mk);
    if (o->prefix) add_param(&q, "prefix", o->prefix);
    if (o->delimiter) add_param(&q, "delimiter", o->delimiter);
    if (o->cursor) {
        char *tok = !strncmp(o->cursor, CURSOR_TAG, strlen(CURSOR_TAG)) ? hex_decode(o->cursor + strlen(CURSOR_TAG))
                                                                        : NULL;
        if (tok) add_param(&q, "continuation-token", tok);
        else add_param(&q, "start-after", o->cursor);
        free(tok);
    }
    lh_s3_call c = {.op = "list", .method = "GET", .query = q.data};
    int rc = lh_s3_perform(s, &c, err);
    int truncated = 0;
    char *next = NULL;
    if (!rc) rc = lh_s3_xml_list(c.resp.data, c.resp.len, out, &truncated, &next, err);
    if (!rc) {
        /* hide this backend's own objects */
        size_t k = 0;
        for (size_t i = 0; i < out->n_objects; i++) {
            if (!strncmp(out->objects[i].key, LH_S3_PRIVATE_PREFIX, strlen(LH_S3_PRIVATE_PREFIX))) free(out->objects[i].key);
            else out->objects[k++] = out->objects[i];
        }
        out->n_objects = k;
        k = 0;
        for (size_t i = 0; i < out->n_prefixes; i++) {
            if (!strcmp(out->prefixes[i], LH_S3_PRIVATE_PREFIX)) free(out->prefixes[i]);
            else out->prefixes[k++] = out->prefixes[i];
        }
        out->n_prefixes = k;
        if (truncated && next && *next) {
            lh_buf cur = LH_BUF_INIT;
            lh_buf_puts(&cur, CURSOR_TAG);
            hex_encode(&cur, next);
            out->next_cursor = lh_buf_detach(&cur);
        } else if (truncated) {
            rc = lh_err_set(err, LH_EIO, "s3_bad_response", "bucket \"%s\": a truncated listing came without a "
                            "continuation token (request id %s)", s->base.name, c.request_id);
        }
    }
    free(next);
    lh_s3_call_free(&c);
    lh_buf_free(&q);
    return rc;
}

/* ---- copy ---- */

static int s3_copy(lh_objstore *st, const char *src, const char *dst, lh_obj_info *info, lh_err *err)
{
    lh_s3_store *s = S3(st);
    lh_buf from = LH_BUF_INIT;
    lh_buf_putc(&from, '/');
    lh_sigv4_uri_encode(&from, s->bucket, strlen(s->bucket), 0);
    lh_buf_putc(&from, '/');
    lh_sigv4_uri_encode(&from, src, strlen(src), 1);
    lh_s3_call c = {.op = "copy", .method = "PUT", .key = dst};
    lh_s3_call_add_header(&c, "x-amz-copy-source", from.data);
    int rc = lh_s3_perform(s, &c, err);
    if (!rc) {
        lh_s3_error_doc d;
        lh_s3_xml_error(c.resp.data, c.resp.len, &d);
        if (d.code[0])
            rc = lh_err_set(err, LH_EIO, "s3_error", "bucket \"%s\": copying \"%s\" to \"%s\" failed (S3 %s, "
                            "request id %s)", s->base.name, src, dst, d.code, d.request_id);
    }
    if (rc == LH_ENOTFOUND)
        rc = lh_err_set(err, LH_ENOTFOUND, "object_not_found", "no object \"%s\" in bucket \"%s\"", src, s->base.name);
    lh_s3_call_free(&c);
    lh_buf_free(&from);
    if (!rc) rc = lh_s3_head(st, dst, info, err);
    return rc;
}

/* ---- store ---- */

static const char *s3_local_root(const lh_objstore *st)
{
    (void)st;
    return NULL;
}

static void s3_destroy(lh_objstore *st)
{
    lh_s3_store *s = S3(st);
    lh_s3_pool_close(s);
    pthread_mutex_destroy(&s->pool_mu);
    if (s->secret_key) OPENSSL_cleanse(s->secret_key, strlen(s->secret_key));
    if (s->session_token) OPENSSL_cleanse(s->session_token, strlen(s->session_token));
    free(s->endpoint);
    free(s->bucket);
    free(s->region);
    free(s->secret_ref);
    free(s->access_key);
    free(s->secret_key);
    free(s->session_token);
    free(s->base.name);
    free(s);
}

static const lh_objstore_ops S3_OPS = {
    .backend = "s3",
    .get = s3_get,
    .writer_open = lh_s3_writer_open,
    .head = lh_s3_head,
    .list = s3_list,
    .del = s3_del,
    .probe = s3_probe,
    .local_root = s3_local_root,
    .destroy = s3_destroy,
    .copy = s3_copy,
};

const char *lh_objstore_s3_create_method(lh_objstore *st)
{
    if (!st || st->ops != &S3_OPS) return NULL;
    switch (atomic_load(&S3(st)->create_method)) {
    case LH_S3_CM_INM: return "if-none-match";
    case LH_S3_CM_LOCK: return "lock-object";
    default: return "unknown";
    }
}

int lh_objstore_s3_new(const lh_s3_opts *o, lh_objstore **out, lh_err *err)
{
    *out = NULL;
    if (!o->name || !o->bucket || !o->bucket[0])
        return lh_err_set(err, LH_EINVAL, "config_invalid", "an s3 bucket needs its name on the server (bucket = ...)");
    if (!o->access_key || !o->access_key[0] || !o->secret_key || !o->secret_key[0])
        return lh_err_set(err, LH_EINVAL, "s3_credentials_missing",
                          "bucket \"%s\": secret_ref \"%s\" must define access_key_id and secret_access_key",
                          o->name, o->secret_ref ? o->secret_ref : "");
    if (o->part_size && o->part_size < (5u << 20))
        return lh_err_set(err, LH_EINVAL, "config_invalid", "bucket \"%s\": part_size must be at least 5 MiB "
                          "(S3's minimum part size)", o->name);
    int rc = lh_curl_global_init(err);
    if (rc) return rc;
    lh_s3_store *s = lh_xcalloc(1, sizeof *s);
    s->base.ops = &S3_OPS;
    s->base.name = lh_xstrdup(o->name);
    const char *region = o->region && o->region[0] ? o->region : "us-east-1";
    lh_buf ep = LH_BUF_INIT;
    if (o->endpoint && o->endpoint[0]) lh_buf_puts(&ep, o->endpoint);
    else lh_buf_printf(&ep, "https://s3.%s.amazonaws.com", region);
    while (ep.len && ep.data[ep.len - 1] == '/') ep.data[--ep.len] = '\0';
    s->endpoint = lh_buf_detach(&ep);
    s->bucket = lh_xstrdup(o->bucket);
    s->region = lh_xstrdup(region);
    s->secret_ref = lh_xstrdup(o->secret_ref ? o->secret_ref : "");
    s->access_key = lh_xstrdup(o->access_key);
    s->secret_key = lh_xstrdup(o->secret_key);
    s->session_token = o->session_token && o->session_token[0] ? lh_xstrdup(o->session_token) : NULL;
    s->virtual_host = o->virtual_host;
    s->threshold = o->multipart_threshold ? o->multipart_threshold : 64u << 20;
    s->part_size = o->part_size ? o->part_size : 16u << 20;
    s->parallel = o->parallel_parts > 0 ? o->parallel_parts : 4;
    s->max_retries = o->max_retries >= 0 ? o->max_retries : 4;
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
    s->budget_ms = o->retry_budget_ms > 0 ? o->retry_budget_ms : 20000;
    s->forced_lock = o->create_mode == LH_S3_CREATE_LOCK;
    atomic_init(&s->create_method, s->forced_lock ? LH_S3_CM_LOCK : LH_S3_CM_UNKNOWN);
    pthread_mutex_init(&s->pool_mu, NULL);
    if (!s->forced_lock) {
        /* Quick calls: one attempt each within LH_S3_PROBE_TIMEOUT_MS, so
         * a dead endpoint costs start-up seconds, not the retry budget.
         * If the server does not answer, the check runs again, with the
         * normal retries, before the first create-only put. */
        lh_err e;
        int m = lh_s3_create_method(s, 1, &e);
        if (m < 0)
            lh_warn("bucket %s: could not check conditional create at start (%s); will check on first commit",
                    s->base.name, e.msg);
    }
    *out = &s->base;
    return 0;
}

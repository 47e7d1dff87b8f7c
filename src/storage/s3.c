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
#include "storage/s3.h"
#include "storage/objstore_impl.h"
#include "storage/s3_internal.h"
#include "storage/sigv4.h"

#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK       (16u << 20)
#define MAX_PARTS        10000
#define BACKOFF_BASE_MS  100
#define BACKOFF_CAP_MS   5000
#define PRIVATE_PREFIX   ".lakehouse/"

enum { CREATE_UNKNOWN = 0, CREATE_INM = 1, CREATE_LOCK = 2 };

typedef struct s3_store {
    lh_objstore base;
    char   *endpoint;     /* scheme://host[:port], no trailing '/' */
    char   *bucket;
    char   *region;
    char   *secret_ref;
    char   *access_key;
    char   *secret_key;
    char   *session_token;
    int     virtual_host;
    uint64_t threshold, part_size;
    int     parallel, max_retries;
    int64_t timeout_ms, budget_ms;
    int     forced_lock;
    atomic_int create_method;
    pthread_mutex_t pool_mu;
    CURL  **pool;
    size_t  n_pool, cap_pool;
} s3_store;

static s3_store *S3(lh_objstore *s) { return (s3_store *)s; }

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- connection pool ---- */

static CURL *pool_take(s3_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    CURL *c = s->n_pool ? s->pool[--s->n_pool] : NULL;
    pthread_mutex_unlock(&s->pool_mu);
    if (!c) c = curl_easy_init();
    else curl_easy_reset(c);  /* keeps the connection cache */
    return c;
}

static void pool_give(s3_store *s, CURL *c)
{
    pthread_mutex_lock(&s->pool_mu);
    if (s->n_pool == s->cap_pool) {
        s->cap_pool = s->cap_pool ? s->cap_pool * 2 : 8;
        s->pool = lh_xrealloc(s->pool, s->cap_pool * sizeof *s->pool);
    }
    s->pool[s->n_pool++] = c;
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- one request ---- */

typedef struct s3_call {
    /* request */
    const char *op;          /* "get", "put", … for messages */
    const char *method;
    const char *key;         /* NULL = the bucket */
    const char *query;       /* URI-encoded, NULL = none */
    const char *hdr_names[6];
    const char *hdr_values[6];
    size_t      n_hdrs;
    const void *body;
    size_t      body_len;
    /* response */
    long     status;
    lh_buf   resp;
    char     etag[LH_ETAG_MAX];
    uint64_t content_length;
    uint64_t total_size;     /* from Content-Range, else UINT64_MAX */
    int64_t  mtime_us;
    char     request_id[128];
    /* transfer */
    size_t   sent;
} s3_call;

static void call_add_header(s3_call *c, const char *name, const char *value)
{
    c->hdr_names[c->n_hdrs] = name;
    c->hdr_values[c->n_hdrs] = value;
    c->n_hdrs++;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    s3_call *c = ud;
    lh_buf_append(&c->resp, p, sz * n);
    return sz * n;
}

static size_t on_upload(char *p, size_t sz, size_t n, void *ud)
{
    s3_call *c = ud;
    size_t left = c->body_len - c->sent, want = sz * n;
    if (want > left) want = left;
    if (want) memcpy(p, (const char *)c->body + c->sent, want);
    c->sent += want;
    return want;
}

/* curl rewinds the body when it resends on a fresh connection (a pooled
 * keep-alive connection the server had closed). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
    s3_call *c = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > c->body_len) return CURL_SEEKFUNC_FAIL;
    c->sent = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) { v++; n--; }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    s3_call *c = ud;
    size_t len = sz * n;
    const char *colon = memchr(p, ':', len);
    if (!colon) return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    char val[256];
    copy_header_value(val, sizeof val, v, vlen);
#define HDR(name) (nlen == sizeof(name) - 1 && !strncasecmp(p, name, nlen))
    if (HDR("etag")) {
        if (val[0] == '"' || !val[0]) snprintf(c->etag, sizeof c->etag, "%.*s", (int)sizeof c->etag - 1, val);
        else snprintf(c->etag, sizeof c->etag, "\"%.*s\"", (int)sizeof c->etag - 3, val);
    } else if (HDR("content-length")) {
        c->content_length = strtoull(val, NULL, 10);
    } else if (HDR("content-range")) {
        const char *slash = strchr(val, '/');
        if (slash && slash[1] != '*') c->total_size = strtoull(slash + 1, NULL, 10);
    } else if (HDR("last-modified")) {
        time_t t = curl_getdate(val, NULL);
        if (t > 0) c->mtime_us = (int64_t)t * 1000000;
    } else if (HDR("x-amz-request-id")) {
        snprintf(c->request_id, sizeof c->request_id, "%.*s", (int)sizeof c->request_id - 1, val);
    }
#undef HDR
    return len;
}

void lh_s3_build_url(const char *endpoint, const char *bucket, int virtual_host, const char *key,
                     const char *query, lh_buf *url, lh_buf *host, lh_buf *canonical_path)
{
    const char *sep = strstr(endpoint, "://");
    const char *auth = sep ? sep + 3 : endpoint;
    size_t scheme_len = sep ? (size_t)(sep - endpoint) : 0;
    size_t alen = strcspn(auth, "/");
    /* Host as curl will send it: the default port is left out. */
    lh_buf h = LH_BUF_INIT;
    if (virtual_host) lh_buf_printf(&h, "%s.", bucket);
    lh_buf_append(&h, auth, alen);
    int is_https = scheme_len == 5 && !strncmp(endpoint, "https", 5);
    const char *def = is_https ? ":443" : ":80";
    if (h.len > strlen(def) && !strcmp(h.data + h.len - strlen(def), def)) {
        h.len -= strlen(def);
        h.data[h.len] = '\0';
    }
    lh_buf_reset(canonical_path);
    lh_buf_putc(canonical_path, '/');
    if (!virtual_host) {
        lh_sigv4_uri_encode(canonical_path, bucket, strlen(bucket), 0);
        lh_buf_putc(canonical_path, '/');
    }
    if (key) lh_sigv4_uri_encode(canonical_path, key, strlen(key), 1);
    lh_buf_reset(url);
    lh_buf_append(url, endpoint, scheme_len ? scheme_len + 3 : 0);
    if (!scheme_len) lh_buf_puts(url, "https://");
    lh_buf_append(url, h.data, h.len);
    lh_buf_append(url, canonical_path->data, canonical_path->len);
    if (query && *query) lh_buf_printf(url, "?%s", query);
    lh_buf_reset(host);
    lh_buf_append(host, h.data, h.len);
    lh_buf_free(&h);
}

typedef enum { T_OK, T_RETRY, T_DONE } attempt_result;

/* One HTTP exchange. Returns the CURLcode; fills c's response fields. */
static CURLcode attempt(s3_store *s, s3_call *c, char *curl_msg, size_t msgcap)
{
    lh_buf url = LH_BUF_INIT, host = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_s3_build_url(s->endpoint, s->bucket, s->virtual_host, c->key, c->query, &url, &host, &path);
    char date[17];
    lh_sigv4_amz_date((long long)time(NULL), date);
    char hash[LH_SHA256_HEX_LEN];
    lh_sha256_hex(c->body ? c->body : "", c->body_len, hash);

    lh_sigv4_header sh[12];
    size_t nsh = 0;
    sh[nsh++] = (lh_sigv4_header){"host", host.data};
    sh[nsh++] = (lh_sigv4_header){"x-amz-date", date};
    sh[nsh++] = (lh_sigv4_header){"x-amz-content-sha256", hash};
    if (s->session_token) sh[nsh++] = (lh_sigv4_header){"x-amz-security-token", s->session_token};
    for (size_t i = 0; i < c->n_hdrs; i++) sh[nsh++] = (lh_sigv4_header){c->hdr_names[i], c->hdr_values[i]};
    lh_sigv4_input in = {c->method, path.data, c->query, sh, nsh, hash, s->region, "s3", date,
                         s->access_key, s->secret_key};
    lh_sigv4_output so = {0};
    lh_err e;
    CURLcode cc = CURLE_OK;
    if (lh_sigv4_sign(&in, &so, &e)) {
        snprintf(curl_msg, msgcap, "signing failed: %.200s", e.msg);
        cc = CURLE_BAD_FUNCTION_ARGUMENT;
        goto out;
    }

    struct curl_slist *hl = NULL;
    lh_buf line = LH_BUF_INIT;
    for (size_t i = 0; i < nsh; i++) {
        lh_buf_reset(&line);
        lh_buf_printf(&line, "%s: %s", sh[i].name, sh[i].value);
        hl = curl_slist_append(hl, line.data);
    }
    lh_buf_reset(&line);
    lh_buf_printf(&line, "Authorization: %s", so.authorization.data);
    hl = curl_slist_append(hl, line.data);
    OPENSSL_cleanse(line.data, line.len);
    lh_buf_free(&line);
    hl = curl_slist_append(hl, "Expect:");        /* no 100-continue round trip */
    hl = curl_slist_append(hl, "Content-Type:");  /* curl's form default is wrong for S3 */

    lh_buf_reset(&c->resp);
    c->status = 0;
    c->etag[0] = '\0';
    c->content_length = 0;
    c->total_size = UINT64_MAX;
    c->mtime_us = 0;
    c->request_id[0] = '\0';
    c->sent = 0;

    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = pool_take(s);
    if (!h) {
        curl_slist_free_all(hl);
        snprintf(curl_msg, msgcap, "out of memory for an HTTP handle");
        cc = CURLE_OUT_OF_MEMORY;
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
    /* a stalled transfer (under 1 byte/s for the window) is a timeout; a
     * slow but moving one is not, so big parts never hit a fixed cap */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)((s->timeout_ms + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!strcmp(c->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(c->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(h, CURLOPT_READDATA, c);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->body_len);
    } else if (!strcmp(c->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? (const char *)c->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    } else if (strcmp(c->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    if (cc != CURLE_OK) snprintf(curl_msg, msgcap, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    curl_slist_free_all(hl);
    pool_give(s, h);
out:
    lh_sigv4_output_free(&so);
    lh_buf_free(&url);
    lh_buf_free(&host);
    lh_buf_free(&path);
    return cc;
}

static int retriable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

static int retriable_status(long st) { return st == 429 || (st >= 500 && st != 501); }

static void backoff_sleep(int attempt_no, int64_t budget_left_ms)
{
    int64_t cap = BACKOFF_BASE_MS << (attempt_no < 6 ? attempt_no : 6);
    if (cap > BACKOFF_CAP_MS) cap = BACKOFF_CAP_MS;
    uint32_t r;
    lh_random_bytes(&r, sizeof r);
    int64_t ms = (int64_t)(r % (uint32_t)(cap + 1));  /* full jitter */
    if (ms > budget_left_ms) ms = budget_left_ms > 0 ? budget_left_ms : 0;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The S3 detail every message ends with. */
static void detail(char *out, size_t cap, const s3_call *c, const lh_s3_error_doc *d)
{
    const char *rid = d->request_id[0] ? d->request_id : c->request_id;
    snprintf(out, cap, "S3 %s, HTTP %ld%s%s", d->code[0] ? d->code : "error", c->status,
             rid[0] ? ", request id " : "", rid);
}

/* Map a finished exchange to 0 or an lh_err. */
static int outcome(s3_store *s, s3_call *c, CURLcode cc, const char *curl_msg, int attempts, lh_err *err)
{
    const char *key = c->key ? c->key : "";
    if (cc != CURLE_OK) {
        int timeout = cc == CURLE_OPERATION_TIMEDOUT;
        return lh_err_set(err, timeout ? LH_ETIMEOUT : LH_EUNAVAIL, timeout ? "s3_timeout" : "bucket_unavailable",
                          "bucket \"%s\" is unavailable: %s of \"%s\" at %s failed after %d attempt%s: %s",
                          s->base.name, c->op, key, s->endpoint, attempts, attempts == 1 ? "" : "s", curl_msg);
    }
    if (c->status >= 200 && c->status < 300) return 0;
    lh_s3_error_doc d;
    lh_s3_xml_error(c->resp.data, c->resp.len, &d);
    char det[300];
    detail(det, sizeof det, c, &d);
    const char *msg = d.message[0] ? d.message : "";
    switch (c->status) {
    case 404:
        if (!strcmp(d.code, "NoSuchBucket") || (!c->key && !d.code[0]))
            return lh_err_set(err, LH_EUNAVAIL, "s3_bucket_missing",
                              "bucket \"%s\": the S3 bucket \"%s\" does not exist on %s; create it or fix "
                              "buckets.%s.bucket (%s)", s->base.name, s->bucket, s->endpoint, s->base.name, det);
        if (!strcmp(d.code, "NoSuchUpload"))
            return lh_err_set(err, LH_EIO, "s3_upload_lost", "bucket \"%s\": the multipart upload of \"%s\" "
                              "disappeared on the server (%s)", s->base.name, key, det);
        return lh_err_set(err, LH_ENOTFOUND, "object_not_found", "no object \"%s\" in bucket \"%s\"",
                          key, s->base.name);
    case 401: case 403:
        return lh_err_set(err, LH_EPERM, "s3_access_denied",
                          "bucket \"%s\": the S3 server refused the %s of \"%s\" (%s%s%s); check the "
                          "credentials named by secret_ref \"%s\" and the bucket's permissions",
                          s->base.name, c->op, key, det, msg[0] ? ": " : "", msg, s->secret_ref);
    case 412:
        return lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                          key, s->base.name);
    case 409:
        if (!strcmp(d.code, "ConditionalRequestConflict"))
            return lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" in bucket \"%s\" was created "
                              "concurrently by another writer (%s)", key, s->base.name, det);
        return lh_err_set(err, LH_ECONFLICT, "s3_conflict", "bucket \"%s\": %s of \"%s\" conflicted (%s%s%s)",
                          s->base.name, c->op, key, det, msg[0] ? ": " : "", msg);
    case 416:
        return lh_err_set(err, LH_EINVAL, "invalid_range", "the requested range of \"%s\" in bucket \"%s\" "
                          "lies outside the object", key, s->base.name);
    default:
        break;
    }
    if (retriable_status(c->status))
        return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                          "bucket \"%s\" is unavailable: %s of \"%s\" failed after %d attempt%s (%s%s%s)",
                          s->base.name, c->op, key, attempts, attempts == 1 ? "" : "s", det, msg[0] ? ": " : "", msg);
    if (c->status >= 400 && c->status < 500)
        return lh_err_set(err, LH_EINVAL, "s3_request_refused", "bucket \"%s\": the S3 server refused the %s of "
                          "\"%s\" (%s%s%s)", s->base.name, c->op, key, det, msg[0] ? ": " : "", msg);
    return lh_err_set(err, LH_EIO, "s3_error", "bucket \"%s\": %s of \"%s\" failed (%s%s%s)", s->base.name, c->op,
                      key, det, msg[0] ? ": " : "", msg);
}

/* Perform with retries; 0 on a 2xx answer. */
static int perform(s3_store *s, s3_call *c, lh_err *err)
{
    int64_t t0 = lh_mono_us();
    char curl_msg[CURL_ERROR_SIZE + 64] = "";
    CURLcode cc = CURLE_OK;
    int attempts = 0;
    for (;;) {
        cc = attempt(s, c, curl_msg, sizeof curl_msg);
        attempts++;
        if (cc == CURLE_BAD_FUNCTION_ARGUMENT)
            return lh_err_set(err, LH_EINTERNAL, "s3_request_invalid", "bucket \"%s\": %s", s->base.name, curl_msg);
        int again = cc != CURLE_OK ? retriable_curl(cc) : retriable_status(c->status);
        if (!again || attempts > s->max_retries) break;
        int64_t left = s->budget_ms - (lh_mono_us() - t0) / 1000;
        if (left <= 0) break;
        lh_debug("bucket %s: %s of %s: retrying (attempt %d, %s)", s->base.name, c->op, c->key ? c->key : "",
                 attempts, cc != CURLE_OK ? curl_msg : "server error");
        backoff_sleep(attempts - 1, left);
    }
    return outcome(s, c, cc, curl_msg, attempts, err);
}

static void call_free(s3_call *c) { lh_buf_free(&c->resp); }

/* ---- head, delete, probe ---- */

static int s3_head(lh_objstore *st, const char *key, lh_obj_info *info, lh_err *err)
{
    s3_store *s = S3(st);
    s3_call c = {.op = "head", .method = "HEAD", .key = key};
    int rc = perform(s, &c, err);
    if (!rc) {
        info->size = c.content_length;
        snprintf(info->etag, sizeof info->etag, "%s", c.etag);
        info->mtime_us = c.mtime_us;
    }
    call_free(&c);
    return rc;
}

static int s3_del(lh_objstore *st, const char *key, lh_err *err)
{
    /* S3 answers 204 for a missing key too; the interface says not found. */
    lh_obj_info info;
    int rc = s3_head(st, key, &info, err);
    if (rc) return rc;
    s3_call c = {.op = "delete", .method = "DELETE", .key = key};
    rc = perform(S3(st), &c, err);
    call_free(&c);
    return rc;
}

static int s3_probe(lh_objstore *st, lh_err *err)
{
    s3_call c = {.op = "probe", .method = "HEAD"};
    int rc = perform(S3(st), &c, err);
    call_free(&c);
    return rc;
}

/* ---- get ---- */

typedef struct s3_reader {
    lh_obj_reader base;
    s3_store *s;
    char     *key;
    char      etag[LH_ETAG_MAX];
    uint64_t  pos, end;    /* next byte to fetch, end of the range (exclusive) */
    lh_buf    chunk;
    size_t    off;         /* consumed bytes of chunk */
} s3_reader;

/* GET bytes [from, to) into c (to > from). */
static int get_range(s3_store *s, const char *key, uint64_t from, uint64_t to, const char *if_match,
                     s3_call *c, lh_err *err)
{
    char range[64];
    snprintf(range, sizeof range, "bytes=%" PRIu64 "-%" PRIu64, from, to - 1);
    memset(c, 0, sizeof *c);
    c->op = "get";
    c->method = "GET";
    c->key = key;
    call_add_header(c, "range", range);
    if (if_match && *if_match) call_add_header(c, "if-match", if_match);
    int rc = perform(s, c, err);
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
        s3_call c;
        int rc = get_range(sr->s, sr->key, sr->pos, to, sr->etag, &c, err);
        if (!rc && c.resp.len != to - sr->pos)
            rc = lh_err_set(err, LH_EIO, "s3_short_read", "bucket \"%s\": get of \"%s\" returned %zu bytes where "
                            "%" PRIu64 " were asked for", sr->s->base.name, sr->key, c.resp.len, to - sr->pos);
        if (rc) { call_free(&c); return rc; }
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
    s3_store *s = S3(st);
    uint64_t want = range.length;
    if (want == 0) want = 1;  /* still learn the size; nothing is returned */
    uint64_t first_to = range.offset + (want < READ_CHUNK ? want : READ_CHUNK);
    if (first_to < range.offset) first_to = UINT64_MAX;  /* overflow */
    s3_call c;
    int rc = get_range(s, key, range.offset, first_to, NULL, &c, err);
    uint64_t size;
    if (rc == LH_EINVAL && c.status == 416) {
        /* Past the end — or an empty object, whose offset 0 is allowed. */
        call_free(&c);
        rc = s3_head(st, key, info, err);
        if (rc) return rc;
        if (range.offset != 0 || info->size != 0)
            return lh_err_set(err, LH_EINVAL, "invalid_range", "range starts at byte %" PRIu64 " but object "
                              "\"%s\" in bucket \"%s\" is %" PRIu64 " bytes long", range.offset, key,
                              s->base.name, info->size);
        size = 0;
        memset(&c, 0, sizeof c);
    } else if (rc) {
        call_free(&c);
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
    call_free(&c);
    *out = &r->base;
    return 0;
}

/* ---- single put, create-only ---- */

static int put_single(s3_store *s, const char *key, const void *data, size_t n, int create_only,
                      lh_obj_info *info, lh_err *err)
{
    s3_call c = {.op = "put", .method = "PUT", .key = key, .body = data, .body_len = n};
    if (create_only) call_add_header(&c, "if-none-match", "*");
    int rc = perform(s, &c, err);
    if (!rc && info) {
        info->size = n;
        snprintf(info->etag, sizeof info->etag, "%s", c.etag);
        info->mtime_us = lh_now_us();
    }
    call_free(&c);
    return rc;
}

/* Does the server honour If-None-Match: * ? Decided once per store. */
static int create_method(s3_store *s, lh_err *err)
{
    int m = atomic_load(&s->create_method);
    if (m != CREATE_UNKNOWN) return m;
    char hex[33], key[80];
    lh_hex_id(hex, 8);
    snprintf(key, sizeof key, PRIVATE_PREFIX "probe/create-%s", hex);
    int rc = put_single(s, key, "1", 1, 1, NULL, err);
    if (rc) return rc;  /* unreachable: decide later */
    lh_err e2;
    int rc2 = put_single(s, key, "2", 1, 1, NULL, &e2);
    lh_err e3;
    s3_call d = {.op = "delete", .method = "DELETE", .key = key};
    if (perform(s, &d, &e3)) lh_warn("bucket %s: could not remove probe object %s: %s", s->base.name, key, e3.msg);
    call_free(&d);
    if (rc2 == LH_EEXIST) {
        m = CREATE_INM;
        lh_info("bucket %s: the server honours If-None-Match: *; commits are conditional puts", s->base.name);
    } else if (rc2 == 0 || rc2 == LH_EINVAL || rc2 == LH_EIO) {
        m = CREATE_LOCK;
        lh_warn("bucket %s: the S3 server at %s does not honour If-None-Match: * (%s); create-only puts use "
                "lock objects under %slocks/ instead (see docs/storage.md)", s->base.name, s->endpoint,
                rc2 == 0 ? "a second conditional put succeeded" : e2.msg, PRIVATE_PREFIX);
    } else {
        if (err) *err = e2;
        return rc2;
    }
    atomic_store(&s->create_method, m);
    return m;
}

static int put_with_lock(s3_store *s, const char *key, const void *data, size_t n, lh_obj_info *info, lh_err *err)
{
    lh_buf lock = LH_BUF_INIT;
    lh_buf_printf(&lock, PRIVATE_PREFIX "locks/%s", key);
    char token[33];
    lh_hex_id(token, 16);
    lh_obj_info tmp;
    int rc = s3_head(&s->base, key, &tmp, err);
    if (rc == 0) rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                                 key, s->base.name);
    if (rc != LH_ENOTFOUND) goto out;
    if ((rc = put_single(s, lock.data, token, 32, 0, NULL, err))) goto out;
    s3_call c = {.op = "get", .method = "GET", .key = lock.data};
    rc = perform(s, &c, err);
    int mine = !rc && c.resp.len == 32 && !memcmp(c.resp.data, token, 32);
    call_free(&c);
    if (rc) goto out;
    if (!mine) {
        rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" in bucket \"%s\" is being created by "
                        "another writer (its lock object is not ours)", key, s->base.name);
        goto out;
    }
    rc = s3_head(&s->base, key, &tmp, err);
    if (rc == 0) rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                                 key, s->base.name);
    if (rc == LH_ENOTFOUND) rc = put_single(s, key, data, n, 0, info, err);
    lh_err e;
    s3_call d = {.op = "delete", .method = "DELETE", .key = lock.data};
    if (perform(s, &d, &e)) lh_warn("bucket %s: lock object %s not removed: %s", s->base.name, lock.data, e.msg);
    call_free(&d);
out:
    lh_buf_free(&lock);
    return rc;
}

static int put_create_only(s3_store *s, const char *key, const void *data, size_t n, lh_obj_info *info,
                           lh_err *err)
{
    int m = create_method(s, err);
    if (m < 0) return m;
    if (m == CREATE_INM) return put_single(s, key, data, n, 1, info, err);
    return put_with_lock(s, key, data, n, info, err);
}

/* ---- multipart ---- */

typedef struct s3_writer s3_writer;

typedef struct part_job {
    pthread_t  th;
    int        running;
    int        number;
    lh_buf     data;
    s3_writer *w;
    int        rc;
    lh_err     err;
} part_job;

struct s3_writer {
    lh_obj_writer base;
    s3_store *s;
    char     *key;
    int       create_only;
    lh_buf    buf;
    uint64_t  total;
    char     *upload_id;
    int       n_parts;
    char    (*etags)[LH_ETAG_MAX];   /* index part-1 */
    int       cap_etags;
    part_job *jobs;                  /* s->parallel slots */
    int       failed;
    lh_err    fail;
};

static void *part_thread(void *arg)
{
    part_job *j = arg;
    s3_writer *w = j->w;
    lh_buf q = LH_BUF_INIT;
    lh_buf_printf(&q, "partNumber=%d&uploadId=", j->number);
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    s3_call c = {.op = "put", .method = "PUT", .key = w->key, .query = q.data, .body = j->data.data,
                 .body_len = j->data.len};
    j->rc = perform(w->s, &c, &j->err);
    if (!j->rc) {
        if (!c.etag[0])
            j->rc = lh_err_set(&j->err, LH_EIO, "s3_bad_response", "bucket \"%s\": part %d of \"%s\" was "
                               "stored without an ETag", w->s->base.name, j->number, w->key);
        else snprintf(w->etags[j->number - 1], LH_ETAG_MAX, "%s", c.etag);
    }
    call_free(&c);
    lh_buf_free(&q);
    lh_buf_free(&j->data);
    return NULL;
}

static void join_job(s3_writer *w, part_job *j)
{
    if (!j->running) return;
    pthread_join(j->th, NULL);
    j->running = 0;
    if (j->rc && !w->failed) {
        w->failed = j->rc;
        w->fail = j->err;
    }
}

static int start_multipart(s3_writer *w, lh_err *err)
{
    if (w->create_only) {
        /* Too big for one conditional PUT: check first. Not atomic against
         * a concurrent creator — data objects have unique names; the
         * catalog's manifests, which need atomicity, are small. */
        lh_obj_info tmp;
        int hrc = s3_head(&w->s->base, w->key, &tmp, err);
        if (hrc == 0)
            return lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                              w->key, w->s->base.name);
        if (hrc != LH_ENOTFOUND) return hrc;
    }
    s3_call c = {.op = "put", .method = "POST", .key = w->key, .query = "uploads="};
    int rc = perform(w->s, &c, err);
    if (!rc) {
        w->upload_id = lh_s3_xml_text(c.resp.data, c.resp.len, "UploadId");
        if (!w->upload_id || !*w->upload_id) {
            free(w->upload_id);
            w->upload_id = NULL;
            rc = lh_err_set(err, LH_EIO, "s3_bad_response", "bucket \"%s\": starting the multipart upload of "
                            "\"%s\" returned no UploadId (request id %s)", w->s->base.name, w->key, c.request_id);
        }
    }
    call_free(&c);
    if (!rc) w->jobs = lh_xcalloc((size_t)w->s->parallel, sizeof *w->jobs);
    return rc;
}

/* Hand buf[0..n) to a worker as the next part. */
static int ship_part(s3_writer *w, size_t n, lh_err *err)
{
    if (w->n_parts == MAX_PARTS)
        return lh_err_set(err, LH_ETOOBIG, "object_too_large", "object \"%s\" needs more than %d parts of %" PRIu64
                          " bytes; raise buckets.%s.part_size", w->key, MAX_PARTS, w->s->part_size, w->s->base.name);
    int number = ++w->n_parts;
    if (number > w->cap_etags) {
        w->cap_etags = w->cap_etags ? w->cap_etags * 2 : 64;
        w->etags = lh_xrealloc(w->etags, (size_t)w->cap_etags * sizeof *w->etags);
    }
    w->etags[number - 1][0] = '\0';
    part_job *j = &w->jobs[(number - 1) % w->s->parallel];
    join_job(w, j);
    if (w->failed) {
        if (err) *err = w->fail;
        return w->failed;
    }
    j->number = number;
    j->w = w;
    j->rc = 0;
    lh_buf_free(&j->data);
    lh_buf_append(&j->data, w->buf.data, n);
    memmove(w->buf.data, w->buf.data + n, w->buf.len - n);
    w->buf.len -= n;
    if (pthread_create(&j->th, NULL, part_thread, j) != 0) {
        lh_buf_free(&j->data);
        return lh_err_set(err, LH_ENOMEM, "thread_failed", "could not start an upload thread");
    }
    j->running = 1;
    return 0;
}

static void abort_multipart(s3_writer *w)
{
    for (int i = 0; w->jobs && i < w->s->parallel; i++) join_job(w, &w->jobs[i]);
    if (!w->upload_id) return;
    lh_buf q = LH_BUF_INIT;
    lh_buf_puts(&q, "uploadId=");
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    s3_call c = {.op = "put", .method = "DELETE", .key = w->key, .query = q.data};
    lh_err e;
    if (perform(w->s, &c, &e))
        lh_warn("bucket %s: aborting the multipart upload of %s failed (the server may keep its parts): %s",
                w->s->base.name, w->key, e.msg);
    call_free(&c);
    lh_buf_free(&q);
}

static void writer_free(s3_writer *w)
{
    if (w->jobs)
        for (int i = 0; i < w->s->parallel; i++) lh_buf_free(&w->jobs[i].data);
    free(w->jobs);
    free(w->etags);
    free(w->upload_id);
    lh_buf_free(&w->buf);
    free(w->key);
    free(w);
}

static int w_write(lh_obj_writer *ow, const void *data, size_t n, lh_err *err)
{
    s3_writer *w = (s3_writer *)ow;
    if (w->failed) {
        if (err) *err = w->fail;
        return w->failed;
    }
    lh_buf_append(&w->buf, data, n);
    w->total += n;
    int rc = 0;
    if (!w->upload_id && w->buf.len > w->s->threshold) rc = start_multipart(w, err);
    while (!rc && w->upload_id && w->buf.len >= w->s->part_size) rc = ship_part(w, (size_t)w->s->part_size, err);
    if (rc && !w->failed) { w->failed = rc; if (err) w->fail = *err; }
    return rc;
}

static int complete_multipart(s3_writer *w, lh_obj_info *info, lh_err *err)
{
    lh_buf x = LH_BUF_INIT, q = LH_BUF_INIT;
    lh_buf_puts(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < w->n_parts; i++)
        lh_buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, w->etags[i]);
    lh_buf_puts(&x, "</CompleteMultipartUpload>");
    lh_buf_puts(&q, "uploadId=");
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    s3_call c = {.op = "put", .method = "POST", .key = w->key, .query = q.data, .body = x.data, .body_len = x.len};
    int rc = perform(w->s, &c, err);
    if (!rc) {
        /* S3 may answer 200 and put the failure in the body. */
        lh_s3_error_doc d;
        lh_s3_xml_error(c.resp.data, c.resp.len, &d);
        char *root_etag = lh_s3_xml_text(c.resp.data, c.resp.len, "CompleteMultipartUploadResult");
        if (d.code[0] && !root_etag)
            rc = lh_err_set(err, LH_EIO, "s3_error", "bucket \"%s\": completing the upload of \"%s\" failed (S3 %s, "
                            "request id %s)", w->s->base.name, w->key, d.code,
                            d.request_id[0] ? d.request_id : c.request_id);
        free(root_etag);
    }
    call_free(&c);
    lh_buf_free(&x);
    lh_buf_free(&q);
    if (rc) return rc;
    /* Some servers (RGW) leave the ETag out of the answer: ask. */
    rc = s3_head(&w->s->base, w->key, info, err);
    return rc;
}

static int w_commit(lh_obj_writer *ow, lh_obj_info *info, lh_err *err)
{
    s3_writer *w = (s3_writer *)ow;
    int rc = w->failed;
    if (rc && err) *err = w->fail;
    if (!rc && !w->upload_id) {
        rc = w->create_only ? put_create_only(w->s, w->key, w->buf.data, w->buf.len, info, err)
                            : put_single(w->s, w->key, w->buf.data, w->buf.len, 0, info, err);
    } else if (!rc) {
        if (w->buf.len) rc = ship_part(w, w->buf.len, err);
        for (int i = 0; i < w->s->parallel; i++) join_job(w, &w->jobs[i]);
        if (!rc && w->failed) { rc = w->failed; if (err) *err = w->fail; }
        if (!rc) rc = complete_multipart(w, info, err);
        if (!rc) info->size = w->total;
    }
    if (rc && w->upload_id) abort_multipart(w);
    writer_free(w);
    return rc;
}

static void w_abort(lh_obj_writer *ow)
{
    s3_writer *w = (s3_writer *)ow;
    abort_multipart(w);
    writer_free(w);
}

static const lh_obj_writer_ops WRITER_OPS = {w_write, w_commit, w_abort};

static int s3_writer_open(lh_objstore *st, const char *key, int flags, lh_obj_writer **out, lh_err *err)
{
    (void)err;
    s3_writer *w = lh_xcalloc(1, sizeof *w);
    w->base.ops = &WRITER_OPS;
    w->s = S3(st);
    w->key = lh_xstrdup(key);
    w->create_only = (flags & LH_PUT_CREATE_ONLY) != 0;
    *out = &w->base;
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
    s3_store *s = S3(st);
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
    s3_call c = {.op = "list", .method = "GET", .query = q.data};
    int rc = perform(s, &c, err);
    int truncated = 0;
    char *next = NULL;
    if (!rc) rc = lh_s3_xml_list(c.resp.data, c.resp.len, out, &truncated, &next, err);
    if (!rc) {
        /* hide this backend's own objects */
        size_t k = 0;
        for (size_t i = 0; i < out->n_objects; i++) {
            if (!strncmp(out->objects[i].key, PRIVATE_PREFIX, strlen(PRIVATE_PREFIX))) free(out->objects[i].key);
            else out->objects[k++] = out->objects[i];
        }
        out->n_objects = k;
        k = 0;
        for (size_t i = 0; i < out->n_prefixes; i++) {
            if (!strcmp(out->prefixes[i], PRIVATE_PREFIX)) free(out->prefixes[i]);
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
    call_free(&c);
    lh_buf_free(&q);
    return rc;
}

/* ---- copy ---- */

static int s3_copy(lh_objstore *st, const char *src, const char *dst, lh_obj_info *info, lh_err *err)
{
    s3_store *s = S3(st);
    lh_buf from = LH_BUF_INIT;
    lh_buf_putc(&from, '/');
    lh_sigv4_uri_encode(&from, s->bucket, strlen(s->bucket), 0);
    lh_buf_putc(&from, '/');
    lh_sigv4_uri_encode(&from, src, strlen(src), 1);
    s3_call c = {.op = "copy", .method = "PUT", .key = dst};
    call_add_header(&c, "x-amz-copy-source", from.data);
    int rc = perform(s, &c, err);
    if (!rc) {
        lh_s3_error_doc d;
        lh_s3_xml_error(c.resp.data, c.resp.len, &d);
        if (d.code[0])
            rc = lh_err_set(err, LH_EIO, "s3_error", "bucket \"%s\": copying \"%s\" to \"%s\" failed (S3 %s, "
                            "request id %s)", s->base.name, src, dst, d.code, d.request_id);
    }
    if (rc == LH_ENOTFOUND)
        rc = lh_err_set(err, LH_ENOTFOUND, "object_not_found", "no object \"%s\" in bucket \"%s\"", src, s->base.name);
    call_free(&c);
    lh_buf_free(&from);
    if (!rc) rc = s3_head(st, dst, info, err);
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
    s3_store *s = S3(st);
    for (size_t i = 0; i < s->n_pool; i++) curl_easy_cleanup(s->pool[i]);
    free(s->pool);
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
    .writer_open = s3_writer_open,
    .head = s3_head,
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
    case CREATE_INM: return "if-none-match";
    case CREATE_LOCK: return "lock-object";
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
    pthread_once(&curl_once, curl_init_once);
    s3_store *s = lh_xcalloc(1, sizeof *s);
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
    atomic_init(&s->create_method, s->forced_lock ? CREATE_LOCK : CREATE_UNKNOWN);
    pthread_mutex_init(&s->pool_mu, NULL);
    if (!s->forced_lock) {
        lh_err e;
        int m = create_method(s, &e);
        if (m < 0)
            lh_warn("bucket %s: could not check conditional create at start (%s); will check on first commit",
                    s->base.name, e.msg);
    }
    *out = &s->base;
    return 0;
}

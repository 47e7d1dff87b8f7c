/* storage/s3_request.c — one S3 request, signed, sent and retried (see s3.c
 * for the backend as a whole).
 *
 * Every request is built here (URL, signed headers), signed with SigV4
 * over the SHA-256 of its body (bodies are always in memory: a small
 * object, one multipart part, or a small XML document), and sent on a curl
 * easy handle from the store's pool; handles go back to the pool and keep
 * their keep-alive connections. Retries, backoff and the mapping of
 * answers to lh_err live here too, so every operation gets the same rules.
 */
#include "storage/s3_internal.h"
#include "storage/sigv4.h"

#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <openssl/crypto.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BACKOFF_BASE_MS  100
#define BACKOFF_CAP_MS   5000

/* ---- connection pool ---- */

static CURL *pool_take(lh_s3_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    CURL *c = s->n_pool ? s->pool[--s->n_pool] : NULL;
    pthread_mutex_unlock(&s->pool_mu);
    if (!c) c = curl_easy_init();
    else curl_easy_reset(c);  /* keeps the connection cache */
    return c;
}

static void pool_give(lh_s3_store *s, CURL *c)
{
    pthread_mutex_lock(&s->pool_mu);
    if (s->n_pool == s->cap_pool) {
        s->cap_pool = s->cap_pool ? s->cap_pool * 2 : 8;
        s->pool = lh_xrealloc(s->pool, s->cap_pool * sizeof *s->pool);
    }
    s->pool[s->n_pool++] = c;
    pthread_mutex_unlock(&s->pool_mu);
}

void lh_s3_pool_close(lh_s3_store *s)
{
    for (size_t i = 0; i < s->n_pool; i++) curl_easy_cleanup(s->pool[i]);
    free(s->pool);
    s->pool = NULL;
    s->n_pool = s->cap_pool = 0;
}

/* ---- one request ---- */


void lh_s3_call_add_header(lh_s3_call *c, const char *name, const char *value)
{
    c->hdr_names[c->n_hdrs] = name;
    c->hdr_values[c->n_hdrs] = value;
    c->n_hdrs++;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    lh_s3_call *c = ud;
    lh_buf_append(&c->resp, p, sz * n);
    return sz * n;
}

static size_t on_upload(char *p, size_t sz, size_t n, void *ud)
{
    lh_s3_call *c = ud;
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
    lh_s3_call *c = ud;
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
    lh_s3_call *c = ud;
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

/* One HTTP exchange. Returns the CURLcode; fills c's response fields. */
static CURLcode attempt(lh_s3_store *s, lh_s3_call *c, char *curl_msg, size_t msgcap)
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
    int64_t tmo = s->timeout_ms;
    if (c->quick && tmo > LH_S3_PROBE_TIMEOUT_MS) tmo = LH_S3_PROBE_TIMEOUT_MS;
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)tmo);
    /* a stalled transfer (under 1 byte/s for the window) is a timeout; a
     * slow but moving one is not, so big parts never hit a fixed cap */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)((tmo + 999) / 1000));
    if (c->quick) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)tmo);  /* probes are tiny */
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
static void detail(char *out, size_t cap, const lh_s3_call *c, const lh_s3_error_doc *d)
{
    const char *rid = d->request_id[0] ? d->request_id : c->request_id;
    snprintf(out, cap, "S3 %s, HTTP %ld%s%s", d->code[0] ? d->code : "error", c->status,
             rid[0] ? ", request id " : "", rid);
}

/* Map a finished exchange to 0 or an lh_err. */
static int outcome(lh_s3_store *s, lh_s3_call *c, CURLcode cc, const char *curl_msg, int attempts, lh_err *err)
{
    const char *key = c->key ? c->key : "";
    if (cc != CURLE_OK) {
        int timeout = cc == CURLE_OPERATION_TIMEDOUT;
        return lh_err_set(err, timeout ? LH_ETIMEOUT : LH_EUNAVAIL, timeout ? "s3_timeout" : "bucket_unavailable",
                          "bucket \"%s\" is unavailable: %s of %s%s%s at %s failed after %d attempt%s: %s",
                          s->base.name, c->op, c->key ? "\"" : "the bucket", key, c->key ? "\"" : "",
                          s->endpoint, attempts, attempts == 1 ? "" : "s", curl_msg);
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
int lh_s3_perform(lh_s3_store *s, lh_s3_call *c, lh_err *err)
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
        if (!again || c->quick || attempts > s->max_retries) break;
        int64_t left = s->budget_ms - (lh_mono_us() - t0) / 1000;
        if (left <= 0) break;
        lh_debug("bucket %s: %s of %s: retrying (attempt %d, %s)", s->base.name, c->op, c->key ? c->key : "",
                 attempts, cc != CURLE_OK ? curl_msg : "server error");
        backoff_sleep(attempts - 1, left);
    }
    return outcome(s, c, cc, curl_msg, attempts, err);
}

void lh_s3_call_free(lh_s3_call *c) { lh_buf_free(&c->resp); }

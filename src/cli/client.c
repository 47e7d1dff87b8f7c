/* cli/client.c — HTTP requests from the CLI (see client.h). */
#include "cli/client.h"
#include "core/clock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *lh_client_url(const char *flag)
{
    if (flag && *flag) return flag;
    const char *env = getenv("LAKEHOUSE_URL");
    return env && *env ? env : "http://127.0.0.1:3100";
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    lh_buf_append(ud, p, size * n);
    return size * n;
}

void lh_progress_bar(const char *label, double done, double total, double rate, const char *unit)
{
    int width = 30, fill = total > 0 ? (int)(width * (done / total)) : 0;
    if (fill > width) fill = width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : ' ';
    bar[width] = '\0';
    if (total > 0)
        fprintf(stderr, "\r%s [%s] %3.0f%%  %.1f %s/s   ", label, bar, 100.0 * done / total, rate, unit);
    else
        fprintf(stderr, "\r%s %.0f %s  %.1f %s/s   ", label, done, unit, rate, unit);
    fflush(stderr);
}

typedef struct upload_ctx {
    const char *label;
    int64_t     t0;
    int64_t     last;
} upload_ctx;

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal; (void)dlnow;
    upload_ctx *c = ud;
    int64_t now = lh_mono_us();
    if (now - c->last < 200000 && ulnow != ultotal) return 0;
    c->last = now;
    double secs = (double)(now - c->t0) / 1e6;
    lh_progress_bar(c->label, (double)ulnow / 1e6, (double)ultotal / 1e6, secs > 0 ? (double)ulnow / 1e6 / secs : 0, "MB");
    return 0;
}

static int perform(CURL *h, lh_client_resp *resp, const char *base, lh_err *err)
{
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_COULDNT_CONNECT)
        return lh_err_set(err, LH_EUNAVAIL, "server_unreachable", "no server answers at %s", base);
    if (cc != CURLE_OK)
        return lh_err_set(err, LH_EIO, "http_failed", "request to %s failed: %s", base, curl_easy_strerror(cc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

int lh_client_request(const char *base, const char *method, const char *path, const char *content_type,
                      const char *body, size_t body_len, lh_client_resp *resp, lh_err *err)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = curl_easy_init();
    if (!h) return lh_err_set(err, LH_ENOMEM, "http_failed", "could not start an HTTP client");
    lh_buf url = LH_BUF_INIT;
    lh_buf_printf(&url, "%s%s", base, path);
    struct curl_slist *hdrs = NULL;
    if (content_type) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
    }
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    int rc = perform(h, resp, base, err);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    lh_buf_free(&url);
    return rc;
}

int lh_client_upload(const char *base, const char *path_and_query, const char *file, int progress,
                     lh_client_resp *resp, lh_err *err)
{
    memset(resp, 0, sizeof *resp);
    FILE *f = fopen(file, "rb");
    if (!f) return lh_err_set(err, LH_ENOTFOUND, "file_not_found", "cannot open %s", file);
    struct stat st;
    fstat(fileno(f), &st);
    CURL *h = curl_easy_init();
    lh_buf url = LH_BUF_INIT;
    lh_buf_printf(&url, "%s%s", base, path_and_query);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    upload_ctx pc = {file, lh_mono_us(), 0};
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READDATA, f);  /* libcurl's default reader is fread */
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &pc);
    }
    int rc = perform(h, resp, base, err);
    if (progress) fputc('\n', stderr);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    lh_buf_free(&url);
    fclose(f);
    return rc;
}

void lh_client_resp_free(lh_client_resp *r) { lh_buf_free(&r->body); }

int lh_client_error(const lh_client_resp *r, lh_err *err)
{
    json_t *j = r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    int status = r->status == 404 ? LH_ENOTFOUND : r->status == 409 ? LH_ECONFLICT : r->status == 403 ? LH_EPERM
               : r->status == 413 ? LH_ETOOBIG : r->status >= 500 ? LH_EIO : LH_EINVAL;
    int rc = lh_err_set(err, status, code ? code : "http_error", "%s (HTTP %ld)", msg ? msg : "request failed", r->status);
    json_decref(j);
    return rc;
}

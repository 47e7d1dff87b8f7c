/* ai/ollama.c — the Ollama provider: embeddings from an Ollama server over HTTP.
 *
 * Speaks Ollama's public API with libcurl: POST /api/embed
 * {"model", "input": [texts]} → {"embeddings": [[…]]} and GET /api/tags to
 * tell whether the model is there. Any server speaking that protocol works
 * — a lakehouse serves the built-in model the same way, which is how the
 * tests exercise this code against real vectors.
 *
 * Failure policy: a connection failure, a timeout or a 5xx is retried
 * (`retries` more times, 100 ms then 200 ms … apart) because Ollama loads
 * a model on first use and may briefly refuse; a 4xx is the caller's or
 * the configuration's mistake and is not. Errors say which profile, which
 * endpoint, and what to do: 503 ollama_unreachable, 504 ollama_timeout,
 * 503 ollama_error (with Ollama's own message), 503 dimension_mismatch
 * when the model's vectors are not the size the profile declares (storing
 * them would corrupt an index built for that size). Nothing is returned
 * unless every vector arrived and has the declared size.
 */
#include "ai/ollama_internal.h"

#include "core/buf.h"
#include "storage/curl_global.h"

#include <curl/curl.h>
#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RESPONSE ((size_t)512 << 20)

typedef struct sink {
    lh_buf b;
    int    too_big;
} sink;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sink *s = ud;
    if (s->b.len + sz * n > MAX_RESPONSE) {
        s->too_big = 1;
        return 0;
    }
    lh_buf_append(&s->b, p, sz * n);
    return sz * n;
}

/* One HTTP exchange with retries. Returns 0 with *status and body filled,
 * or a negative status with err filled (transport failures). */
static int exchange(const lh_ollama_cfg *c, const char *path, const char *post, long *status, lh_buf *body,
                    lh_err *err)
{
    int rc = lh_curl_global_init(err);
    if (rc) return rc;
    char url[2048];
    size_t el = strlen(c->endpoint);
    while (el && c->endpoint[el - 1] == '/') el--;
    snprintf(url, sizeof url, "%.*s%s", (int)el, c->endpoint, path);
    for (int attempt = 0; attempt <= c->retries; attempt++) {
        if (attempt) {
            struct timespec ts = {0, 100000000L << (attempt - 1 < 3 ? attempt - 1 : 3)};
            while (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            nanosleep(&ts, NULL);
        }
        CURL *h = curl_easy_init();
        if (!h) return lh_err_set(err, LH_ENOMEM, "ollama_error", "cannot start an HTTP client");
        sink s = {LH_BUF_INIT, 0};
        struct curl_slist *hdrs = NULL;
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout_ms < 5000 ? c->timeout_ms : 5000));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (post) {
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
        }
        CURLcode cc = curl_easy_perform(h);
        *status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        if (cc == CURLE_OK && *status < 500) {
            lh_buf_free(body);
            *body = s.b;
            return 0;
        }
        if (s.too_big) {
            lh_buf_free(&s.b);
            return lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (profile %s) sent more than %zu MB",
                              c->endpoint, c->profile, MAX_RESPONSE >> 20);
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            /* retries are for a server that refuses while it loads a model;
             * one that took the whole timeout would only take it again */
            lh_buf_free(&s.b);
            return lh_err_set(err, LH_ETIMEOUT, "ollama_timeout",
                              "Ollama at %s (profile %s) did not answer within %lld ms (ai.profiles.%s.timeout_ms)",
                              c->endpoint, c->profile, (long long)c->timeout_ms, c->profile);
        }
        if (cc != CURLE_OK)
            rc = lh_err_set(err, LH_EUNAVAIL, "ollama_unreachable",
                            "cannot reach Ollama at %s (profile %s): %s; is `ollama serve` running there? "
                            "(ai.profiles.%s.endpoint)", c->endpoint, c->profile, curl_easy_strerror(cc), c->profile);
        else
            rc = lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (profile %s) answered HTTP %ld: %.300s",
                            c->endpoint, c->profile, *status, s.b.data ? s.b.data : "");
        lh_buf_free(&s.b);
    }
    return rc;
}

/* Ollama's error bodies are {"error": "text"}. */
static const char *error_text(json_t *o)
{
    const char *t = json_string_value(json_object_get(o, "error"));
    return t ? t : "(no message)";
}

int lh_ollama_embed(const lh_ollama_cfg *c, const char *const *texts, size_t n, float *out, lh_err *err)
{
    if (n == 0) return 0;
    json_t *req = json_object(), *input = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_string(texts[i]);
        if (!t) {
            json_decref(input);
            json_decref(req);
            return lh_err_set(err, LH_EINVAL, "invalid_utf8", "texts[%zu] is not valid UTF-8", i);
        }
        json_array_append_new(input, t);
    }
    json_object_set_new(req, "model", json_string(c->model));
    json_object_set_new(req, "input", input);
    char *post = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!post) return lh_err_set(err, LH_EINVAL, "invalid_text", "texts could not be encoded as JSON (invalid UTF-8?)");
    long status = 0;
    lh_buf body = LH_BUF_INIT;
    int rc = exchange(c, "/api/embed", post, &status, &body, err);
    free(post);
    if (rc) return rc;
    json_error_t je;
    json_t *o = json_loadb(body.data ? body.data : "", body.len, 0, &je);
    lh_buf_free(&body);
    if (status != 200) {
        rc = lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (profile %s, model %s) answered HTTP %ld: %.300s",
                        c->endpoint, c->profile, c->model, status, o ? error_text(o) : "(not JSON)");
        json_decref(o);
        return rc;
    }
    json_t *emb = json_object_get(o, "embeddings");
    if (!o || !json_is_array(emb) || json_array_size(emb) != n) {
        json_decref(o);
        return lh_err_set(err, LH_EUNAVAIL, "ollama_error",
                          "Ollama at %s (profile %s) sent no \"embeddings\" array of %zu vectors", c->endpoint,
                          c->profile, n);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *v = json_array_get(emb, i);
        if (json_array_size(v) != (size_t)c->dims) {
            rc = lh_err_set(err, LH_EUNAVAIL, "dimension_mismatch",
                            "model %s at %s returned %zu-d vectors but profile %s declares %d "
                            "(fix ai.profiles.%s.dimensions, or use another model)", c->model, c->endpoint,
                            json_array_size(v), c->profile, c->dims, c->profile);
            break;
        }
        for (int k = 0; k < c->dims; k++) {
            json_t *x = json_array_get(v, (size_t)k);
            if (!json_is_number(x)) {
                rc = lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s sent a non-number in vector %zu",
                                c->endpoint, i);
                break;
            }
            out[i * (size_t)c->dims + (size_t)k] = (float)json_number_value(x);
        }
    }
    json_decref(o);
    return rc;
}

int lh_ollama_check(const lh_ollama_cfg *c, lh_err *err)
{
    lh_ollama_cfg quick = *c;
    if (quick.timeout_ms > 3000) quick.timeout_ms = 3000;  /* a status probe must not hang a listing */
    quick.retries = 0;
    long status = 0;
    lh_buf body = LH_BUF_INIT;
    int rc = exchange(&quick, "/api/tags", NULL, &status, &body, err);
    if (rc) return rc;
    json_t *o = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    lh_buf_free(&body);
    json_t *models = json_object_get(o, "models");
    if (status != 200 || !json_is_array(models)) {
        json_decref(o);
        return lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (profile %s) answered GET /api/tags with HTTP %ld",
                          c->endpoint, c->profile, status);
    }
    size_t ml = strlen(c->model);
    int found = 0;
    for (size_t i = 0; i < json_array_size(models) && !found; i++) {
        const char *nm = json_string_value(json_object_get(json_array_get(models, i), "name"));
        if (!nm) continue;
        found = !strcmp(nm, c->model) || (!strncmp(nm, c->model, ml) && !strcmp(nm + ml, ":latest"));
    }
    json_decref(o);
    if (!found)
        return lh_err_set(err, LH_EUNAVAIL, "ollama_model_missing",
                          "Ollama at %s has no model \"%s\" (profile %s): run `ollama pull %s` there", c->endpoint,
                          c->model, c->profile, c->model);
    return 0;
}

int lh_ollama_chat(const lh_ollama_cfg *c, const char *system, const char *user, char **answer, lh_err *err)
{
    *answer = NULL;
    json_t *req = json_pack("{s:s,s:b,s:[{s:s,s:s},{s:s,s:s}]}", "model", c->model, "stream", 0, "messages", "role",
                            "system", "content", system, "role", "user", "content", user);
    char *post = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!post) return lh_err_set(err, LH_EINVAL, "invalid_text", "the prompt could not be encoded as JSON (invalid UTF-8?)");
    long status = 0;
    lh_buf body = LH_BUF_INIT;
    int rc = exchange(c, "/api/chat", post, &status, &body, err);
    free(post);
    if (rc) return rc;
    json_t *o = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    lh_buf_free(&body);
    const char *text = json_string_value(json_object_get(json_object_get(o, "message"), "content"));
    if (status != 200)
        rc = lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (model %s) answered /api/chat with HTTP %ld: %.300s",
                        c->endpoint, c->model, status, o ? error_text(o) : "(not JSON)");
    else if (!text)
        rc = lh_err_set(err, LH_EUNAVAIL, "ollama_error", "Ollama at %s (model %s) sent no message.content", c->endpoint,
                        c->model);
    else
        *answer = lh_xstrdup(text);
    json_decref(o);
    return rc;
}

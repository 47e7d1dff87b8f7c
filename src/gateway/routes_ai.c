/* gateway/routes_ai.c — embedding over HTTP, ours and Ollama's shape.
 *
 *   POST /ai/embed        {texts, profile?} → vectors (our error shape)
 *   GET  /ai/profiles     the embedding profiles and whether each is ready
 *   GET  /ai/cache/stats  hits, misses, entries of the embedding cache
 *   POST /api/embed       Ollama's embed API served by the built-in model
 *   GET  /api/tags        Ollama's model list: the built-in model when present
 *
 * The /api routes speak Ollama's protocol exactly — including its error
 * shape, {"error": "text"} — so any Ollama client (and our own ollama
 * provider's tests) can use a lakehouse as its embedding server.
 *
 * Limits before any work: at most ai.max_texts texts and ai.max_text_bytes
 * per text (413 past either; JSON bodies are bounded by
 * server.max_body_bytes before we see them). Invalid UTF-8 never reaches
 * the model: the JSON parser refuses it with a 400.
 *
 * Vectors are written with %.9g, which round-trips every float exactly.
 */
#include "ai/ai.h"
#include "gateway/ai_bridge.h"
#include "gateway/app.h"
#include "gateway/routes.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The npm tarball's sha256: the exact model package the built-in model is. */
#define BUILTIN_DIGEST "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"

typedef struct texts {
    const char **v;
    size_t       n;
} texts;

/* Collect `val` (a string, or an array of strings) into t, each at most
 * ai.max_text_bytes; on failure fills err. Pointers stay owned by the JSON value. */
static int collect_texts(const lh_config *cfg, json_t *val, const char *field, texts *t, lh_err *err)
{
    t->v = NULL;
    t->n = 0;
    if (json_is_string(val)) {
        t->v = lh_xmalloc(sizeof *t->v);
        t->v[t->n++] = json_string_value(val);
    } else if (json_is_array(val)) {
        size_t n = json_array_size(val);
        if ((int64_t)n > cfg->ai_max_texts)
            return lh_err_set(err, LH_ETOOBIG, "too_many_texts",
                              "%zu texts in one request; at most %lld (ai.max_texts): send them in several requests",
                              n, (long long)cfg->ai_max_texts);
        t->v = lh_xmalloc((n ? n : 1) * sizeof *t->v);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(val, i);
            if (!json_is_string(e)) {
                free(t->v);
                t->v = NULL;
                return lh_err_set(err, LH_EINVAL, "invalid_parameter", "%s[%zu] must be a string", field, i);
            }
            t->v[t->n++] = json_string_value(e);
        }
    } else {
        return lh_err_set(err, LH_EINVAL, "invalid_parameter",
                          "%s is required: a string or an array of strings", field);
    }
    for (size_t i = 0; i < t->n; i++)
        if ((int64_t)strlen(t->v[i]) > cfg->ai_max_text_bytes) {
            size_t len = strlen(t->v[i]);
            free(t->v);
            t->v = NULL;
            return lh_err_set(err, LH_ETOOBIG, "text_too_long",
                              "%s[%zu] is %zu bytes; at most %lld (ai.max_text_bytes) — the built-in model reads "
                              "only the first 128 tokens anyway", field, i, len, (long long)cfg->ai_max_text_bytes);
        }
    return 0;
}

static void put_vectors(lh_buf *b, const float *v, size_t n, int dims)
{
    lh_buf_reserve(b, n * (size_t)dims * 13 + 16);
    lh_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        lh_buf_puts(b, i ? ",[" : "[");
        for (int k = 0; k < dims; k++) lh_buf_printf(b, k ? ",%.9g" : "%.9g", (double)v[i * (size_t)dims + k]);
        lh_buf_putc(b, ']');
    }
    lh_buf_putc(b, ']');
}

/* The texts of `input` (see collect_texts) embedded with profile p into
 * *vec (t->n x p->dims; the caller frees t->v and *vec, also on error). */
static int embed_texts(lh_app *app, const lh_ai_profile *p, json_t *input, const char *field, texts *t, float **vec,
                       lh_err *e)
{
    *vec = NULL;
    int rc = collect_texts(app->cfg, input, field, t, e);
    if (rc) return rc;
    *vec = lh_xmalloc((t->n ? t->n : 1) * (size_t)p->dims * sizeof **vec);
    return lh_ai_embed(app->ai, p, t->v, t->n, *vec, e);
}

/* `fields` (a JSON object, consumed) written as the start of an object
 * whose last member is "embeddings", left open for put_vectors. Encoded
 * by jansson, so names and models from the configuration are escaped. */
static void put_head(lh_buf *b, json_t *fields)
{
    char *s = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n = strlen(s);
    lh_buf_append(b, s, n - 1);  /* without the closing brace */
    lh_buf_puts(b, n > 2 ? ",\"embeddings\":" : "\"embeddings\":");
    free(s);
    json_decref(fields);
}

static int post_ai_embed(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    lh_app *app = req->app;
    lh_err e = {0};
    texts t = {0};
    static const char *const allowed[] = {"texts", "profile", NULL};
    if (lh_body_known(body, allowed, resp)) {
        json_decref(body);
        return 0;
    }
    json_t *prof = json_object_get(body, "profile");
    const lh_ai_profile *p = NULL;
    int rc = 0;
    if (prof && !json_is_string(prof) && !json_is_null(prof))
        rc = lh_err_set(&e, LH_EINVAL, "invalid_parameter", "profile must be a string");
    if (!rc && !(p = lh_ai_profile_find(app->ai, json_string_value(prof), &e))) rc = e.status;
    float *vec = NULL;
    if (!rc) rc = embed_texts(app, p, json_object_get(body, "texts"), "texts", &t, &vec, &e);
    if (rc) {
        free(vec);
        free(t.v);
        json_decref(body);
        return lh_resp_error(resp, &e);
    }
    lh_buf b = LH_BUF_INIT;
    put_head(&b, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I}", "profile", p->name, "provider", p->provider, "model",
                           p->model, "version", p->version, "dimensions", p->dims, "count", (json_int_t)t.n));
    put_vectors(&b, vec, t.n, p->dims);
    lh_buf_puts(&b, "}\n");
    lh_resp_text(resp, 200, "application/json", b.data, b.len);
    lh_buf_free(&b);
    free(vec);
    free(t.v);
    json_decref(body);
    return 0;
}

static int get_ai_profiles(lh_req *req, lh_resp *resp)
{
    lh_ai *ai = req->app->ai;
    json_t *arr = json_array();
    for (size_t i = 0; i < lh_ai_profile_count(ai); i++) {
        const lh_ai_profile *p = lh_ai_profile_at(ai, i);
        lh_err e = {0};
        int ready = lh_ai_profile_ready(ai, p, &e) == 0;
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:b}", "name", p->name, "provider", p->provider, "model",
                              p->model, "version", p->version, "dimensions", p->dims, "default",
                              strcmp(p->name, LH_AI_DEFAULT_PROFILE) == 0, "ready", ready);
        if (!strcmp(p->provider, "builtin")) json_object_set_new(o, "model_dir", json_string(lh_ai_model_dir(ai)));
        if (p->endpoint) json_object_set_new(o, "endpoint", json_string(p->endpoint));
        if (!ready) json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code", e.code, "message", e.msg));
        json_array_append_new(arr, o);
    }
    return lh_resp_json(resp, 200, json_pack("{s:o}", "profiles", arr));
}

static int get_ai_cache_stats(lh_req *req, lh_resp *resp)
{
    lh_ai_cache_stats st;
    lh_ai_cache_stats_get(req->app->ai, &st);
    uint64_t looked = st.hits + st.misses;
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:f}", "hits", (json_int_t)st.hits, "misses",
                          (json_int_t)st.misses, "evictions", (json_int_t)st.evictions, "entries",
                          (json_int_t)st.entries, "capacity", (json_int_t)st.capacity, "hit_ratio",
                          looked ? (double)st.hits / (double)looked : 0.0);
    return lh_resp_json(resp, 200, o);
}

/* ---- Ollama's API ---- */

static int ollama_error(lh_resp *resp, int status, const char *msg)
{
    return lh_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

/* Names an Ollama client may use for the built-in model. */
static int is_builtin_name(const char *m)
{
    return m && (!strcmp(m, "use-lite") || !strcmp(m, "use-lite:0.2.0") || !strcmp(m, "use-lite:latest") ||
                 !strcmp(m, "builtin"));
}

static int post_api_embed(lh_req *req, lh_resp *resp)
{
    int64_t t0 = lh_mono_us();
    lh_err e = {0};
    json_t *body;
    lh_resp tmp = {0};
    if (lh_req_json(req, &tmp, &body)) {  /* re-shape our 400 as Ollama's */
        lh_buf_free(&tmp.body);
        return ollama_error(resp, 400, "invalid JSON in the request body");
    }
    lh_app *app = req->app;
    const char *model = json_string_value(json_object_get(body, "model"));
    json_t *input = json_object_get(body, "input");
    int rc = 0;
    if (!model) rc = lh_err_set(&e, LH_EINVAL, "invalid_parameter", "model is required");
    else if (!is_builtin_name(model))
        rc = lh_err_set(&e, LH_ENOTFOUND, "model_not_found",
                        "model \"%.200s\" not found; this server has use-lite:0.2.0", model);
    texts t = {0};
    const lh_ai_profile *p = rc ? NULL : lh_ai_profile_find(app->ai, LH_AI_DEFAULT_PROFILE, &e);
    if (!rc && !p) rc = e.status;
    float *vec = NULL;
    if (!rc) rc = embed_texts(app, p, input, "input", &t, &vec, &e);
    if (rc) {
        free(vec);
        free(t.v);
        json_decref(body);
        return ollama_error(resp, lh_err_http_status(rc), e.msg);
    }
    lh_buf b = LH_BUF_INIT;
    put_head(&b, json_pack("{s:s}", "model", model));
    put_vectors(&b, vec, t.n, p->dims);
    lh_buf_printf(&b, ",\"total_duration\":%lld,\"load_duration\":0}\n", (long long)(lh_mono_us() - t0) * 1000);
    lh_resp_text(resp, 200, "application/json", b.data, b.len);
    lh_buf_free(&b);
    free(vec);
    free(t.v);
    json_decref(body);
    return 0;
}

static int get_api_tags(lh_req *req, lh_resp *resp)
{
    lh_ai *ai = req->app->ai;
    json_t *models = json_array();
    const lh_ai_profile *p = lh_ai_profile_find(ai, LH_AI_DEFAULT_PROFILE, NULL);
    if (p && lh_ai_profile_ready(ai, p, NULL) == 0) {
        char path[4200], when[64] = "";
        snprintf(path, sizeof path, "%s/model.json", lh_ai_model_dir(ai));
        struct stat st;
        if (stat(path, &st) == 0) {
            struct tm tm;
            gmtime_r(&st.st_mtime, &tm);
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        /* Two tags of one model, as Ollama lists them: "use-lite" means "use-lite:latest". */
        static const char *const names[] = {"use-lite:latest", "use-lite:0.2.0"};
        for (int i = 0; i < 2; i++)
            json_array_append_new(
                models, json_pack("{s:s,s:s,s:s,s:I,s:s,s:{s:s,s:s,s:s,s:[s],s:s,s:s}}", "name", names[i], "model",
                                  names[i], "modified_at", when, "size", (json_int_t)27903656, "digest",
                                  BUILTIN_DIGEST, "details", "parent_model", "", "format", "tfjs", "family", "use",
                                  "families", "use", "parameter_size", "7M", "quantization_level", "F32"));
    }
    return lh_resp_json(resp, 200, json_pack("{s:o}", "models", models));
}

/* POST /ai/ask {question, index, k, filter} */
static int post_ai_ask(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"question", "index", "k", "filter", NULL};
    lh_ai_ask_req ar = {0};
    if (lh_body_known(body, known, resp) || lh_body_str(body, "question", &ar.question, resp) ||
        lh_body_str(body, "index", &ar.index, resp) || lh_body_int(body, "k", 5, 1, 50, &ar.k, resp) ||
        lh_body_str(body, "filter", &ar.filter, resp)) {
        json_decref(body);
        return 0;
    }
    json_t *out;
    lh_err e;
    if (!ar.question || !ar.index)
        lh_resp_errorf(resp, 400, "missing_parameter", "question and index are required");
    else if ((int64_t)strlen(ar.question) > req->app->cfg->ai_max_text_bytes)
        lh_resp_errorf(resp, 413, "text_too_long", "the question is longer than ai.max_text_bytes");
    else if (lh_ai_ask(req->app->ai, &ar, lh_ai_bridge_retriever(), req->app->vectors, &out, &e))
        lh_resp_error(resp, &e);
    else
        lh_resp_json(resp, 200, out);
    json_decref(body);
    return 0;
}

const lh_route lh_routes_ai[] = {
    {"POST", "/ai/ask", post_ai_ask, NULL, NULL, NULL},
    {"POST", "/ai/embed", post_ai_embed, NULL, NULL, NULL},
    {"GET", "/ai/profiles", get_ai_profiles, NULL, NULL, NULL},
    {"GET", "/ai/cache/stats", get_ai_cache_stats, NULL, NULL, NULL},
    {"POST", "/api/embed", post_api_embed, NULL, NULL, NULL},
    {"GET", "/api/tags", get_api_tags, NULL, NULL, NULL},
};
const size_t lh_routes_ai_n = sizeof lh_routes_ai / sizeof lh_routes_ai[0];

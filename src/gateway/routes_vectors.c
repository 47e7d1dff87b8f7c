/* gateway/routes_vectors.c — the /vectors routes: indexes, generations,
 * search, and the HNSW trial system (ADR-008, ADR-014). Parsing and
 * encoding only; vector/service.h does the work. */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "vector/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "hnsw": {m, ef_construction, ef_search, sq8} over the defaults. */
static int hnsw_field(json_t *body, lh_hnsw_params *p, lh_resp *resp)
{
    *p = lh_hnsw_params_default();
    json_t *h = json_object_get(body, "hnsw");
    if (!h || json_is_null(h)) return 0;
    if (!json_is_object(h)) return lh_resp_errorf(resp, 400, "invalid_parameter", "hnsw must be an object"), -1;
    static const char *const known[] = {"m", "ef_construction", "ef_search", "sq8", NULL};
    if (lh_body_known(h, known, resp)) return -1;
    if (lh_body_int(h, "m", p->m, 2, 128, &p->m, resp) ||
        lh_body_int(h, "ef_construction", p->ef_construction, 1, 4096, &p->ef_construction, resp) ||
        lh_body_int(h, "ef_search", p->ef_search, 1, 4096, &p->ef_search, resp))
        return -1;
    json_t *sq = json_object_get(h, "sq8");
    if (sq && !json_is_boolean(sq)) return lh_resp_errorf(resp, 400, "invalid_parameter", "hnsw.sq8 must be a boolean"), -1;
    if (sq) p->sq8 = json_is_true(sq);
    return 0;
}

/* A JSON array of numbers into floats; *dim checked or set. */
static int vector_of(json_t *a, uint32_t *dim, float *out_or_null, const char *what, size_t row, lh_resp *resp)
{
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > LH_EMBEDDING_MAX_DIM) {
        lh_resp_errorf(resp, 400, "invalid_vector", "%s %zu must be a non-empty array of at most %d numbers", what, row,
                       LH_EMBEDDING_MAX_DIM);
        return -1;
    }
    if (*dim && json_array_size(a) != *dim) {
        lh_resp_errorf(resp, 400, "dimension_mismatch", "%s %zu has %zu numbers, the first had %u", what, row,
                       json_array_size(a), *dim);
        return -1;
    }
    *dim = (uint32_t)json_array_size(a);
    if (!out_or_null) return 0;
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        double d = json_number_value(x);
        if (!json_is_number(x) || !isfinite(d) || fabs(d) > 3.0e38) {
            lh_resp_errorf(resp, 400, "invalid_vector", "%s %zu: element %zu is not a finite number", what, row, i);
            return -1;
        }
        out_or_null[i] = (float)d;
    }
    return 0;
}

static int model_fields(json_t *body, lh_vindex_spec *s, lh_resp *resp)
{
    json_t *m = json_object_get(body, "model");
    if (!m || json_is_null(m)) return 0;
    if (json_is_string(m)) {
        s->model = json_string_value(m);
        return 0;
    }
    if (!json_is_object(m) || !json_is_string(json_object_get(m, "name")))
        return lh_resp_errorf(resp, 400, "invalid_parameter", "model must be a name or {\"name\", \"version\"}"), -1;
    s->model = json_string_value(json_object_get(m, "name"));
    json_t *ver = json_object_get(m, "version");
    if (ver && !json_is_string(ver))
        return lh_resp_errorf(resp, 400, "invalid_parameter", "model.version must be a string"), -1;
    s->model_version = json_string_value(ver);
    return 0;
}

/* "text_columns": [...], "chunking": {"size", "overlap"} */
static int text_fields(json_t *body, lh_vindex_spec *s, const char **cols, lh_resp *resp)
{
    json_t *tc = json_object_get(body, "text_columns"), *ch = json_object_get(body, "chunking");
    s->chunk_size = 96;
    s->chunk_overlap = 16;
    if (ch && !json_is_null(ch)) {
        static const char *const known[] = {"size", "overlap", NULL};
        if (!json_is_object(ch)) return lh_resp_errorf(resp, 400, "invalid_parameter", "chunking must be an object"), -1;
        if (lh_body_known(ch, known, resp) || lh_body_int(ch, "size", 96, 1, 100000, &s->chunk_size, resp) ||
            lh_body_int(ch, "overlap", s->chunk_size > 16 ? 16 : 0, 0, 99999, &s->chunk_overlap, resp))
            return -1;
        if (s->chunk_overlap >= s->chunk_size)
            return lh_resp_errorf(resp, 400, "invalid_parameter", "chunking.overlap must be smaller than chunking.size"), -1;
    }
    if (!tc || json_is_null(tc)) return 0;
    if (!json_is_array(tc) || !json_array_size(tc) || json_array_size(tc) > 64)
        return lh_resp_errorf(resp, 400, "invalid_parameter", "text_columns must be an array of 1..64 column names"), -1;
    size_t i;
    json_t *x;
    json_array_foreach(tc, i, x) {
        if (!json_is_string(x) || !json_string_length(x))
            return lh_resp_errorf(resp, 400, "invalid_parameter", "text_columns[%zu] must be a column name", i), -1;
        cols[i] = json_string_value(x);
    }
    s->text_columns = cols;
    s->n_text_columns = json_array_size(tc);
    return 0;
}

static int post_indexes(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"name", "metric", "ids", "vectors", "hnsw", "model", "dataset",
                                        "vector_column", "id_column", "text_columns", "chunking", "profile", NULL};
    const char *cols[64];
    lh_vindex_spec s = {0};
    const char *metric = NULL;
    float *vecs = NULL;
    char **ids = NULL;
    size_t n = 0;
    lh_err e;
    if (lh_body_known(body, known, resp) || lh_body_str(body, "name", &s.name, resp) ||
        lh_body_str(body, "metric", &metric, resp) || lh_body_str(body, "dataset", &s.dataset, resp) ||
        lh_body_str(body, "vector_column", &s.vector_column, resp) || lh_body_str(body, "id_column", &s.id_column, resp) ||
        hnsw_field(body, &s.hnsw, resp) || model_fields(body, &s, resp) || lh_body_str(body, "profile", &s.profile, resp) ||
        text_fields(body, &s, cols, resp))
        goto done;
    if (!s.name) { lh_resp_errorf(resp, 400, "missing_parameter", "name is required"); goto done; }
    if (lh_metric_parse(metric ? metric : "cosine", &s.metric, &e)) { lh_resp_error(resp, &e); goto done; }
    json_t *jv = json_object_get(body, "vectors"), *jids = json_object_get(body, "ids");
    if (s.dataset) {
        if (jv || jids) {
            lh_resp_errorf(resp, 400, "invalid_source", "give either dataset (with vector_column, id_column) or vectors");
            goto done;
        }
        char job[33], url[64];
        if (lh_vectors_create_from_dataset(req->app->vectors, &s, job, &e)) { lh_resp_error(resp, &e); goto done; }
        snprintf(url, sizeof url, "/jobs/%s", job);
        lh_resp_header(resp, "Location", url);
        lh_resp_json(resp, 202, json_pack("{s:s,s:s,s:s}", "job_id", job, "status_url", url, "index", s.name));
        goto done;
    }
    if (!json_is_array(jv) || json_array_size(jv) == 0) {
        lh_resp_errorf(resp, 400, "missing_parameter", "vectors (a non-empty array of arrays) or dataset is required");
        goto done;
    }
    n = json_array_size(jv);
    if (jids && (!json_is_array(jids) || json_array_size(jids) != n)) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "ids must be an array with one id per vector (%zu)", n);
        goto done;
    }
    uint32_t dim = 0;
    if (vector_of(json_array_get(jv, 0), &dim, NULL, "vector", 0, resp)) goto done;
    vecs = lh_xmalloc(n * dim * sizeof *vecs);
    ids = lh_xcalloc(n, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        if (vector_of(json_array_get(jv, i), &dim, vecs + i * dim, "vector", i, resp)) goto done;
        json_t *id = jids ? json_array_get(jids, i) : NULL;
        char tmp[32];
        if (!id) {
            snprintf(tmp, sizeof tmp, "%zu", i);
            ids[i] = lh_xstrdup(tmp);
        } else if (json_is_string(id) && json_string_length(id)) {
            ids[i] = lh_xstrdup(json_string_value(id));
        } else if (json_is_integer(id)) {
            snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(id));
            ids[i] = lh_xstrdup(tmp);
        } else {
            lh_resp_errorf(resp, 400, "invalid_parameter", "ids[%zu] must be a non-empty string or an integer", i);
            goto done;
        }
    }
    s.n = n;
    s.dim = dim;
    s.ids = (const char *const *)ids;
    s.vectors = vecs;
    json_t *doc;
    if (lh_vectors_create(req->app->vectors, &s, &doc, &e)) lh_resp_error(resp, &e);
    else lh_resp_json(resp, 201, doc);
done:
    if (ids)
        for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
    free(vecs);
    json_decref(body);
    return 0;
}

static int get_indexes(lh_req *req, lh_resp *resp)
{
    json_t *l = lh_vectors_list(req->app->vectors);
    return lh_resp_json(resp, 200, json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(l), "indexes", l));
}

static int get_index(lh_req *req, lh_resp *resp)
{
    lh_err e;
    json_t *doc;
    if (lh_vectors_get(req->app->vectors, lh_req_param(req, "name"), &doc, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, doc);
}

static int delete_index(lh_req *req, lh_resp *resp)
{
    lh_err e;
    if (lh_vectors_delete(req->app->vectors, lh_req_param(req, "name"), &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, json_pack("{s:s,s:b}", "index", lh_req_param(req, "name"), "deleted", 1));
}

static int post_search(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"vector", "query", "k", "ef", "filter", "exact", "rows", NULL};
    lh_vsearch q = {.rows = -1};
    float *vec = NULL;
    if (lh_body_known(body, known, resp) ||
        lh_body_int(body, "k", 10, 1, 1000, &q.k, resp) || lh_body_int(body, "ef", 0, 1, 4096, &q.ef, resp) ||
        lh_body_str(body, "filter", &q.filter, resp))
        goto done;
    json_t *ex = json_object_get(body, "exact");
    if (ex && !json_is_boolean(ex)) { lh_resp_errorf(resp, 400, "invalid_parameter", "exact must be a boolean"); goto done; }
    q.exact = ex && json_is_true(ex);
    json_t *rows = json_object_get(body, "rows");
    if (rows && !json_is_boolean(rows)) { lh_resp_errorf(resp, 400, "invalid_parameter", "rows must be a boolean"); goto done; }
    if (rows) q.rows = json_is_true(rows);
    json_t *jv = json_object_get(body, "vector"), *jq = json_object_get(body, "query");
    if (!jv == !jq) { lh_resp_errorf(resp, 400, "missing_parameter", "give exactly one of vector or query"); goto done; }
    if (jq) {
        if (!json_is_string(jq)) { lh_resp_errorf(resp, 400, "invalid_parameter", "query must be a string"); goto done; }
        q.query = json_string_value(jq);
    } else {
        uint32_t dim = 0;
        if (vector_of(jv, &dim, NULL, "vector", 0, resp)) goto done;
        vec = lh_xmalloc(dim * sizeof *vec);
        if (vector_of(jv, &dim, vec, "vector", 0, resp)) goto done;
        q.vector = vec;
        q.dim = dim;
    }
    lh_err e;
    json_t *out;
    if (lh_vectors_search(req->app->vectors, lh_req_param(req, "name"), &q, &out, &e)) lh_resp_error(resp, &e);
    else lh_resp_json(resp, 200, out);
done:
    free(vec);
    json_decref(body);
    return 0;
}

static int post_generations(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"hnsw", "activate", "profile", NULL};
    lh_hnsw_params p;
    const char *profile = NULL;
    if (lh_body_known(body, known, resp) || hnsw_field(body, &p, resp) || lh_body_str(body, "profile", &profile, resp))
        goto done;
    json_t *act = json_object_get(body, "activate");
    if (act && !json_is_boolean(act)) { lh_resp_errorf(resp, 400, "invalid_parameter", "activate must be a boolean"); goto done; }
    char job[33], url[64];
    lh_err e;
    const char *name = lh_req_param(req, "name");
    if (lh_vectors_rebuild(req->app->vectors, name, &p, profile, !act || json_is_true(act), job, &e)) {
        lh_resp_error(resp, &e);
        goto done;
    }
    snprintf(url, sizeof url, "/jobs/%s", job);
    lh_resp_header(resp, "Location", url);
    lh_resp_json(resp, 202, json_pack("{s:s,s:s,s:s}", "job_id", job, "status_url", url, "index", name));
done:
    json_decref(body);
    return 0;
}

static int post_activate(lh_req *req, lh_resp *resp)
{
    const char *g = lh_req_param(req, "generation");
    char *end = NULL;
    long long gen = strtoll(g, &end, 10);
    if (!*g || *end || gen <= 0)
        return lh_resp_errorf(resp, 400, "invalid_parameter", "generation must be a positive integer, not \"%.40s\"", g);
    lh_err e;
    json_t *doc;
    if (lh_vectors_activate(req->app->vectors, lh_req_param(req, "name"), gen, &doc, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, doc);
}

/* ---- trials ---- */

static int post_autogen(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"index", "queries", "k", "seed", NULL};
    const char *index;
    int nq, k, seed;
    if (lh_body_known(body, known, resp) || lh_body_str(body, "index", &index, resp) ||
        lh_body_int(body, "queries", 100, 1, 10000, &nq, resp) || lh_body_int(body, "k", 10, 1, 1000, &k, resp) ||
        lh_body_int(body, "seed", 42, 0, 2147483647, &seed, resp))
        goto done;
    if (!index) { lh_resp_errorf(resp, 400, "missing_parameter", "index is required"); goto done; }
    lh_err e;
    json_t *out;
    if (lh_vectors_eval_autogen(req->app->vectors, lh_req_param(req, "name"), index, nq, k, (uint64_t)seed, &out, &e))
        lh_resp_error(resp, &e);
    else lh_resp_json(resp, 201, out);
done:
    json_decref(body);
    return 0;
}

static int post_trial(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"index", "eval", "hnsw", "ef_search", NULL};
    lh_vtrial_req t = {0};
    int efs[64];
    if (lh_body_known(body, known, resp) || lh_body_str(body, "index", &t.index, resp) ||
        lh_body_str(body, "eval", &t.eval, resp) || hnsw_field(body, &t.hnsw, resp))
        goto done;
    if (!t.index || !t.eval) { lh_resp_errorf(resp, 400, "missing_parameter", "index and eval are required"); goto done; }
    json_t *ef = json_object_get(body, "ef_search");
    if (ef) {
        if (!json_is_array(ef) || !json_array_size(ef) || json_array_size(ef) > 64) {
            lh_resp_errorf(resp, 400, "invalid_parameter", "ef_search must be an array of 1..64 integers");
            goto done;
        }
        size_t i;
        json_t *x;
        json_array_foreach(ef, i, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 4096) {
                lh_resp_errorf(resp, 400, "invalid_parameter", "ef_search values must be integers in 1..4096");
                goto done;
            }
            efs[i] = (int)json_integer_value(x);
        }
        t.n_ef = json_array_size(ef);
    } else {
        static const int def[] = {10, 20, 40, 80, 160};
        memcpy(efs, def, sizeof def);
        t.n_ef = 5;
    }
    t.ef_search = efs;
    char job[33], url[64];
    lh_err e;
    if (lh_vectors_trial(req->app->vectors, &t, job, &e)) { lh_resp_error(resp, &e); goto done; }
    snprintf(url, sizeof url, "/jobs/%s", job);
    lh_resp_header(resp, "Location", url);
    lh_resp_json(resp, 202, json_pack("{s:s,s:s}", "job_id", job, "status_url", url));
done:
    json_decref(body);
    return 0;
}

static int get_trials(lh_req *req, lh_resp *resp)
{
    lh_err e;
    json_t *out;
    if (lh_vectors_trials(req->app->vectors, lh_req_param(req, "index"), &out, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, out);
}

static int get_trial_best(lh_req *req, lh_resp *resp)
{
    const char *r = lh_req_query(req, "recall");
    double target = 0.95;
    if (r) {
        char *end = NULL;
        target = strtod(r, &end);
        if (!*r || *end || !(target > 0 && target <= 1))
            return lh_resp_errorf(resp, 400, "invalid_parameter", "recall must be a number in (0, 1]");
    }
    lh_err e;
    json_t *out;
    if (lh_vectors_trial_best(req->app->vectors, lh_req_param(req, "index"), target, &out, &e))
        return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, out);
}

static int get_cache_stats(lh_req *req, lh_resp *resp)
{
    return lh_resp_json(resp, 200, lh_vectors_cache_stats(req->app->vectors));
}

const lh_route lh_routes_vectors[] = {
    {"POST", "/vectors/indexes", post_indexes, NULL, NULL, NULL},
    {"GET", "/vectors/indexes", get_indexes, NULL, NULL, NULL},
    {"GET", "/vectors/indexes/{name}", get_index, NULL, NULL, NULL},
    {"DELETE", "/vectors/indexes/{name}", delete_index, NULL, NULL, NULL},
    {"POST", "/vectors/indexes/{name}/search", post_search, NULL, NULL, NULL},
    {"POST", "/vectors/indexes/{name}/generations", post_generations, NULL, NULL, NULL},
    {"POST", "/vectors/indexes/{name}/activate/{generation}", post_activate, NULL, NULL, NULL},
    {"POST", "/vectors/hnsw/evals/{name}/autogen", post_autogen, NULL, NULL, NULL},
    {"POST", "/vectors/hnsw/trial", post_trial, NULL, NULL, NULL},
    {"GET", "/vectors/hnsw/trials/{index}", get_trials, NULL, NULL, NULL},
    {"GET", "/vectors/hnsw/trials/{index}/best", get_trial_best, NULL, NULL, NULL},
    {"GET", "/vectors/hnsw/cache/stats", get_cache_stats, NULL, NULL, NULL},
};
const size_t lh_routes_vectors_n = sizeof lh_routes_vectors / sizeof lh_routes_vectors[0];

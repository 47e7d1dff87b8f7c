/* vector/trials.c — the HNSW trial system (the seed's milestone).
 *
 * An eval set is a sample of query vectors with their exact top-k ids,
 * computed by brute force, stored at _vectors/_evals/{name}.json. A trial
 * builds a throw-away graph over an index's vectors with the parameters
 * under test, then runs every eval query at each ef_search, and records
 * build time, memory, recall@1, recall@10 and latency p50/p99 as one event
 * in the trial journal (the append log under _vectors/_trials/). "Best"
 * is the lowest p50 among the points that meet a recall@10 target.
 *
 * Queries are stored vectors plus gaussian noise (a quarter of the
 * vector's RMS per component), so no query is its own answer and recall
 * measures the graph, not an exact match.
 */
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "storage/objstore.h"
#include "vector/service_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static double gauss(uint64_t *s)
{
    double u1 = ((double)(xorshift(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(xorshift(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void eval_key(lh_buf *out, const char *name)
{
    lh_buf_printf(out, "%s_evals/%s.json", LH_VECTORS_PREFIX, name);
}

int lh_vectors_eval_autogen(lh_vectors *v, const char *eval, const char *index, int n, int k, uint64_t seed,
                            json_t **out, lh_err *err)
{
    *out = NULL;
    lh_err ne;
    if (lh_dataset_name_validate(eval, &ne))
        return lh_err_set(err, LH_EINVAL, "invalid_eval_name",
                          "eval set name \"%.80s\" is invalid: lower-case letters, digits and '_', starting with a letter",
                          eval);
    lh_vidx *ix = lh__vidx_find(v, index, err);
    if (!ix) return err->status;
    lh_vgen *g = NULL;
    int rc = lh__vidx_active(v, ix, &g, err);
    if (rc) return rc;
    size_t dim = lh_hnsw_dim(g->h), live = g->n - lh_hnsw_deleted(g->h);
    if (live == 0) {
        lh__vgen_unref(g);
        return lh_err_set(err, LH_EINVAL, "empty_index", "index %s holds no vectors to sample", index);
    }
    if (k > (int)live) k = (int)live;
    uint64_t s = seed * 2654435761ULL + 0x9E3779B97F4A7C15ULL;
    float *q = lh_xmalloc(dim * sizeof *q);
    lh_vhit *hits = lh_xcalloc((size_t)k, sizeof *hits);
    json_t *queries = json_array(), *truth = json_array();
    lh_metric m = lh_hnsw_metric(g->h);
    for (int i = 0; i < n && !rc; i++) {
        uint32_t l;
        do l = (uint32_t)(xorshift(&s) % g->n);
        while (lh_hnsw_is_deleted(g->h, l));
        const float *x = lh_hnsw_vector(g->h, l);
        double ss = 0;
        for (size_t d = 0; d < dim; d++) ss += (double)x[d] * x[d];
        double sigma = 0.25 * sqrt(ss / (double)dim);
        json_t *qa = json_array();
        for (size_t d = 0; d < dim; d++) {
            q[d] = x[d] + (float)(sigma * gauss(&s));
            json_array_append_new(qa, json_real(q[d]));
        }
        if (m == LH_METRIC_COSINE) lh_vec_normalize(q, dim);
        int got = 0;
        rc = lh_hnsw_search_exact(g->h, q, k, NULL, hits, &got, err);
        json_t *ta = json_array();
        for (int j = 0; j < got; j++) json_array_append_new(ta, json_string(g->ids[hits[j].label]));
        json_array_append_new(queries, qa);
        json_array_append_new(truth, ta);
    }
    char at[40];
    lh_time_format_us(lh_now_us(), at, sizeof at);
    json_t *doc = json_pack("{s:s,s:s,s:I,s:i,s:i,s:i,s:I,s:s,s:o,s:o}", "name", eval, "index", index, "generation",
                            (json_int_t)g->generation, "k", k, "queries_count", n, "dimensions", (int)dim, "seed",
                            (json_int_t)seed, "created_at", at, "queries", queries, "truth", truth);
    if (!rc) {
        char *text = json_dumps(doc, JSON_COMPACT);
        lh_buf key = LH_BUF_INIT;
        eval_key(&key, eval);
        rc = lh_objstore_put(v->store, key.data, text, strlen(text), 0, NULL, err);
        lh_buf_free(&key);
        free(text);
    }
    if (!rc) {
        json_object_del(doc, "queries");
        json_object_del(doc, "truth");
        *out = doc;
    } else {
        json_decref(doc);
    }
    free(q);
    free(hits);
    lh__vgen_unref(g);
    return rc;
}

static int load_eval(lh_vectors *v, const char *eval, json_t **out, lh_err *err)
{
    lh_buf key = LH_BUF_INIT, body = LH_BUF_INIT;
    eval_key(&key, eval);
    int rc = lh_objstore_get_buf(v->store, key.data, LH_RANGE_ALL, &body, NULL, err);
    if (rc == LH_ENOTFOUND)
        rc = lh_err_set(err, LH_ENOTFOUND, "eval_not_found", "no eval set named \"%s\" (create it with autogen)", eval);
    if (!rc) {
        json_error_t je;
        *out = json_loadb(body.data, body.len, 0, &je);
        if (!*out) rc = lh_err_set(err, LH_EIO, "eval_corrupt", "eval set %s is not valid JSON: %s", eval, je.text);
    }
    lh_buf_free(&key);
    lh_buf_free(&body);
    return rc;
}

typedef struct trial_job {
    lh_vectors *v;
    char       *index, *eval;
    lh_hnsw_params hnsw;
    int         ef[64];
    size_t      n_ef;
} trial_job;

static void trial_job_free(void *p)
{
    trial_job *t = p;
    free(t->index);
    free(t->eval);
    free(t);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Recall and latency of graph h over the eval set at one ef. */
static json_t *measure(const lh_vgen *g, lh_hnsw *h, json_t *queries, json_t *truth, int ef, lh_err *err)
{
    size_t nq = json_array_size(queries), dim = lh_hnsw_dim(h);
    int k = 10;
    float *q = lh_xmalloc(dim * sizeof *q);
    lh_vhit hits[10];
    int64_t *lat = lh_xcalloc(nq ? nq : 1, sizeof *lat);
    double r1 = 0, r10 = 0;
    int rc = 0;
    int64_t total = 0;
    for (size_t i = 0; i < nq && !rc; i++) {
        json_t *qa = json_array_get(queries, i), *ta = json_array_get(truth, i);
        for (size_t d = 0; d < dim; d++) q[d] = (float)json_number_value(json_array_get(qa, d));
        int got = 0;
        int64_t t0 = lh_mono_us();
        rc = lh_hnsw_search(h, q, k, ef, NULL, hits, &got, err);
        lat[i] = lh_mono_us() - t0;
        total += lat[i];
        size_t tk = json_array_size(ta) < 10 ? json_array_size(ta) : 10;
        if (!tk) continue;
        if (got > 0 && !strcmp(g->ids[hits[0].label], json_string_value(json_array_get(ta, 0)))) r1 += 1;
        int found = 0;
        for (size_t j = 0; j < tk; j++)
            for (int x = 0; x < got && x < (int)tk; x++)
                if (!strcmp(g->ids[hits[x].label], json_string_value(json_array_get(ta, j)))) {
                    found++;
                    break;
                }
        r10 += (double)found / (double)tk;
    }
    json_t *o = NULL;
    if (!rc && nq) {
        qsort(lat, nq, sizeof *lat, cmp_i64);
        o = json_pack("{s:i,s:f,s:f,s:I,s:I,s:f}", "ef_search", ef, "recall_at_1", r1 / (double)nq, "recall_at_10",
                      r10 / (double)nq, "p50_us", (json_int_t)lat[nq / 2], "p99_us",
                      (json_int_t)lat[(nq * 99) / 100 < nq ? (nq * 99) / 100 : nq - 1], "qps",
                      total > 0 ? (double)nq * 1e6 / (double)total : 0.0);
    }
    free(q);
    free(lat);
    return o;
}

static int run_trial(lh_job *job, void *arg, json_t **result, lh_err *err)
{
    trial_job *t = arg;
    lh_vectors *v = t->v;
    json_t *ev = NULL;
    int rc = load_eval(v, t->eval, &ev, err);
    if (rc) return rc;
    lh_vidx *ix = lh__vidx_find(v, t->index, err);
    lh_vgen *g = NULL;
    if (!ix) rc = err->status;
    if (!rc) rc = lh__vidx_active(v, ix, &g, err);
    if (rc) {
        json_decref(ev);
        return rc;
    }
    size_t dim = lh_hnsw_dim(g->h), n = g->n;
    json_t *queries = json_object_get(ev, "queries"), *truth = json_object_get(ev, "truth");
    if ((size_t)json_integer_value(json_object_get(ev, "dimensions")) != dim)
        rc = lh_err_set(err, LH_EINVAL, "dimension_mismatch", "eval set %s has %lld-dimensional queries, index %s %zu",
                        t->eval, (long long)json_integer_value(json_object_get(ev, "dimensions")), t->index, dim);
    float *base = NULL;
    lh_hnsw *h = NULL;
    double build_s = 0;
    if (!rc) {
        base = lh_xmalloc(n * dim * sizeof *base);
        for (size_t l = 0; l < n; l++) memcpy(base + l * dim, lh_hnsw_vector(g->h, (uint32_t)l), dim * sizeof *base);
        lh_hnsw_params p = t->hnsw;
        if (p.threads <= 0) p.threads = v->build_threads;
        lh_job_expect_rows(job, (int64_t)n);
        lh_job_progress(job, "building graph", 0, -1, 0);
        int64_t t0 = lh_mono_us();
        rc = lh_hnsw_build(base, n, dim, lh_hnsw_metric(g->h), &p, &h, err);
        build_s = (double)(lh_mono_us() - t0) / 1e6;
    }
    json_t *points = json_array();
    for (size_t i = 0; !rc && i < t->n_ef; i++) {
        lh_job_progress(job, "measuring", (int64_t)n, -1, 0);
        json_t *pt = measure(g, h, queries, truth, t->ef[i], err);
        if (!pt) rc = err->status ? err->status : lh_err_set(err, LH_EINVAL, "empty_eval", "eval set has no queries");
        else json_array_append_new(points, pt);
    }
    if (!rc) {
        char at[40], id[17];
        lh_time_format_us(lh_now_us(), at, sizeof at);
        lh_hex_id(id, 8);
        lh_hnsw_params p = lh_hnsw_get_params(h);
        json_t *tr = json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:f,s:I,s:I,s:i,s:O}", "trial_id", id, "index", t->index,
                               "eval", t->eval, "generation", (json_int_t)g->generation, "created_at", at, "params",
                               lh__vparams_json(&p), "build_seconds", build_s, "memory_bytes",
                               (json_int_t)lh_hnsw_memory_bytes(h), "vectors", (json_int_t)n, "build_threads",
                               p.threads, "results", points);
        char *line = json_dumps(tr, JSON_COMPACT);
        rc = lh_append_log_append(v->trials, line, err);
        if (!rc) rc = lh_append_log_flush(v->trials, err);
        free(line);
        if (!rc) *result = tr;
        else json_decref(tr);
    }
    json_decref(points);
    lh_hnsw_free(h);
    free(base);
    lh__vgen_unref(g);
    json_decref(ev);
    return rc;
}

int lh_vectors_trial(lh_vectors *v, const lh_vtrial_req *req, char *job_id, lh_err *err)
{
    if (!lh__vidx_find(v, req->index, err)) return err->status;
    json_t *ev = NULL;
    if (load_eval(v, req->eval, &ev, err)) return err->status;
    json_decref(ev);
    if (req->n_ef == 0 || req->n_ef > 64)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "ef_search needs 1..64 values");
    trial_job *t = lh_xcalloc(1, sizeof *t);
    t->v = v;
    t->index = lh_xstrdup(req->index);
    t->eval = lh_xstrdup(req->eval);
    t->hnsw = req->hnsw;
    memcpy(t->ef, req->ef_search, req->n_ef * sizeof *t->ef);
    t->n_ef = req->n_ef;
    if (lh_jobs_start(v->jobs, "hnsw_trial", run_trial, t, trial_job_free, job_id, err)) {
        trial_job_free(t);
        return err->status;
    }
    return 0;
}

typedef struct read_ctx {
    const char *index;
    json_t     *out;
} read_ctx;

static int on_trial(void *ctx, const char *line, size_t len)
{
    read_ctx *r = ctx;
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    if (o && !strcmp(json_string_value(json_object_get(o, "index")) ?: "", r->index))
        json_array_append(r->out, o);
    json_decref(o);
    return 0;
}

int lh_vectors_trials(lh_vectors *v, const char *index, json_t **out, lh_err *err)
{
    read_ctx r = {.index = index, .out = json_array()};
    int rc = lh_append_log_read(v->trials, on_trial, &r, err);
    if (rc) {
        json_decref(r.out);
        return rc;
    }
    *out = json_pack("{s:s,s:I,s:o}", "index", index, "count", (json_int_t)json_array_size(r.out), "trials", r.out);
    return 0;
}

int lh_vectors_trial_best(lh_vectors *v, const char *index, double target, json_t **out, lh_err *err)
{
    json_t *all = NULL;
    int rc = lh_vectors_trials(v, index, &all, err);
    if (rc) return rc;
    json_t *best = NULL, *best_pt = NULL;
    size_t i, j;
    json_t *tr, *pt;
    json_array_foreach(json_object_get(all, "trials"), i, tr) {
        json_array_foreach(json_object_get(tr, "results"), j, pt) {
            if (json_number_value(json_object_get(pt, "recall_at_10")) < target) continue;
            if (!best_pt ||
                json_integer_value(json_object_get(pt, "p50_us")) < json_integer_value(json_object_get(best_pt, "p50_us"))) {
                best = tr;
                best_pt = pt;
            }
        }
    }
    if (!best) {
        rc = lh_err_set(err, LH_ENOTFOUND, "no_trial_meets_target",
                        "no trial of index %s reaches recall@10 >= %.4f (%zu trials recorded)", index, target,
                        json_array_size(json_object_get(all, "trials")));
    } else {
        *out = json_pack("{s:s,s:f,s:O,s:O,s:O,s:O,s:O}", "index", index, "recall_target", target, "trial_id",
                         json_object_get(best, "trial_id"), "params", json_object_get(best, "params"), "ef_search",
                         json_object_get(best_pt, "ef_search"), "point", best_pt, "build_seconds",
                         json_object_get(best, "build_seconds"));
    }
    json_decref(all);
    return rc;
}

/* vector/search.c — answering a search on an index's active generation.
 *
 * A filter is a SQL predicate on the dataset's columns. It runs in the
 * query service (the sandboxed, read-only engine, one statement, with its
 * timeout) as SELECT id FROM dataset WHERE (predicate); the ids it returns
 * become the allow-bitmap of the graph search, which turns exact by itself
 * when the filter is very selective. Rows added to the dataset after the
 * generation was built have no label and are simply not candidates.
 */
#include "core/clock.h"
#include "vector/service_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LH_VSEARCH_MAX_K 1000

typedef struct filter_ctx {
    const lh_vgen *g;
    lh_bitset     *allow;
    lh_buf         line;
    size_t         matched;   /* rows the predicate selected */
    lh_err        *err;
    int            rc;
} filter_ctx;

static void filter_line(filter_ctx *f)
{
    if (f->rc || !f->line.len) return;
    json_error_t je;
    json_t *o = json_loadb(f->line.data, f->line.len, 0, &je);
    json_t *err = json_object_get(o, "error");
    if (err) {
        json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
        f->rc = lh_err_set(f->err, LH_EINVAL, "filter_error", "the filter failed: %s",
                           json_is_string(m) ? json_string_value(m) : "unknown error");
    } else {
        json_t *id = json_object_get(o, "id");
        if (json_is_string(id)) {
            f->matched++;
            int64_t l = lh__vgen_label(f->g, json_string_value(id));
            if (l >= 0) lh_bitset_set(f->allow, (size_t)l);
        }
    }
    json_decref(o);
    lh_buf_reset(&f->line);
}

static int run_filter(lh_vectors *v, json_t *doc, const lh_vgen *g, const char *predicate, lh_bitset *allow,
                      size_t *matched, lh_err *err)
{
    const char *ds = json_string_value(json_object_get(doc, "dataset"));
    const char *idc = json_string_value(json_object_get(doc, "id_column"));
    if (!ds || !idc)
        return lh_err_set(err, LH_EINVAL, "filter_needs_dataset",
                          "a filter needs an index built from a dataset; index %s holds vectors given directly",
                          json_string_value(json_object_get(doc, "name")));
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(");
    lh_sql_quote_ident(&sql, idc);
    lh_buf_puts(&sql, " AS VARCHAR) AS id FROM ");
    lh_sql_quote_ident(&sql, ds);
    lh_buf_puts(&sql, " WHERE (");
    lh_buf_puts(&sql, predicate);
    lh_buf_puts(&sql, "\n)");
    lh_query_req qr = {.sql = sql.data, .format = LH_QFMT_NDJSON, .limit = INT64_MAX / 4, .timeout_ms = 30000,
                       .max_bytes = INT64_MAX / 4};
    lh_query_run *run = NULL;
    int rc = lh_query_start(v->query, &qr, &run, err);
    lh_buf_free(&sql);
    if (rc) {
        lh_err_prefix(err, "filter");
        return rc;
    }
    if ((rc = lh_bitset_init(allow, g->n, err))) {
        lh_query_run_free(run);
        return rc;
    }
    filter_ctx f = {.g = g, .allow = allow, .err = err};
    char buf[65536];
    for (;;) {
        int64_t got = lh_query_read(run, buf, sizeof buf);
        if (got < 0) {
            f.rc = lh_err_set(err, LH_EIO, "filter_error", "the filter's result was cut short");
            break;
        }
        if (got == 0) break;
        for (int64_t i = 0; i < got; i++) {
            if (buf[i] == '\n') filter_line(&f);
            else lh_buf_append(&f.line, buf + i, 1);
        }
    }
    filter_line(&f);
    lh_buf_free(&f.line);
    lh_query_run_free(run);
    if (f.rc) lh_bitset_release(allow);
    *matched = f.matched;
    return f.rc;
}

static double score_of(lh_metric m, float dist)
{
    switch (m) {
    case LH_METRIC_COSINE: return 1.0 - dist;
    case LH_METRIC_IP: return -dist;
    default: return -dist;
    }
}

/* Exact search over the generation's stored vectors (all or the allowed). */
int lh__vexact(const lh_vgen *g, const float *q, int k, const lh_bitset *allow, lh_vhit *out, int *n_out,
                        lh_err *err)
{
    size_t dim = lh_hnsw_dim(g->h);
    lh_metric m = lh_hnsw_metric(g->h);
    float *qn = lh_xmalloc(dim * sizeof *qn);
    memcpy(qn, q, dim * sizeof *qn);
    if (m == LH_METRIC_COSINE) lh_vec_normalize(qn, dim);
    int n = 0;
    for (size_t l = 0; l < g->n; l++) {
        if ((allow && !lh_bitset_test(allow, l)) || lh_hnsw_is_deleted(g->h, (uint32_t)l)) continue;
        const float *x = lh_hnsw_vector(g->h, (uint32_t)l);
        if (!x) continue;
        float d = lh_vec_distance(m, qn, x, dim);
        if (n == k && d >= out[n - 1].dist) continue;
        int p = n < k ? n++ : k - 1;
        while (p > 0 && out[p - 1].dist > d) {
            out[p] = out[p - 1];
            p--;
        }
        out[p] = (lh_vhit){(uint32_t)l, d};
    }
    free(qn);
    *n_out = n;
    (void)err;
    return 0;
}

int lh_vectors_search(lh_vectors *v, const char *name, const lh_vsearch *q, json_t **out, lh_err *err)
{
    *out = NULL;
    if (q->k <= 0 || q->k > LH_VSEARCH_MAX_K)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "k must be 1..%d, not %d", LH_VSEARCH_MAX_K, q->k);
    if (q->ef < 0 || q->ef > 4096)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "ef must be 1..4096, not %d", q->ef);
    lh_vidx *ix = lh__vidx_find(v, name, err);
    if (!ix) return err->status;
    int64_t t0 = lh_mono_us();
    lh_vgen *g = NULL;
    int rc = lh__vidx_active(v, ix, &g, err);
    if (rc) return rc;
    pthread_mutex_lock(&ix->mu);
    json_t *doc = json_incref(ix->meta);
    pthread_mutex_unlock(&ix->mu);
    size_t dim = lh_hnsw_dim(g->h);
    lh_metric metric = lh_hnsw_metric(g->h);
    if (q->dim != dim)
        rc = lh_err_set(err, LH_EINVAL, "dimension_mismatch", "the query vector has %u dimensions, index %s has %zu",
                        q->dim, name, dim);
    if (!rc && lh_vec_check(q->vector, dim, metric, err)) {
        lh_err_prefix(err, "query vector");
        rc = err->status;
    }
    lh_bitset allow = {0};
    int filtered = 0;
    size_t matched = 0;
    int64_t t_filter = 0;
    if (!rc && q->filter && *q->filter) {
        int64_t tf = lh_mono_us();
        rc = run_filter(v, doc, g, q->filter, &allow, &matched, err);
        t_filter = lh_mono_us() - tf;
        filtered = !rc;
    }
    lh_vhit *hits = lh_xcalloc((size_t)q->k, sizeof *hits);
    int n = 0;
    if (!rc) {
        if (q->exact) rc = lh__vexact(g, q->vector, q->k, filtered ? &allow : NULL, hits, &n, err);
        else rc = lh_hnsw_search(g->h, q->vector, q->k, q->ef, filtered ? &allow : NULL, hits, &n, err);
    }
    if (!rc) {
        json_t *results = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(results, json_pack("{s:s,s:f,s:f}", "id", g->ids[hits[i].label], "score",
                                                     score_of(metric, hits[i].dist), "distance",
                                                     (double)hits[i].dist));
        lh_hnsw_params p = lh_hnsw_get_params(g->h);
        *out = json_pack("{s:s,s:I,s:s,s:i,s:i,s:b,s:o,s:f}", "index", name, "generation", (json_int_t)g->generation,
                         "metric", lh_metric_name(metric), "k", q->k, "ef", q->ef > 0 ? q->ef : p.ef_search, "exact",
                         q->exact, "results", results, "took_ms", (double)(lh_mono_us() - t0) / 1000.0);
        if (filtered) {
            json_object_set_new(*out, "filter_matched", json_integer((json_int_t)matched));
            json_object_set_new(*out, "filter_ms", json_real((double)t_filter / 1000.0));
        }
    }
    free(hits);
    if (filtered) lh_bitset_release(&allow);
    json_decref(doc);
    lh__vgen_unref(g);
    return rc;
}

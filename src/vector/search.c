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
    size_t         matched;   /* rows the predicate selected */
} filter_ctx;

static int on_filter_row(void *ctx, json_t *row)
{
    filter_ctx *f = ctx;
    json_t *id = json_object_get(row, "id");
    if (json_is_string(id)) {
        f->matched++;
        lh__vgen_allow(f->g, json_string_value(id), f->allow);
    }
    return 0;
}

static int ndjson_each(lh_vectors *v, const char *sql, int (*cb)(void *ctx, json_t *row), void *ctx, lh_err *err);

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
    int rc = lh_bitset_init(allow, g->n, err);
    filter_ctx f = {.g = g, .allow = allow};
    if (!rc) rc = ndjson_each(v, sql.data, on_filter_row, &f, err);
    lh_buf_free(&sql);
    if (rc) {
        lh_err_prefix(err, "filter");
        lh_bitset_release(allow);
    }
    *matched = f.matched;
    return rc;
}

static double score_of(lh_metric m, float dist)
{
    switch (m) {
    case LH_METRIC_COSINE: return 1.0 - dist;
    case LH_METRIC_IP: return -dist;
    default: return -dist;
    }
}

/* Run sql in the query sandbox as NDJSON: cb for each row object; an
 * {"error"} line fails. */
static int ndjson_each(lh_vectors *v, const char *sql, int (*cb)(void *ctx, json_t *row), void *ctx, lh_err *err)
{
    lh_query_req qr = {.sql = sql, .format = LH_QFMT_NDJSON, .limit = INT64_MAX / 4, .timeout_ms = 30000,
                       .max_bytes = INT64_MAX / 4};
    lh_query_run *run = NULL;
    int rc = lh_query_start(v->query, &qr, &run, err);
    if (rc) return rc;
    lh_buf line = LH_BUF_INIT;
    char buf[65536];
    for (int done = 0; !done && !rc;) {
        int64_t got = lh_query_read(run, buf, sizeof buf);
        if (got < 0) rc = lh_err_set(err, LH_EIO, "query_error", "the result was cut short");
        done = got <= 0;
        /* whole lines out of buf, found with memchr; the end of the
         * stream ends the last one */
        for (const char *p = buf, *end = buf + (got > 0 ? got : 0); !rc && (p < end || (done && line.len));) {
            const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
            if (p < end) lh_buf_append(&line, p, (size_t)((nl ? nl : end) - p));
            p = nl ? nl + 1 : end;
            if (!nl && !done) break;
            if (!line.len) continue;
            json_t *o = json_loadb(line.data, line.len, 0, NULL);
            lh_buf_reset(&line);
            json_t *e = json_object_get(o, "error");
            if (!json_is_object(o)) {
                rc = lh_err_set(err, LH_EINTERNAL, "query_error", "the query service sent a line that is not JSON");
            } else if (e) {
                json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;
                rc = lh_err_set(err, LH_EINVAL, "query_error", "%s", json_is_string(m) ? json_string_value(m) : "error");
            } else {
                rc = cb(ctx, o);
            }
            json_decref(o);
        }
    }
    lh_buf_free(&line);
    lh_query_run_free(run);
    return rc;
}

typedef struct rows_ctx {
    json_t *by_id;
} rows_ctx;

static int on_row(void *ctx, json_t *row)
{
    rows_ctx *r = ctx;
    json_t *id = json_object_get(row, "__lh_id");
    if (json_is_string(id)) {
        json_t *copy = json_deep_copy(row);
        json_object_del(copy, "__lh_id");
        json_object_set_new(r->by_id, json_string_value(id), copy);
    }
    return 0;
}

/* The dataset rows of the hits' ids, as {id: row}. */
static int join_rows(lh_vectors *v, json_t *doc, json_t *results, json_t **by_id, lh_err *err)
{
    const char *ds = json_string_value(json_object_get(doc, "dataset"));
    const char *idc = json_string_value(json_object_get(doc, "id_column"));
    *by_id = json_object();
    if (!ds || !idc || !json_array_size(results)) return 0;
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(");
    lh_sql_quote_ident(&sql, idc);
    lh_buf_puts(&sql, " AS VARCHAR) AS __lh_id, * FROM ");
    lh_sql_quote_ident(&sql, ds);
    lh_buf_puts(&sql, " WHERE CAST(");
    lh_sql_quote_ident(&sql, idc);
    lh_buf_puts(&sql, " AS VARCHAR) IN (");
    size_t i;
    json_t *h;
    json_array_foreach(results, i, h) {
        if (i) lh_buf_puts(&sql, ", ");
        lh_sql_quote_literal(&sql, json_string_value(json_object_get(h, "id")));
    }
    lh_buf_puts(&sql, ")");
    rows_ctx r = {*by_id};
    int rc = ndjson_each(v, sql.data, on_row, &r, err);
    lh_buf_free(&sql);
    if (rc) lh_err_prefix(err, "joining rows of dataset %s", ds);
    return rc;
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
    float *qv = NULL;
    lh_vsearch qq = *q;
    if (q->query && !rc) {
        if (!json_object_get(doc, "text_columns")) {
            rc = lh_err_set(err, LH_EINVAL, "query_needs_text_index",
                            "query text needs an index built from text columns; give vector for index %s", name);
        } else if (!v->embedder.embed) {
            rc = lh_err_set(err, LH_EUNAVAIL, "embedder_unavailable", "no embedding model is available in this server");
        } else {
            char model[128], version[64];
            int dims = 0;
            json_t *ent = lh__vmeta_generation(doc, g->generation);
            const char *profile = json_string_value(json_object_get(ent, "profile"));
            rc = v->embedder.describe(v->embedder.ctx, profile, model, sizeof model, version, sizeof version, &dims,
                                      err);
            json_t *gm = json_object_get(ent, "model");
            if (!rc && (dims != (int)dim || strcmp(model, json_string_value(json_object_get(gm, "name")) ?: "") ||
                        strcmp(version, json_string_value(json_object_get(gm, "version")) ?: "")))
                rc = lh_err_set(err, LH_EINVAL, "model_mismatch",
                                "profile %s now gives %s %s (%d dimensions) but generation %lld of index %s was "
                                "embedded with %s %s (%zu): rebuild the index",
                                profile ? profile : "(default)", model, version, dims, (long long)g->generation, name,
                                json_string_value(json_object_get(gm, "name")) ?: "?",
                                json_string_value(json_object_get(gm, "version")) ?: "?", dim);
            if (!rc) {
                qv = lh_xmalloc((size_t)dims * sizeof *qv);
                const char *t = q->query;
                rc = v->embedder.embed(v->embedder.ctx, profile, &t, 1, qv, err);
                qq.vector = qv;
                qq.dim = (uint32_t)dims;
            }
        }
        q = &qq;
    }
    if (!rc && q->dim != dim)
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
        if (q->exact) rc = lh_hnsw_search_exact(g->h, q->vector, q->k, filtered ? &allow : NULL, hits, &n, err);
        else rc = lh_hnsw_search(g->h, q->vector, q->k, q->ef, filtered ? &allow : NULL, hits, &n, err);
    }
    if (!rc) {
        json_t *results = json_array();
        for (int i = 0; i < n; i++) {
            uint32_t l = hits[i].label;
            json_t *h = json_pack("{s:s,s:f,s:f}", "id", g->ids[l], "score", score_of(metric, hits[i].dist),
                                  "distance", (double)hits[i].dist);
            if (g->chunk_ids) json_object_set_new(h, "chunk_id", json_integer(g->chunk_ids[l]));
            if (g->texts && g->texts[l]) json_object_set_new(h, "chunk_text", json_string(g->texts[l]));
            json_array_append_new(results, h);
        }
        int want_rows = q->rows < 0 ? json_object_get(doc, "dataset") != NULL : q->rows;
        json_t *by_id = NULL;
        if (want_rows) rc = join_rows(v, doc, results, &by_id, err);
        size_t hi;
        json_t *h;
        if (!rc && by_id)
            json_array_foreach(results, hi, h) {
                json_t *row = json_object_get(by_id, json_string_value(json_object_get(h, "id")));
                json_object_set(h, "row", row ? row : json_null());
            }
        json_decref(by_id);
        if (rc) {
            json_decref(results);
            goto done;
        }
        lh_hnsw_params p = lh_hnsw_get_params(g->h);
        *out = json_pack("{s:s,s:I,s:s,s:i,s:i,s:b,s:o,s:f}", "index", name, "generation", (json_int_t)g->generation,
                         "metric", lh_metric_name(metric), "k", q->k, "ef", q->ef > 0 ? q->ef : p.ef_search, "exact",
                         q->exact, "results", results, "took_ms", (double)(lh_mono_us() - t0) / 1000.0);
        if (filtered) {
            json_object_set_new(*out, "filter_matched", json_integer((json_int_t)matched));
            json_object_set_new(*out, "filter_ms", json_real((double)t_filter / 1000.0));
        }
    }
done:
    free(hits);
    free(qv);
    if (filtered) lh_bitset_release(&allow);
    json_decref(doc);
    lh__vgen_unref(g);
    return rc;
}

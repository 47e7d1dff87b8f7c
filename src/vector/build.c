/* vector/build.c — building a generation: graph, files, document entry.
 *
 * Order matters for crash safety: the embeddings file and the sidecar are
 * written to the bucket first, and only then does the caller commit an
 * index document naming the generation. A crash in between leaves files
 * no document names (overwritten by the next build of that number).
 */
#include "core/clock.h"
#include "core/log.h"
#include "storage/objstore.h"
#include "vector/service_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *lh__vparams_json(const lh_hnsw_params *p)
{
    return json_pack("{s:i,s:i,s:i,s:b}", "m", p->m, "ef_construction", p->ef_construction, "ef_search",
                     p->ef_search, "sq8", p->sq8);
}

void lh__vparams_from_json(json_t *o, lh_hnsw_params *p)
{
    json_t *x;
    if ((x = json_object_get(o, "m")) && json_is_integer(x)) p->m = (int)json_integer_value(x);
    if ((x = json_object_get(o, "ef_construction")) && json_is_integer(x))
        p->ef_construction = (int)json_integer_value(x);
    if ((x = json_object_get(o, "ef_search")) && json_is_integer(x)) p->ef_search = (int)json_integer_value(x);
    if ((x = json_object_get(o, "sq8")) && json_is_boolean(x)) p->sq8 = json_is_true(x);
}

static int put_scratch(lh_vectors *v, const char *key, const char *path, lh_err *err)
{
    lh_obj_info info = {0};
    int rc = lh_objstore_put_file(v->store, key, path, 0, &info, err);
    if (!rc) lh_registry_cache_offer(v->reg, lh_objstore_name(v->store), key, path, info.etag);
    remove(path);
    return rc;
}

int lh__vbuild_generation(lh_vectors *v, lh_job *job, const char *index, int64_t generation, lh_metric metric,
                          const lh_hnsw_params *p, lh_vrows *rows, lh_vgen **gen_out, json_t **entry_out,
                          lh_err *err)
{
    size_t n = rows->n;
    uint32_t dim = rows->dim;
    *gen_out = NULL;
    *entry_out = NULL;
    lh_hnsw_params params = *p;
    if (params.threads <= 0) params.threads = v->build_threads;
    if (job) {
        lh_job_expect_rows(job, (int64_t)n);
        lh_job_progress(job, "building graph", 0, -1, 0);
    }
    int64_t t0 = lh_mono_us();
    lh_hnsw *h = NULL;
    /* Ids must be unique: filters and joins map an id to one label. */
    int rc = lh__vids_unique(rows, err);
    if (!rc) rc = lh_hnsw_build(rows->vectors, n, dim, metric, &params, &h, err);
    double build_s = (double)(lh_mono_us() - t0) / 1e6;
    lh_buf key = LH_BUF_INIT, tmp = LH_BUF_INIT;
    if (!rc) {
        if (job) lh_job_progress(job, "writing embeddings", (int64_t)n, -1, 0);
        lh__vscratch(v, "embeddings.parquet", &tmp);
        lh_engine_conn *c = NULL;
        lh_embedding_rows er = {.n = n, .dim = dim, .doc_ids = (const char *const *)rows->ids,
                                .chunk_ids = rows->chunk_ids, .chunk_texts = (const char *const *)rows->texts,
                                .vectors = rows->vectors, .content_hashes = (const char *const *)rows->hashes};
        rc = lh_engine_connect(v->engine, &c, err);
        if (!rc) rc = lh_embeddings_write(c, &er, tmp.data, err);
        lh_engine_conn_free(c);
        lh__vkey_gen(&key, index, generation, "embeddings.parquet");
        if (!rc) rc = put_scratch(v, key.data, tmp.data, err);
        else remove(tmp.data);
    }
    if (!rc) {
        if (job) lh_job_progress(job, "writing graph", (int64_t)n, -1, 0);
        lh_buf_reset(&tmp);
        lh_buf_reset(&key);
        lh__vscratch(v, "hnsw.bin", &tmp);
        lh__vkey_gen(&key, index, generation, "hnsw.bin");
        rc = lh_hnsw_save(h, tmp.data, err);
        if (!rc) rc = put_scratch(v, key.data, tmp.data, err);
        else remove(tmp.data);
    }
    lh_buf_free(&tmp);
    lh_buf_free(&key);
    if (rc) {
        lh_err_prefix(err, "building generation %lld of index %s", (long long)generation, index);
        lh_hnsw_free(h);
        lh__vrows_free(rows);
        return rc;
    }
    char at[40];
    lh_time_format_us(lh_now_us(), at, sizeof at);
    params = lh_hnsw_get_params(h);
    json_t *e = json_pack("{s:I,s:s,s:o,s:I,s:i,s:f,s:I}", "generation", (json_int_t)generation, "created_at", at,
                          "params", lh__vparams_json(&params), "count", (json_int_t)n, "dimensions", (int)dim,
                          "build_seconds", build_s, "memory_bytes", (json_int_t)lh_hnsw_memory_bytes(h));
    *entry_out = e;
    *gen_out = lh__vgen_new(index, generation, h, rows);
    lh_info("vectors: built %s generation %lld: %zu × %u in %.2f s", index, (long long)generation, n, dim, build_s);
    return 0;
}

static int has_column(lh_column *cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cols[i].name, name)) return 1;
    return 0;
}

int lh__vdataset_scan(lh_vectors *v, const char *dataset, const char *const *need, const char *const *roles,
                      size_t n_need, lh_buf *from, lh_err *err)
{
    lh_dataset *ds = lh_catalog_get(v->cat, dataset, err);
    if (!ds) return err->status;
    lh_column *cols = NULL;
    size_t nc = lh_dataset_columns(ds, &cols);
    int rc = 0;
    for (size_t i = 0; i < n_need && !rc; i++)
        if (!has_column(cols, nc, need[i]))
            rc = lh_err_set(err, LH_EINVAL, "unknown_column", "dataset %s has no column \"%s\" (%s)", dataset, need[i],
                            roles[i]);
    lh_columns_free(cols, nc);
    if (!rc && !lh_dataset_n_files(ds))
        rc = lh_err_set(err, LH_EINVAL, "empty_dataset", "dataset %s has no data files", dataset);
    if (!rc) {
        /* The dataset as its rows are (merge-on-read over the deltas of a
         * keyed dataset), not its files: reading every file would see an
         * upserted key twice and a deleted row's tombstone as a row. */
        lh_buf_puts(from, "(");
        rc = lh_catalog_dataset_sql(v->cat, ds, from, err);
        lh_buf_puts(from, ") AS _lh_v");
    }
    lh_dataset_unref(ds);
    return rc;
}

int lh__vread_dataset(lh_vectors *v, const char *dataset, const char *id_column, const char *vector_column,
                      lh_embeddings *out, lh_err *err)
{
    memset(out, 0, sizeof *out);
    const char *need[] = {id_column, vector_column}, *roles[] = {"id_column", "vector_column"};
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(");
    lh_sql_quote_ident(&sql, id_column);
    lh_buf_puts(&sql, " AS VARCHAR), ");
    lh_sql_quote_ident(&sql, vector_column);
    lh_buf_puts(&sql, " FROM ");
    int rc = lh__vdataset_scan(v, dataset, need, roles, 2, &sql, err);
    if (!rc) {
        lh_engine_conn *c = NULL;
        rc = lh_engine_connect(v->engine, &c, err);
        if (!rc) rc = lh_embeddings_read(c, sql.data, v->max_vectors, out, err);
        lh_engine_conn_free(c);
        if (!rc && out->n == 0) {
            lh_embeddings_free(out);
            rc = lh_err_set(err, LH_EINVAL, "empty_dataset", "dataset %s has no rows to index", dataset);
        }
        if (rc) lh_err_prefix(err, "reading vectors of dataset %s", dataset);
    }
    lh_buf_free(&sql);
    return rc;
}

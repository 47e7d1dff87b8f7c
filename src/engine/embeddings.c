/* engine/embeddings.c — embeddings Parquet files: float matrices in and out.
 *
 * A vector index keeps its vectors as Parquet (doc_id VARCHAR, chunk_id
 * INTEGER, chunk_text VARCHAR, vector FLOAT[d]) next to its graph. Text
 * rendering is far too slow for 100K × 768 floats, so both directions work
 * on DuckDB's vectors directly: writing fills data chunks (the array's
 * child vector is a plain float array) and appends them to a scratch table
 * that is then COPYed to Parquet; reading takes a query's ARRAY or LIST
 * column of FLOAT or DOUBLE into one contiguous row-major matrix.
 */
#include "engine/engine_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint g_scratch_seq;

static int appender_error(duckdb_appender app, const char *what, lh_err *err)
{
    duckdb_error_data ed = app ? duckdb_appender_error_data(app) : NULL;
    const char *m = ed && duckdb_error_data_has_error(ed) ? duckdb_error_data_message(ed) : "unknown error";
    int rc = lh_err_set(err, LH_EINTERNAL, "embeddings_write", "writing embeddings failed (%s): %s", what, m);
    if (ed) duckdb_destroy_error_data(&ed);
    return rc;
}

static void set_varchar(duckdb_vector v, idx_t row, const char *s)
{
    if (!s) {
        duckdb_vector_ensure_validity_writable(v);
        duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
        return;
    }
    duckdb_vector_assign_string_element(v, row, s);
}

static int fill_and_append(duckdb_appender app, const lh_embedding_rows *rows, duckdb_logical_type *types,
                           idx_t ncols, lh_err *err)
{
    const idx_t cap = duckdb_vector_size();
    for (size_t start = 0; start < rows->n; start += cap) {
        idx_t m = (idx_t)(rows->n - start < cap ? rows->n - start : cap);
        duckdb_data_chunk dc = duckdb_create_data_chunk(types, ncols);
        duckdb_vector vid = duckdb_data_chunk_get_vector(dc, 0);
        duckdb_vector vchunk = duckdb_data_chunk_get_vector(dc, 1);
        duckdb_vector vtext = duckdb_data_chunk_get_vector(dc, 2);
        duckdb_vector varr = duckdb_data_chunk_get_vector(dc, 3);
        int32_t *chunk_ids = duckdb_vector_get_data(vchunk);
        float *dst = duckdb_vector_get_data(duckdb_array_vector_get_child(varr));
        for (idx_t r = 0; r < m; r++) {
            size_t i = start + r;
            set_varchar(vid, r, rows->doc_ids[i]);
            chunk_ids[r] = rows->chunk_ids ? rows->chunk_ids[i] : 0;
            set_varchar(vtext, r, rows->chunk_texts ? rows->chunk_texts[i] : NULL);
            if (ncols > 4) set_varchar(duckdb_data_chunk_get_vector(dc, 4), r, rows->content_hashes[i]);
        }
        memcpy(dst, rows->vectors + start * rows->dim, (size_t)m * rows->dim * sizeof(float));
        duckdb_data_chunk_set_size(dc, m);
        duckdb_state st = duckdb_append_data_chunk(app, dc);
        duckdb_destroy_data_chunk(&dc);
        if (st == DuckDBError) return appender_error(app, "append", err);
    }
    return 0;
}

int lh_embeddings_write(lh_engine_conn *c, const lh_embedding_rows *rows, const char *path, lh_err *err)
{
    if (rows->dim == 0 || rows->dim > LH_EMBEDDING_MAX_DIM)
        return lh_err_set(err, LH_EINVAL, "bad_dimensions", "vector dimensions must be 1..%d, not %u",
                          LH_EMBEDDING_MAX_DIM, rows->dim);
    char table[64];
    snprintf(table, sizeof table, "lh_embeddings_%u", atomic_fetch_add(&g_scratch_seq, 1));
    char ddl[256];
    snprintf(ddl, sizeof ddl,
             "CREATE TEMP TABLE %s (doc_id VARCHAR, chunk_id INTEGER, chunk_text VARCHAR, vector FLOAT[%u]%s)", table,
             rows->dim, rows->content_hashes ? ", content_hash VARCHAR" : "");
    int rc = lh_engine_exec(c, ddl, err);
    if (rc) return rc;

    duckdb_logical_type types[5];
    idx_t ncols = rows->content_hashes ? 5 : 4;
    types[4] = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    types[0] = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    types[1] = duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    types[2] = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type f = duckdb_create_logical_type(DUCKDB_TYPE_FLOAT);
    types[3] = duckdb_create_array_type(f, rows->dim);
    duckdb_destroy_logical_type(&f);

    duckdb_appender app = NULL;
    if (duckdb_appender_create_ext(c->con, "temp", "main", table, &app) == DuckDBError) {
        rc = appender_error(app, "create", err);
    } else {
        rc = fill_and_append(app, rows, types, ncols, err);
        if (!rc && duckdb_appender_close(app) == DuckDBError) rc = appender_error(app, "close", err);
    }
    if (app) duckdb_appender_destroy(&app);
    for (int i = 0; i < 5; i++) duckdb_destroy_logical_type(&types[i]);

    if (!rc) {
        char sel[128];
        /* rowid order = append order = label order (the internal engine
         * does not preserve insertion order unless asked). */
        snprintf(sel, sizeof sel, "SELECT * FROM temp.%s ORDER BY rowid", table);
        rc = lh_parquet_write(c, sel, path, NULL, err);
    }
    char drop[128];
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS temp.%s", table);
    lh_err ignored = {0};
    lh_engine_exec(c, drop, &ignored);
    return rc;
}

void lh_embeddings_free(lh_embeddings *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->ids[i]);
        if (e->texts) free(e->texts[i]);
        if (e->hashes) free(e->hashes[i]);
    }
    free(e->ids);
    free(e->chunk_ids);
    free(e->texts);
    free(e->hashes);
    free(e->vectors);
    memset(e, 0, sizeof *e);
}

/* Copy element j of a FLOAT or DOUBLE child vector into a float, refusing
 * NULLs and non-finite values (an index cannot rank them). */
static int take_floats(duckdb_vector child, duckdb_type et, idx_t off, idx_t len, float *dst, size_t rowno,
                       lh_err *err)
{
    uint64_t *valid = duckdb_vector_get_validity(child);
    void *data = duckdb_vector_get_data(child);
    for (idx_t j = 0; j < len; j++) {
        idx_t k = off + j;
        if (valid && !duckdb_validity_row_is_valid(valid, k))
            return lh_err_set(err, LH_EINVAL, "bad_vector", "row %zu: element %llu of the vector is NULL", rowno,
                              (unsigned long long)j);
        double v = et == DUCKDB_TYPE_FLOAT ? ((float *)data)[k] : ((double *)data)[k];
        if (!isfinite(v) || fabs(v) > 3.0e38)
            return lh_err_set(err, LH_EINVAL, "bad_vector", "row %zu: element %llu of the vector is not a finite float",
                              rowno, (unsigned long long)j);
        dst[j] = (float)v;
    }
    return 0;
}

static int read_chunk(lh_chunk *ch, lh_embeddings *out, size_t *cap, lh_err *err)
{
    const lh_type *tv = &ch->types->cols[1];
    int is_array = tv->id == DUCKDB_TYPE_ARRAY, is_list = tv->id == DUCKDB_TYPE_LIST;
    duckdb_type et = (is_array || is_list) ? tv->kids[0].id : DUCKDB_TYPE_INVALID;
    if ((!is_array && !is_list) || (et != DUCKDB_TYPE_FLOAT && et != DUCKDB_TYPE_DOUBLE))
        return lh_err_set(err, LH_EINVAL, "bad_vector_column",
                          "the vector column must be FLOAT[] or DOUBLE[] (a list or array), not %s", tv->sql);
    lh_buf txt = LH_BUF_INIT;
    duckdb_vector v = ch->cols[1].vec;
    duckdb_vector child = is_array ? duckdb_array_vector_get_child(v) : duckdb_list_vector_get_child(v);
    const duckdb_list_entry *entries = is_list ? (const duckdb_list_entry *)ch->cols[1].data : NULL;
    int rc = 0;
    for (size_t r = 0; r < ch->rows && !rc; r++) {
        size_t rowno = out->n + 1;
        if (lh_chunk_is_null(ch, 1, r)) {
            rc = lh_err_set(err, LH_EINVAL, "bad_vector", "row %zu: the vector is NULL", rowno);
            break;
        }
        if (lh_chunk_is_null(ch, 0, r)) {
            rc = lh_err_set(err, LH_EINVAL, "bad_id", "row %zu: the id is NULL", rowno);
            break;
        }
        idx_t off, len;
        if (is_array) {
            len = tv->array_size;
            off = (idx_t)r * len;
        } else {
            off = entries[r].offset;
            len = entries[r].length;
        }
        if (out->dim == 0) {
            if (len == 0 || len > LH_EMBEDDING_MAX_DIM) {
                rc = lh_err_set(err, LH_EINVAL, "bad_dimensions", "row %zu: a vector of %llu elements (1..%d allowed)",
                                rowno, (unsigned long long)len, LH_EMBEDDING_MAX_DIM);
                break;
            }
            out->dim = (uint32_t)len;
        } else if (len != out->dim) {
            rc = lh_err_set(err, LH_EINVAL, "dimension_mismatch", "row %zu: a vector of %llu elements, expected %u",
                            rowno, (unsigned long long)len, out->dim);
            break;
        }
        if (out->n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            out->ids = lh_xrealloc(out->ids, *cap * sizeof *out->ids);
            if (ch->ncols > 2) out->chunk_ids = lh_xrealloc(out->chunk_ids, *cap * sizeof *out->chunk_ids);
            if (ch->ncols > 3) out->texts = lh_xrealloc(out->texts, *cap * sizeof *out->texts);
            if (ch->ncols > 4) out->hashes = lh_xrealloc(out->hashes, *cap * sizeof *out->hashes);
            out->vectors = lh_xrealloc(out->vectors, *cap * out->dim * sizeof(float));
        }
        rc = take_floats(child, et, off, len, out->vectors + out->n * out->dim, rowno, err);
        if (rc) break;
        lh_buf_reset(&txt);
        lh_chunk_text(ch, 0, r, &txt);
        out->ids[out->n] = lh_xstrdup(txt.data ? txt.data : "");
        if (ch->ncols > 2) {
            int64_t cid = 0;
            if (!lh_chunk_is_null(ch, 2, r) && lh_chunk_int64(ch, 2, r, &cid, err)) {
                rc = err->status;
                free(out->ids[out->n]);
                break;
            }
            out->chunk_ids[out->n] = (int32_t)cid;
        }
        for (size_t c = 3; c < 5 && c < ch->ncols; c++) {
            char **dst = c == 3 ? out->texts : out->hashes;
            dst[out->n] = NULL;
            if (lh_chunk_is_null(ch, c, r)) continue;
            lh_buf_reset(&txt);
            lh_chunk_text(ch, c, r, &txt);
            dst[out->n] = lh_xstrdup(txt.data ? txt.data : "");
        }
        out->n++;
    }
    lh_buf_free(&txt);
    return rc;
}

int lh_embeddings_read(lh_engine_conn *c, const char *sql, size_t max_rows, lh_embeddings *out, lh_err *err)
{
    memset(out, 0, sizeof *out);
    lh_engine_result *res = NULL;
    int rc = lh_engine_query(c, sql, &res, err);
    if (rc) return rc;
    if (lh_result_ncols(res) < 2) {
        lh_result_free(res);
        return lh_err_set(err, LH_EINTERNAL, "bad_vector_query", "the vector query must return (id, vector)");
    }
    size_t cap = 0;
    for (;;) {
        lh_chunk *ch = NULL;
        rc = lh_result_next(res, &ch, err);
        if (rc || !ch) break;
        if (out->n + ch->rows > max_rows) {
            lh_chunk_free(ch);
            rc = lh_err_set(err, LH_ETOOBIG, "too_many_vectors", "more than %zu vectors", max_rows);
            break;
        }
        rc = read_chunk(ch, out, &cap, err);
        lh_chunk_free(ch);
        if (rc) break;
    }
    lh_result_free(res);
    if (rc) lh_embeddings_free(out);
    return rc;
}

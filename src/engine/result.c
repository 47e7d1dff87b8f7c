/* engine/result.c — streaming results and the chunks read from them.
 *
 * A result is a DuckDB *streaming* result: execution produces a chunk
 * (up to 2048 rows) when lh_result_next asks for one, so a client reading
 * slowly holds back the query instead of the process buffering everything,
 * and lh_result_free part-way through simply stops the query. The price is
 * DuckDB's rule that a connection streams one result at a time: running
 * anything else on the connection invalidates an open result.
 *
 * While a result is open its connection counts as busy, so an interrupt
 * (lh_engine_conn_interrupt) lands on the running query and the next
 * lh_result_next fails with LH_ETIMEOUT "query_interrupted".
 *
 * Column types are described once per result (lh_coltypes, types.c) and
 * shared by reference with every chunk, so chunks render values without
 * asking DuckDB about types and remain valid after the result is freed.
 * Chunks hold their DuckDB data chunk; lh_chunk_free destroys it.
 */
#include "engine/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lh__result_open(lh_engine_stmt *s, lh_engine_stmt *owned, lh_engine_result **out, lh_err *err)
{
    *out = NULL;
    lh_engine_conn *c = s->conn;
    duckdb_pending_result pending = NULL;
    lh__conn_begin(c);
    if (duckdb_pending_prepared_streaming(s->ps, &pending) == DuckDBError) {
        int rc = lh__sql_error(err, c, DUCKDB_ERROR_INVALID, duckdb_pending_error(pending));
        duckdb_destroy_pending(&pending); /* required even after a failure */
        lh__conn_end(c);
        lh_stmt_free(owned);
        return rc;
    }
    /* DuckDB clears a connection's interrupt flag when a query starts, so
     * an interrupt that arrived between lh__conn_begin and here would be
     * lost: send it again now that the query has started. */
    if (lh__conn_was_interrupted(c)) duckdb_interrupt(c->con);
    lh_engine_result *r = lh_xcalloc(1, sizeof *r);
    r->conn = c;
    r->owned_stmt = owned;
    if (duckdb_execute_pending(pending, &r->res) == DuckDBError) {
        int rc = lh__sql_error(err, c, duckdb_result_error_type(&r->res), duckdb_result_error(&r->res));
        duckdb_destroy_pending(&pending);
        duckdb_destroy_result(&r->res);
        lh__conn_end(c);
        lh_stmt_free(owned);
        free(r);
        return rc;
    }
    duckdb_destroy_pending(&pending);
    r->ncols = (size_t)duckdb_column_count(&r->res);
    r->types = lh__coltypes_from_result(c->engine, &r->res);
    *out = r;
    return 0;
}

size_t lh_result_ncols(const lh_engine_result *r)
{
    return r->ncols;
}

const char *lh_result_col_name(const lh_engine_result *r, size_t col)
{
    if (col >= r->ncols) return NULL;
    /* duckdb_column_name takes a non-const pointer but only reads. */
    return duckdb_column_name((duckdb_result *)&r->res, col);
}

const char *lh_result_col_type(const lh_engine_result *r, size_t col)
{
    if (col >= r->ncols) return NULL;
    return r->types->cols[col].sql;
}

static void finish(lh_engine_result *r)
{
    if (!r->ended) {
        r->ended = 1;
        lh__conn_end(r->conn);
    }
}

static lh_chunk *wrap_chunk(lh_engine_result *r, duckdb_data_chunk dc)
{
    lh_chunk *ch = lh_xcalloc(1, sizeof *ch);
    ch->chunk = dc;
    ch->rows = (size_t)duckdb_data_chunk_get_size(dc);
    ch->ncols = (size_t)duckdb_data_chunk_get_column_count(dc);
    if (ch->ncols > r->types->n) ch->ncols = r->types->n;
    ch->cols = lh_xcalloc(ch->ncols ? ch->ncols : 1, sizeof *ch->cols);
    for (size_t i = 0; i < ch->ncols; i++) {
        ch->cols[i].vec = duckdb_data_chunk_get_vector(dc, i);
        ch->cols[i].data = duckdb_vector_get_data(ch->cols[i].vec);
        ch->cols[i].validity = duckdb_vector_get_validity(ch->cols[i].vec);
    }
    ch->types = r->types;
    atomic_fetch_add(&r->types->refs, 1);
    return ch;
}

int lh_result_next(lh_engine_result *r, lh_chunk **out, lh_err *err)
{
    *out = NULL;
    if (r->ended) return 0;
    for (;;) {
        duckdb_data_chunk dc = duckdb_fetch_chunk(r->res);
        const char *msg = duckdb_result_error(&r->res);
        if (msg) {
            int rc = lh__sql_error(err, r->conn, duckdb_result_error_type(&r->res), msg);
            if (dc) duckdb_destroy_data_chunk(&dc);
            finish(r);
            return rc;
        }
        if (!dc) {
            /* End of stream. An interrupt can end a stream without DuckDB
             * reporting an error; a truncated result must not pass as whole. */
            int interrupted = lh__conn_was_interrupted(r->conn);
            finish(r);
            if (interrupted)
                return lh_err_set(err, LH_ETIMEOUT, "query_interrupted",
                                  "the query was interrupted before it finished (time limit reached or cancelled)");
            return 0;
        }
        if (duckdb_data_chunk_get_size(dc) == 0) {
            duckdb_destroy_data_chunk(&dc);
            continue;
        }
        *out = wrap_chunk(r, dc);
        return 0;
    }
}

void lh_result_free(lh_engine_result *r)
{
    if (!r) return;
    duckdb_destroy_result(&r->res);
    finish(r);
    lh__coltypes_release(r->types);
    lh_stmt_free(r->owned_stmt);
    free(r);
}

/* ---- chunks ---- */

size_t lh_chunk_rows(const lh_chunk *c)
{
    return c ? c->rows : 0;
}

int lh_chunk_is_null(const lh_chunk *c, size_t col, size_t row)
{
    if (!c || col >= c->ncols || row >= c->rows) return 1;
    return !duckdb_validity_row_is_valid(c->cols[col].validity, row);
}

void lh_chunk_free(lh_chunk *c)
{
    if (!c) return;
    duckdb_destroy_data_chunk(&c->chunk);
    lh__coltypes_release(c->types);
    free(c->cols);
    free(c);
}

static int bad_cell(const lh_chunk *c, size_t col, size_t row, lh_err *err)
{
    if (!c || col >= c->ncols || row >= c->rows)
        return lh_err_set(err, LH_EINVAL, "out_of_range", "no value at column %zu, row %zu (chunk has %zu x %zu)",
                          col, row, c ? c->ncols : 0, c ? c->rows : 0);
    if (!duckdb_validity_row_is_valid(c->cols[col].validity, row))
        return lh_err_set(err, LH_EINVAL, "null_value", "the value at column %zu, row %zu is NULL", col, row);
    return 0;
}

/* Value of a cell of integer type id (a DECIMAL's storage type gives its
 * unscaled integer); returns 0 if id is not an integer type. */
static int int_cell(duckdb_type id, const void *data, size_t row, __int128 *v)
{
    switch (id) {
    case DUCKDB_TYPE_TINYINT:   *v = ((const int8_t *)data)[row]; return 1;
    case DUCKDB_TYPE_SMALLINT:  *v = ((const int16_t *)data)[row]; return 1;
    case DUCKDB_TYPE_INTEGER:   *v = ((const int32_t *)data)[row]; return 1;
    case DUCKDB_TYPE_BIGINT:    *v = ((const int64_t *)data)[row]; return 1;
    case DUCKDB_TYPE_UTINYINT:  *v = ((const uint8_t *)data)[row]; return 1;
    case DUCKDB_TYPE_USMALLINT: *v = ((const uint16_t *)data)[row]; return 1;
    case DUCKDB_TYPE_UINTEGER:  *v = ((const uint32_t *)data)[row]; return 1;
    case DUCKDB_TYPE_UBIGINT:   *v = ((const uint64_t *)data)[row]; return 1;
    case DUCKDB_TYPE_HUGEINT:   *v = lh__hugeint((const duckdb_hugeint *)data + row); return 1;
    default: return 0;
    }
}

int lh_chunk_int64(const lh_chunk *c, size_t col, size_t row, int64_t *out, lh_err *err)
{
    *out = 0;
    int rc = bad_cell(c, col, row, err);
    if (rc) return rc;
    const lh_type *t = &c->types->cols[col];
    const void *data = c->cols[col].data;
    __int128 v;
    if (t->id == DUCKDB_TYPE_UHUGEINT) {
        unsigned __int128 u = lh__uhugeint((const duckdb_uhugeint *)data + row);
        if (u > (unsigned __int128)INT64_MAX)
            return lh_err_set(err, LH_EINVAL, "out_of_range", "the %s value does not fit a 64-bit integer", t->sql);
        *out = (int64_t)u;
        return 0;
    }
    duckdb_type id = t->id == DUCKDB_TYPE_DECIMAL && t->scale == 0 ? t->storage : t->id;
    if (!int_cell(id, data, row, &v))
        return lh_err_set(err, LH_EINVAL, "type_mismatch", "column %zu is %s, not an integer", col, t->sql);
    if (v > INT64_MAX || v < INT64_MIN)
        return lh_err_set(err, LH_EINVAL, "out_of_range", "the %s value does not fit a 64-bit integer", t->sql);
    *out = (int64_t)v;
    return 0;
}

int lh_chunk_double(const lh_chunk *c, size_t col, size_t row, double *out, lh_err *err)
{
    *out = 0;
    int rc = bad_cell(c, col, row, err);
    if (rc) return rc;
    const lh_type *t = &c->types->cols[col];
    const void *data = c->cols[col].data;
    __int128 v;
    switch (t->id) {
    case DUCKDB_TYPE_FLOAT:    *out = ((const float *)data)[row]; return 0;
    case DUCKDB_TYPE_DOUBLE:   *out = ((const double *)data)[row]; return 0;
    case DUCKDB_TYPE_UHUGEINT: *out = (double)lh__uhugeint((const duckdb_uhugeint *)data + row); return 0;
    case DUCKDB_TYPE_DECIMAL:
        if (!int_cell(t->storage, data, row, &v)) break;
        /* Divide in long double: exact for every DECIMAL(18,s), correctly
         * rounded to double afterwards for the rest. */
        *out = (double)((long double)v / powl(10.0L, t->scale));
        return 0;
    default:
        if (int_cell(t->id, data, row, &v)) {
            *out = (double)v;
            return 0;
        }
    }
    return lh_err_set(err, LH_EINVAL, "type_mismatch", "column %zu is %s, not a number", col, t->sql);
}

void lh_chunk_json(const lh_chunk *c, size_t col, size_t row, lh_buf *out)
{
    if (!c || col >= c->ncols || row >= c->rows || !duckdb_validity_row_is_valid(c->cols[col].validity, row)) {
        lh_buf_puts(out, "null");
        return;
    }
    lh__json_value(c->cols[col].vec, &c->types->cols[col], row, out);
}

int lh_chunk_text(const lh_chunk *c, size_t col, size_t row, lh_buf *out)
{
    if (!c || col >= c->ncols || row >= c->rows || !duckdb_validity_row_is_valid(c->cols[col].validity, row))
        return 0;
    lh__text_value(c->cols[col].vec, &c->types->cols[col], row, out);
    return 1;
}

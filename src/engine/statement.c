/* engine/statement.c — preparing SQL, classifying it, binding parameters.
 *
 * The query service must know what a piece of user SQL *is* before any of
 * it runs, so lh_engine_prepare_all splits the text with
 * duckdb_extract_statements and prepares every statement first; nothing
 * executes until the caller decides. The kind comes from DuckDB's own
 * parser (duckdb_prepared_statement_type), never from looking at the text:
 * SELECT, EXPLAIN and PRAGMA map to their kinds; DuckDB rewrites SHOW,
 * DESCRIBE and SUMMARIZE (and table-valued PRAGMAs such as table_info)
 * into SELECTs, so they classify as LH_STMT_SELECT; everything else
 * (INSERT, CREATE, COPY, ATTACH, INSTALL, LOAD, SET, CALL, ...) is
 * LH_STMT_OTHER.
 *
 * Because all statements are prepared before any runs, a statement cannot
 * refer to a table an earlier statement in the same text creates (its
 * binding fails); lh_engine_exec has no such limit.
 */
#include "engine/engine_internal.h"

#include <stdlib.h>
#include <string.h>

static lh_stmt_kind classify(duckdb_statement_type t)
{
    switch (t) {
    case DUCKDB_STATEMENT_TYPE_SELECT:  return LH_STMT_SELECT;
    case DUCKDB_STATEMENT_TYPE_EXPLAIN: return LH_STMT_EXPLAIN;
    case DUCKDB_STATEMENT_TYPE_PRAGMA:  return LH_STMT_PRAGMA;
    default:                            return LH_STMT_OTHER;
    }
}

static lh_engine_stmt *wrap(lh_engine_conn *c, duckdb_prepared_statement ps)
{
    lh_engine_stmt *s = lh_xcalloc(1, sizeof *s);
    s->conn = c;
    s->ps = ps;
    s->nparams = (size_t)duckdb_nparams(ps);
    return s;
}

int lh_engine_prepare(lh_engine_conn *c, const char *sql, lh_engine_stmt **out, lh_err *err)
{
    *out = NULL;
    duckdb_prepared_statement ps = NULL;
    lh__conn_begin(c);
    duckdb_state st = duckdb_prepare(c->con, sql, &ps);
    lh__conn_end(c);
    if (st == DuckDBError) {
        /* The prepared statement must be destroyed even after a failure. */
        int rc = lh__sql_error(err, c, DUCKDB_ERROR_INVALID, duckdb_prepare_error(ps));
        duckdb_destroy_prepare(&ps);
        return rc;
    }
    *out = wrap(c, ps);
    return 0;
}

int lh_engine_prepare_all(lh_engine_conn *c, const char *sql, lh_stmt_list *out, lh_err *err)
{
    memset(out, 0, sizeof *out);
    duckdb_extracted_statements ex = NULL;
    idx_t n = duckdb_extract_statements(c->con, sql, &ex);
    const char *xerr = duckdb_extract_statements_error(ex);
    if (n == 0 && xerr) {
        int rc = lh__sql_error(err, c, DUCKDB_ERROR_PARSER, xerr);
        duckdb_destroy_extracted(&ex);
        return rc;
    }
    out->stmts = lh_xcalloc(n ? n : 1, sizeof *out->stmts);
    out->kinds = lh_xcalloc(n ? n : 1, sizeof *out->kinds);
    for (idx_t i = 0; i < n; i++) {
        duckdb_prepared_statement ps = NULL;
        lh__conn_begin(c);
        duckdb_state st = duckdb_prepare_extracted_statement(c->con, ex, i, &ps);
        lh__conn_end(c);
        if (st == DuckDBError) {
            int rc = lh__sql_error(err, c, DUCKDB_ERROR_INVALID, duckdb_prepare_error(ps));
            if (n > 1) lh_err_prefix(err, "statement %llu of %llu", (unsigned long long)i + 1, (unsigned long long)n);
            duckdb_destroy_prepare(&ps);
            duckdb_destroy_extracted(&ex);
            lh_stmt_list_free(out);
            return rc;
        }
        out->kinds[i] = classify(duckdb_prepared_statement_type(ps));
        out->stmts[i] = wrap(c, ps);
        out->n = (size_t)i + 1;
    }
    duckdb_destroy_extracted(&ex);
    return 0;
}

void lh_stmt_list_free(lh_stmt_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) lh_stmt_free(l->stmts[i]);
    free(l->stmts);
    free(l->kinds);
    memset(l, 0, sizeof *l);
}

void lh_stmt_free(lh_engine_stmt *s)
{
    if (!s) return;
    duckdb_destroy_prepare(&s->ps);
    free(s);
}

/* ---- binding ---- */

static int check_idx(lh_engine_stmt *s, size_t idx, lh_err *err)
{
    if (idx == 0 || idx > s->nparams)
        return lh_err_set(err, LH_EINVAL, "bad_parameter",
                          "parameter %zu does not exist: the statement has %zu parameter%s (numbered from 1)", idx,
                          s->nparams, s->nparams == 1 ? "" : "s");
    return 0;
}

static int bound(duckdb_state st, size_t idx, const char *what, lh_err *err)
{
    if (st == DuckDBError)
        return lh_err_set(err, LH_EINVAL, "bad_parameter", "DuckDB refused %s for parameter %zu", what, idx);
    return 0;
}

int lh_stmt_bind_text(lh_engine_stmt *s, size_t idx, const char *v, lh_err *err)
{
    int rc = check_idx(s, idx, err);
    if (rc) return rc;
    if (!v) return lh_stmt_bind_null(s, idx, err);
    return bound(duckdb_bind_varchar(s->ps, idx, v), idx, "a text value", err);
}

int lh_stmt_bind_int64(lh_engine_stmt *s, size_t idx, int64_t v, lh_err *err)
{
    int rc = check_idx(s, idx, err);
    if (rc) return rc;
    return bound(duckdb_bind_int64(s->ps, idx, v), idx, "an integer", err);
}

int lh_stmt_bind_double(lh_engine_stmt *s, size_t idx, double v, lh_err *err)
{
    int rc = check_idx(s, idx, err);
    if (rc) return rc;
    return bound(duckdb_bind_double(s->ps, idx, v), idx, "a double", err);
}

int lh_stmt_bind_null(lh_engine_stmt *s, size_t idx, lh_err *err)
{
    int rc = check_idx(s, idx, err);
    if (rc) return rc;
    return bound(duckdb_bind_null(s->ps, idx), idx, "NULL", err);
}

int lh_stmt_query(lh_engine_stmt *s, lh_engine_result **out, lh_err *err)
{
    return lh__result_open(s, NULL, out, err);
}

/* engine/parquet.c — writing Parquet files and reading their footers, and
 * quoting values into generated SQL.
 *
 * Lakehouse's data objects are Parquet written by DuckDB's COPY with zstd
 * compression; the commit protocol then reads each new file's footer (row
 * count, schema) to build the manifest. Reading the footer must not scan
 * the data: row counts come from parquet_file_metadata (the footer's
 * num_rows) and the schema from DESCRIBE over read_parquet, which only
 * binds the scan (reads the footer) and reports DuckDB's logical types in
 * the same spelling lh_result_col_type uses.
 *
 * Paths travel inside SQL string literals (lh_sql_quote_literal), so any
 * file name is safe. read_parquet treats *, ? and [ in a path as glob
 * characters; Lakehouse's object names never contain them.
 */
#include "engine/engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void lh_sql_quote_literal(lh_buf *out, const char *s)
{
    lh_buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'') lh_buf_putc(out, '\'');
        lh_buf_putc(out, *p);
    }
    lh_buf_putc(out, '\'');
}

void lh_sql_quote_ident(lh_buf *out, const char *s)
{
    lh_buf_putc(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"') lh_buf_putc(out, '"');
        lh_buf_putc(out, *p);
    }
    lh_buf_putc(out, '"');
}

int lh_parquet_write(lh_engine_conn *c, const char *select_sql, const char *path, int64_t *rows, lh_err *err)
{
    return lh_parquet_write_opts(c, select_sql, path, NULL, rows, err);
}

/* Run a prepared COPY to completion without spinning. DuckDB's own wait
 * (duckdb_execute_pending) busy-polls for tasks while its worker threads
 * run the last ones; when a worker is waiting on a producer (a feed whose
 * rows come from the network) that poll burns a whole core the producer
 * needs. Here the calling thread runs tasks while there are any and
 * sleeps 100 us at a time while there are none. */
static int run_polite(lh_engine_conn *c, duckdb_prepared_statement ps, int64_t *count, lh_err *err)
{
    duckdb_pending_result pending = NULL;
    lh__conn_begin(c);
    if (duckdb_pending_prepared(ps, &pending) == DuckDBError) {
        int rc = lh__sql_error(err, c, DUCKDB_ERROR_INVALID, duckdb_pending_error(pending));
        duckdb_destroy_pending(&pending);
        lh__conn_end(c);
        return rc;
    }
    if (lh__conn_was_interrupted(c)) duckdb_interrupt(c->con);
    for (;;) {
        duckdb_pending_state st = duckdb_pending_execute_task(pending);
        if (st == DUCKDB_PENDING_RESULT_READY || st == DUCKDB_PENDING_ERROR) break;
        if (st == DUCKDB_PENDING_NO_TASKS_AVAILABLE) nanosleep(&(struct timespec){0, 100000}, NULL);
    }
    duckdb_result res;
    int rc = 0;
    if (duckdb_execute_pending(pending, &res) == DuckDBError) {
        /* When a worker thread's task failed, the next task call reports it
         * wrapped as "Attempting to execute an unsuccessful or closed
         * pending query result\nError: <the error>": keep the error. */
        const char *msg = duckdb_result_error(&res);
        const char *wrapped = msg ? strstr(msg, "Attempting to execute an unsuccessful or closed pending query result")
                                  : NULL;
        const char *inner = wrapped ? strstr(wrapped, "Error: ") : NULL;
        if (inner) msg = inner + strlen("Error: ");
        rc = lh__sql_error(err, c, duckdb_result_error_type(&res), msg);
    } else {
        duckdb_data_chunk ch = duckdb_fetch_chunk(res);
        if (ch && duckdb_data_chunk_get_size(ch) == 1 && duckdb_column_type(&res, 0) == DUCKDB_TYPE_BIGINT)
            *count = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(ch, 0)))[0];
        else
            rc = lh_err_set(err, LH_EINTERNAL, "parquet_write", "COPY returned no row count");
        if (ch) duckdb_destroy_data_chunk(&ch);
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_pending(&pending);
    lh__conn_end(c);
    return rc;
}

int lh_parquet_write_opts(lh_engine_conn *c, const char *select_sql, const char *path, const lh_parquet_opts *o,
                          int64_t *rows, lh_err *err)
{
    if (rows) *rows = 0;
    /* A trailing ";" would end the statement inside COPY ( ... ). */
    size_t n = strlen(select_sql);
    while (n > 0 && (select_sql[n - 1] == ';' || select_sql[n - 1] == ' ' || select_sql[n - 1] == '\n' ||
                     select_sql[n - 1] == '\t' || select_sql[n - 1] == '\r'))
        n--;
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "COPY (");
    lh_buf_append(&sql, select_sql, n);
    lh_buf_puts(&sql, "\n) TO ");
    lh_sql_quote_literal(&sql, path);
    lh_buf_puts(&sql, " (FORMAT parquet, COMPRESSION zstd");
    if (o && o->row_group_rows > 0) lh_buf_printf(&sql, ", ROW_GROUP_SIZE %lld", (long long)o->row_group_rows);
    lh_buf_putc(&sql, ')');
    lh_engine_stmt *s = NULL;
    int64_t count = 0;
    int rc = lh_engine_prepare(c, sql.data, &s, err);
    if (!rc) rc = run_polite(c, s->ps, &count, err);
    lh_stmt_free(s);
    if (rc) lh_err_prefix(err, "writing Parquet file %s", path);
    else if (rows) *rows = count;
    lh_buf_free(&sql);
    return rc;
}

void lh_parquet_info_free(lh_parquet_info *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_cols; i++) {
        free(p->cols[i].name);
        free(p->cols[i].type);
    }
    free(p->cols);
    memset(p, 0, sizeof *p);
}

/* DuckDB's error for a file that is not Parquet, rephrased for the user. */
static int unreadable(lh_err *err, const char *path)
{
    char duck[LH_ERR_MSG_MAX];
    memcpy(duck, err ? err->msg : "", err ? sizeof duck : 1);
    return lh_err_set(err, LH_EINVAL, "parquet_invalid",
                      "%s is not a readable Parquet file (corrupt, truncated or another format): %s", path, duck);
}

int lh_parquet_footer(lh_engine_conn *c, const char *path, lh_parquet_info *out, lh_err *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0)
        return lh_err_set(err, errno == ENOENT ? LH_ENOTFOUND : LH_EIO,
                          errno == ENOENT ? "file_not_found" : "file_unreadable", "cannot read Parquet file %s: %s",
                          path, strerror(errno));

    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(coalesce(sum(num_rows), 0) AS BIGINT) FROM parquet_file_metadata(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_putc(&sql, ')');
    lh_buf text = LH_BUF_INIT;
    int rc = lh_engine_query_text(c, sql.data, &text, err);
    if (rc) {
        if (rc == LH_EINVAL && !strstr(err ? err->msg : "", "Permission Error")) rc = unreadable(err, path);
        goto out;
    }
    out->rows = strtoll(text.data ? text.data : "0", NULL, 10);

    lh_buf_reset(&sql);
    lh_buf_puts(&sql, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_puts(&sql, "))");
    lh_engine_result *r = NULL;
    if ((rc = lh_engine_query(c, sql.data, &r, err))) {
        if (rc == LH_EINVAL && !strstr(err ? err->msg : "", "Permission Error")) rc = unreadable(err, path);
        goto out;
    }
    size_t cap = 0;
    lh_chunk *ch = NULL;
    while (!(rc = lh_result_next(r, &ch, err)) && ch) {
        for (size_t i = 0; i < lh_chunk_rows(ch); i++) {
            if (out->n_cols == cap) {
                cap = cap ? cap * 2 : 16;
                out->cols = lh_xrealloc(out->cols, cap * sizeof *out->cols);
            }
            lh_buf name = LH_BUF_INIT, type = LH_BUF_INIT;
            lh_chunk_text(ch, 0, i, &name);
            lh_chunk_text(ch, 1, i, &type);
            out->cols[out->n_cols].name = name.data ? lh_buf_detach(&name) : lh_xstrdup("");
            out->cols[out->n_cols].type = type.data ? lh_buf_detach(&type) : lh_xstrdup("");
            out->n_cols++;
        }
        lh_chunk_free(ch);
    }
    lh_result_free(r);
    if (rc) lh_parquet_info_free(out);
out:
    lh_buf_free(&text);
    lh_buf_free(&sql);
    return rc;
}

/* engine/appender.c — bulk inserts into a table of the engine.
 *
 * DuckDB's appender writes rows into a table without parsing SQL per row:
 * values are appended column by column, lh_append_end_row completes a row,
 * and rows are flushed to the table in batches and on close. Text values
 * are converted to the column's type by DuckDB as they are appended, so a
 * value that does not convert fails at that call.
 *
 * Errors are sticky: after the first failure every later call returns that
 * same error without touching DuckDB (whose column position may no longer
 * match the caller's), and lh_appender_close reports it. What reaches the
 * table after a failure is DuckDB's rule (measured on 1.4.4): rows not yet
 * flushed are discarded when the close fails on the incomplete row, but
 * DuckDB flushes by itself every 204,800 rows and those stay. A caller that
 * needs all-or-nothing appends inside a transaction it rolls back, or into
 * a scratch table it drops.
 */
#include "engine/engine_internal.h"

#include <stdlib.h>
#include <string.h>

struct lh_appender {
    lh_engine_conn *conn;
    duckdb_appender app;
    char           *table;
    lh_err          first;  /* first error met; status 0 while none */
};

/* Record DuckDB's appender error (if the call failed) as the sticky error. */
static int check(lh_appender *a, duckdb_state st, const char *what, lh_err *err)
{
    if (st != DuckDBError) return 0;
    if (!a->first.status) {
        duckdb_error_data ed = duckdb_appender_error_data(a->app);
        const char *m = ed && duckdb_error_data_has_error(ed) ? duckdb_error_data_message(ed) : "unknown error";
        lh_err_set(&a->first, LH_EINVAL, "append_failed", "appending to table %s failed (%s): %s", a->table, what,
                   m);
        duckdb_destroy_error_data(&ed);
    }
    if (err) *err = a->first;
    return a->first.status;
}

static int sticky(lh_appender *a, lh_err *err)
{
    if (!a->first.status) return 0;
    if (err) *err = a->first;
    return a->first.status;
}

int lh_appender_open(lh_engine_conn *c, const char *table, lh_appender **out, lh_err *err)
{
    *out = NULL;
    duckdb_appender app = NULL;
    if (duckdb_appender_create(c->con, NULL, table, &app) == DuckDBError) {
        int rc;
        duckdb_error_data ed = app ? duckdb_appender_error_data(app) : NULL;
        if (ed && duckdb_error_data_has_error(ed))
            rc = lh_err_set(err, LH_EINVAL, "sql_error", "cannot append to table %s: %s", table,
                            duckdb_error_data_message(ed));
        else
            rc = lh_err_set(err, LH_EINVAL, "sql_error", "cannot append to table %s", table);
        if (ed) duckdb_destroy_error_data(&ed);
        if (app) duckdb_appender_destroy(&app);
        return rc;
    }
    lh_appender *a = lh_xcalloc(1, sizeof *a);
    a->conn = c;
    a->app = app;
    a->table = lh_xstrdup(table);
    *out = a;
    return 0;
}

int lh_append_text(lh_appender *a, const char *v, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    if (!v) return lh_append_null(a, err);
    return check(a, duckdb_append_varchar(a->app, v), "text value", err);
}

int lh_append_int64(lh_appender *a, int64_t v, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    return check(a, duckdb_append_int64(a->app, v), "integer value", err);
}

int lh_append_double(lh_appender *a, double v, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    return check(a, duckdb_append_double(a->app, v), "double value", err);
}

int lh_append_bool(lh_appender *a, int v, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    return check(a, duckdb_append_bool(a->app, v != 0), "boolean value", err);
}

int lh_append_null(lh_appender *a, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    return check(a, duckdb_append_null(a->app), "NULL", err);
}

int lh_append_end_row(lh_appender *a, lh_err *err)
{
    int rc = sticky(a, err);
    if (rc) return rc;
    return check(a, duckdb_appender_end_row(a->app), "end of row", err);
}

int lh_appender_close(lh_appender *a, lh_err *err)
{
    if (!a) return 0;
    /* Close (flush) first so its error can still be read, then destroy. */
    check(a, duckdb_appender_close(a->app), "flush", NULL);
    duckdb_appender_destroy(&a->app);
    int rc = a->first.status;
    if (rc && err) *err = a->first;
    free(a->table);
    free(a);
    return rc;
}

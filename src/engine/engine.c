/* engine/engine.c — opening DuckDB, locking it down, connections, and
 * running SQL whose result is discarded or is a single value.
 *
 * An engine is one in-memory DuckDB database opened with the settings every
 * instance needs offline: extension auto-install/auto-load off (they would
 * stall on the network and write into $HOME), persistent secrets off (they
 * live in ~/.duckdb/stored_secrets: neither read nor written), and the
 * session time zone pinned to UTC so TIMESTAMPTZ renders the same on every
 * host (lh_chunk_text matches CAST(x AS VARCHAR) only with a known zone).
 *
 * Lockdown is three settings in the one order DuckDB 1.4.4 accepts
 * (measured): allowed_directories first — DuckDB refuses to change it once
 * external access is off — then enable_external_access = false, then
 * lock_configuration = true, after which no SET/RESET/PRAGMA can undo
 * either. File access is then refused everywhere except under the allowed
 * directories, by path prefix, so views over files inside them keep reading.
 *
 * Interrupts: lh_engine_conn_interrupt forwards duckdb_interrupt only while
 * the connection is busy (see engine_internal.h) and records that it did,
 * so a failure is recognised as an interruption even where DuckDB gives no
 * error type. DuckDB clears its flag when a query starts (measured), so an
 * interrupt sent to an idle connection is a no-op, and one that lands just
 * before a streaming query starts is sent again once it has (result.c).
 *
 * Only the data-chunk API is used (duckdb_fetch_chunk, vectors, validity);
 * every result, chunk, config and connection is destroyed on every path.
 */
#include "engine/engine_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lh_engine_library_version(void)
{
    return duckdb_library_version();
}

/* ---- errors ---- */

/* Length of msg without a repeated trailing position block: DuckDB 1.4.4
 * appends "\n\nLINE 1: ...\n      ^" twice to parser errors. */
static int dedup_len(const char *msg)
{
    size_t n = strlen(msg);
    const char *last = NULL;
    for (const char *p = strstr(msg, "\n\nLINE "); p; p = strstr(p + 1, "\n\nLINE ")) last = p;
    if (!last) return (int)(n > INT32_MAX ? INT32_MAX : n);
    size_t at = (size_t)(last - msg), blk = n - at;
    if (at >= blk && memcmp(msg + at - blk, last, blk) == 0) return (int)at;
    return (int)(n > INT32_MAX ? INT32_MAX : n);
}

int lh__sql_error(lh_err *err, lh_engine_conn *c, duckdb_error_type type, const char *msg)
{
    if (!msg || !*msg) msg = "DuckDB reported an error without a message";
    int interrupted = type == DUCKDB_ERROR_INTERRUPT;
    if (!interrupted && c && lh__conn_was_interrupted(c) && strstr(msg, "nterrupt")) interrupted = 1;
    if (interrupted)
        return lh_err_set(err, LH_ETIMEOUT, "query_interrupted",
                          "the query was interrupted before it finished (time limit reached or cancelled): %s",
                          msg);
    return lh_err_set(err, LH_EINVAL, "sql_error", "%.*s", dedup_len(msg), msg);
}

/* ---- opening ---- */

/* Settings every engine instance gets before it opens. */
static int offline_config(duckdb_config *cfg, lh_err *err)
{
    if (duckdb_create_config(cfg) == DuckDBError)
        return lh_err_set(err, LH_ENOMEM, "engine_config", "could not create a DuckDB configuration");
    static const char *const settings[][2] = {
        {"autoinstall_known_extensions", "false"},
        {"autoload_known_extensions", "false"},
        {"allow_persistent_secrets", "false"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (duckdb_set_config(*cfg, settings[i][0], settings[i][1]) == DuckDBError) {
            duckdb_destroy_config(cfg);
            return lh_err_set(err, LH_EINTERNAL, "engine_config", "DuckDB refused setting %s = %s",
                              settings[i][0], settings[i][1]);
        }
    }
    return 0;
}

static int set_opt(duckdb_config *cfg, const char *name, const char *value, lh_err *err)
{
    if (duckdb_set_config(*cfg, name, value) == DuckDBError) {
        duckdb_destroy_config(cfg);
        return lh_err_set(err, LH_EINVAL, "engine_config", "DuckDB refused setting %s = '%s'", name, value);
    }
    return 0;
}

static int cmp_kw(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load DuckDB's keyword list: struct member names that are keywords are
 * quoted in type spellings ("STRUCT(\"year\" INTEGER)"), as DuckDB does. */
static int load_keywords(lh_engine *e, duckdb_connection con, lh_err *err)
{
    duckdb_result res;
    if (duckdb_query(con, "SELECT lower(keyword_name) FROM duckdb_keywords()", &res) == DuckDBError) {
        int rc = lh_err_set(err, LH_EINTERNAL, "engine_open", "could not list DuckDB keywords: %s",
                            duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return rc;
    }
    size_t cap = 0;
    duckdb_data_chunk ch;
    while ((ch = duckdb_fetch_chunk(res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(ch);
        duckdb_vector v = duckdb_data_chunk_get_vector(ch, 0);
        duckdb_string_t *s = duckdb_vector_get_data(v);
        uint64_t *valid = duckdb_vector_get_validity(v);
        for (idx_t i = 0; i < n; i++) {
            if (!duckdb_validity_row_is_valid(valid, i)) continue;
            if (e->n_keywords == cap) {
                cap = cap ? cap * 2 : 512;
                e->keywords = lh_xrealloc(e->keywords, cap * sizeof *e->keywords);
            }
            e->keywords[e->n_keywords++] =
                lh_xstrndup(duckdb_string_t_data(&s[i]), duckdb_string_t_length(s[i]));
        }
        duckdb_destroy_data_chunk(&ch);
    }
    duckdb_destroy_result(&res);
    qsort(e->keywords, e->n_keywords, sizeof *e->keywords, cmp_kw);
    return 0;
}

int lh_engine_open(const lh_engine_opts *opts, lh_engine **out, lh_err *err)
{
    *out = NULL;
    const char *v = duckdb_library_version();
    if (strcmp(v, LH_DUCKDB_VERSION) != 0)
        return lh_err_set(err, LH_EINTERNAL, "engine_version_mismatch",
                          "DuckDB library is %s but Lakehouse is built for %s; run scripts/setup.sh to "
                          "fetch the pinned library", v, LH_DUCKDB_VERSION);
    duckdb_config cfg;
    int rc = offline_config(&cfg, err);
    if (rc) return rc;
    if (opts && opts->threads > 0) {
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)opts->threads);
        if ((rc = set_opt(&cfg, "threads", n, err))) return rc;
    } else if (opts && opts->threads < 0) {
        duckdb_destroy_config(&cfg);
        return lh_err_set(err, LH_EINVAL, "engine_config", "engine threads must be 0 (one per core) or more, not %lld",
                          (long long)opts->threads);
    }
    if (opts && opts->memory_limit && *opts->memory_limit &&
        (rc = set_opt(&cfg, "memory_limit", opts->memory_limit, err)))
        return rc;
    if (opts && opts->temp_dir && *opts->temp_dir && (rc = set_opt(&cfg, "temp_directory", opts->temp_dir, err)))
        return rc;
    if (opts && opts->bulk_writes && (rc = set_opt(&cfg, "preserve_insertion_order", "false", err)))
        return rc;

    lh_engine *e = lh_xcalloc(1, sizeof *e);
    pthread_mutex_init(&e->feed_mu, NULL);
    char *open_err = NULL;
    if (duckdb_open_ext(NULL, &e->db, cfg, &open_err) == DuckDBError) {
        rc = lh_err_set(err, LH_EINTERNAL, "engine_open", "could not open DuckDB: %s",
                        open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        duckdb_destroy_config(&cfg);
        pthread_mutex_destroy(&e->feed_mu);
        free(e);
        return rc;
    }
    duckdb_destroy_config(&cfg);

    duckdb_connection con = NULL;
    if (duckdb_connect(e->db, &con) == DuckDBError) {
        lh_engine_free(e);
        return lh_err_set(err, LH_EINTERNAL, "engine_open", "could not connect to the new DuckDB database");
    }
    duckdb_result res;
    if (duckdb_query(con, "SET GLOBAL TimeZone = 'UTC'", &res) == DuckDBError) {
        rc = lh_err_set(err, LH_EINTERNAL, "engine_open", "could not set the engine's time zone to UTC: %s",
                        duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        duckdb_disconnect(&con);
        lh_engine_free(e);
        return rc;
    }
    duckdb_destroy_result(&res);
    rc = load_keywords(e, con, err);
    duckdb_disconnect(&con);
    if (rc) {
        lh_engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void lh_engine_free(lh_engine *e)
{
    if (!e) return;
    assert(!e->feeds && "free every feed before its engine");
    if (e->db) duckdb_close(&e->db);
    pthread_mutex_destroy(&e->feed_mu);
    for (size_t i = 0; i < e->n_keywords; i++) free(e->keywords[i]);
    free(e->keywords);
    free(e);
}

/* ---- lockdown ---- */

int lh_engine_lockdown(lh_engine *e, const char *const *dirs, size_t n_dirs, lh_err *err)
{
    if (atomic_load(&e->locked))
        return lh_err_set(err, LH_EINVAL, "engine_locked", "the engine is already locked down");
    lh_buf list = LH_BUF_INIT;
    lh_buf_puts(&list, "SET GLOBAL allowed_directories = [");
    for (size_t i = 0; i < n_dirs; i++) {
        const char *d = dirs[i];
        if (!d || !*d) {
            lh_buf_free(&list);
            return lh_err_set(err, LH_EINVAL, "bad_path", "allowed directory #%zu is empty", i + 1);
        }
        /* A trailing "/" makes the prefix a directory: "/data" must not
         * also allow "/data2/...". */
        size_t n = strlen(d);
        lh_buf dir = LH_BUF_INIT;
        lh_buf_append(&dir, d, n);
        if (d[n - 1] != '/') lh_buf_putc(&dir, '/');
        if (i) lh_buf_puts(&list, ", ");
        lh_sql_quote_literal(&list, dir.data);
        lh_buf_free(&dir);
    }
    lh_buf_puts(&list, "]::VARCHAR[]");

    const char *steps[] = {
        list.data,
        "SET GLOBAL enable_external_access = false",
        "SET GLOBAL lock_configuration = true",
    };
    duckdb_connection con = NULL;
    int rc = 0;
    if (duckdb_connect(e->db, &con) == DuckDBError) {
        rc = lh_err_set(err, LH_EINTERNAL, "engine_lockdown", "could not connect to lock the engine down");
        goto out;
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        duckdb_result res;
        if (duckdb_query(con, steps[i], &res) == DuckDBError) {
            rc = lh_err_set(err, LH_EINTERNAL, "engine_lockdown", "locking the engine down failed at \"%.200s\": %s",
                            steps[i], duckdb_result_error(&res));
            duckdb_destroy_result(&res);
            goto out;
        }
        duckdb_destroy_result(&res);
    }
    atomic_store(&e->locked, 1);
out:
    if (con) duckdb_disconnect(&con);
    lh_buf_free(&list);
    return rc;
}

/* ---- connections ---- */

int lh_engine_connect(lh_engine *e, lh_engine_conn **out, lh_err *err)
{
    *out = NULL;
    lh_engine_conn *c = lh_xcalloc(1, sizeof *c);
    c->engine = e;
    if (duckdb_connect(e->db, &c->con) == DuckDBError) {
        free(c);
        return lh_err_set(err, LH_EINTERNAL, "engine_connect", "could not open a DuckDB connection");
    }
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

void lh_engine_conn_free(lh_engine_conn *c)
{
    if (!c) return;
    assert(c->busy == 0 && "free a connection's results before the connection");
    duckdb_disconnect(&c->con);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void lh_engine_conn_interrupt(lh_engine_conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    if (c->busy > 0) {
        c->interrupted = 1;
        duckdb_interrupt(c->con);
    }
    pthread_mutex_unlock(&c->mu);
}

void lh__conn_begin(lh_engine_conn *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->busy++ == 0) c->interrupted = 0;
    pthread_mutex_unlock(&c->mu);
}

void lh__conn_end(lh_engine_conn *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->busy > 0) c->busy--;
    pthread_mutex_unlock(&c->mu);
}

int lh__conn_was_interrupted(lh_engine_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int v = c->interrupted;
    pthread_mutex_unlock(&c->mu);
    return v;
}

/* ---- running SQL ---- */

int lh_engine_exec(lh_engine_conn *c, const char *sql, lh_err *err)
{
    duckdb_result res;
    lh__conn_begin(c);
    int rc = 0;
    if (duckdb_query(c->con, sql, &res) == DuckDBError)
        rc = lh__sql_error(err, c, duckdb_result_error_type(&res), duckdb_result_error(&res));
    lh__conn_end(c);
    duckdb_destroy_result(&res);
    return rc;
}

int lh_engine_query(lh_engine_conn *c, const char *sql, lh_engine_result **out, lh_err *err)
{
    *out = NULL;
    lh_engine_stmt *s = NULL;
    int rc = lh_engine_prepare(c, sql, &s, err);
    if (rc) return rc;
    return lh__result_open(s, s, out, err); /* the result owns s, also on failure */
}

int lh_engine_query_text(lh_engine_conn *c, const char *sql, lh_buf *out, lh_err *err)
{
    lh_engine_result *r = NULL;
    int rc = lh_engine_query(c, sql, &r, err);
    if (rc) return rc;
    lh_chunk *ch = NULL;
    rc = lh_result_next(r, &ch, err);
    if (!rc && !ch) rc = lh_err_set(err, LH_ENOTFOUND, "no_rows", "the query returned no rows: %.200s", sql);
    if (!rc && lh_result_ncols(r) == 0)
        rc = lh_err_set(err, LH_EINVAL, "no_columns", "the query returned no columns: %.200s", sql);
    if (!rc) lh_chunk_text(ch, 0, 0, out);
    lh_chunk_free(ch);
    lh_result_free(r);
    return rc;
}

/* ---- self-check ---- */

int lh_engine_selfcheck(lh_err *err)
{
    lh_engine *e = NULL;
    int rc = lh_engine_open(NULL, &e, err);
    if (rc) return rc;
    lh_engine_conn *c = NULL;
    lh_engine_result *r = NULL;
    lh_chunk *ch = NULL;
    if ((rc = lh_engine_connect(e, &c, err))) goto out;
    if ((rc = lh_engine_query(c, "SELECT 42::INTEGER AS answer", &r, err))) {
        lh_err_prefix(err, "DuckDB self-check query failed");
        goto out;
    }
    if ((rc = lh_result_next(r, &ch, err))) goto out;
    int64_t got = -1;
    if (ch && lh_chunk_rows(ch) == 1 && !lh_chunk_is_null(ch, 0, 0)) lh_chunk_int64(ch, 0, 0, &got, NULL);
    if (got != 42)
        rc = lh_err_set(err, LH_EINTERNAL, "engine_selfcheck", "DuckDB self-check returned %lld, expected 42",
                        (long long)got);
out:
    lh_chunk_free(ch);
    lh_result_free(r);
    lh_engine_conn_free(c);
    lh_engine_free(e);
    return rc;
}

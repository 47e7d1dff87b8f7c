/* query/run.c — running one user query and streaming its encoded result.
 *
 * A run is a small state machine (header, rows, trailer, done) that the
 * HTTP layer pulls from: each pull encodes at most a chunk's worth of rows,
 * so memory stays bounded by the chunk size whatever the result size. A
 * watchdog thread interrupts the engine at the deadline; the interrupt
 * surfaces as an error from the next fetch, and the stream ends with it.
 */
#include "query/query_impl.h"
#include "core/clock.h"
#include "core/id.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

enum { PH_HEADER, PH_ROWS, PH_TRAILER, PH_DONE };

struct lh_query_run {
    lh_query_service *q;
    lh_engine_conn   *conn;
    lh_stmt_list      stmts;
    lh_engine_result *res;
    lh_chunk         *chunk;
    size_t            row;        /* next row of chunk */
    size_t            ncols;
    char            **names_json; /* column names as JSON strings */
    lh_query_req      req;
    int               phase;
    int64_t           rows_out;
    int64_t           bytes_out;
    int               truncated;
    const char       *truncated_by;
    int               failed;
    lh_err            err;
    lh_buf            pending;
    size_t            pending_off;
    int64_t           t0;
    /* watchdog */
    pthread_t         dog;
    int               dog_running;
    pthread_mutex_t   mu;
    pthread_cond_t    cv;
    int               finished;
    int               timed_out;
    lh_query_pins     pins;       /* cached S3 files this run reads */
    /* format=parquet: the result file, streamed then deleted */
    char             *file;
    int               fd;
};

static void *watchdog(void *arg)
{
    lh_query_run *r = arg;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += r->req.timeout_ms / 1000;
    dl.tv_nsec += (r->req.timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&r->mu);
    while (!r->finished) {
        if (pthread_cond_timedwait(&r->cv, &r->mu, &dl) == ETIMEDOUT) {
            if (!r->finished) {
                r->timed_out = 1;
                lh_engine_conn_interrupt(r->conn);
            }
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Rewrite an interrupt caused by our deadline into a timeout error. */
static int timeout_error(lh_query_run *r, int rc, lh_err *err)
{
    if (rc && r->timed_out)
        return lh_err_set(err, LH_ETIMEOUT, "query_timeout", "the query ran longer than timeout_ms=%lld and was stopped",
                          (long long)r->req.timeout_ms);
    return rc;
}

const char *lh_query_content_type(const lh_query_run *r)
{
    switch (r->req.format) {
    case LH_QFMT_NDJSON: return "application/x-ndjson";
    case LH_QFMT_CSV:    return "text/csv; charset=utf-8";
    case LH_QFMT_PARQUET: return "application/vnd.apache.parquet";
    default:             return "application/json";
    }
}

void lh_query_run_free(lh_query_run *r)
{
    if (!r) return;
    if (r->dog_running) {
        pthread_mutex_lock(&r->mu);
        r->finished = 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->dog, NULL);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    if (r->fd >= 0) close(r->fd);
    if (r->file) { unlink(r->file); free(r->file); }
    lh_chunk_free(r->chunk);
    lh_result_free(r->res);
    lh_stmt_list_free(&r->stmts);
    lh_engine_conn_free(r->conn);
    lh_query_pins_release(r->q, &r->pins);  /* after everything that reads the files */
    for (size_t i = 0; i < r->ncols; i++) free(r->names_json[i]);
    free(r->names_json);
    lh_buf_free(&r->pending);
    free(r);
}

static void put_json_string(lh_buf *b, const char *s)
{
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    lh_buf_puts(b, t ? t : "\"\"");
    free(t);
    json_decref(j);
}

/* format=parquet: let the engine write the validated SELECT (limited) to a
 * file in its export directory. The statement is first turned into
 * DuckDB's own canonical text (json_serialize_sql then json_deserialize_sql,
 * which accept only SELECTs), so trailing semicolons and comments are gone
 * and wrapping it as a subquery cannot change what it does. */
static int parquet_result(lh_query_run *r, lh_err *err)
{
    if (!r->q->exports)
        return lh_err_set(err, LH_EUNAVAIL, "parquet_unavailable", "Parquet results are not available on this server");
    if (r->stmts.kinds[0] != LH_STMT_SELECT)
        return lh_err_set(err, LH_EINVAL, "invalid_format", "format=parquet needs a SELECT");
    char id[33];
    lh_hex_id(id, 16);
    lh_buf path = LH_BUF_INIT, sql = LH_BUF_INIT, canon = LH_BUF_INIT;
    lh_buf_printf(&path, "%s/%s.parquet", r->q->exports, id);
    lh_buf_puts(&sql, "SELECT json_deserialize_sql(json_serialize_sql(");
    lh_sql_quote_literal(&sql, r->req.sql);
    lh_buf_puts(&sql, "))");
    int rc = lh_engine_query_text(r->conn, sql.data, &canon, err);
    lh_buf_reset(&sql);
    if (rc || !canon.len) {
        lh_buf_free(&sql);
        lh_buf_free(&canon);
        lh_buf_free(&path);
        return rc ? rc : lh_err_set(err, LH_EINVAL, "invalid_format", "format=parquet needs a plain SELECT");
    }
    lh_buf_puts(&sql, "COPY (SELECT * FROM (\n");
    lh_buf_append(&sql, canon.data, canon.len);
    lh_buf_free(&canon);
    lh_buf_printf(&sql, "\n) LIMIT %lld) TO ", (long long)r->req.limit);
    lh_sql_quote_literal(&sql, path.data);
    lh_buf_puts(&sql, " (FORMAT parquet, COMPRESSION zstd)");
    r->file = lh_buf_detach(&path);
    lh_buf out = LH_BUF_INIT;
    rc = lh_engine_query_text(r->conn, sql.data, &out, err);
    lh_buf_free(&sql);
    if (!rc) {
        r->rows_out = strtoll(out.data ? out.data : "0", NULL, 10);
        r->fd = open(r->file, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) rc = lh_err_set(err, LH_EIO, "io_error", "cannot open the Parquet result: %s", strerror(errno));
    }
    lh_buf_free(&out);
    pthread_mutex_lock(&r->mu);
    r->finished = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Time travel: shadow each dataset the query names with a temporary view
 * (visible to this connection only, ahead of the shared views) over the
 * version it had then. That version's files are fetched (and pinned) first,
 * so an empty read cache is no obstacle. */
static int time_travel(lh_query_run *r, json_t *names, int complete, lh_err *err)
{
    if (!complete)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "as_of and as_of_version need a single SELECT "
                          "that names its datasets (not EXPLAIN, PRAGMA, query() or query_table())");
    int rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        const char *name = json_string_value(v);
        lh_dataset *now = lh_catalog_get_any(r->q->cat, name);
        if (!now) continue;  /* a CTE, lakehouse_journal, or an unknown name DuckDB will report */
        lh_dataset_unref(now);
        lh_dataset *ds = NULL;
        if (r->req.as_of_version > 0) rc = lh_catalog_load_version(r->q->cat, name, r->req.as_of_version, &ds, err);
        else rc = lh_catalog_version_at(r->q->cat, name, r->req.as_of_us, &ds, err);
        if (!rc && ds->deleted)
            rc = lh_err_set(err, LH_ENOTFOUND, "version_not_found", "dataset \"%s\" was deleted at version %lld",
                            name, (long long)ds->version);
        lh_buf view = LH_BUF_INIT;
        if (!rc) rc = lh_query_ensure_dataset(r->q, ds, &r->pins, err);
        if (!rc) rc = lh_query_view_sql(r->q, ds, 1, &view, err);
        if (!rc) rc = lh_engine_exec(r->conn, view.data, err);
        lh_buf_free(&view);
        lh_dataset_unref(ds);
        if (rc) break;
    }
    return rc;
}

/* Before anything is bound: learn which datasets the statement names, and
 * make their files readable — the current ones (lh_query_ensure_files) or,
 * for time travel, the old version's (time_travel). */
static int prepare_datasets(lh_query_run *r, lh_err *err)
{
    int travel = r->req.as_of_us || r->req.as_of_version;
    /* every bucket local: the views read the buckets' own files, nothing to
     * fetch, so the parse (about 1 ms) is skipped */
    if (!travel && !lh_registry_cache_dir(lh_catalog_registry(r->q->cat))) return 0;
    json_t *names = NULL;
    int complete = 0;
    int rc = lh_engine_sql_relations(r->conn, r->req.sql, &names, &complete, err);
    if (!rc && travel) rc = time_travel(r, names, complete, err);
    else if (!rc) rc = lh_query_ensure_files(r->q, complete ? names : NULL, &r->pins, err);
    json_decref(names);
    return rc;
}

int lh_query_start(lh_query_service *q, const lh_query_req *req, lh_query_run **out, lh_err *err)
{
    *out = NULL;
    lh_query_run *r = lh_xcalloc(1, sizeof *r);
    r->fd = -1;
    r->q = q;
    r->req = *req;
    r->t0 = lh_mono_us();
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int rc = lh_engine_connect(q->engine, &r->conn, err);
    if (!rc) rc = prepare_datasets(r, err);
    if (!rc) rc = lh_engine_prepare_all(r->conn, req->sql, &r->stmts, err);
    if (!rc && r->stmts.n != 1)
        rc = lh_err_set(err, LH_EINVAL, "one_statement", r->stmts.n == 0 ? "no SQL statement was given"
                        : "send one statement per request (got %zu)", r->stmts.n);
    /* DuckDB rewrites read PRAGMAs (table_info, show_tables, version) into
     * SELECTs; what still classifies as PRAGMA changes state
     * (enable_profiling, disable_optimizer), so it is refused too. */
    if (!rc && r->stmts.kinds[0] != LH_STMT_SELECT && r->stmts.kinds[0] != LH_STMT_EXPLAIN)
        rc = lh_err_set(err, LH_EPERM, "read_only", "only read statements (SELECT, EXPLAIN, DESCRIBE, SHOW, "
                        "PRAGMA reads) run here; writes, ATTACH, INSTALL, COPY and SET are refused");
    if (!rc && req->format == LH_QFMT_PARQUET) {
        if (pthread_create(&r->dog, NULL, watchdog, r) == 0) r->dog_running = 1;
        rc = parquet_result(r, err);
        rc = timeout_error(r, rc, err);
        if (rc) { lh_query_run_free(r); return rc; }
        *out = r;
        return 0;
    }
    if (!rc) {
        if (pthread_create(&r->dog, NULL, watchdog, r) == 0) r->dog_running = 1;
        rc = lh_stmt_query(r->stmts.stmts[0], &r->res, err);
        if (!rc) rc = lh_result_next(r->res, &r->chunk, err);
        rc = timeout_error(r, rc, err);
    }
    if (rc) { lh_query_run_free(r); return rc; }
    r->ncols = lh_result_ncols(r->res);
    r->names_json = lh_xcalloc(r->ncols ? r->ncols : 1, sizeof *r->names_json);
    for (size_t i = 0; i < r->ncols; i++) {
        lh_buf b = LH_BUF_INIT;
        put_json_string(&b, lh_result_col_name(r->res, i));
        r->names_json[i] = lh_buf_detach(&b);
    }
    *out = r;
    return 0;
}

/* ---- encoding ---- */

static void csv_field(lh_buf *b, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) { lh_buf_append(b, s, n); return; }
    lh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') lh_buf_putc(b, '"');
        lh_buf_putc(b, s[i]);
    }
    lh_buf_putc(b, '"');
}

static void emit_header(lh_query_run *r)
{
    lh_buf *b = &r->pending;
    if (r->req.format == LH_QFMT_JSON) {
        lh_buf_puts(b, "{\"columns\":[");
        for (size_t i = 0; i < r->ncols; i++) {
            lh_buf_printf(b, "%s{\"name\":%s,\"type\":", i ? "," : "", r->names_json[i]);
            put_json_string(b, lh_result_col_type(r->res, i));
            lh_buf_putc(b, '}');
        }
        lh_buf_puts(b, "],\"rows\":[");
    } else if (r->req.format == LH_QFMT_CSV) {
        for (size_t i = 0; i < r->ncols; i++) {
            if (i) lh_buf_putc(b, ',');
            const char *n = lh_result_col_name(r->res, i);
            csv_field(b, n, strlen(n));
        }
        lh_buf_puts(b, "\r\n");
    }
}

static void emit_row(lh_query_run *r)
{
    lh_buf *b = &r->pending;
    lh_chunk *c = r->chunk;
    size_t row = r->row;
    switch (r->req.format) {
    case LH_QFMT_JSON:
        lh_buf_puts(b, r->rows_out ? ",[" : "[");
        for (size_t i = 0; i < r->ncols; i++) {
            if (i) lh_buf_putc(b, ',');
            lh_chunk_json(c, i, row, b);
        }
        lh_buf_putc(b, ']');
        break;
    case LH_QFMT_NDJSON:
        lh_buf_putc(b, '{');
        for (size_t i = 0; i < r->ncols; i++) {
            lh_buf_printf(b, "%s%s:", i ? "," : "", r->names_json[i]);
            lh_chunk_json(c, i, row, b);
        }
        lh_buf_puts(b, "}\n");
        break;
    case LH_QFMT_CSV: {
        lh_buf cell = LH_BUF_INIT;
        for (size_t i = 0; i < r->ncols; i++) {
            if (i) lh_buf_putc(b, ',');
            lh_buf_reset(&cell);
            if (lh_chunk_text(c, i, row, &cell)) csv_field(b, cell.data, cell.len);
        }
        lh_buf_free(&cell);
        lh_buf_puts(b, "\r\n");
        break;
    }
    case LH_QFMT_PARQUET: /* written by the engine, never row by row */
        break;
    }
}

static void emit_trailer(lh_query_run *r)
{
    lh_buf *b = &r->pending;
    if (r->req.format == LH_QFMT_JSON) {
        double ms = (double)(lh_mono_us() - r->t0) / 1000.0;
        lh_buf_printf(b, "],\"row_count\":%lld,\"truncated\":%s", (long long)r->rows_out, r->truncated ? "true" : "false");
        if (r->truncated) lh_buf_printf(b, ",\"truncated_by\":\"%s\"", r->truncated_by);
        lh_buf_printf(b, ",\"elapsed_ms\":%.3f", ms);
        if (r->failed) {
            lh_buf_puts(b, ",\"error\":{\"code\":");
            put_json_string(b, r->err.code);
            lh_buf_puts(b, ",\"message\":");
            put_json_string(b, r->err.msg);
            lh_buf_putc(b, '}');
        }
        lh_buf_puts(b, "}\n");
    } else if (r->req.format == LH_QFMT_NDJSON && r->failed) {
        lh_buf_puts(b, "{\"error\":{\"code\":");
        put_json_string(b, r->err.code);
        lh_buf_puts(b, ",\"message\":");
        put_json_string(b, r->err.msg);
        lh_buf_puts(b, "}}\n");
    }
}

/* Fetch the next chunk into r->chunk (NULL at the end); errors end the rows. */
static int next_chunk(lh_query_run *r)
{
    lh_chunk_free(r->chunk);
    r->chunk = NULL;
    r->row = 0;
    int rc = lh_result_next(r->res, &r->chunk, &r->err);
    rc = timeout_error(r, rc, &r->err);
    if (rc) r->failed = 1;
    return rc;
}

static void produce(lh_query_run *r)
{
    switch (r->phase) {
    case PH_HEADER:
        emit_header(r);
        r->phase = PH_ROWS;
        return;
    case PH_ROWS:
        while (r->pending.len < 256 * 1024) {
            if (!r->chunk || r->row >= lh_chunk_rows(r->chunk)) {
                if (!r->chunk || next_chunk(r) || !r->chunk) { r->phase = PH_TRAILER; return; }
                if (lh_chunk_rows(r->chunk) == 0) continue;
            }
            if (r->rows_out >= r->req.limit) {
                r->truncated = 1;
                r->truncated_by = "limit";
                r->phase = PH_TRAILER;
                return;
            }
            if (r->bytes_out + (int64_t)r->pending.len >= r->req.max_bytes) {
                r->truncated = 1;
                r->truncated_by = "max_bytes";
                r->phase = PH_TRAILER;
                return;
            }
            emit_row(r);
            r->row++;
            r->rows_out++;
        }
        return;
    case PH_TRAILER:
        emit_trailer(r);
        r->phase = PH_DONE;
        pthread_mutex_lock(&r->mu);
        r->finished = 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        return;
    }
}

int64_t lh_query_read(lh_query_run *r, char *buf, size_t max)
{
    if (r->req.format == LH_QFMT_PARQUET) {
        ssize_t n;
        do n = read(r->fd, buf, max); while (n < 0 && errno == EINTR);
        return n < 0 ? -1 : (int64_t)n;
    }
    while (r->pending_off >= r->pending.len) {
        lh_buf_reset(&r->pending);
        r->pending_off = 0;
        if (r->phase == PH_DONE) return (r->failed && r->req.format == LH_QFMT_CSV) ? -1 : 0;
        produce(r);
    }
    size_t n = r->pending.len - r->pending_off;
    if (n > max) n = max;
    memcpy(buf, r->pending.data + r->pending_off, n);
    r->pending_off += n;
    r->bytes_out += (int64_t)n;
    return (int64_t)n;
}

/* engine/feed.c — rows made by C code, read by SQL as a table.
 *
 * Why: a stream that arrives from elsewhere (a PostgreSQL COPY, say) and
 * must end up in a Parquet file used to be staged in a file and read back
 * with read_csv, so receiving and converting ran one after the other. A
 * feed lets DuckDB pull the rows straight from the producer as its query
 * runs: COPY (SELECT ... FROM lh_feed(N)) TO 'x.parquet' converts, encodes
 * and writes row groups while the rows are still arriving, and nothing
 * holds more than a few chunks.
 *
 * How: one table function, lh_feed(id BIGINT), is registered on an engine
 * the first time a feed is made there (so the locked-down query engine,
 * which never makes one, does not have it). Each lh_feed gets an id in the
 * engine's registry; binding lh_feed(id) looks the id up and declares the
 * feed's columns, an unknown id is a binding error. Each call of the table
 * function hands one DuckDB output chunk to the caller's fill callback,
 * whose writes go straight into DuckDB's vectors (no per-value allocation,
 * no parsing on this side).
 *
 * Threads: DuckDB runs the function on its worker threads, at most the
 * feed's max_threads at once (1 keeps the rows in order); each thread has
 * a local slot the callback may use, freed through free_local.
 */
#include "engine/engine_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lh_feed {
    lh_engine      *engine;
    int64_t         id;
    lh_feed_col    *cols;
    size_t          n_cols;
    lh_feed_spec    spec;     /* cols point at our copy */
    char            sql[48];  /* "lh_feed(N)" */
    struct lh_feed *next;     /* in engine->feeds */
};

struct lh_feed_out {
    const lh_feed *feed;
    duckdb_vector *vecs;      /* this call's output vectors, one per column */
    uint64_t     **validity;  /* made writable on the first NULL of a call */
};

/* Per-thread state. It copies what its destructor needs, because DuckDB
 * may destroy it after the statement has returned (and the feed has gone). */
typedef struct feed_local {
    void                 *slot;      /* the callback's per-thread state */
    lh_feed_local_free_fn free_local;
    void                 *ctx;
    lh_feed_out           out;
} feed_local;

/* ---- the table function ---- */

static duckdb_logical_type logical_type(const lh_feed_col *c)
{
    switch (c->type) {
    case LH_FEED_BLOB:        return duckdb_create_logical_type(DUCKDB_TYPE_BLOB);
    case LH_FEED_BOOLEAN:     return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case LH_FEED_SMALLINT:    return duckdb_create_logical_type(DUCKDB_TYPE_SMALLINT);
    case LH_FEED_INTEGER:     return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case LH_FEED_BIGINT:      return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case LH_FEED_FLOAT:       return duckdb_create_logical_type(DUCKDB_TYPE_FLOAT);
    case LH_FEED_DOUBLE:      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case LH_FEED_DATE:        return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case LH_FEED_TIMESTAMP:   return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case LH_FEED_TIMESTAMPTZ: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case LH_FEED_DECIMAL:     return duckdb_create_decimal_type(c->width, c->scale);
    case LH_FEED_VARCHAR:
    default:                  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    }
}

static void feed_bind(duckdb_bind_info info)
{
    lh_engine *e = duckdb_bind_get_extra_info(info);
    duckdb_value v = duckdb_bind_get_parameter(info, 0);
    int64_t id = v ? duckdb_get_int64(v) : -1;
    if (v) duckdb_destroy_value(&v);
    pthread_mutex_lock(&e->feed_mu);
    lh_feed *f = e->feeds;
    while (f && f->id != id) f = f->next;
    pthread_mutex_unlock(&e->feed_mu);
    if (!f) {
        char msg[96];
        snprintf(msg, sizeof msg, "lh_feed: no feed %" PRId64 " is open", id);
        duckdb_bind_set_error(info, msg);
        return;
    }
    for (size_t i = 0; i < f->n_cols; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%zu", i + 1);
        duckdb_logical_type t = logical_type(&f->cols[i]);
        duckdb_bind_add_result_column(info, name, t);
        duckdb_destroy_logical_type(&t);
    }
    duckdb_bind_set_bind_data(info, f, NULL); /* the caller keeps f alive */
}

static void feed_init(duckdb_init_info info)
{
    const lh_feed *f = duckdb_init_get_bind_data(info);
    duckdb_init_set_max_threads(info, f->spec.max_threads > 1 ? f->spec.max_threads : 1);
}

static void local_destroy(void *p)
{
    feed_local *l = p;
    if (l->slot && l->free_local) l->free_local(l->ctx, l->slot);
    free(l->out.vecs);
    free(l->out.validity);
    free(l);
}

static void feed_local_init(duckdb_init_info info)
{
    const lh_feed *f = duckdb_init_get_bind_data(info);
    feed_local *l = lh_xcalloc(1, sizeof *l);
    l->free_local = f->spec.free_local;
    l->ctx = f->spec.ctx;
    l->out.feed = f;
    l->out.vecs = lh_xcalloc(f->n_cols ? f->n_cols : 1, sizeof *l->out.vecs);
    l->out.validity = lh_xcalloc(f->n_cols ? f->n_cols : 1, sizeof *l->out.validity);
    duckdb_init_set_init_data(info, l, local_destroy);
}

static void feed_function(duckdb_function_info info, duckdb_data_chunk output)
{
    const lh_feed *f = duckdb_function_get_bind_data(info);
    feed_local *l = duckdb_function_get_local_init_data(info);
    for (size_t i = 0; i < f->n_cols; i++) {
        l->out.vecs[i] = duckdb_data_chunk_get_vector(output, i);
        l->out.validity[i] = NULL;
    }
    size_t rows = 0;
    lh_err err;
    memset(&err, 0, sizeof err);
    if (f->spec.fill(f->spec.ctx, &l->slot, &l->out, duckdb_vector_size(), &rows, &err) != 0) {
        duckdb_function_set_error(info, err.msg[0] ? err.msg : "the feed failed");
        duckdb_data_chunk_set_size(output, 0);
        return;
    }
    duckdb_data_chunk_set_size(output, rows);
}

/* Register lh_feed on e once (e->feed_mu held). */
static int register_function(lh_engine *e, lh_err *err)
{
    if (e->feed_registered) return 0;
    duckdb_connection con = NULL;
    if (duckdb_connect(e->db, &con) == DuckDBError)
        return lh_err_set(err, LH_EINTERNAL, "engine_connect", "could not open a DuckDB connection");
    duckdb_table_function tf = duckdb_create_table_function();
    duckdb_table_function_set_name(tf, "lh_feed");
    duckdb_logical_type big = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    duckdb_table_function_add_parameter(tf, big);
    duckdb_destroy_logical_type(&big);
    duckdb_table_function_set_extra_info(tf, e, NULL);
    duckdb_table_function_set_bind(tf, feed_bind);
    duckdb_table_function_set_init(tf, feed_init);
    duckdb_table_function_set_local_init(tf, feed_local_init);
    duckdb_table_function_set_function(tf, feed_function);
    duckdb_state st = duckdb_register_table_function(con, tf);
    duckdb_destroy_table_function(&tf);
    duckdb_disconnect(&con);
    if (st == DuckDBError)
        return lh_err_set(err, LH_EINTERNAL, "engine_feed", "DuckDB refused to register the lh_feed table function");
    e->feed_registered = 1;
    return 0;
}

/* ---- feeds ---- */

int lh_feed_new(lh_engine_conn *c, const lh_feed_spec *spec, lh_feed **out, lh_err *err)
{
    *out = NULL;
    lh_engine *e = c->engine;
    if (!spec->fill || spec->n_cols == 0)
        return lh_err_set(err, LH_EINVAL, "engine_feed", "a feed needs a fill callback and at least one column");
    for (size_t i = 0; i < spec->n_cols; i++) {
        const lh_feed_col *col = &spec->cols[i];
        if (col->type == LH_FEED_DECIMAL && (col->width < 1 || col->width > 38 || col->scale > col->width))
            return lh_err_set(err, LH_EINVAL, "engine_feed", "feed column %zu: DECIMAL(%d,%d) is not a DuckDB decimal",
                              i + 1, col->width, col->scale);
    }
    pthread_mutex_lock(&e->feed_mu);
    int rc = register_function(e, err);
    if (rc) {
        pthread_mutex_unlock(&e->feed_mu);
        return rc;
    }
    lh_feed *f = lh_xcalloc(1, sizeof *f);
    f->engine = e;
    f->id = ++e->feed_next_id;
    f->n_cols = spec->n_cols;
    f->cols = lh_xcalloc(spec->n_cols, sizeof *f->cols);
    memcpy(f->cols, spec->cols, spec->n_cols * sizeof *f->cols);
    f->spec = *spec;
    f->spec.cols = f->cols;
    snprintf(f->sql, sizeof f->sql, "lh_feed(%" PRId64 ")", f->id);
    f->next = e->feeds;
    e->feeds = f;
    pthread_mutex_unlock(&e->feed_mu);
    *out = f;
    return 0;
}

void lh_feed_free(lh_feed *f)
{
    if (!f) return;
    lh_engine *e = f->engine;
    pthread_mutex_lock(&e->feed_mu);
    for (lh_feed **pp = &e->feeds; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    pthread_mutex_unlock(&e->feed_mu);
    free(f->cols);
    free(f);
}

const char *lh_feed_sql(const lh_feed *f)
{
    return f->sql;
}

/* ---- writing values ---- */

void *lh_feed_values(lh_feed_out *o, size_t col)
{
    return duckdb_vector_get_data(o->vecs[col]);
}

void lh_feed_set_null(lh_feed_out *o, size_t col, size_t row)
{
    if (!o->validity[col]) {
        duckdb_vector_ensure_validity_writable(o->vecs[col]);
        o->validity[col] = duckdb_vector_get_validity(o->vecs[col]);
    }
    duckdb_validity_set_row_invalid(o->validity[col], row);
}

void lh_feed_set_text(lh_feed_out *o, size_t col, size_t row, const char *p, size_t n)
{
    duckdb_vector_assign_string_element_len(o->vecs[col], row, p, n);
}

void lh_feed_set_decimal(lh_feed_out *o, size_t col, size_t row, __int128 v)
{
    void *data = duckdb_vector_get_data(o->vecs[col]);
    uint8_t w = o->feed->cols[col].width;
    if (w <= 4) {
        ((int16_t *)data)[row] = (int16_t)v;
    } else if (w <= 9) {
        ((int32_t *)data)[row] = (int32_t)v;
    } else if (w <= 18) {
        ((int64_t *)data)[row] = (int64_t)v;
    } else {
        duckdb_hugeint *h = (duckdb_hugeint *)data + row;
        h->lower = (uint64_t)(unsigned __int128)v;
        h->upper = (int64_t)(v >> 64);
    }
}

/* engine/engine_internal.h — what the engine's files share, and nobody else.
 *
 * The public header (engine.h) keeps every struct opaque; the files of
 * engine/ each own one job (opening and locking down, statements, results,
 * type descriptions, value rendering, the appender, feeds, Parquet) and meet here:
 * the struct layouts, the error mapping every file uses to turn a DuckDB
 * failure into an lh_err, and the "busy" bookkeeping that makes
 * lh_engine_conn_interrupt safe to call at any moment.
 *
 * Only files in engine/ include this header (it includes duckdb.h).
 */
#ifndef LH_ENGINE_INTERNAL_H
#define LH_ENGINE_INTERNAL_H

#include "engine/engine.h"

#include <duckdb.h>
#include <pthread.h>
#include <stdatomic.h>

/* DuckDB 1.4 marks duckdb_pending_prepared_streaming deprecated, so
 * DUCKDB_API_NO_DEPRECATED hides its prototype; yet it is the only C API
 * call that produces a streaming result (duckdb_pending_prepared always
 * materialises the whole result before the first chunk). The symbol is
 * exported by the pinned libduckdb.so and DuckDB's maintainers say no
 * replacement exists yet, so it is declared here, once, with the exact
 * signature from duckdb.h v1.4.4. Nothing else deprecated is used. */
DUCKDB_C_API duckdb_state duckdb_pending_prepared_streaming(duckdb_prepared_statement prepared_statement,
                                                            duckdb_pending_result *out_result);

/* ---- engine and connections (engine.c) ---- */

struct lh_engine {
    duckdb_database db;
    atomic_int      locked;     /* lh_engine_lockdown succeeded */
    char          **keywords;   /* DuckDB's SQL keywords, sorted (lower case), for type spelling */
    size_t          n_keywords;
    /* Feeds (feed.c): the lh_feed table function is registered on first
     * use; live feeds are found by id under feed_mu. */
    pthread_mutex_t feed_mu;
    int             feed_registered;
    struct lh_feed *feeds;
    int64_t         feed_next_id;
};

struct lh_engine_conn {
    lh_engine        *engine;
    duckdb_connection con;
    /* Interrupt bookkeeping. `busy` counts statements executing and
     * streaming results still open on this connection; an interrupt only
     * reaches DuckDB while busy > 0, so an interrupt sent to an idle
     * connection cannot leak into the next statement. `interrupted` records
     * that one was sent during the current busy period, which is how a
     * failure is recognised as an interruption even where DuckDB reports
     * no error type (a pending result's error). */
    pthread_mutex_t mu;
    int             busy;
    int             interrupted;
};

/* Mark the start and end of a statement (or streaming result) on c. */
void lh__conn_begin(lh_engine_conn *c);
void lh__conn_end(lh_engine_conn *c);
/* Whether an interrupt was requested since the last lh__conn_begin. */
int  lh__conn_was_interrupted(lh_engine_conn *c);

/* Fill err from a DuckDB failure: LH_ETIMEOUT "query_interrupted" when the
 * statement was interrupted (error type INTERRUPT, or an interrupt was sent
 * on c and DuckDB's message says so), otherwise LH_EINVAL "sql_error" with
 * DuckDB's own message (which carries "LINE 1: ..." positions). c may be
 * NULL; msg may be NULL. Returns the status. */
int  lh__sql_error(lh_err *err, lh_engine_conn *c, duckdb_error_type type, const char *msg);

/* ---- type descriptions (types.c) ----
 *
 * A tree describing one column's logical type, built once per result from
 * DuckDB's logical type so that rendering a value never allocates or asks
 * DuckDB about types again. */
typedef struct lh_type {
    duckdb_type     id;          /* logical type id */
    duckdb_type     storage;     /* DECIMAL and ENUM: the physical integer type */
    uint8_t         width, scale;
    uint64_t        array_size;  /* ARRAY */
    size_t          n;           /* number of kids / names */
    struct lh_type *kids;        /* LIST/ARRAY: [element]; MAP: [key, value]; STRUCT/UNION: members */
    char          **names;       /* STRUCT/UNION member names; ENUM labels (n of them, no kids) */
    int             unnamed;     /* STRUCT built by row(...): members have no names */
    int             is_json;     /* VARCHAR aliased JSON */
    char           *sql;         /* SQL spelling, as DESCRIBE prints it */
} lh_type;

/* Describe logical type t (not consumed). */
void lh__type_build(const lh_engine *e, duckdb_logical_type t, lh_type *out);
void lh__type_clear(lh_type *t);
/* LIST, STRUCT, MAP, ARRAY, UNION: what DuckDB's casts call "nested". */
int  lh__type_is_nested(const lh_type *t);

/* The column types of one result, shared (reference-counted) by the result
 * and every chunk fetched from it, so a chunk stays readable after its
 * result is freed. */
typedef struct lh_coltypes {
    atomic_int refs;
    size_t     n;
    lh_type   *cols;
} lh_coltypes;

lh_coltypes *lh__coltypes_from_result(const lh_engine *e, duckdb_result *res);
void         lh__coltypes_release(lh_coltypes *ct);

/* ---- statements, results and chunks (statement.c, result.c) ---- */

struct lh_engine_stmt {
    lh_engine_conn           *conn;
    duckdb_prepared_statement ps;
    size_t                    nparams;
};

struct lh_engine_result {
    lh_engine_conn *conn;
    duckdb_result   res;
    lh_engine_stmt *owned_stmt;  /* lh_engine_query's statement, freed with the result */
    lh_coltypes    *types;
    size_t          ncols;
    int             ended;       /* lh__conn_end already called */
};

typedef struct lh_colref {
    duckdb_vector vec;
    void         *data;
    uint64_t     *validity;
} lh_colref;

struct lh_chunk {
    duckdb_data_chunk chunk;
    lh_coltypes      *types;
    size_t            rows;
    size_t            ncols;
    lh_colref        *cols;
};

/* Execute a prepared statement as a streaming result (statement.c uses it
 * for lh_stmt_query; engine.c for lh_engine_query). */
int lh__result_open(lh_engine_stmt *s, lh_engine_stmt *owned, lh_engine_result **out, lh_err *err);

/* ---- value rendering (value.c, scalar.c) ---- */

/* DuckDB's 128-bit integers as native ones (GCC/Clang __int128). */
static inline __int128 lh__hugeint(const duckdb_hugeint *h)
{
    return (__int128)(((unsigned __int128)(uint64_t)h->upper << 64) | h->lower);
}

static inline unsigned __int128 lh__uhugeint(const duckdb_uhugeint *h)
{
    return ((unsigned __int128)h->upper << 64) | h->lower;
}

/* Append the JSON / text form of the value at row of vector v of type t.
 * The value must not be NULL (callers check validity first). */
void lh__json_value(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out);
void lh__text_value(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out);

/* Scalar formatting (scalar.c): no DuckDB state, just bytes to text. */
void lh__fmt_i128(lh_buf *out, __int128 v);
void lh__fmt_u128(lh_buf *out, unsigned __int128 v);
void lh__fmt_decimal(lh_buf *out, __int128 v, uint8_t scale);
void lh__fmt_double(lh_buf *out, double d, int is_float, int json);
void lh__fmt_date(lh_buf *out, int32_t days, int iso);
void lh__fmt_time(lh_buf *out, int64_t units, int digits /* 6 = micros, 9 = nanos */);
void lh__fmt_time_tz(lh_buf *out, uint64_t bits, int iso);
/* Timestamps in `units` per second (1, 1000, 10^6, 10^9); tz appends the
 * UTC marker ("+00" as text, "Z" in ISO form). */
void lh__fmt_timestamp(lh_buf *out, int64_t v, int64_t units_per_sec, int tz, int iso);
void lh__fmt_interval(lh_buf *out, int32_t months, int32_t days, int64_t micros, int iso);
void lh__fmt_uuid(lh_buf *out, uint64_t lower, int64_t upper);
void lh__fmt_blob_text(lh_buf *out, const unsigned char *p, size_t n);
void lh__fmt_base64(lh_buf *out, const unsigned char *p, size_t n);
void lh__fmt_bit(lh_buf *out, const unsigned char *p, size_t n);
void lh__fmt_bignum(lh_buf *out, const unsigned char *p, size_t n);
void lh__fmt_json_string(lh_buf *out, const char *s, size_t n);

#endif

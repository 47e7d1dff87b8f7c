/* engine/engine.h — the SQL engine (DuckDB), and the only door to it.
 *
 * Nothing outside engine/ includes duckdb.h: the rest of Lakehouse speaks
 * in lh_* types, so the engine can be configured, sandboxed and upgraded in
 * one place.
 *
 * An lh_engine is one in-memory DuckDB database. Lakehouse runs two: the
 * internal engine (ingest, Parquet writing, footer reads, manifests), which
 * may read and write files, and the query engine, which serves user SQL and
 * is locked down (lh_engine_lockdown) before any user statement runs: only
 * the allowed directories are readable, external access is off, and the
 * configuration is locked so SQL cannot undo any of it.
 *
 * Every engine is opened with the settings it needs offline: extension
 * auto-install and auto-load are off (they would otherwise stall on the
 * network and write into $HOME), and the library version is checked.
 *
 * Results are read a chunk at a time (the data-chunk API only; nothing
 * materialises a whole result); in the other direction a feed lets C code
 * stream rows into a query (lh_feed_*) without staging them. Values are read through lh_chunk accessors
 * that know every DuckDB type, including nested LIST/STRUCT/MAP/ARRAY,
 * and render them as JSON or as text.
 *
 * Ownership: every object returned through an out-parameter belongs to the
 * caller and is released with its _free function, also after errors.
 * Results, statements and appenders must be released before the
 * connection they came from, and connections before their engine; a chunk
 * stays valid after its result is freed.
 * Thread-safety: an lh_engine may be shared by threads; a connection, a
 * prepared statement, a result and an appender are used by one thread at a
 * time. lh_engine_conn_interrupt may be called from any thread.
 */
#ifndef LH_ENGINE_ENGINE_H
#define LH_ENGINE_ENGINE_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

#include <stddef.h>
#include <stdint.h>

#define LH_DUCKDB_VERSION "v1.4.4"

typedef struct lh_engine        lh_engine;
typedef struct lh_engine_conn   lh_engine_conn;
typedef struct lh_engine_stmt   lh_engine_stmt;
typedef struct lh_engine_result lh_engine_result;
typedef struct lh_chunk         lh_chunk;
typedef struct lh_appender      lh_appender;

typedef struct lh_engine_opts {
    int64_t     threads;       /* 0 = DuckDB's default (one per core) */
    const char *memory_limit;  /* NULL or "" = DuckDB's default; else e.g. "4GB" */
    const char *temp_dir;      /* spill directory; NULL = DuckDB's default */
    int         bulk_writes;   /* engine that writes large files: drop insertion order so
                                * COPY streams in bounded memory (measured: a 4M-row CSV to
                                * Parquet peaks at 215 MB instead of 514 MB) */
} lh_engine_opts;

/* The DuckDB library version string ("v1.4.4"). */
const char *lh_engine_library_version(void);

/* Open an in-memory engine with the offline settings and opts. Fails with
 * LH_EINTERNAL "engine_version_mismatch" if the library is not
 * LH_DUCKDB_VERSION, LH_EINVAL "engine_config" if DuckDB refuses an opt.
 * Besides the extension settings, persistent secrets are off (they would
 * be read from and written to ~/.duckdb) and the time zone is UTC, so
 * TIMESTAMPTZ values render the same on every host. */
int  lh_engine_open(const lh_engine_opts *opts, lh_engine **out, lh_err *err);
void lh_engine_free(lh_engine *e);

/* Lock the engine down for user SQL: allowed_directories = dirs (each a
 * directory path, given with or without a trailing "/"),
 * enable_external_access = false, lock_configuration = true. Views
 * created before or after over files inside `dirs` keep reading. Cannot be
 * undone (a second call fails with LH_EINVAL "engine_locked").
 * DuckDB matches paths as strings: a view must name its files with the
 * same spelling as the allowed directory (both absolute, or both relative
 * to the working directory). DuckDB also lets user SQL *write* inside the
 * allowed directories (COPY TO, EXPORT DATABASE), attach ':memory:' and
 * create temporary secrets: keeping user SQL read-only is the caller's job
 * (lh_engine_prepare_all's classification). */
int  lh_engine_lockdown(lh_engine *e, const char *const *dirs, size_t n_dirs, lh_err *err);

/* Open an engine, check the version and run SELECT 42 (`lakehouse serve`
 * runs this before binding its port). */
int  lh_engine_selfcheck(lh_err *err);

/* ---- connections ---- */

int  lh_engine_connect(lh_engine *e, lh_engine_conn **out, lh_err *err);
void lh_engine_conn_free(lh_engine_conn *c);
/* Ask the statement running on c to stop; it then fails with LH_ETIMEOUT
 * code "query_interrupted" (safe from any thread, a no-op when idle). */
void lh_engine_conn_interrupt(lh_engine_conn *c);

/* Run SQL (one or more statements) and discard any result. Errors are
 * LH_EINVAL code "sql_error" with DuckDB's message. */
int  lh_engine_exec(lh_engine_conn *c, const char *sql, lh_err *err);

/* Run one statement (more than one is LH_EINVAL "sql_error") and stream
 * its result. A connection streams one result at a time: running anything
 * else on it invalidates an open result (its next lh_result_next fails). */
int  lh_engine_query(lh_engine_conn *c, const char *sql, lh_engine_result **out, lh_err *err);

/* Run a query expected to return one value; its text form goes to out
 * (LH_ENOTFOUND "no_rows" if no row; NULL gives ""). */
int  lh_engine_query_text(lh_engine_conn *c, const char *sql, lh_buf *out, lh_err *err);

/* ---- statements: splitting user SQL and classifying it ---- */

/* The kind comes from DuckDB's parser. DuckDB 1.4.4 rewrites SHOW, DESCRIBE,
 * SUMMARIZE and the PRAGMAs that read (version, table_info, show_tables,
 * database_size, ...) into SELECTs, so they are LH_STMT_SELECT; what stays
 * LH_STMT_PRAGMA are
 * the pragmas that change session state (enable_profiling,
 * disable_optimizer, force_checkpoint, ...). A PRAGMA with an assignment
 * is a SET (OTHER). */
typedef enum lh_stmt_kind {
    LH_STMT_SELECT, LH_STMT_EXPLAIN, LH_STMT_PRAGMA,
    LH_STMT_OTHER,        /* anything that writes, attaches, installs, copies, sets, ... */
} lh_stmt_kind;

typedef struct lh_stmt_list {
    lh_engine_stmt **stmts;
    lh_stmt_kind    *kinds;
    size_t           n;
} lh_stmt_list;

/* Split `sql` into prepared statements (duckdb_extract_statements) and
 * classify each; nothing is executed. A syntax or binding error is
 * LH_EINVAL "sql_error" with DuckDB's message (which carries the
 * position). Every statement is prepared before any runs, so one cannot
 * use a table an earlier one in the same text creates. Empty input (or
 * only comments) gives n = 0. */
int  lh_engine_prepare_all(lh_engine_conn *c, const char *sql, lh_stmt_list *out, lh_err *err);
void lh_stmt_list_free(lh_stmt_list *l);

/* The relations `sql` names, from DuckDB's parser alone (nothing is bound,
 * so no file is opened; engine/refs.c): tables and views in FROM clauses at
 * any depth and constant string arguments of table functions, lower-cased,
 * as a JSON array of distinct strings in *names (the caller decrefs it).
 * It may name too much (CTE names, strings that are no table), never too
 * little: *complete is 0 when the SQL may read relations the parser cannot
 * show (EXPLAIN, PRAGMA, writes, query()/query_table()). A syntax error
 * gives no names and complete = 1 (preparing the statement reports it). */
int  lh_engine_sql_relations(lh_engine_conn *c, const char *sql, json_t **names, int *complete, lh_err *err);

/* Single prepared statement with positional parameters ($1 / ?). */
int  lh_engine_prepare(lh_engine_conn *c, const char *sql, lh_engine_stmt **out, lh_err *err);
int  lh_stmt_bind_text(lh_engine_stmt *s, size_t idx /* 1-based */, const char *v, lh_err *err);
int  lh_stmt_bind_int64(lh_engine_stmt *s, size_t idx, int64_t v, lh_err *err);
int  lh_stmt_bind_double(lh_engine_stmt *s, size_t idx, double v, lh_err *err);
int  lh_stmt_bind_null(lh_engine_stmt *s, size_t idx, lh_err *err);
/* Execute, streaming the result (chunks are produced as they are fetched). */
int  lh_stmt_query(lh_engine_stmt *s, lh_engine_result **out, lh_err *err);
void lh_stmt_free(lh_engine_stmt *s);

/* ---- results and chunks ---- */

size_t      lh_result_ncols(const lh_engine_result *r);
const char *lh_result_col_name(const lh_engine_result *r, size_t col);
/* SQL spelling of the column type: "BIGINT", "DECIMAL(18,3)", "VARCHAR[]",
 * "STRUCT(a INTEGER, b VARCHAR)", "TIMESTAMP WITH TIME ZONE", ... */
const char *lh_result_col_type(const lh_engine_result *r, size_t col);
/* Next chunk, or *out = NULL at the end. A failure while producing rows
 * (including an interrupt: LH_ETIMEOUT "query_interrupted") is an error. */
int  lh_result_next(lh_engine_result *r, lh_chunk **out, lh_err *err);
void lh_result_free(lh_engine_result *r);

size_t lh_chunk_rows(const lh_chunk *c);
int    lh_chunk_is_null(const lh_chunk *c, size_t col, size_t row);
/* Typed reads for the common scalar types; LH_EINVAL "type_mismatch"
 * when the column is not of a compatible type (int64: the integer types
 * and DECIMAL(w,0); double: every numeric type), "out_of_range" when the
 * value does not fit, "null_value" for NULL; *out is 0 on failure. */
int    lh_chunk_int64(const lh_chunk *c, size_t col, size_t row, int64_t *out, lh_err *err);
int    lh_chunk_double(const lh_chunk *c, size_t col, size_t row, double *out, lh_err *err);
/* Appends the value as JSON: numbers as numbers (DECIMAL and HUGEINT
 * exactly; NaN/Infinity as strings), VARCHAR as strings, BLOB as base64
 * string, DATE/TIME/TIMESTAMP as ISO-8601 strings, INTERVAL as ISO-8601
 * duration, UUID as string, ENUM as its label, LIST/ARRAY as arrays,
 * STRUCT as objects, MAP as an object (keys rendered as text); NULL as null.
 * Details: infinite dates/timestamps are "infinity"/"-infinity"; years
 * outside 0000-9999 are signed six-digit ISO years ("-000043-03-15" is
 * 44 BC); TIMESTAMPTZ is UTC with "Z"; JSON-typed values are strings; a
 * row(...) struct without names is an array; UNION is its active member;
 * BIT is a string of 0/1; BIGNUM is an exact number. Integers beyond 64
 * bits are valid JSON that some parsers read only as floating point. A
 * type DuckDB's C API cannot describe (TIME_NS in 1.4.4, whose type is
 * spelled "UNKNOWN") renders as "<unsupported type>". */
void   lh_chunk_json(const lh_chunk *c, size_t col, size_t row, lh_buf *out);
/* Appends the value as text (what CAST(x AS VARCHAR) gives); NULL appends
 * nothing and returns 0, otherwise returns 1. */
int    lh_chunk_text(const lh_chunk *c, size_t col, size_t row, lh_buf *out);
void   lh_chunk_free(lh_chunk *c);

/* ---- appender (bulk insert into a table of the engine) ---- */

int  lh_appender_open(lh_engine_conn *c, const char *table, lh_appender **out, lh_err *err);
int  lh_append_text(lh_appender *a, const char *v, lh_err *err);  /* converted to the column's type */
int  lh_append_int64(lh_appender *a, int64_t v, lh_err *err);
int  lh_append_double(lh_appender *a, double v, lh_err *err);
int  lh_append_bool(lh_appender *a, int v, lh_err *err);
int  lh_append_null(lh_appender *a, lh_err *err);
int  lh_append_end_row(lh_appender *a, lh_err *err);
/* Flush and close; returns the first error met, if any. Frees a. */
int  lh_appender_close(lh_appender *a, lh_err *err);

/* ---- feeds: rows made by C code, read by SQL as a table ----
 *
 * A feed is a table function the caller fills: `SELECT ... FROM lh_feed(N)`
 * (lh_feed_sql gives the text) pulls chunks of rows from the caller's fill
 * callback as DuckDB needs them, so a stream of any length flows through a
 * query (e.g. into COPY ... TO a Parquet file) without ever being
 * materialised. The columns are named c1..cn and typed by lh_feed_col.
 *
 * fill writes up to `cap` rows into `out` and sets *rows; *rows = 0 ends
 * the feed. It runs on DuckDB's worker threads, at most `max_threads` at a
 * time; `*local` is a per-thread slot (NULL at first) the callback may use,
 * released with free_local when the thread is done. A non-zero return
 * fails the query with err's message (the caller keeps its own copy of
 * anything more precise). A feed must stay alive until the statement
 * reading it has finished; lh_feed_free unregisters it. */
typedef struct lh_feed     lh_feed;
typedef struct lh_feed_out lh_feed_out;

typedef enum lh_feed_type {
    LH_FEED_VARCHAR,     /* lh_feed_set_text, valid UTF-8 only */
    LH_FEED_BLOB,        /* lh_feed_set_text, any bytes */
    LH_FEED_BOOLEAN,     /* bool */
    LH_FEED_SMALLINT,    /* int16_t */
    LH_FEED_INTEGER,     /* int32_t */
    LH_FEED_BIGINT,      /* int64_t */
    LH_FEED_FLOAT,       /* float */
    LH_FEED_DOUBLE,      /* double */
    LH_FEED_DATE,        /* int32_t days since 1970-01-01; INT32_MAX / -INT32_MAX are +-infinity */
    LH_FEED_TIMESTAMP,   /* int64_t microseconds since 1970-01-01; INT64_MAX / -INT64_MAX are +-infinity */
    LH_FEED_TIMESTAMPTZ, /* the same, an instant in UTC */
    LH_FEED_DECIMAL,     /* lh_feed_set_decimal: the value times 10^scale */
} lh_feed_type;

typedef struct lh_feed_col {
    lh_feed_type type;
    uint8_t      width, scale; /* LH_FEED_DECIMAL: 1..38 and 0..width */
} lh_feed_col;

typedef int  (*lh_feed_fill_fn)(void *ctx, void **local, lh_feed_out *out, size_t cap, size_t *rows, lh_err *err);
typedef void (*lh_feed_local_free_fn)(void *ctx, void *local);

typedef struct lh_feed_spec {
    const lh_feed_col    *cols;
    size_t                n_cols;
    lh_feed_fill_fn       fill;
    lh_feed_local_free_fn free_local;  /* may be NULL */
    void                 *ctx;
    size_t                max_threads; /* 0 or 1: one thread, rows keep their order */
} lh_feed_spec;

/* Register a feed on c's engine (any connection of it can read it; the
 * spec's cols are copied). */
int         lh_feed_new(lh_engine_conn *c, const lh_feed_spec *spec, lh_feed **out, lh_err *err);
void        lh_feed_free(lh_feed *f);
/* "lh_feed(N)": the table expression to put after FROM. */
const char *lh_feed_sql(const lh_feed *f);

/* Inside fill: the column's value array (the C type in lh_feed_type's
 * comment) for fixed-width types, rows 0..cap-1. */
void *lh_feed_values(lh_feed_out *o, size_t col);
void  lh_feed_set_null(lh_feed_out *o, size_t col, size_t row);
void  lh_feed_set_text(lh_feed_out *o, size_t col, size_t row, const char *p, size_t n);
void  lh_feed_set_decimal(lh_feed_out *o, size_t col, size_t row, __int128 v);

/* ---- Parquet ---- */

/* SQL string literal for s: 'it''s' (for file paths inside generated SQL). */
void lh_sql_quote_literal(lh_buf *out, const char *s);
/* SQL identifier: "na""me". */
void lh_sql_quote_ident(lh_buf *out, const char *s);

/* COPY (select_sql) TO path as Parquet with zstd compression; rows written
 * into *rows (may be NULL). */
int  lh_parquet_write(lh_engine_conn *c, const char *select_sql, const char *path, int64_t *rows, lh_err *err);

typedef struct lh_parquet_opts {
    int64_t row_group_rows;  /* rows per row group; 0 = DuckDB's default (122,880) */
} lh_parquet_opts;

/* lh_parquet_write with options (o may be NULL). */
int  lh_parquet_write_opts(lh_engine_conn *c, const char *select_sql, const char *path, const lh_parquet_opts *o,
                           int64_t *rows, lh_err *err);

typedef struct lh_column {
    char *name;
    char *type;   /* SQL spelling, as lh_result_col_type */
} lh_column;

typedef struct lh_parquet_info {
    int64_t    rows;
    lh_column *cols;
    size_t     n_cols;
} lh_parquet_info;

/* Row count and logical schema of a Parquet file from its footer
 * (parquet_metadata / DESCRIBE over read_parquet); the data is not read.
 * A missing file is LH_ENOTFOUND "file_not_found"; a file that is not
 * (valid) Parquet is LH_EINVAL "parquet_invalid" with DuckDB's reason. */
int  lh_parquet_footer(lh_engine_conn *c, const char *path, lh_parquet_info *out, lh_err *err);
void lh_parquet_info_free(lh_parquet_info *p);

/* ---- embeddings Parquet (embeddings.c) ---- */

#define LH_EMBEDDING_MAX_DIM 4096

/* Rows of an embeddings file: doc_id VARCHAR, chunk_id INTEGER,
 * chunk_text VARCHAR, vector FLOAT[dim]. chunk_ids and chunk_texts may be
 * NULL (0 and NULL for every row); vectors is n × dim, row-major. */
typedef struct lh_embedding_rows {
    size_t             n;
    uint32_t           dim;
    const char *const *doc_ids;
    const int32_t     *chunk_ids;
    const char *const *chunk_texts;
    const float       *vectors;
    const char *const *content_hashes;  /* NULL: no content_hash column */
} lh_embedding_rows;

/* Write rows to a Parquet file at path (zstd). */
int  lh_embeddings_write(lh_engine_conn *c, const lh_embedding_rows *rows, const char *path, lh_err *err);

/* Vectors read back: ids[i] (text form of the id column) and row i of
 * vectors (n × dim). */
typedef struct lh_embeddings {
    size_t   n;
    uint32_t dim;
    char   **ids;
    float   *vectors;
    int32_t *chunk_ids;   /* with a third column, else NULL */
    char   **texts;       /* with a fourth column (NULL entries for NULLs), else NULL */
    char   **hashes;      /* with a fifth column, else NULL */
} lh_embeddings;

/* Run sql, which returns (id, vector [, chunk_id, chunk_text,
 * content_hash]) with vector a FLOAT/DOUBLE LIST or ARRAY, into out. Every vector must have the same length (1..4096) and
 * finite elements; NULL ids or vectors are refused with the row number
 * (LH_EINVAL); more than max_rows rows is LH_ETOOBIG. */
int  lh_embeddings_read(lh_engine_conn *c, const char *sql, size_t max_rows, lh_embeddings *out, lh_err *err);
void lh_embeddings_free(lh_embeddings *e);

#endif

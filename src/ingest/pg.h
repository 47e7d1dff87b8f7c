/* ingest/pg.h — pulling a PostgreSQL table or query into a Parquet file.
 *
 * Staffing systems keep their truth in PostgreSQL. A pull streams rows out
 * of the server with libpq (COPY … TO STDOUT in binary format, so the
 * server sends rows as fast as it can read them and nothing is paginated)
 * and, while they arrive, converts them into a zstd Parquet file with the
 * types the PostgreSQL columns declare — no inference: the source already
 * knows. Memory stays flat however large the table (a bounded queue
 * between the thread reading libpq and DuckDB writing row groups).
 *
 * Type mapping (PostgreSQL → Parquet via DuckDB):
 *   smallint/integer/bigint → SMALLINT/INTEGER/BIGINT; real/double → FLOAT/DOUBLE
 *   numeric(p,s) with p <= 38 → DECIMAL(p,s); numeric without a precision, or
 *     wider, → VARCHAR holding the exact text (DuckDB's DECIMAL stops at 38
 *     digits; a DOUBLE would lose digits; NaN has no DECIMAL)
 *   text/varchar/char/name/citext/enum/domain-over-text → VARCHAR; bool → BOOLEAN
 *   date → DATE, time → TIME, timestamp → TIMESTAMP, timestamptz → TIMESTAMP
 *     WITH TIME ZONE (±infinity and BC dates kept)
 *   timetz → TIMETZ converted to UTC (Parquet keeps no offset: same instant,
 *     original offset lost)
 *   interval → INTERVAL: Parquet's interval is unsigned months/days/ms, so a
 *     negative interval, one finer than a millisecond or with a time part of
 *     1193 hours or more is refused (invalid_source, naming the column;
 *     select extract(epoch FROM col) or col::text instead)
 *   uuid → UUID; json/jsonb → JSON (text); bytea → BLOB
 *   one-dimensional arrays of the above → LIST of the element type (empty
 *     arrays and NULL elements kept); multi-dimensional arrays are refused
 *   domains → their base type; anything else → VARCHAR (its text form)
 *   NaN in a numeric(p,s) (DECIMAL has no NaN) is refused (invalid_source)
 *
 * The pull runs in one read-only repeatable-read transaction with the
 * single-statement protocol, so a query source cannot write.
 *
 * The DSN is libpq's, either form (postgresql://u:p@h:5432/db?sslmode=… or
 * "host=… user=… password=…"), parsed by libpq itself. The password never
 * leaves this module: errors, logs and lineage get the redacted form.
 */
#ifndef LH_INGEST_PG_H
#define LH_INGEST_PG_H

#include "engine/engine.h"

#include <stdint.h>

/* The DSN with any password replaced by "***", in the form it was given
 * (URI stays a URI). LH_EINVAL "invalid_dsn" if libpq cannot parse it (the
 * message never echoes the password). */
int lh_pg_dsn_redact(const char *dsn, lh_buf *out, lh_err *err);

typedef struct lh_pg_source {
    const char *dsn;
    const char *table;          /* schema-qualified or not; or NULL when query is given */
    const char *query;          /* a SELECT; or NULL when table is given */
    const char *key_column;     /* optional: incremental pulls past `watermark`, ordered by it */
    const char *updated_column; /* optional alternative to key_column (e.g. updated_at) */
    const char *watermark;      /* text of the last value pulled (from lineage); NULL = from the start */
    int         nulls_taken;    /* an earlier pull by this key took the rows whose key is NULL
                                 * (they come first in key order): skip them, watermark or not */
    int64_t     timeout_ms;     /* statement_timeout for the pull; 0 = none */
    int64_t     row_group_rows; /* rows per Parquet row group; 0 = DuckDB's default (122,880) */
    int64_t     max_rows;       /* a keyset page: with a key, about this many rows past the
                                 * watermark (never splitting rows of equal key); 0 = all */
} lh_pg_source;

typedef struct lh_pg_result {
    int64_t    rows;
    lh_column *cols;
    size_t     n_cols;
    char      *watermark;       /* max of the key/updated column among pulled rows (text); the
                                 * watermark given when no rows were pulled; NULL without a key */
    int64_t    estimated_rows;  /* pg_class.reltuples for a table, -1 if unknown */
    int        more;            /* max_rows cut the pull short: rows past `watermark` remain */
} lh_pg_result;

/* Progress while streaming: rows so far and the estimate (-1 unknown). */
typedef void (*lh_pg_progress)(void *ctx, int64_t rows, int64_t estimated_rows);

/* Pull into out_parquet (created; removed on any error). Errors (all with the password redacted):
 *   LH_EINVAL "invalid_dsn", "invalid_source" (neither or both of table/query,
 *     a non-SELECT query, both key_column and updated_column, max_rows without either)
 *   LH_EPERM  "pg_auth_failed"
 *   LH_EUNAVAIL "pg_unreachable" (cannot connect), "pg_connection_lost" (mid-stream)
 *   LH_ENOTFOUND "pg_table_not_found", "pg_column_not_found"
 *   LH_ETIMEOUT "pg_statement_timeout"
 *   LH_EINVAL "pg_error" (any other server error, with its SQLSTATE) */
int  lh_pg_pull(lh_engine_conn *c, const lh_pg_source *src, const char *out_parquet, lh_pg_progress progress,
                void *ctx, lh_pg_result *out, lh_err *err);
void lh_pg_result_free(lh_pg_result *r);

#endif

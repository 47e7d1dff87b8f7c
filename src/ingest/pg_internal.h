/* ingest/pg_internal.h — what the PostgreSQL pull's two files share.
 *
 * pg_pull.c owns the session (connecting, the read-only transaction,
 * finding the columns and their types) and the SQL on both sides of the
 * stream; pg_stream.c owns the stream itself (the reader thread, the
 * bounded queue of blocks, decoding PostgreSQL's binary COPY rows into a
 * DuckDB feed). Only these two files include this header.
 */
#ifndef LH_INGEST_PG_INTERNAL_H
#define LH_INGEST_PG_INTERNAL_H

#include "ingest/pg.h"

#include <libpq-fe.h>

typedef enum pg_kind {
    PK_VARCHAR, /* text-likes, enums, numeric without a fitting typmod, anything else */
    PK_SMALLINT, PK_INTEGER, PK_BIGINT, PK_FLOAT, PK_DOUBLE, PK_DECIMAL, PK_BOOLEAN,
    PK_DATE, PK_TIME, PK_TIMETZ, PK_TIMESTAMP, PK_TIMESTAMPTZ, PK_INTERVAL, PK_UUID, PK_JSON, PK_BLOB,
} pg_kind;

typedef struct pg_col {
    char   *name;       /* as PostgreSQL names it */
    char   *out_name;   /* in the Parquet file (deduplicated) */
    Oid     type;
    int     typmod;
    pg_kind kind;
    int     prec, scale; /* PK_DECIMAL */
    int     is_list;
    int     raw_text;   /* the base type's binary form is its text (text, varchar, char, name, enum, json) */
} pg_col;

typedef struct pg_typerow {
    Oid  oid, basetype, elem;
    int  typmod;
    char typtype, category;
    char *format;       /* format_type(oid, NULL) */
} pg_typerow;

typedef struct pull {
    const lh_pg_source *src;
    PGconn   *conn;
    char     *password;      /* to scrub from messages; NULL if none */
    lh_buf    from;          /* "<regclass>" or "(\n<query>\n)" */
    pg_col   *cols;
    size_t    n_cols;
    long      key;           /* index of the key/updated column, -1 if none */
    char     *key_type;      /* format_type of the key column */
    char     *cutoff;        /* max_rows: the key text that ends the page; NULL = no cut */
    int       more;          /* max_rows: rows past the cutoff exist */
    int64_t   estimated;
    pg_typerow *types;
    size_t    n_types;
} pull;

/* Is column c sent in PostgreSQL's binary form and decoded by
 * pg_stream.c into a typed DuckDB column (rather than sent as text and
 * converted by SQL)? */
int  lh__pg_native(const pg_col *c);

/* "the query" or the table's name, for messages. */
const char *lh__pg_source_name(const pull *p);
/* Map a failed result (or a broken connection: res may be NULL) to pg.h's
 * codes, with the password scrubbed from every message. */
int  lh__pg_server_error(pull *p, const PGresult *res, lh_err *err);

typedef struct pg_stream_out {
    int64_t streamed;   /* rows PostgreSQL sent */
    int64_t written;    /* rows that reached the Parquet file */
    lh_buf  last_key;   /* the key field of the last row (p->key >= 0) */
    int     have_key;   /* last_key is set (not NULL) */
    int     engine_failed; /* the error is DuckDB's own (a conversion in the SELECT) */
} pg_stream_out;

/* Run copy_sql (a COPY ... TO STDOUT WITH (FORMAT binary), its first field
 * the key's text when p->key >= 0) and write its rows to out_parquet with
 * COPY (<select_head> lh_feed(N)) TO ...: a reader thread takes the rows
 * from libpq into a bounded queue while DuckDB converts and writes them.
 * Errors: the server's (lh__pg_server_error), a value the Parquet type
 * cannot hold (LH_EINVAL "invalid_source"), DuckDB's. */
int  lh__pg_stream(pull *p, lh_engine_conn *c, const char *copy_sql, const char *select_head,
                   const char *out_parquet, int64_t row_group_rows, lh_pg_progress progress, void *ctx,
                   pg_stream_out *out, lh_err *err);

#endif

/* ingest/ingest.h — files into datasets (ADR-010, ADR-013).
 *
 * An upload is first staged to a local file while its sha256 is computed
 * (the body is never held in memory), then converted to typed Parquet
 * (convert.h), written to the dataset's bucket, and committed with the
 * catalog's protocol: data object first, manifest second. Nothing is
 * committed on any error, and a data object written for a commit that then
 * fails is deleted again (a crash in between leaves an orphan, which the
 * catalog reports and queries never see).
 *
 * Modes: create (the dataset must not exist), append (add rows; the schema
 * must fit), replace (a new version with only the new rows; older versions
 * keep theirs for history). append and replace on a missing dataset
 * create it.
 */
#ifndef LH_INGEST_INGEST_H
#define LH_INGEST_INGEST_H

#include "catalog/catalog.h"
#include "core/jobs.h"
#include "ingest/convert.h"

#include <stdint.h>

/* ---- staging ---- */

typedef struct lh_stage lh_stage;

/* A new staging file in dir. */
int  lh_stage_open(const char *dir, const char *suffix, lh_stage **out, lh_err *err);
int  lh_stage_write(lh_stage *s, const void *data, size_t n, lh_err *err);
/* Finish: fsync-free close; fills the sha256 (hex) and byte count. */
int  lh_stage_finish(lh_stage *s, char sha256_hex[65], uint64_t *bytes, lh_err *err);
const char *lh_stage_path(const lh_stage *s);
/* Remove the file (if still there) and free. */
void lh_stage_free(lh_stage *s);

/* sha256 (hex) and size of an existing local file. */
int  lh_file_sha256(const char *path, char sha256_hex[65], uint64_t *bytes, lh_err *err);

/* ---- ingest ---- */

typedef enum lh_ingest_mode { LH_MODE_CREATE, LH_MODE_APPEND, LH_MODE_REPLACE } lh_ingest_mode;
int lh_ingest_mode_parse(const char *s, lh_ingest_mode *out, lh_err *err);

typedef struct lh_ingest_req {
    const char     *dataset;
    lh_format       format;
    lh_ingest_mode  mode;
    const char     *path;          /* the staged local file */
    uint64_t        bytes;
    const char     *sha256;        /* hex */
    const char     *file_name;     /* as the user named it (lineage), may be NULL */
    const char     *source_system; /* "upload", "cli", "demo", ... */
    const char     *actor;
    const char     *bucket;        /* NULL = primary */
    /* metadata (NULL = keep the dataset's current value) */
    const char     *owner;
    const char     *description;
    json_t         *tags;          /* array of strings, borrowed */
    json_t         *primary_key;   /* array of column names, borrowed; NULL = keep the dataset's */
} lh_ingest_req;

/* The second half of every ingest: a converted Parquet file in the scratch
 * directory becomes the dataset's next version. Stores it as the next data
 * object, classifies new columns, builds the manifest from `cur` (the
 * version the data was prepared against, NULL if none; a stale one makes
 * the commit fail with 409) and commits. The lineage entry is the caller's
 * fields completed with rows, mode, format, ingested_at, actor, version. */
typedef struct lh_ingest_commit {
    const char      *dataset;
    lh_ingest_mode   mode;
    const char      *bucket;          /* NULL = primary */
    const char      *actor;
    const char      *owner;           /* NULL = keep / default to actor */
    const char      *description;
    json_t          *tags;            /* borrowed, may be NULL */
    const char      *parquet_path;    /* the converted file */
    int64_t          rows;
    const lh_column *cols;
    size_t           n_cols;
    json_t          *lineage;         /* borrowed */
    json_t          *header_changes;  /* borrowed, may be NULL */
    json_t          *primary_key;     /* borrowed; NULL = keep the dataset's. With a primary key the
                                       * rows must hold no NULL or repeated key, and an append no key
                                       * the dataset already has (LH_EINVAL "duplicate_key"/"null_key"):
                                       * changing rows is POST /tables/{dataset}/upsert's job. */
} lh_ingest_commit;

int lh_ingest_commit_parquet(lh_catalog *cat, lh_dataset *cur, const lh_ingest_commit *c, lh_job *job,
                             json_t **result, lh_err *err);

/* Check the dataset name, bucket and mode against the current version:
 * *cur gets the newest version (a reference, or NULL). */
int lh_ingest_prepare(lh_catalog *cat, const char *dataset, const char *bucket, lh_ingest_mode mode,
                      lh_dataset **cur, lh_err *err);

const char *lh_ingest_mode_name(lh_ingest_mode m);

/* Run an ingest to its commit. *result: {dataset, version, mode, created,
 * rows, row_count, columns, header_changes, sensitivity, elapsed_ms}.
 * job may be NULL (progress is then not reported). */
int lh_ingest_file(lh_catalog *cat, const lh_ingest_req *req, lh_job *job, json_t **result, lh_err *err);

/* ---- PostgreSQL ---- */

/* batch_rows bounds: DuckDB holds one row group in memory while writing it. */
#define LH_INGEST_DB_MAX_BATCH_ROWS 1048576

typedef struct lh_ingest_db_req {
    const char     *dataset;
    lh_ingest_mode  mode;
    const char     *dsn;            /* the real DSN (from the request or a secret) */
    const char     *dsn_redacted;   /* what lineage and messages may show */
    const char     *table, *query;
    const char     *key_column, *updated_column;
    int64_t         timeout_ms;
    int64_t         batch_rows;     /* rows per Parquet row group (0 = DuckDB's 122,880; at most
                                     * LH_INGEST_DB_MAX_BATCH_ROWS), recorded in lineage */
    int64_t         max_rows;       /* one keyset page: about this many rows past the watermark
                                     * (needs key_column or updated_column; 0 = all) */
    const char     *bucket, *actor, *owner, *description;
    json_t         *tags;
} lh_ingest_db_req;

/* Pull and commit. With key_column or updated_column and mode=append, only
 * rows past the watermark of the dataset's last pull (kept in its lineage)
 * are pulled; when there are none nothing is committed and the result says
 * "unchanged": true. With max_rows, one page of the key order is pulled
 * and committed, and "more" says whether rows past it remain: repeating
 * the call with mode=append takes the table page by page, and a failed
 * page is repeated from the last committed one. Progress (rows, estimate)
 * goes to job. */
int lh_ingest_db(lh_catalog *cat, const lh_ingest_db_req *req, lh_job *job, json_t **result, lh_err *err);

#endif

/* tables/tables.h — updates, merge-on-read, compaction, the mutation
 * journal and record history (ADR-009, ADR-012).
 *
 * A dataset with a primary key accepts changes to single rows. Each write
 * (an upsert of rows, a delete by keys or by a SQL predicate) becomes one
 * small delta Parquet file, datasets/{name}/delta/{seq:012}-{uuid}.parquet,
 * holding the whole new state of every key it touches (the dataset's
 * columns plus _lh_seq, the version that wrote it, and _lh_op, 'upsert' or
 * 'delete'), and one new manifest version listing the base files and every
 * delta. Readers merge them (catalog/merge_sql.c): per key the newest delta
 * wins, deletes hide the key. Compaction writes the merged rows into a new
 * base file and commits a version without deltas; older versions keep
 * their files (time travel) until vacuum removes files superseded longer
 * ago than the retention.
 *
 * Single writer per dataset (ADR-009), enforced twice: inside the process
 * a second write to a dataset that is being written is refused at once
 * (LH_ECONFLICT "write_in_progress"), and across processes the manifest's
 * create-only commit refuses the loser (LH_ECONFLICT "concurrent_commit").
 * The loser's delta object is deleted; nothing is lost or half-applied. A
 * crash between storing the delta and the commit leaves an orphan that no
 * manifest names (GET /catalog/orphans), never a changed dataset.
 *
 * Every write journals field-level events after its commit (commit
 * protocol step 5) through the catalog's append log under
 * _journal/events/, in the same batch object as the version's
 * dataset_committed event (one batch per write; write.c says what a crash
 * leaves): one event per changed field, {ts, ts_us, type:
 * "field_changed", op: insert|update|delete, dataset, key, field,
 * old_value, new_value, actor, source, workspace_id, version}. The key is
 * the key value as text (a JSON array of texts for a composite key).
 *
 * Partial upserts: a JSON row may leave columns out; for an existing key
 * they keep their current value, for a new key they are NULL (an explicit
 * null sets NULL). A key repeated within one request: the last row wins.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef LH_TABLES_TABLES_H
#define LH_TABLES_TABLES_H

#include "catalog/catalog.h"

#include <jansson.h>
#include <stdint.h>

#define LH_DELTA_DIR "delta"

typedef struct lh_tables lh_tables;

typedef struct lh_tables_opts {
    lh_catalog *cat;
    int64_t     auto_compact_deltas;  /* compact after a write leaves >= this many deltas; 0 = never */
    int64_t     auto_compact_bytes;   /* ...or >= this many delta bytes; 0 = no size trigger */
    int64_t     retention_hours;      /* vacuum's default retention */
    int64_t     threads;              /* predicate engine threads (0 = DuckDB's default) */
} lh_tables_opts;

/* Opens a locked-down engine of its own for delete predicates (user SQL
 * never runs on the internal, unlocked engine). */
int  lh_tables_open(const lh_tables_opts *opts, lh_tables **out, lh_err *err);
void lh_tables_free(lh_tables *t);

/* Who is writing, for the journal. */
typedef struct lh_tables_actor {
    const char *actor;         /* NULL = "anonymous" */
    const char *source;        /* "api", "tool:update_phone", ...; NULL = "api" */
    const char *workspace_id;  /* may be NULL */
} lh_tables_actor;

/* Errors of every write: LH_ENOTFOUND "dataset_not_found";
 * LH_EINVAL "no_primary_key" (declare one first), "unknown_column",
 * "type_mismatch", "missing_key", "invalid_rows"/"invalid_keys",
 * "invalid_predicate"; LH_ECONFLICT "write_in_progress"/"concurrent_commit".
 * *result: {dataset, version, op, rows, inserted, updated, deleted,
 * row_count, deltas, delta: {key, rows, bytes} | null, events, compacted}. */

/* rows: a non-empty JSON array of objects (column -> value). */
int lh_tables_upsert_json(lh_tables *t, const char *dataset, const json_t *rows, const lh_tables_actor *who,
                          json_t **result, lh_err *err);
/* A Parquet file already cast to the dataset's columns (every column set;
 * the ingest converter with the dataset's schema as target makes one). */
int lh_tables_upsert_parquet(lh_tables *t, const char *dataset, const char *path, const lh_tables_actor *who,
                             json_t **result, lh_err *err);
/* keys: a non-empty array; each key a scalar (one-column key), an array in
 * key order, or an object {column: value}. Keys that do not exist are
 * ignored (counted in result.missing). */
int lh_tables_delete_keys(lh_tables *t, const char *dataset, const json_t *keys, const lh_tables_actor *who,
                          json_t **result, lh_err *err);
/* Delete the rows for which `predicate` (a SQL boolean expression over the
 * dataset's columns) is true, evaluated on the current merged rows in the
 * locked-down engine; anything but a plain expression is
 * LH_EINVAL "invalid_predicate". */
int lh_tables_delete_where(lh_tables *t, const char *dataset, const char *predicate, const lh_tables_actor *who,
                           json_t **result, lh_err *err);

/* Rewrite base + deltas into one new base file and commit it. Nothing to
 * do (no deltas, at most one base file): *result says compacted: false.
 * *result: {dataset, compacted, version, rows, files_before, deltas_merged,
 * elapsed_ms, rows_per_s}. */
int lh_tables_compact(lh_tables *t, const char *dataset, const lh_tables_actor *who, json_t **result, lh_err *err);

/* Delete the dataset's data objects that no version committed in the last
 * retention_hours uses: files the current version does not list and whose
 * last version was superseded longer ago, and orphans older than that.
 * retention_hours < 0 = the configured default. *result: {dataset,
 * deleted: [keys], bytes_freed, kept, retention_hours}. */
int lh_tables_vacuum(lh_tables *t, const char *dataset, int64_t retention_hours, json_t **result, lh_err *err);

/* ---- journal ---- */

typedef struct lh_journal_filter {
    const char *dataset, *key, *field, *actor, *op;  /* NULL = any */
    int64_t     since_us, until_us;                  /* 0 = unbounded; inclusive */
    int64_t     limit;                               /* > 0 */
} lh_journal_filter;

/* Events in time order matching f: {events: [...], count, truncated}. */
int lh_tables_journal_events(lh_tables *t, const lh_journal_filter *f, json_t **out, lh_err *err);

/* One record as it was at as_of_us (0 = now), from the dataset version
 * current then: {dataset, key, as_of, version, exists, record, history}
 * where history is the record's field events up to then. */
int lh_tables_record(lh_tables *t, const char *dataset, const char *key, int64_t as_of_us, json_t **out,
                     lh_err *err);

#endif

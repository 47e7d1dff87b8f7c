/* catalog/catalog.h — the dataset catalog (ADR-002, ADR-013).
 *
 * The catalog is the authority on which Parquet objects make up a dataset
 * and on everything known about it: owner, description, tags, per-column
 * types and sensitivity, lineage, freshness SLA, row count and history.
 *
 * Its state lives in the bucket as versioned manifest objects,
 * _catalog/{name}/v{version:012}.parquet, each a one-row Parquet file
 * (dataset, version, committed_at, row_count, manifest) whose `manifest`
 * column holds the full JSON document. This process keeps an in-memory
 * index rebuilt from them at start: the newest version of each dataset.
 *
 * A commit is the conditional creation of the next manifest version
 * (create-only put): whoever creates version N first wins, so two writers
 * can never both commit N (ADR-009's single writer, enforced). The commit
 * protocol is: write the data objects, read their footers, build the next
 * manifest, create it (the commit), swap the in-memory entry, tell the
 * listeners (the query views), append the journal event. A crash before
 * the create leaves orphan objects that no manifest names; they are never
 * visible to queries and lh_catalog_orphans reports them.
 *
 * Older versions are snapshots: their files are never deleted by a commit,
 * so a query can read a dataset as it was (time travel).
 *
 * Deleting a dataset commits a tombstone version: the history stays, the
 * name leaves the listing and the query views, and a later create
 * continues the numbering.
 *
 * Thread-safety: every function may be called concurrently. Readers get a
 * reference-counted snapshot (lh_dataset) that stays valid until released,
 * whatever commits meanwhile; commits are serialised.
 */
#ifndef LH_CATALOG_CATALOG_H
#define LH_CATALOG_CATALOG_H

#include "engine/engine.h"
#include "storage/append_log.h"
#include "storage/registry.h"

#include <jansson.h>
#include <stdint.h>

#define LH_CATALOG_PREFIX  "_catalog/"
#define LH_DATASETS_PREFIX "datasets/"
#define LH_JOURNAL_PREFIX  "_journal/events/"

typedef struct lh_catalog lh_catalog;

/* One committed manifest version, immutable. */
typedef struct lh_dataset {
    const char *name;
    int64_t     version;
    int         deleted;     /* a tombstone */
    json_t     *manifest;    /* the document; read-only */
} lh_dataset;

lh_dataset *lh_dataset_ref(lh_dataset *ds);
void        lh_dataset_unref(lh_dataset *ds);
/* Accessors over the manifest document. */
int64_t     lh_dataset_row_count(const lh_dataset *ds);
size_t      lh_dataset_n_files(const lh_dataset *ds);
const char *lh_dataset_file_key(const lh_dataset *ds, size_t i);
const char *lh_dataset_bucket(const lh_dataset *ds);
/* Columns as engine column descriptions (caller frees with lh_columns_free). */
size_t      lh_dataset_columns(const lh_dataset *ds, lh_column **out);
void        lh_columns_free(lh_column *cols, size_t n);
/* Primary key columns (manifest "primary_key"), a borrowed JSON array of
 * strings; NULL when the dataset declares none (json_array_size gives 0). */
json_t     *lh_dataset_primary_key(const lh_dataset *ds);
/* Files that are deltas (upserts/deletes merged at read time, ADR-009):
 * manifest file entries with "kind": "delta". */
size_t      lh_dataset_n_deltas(const lh_dataset *ds);
int         lh_dataset_file_is_delta(const lh_dataset *ds, size_t i);
/* Is the dataset past its freshness SLA at `now_us`? */
int         lh_dataset_stale(const lh_dataset *ds, int64_t now_us);

/* Dataset names are SQL-friendly: [a-z][a-z0-9_]*, at most 63 bytes. */
int lh_dataset_name_validate(const char *name, lh_err *err);

typedef struct lh_catalog_opts {
    lh_registry *reg;
    lh_engine   *engine;       /* internal engine: reads and writes manifests */
    const char  *scratch_dir;  /* local directory for temporary files */
} lh_catalog_opts;

/* Open: load the newest manifest of every dataset from the primary
 * bucket. A manifest that cannot be read is skipped for the previous
 * version, with a warning. */
int  lh_catalog_open(const lh_catalog_opts *opts, lh_catalog **out, lh_err *err);
void lh_catalog_free(lh_catalog *cat);

/* Listener called after each commit, with the new snapshot (a tombstone
 * when the dataset was deleted). Called with no catalog lock held. */
typedef void (*lh_catalog_listener)(void *ctx, lh_dataset *ds);
void lh_catalog_listen(lh_catalog *cat, lh_catalog_listener fn, void *ctx);

/* The current (newest, not deleted) version of `name`, referenced; NULL
 * and LH_ENOTFOUND "dataset_not_found" when there is none. */
lh_dataset *lh_catalog_get(lh_catalog *cat, const char *name, lh_err *err);
/* The newest version including a tombstone (for numbering), or NULL. */
lh_dataset *lh_catalog_get_any(lh_catalog *cat, const char *name);
/* Every current dataset, sorted by name, each referenced. */
size_t      lh_catalog_list(lh_catalog *cat, lh_dataset ***out);
void        lh_dataset_list_free(lh_dataset **l, size_t n);

/* Commit `manifest` (stolen) as the next version of `name`. The caller
 * based it on `base_version` (0: the dataset did not exist or was
 * deleted); if the current version differs, or another writer creates the
 * version first, LH_ECONFLICT "concurrent_commit". The catalog fills name,
 * version, committed_at and the derived row_count. */
int  lh_catalog_commit(lh_catalog *cat, const char *name, int64_t base_version, json_t *manifest,
                       lh_dataset **out, lh_err *err);

/* A commit that journals more than its own event. After the manifest is
 * created (and the listeners told), fn is called with the committed
 * snapshot and appends event lines to *lines (one JSON object per line,
 * each ending in '\n'; see lh_append_log_append_lines). The commit's
 * event and those lines then go to the journal together, as one batch
 * object, after the commit: the journal never holds events of a version
 * that did not commit, and never half of a write's events. A failure of fn
 * is logged and its lines dropped (the commit stands and its own event is
 * journaled). `events` is set to the number of fn's events persisted (0
 * when journaling failed: the append log then keeps them buffered for its
 * next flush). */
typedef int (*lh_catalog_events_fn)(void *ctx, const lh_dataset *committed, lh_buf *lines, lh_err *err);
typedef struct lh_commit_journal {
    lh_catalog_events_fn fn;
    void                *ctx;
    size_t               events;  /* out */
} lh_commit_journal;
int  lh_catalog_commit_journaled(lh_catalog *cat, const char *name, int64_t base_version, json_t *manifest,
                                 lh_commit_journal *journal, lh_dataset **out, lh_err *err);

/* Load a given version (for history and time travel). */
int  lh_catalog_load_version(lh_catalog *cat, const char *name, int64_t version, lh_dataset **out,
                             lh_err *err);
/* [{version, committed_at, row_count, files, change, deleted}], oldest first. */
int  lh_catalog_versions(lh_catalog *cat, const char *name, json_t **out, lh_err *err);
/* Every stored version of `name`, oldest first, each read once: fn gets
 * the snapshot (valid during the call), or NULL and the load error when
 * that manifest cannot be read. A non-zero return from fn stops and is
 * returned. LH_ENOTFOUND "dataset_not_found" when there is no version. */
typedef int (*lh_catalog_version_fn)(void *ctx, int64_t version, const lh_dataset *ds, const lh_err *load_err);
int  lh_catalog_each_version(lh_catalog *cat, const char *name, lh_catalog_version_fn fn, void *ctx, lh_err *err);

/* Objects under datasets/ that no manifest version names. */
int  lh_catalog_orphans(lh_catalog *cat, json_t **out, lh_err *err);

/* Rebuild row_count and columns of `name` from its files' Parquet footers;
 * commits a new version only if the manifest had drifted. *report gets
 * {dataset, changed, before:{row_count, columns}, after:{...}, version}. */
int  lh_catalog_resync(lh_catalog *cat, const char *name, const char *actor, json_t **report, lh_err *err);

/* The SELECT that reads ds as its rows are (no trailing semicolon), with
 * the dataset's columns in order. Without deltas it reads the files; with
 * deltas it is merge-on-read: of every primary key, the row of the newest
 * delta (highest _lh_seq) wins over older deltas and the base files, and a
 * key whose newest entry is a delete is gone. Base files never share a key
 * (ingest and compaction keep it so), deltas are key-unique each. */
int  lh_catalog_dataset_sql(lh_catalog *cat, const lh_dataset *ds, lh_buf *sql, lh_err *err);

/* The same rows restricted to the keys in `keys` (a table or
 * parenthesised SELECT with the key columns under their names): what a
 * write reads to complete its rows, without merging the whole dataset.
 * LH_EINVAL "no_primary_key" when ds has no key. */
int  lh_catalog_dataset_sql_keys(lh_catalog *cat, const lh_dataset *ds, const char *keys, lh_buf *sql, lh_err *err);

/* SQL for a primary key `pk` (JSON array of column names), shared by
 * the merge, the key check and tables/ so a key reads the same
 * everywhere. q is a table alias or NULL (unqualified columns).
 * key_text: the key as one text, the column's value for a one-column key,
 * else a JSON array of the values as texts ('["eu","7"]') — the form the
 * journal's "key" field and /journal/records use. */
void lh_catalog_key_text(lh_buf *sql, const json_t *pk, const char *q);
/* `a."k1" = b."k1" AND ...` */
void lh_catalog_key_join(lh_buf *sql, const json_t *pk, const char *a, const char *b);

/* Check that rows of `from_sql` (a SELECT) hold no NULL and no duplicate
 * value of `keys` (JSON array of column names). LH_EINVAL "duplicate_key"
 * or "null_key" with up to 10 offending keys in the message. */
int  lh_catalog_check_keys(lh_catalog *cat, const char *from_sql, const json_t *keys, const char *dataset,
                           lh_err *err);

/* The version of `name` that was current at `at_us` (the newest committed
 * at or before it). LH_ENOTFOUND "version_not_found" when the dataset did
 * not exist yet (or was deleted) then. */
int  lh_catalog_version_at(lh_catalog *cat, const char *name, int64_t at_us, lh_dataset **out, lh_err *err);

/* The mutation journal (ADR-012) under _journal/events/: events are
 * written by the catalog itself, commit events with a write's own events
 * (see lh_catalog_commit_journaled). */
lh_append_log *lh_catalog_journal(lh_catalog *cat);

/* Manifest objects read since open (each a Parquet read): what history,
 * time travel and vacuum cost; tests check vacuum reads each version once. */
uint64_t lh_catalog_manifest_reads(lh_catalog *cat);

/* Local path of data file i of ds (for the engines). */
int  lh_catalog_file_path(lh_catalog *cat, const lh_dataset *ds, size_t i, lh_buf *out, lh_err *err);

/* The registry and engine the catalog was opened with. */
lh_registry *lh_catalog_registry(lh_catalog *cat);
lh_engine   *lh_catalog_engine(lh_catalog *cat);
const char  *lh_catalog_scratch_dir(lh_catalog *cat);

#endif

/* query/service.c — the query engine and its dataset views.
 *
 * Views are defined before the lockdown for every dataset that exists at
 * start, then kept current by a catalog listener. A view names its files
 * explicitly (never a glob), so an orphan file in a dataset's folder can
 * never appear in a query.
 *
 * Making a view reads its files' footers, so for a dataset in an S3 bucket
 * its files must be in the read cache. If they cannot be fetched at start
 * (the bucket is down and the cache empty), the server still starts (one
 * bad tenant bucket must not stop it, ADR-017): the view is deferred and
 * made when a query first names the dataset, and after the first such
 * failure the other datasets of that bucket are deferred without trying,
 * so a dead endpoint costs start-up one retry budget, not one per file.
 */
#include "query/query_impl.h"
#include "core/id.h"
#include "core/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* CREATE OR REPLACE [TEMP] VIEW "name" AS <the dataset's SELECT>: its
 * files, merged on read when it has deltas (catalog/merge_sql.c). */
int lh_query_view_sql(lh_query_service *q, const lh_dataset *ds, int temp, lh_buf *sql, lh_err *err)
{
    lh_buf_puts(sql, temp ? "CREATE OR REPLACE TEMP VIEW " : "CREATE OR REPLACE VIEW ");
    lh_sql_quote_ident(sql, ds->name);
    lh_buf_puts(sql, " AS ");
    return lh_catalog_dataset_sql(q->cat, ds, sql, err);
}

/* The mutation journal as a view (ADR-012): every event of every batch
 * under _journal/events/ (the catalog writes a first event when the
 * journal is new, so the glob always matches). Compaction headers carry no
 * timestamp and drop out. */
static int journal_view(lh_query_service *q, const char *abs_root, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT, glob = LH_BUF_INIT;
    lh_buf_printf(&glob, "%s/%sbatch_*.jsonl", abs_root, LH_JOURNAL_PREFIX);
    lh_buf_puts(&sql, "CREATE OR REPLACE VIEW lakehouse_journal AS SELECT ts_us, make_timestamp(ts_us) AS ts, type, op, "
                "dataset, \"key\", field, old_value, new_value, actor, source, workspace_id, version, row_count "
                "FROM read_json(");
    lh_sql_quote_literal(&sql, glob.data);
    lh_buf_puts(&sql, ", format = 'newline_delimited', columns = {ts_us: 'BIGINT', type: 'VARCHAR', op: 'VARCHAR', "
                "dataset: 'VARCHAR', \"key\": 'VARCHAR', field: 'VARCHAR', old_value: 'JSON', new_value: 'JSON', "
                "actor: 'VARCHAR', source: 'VARCHAR', workspace_id: 'VARCHAR', version: 'BIGINT', row_count: 'BIGINT'}) "
                "WHERE ts_us IS NOT NULL");
    int rc = lh_engine_exec(q->ddl, sql.data, err);
    lh_buf_free(&sql);
    lh_buf_free(&glob);
    return rc;
}

/* (Re)define ds's shared view; its files, if in a cached bucket, are
 * already readable and pinned by the caller. */
static int view_ddl(lh_query_service *q, const lh_dataset *ds, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    int rc = 0;
    if (ds->deleted) {
        lh_buf_puts(&sql, "DROP VIEW IF EXISTS ");
        lh_sql_quote_ident(&sql, ds->name);
    } else {
        rc = lh_query_view_sql(q, ds, 0, &sql, err);
    }
    if (!rc) {
        pthread_mutex_lock(&q->ddl_mu);
        rc = lh_engine_exec(q->ddl, sql.data, err);
        pthread_mutex_unlock(&q->ddl_mu);
    }
    lh_buf_free(&sql);
    return rc;
}

static int apply_view(lh_query_service *q, lh_dataset *ds, lh_err *err)
{
    /* CREATE VIEW reads the files' footers: hold them until it has */
    lh_query_pins pins = {0};
    int rc = lh_query_ensure_dataset(q, ds, &pins, err);
    if (!rc) rc = view_ddl(q, ds, err);
    lh_query_pins_release(q, &pins);
    return rc;
}

/* A name joins (at start, one thread) or leaves (view_mu held) the
 * deferred set. */
static void defer(lh_query_service *q, const char *name)
{
    if (!json_object_get(q->deferred, name)) atomic_fetch_add(&q->n_deferred, 1);
    json_object_set_new(q->deferred, name, json_true());
}

static void undefer(lh_query_service *q, const char *name)
{
    if (json_object_del(q->deferred, name) == 0) atomic_fetch_sub(&q->n_deferred, 1);
}

static void on_commit(void *ctx, lh_dataset *ds)
{
    lh_query_service *q = ctx;
    lh_err e;
    pthread_mutex_lock(&q->view_mu);
    if (apply_view(q, ds, &e))
        lh_error("query: view for %s v%lld not updated: %s", ds->name, (long long)ds->version, e.msg);
    else
        undefer(q, ds->name);
    pthread_mutex_unlock(&q->view_mu);
}

/* The view of a dataset deferred at start, made now (its current version). */
static int make_deferred_view(lh_query_service *q, const char *name, lh_err *err)
{
    int rc = 0;
    if (atomic_load(&q->n_deferred) == 0) return 0;
    pthread_mutex_lock(&q->view_mu);
    if (json_object_get(q->deferred, name)) {
        lh_dataset *ds = lh_catalog_get_any(q->cat, name);
        rc = ds ? apply_view(q, ds, err) : 0;
        if (!rc) undefer(q, name);
        lh_dataset_unref(ds);
    }
    pthread_mutex_unlock(&q->view_mu);
    return rc;
}

int lh_query_open(const lh_query_opts *opts, lh_query_service **out, lh_err *err)
{
    *out = NULL;
    lh_query_service *q = lh_xcalloc(1, sizeof *q);
    q->cat = opts->cat;
    pthread_mutex_init(&q->ddl_mu, NULL);
    pthread_mutex_init(&q->view_mu, NULL);
    q->deferred = json_object();
    /* The query engine gets directories of its own inside the scratch
     * area: DuckDB makes its spill directory readable to SQL, and the
     * export directory must be; neither may be the scratch directory
     * itself, where uploads are staged before they are committed. Their
     * names are visible to SQL (current_setting('allowed_directories')):
     * what they hold is query output over datasets every caller can read. */
    if (opts->temp_dir) {
        char hex[33], abs[PATH_MAX];
        lh_hex_id(hex, 16);
        lh_buf d = LH_BUF_INIT;
        lh_buf_printf(&d, "%s/query-%s", opts->temp_dir, hex);
        if (mkdir(d.data, 0700) == 0 && realpath(d.data, abs)) {
            q->own = lh_xstrdup(abs);
            lh_buf_reset(&d);
            lh_buf_printf(&d, "%s/spill", abs);
            if (mkdir(d.data, 0700) == 0) q->spill = lh_buf_detach(&d);
            lh_buf_reset(&d);
            lh_buf_printf(&d, "%s/exports", abs);
            if (mkdir(d.data, 0700) == 0) q->exports = lh_buf_detach(&d);
        }
        lh_buf_free(&d);
        if (!q->exports) lh_warn("query: no directory for Parquet results under %s; format=parquet is unavailable",
                                 opts->temp_dir);
    }
    lh_engine_opts eo = {.threads = opts->threads, .memory_limit = opts->memory_limit, .temp_dir = q->spill};
    int rc = lh_engine_open(&eo, &q->engine, err);
    if (!rc) rc = lh_engine_connect(q->engine, &q->ddl, err);
    lh_dataset **all = NULL;
    size_t n = 0;
    if (!rc) {
        n = lh_catalog_list(q->cat, &all);
        json_t *down = json_object();  /* buckets whose files could not be fetched */
        for (size_t i = 0; i < n && !rc; i++) {
            const char *bucket = lh_dataset_bucket(all[i]);
            lh_query_pins pins = {0};
            lh_err fe;
            if (json_object_get(down, bucket)) {
                defer(q, all[i]->name);
                continue;
            }
            if (lh_query_ensure_dataset(q, all[i], &pins, &fe)) {
                lh_query_pins_release(q, &pins);  /* the files fetched before the failure */
                lh_warn("query: %s; its view is made when a query first names it", fe.msg);
                /* an unreachable bucket defers its other datasets untried;
                 * one bad object defers only its own dataset */
                if (fe.status == LH_EUNAVAIL || fe.status == LH_ETIMEOUT) json_object_set_new(down, bucket, json_true());
                defer(q, all[i]->name);
                continue;
            }
            rc = view_ddl(q, all[i], err);
            lh_query_pins_release(q, &pins);
            if (rc) lh_err_prefix(err, "defining the view of dataset %s", all[i]->name);
        }
        json_decref(down);
        lh_dataset_list_free(all, n);
    }
    if (!rc) {
        /* Readable: the datasets/ folder of every local bucket (datasets may
         * live in any) — not the catalog, journals or staged uploads. */
        lh_registry *reg = lh_catalog_registry(q->cat);
        char **dirs = NULL;
        size_t nd = lh_registry_local_dirs(reg, LH_DATASETS_PREFIX, &dirs);
        dirs = lh_xrealloc(dirs, (nd + 1) * sizeof *dirs);
        if (q->exports) {
            lh_buf d = LH_BUF_INIT;
            lh_buf_printf(&d, "%s/", q->exports);
            dirs[nd++] = lh_buf_detach(&d);
        }
        /* ...and the primary's journal, for the lakehouse_journal view */
        const char *proot = lh_objstore_local_root(lh_registry_primary(reg));
        char pabs[PATH_MAX];
        if (proot && realpath(proot, pabs)) {
            dirs = lh_xrealloc(dirs, (nd + 2) * sizeof *dirs);
            lh_buf d = LH_BUF_INIT;
            lh_buf_printf(&d, "%s/%s", pabs, LH_JOURNAL_PREFIX);
            dirs[nd++] = lh_buf_detach(&d);
            rc = journal_view(q, pabs, err);
            if (rc) lh_err_prefix(err, "defining the lakehouse_journal view");
        }
        if (!rc) rc = lh_engine_lockdown(q->engine, (const char *const *)dirs, nd, err);
        for (size_t i = 0; i < nd; i++) free(dirs[i]);
        free(dirs);
    }
    if (rc) { lh_query_free(q); return rc; }
    lh_catalog_listen(q->cat, on_commit, q);
    *out = q;
    return 0;
}

int lh_query_ensure_dataset(lh_query_service *q, const lh_dataset *ds, lh_query_pins *pins, lh_err *err)
{
    lh_registry *reg = lh_catalog_registry(q->cat);
    if (ds->deleted || !lh_registry_cache_dir(reg)) return 0;
    const char *bucket = lh_dataset_bucket(ds);
    lh_objstore *s = lh_registry_bucket(reg, bucket, NULL);
    if (!s || lh_objstore_local_root(s)) return 0;
    for (size_t k = 0; k < lh_dataset_n_files(ds); k++) {
        const char *key = lh_dataset_file_key(ds, k);
        lh_buf path = LH_BUF_INIT;
        int rc = key ? lh_registry_local_path_pinned(reg, bucket, key, &path, err)
                     : lh_err_set(err, LH_EINTERNAL, "manifest_corrupt", "file %zu has no key", k);
        lh_buf_free(&path);
        if (rc) {
            lh_err_prefix(err, "dataset \"%s\" cannot be read", ds->name);
            return rc;
        }
        if (pins->n == pins->cap) {
            pins->cap = pins->cap ? pins->cap * 2 : 16;
            pins->bucket = lh_xrealloc(pins->bucket, pins->cap * sizeof *pins->bucket);
            pins->key = lh_xrealloc(pins->key, pins->cap * sizeof *pins->key);
        }
        pins->bucket[pins->n] = lh_xstrdup(bucket);
        pins->key[pins->n++] = lh_xstrdup(key);
    }
    return 0;
}

int lh_query_ensure_files(lh_query_service *q, json_t *names, lh_query_pins *pins, lh_err *err)
{
    /* Views name cached copies of S3 files, and the cache may have evicted
     * some since a view was made. Only the datasets the statement names are
     * made present (engine/refs.c finds them with the parser, before
     * anything is bound), so the cost of a query does not grow with the
     * number of datasets and a query never pulls in another dataset's
     * evicted files; names == NULL (a statement the parser cannot see
     * into: EXPLAIN, PRAGMA) checks every dataset. The files are pinned
     * until the run ends, so a concurrent query's fetch cannot evict them
     * between this check and the scan. Pinning every live dataset's files
     * for good instead was rejected: the datasets could then outgrow
     * storage.cache_max_bytes, the one bound the cache promises; pins
     * exceed it only by what the queries in flight read. */
    if (!lh_registry_cache_dir(lh_catalog_registry(q->cat))) return 0;
    int rc = 0;
    if (!names) {
        lh_dataset **all = NULL;
        size_t n = lh_catalog_list(q->cat, &all);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = lh_query_ensure_dataset(q, all[i], pins, err);
            if (!rc) rc = make_deferred_view(q, all[i]->name, err);
        }
        lh_dataset_list_free(all, n);
        return rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        lh_dataset *ds = lh_catalog_get_any(q->cat, json_string_value(v));
        if (!ds) continue;  /* a CTE, lakehouse_journal, or a name DuckDB will report */
        rc = lh_query_ensure_dataset(q, ds, pins, err);
        if (!rc) rc = make_deferred_view(q, ds->name, err);
        lh_dataset_unref(ds);
        if (rc) break;
    }
    return rc;
}

void lh_query_pins_release(lh_query_service *q, lh_query_pins *pins)
{
    lh_registry *reg = lh_catalog_registry(q->cat);
    for (size_t i = 0; i < pins->n; i++) {
        lh_registry_local_unpin(reg, pins->bucket[i], pins->key[i]);
        free(pins->bucket[i]);
        free(pins->key[i]);
    }
    free(pins->bucket);
    free(pins->key);
    memset(pins, 0, sizeof *pins);
}

void lh_query_free(lh_query_service *q)
{
    if (!q) return;
    lh_engine_conn_free(q->ddl);
    lh_engine_free(q->engine);
    if (q->exports) rmdir(q->exports);
    if (q->spill) rmdir(q->spill);
    if (q->own) rmdir(q->own);
    free(q->exports);
    free(q->spill);
    free(q->own);
    json_decref(q->deferred);
    pthread_mutex_destroy(&q->view_mu);
    pthread_mutex_destroy(&q->ddl_mu);
    free(q);
}

int lh_qformat_parse(const char *s, lh_qformat *out, lh_err *err)
{
    if (!s || !strcmp(s, "json")) { *out = LH_QFMT_JSON; return 0; }
    if (!strcmp(s, "ndjson")) { *out = LH_QFMT_NDJSON; return 0; }
    if (!strcmp(s, "csv")) { *out = LH_QFMT_CSV; return 0; }
    if (!strcmp(s, "parquet")) { *out = LH_QFMT_PARQUET; return 0; }
    return lh_err_set(err, LH_EINVAL, "invalid_format", "format must be json, ndjson, csv or parquet, got \"%.40s\"", s);
}

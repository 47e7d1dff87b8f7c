/* tables/compact.c — compaction and vacuum.
 *
 * Compaction writes the dataset's merged rows (the very SELECT queries
 * read, catalog/merge_sql.c) into one new base file and commits a version
 * that lists only it. Nothing is deleted: queries running on the previous
 * version keep reading its files, the query view swaps to the new version
 * atomically at the commit, and older versions stay readable for time
 * travel. A write that commits first makes the compaction's commit fail
 * with 409 (its file is then removed); a write cannot start meanwhile in
 * this process (the dataset is claimed).
 *
 * Vacuum is what finally deletes: a data object goes once no version
 * committed within the retention period uses it — it is not in the current
 * version, and the version that last listed it was superseded more than
 * retention ago (orphans from interrupted writes: when their object is
 * older than that). Manifests are kept; time travel to a vacuumed version
 * then fails with the missing file named.
 */
#include "tables/tables_impl.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tab_compact_claimed(lh_tables *t, const char *dataset, const lh_tables_actor *who, json_t **result, lh_err *err)
{
    *result = NULL;
    int64_t t0 = lh_mono_us();
    lh_dataset *cur = lh_catalog_get(t->cat, dataset, err);
    if (!cur) return LH_ENOTFOUND;
    size_t n_files = lh_dataset_n_files(cur), n_deltas = lh_dataset_n_deltas(cur);
    if (n_deltas == 0 && n_files <= 1) {
        *result = json_pack("{s:s,s:b,s:I,s:I,s:I,s:i}", "dataset", dataset, "compacted", 0, "version",
                            (json_int_t)cur->version, "rows", (json_int_t)lh_dataset_row_count(cur), "files_before",
                            (json_int_t)n_files, "deltas_merged", 0);
        lh_dataset_unref(cur);
        return 0;
    }
    lh_catalog *cat = t->cat;
    int64_t version = cur->version + 1;
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf key = LH_BUF_INIT, path = LH_BUF_INIT, sql = LH_BUF_INIT;
    lh_buf_printf(&key, "%s%s/data/%012" PRId64 "-%s.parquet", LH_DATASETS_PREFIX, dataset, version, id);
    lh_buf_printf(&path, "%s/compact-%s.parquet", lh_catalog_scratch_dir(cat), id);
    lh_objstore *store = lh_registry_bucket(lh_catalog_registry(cat), lh_dataset_bucket(cur), err);
    int rc = store ? 0 : LH_ENOTFOUND;
    if (!rc) rc = lh_catalog_dataset_sql(cat, cur, &sql, err);
    lh_engine_conn *c = NULL;
    int64_t rows = 0;
    if (!rc) rc = lh_engine_connect(lh_catalog_engine(cat), &c, err);
    if (!rc) rc = lh_parquet_write(c, sql.data, path.data, &rows, err);
    lh_engine_conn_free(c);
    struct stat st;
    int64_t bytes = !rc && stat(path.data, &st) == 0 ? (int64_t)st.st_size : 0;
    if (!rc) rc = lh_objstore_put_file(store, key.data, path.data, LH_PUT_CREATE_ONLY, NULL, err);
    unlink(path.data);
    int stored = rc == 0;
    lh_dataset *committed = NULL;
    if (!rc) {
        json_t *m = json_deep_copy(cur->manifest);
        json_object_set_new(m, "files", json_pack("[{s:s,s:I,s:I,s:I}]", "key", key.data, "rows", (json_int_t)rows,
                                                  "bytes", (json_int_t)bytes, "seq", (json_int_t)version));
        json_object_del(m, "row_count");
        json_object_set_new(m, "change", json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "kind", "compact", "actor",
                                                   who && who->actor ? who->actor : "anonymous", "source",
                                                   who && who->source ? who->source : "api", "files_before",
                                                   (json_int_t)n_files, "deltas_merged", (json_int_t)n_deltas, "rows",
                                                   (json_int_t)rows));
        rc = lh_catalog_commit(cat, dataset, cur->version, m, &committed, err);
    }
    if (rc && stored) {
        lh_err derr;
        if (lh_objstore_delete(store, key.data, &derr))
            lh_warn("tables %s: could not remove uncommitted compaction output %s: %s", dataset, key.data, derr.msg);
    }
    if (!rc) {
        double s = (double)(lh_mono_us() - t0) / 1e6;
        *result = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "dataset", dataset, "compacted", 1, "version",
                            (json_int_t)committed->version, "rows", (json_int_t)rows, "bytes", (json_int_t)bytes,
                            "files_before", (json_int_t)n_files, "deltas_merged", (json_int_t)n_deltas, "elapsed_ms",
                            s * 1000.0, "rows_per_s", s > 0 ? (double)rows / s : 0.0);
        lh_info("tables: compacted %s into v%" PRId64 " (%" PRId64 " rows, %zu files, %zu deltas merged)", dataset,
                committed->version, rows, n_files, n_deltas);
        lh_dataset_unref(committed);
    }
    lh_dataset_unref(cur);
    lh_buf_free(&key);
    lh_buf_free(&path);
    lh_buf_free(&sql);
    return rc;
}

int lh_tables_compact(lh_tables *t, const char *dataset, const lh_tables_actor *who, json_t **result, lh_err *err)
{
    *result = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    if ((rc = tab_claim(t, dataset, err))) return rc;
    rc = tab_compact_claimed(t, dataset, who, result, err);
    tab_release(t, dataset);
    return rc;
}

/* ---- vacuum ---- */

#define ORPHAN_MIN_AGE_US (3600LL * 1000000LL)

typedef struct vac_ctx {
    lh_objstore *store;
    json_t      *refs;      /* key -> superseded_at_us (0 = in the current version) */
    int64_t      cutoff_us; /* delete what stopped being used before this */
    int64_t      now_us;
    json_t      *deleted;
    int64_t      bytes, kept;
    lh_err      *err;
} vac_ctx;

static int vac_page(void *ctx, const lh_list *l)
{
    vac_ctx *v = ctx;
    for (size_t i = 0; i < l->n_objects; i++) {
        const char *k = l->objects[i].key;
        json_t *ref = json_object_get(v->refs, k);
        int64_t since = ref ? json_integer_value(ref) : l->objects[i].info.mtime_us;
        /* an object no version names may be a write about to commit: give
         * it an hour whatever the retention */
        int64_t cutoff = ref ? v->cutoff_us : (v->cutoff_us < v->now_us - ORPHAN_MIN_AGE_US ? v->cutoff_us
                                                                                           : v->now_us - ORPHAN_MIN_AGE_US);
        if ((ref && since == 0) || since >= cutoff) { v->kept++; continue; }
        lh_err e;
        if (lh_objstore_delete(v->store, k, &e)) {
            lh_warn("vacuum: could not delete %s: %s", k, e.msg);
            v->kept++;
            continue;
        }
        json_array_append_new(v->deleted, json_string(k));
        v->bytes += (int64_t)l->objects[i].info.size;
    }
    return 0;
}

/* Walking the versions oldest first, each manifest read once: the files
 * of version i are superseded when version i+1 was committed, so they are
 * recorded as each next version arrives; a file listed again later gets
 * the later time. */
typedef struct vac_walk {
    const lh_dataset *cur;
    json_t           *refs;
    json_t           *pending;   /* keys of the previous version, waiting for the next one's time */
    int64_t           pending_version;
    const char       *dataset;
    lh_err           *err;
} vac_walk;

static void vac_settle(vac_walk *w, int64_t superseded_at)
{
    size_t i;
    json_t *k;
    json_array_foreach(w->pending, i, k)
        json_object_set_new(w->refs, json_string_value(k),
                            json_integer(w->pending_version == w->cur->version ? 0 : superseded_at));
    json_array_clear(w->pending);
}

static int vac_version(void *ctx, int64_t version, const lh_dataset *ds, const lh_err *load_err)
{
    vac_walk *w = ctx;
    if (!ds) {
        /* an unreadable manifest: its files cannot be judged; keep everything */
        *w->err = *load_err;
        lh_err_prefix(w->err, "vacuum of %s stopped, version %" PRId64 " is unreadable", w->dataset, version);
        return LH_EIO;
    }
    vac_settle(w, json_integer_value(json_object_get(ds->manifest, "committed_at_us")));
    for (size_t f = 0; f < lh_dataset_n_files(ds); f++)
        json_array_append_new(w->pending, json_string(lh_dataset_file_key(ds, f)));
    w->pending_version = version;
    return 0;
}

int lh_tables_vacuum(lh_tables *t, const char *dataset, int64_t retention_hours, json_t **result, lh_err *err)
{
    *result = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    if (retention_hours < 0) retention_hours = t->retention_hours;
    lh_dataset *cur = lh_catalog_get(t->cat, dataset, err);
    if (!cur) return LH_ENOTFOUND;
    if ((rc = tab_claim(t, dataset, err))) { lh_dataset_unref(cur); return rc; }
    json_t *refs = json_object();
    vac_walk walk = {.cur = cur, .refs = refs, .pending = json_array(), .dataset = dataset, .err = err};
    rc = lh_catalog_each_version(t->cat, dataset, vac_version, &walk, err);
    /* the newest version's files are in use (normally it is the current one) */
    walk.pending_version = cur->version;
    if (!rc) vac_settle(&walk, 0);
    json_decref(walk.pending);
    /* the current version's files are never candidates, whatever the order */
    for (size_t f = 0; !rc && f < lh_dataset_n_files(cur); f++)
        json_object_set_new(refs, lh_dataset_file_key(cur, f), json_integer(0));
    int64_t now = lh_now_us();
    vac_ctx v = {.refs = refs, .deleted = json_array(), .err = err, .now_us = now,
                 .cutoff_us = now - retention_hours * 3600LL * 1000000LL};
    if (!rc) {
        v.store = lh_registry_bucket(lh_catalog_registry(t->cat), lh_dataset_bucket(cur), err);
        if (!v.store) rc = LH_ENOTFOUND;
    }
    if (!rc) {
        lh_buf prefix = LH_BUF_INIT;
        lh_buf_printf(&prefix, "%s%s/", LH_DATASETS_PREFIX, dataset);
        lh_list_opts o = {.prefix = prefix.data};
        rc = lh_objstore_list_each(v.store, &o, vac_page, &v, err);
        lh_buf_free(&prefix);
    }
    tab_release(t, dataset);
    lh_dataset_unref(cur);
    json_decref(refs);
    if (rc) { json_decref(v.deleted); return rc; }
    *result = json_pack("{s:s,s:o,s:I,s:I,s:I,s:I}", "dataset", dataset, "deleted", v.deleted, "deleted_count",
                        (json_int_t)json_array_size(v.deleted), "bytes_freed", (json_int_t)v.bytes, "kept",
                        (json_int_t)v.kept, "retention_hours", (json_int_t)retention_hours);
    return 0;
}

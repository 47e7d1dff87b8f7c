/* catalog/maintenance.c — history, orphans, resync, file locations.
 *
 * These walk the bucket rather than the in-memory index: history and
 * orphans are questions about what is stored, and resync exists precisely
 * because a manifest can disagree with the files it names (the seed's
 * "manifest repair": rebuild row counts and columns from Parquet footers).
 */
#include "catalog/catalog_impl.h"
#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int lh_catalog_load_version(lh_catalog *cat, const char *name, int64_t version, lh_dataset **out, lh_err *err)
{
    *out = NULL;
    int rc = lh_dataset_name_validate(name, err);
    if (rc) return rc;
    lh_buf key = LH_BUF_INIT;
    cat_manifest_key(&key, name, version);
    json_t *m;
    rc = version > 0 ? cat_manifest_read(cat, key.data, &m, err) : LH_ENOTFOUND;
    lh_buf_free(&key);
    if (rc == LH_ENOTFOUND)
        return lh_err_set(err, LH_ENOTFOUND, "version_not_found", "dataset \"%s\" has no version %" PRId64, name,
                          version);
    if (rc) return rc;
    *out = cat_dataset_new(m);
    return 0;
}

int lh_catalog_each_version(lh_catalog *cat, const char *name, lh_catalog_version_fn fn, void *ctx, lh_err *err)
{
    int rc = lh_dataset_name_validate(name, err);
    if (rc) return rc;
    int64_t *v;
    size_t n;
    if ((rc = cat_manifest_versions(cat, name, &v, &n, err))) return rc;
    if (n == 0) {
        free(v);
        return lh_err_set(err, LH_ENOTFOUND, "dataset_not_found", "no dataset named \"%s\"", name);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        lh_dataset *ds = NULL;
        lh_err le;
        int lrc = lh_catalog_load_version(cat, name, v[i], &ds, &le);
        rc = fn(ctx, v[i], lrc ? NULL : ds, lrc ? &le : NULL);
        lh_dataset_unref(ds);
    }
    free(v);
    return rc;
}

static int version_entry(void *ctx, int64_t version, const lh_dataset *ds, const lh_err *load_err)
{
    json_t *arr = ctx;
    if (!ds) {
        json_array_append_new(arr, json_pack("{s:I,s:s}", "version", (json_int_t)version, "error", load_err->msg));
        return 0;
    }
    json_t *m = ds->manifest;
    json_array_append_new(arr, json_pack("{s:I,s:O,s:I,s:I,s:b,s:O?}", "version", (json_int_t)ds->version,
                                         "committed_at", json_object_get(m, "committed_at"),
                                         "row_count", (json_int_t)lh_dataset_row_count(ds),
                                         "files", (json_int_t)lh_dataset_n_files(ds), "deleted", ds->deleted,
                                         "change", json_object_get(m, "change")));
    return 0;
}

int lh_catalog_versions(lh_catalog *cat, const char *name, json_t **out, lh_err *err)
{
    *out = NULL;
    json_t *arr = json_array();
    int rc = lh_catalog_each_version(cat, name, version_entry, arr, err);
    if (rc) { json_decref(arr); return rc; }
    *out = arr;
    return 0;
}

/* ---- orphans ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

static void strset_add(strset *s, const char *x)
{
    if (s->n == s->cap) s->v = lh_xrealloc(s->v, (s->cap = s->cap ? s->cap * 2 : 64) * sizeof *s->v);
    s->v[s->n++] = lh_xstrdup(x);
}

static void strset_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

typedef struct refs_ctx {
    lh_catalog *cat;
    strset     *out;
    lh_err     *err;
} refs_ctx;

/* One page of _catalog/ prefixes: collect the files of every version. */
static int refs_page(void *ctx, const lh_list *l)
{
    refs_ctx *rc_ = ctx;
    for (size_t i = 0; i < l->n_prefixes; i++) {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(l->prefixes[i]) - strlen(LH_CATALOG_PREFIX) - 1),
                 l->prefixes[i] + strlen(LH_CATALOG_PREFIX));
        int64_t *v;
        size_t n;
        int rc = cat_manifest_versions(rc_->cat, name, &v, &n, rc_->err);
        if (rc) return rc;
        for (size_t k = 0; k < n; k++) {
            lh_dataset *ds;
            lh_err e;
            if (lh_catalog_load_version(rc_->cat, name, v[k], &ds, &e)) continue;
            for (size_t f = 0; f < lh_dataset_n_files(ds); f++) strset_add(rc_->out, lh_dataset_file_key(ds, f));
            lh_dataset_unref(ds);
        }
        free(v);
    }
    return 0;
}

/* Every data key named by any version of any dataset (tombstones included). */
static int referenced_keys(lh_catalog *cat, strset *out, lh_err *err)
{
    lh_list_opts o = {.prefix = LH_CATALOG_PREFIX, .delimiter = "/"};
    refs_ctx ctx = {cat, out, err};
    int rc = lh_objstore_list_each(lh_registry_primary(cat->reg), &o, refs_page, &ctx, err);
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return rc;
}

typedef struct orphans_ctx {
    strset  *refs;
    json_t  *arr;
    uint64_t bytes;
} orphans_ctx;

static int orphans_page(void *ctx, const lh_list *l)
{
    orphans_ctx *oc = ctx;
    for (size_t i = 0; i < l->n_objects; i++) {
        const char *k = l->objects[i].key;
        if (oc->refs->n && bsearch(&k, oc->refs->v, oc->refs->n, sizeof *oc->refs->v, cmp_str)) continue;
        char ts[40];
        lh_time_format_us(l->objects[i].info.mtime_us, ts, sizeof ts);
        json_array_append_new(oc->arr, json_pack("{s:s,s:s,s:I,s:s}", "bucket", "primary", "key", k, "size",
                                                 (json_int_t)l->objects[i].info.size, "last_modified", ts));
        oc->bytes += l->objects[i].info.size;
    }
    return 0;
}

int lh_catalog_orphans(lh_catalog *cat, json_t **out, lh_err *err)
{
    *out = NULL;
    strset refs = {0};
    int rc = referenced_keys(cat, &refs, err);
    if (rc) { strset_free(&refs); return rc; }
    orphans_ctx oc = {&refs, json_array(), 0};
    lh_list_opts o = {.prefix = LH_DATASETS_PREFIX};
    rc = lh_objstore_list_each(lh_registry_primary(cat->reg), &o, orphans_page, &oc, err);
    strset_free(&refs);
    if (rc) { json_decref(oc.arr); return rc; }
    *out = json_pack("{s:o,s:I,s:I}", "orphans", oc.arr, "count", (json_int_t)json_array_size(oc.arr), "bytes",
                     (json_int_t)oc.bytes);
    return 0;
}

/* ---- file locations ---- */

int lh_catalog_file_path(lh_catalog *cat, const lh_dataset *ds, size_t i, lh_buf *out, lh_err *err)
{
    const char *bucket = lh_dataset_bucket(ds);
    const char *key = lh_dataset_file_key(ds, i);
    if (!key) return lh_err_set(err, LH_EINTERNAL, "manifest_corrupt", "dataset %s has no file %zu", ds->name, i);
    pthread_mutex_lock(&cat->roots_mu);
    const char *root = NULL;
    for (size_t k = 0; k < cat->n_roots && !root; k++)
        if (!strcmp(cat->roots[k].bucket, bucket)) root = cat->roots[k].abs_root;
    if (!root) {
        lh_objstore *s = lh_registry_bucket(cat->reg, bucket, err);
        const char *r = s ? lh_objstore_local_root(s) : NULL;
        char abs[PATH_MAX];
        if (!s) { pthread_mutex_unlock(&cat->roots_mu); return LH_ENOTFOUND; }
        if (!r) {
            /* S3 and other remote buckets: a copy in the read cache */
            pthread_mutex_unlock(&cat->roots_mu);
            return lh_registry_local_path(cat->reg, bucket, key, out, err);
        }
        if (!realpath(r, abs)) {
            pthread_mutex_unlock(&cat->roots_mu);
            return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable", "bucket \"%s\" root %s: %s", bucket, r,
                              strerror(errno));
        }
        cat->roots = lh_xrealloc(cat->roots, (cat->n_roots + 1) * sizeof *cat->roots);
        cat->roots[cat->n_roots].bucket = lh_xstrdup(bucket);
        cat->roots[cat->n_roots].abs_root = lh_xstrdup(abs);
        root = cat->roots[cat->n_roots++].abs_root;
    }
    lh_buf_printf(out, "%s/%s", root, key);
    pthread_mutex_unlock(&cat->roots_mu);
    return 0;
}

/* ---- resync ---- */

static json_t *columns_json(const lh_column *cols, size_t n, json_t *old_cols)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *c = NULL;
        size_t k;
        json_t *oc;
        json_array_foreach(old_cols, k, oc)
            if (!strcmp(json_string_value(json_object_get(oc, "name")) ?: "", cols[i].name)) c = json_deep_copy(oc);
        if (!c) c = json_pack("{s:s,s:s,s:n}", "name", cols[i].name, "sensitivity", "none", "pii_kind");
        json_object_set_new(c, "name", json_string(cols[i].name));
        json_object_set_new(c, "type", json_string(cols[i].type));
        json_array_append_new(arr, c);
    }
    return arr;
}

int lh_catalog_resync(lh_catalog *cat, const char *name, const char *actor, json_t **report, lh_err *err)
{
    *report = NULL;
    lh_dataset *ds = lh_catalog_get(cat, name, err);
    if (!ds) return LH_ENOTFOUND;
    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(cat->engine, &c, err);
    json_t *m = json_deep_copy(ds->manifest);
    json_t *files = json_object_get(m, "files");
    int64_t total = 0;
    lh_parquet_info first = {0};
    int have_first = 0, changed = 0;
    for (size_t i = 0; !rc && i < lh_dataset_n_files(ds); i++) {
        lh_buf path = LH_BUF_INIT;
        lh_parquet_info pi;
        rc = lh_catalog_file_path(cat, ds, i, &path, err);
        if (!rc) rc = lh_parquet_footer(c, path.data, &pi, err);
        lh_buf_free(&path);
        if (rc) break;
        json_t *f = json_array_get(files, i);
        if (json_integer_value(json_object_get(f, "rows")) != pi.rows || !json_is_integer(json_object_get(f, "rows"))) {
            changed = 1;
            json_object_set_new(f, "rows", json_integer(pi.rows));
        }
        total += pi.rows;
        if (!have_first && !lh_dataset_file_is_delta(ds, i)) { first = pi; have_first = 1; }
        else lh_parquet_info_free(&pi);
    }
    if (!rc && lh_dataset_n_deltas(ds)) {
        /* merge-on-read: the row count is the merged view's */
        lh_buf sql = LH_BUF_INIT, out = LH_BUF_INIT;
        lh_buf_puts(&sql, "SELECT count(*) FROM (");
        rc = lh_catalog_dataset_sql(cat, ds, &sql, err);
        lh_buf_puts(&sql, ")");
        if (!rc) rc = lh_engine_query_text(c, sql.data, &out, err);
        if (!rc) total = strtoll(out.data, NULL, 10);
        json_object_set_new(m, "row_count", json_integer(total));
        lh_buf_free(&sql);
        lh_buf_free(&out);
    }
    lh_engine_conn_free(c);
    if (rc) {
        if (have_first) lh_parquet_info_free(&first);
        json_decref(m);
        lh_dataset_unref(ds);
        return rc;
    }
    json_t *old_cols = json_object_get(m, "columns");
    json_t *new_cols = have_first ? columns_json(first.cols, first.n_cols, old_cols) : json_incref(old_cols ?: json_array());
    if (have_first) lh_parquet_info_free(&first);
    /* compare names and types only */
    size_t n_old = json_array_size(old_cols), n_new = json_array_size(new_cols);
    if (n_old != n_new) changed = 1;
    for (size_t i = 0; !changed && i < n_new; i++) {
        json_t *a = json_array_get(old_cols, i), *b = json_array_get(new_cols, i);
        if (!json_equal(json_object_get(a, "name"), json_object_get(b, "name")) ||
            !json_equal(json_object_get(a, "type"), json_object_get(b, "type")))
            changed = 1;
    }
    if (lh_dataset_row_count(ds) != total || !json_is_integer(json_object_get(m, "row_count"))) changed = 1;
    json_t *before = json_pack("{s:O?,s:I}", "row_count", json_object_get(ds->manifest, "row_count"),
                               "columns", (json_int_t)n_old);
    json_t *after = json_pack("{s:I,s:I}", "row_count", (json_int_t)total, "columns", (json_int_t)n_new);
    json_t *rep = json_pack("{s:s,s:b,s:O,s:O}", "dataset", name, "changed", changed, "before", before, "after", after);
    if (!changed) {
        json_object_set_new(rep, "version", json_integer(ds->version));
        json_decref(new_cols);
        json_decref(m);
        json_decref(before);
        json_decref(after);
        lh_dataset_unref(ds);
        *report = rep;
        return 0;
    }
    json_object_set_new(m, "columns", new_cols);
    json_object_set_new(m, "change", json_pack("{s:s,s:s,s:o,s:o}", "kind", "resync", "actor", actor ? actor : "system",
                                               "before", before, "after", after));
    lh_dataset *committed;
    rc = lh_catalog_commit(cat, name, ds->version, m, &committed, err);
    lh_dataset_unref(ds);
    if (rc) { json_decref(rep); return rc; }
    json_object_set_new(rep, "version", json_integer(committed->version));
    lh_dataset_unref(committed);
    *report = rep;
    return 0;
}

/* ---- time travel ---- */

/* Versions are committed in order, so committed_at grows with the version
 * number: a binary search reads O(log n) manifests. */
int lh_catalog_version_at(lh_catalog *cat, const char *name, int64_t at_us, lh_dataset **out, lh_err *err)
{
    *out = NULL;
    int rc = lh_dataset_name_validate(name, err);
    if (rc) return rc;
    int64_t *v;
    size_t n;
    if ((rc = cat_manifest_versions(cat, name, &v, &n, err))) return rc;
    size_t lo = 0, hi = n;  /* first index whose commit is after at_us */
    lh_dataset *best = NULL;
    while (lo < hi && !rc) {
        size_t mid = lo + (hi - lo) / 2;
        lh_dataset *ds;
        rc = lh_catalog_load_version(cat, name, v[mid], &ds, err);
        if (rc) break;
        if (json_integer_value(json_object_get(ds->manifest, "committed_at_us")) <= at_us) {
            lh_dataset_unref(best);
            best = ds;
            lo = mid + 1;
        } else {
            lh_dataset_unref(ds);
            hi = mid;
        }
    }
    free(v);
    if (rc) { lh_dataset_unref(best); return rc; }
    if (!best || best->deleted) {
        char ts[40];
        lh_time_format_us(at_us, ts, sizeof ts);
        lh_dataset_unref(best);
        return lh_err_set(err, LH_ENOTFOUND, "version_not_found", "dataset \"%s\" did not exist at %s", name, ts);
    }
    *out = best;
    return 0;
}

/* catalog/catalog.c — the in-memory index and the commit (see catalog.h).
 *
 * The index maps each dataset name to its newest snapshot under a
 * read-write lock; lookups copy a reference out and release the lock at
 * once. Commits are serialised by a mutex held across the conditional
 * create of the manifest, so within one process the version check is
 * exact, and across processes the create-only put decides.
 */
#include "catalog/catalog_impl.h"
#include "core/clock.h"
#include "core/log.h"

#include <assert.h>
#include <stdio.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- index ---- */

static cat_entry *find_locked(lh_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_entries; i++)
        if (!strcmp(cat->entries[i].name, name)) return &cat->entries[i];
    return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const cat_entry *)a)->name, ((const cat_entry *)b)->name);
}

/* Install ds as the newest version of its dataset (takes the reference). */
static void install(lh_catalog *cat, lh_dataset *ds)
{
    pthread_rwlock_wrlock(&cat->lock);
    cat_entry *e = find_locked(cat, ds->name);
    if (e) {
        lh_dataset *old = e->ds;
        e->ds = ds;
        pthread_rwlock_unlock(&cat->lock);
        lh_dataset_unref(old);
        return;
    }
    cat->entries = lh_xrealloc(cat->entries, (cat->n_entries + 1) * sizeof *cat->entries);
    cat->entries[cat->n_entries].name = lh_xstrdup(ds->name);
    cat->entries[cat->n_entries].ds = ds;
    cat->n_entries++;
    qsort(cat->entries, cat->n_entries, sizeof *cat->entries, entry_cmp);
    pthread_rwlock_unlock(&cat->lock);
}

lh_dataset *lh_catalog_get_any(lh_catalog *cat, const char *name)
{
    pthread_rwlock_rdlock(&cat->lock);
    cat_entry *e = find_locked(cat, name);
    lh_dataset *ds = e ? lh_dataset_ref(e->ds) : NULL;
    pthread_rwlock_unlock(&cat->lock);
    return ds;
}

lh_dataset *lh_catalog_get(lh_catalog *cat, const char *name, lh_err *err)
{
    lh_dataset *ds = lh_catalog_get_any(cat, name);
    if (ds && !ds->deleted) return ds;
    lh_dataset_unref(ds);
    lh_err_set(err, LH_ENOTFOUND, "dataset_not_found", "no dataset named \"%.100s\" (GET /catalog/datasets lists them)",
               name);
    return NULL;
}

size_t lh_catalog_list(lh_catalog *cat, lh_dataset ***out)
{
    pthread_rwlock_rdlock(&cat->lock);
    *out = lh_xcalloc(cat->n_entries ? cat->n_entries : 1, sizeof **out);
    size_t n = 0;
    for (size_t i = 0; i < cat->n_entries; i++)
        if (!cat->entries[i].ds->deleted) (*out)[n++] = lh_dataset_ref(cat->entries[i].ds);
    pthread_rwlock_unlock(&cat->lock);
    return n;
}

void lh_catalog_listen(lh_catalog *cat, lh_catalog_listener fn, void *ctx)
{
    assert(cat->n_listeners < (int)(sizeof cat->listeners / sizeof cat->listeners[0]));
    cat->listeners[cat->n_listeners].fn = fn;
    cat->listeners[cat->n_listeners].ctx = ctx;
    cat->n_listeners++;
}

lh_registry *lh_catalog_registry(lh_catalog *cat) { return cat->reg; }
lh_engine   *lh_catalog_engine(lh_catalog *cat) { return cat->engine; }
const char  *lh_catalog_scratch_dir(lh_catalog *cat) { return cat->scratch; }

/* ---- open ---- */

/* Load the newest readable version of dataset `name`. */
static void load_dataset(lh_catalog *cat, const char *name)
{
    int64_t *versions;
    size_t n;
    lh_err e;
    if (cat_manifest_versions(cat, name, &versions, &n, &e)) {
        lh_warn("catalog: cannot list versions of %s: %s", name, e.msg);
        return;
    }
    for (size_t i = n; i-- > 0;) {
        lh_buf key = LH_BUF_INIT;
        cat_manifest_key(&key, name, versions[i]);
        json_t *m;
        int rc = cat_manifest_read(cat, key.data, &m, &e);
        if (rc == 0 && strcmp(json_string_value(json_object_get(m, "name")), name) == 0 &&
            json_integer_value(json_object_get(m, "version")) == versions[i]) {
            install(cat, cat_dataset_new(m));
            if (i + 1 < n) lh_warn("catalog: %s: newest manifest unreadable, serving version %" PRId64, name, versions[i]);
            lh_buf_free(&key);
            break;
        }
        if (rc == 0) json_decref(m);
        lh_warn("catalog: skipping manifest %s: %s", key.data, rc ? e.msg : "name or version does not match its key");
        lh_buf_free(&key);
    }
    free(versions);
}

/* One page of _catalog/ prefixes: load each dataset. */
static int load_page(void *ctx, const lh_list *l)
{
    lh_catalog *cat = ctx;
    for (size_t i = 0; i < l->n_prefixes; i++) {
        char *name = lh_xstrdup(l->prefixes[i] + strlen(LH_CATALOG_PREFIX));
        name[strlen(name) - 1] = '\0';  /* trailing '/' */
        if (lh_dataset_name_validate(name, NULL) == 0) load_dataset(cat, name);
        else lh_warn("catalog: ignoring %s: not a dataset name", l->prefixes[i]);
        free(name);
    }
    return 0;
}

/* Append `lines` as one unit and flush: one batch object. *n = events. */
static int journal_lines(lh_catalog *cat, const lh_buf *lines, size_t *n, lh_err *err)
{
    int rc = lh_append_log_append_lines(cat->journal, lines->data, lines->len, LH_APPEND_ENCODED, n, err);
    return rc ? rc : lh_append_log_flush(cat->journal, err);
}

/* ev as one journal line. */
static void event_line(lh_buf *lines, const json_t *ev)
{
    char *line = json_dumps(ev, JSON_COMPACT);
    if (!line) return;
    lh_buf_puts(lines, line);
    lh_buf_putc(lines, '\n');
    free(line);
}

/* Append events (an array of JSON objects, borrowed) as one batch. */
static int journal_write(lh_catalog *cat, json_t *events, lh_err *err)
{
    size_t i;
    json_t *ev;
    lh_buf lines = LH_BUF_INIT;
    json_array_foreach(events, i, ev) event_line(&lines, ev);
    int rc = journal_lines(cat, &lines, NULL, err);
    lh_buf_free(&lines);
    return rc;
}

/* A journal with no batch yet gets a first event, so the journal always
 * has an object to read (the lakehouse_journal view reads a glob, which
 * DuckDB refuses when nothing matches). */
static int journal_start(lh_catalog *cat, lh_err *err)
{
    lh_list_opts o = {.prefix = LH_JOURNAL_PREFIX, .max_keys = 1};
    lh_list l;
    int rc = lh_objstore_list(lh_registry_primary(cat->reg), &o, &l, err);
    if (rc) return rc;
    size_t n = l.n_objects;
    lh_list_free(&l);
    if (n) return 0;
    char ts[40];
    int64_t now = lh_now_us();
    lh_time_format_us(now, ts, sizeof ts);
    json_t *ev = json_pack("{s:s,s:I,s:s,s:s,s:s}", "ts", ts, "ts_us", (json_int_t)now, "type", "journal_started",
                           "actor", "system", "source", "catalog");
    json_t *arr = json_array();
    json_array_append_new(arr, ev);
    rc = journal_write(cat, arr, err);
    json_decref(arr);
    return rc;
}

lh_append_log *lh_catalog_journal(lh_catalog *cat) { return cat->journal; }

uint64_t lh_catalog_manifest_reads(lh_catalog *cat) { return atomic_load(&cat->manifest_reads); }

int lh_catalog_open(const lh_catalog_opts *opts, lh_catalog **out, lh_err *err)
{
    *out = NULL;
    if (mkdir(opts->scratch_dir, 0700) != 0 && errno != EEXIST)
        return lh_err_set(err, LH_EIO, "scratch_dir", "cannot create scratch directory %s: %s", opts->scratch_dir,
                          strerror(errno));
    lh_catalog *cat = lh_xcalloc(1, sizeof *cat);
    cat->reg = opts->reg;
    cat->engine = opts->engine;
    cat->scratch = lh_xstrdup(opts->scratch_dir);
    pthread_rwlock_init(&cat->lock, NULL);
    pthread_mutex_init(&cat->commit_mu, NULL);
    pthread_mutex_init(&cat->roots_mu, NULL);

    /* The journal is flushed explicitly after every commit and every batch
     * of mutation events, so one write operation is one batch object. */
    lh_append_log_opts jo = {.flush_events = 100000, .ring_size = 1000, .max_buffered = 1000000};
    int rc = lh_append_log_new(lh_registry_primary(cat->reg), LH_JOURNAL_PREFIX, &jo, &cat->journal, err);
    if (rc) { lh_catalog_free(cat); return rc; }
    rc = journal_start(cat, err);
    if (rc) { lh_catalog_free(cat); return rc; }

    lh_list_opts o = {.prefix = LH_CATALOG_PREFIX, .delimiter = "/"};
    rc = lh_objstore_list_each(lh_registry_primary(cat->reg), &o, load_page, cat, err);
    if (rc) { lh_catalog_free(cat); return rc; }
    size_t live = 0;
    for (size_t i = 0; i < cat->n_entries; i++) live += !cat->entries[i].ds->deleted;
    lh_info("catalog: %zu dataset(s) loaded", live);
    *out = cat;
    return 0;
}

void lh_catalog_free(lh_catalog *cat)
{
    if (!cat) return;
    if (cat->journal) lh_append_log_free(cat->journal);
    for (size_t i = 0; i < cat->n_entries; i++) {
        free(cat->entries[i].name);
        lh_dataset_unref(cat->entries[i].ds);
    }
    free(cat->entries);
    for (size_t i = 0; i < cat->n_roots; i++) { free(cat->roots[i].bucket); free(cat->roots[i].abs_root); }
    free(cat->roots);
    pthread_rwlock_destroy(&cat->lock);
    pthread_mutex_destroy(&cat->commit_mu);
    pthread_mutex_destroy(&cat->roots_mu);
    free(cat->scratch);
    free(cat);
}

/* ---- commit ---- */

/* Every commit is a dataset-level event (ADR-012). An ingest is recorded
 * as an insert of its row count (ingest does not journal row by row); a
 * delete of the dataset as a delete. The field-level events of upserts and
 * deletes come from tables/ through j->fn and share the commit event's
 * batch, after it. */
static void journal_commit(lh_catalog *cat, const lh_dataset *ds, lh_commit_journal *j)
{
    char ts[40];
    int64_t now = lh_now_us();
    lh_time_format_us(now, ts, sizeof ts);
    json_t *change = json_object_get(ds->manifest, "change");
    const char *kind = json_string_value(json_object_get(change, "kind"));
    const char *op = ds->deleted ? "delete" : kind && !strcmp(kind, "ingest") ? "insert" : NULL;
    json_t *nv = op && !strcmp(op, "insert")
                     ? json_pack("{s:O?,s:O?}", "rows", json_object_get(change, "rows"), "mode",
                                 json_object_get(change, "mode"))
                     : NULL;
    json_t *ev = json_pack("{s:s,s:I,s:s,s:s?,s:s,s:I,s:I,s:O?,s:O?,s:s,s:o?}", "ts", ts, "ts_us", (json_int_t)now,
                           "type", ds->deleted ? "dataset_deleted" : "dataset_committed", "op", op, "dataset",
                           ds->name, "version", (json_int_t)ds->version, "row_count",
                           (json_int_t)lh_dataset_row_count(ds), "change", change, "actor",
                           json_object_get(change, "actor"), "source", kind && !strcmp(kind, "ingest") ? "ingest" : "catalog",
                           "new_value", nv);
    lh_buf lines = LH_BUF_INIT;
    if (ev) event_line(&lines, ev);
    json_decref(ev);
    size_t own = lines.len;
    lh_err e;
    if (j && j->fn && j->fn(j->ctx, ds, &lines, &e)) {
        lh_error("catalog: events of %s v%" PRId64 " not journaled (the commit stands): %s", ds->name, ds->version,
                 e.msg);
        lines.len = own;
        if (lines.data) lines.data[own] = '\0';
    }
    size_t n = 0;
    int rc = lh_append_log_append_lines(cat->journal, lines.data, lines.len, LH_APPEND_ENCODED, &n, &e);
    if (rc == LH_EINVAL && lines.len > own) {
        /* a malformed line from fn: nothing was appended; keep the commit's own event */
        lh_error("catalog: events of %s v%" PRId64 " not journaled (the commit stands): %s", ds->name, ds->version,
                 e.msg);
        lines.len = own;
        lines.data[own] = '\0';
        rc = lh_append_log_append_lines(cat->journal, lines.data, lines.len, LH_APPEND_ENCODED, &n, &e);
    }
    if (!rc) rc = lh_append_log_flush(cat->journal, &e);
    if (rc)
        lh_warn("catalog: journal events of %s v%" PRId64 " not recorded: %s", ds->name, ds->version, e.msg);
    else if (j)
        j->events = n - (own > 0);
    lh_buf_free(&lines);
}

int lh_catalog_commit(lh_catalog *cat, const char *name, int64_t base_version, json_t *m,
                      lh_dataset **out, lh_err *err)
{
    return lh_catalog_commit_journaled(cat, name, base_version, m, NULL, out, err);
}

int lh_catalog_commit_journaled(lh_catalog *cat, const char *name, int64_t base_version, json_t *m,
                                lh_commit_journal *journal, lh_dataset **out, lh_err *err)
{
    if (journal) journal->events = 0;
    if (out) *out = NULL;
    int rc = lh_dataset_name_validate(name, err);
    if (rc) { json_decref(m); return rc; }
    pthread_mutex_lock(&cat->commit_mu);
    lh_dataset *cur = lh_catalog_get_any(cat, name);
    int64_t cur_version = cur ? cur->version : 0;
    if (cur_version != base_version) {
        pthread_mutex_unlock(&cat->commit_mu);
        lh_dataset_unref(cur);
        json_decref(m);
        return lh_err_set(err, LH_ECONFLICT, "concurrent_commit",
                          "dataset \"%s\" changed while this change was prepared (now version %" PRId64
                          ", the change was based on %" PRId64 "); retry it", name, cur_version, base_version);
    }
    int64_t now = lh_now_us();
    char ts[40];
    lh_time_format_us(now, ts, sizeof ts);
    json_object_set_new(m, "format", json_integer(1));
    json_object_set_new(m, "name", json_string(name));
    json_object_set_new(m, "version", json_integer(cur_version + 1));
    json_object_set_new(m, "committed_at", json_string(ts));
    json_object_set_new(m, "committed_at_us", json_integer(now));
    if (!json_object_get(m, "deleted")) json_object_set_new(m, "deleted", json_false());
    if (!json_object_get(m, "bucket")) json_object_set_new(m, "bucket", json_string("primary"));
    json_int_t rows = 0;
    size_t i;
    json_t *f;
    int merged = 0;
    json_array_foreach(json_object_get(m, "files"), i, f) {
        rows += json_integer_value(json_object_get(f, "rows"));
        merged |= cat_file_is_delta(f);
    }
    /* With deltas the file rows overcount (updates, tombstones): the
     * writer computed the merged count and passes it in row_count. */
    if (merged && json_is_integer(json_object_get(m, "row_count")))
        rows = json_integer_value(json_object_get(m, "row_count"));
    json_object_set_new(m, "row_count", json_integer(rows));

    rc = cat_manifest_write(cat, m, err);  /* the commit */
    lh_dataset_unref(cur);
    if (rc) {
        pthread_mutex_unlock(&cat->commit_mu);
        json_decref(m);
        return rc;
    }
    lh_dataset *ds = cat_dataset_new(m);
    install(cat, lh_dataset_ref(ds));
    pthread_mutex_unlock(&cat->commit_mu);
    lh_info("catalog: committed %s v%" PRId64 " (%lld rows, %zu files)%s", name, ds->version, (long long)rows,
            lh_dataset_n_files(ds), ds->deleted ? " [deleted]" : "");
    for (int k = 0; k < cat->n_listeners; k++) cat->listeners[k].fn(cat->listeners[k].ctx, ds);
    journal_commit(cat, ds, journal);
    if (out) *out = ds;
    else lh_dataset_unref(ds);
    return 0;
}

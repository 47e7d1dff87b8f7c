/* tables/tables.c — the tables service: its sandbox engine, the
 * single-writer gate and the small SQL helpers the writes share.
 *
 * The gate is a set of dataset names under a mutex, not a lock per
 * dataset: a second writer is refused at once with a 409 rather than
 * queued, which is what ADR-009's single-writer model promises callers
 * ("say so"), and a refused caller can retry knowing nothing was applied.
 */
#include "tables/tables_impl.h"
#include "core/id.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int lh_tables_open(const lh_tables_opts *opts, lh_tables **out, lh_err *err)
{
    *out = NULL;
    lh_tables *t = lh_xcalloc(1, sizeof *t);
    t->cat = opts->cat;
    t->auto_deltas = opts->auto_compact_deltas;
    t->auto_bytes = opts->auto_compact_bytes;
    t->retention_hours = opts->retention_hours;
    pthread_mutex_init(&t->mu, NULL);
    /* Predicates are user SQL: they run on an engine that can read the
     * datasets' files and nothing else (the same lockdown as /query/sql). */
    lh_engine_opts eo = {.threads = opts->threads};
    int rc = lh_engine_open(&eo, &t->sandbox, err);
    if (!rc) {
        char **dirs = NULL;
        size_t nd = lh_registry_local_dirs(lh_catalog_registry(t->cat), LH_DATASETS_PREFIX, &dirs);
        rc = lh_engine_lockdown(t->sandbox, (const char *const *)dirs, nd, err);
        for (size_t i = 0; i < nd; i++) free(dirs[i]);
        free(dirs);
    }
    if (rc) { lh_tables_free(t); return rc; }
    *out = t;
    return 0;
}

void lh_tables_free(lh_tables *t)
{
    if (!t) return;
    lh_engine_free(t->sandbox);
    for (size_t i = 0; i < t->n_busy; i++) free(t->busy[i]);
    free(t->busy);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

int tab_claim(lh_tables *t, const char *dataset, lh_err *err)
{
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n_busy; i++)
        if (!strcmp(t->busy[i], dataset)) {
            pthread_mutex_unlock(&t->mu);
            return lh_err_set(err, LH_ECONFLICT, "write_in_progress",
                              "dataset \"%s\" is being written by another request (one writer per dataset); "
                              "nothing was applied, retry when it is done", dataset);
        }
    if (t->n_busy == t->cap_busy)
        t->busy = lh_xrealloc(t->busy, (t->cap_busy = t->cap_busy ? t->cap_busy * 2 : 8) * sizeof *t->busy);
    t->busy[t->n_busy++] = lh_xstrdup(dataset);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

void tab_release(lh_tables *t, const char *dataset)
{
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n_busy; i++)
        if (!strcmp(t->busy[i], dataset)) {
            free(t->busy[i]);
            t->busy[i] = t->busy[--t->n_busy];
            break;
        }
    pthread_mutex_unlock(&t->mu);
}

int tab_current(lh_tables *t, const char *dataset, lh_dataset **out, lh_err *err)
{
    *out = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    lh_dataset *ds = lh_catalog_get(t->cat, dataset, err);
    if (!ds) return LH_ENOTFOUND;
    if (!json_array_size(lh_dataset_primary_key(ds))) {
        lh_dataset_unref(ds);
        return lh_err_set(err, LH_EINVAL, "no_primary_key",
                          "dataset \"%s\" has no primary key, so its rows cannot be addressed; declare one with "
                          "PATCH /catalog/datasets/%s {\"primary_key\": [\"id\"]} (or primary_key=id at ingest)",
                          dataset, dataset);
    }
    *out = ds;
    return 0;
}

int tab_is_key(const json_t *pk, const char *name)
{
    size_t i;
    json_t *k;
    json_array_foreach(pk, i, k) if (!strcmp(json_string_value(k), name)) return 1;
    return 0;
}

int tab_query_ints(lh_engine_conn *c, const char *sql, int64_t *out, size_t n, lh_err *err)
{
    lh_buf b = LH_BUF_INIT;
    int rc = lh_engine_query_text(c, sql, &b, err);
    char *p = rc ? NULL : b.data;
    for (size_t i = 0; i < n; i++) out[i] = p ? strtoll(p, &p, 10) : 0;
    lh_buf_free(&b);
    return rc;
}

void tab_work_prefix(char out[48])
{
    char hex[33];
    lh_hex_id(hex, 8);
    snprintf(out, 48, "_lh_w%s", hex);
}

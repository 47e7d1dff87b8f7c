/* Unit tests: catalog/ — the commit protocol, conflicts, reload, repair. */
#include "testing.h"
#include "catalog/catalog.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/lh-test-catalog-XXXXXX";
static lh_config *cfg;
static lh_registry *reg;
static lh_engine *eng;
static int commits_seen;

static lh_catalog *open_catalog(void)
{
    char scratch[600];
    snprintf(scratch, sizeof scratch, "%s/scratch", tmpdir);
    lh_catalog_opts o = {.reg = reg, .engine = eng, .scratch_dir = scratch};
    lh_catalog *cat = NULL;
    lh_err e;
    if (lh_catalog_open(&o, &cat, &e)) fprintf(stderr, "catalog open: %s\n", e.msg);
    return cat;
}

/* A Parquet data object with n rows of (id BIGINT, name VARCHAR). */
static json_t *data_file(const char *key, int n)
{
    lh_engine_conn *c;
    lh_err e;
    char path[700], sql[200];
    snprintf(path, sizeof path, "%s/scratch/f.parquet", tmpdir);
    snprintf(sql, sizeof sql, "SELECT range::BIGINT AS id, 'n' || range AS name FROM range(%d)", n);
    lh_engine_connect(eng, &c, &e);
    int64_t rows = -1;
    CHECK_INT(lh_parquet_write(c, sql, path, &rows, &e), 0);
    CHECK_INT(rows, n);
    lh_engine_conn_free(c);
    CHECK_INT(lh_objstore_put_file(lh_registry_primary(reg), key, path, 0, NULL, &e), 0);
    unlink(path);
    return json_pack("{s:s,s:i,s:i}", "key", key, "rows", n, "bytes", 0);
}

static json_t *manifest(json_t *files /* stolen */)
{
    return json_pack("{s:o,s:[{s:s,s:s},{s:s,s:s}]}", "files", files, "columns", "name", "id", "type", "BIGINT",
                     "name", "name", "type", "VARCHAR");
}

static void listener(void *ctx, lh_dataset *ds)
{
    (void)ctx;
    (void)ds;
    commits_seen++;
}

static void test_commit_and_conflicts(void)
{
    lh_catalog *cat = open_catalog();
    if (!cat) { CHECK(0); return; }
    lh_catalog_listen(cat, listener, NULL);
    lh_err e;
    lh_dataset *ds;
    CHECK_INT(lh_catalog_commit(cat, "people", 0, manifest(json_pack("[o]", data_file("datasets/people/data/1.parquet", 10))), &ds, &e), 0);
    CHECK_INT(ds->version, 1);
    CHECK_INT(lh_dataset_row_count(ds), 10);
    CHECK_INT(commits_seen, 1);
    lh_dataset_unref(ds);

    /* a change based on a stale version */
    CHECK_INT(lh_catalog_commit(cat, "people", 0, manifest(json_array()), NULL, &e), LH_ECONFLICT);
    CHECK_STR(e.code, "concurrent_commit");
    /* another process created version 2 first: the create-only put decides */
    CHECK_INT(lh_objstore_put(lh_registry_primary(reg), "_catalog/people/v000000000002.parquet", "x", 1, 0, NULL, &e), 0);
    CHECK_INT(lh_catalog_commit(cat, "people", 1, manifest(json_array()), NULL, &e), LH_ECONFLICT);
    CHECK(strstr(e.msg, "another writer") != NULL);
    CHECK_INT(lh_objstore_delete(lh_registry_primary(reg), "_catalog/people/v000000000002.parquet", &e), 0);
    ds = lh_catalog_get(cat, "people", &e);
    CHECK_INT(ds->version, 1);  /* nothing half-committed */
    lh_dataset_unref(ds);

    CHECK_INT(lh_catalog_commit(cat, "Bad", 0, manifest(json_array()), NULL, &e), LH_EINVAL);
    CHECK(lh_catalog_get(cat, "nobody", &e) == NULL);
    CHECK_STR(e.code, "dataset_not_found");
    lh_catalog_free(cat);
}

static void test_resync_after_drift(void)
{
    lh_catalog *cat = open_catalog();
    if (!cat) { CHECK(0); return; }
    lh_err e;
    /* a manifest whose counts and columns were lost */
    json_t *f = data_file("datasets/drift/data/1.parquet", 25);
    json_object_set_new(f, "rows", json_integer(0));
    json_t *m = json_pack("{s:[o],s:[]}", "files", f, "columns");
    CHECK_INT(lh_catalog_commit(cat, "drift", 0, m, NULL, &e), 0);
    lh_dataset *ds = lh_catalog_get(cat, "drift", &e);
    CHECK_INT(lh_dataset_row_count(ds), 0);
    lh_dataset_unref(ds);
    json_t *rep;
    CHECK_INT(lh_catalog_resync(cat, "drift", "test", &rep, &e), 0);
    CHECK(json_is_true(json_object_get(rep, "changed")));
    json_decref(rep);
    ds = lh_catalog_get(cat, "drift", &e);
    CHECK_INT(lh_dataset_row_count(ds), 25);
    lh_column *cols;
    size_t n = lh_dataset_columns(ds, &cols);
    CHECK_INT(n, 2);
    if (n == 2) { CHECK_STR(cols[0].name, "id"); CHECK_STR(cols[0].type, "BIGINT"); }
    lh_columns_free(cols, n);
    CHECK_INT(ds->version, 2);
    lh_dataset_unref(ds);
    CHECK_INT(lh_catalog_resync(cat, "drift", "test", &rep, &e), 0);
    CHECK(json_is_false(json_object_get(rep, "changed")));
    json_decref(rep);
    lh_catalog_free(cat);
}

static void test_reload_corrupt_tombstone_orphans(void)
{
    lh_catalog *cat = open_catalog();
    if (!cat) { CHECK(0); return; }
    lh_err e;
    /* reload sees what was committed */
    lh_dataset *ds = lh_catalog_get(cat, "drift", &e);
    CHECK(ds != NULL);
    if (ds) CHECK_INT(lh_dataset_row_count(ds), 25);
    lh_dataset_unref(ds);
    lh_catalog_free(cat);

    /* a corrupt newest manifest: the previous version is served */
    CHECK_INT(lh_objstore_put(lh_registry_primary(reg), "_catalog/drift/v000000000003.parquet", "garbage", 7, 0, NULL, &e), 0);
    cat = open_catalog();
    ds = lh_catalog_get(cat, "drift", &e);
    CHECK(ds != NULL);
    if (ds) CHECK_INT(ds->version, 2);
    lh_dataset_unref(ds);
    lh_objstore_delete(lh_registry_primary(reg), "_catalog/drift/v000000000003.parquet", &e);

    /* tombstone */
    CHECK_INT(lh_catalog_commit(cat, "drift", 2, json_pack("{s:b,s:[]}", "deleted", 1, "files"), NULL, &e), 0);
    CHECK(lh_catalog_get(cat, "drift", &e) == NULL);
    ds = lh_catalog_get_any(cat, "drift");
    CHECK(ds && ds->deleted && ds->version == 3);
    lh_dataset_unref(ds);
    lh_dataset **all;
    size_t n = lh_catalog_list(cat, &all);
    for (size_t i = 0; i < n; i++) CHECK(strcmp(all[i]->name, "drift") != 0);
    lh_dataset_list_free(all, n);
    json_t *v;
    CHECK_INT(lh_catalog_versions(cat, "drift", &v, &e), 0);
    CHECK_INT(json_array_size(v), 3);
    json_decref(v);

    /* orphans: objects no version names; old versions' files are not orphans */
    CHECK_INT(lh_objstore_put(lh_registry_primary(reg), "datasets/people/data/stray.parquet", "x", 1, 0, NULL, &e), 0);
    json_t *o;
    CHECK_INT(lh_catalog_orphans(cat, &o, &e), 0);
    json_t *arr = json_object_get(o, "orphans");
    CHECK_INT(json_array_size(arr), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(arr, 0), "key")), "datasets/people/data/stray.parquet");
    json_decref(o);
    lh_catalog_free(cat);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    if (chdir(tmpdir)) return 1;
    lh_err e;
    if (lh_config_load(NULL, &cfg, &e)) return 1;
    char root[600];
    snprintf(root, sizeof root, "%s/data", tmpdir);
    lh_config_set(cfg, "buckets.primary.root", root, LH_SRC_FLAG, &e);
    lh_engine_opts eo = {.threads = 2};
    if (lh_registry_open(cfg, &reg, &e) || lh_engine_open(&eo, &eng, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return 1;
    }
    RUN(test_commit_and_conflicts);
    RUN(test_resync_after_drift);
    RUN(test_reload_corrupt_tombstone_orphans);
    lh_engine_free(eng);
    lh_registry_free(reg);
    lh_config_free(cfg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}

/* catalog/manifest_io.c — manifests as Parquet objects in the bucket.
 *
 * A manifest version is a one-row Parquet file (ADR-002) with columns
 * dataset, version, committed_at, row_count and manifest (the JSON
 * document). The scalar columns make the catalog itself queryable with
 * SQL; the JSON column carries everything else without a schema migration
 * every time the document grows a field.
 *
 * Writing goes through a local scratch file (the engine writes Parquet to
 * files) that is then created in the bucket with a create-only put: that
 * put is the commit. Reading uses the object in place when the bucket is
 * on local disk, or a scratch copy otherwise.
 */
#include "catalog/catalog_impl.h"
#include "core/id.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cat_manifest_key(lh_buf *out, const char *name, int64_t version)
{
    lh_buf_printf(out, "%s%s/v%012" PRId64 ".parquet", LH_CATALOG_PREFIX, name, version);
}

void cat_scratch_path(lh_catalog *cat, const char *suffix, lh_buf *out)
{
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf_printf(out, "%s/%s%s", cat->scratch, id, suffix);
}

int cat_manifest_write(lh_catalog *cat, const json_t *m, lh_err *err)
{
    const char *name = json_string_value(json_object_get(m, "name"));
    int64_t version = json_integer_value(json_object_get(m, "version"));
    char *doc = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    lh_buf sql = LH_BUF_INIT, path = LH_BUF_INIT, key = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT ");
    lh_sql_quote_literal(&sql, name);
    lh_buf_printf(&sql, " AS dataset, %" PRId64 "::BIGINT AS version, make_timestamp(%" PRId64 "::BIGINT) AS committed_at, "
                  "%" PRId64 "::BIGINT AS row_count, ", version,
                  (int64_t)json_integer_value(json_object_get(m, "committed_at_us")),
                  (int64_t)json_integer_value(json_object_get(m, "row_count")));
    lh_sql_quote_literal(&sql, doc);
    lh_buf_puts(&sql, "::VARCHAR AS manifest");
    free(doc);
    cat_scratch_path(cat, "-manifest.parquet", &path);
    cat_manifest_key(&key, name, version);

    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(cat->engine, &c, err);
    if (!rc) rc = lh_parquet_write(c, sql.data, path.data, NULL, err);
    lh_engine_conn_free(c);
    if (!rc) {
        rc = lh_objstore_put_file(lh_registry_primary(cat->reg), key.data, path.data, LH_PUT_CREATE_ONLY, NULL, err);
        if (rc == LH_EEXIST)
            rc = lh_err_set(err, LH_ECONFLICT, "concurrent_commit",
                            "another writer committed version %" PRId64 " of dataset \"%s\" first; "
                            "reload the dataset and retry", version, name);
    }
    unlink(path.data);
    lh_buf_free(&sql);
    lh_buf_free(&path);
    lh_buf_free(&key);
    return rc;
}

int cat_manifest_read(lh_catalog *cat, const char *key, json_t **out, lh_err *err)
{
    *out = NULL;
    atomic_fetch_add(&cat->manifest_reads, 1);
    lh_objstore *primary = lh_registry_primary(cat->reg);
    const char *root = lh_objstore_local_root(primary);
    lh_buf path = LH_BUF_INIT, sql = LH_BUF_INIT, text = LH_BUF_INIT;
    int temp = 0, rc = 0;
    if (root) {
        lh_buf_printf(&path, "%s/%s", root, key);
        /* absent is "not found", as the other backends' get says, not a
         * file DuckDB fails to open */
        if (access(path.data, F_OK) != 0 && errno == ENOENT)
            rc = lh_err_set(err, LH_ENOTFOUND, "manifest_not_found", "%s is not in the bucket", key);
    } else {
        cat_scratch_path(cat, "-read.parquet", &path);
        temp = 1;
        rc = lh_objstore_get_file(primary, key, path.data, NULL, err);
    }
    lh_engine_conn *c = NULL;
    if (!rc) rc = lh_engine_connect(cat->engine, &c, err);
    if (!rc) {
        lh_buf_puts(&sql, "SELECT manifest FROM read_parquet(");
        lh_sql_quote_literal(&sql, path.data);
        lh_buf_puts(&sql, ")");
        rc = lh_engine_query_text(c, sql.data, &text, err);
    }
    lh_engine_conn_free(c);
    if (!rc) {
        json_error_t je;
        json_t *m = json_loadb(text.data, text.len, 0, &je);
        if (!m || !json_is_object(m) || !json_is_string(json_object_get(m, "name")) ||
            !json_is_integer(json_object_get(m, "version"))) {
            json_decref(m);
            rc = lh_err_set(err, LH_EIO, "manifest_corrupt", "manifest %s is not a valid manifest document", key);
        } else {
            *out = m;
        }
    } else if (err && rc != LH_ENOTFOUND && rc != LH_EUNAVAIL) {
        lh_err_prefix(err, "reading manifest %s", key);
        snprintf(err->code, sizeof err->code, "manifest_corrupt");
    }
    if (temp) unlink(path.data);
    lh_buf_free(&path);
    lh_buf_free(&sql);
    lh_buf_free(&text);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct versions_ctx {
    size_t   prefix_len;
    int64_t *v;
    size_t   n, cap;
} versions_ctx;

static int versions_page(void *ctx, const lh_list *l)
{
    versions_ctx *vc = ctx;
    for (size_t i = 0; i < l->n_objects; i++) {
        const char *base = l->objects[i].key + vc->prefix_len;
        long long v;
        char tail[16];
        if (sscanf(base, "v%12lld%15s", &v, tail) == 2 && !strcmp(tail, ".parquet") && strlen(base) == 21) {
            if (vc->n == vc->cap) vc->v = lh_xrealloc(vc->v, (vc->cap = vc->cap ? vc->cap * 2 : 16) * sizeof *vc->v);
            vc->v[vc->n++] = v;
        }
    }
    return 0;
}

int cat_manifest_versions(lh_catalog *cat, const char *name, int64_t **out, size_t *n, lh_err *err)
{
    *out = NULL;
    *n = 0;
    lh_buf prefix = LH_BUF_INIT;
    lh_buf_printf(&prefix, "%s%s/", LH_CATALOG_PREFIX, name);
    lh_list_opts o = {.prefix = prefix.data, .delimiter = "/"};
    versions_ctx vc = {.prefix_len = prefix.len};
    int rc = lh_objstore_list_each(lh_registry_primary(cat->reg), &o, versions_page, &vc, err);
    lh_buf_free(&prefix);
    if (rc) { free(vc.v); return rc; }
    if (vc.n > 1) qsort(vc.v, vc.n, sizeof *vc.v, cmp_i64);
    *out = vc.v;
    *n = vc.n;
    return 0;
}

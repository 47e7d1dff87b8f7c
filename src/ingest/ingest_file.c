/* ingest/ingest_file.c — one ingest, from staged file to committed version.
 *
 * Order is the commit protocol's: convert into a scratch Parquet file, put
 * it as the dataset's next data object, read back what we know of it (rows,
 * columns), build the next manifest from the current one, commit. Any
 * failure after the data object was written deletes it again.
 */
#include "ingest/ingest.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lh_ingest_mode_parse(const char *s, lh_ingest_mode *out, lh_err *err)
{
    if (!s || !strcmp(s, "create")) { *out = LH_MODE_CREATE; return 0; }
    if (!strcmp(s, "append")) { *out = LH_MODE_APPEND; return 0; }
    if (!strcmp(s, "replace")) { *out = LH_MODE_REPLACE; return 0; }
    return lh_err_set(err, LH_EINVAL, "invalid_mode", "mode must be create, append or replace, got \"%.40s\"", s);
}

static const char *mode_name(lh_ingest_mode m)
{
    return m == LH_MODE_APPEND ? "append" : m == LH_MODE_REPLACE ? "replace" : "create";
}

/* Column entries for the manifest: keep existing sensitivity decisions for
 * columns we already knew, classify the rest. */
static json_t *manifest_columns(const lh_convert_result *cr, const char **kinds, json_t *old_cols)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cr->n_cols; i++) {
        json_t *old = NULL;
        size_t k;
        json_t *oc;
        json_array_foreach(old_cols, k, oc) {
            const char *n = json_string_value(json_object_get(oc, "name"));
            if (n && !strcmp(n, cr->cols[i].name)) old = oc;
        }
        json_t *c;
        if (old) {
            c = json_deep_copy(old);
        } else {
            c = json_pack("{s:s,s:s?,s:s}", "sensitivity", kinds && kinds[i] ? "pii" : "none", "pii_kind",
                          kinds ? kinds[i] : NULL, "sensitivity_source", "auto");
        }
        json_object_set_new(c, "name", json_string(cr->cols[i].name));
        json_object_set_new(c, "type", json_string(cr->cols[i].type));
        json_array_append_new(arr, c);
    }
    return arr;
}

static const char *dataset_sensitivity(json_t *cols)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
        if (!strcmp(json_string_value(json_object_get(c, "sensitivity")) ?: "", "pii")) return "pii";
    return "internal";
}

int lh_ingest_file(lh_catalog *cat, const lh_ingest_req *req, lh_job *job, json_t **result, lh_err *err)
{
    *result = NULL;
    int64_t t0 = lh_mono_us();
    int rc = lh_dataset_name_validate(req->dataset, err);
    if (rc) return rc;
    const char *bucket = req->bucket ? req->bucket : "primary";
    lh_registry *reg = lh_catalog_registry(cat);
    lh_objstore *store = lh_registry_bucket(reg, bucket, err);
    if (!store) return LH_ENOTFOUND;

    lh_dataset *cur = lh_catalog_get_any(cat, req->dataset);
    int live = cur && !cur->deleted;
    if (req->mode == LH_MODE_CREATE && live) {
        lh_dataset_unref(cur);
        return lh_err_set(err, LH_EEXIST, "dataset_exists",
                          "dataset \"%s\" already exists (version %" PRId64 "); use mode=append to add rows or "
                          "mode=replace to replace them", req->dataset, cur->version);
    }
    if (live && strcmp(lh_dataset_bucket(cur), bucket) && req->bucket) {
        int r2 = lh_err_set(err, LH_EINVAL, "bucket_mismatch", "dataset \"%s\" lives in bucket \"%s\", not \"%s\"",
                            req->dataset, lh_dataset_bucket(cur), bucket);
        lh_dataset_unref(cur);
        return r2;
    }
    int64_t base = cur ? cur->version : 0, version = base + 1;

    lh_column *target = NULL;
    size_t n_target = 0;
    if (live && req->mode == LH_MODE_APPEND) n_target = lh_dataset_columns(cur, &target);

    lh_buf out_path = LH_BUF_INIT, key = LH_BUF_INIT;
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf_printf(&out_path, "%s/convert-%s.parquet", lh_catalog_scratch_dir(cat), id);
    lh_buf_printf(&key, "%s%s/data/%012" PRId64 "-%s.parquet", LH_DATASETS_PREFIX, req->dataset, version, id);

    if (job) lh_job_progress(job, "converting", 0, 0, (int64_t)req->bytes);
    lh_engine_conn *c = NULL;
    lh_convert_result cr = {0};
    const char **kinds = NULL;
    int stored = 0;
    rc = lh_engine_connect(lh_catalog_engine(cat), &c, err);
    if (!rc) rc = lh_ingest_convert(c, req->path, req->format, target, n_target, out_path.data, &cr, err);
    if (!rc && !(live && req->mode == LH_MODE_APPEND)) {
        kinds = lh_xcalloc(cr.n_cols ? cr.n_cols : 1, sizeof *kinds);
        lh_err cerr;
        if (lh_ingest_classify(c, out_path.data, cr.cols, cr.n_cols, kinds, &cerr))
            lh_warn("ingest %s: sensitivity classification skipped: %s", req->dataset, cerr.msg);
    }
    lh_engine_conn_free(c);
    struct stat st;
    uint64_t parquet_bytes = 0;
    if (!rc) {
        if (stat(out_path.data, &st) == 0) parquet_bytes = (uint64_t)st.st_size;
        if (job) lh_job_progress(job, "storing", cr.rows, (int64_t)req->bytes, (int64_t)req->bytes);
        rc = lh_objstore_put_file(store, key.data, out_path.data, LH_PUT_CREATE_ONLY, NULL, err);
        stored = rc == 0;
    }
    unlink(out_path.data);

    json_t *m = NULL;
    if (!rc) {
        m = live ? json_deep_copy(cur->manifest) : json_object();
        json_t *files = (live && req->mode == LH_MODE_APPEND) ? json_incref(json_object_get(m, "files")) : json_array();
        if (!files) files = json_array();
        json_array_append_new(files, json_pack("{s:s,s:I,s:I}", "key", key.data, "rows", (json_int_t)cr.rows, "bytes",
                                               (json_int_t)parquet_bytes));
        json_object_set_new(m, "files", files);
        json_t *cols = manifest_columns(&cr, kinds, live ? json_object_get(cur->manifest, "columns") : NULL);
        json_object_set_new(m, "columns", cols);
        json_object_set_new(m, "sensitivity", json_string(dataset_sensitivity(cols)));
        json_object_set_new(m, "bucket", json_string(bucket));
        json_object_del(m, "deleted");
        if (req->owner) json_object_set_new(m, "owner", json_string(req->owner));
        else if (!json_object_get(m, "owner")) json_object_set_new(m, "owner", json_string(req->actor));
        if (req->description) json_object_set_new(m, "description", json_string(req->description));
        else if (!json_object_get(m, "description")) json_object_set_new(m, "description", json_string(""));
        if (req->tags) json_object_set(m, "tags", req->tags);
        else if (!json_object_get(m, "tags")) json_object_set_new(m, "tags", json_array());
        if (!json_object_get(m, "freshness_sla_hours")) json_object_set_new(m, "freshness_sla_hours", json_null());
        int64_t now = lh_now_us();
        char ts[40];
        lh_time_format_us(now, ts, sizeof ts);
        if (!live) {
            json_object_set_new(m, "created_at", json_string(ts));
            json_object_set_new(m, "lineage", json_array());
        }
        json_object_set_new(m, "data_updated_at", json_string(ts));
        json_object_set_new(m, "data_updated_at_us", json_integer(now));
        json_t *changes = json_array();
        for (size_t i = 0; i < cr.n_changes; i++)
            json_array_append_new(changes, json_pack("{s:s,s:s,s:s}", "original", cr.changes[i].original, "normalized",
                                                     cr.changes[i].normalized, "reason", cr.changes[i].reason));
        json_t *lin = json_pack("{s:s,s:s?,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:o}", "source_system",
                                req->source_system ? req->source_system : "upload", "file_name", req->file_name,
                                "sha256", req->sha256 ? req->sha256 : "", "bytes", (json_int_t)req->bytes, "rows",
                                (json_int_t)cr.rows, "format", lh_format_name(req->format), "mode", mode_name(req->mode),
                                "ingested_at", ts, "actor", req->actor, "version", (json_int_t)version,
                                "header_changes", changes);
        json_t *lineage = json_object_get(m, "lineage");
        if (!json_is_array(lineage)) { lineage = json_array(); json_object_set_new(m, "lineage", lineage); }
        json_array_append_new(lineage, lin);
        json_object_set_new(m, "change", json_pack("{s:s,s:s,s:s,s:I}", "kind", "ingest", "mode", mode_name(req->mode),
                                                   "actor", req->actor, "rows", (json_int_t)cr.rows));
        if (job) lh_job_progress(job, "committing", cr.rows, (int64_t)req->bytes, (int64_t)req->bytes);
        lh_dataset *committed = NULL;
        json_t *columns_out = json_incref(cols);
        rc = lh_catalog_commit(cat, req->dataset, base, m, &committed, err);
        if (!rc) {
            *result = json_pack("{s:s,s:I,s:s,s:b,s:I,s:I,s:o,s:O,s:s,s:f}", "dataset", req->dataset, "version",
                                (json_int_t)committed->version, "mode", mode_name(req->mode), "created", !live,
                                "rows", (json_int_t)cr.rows, "row_count", (json_int_t)lh_dataset_row_count(committed),
                                "columns", columns_out, "header_changes", changes, "sensitivity",
                                json_string_value(json_object_get(committed->manifest, "sensitivity")),
                                "elapsed_ms", (double)(lh_mono_us() - t0) / 1000.0);
            lh_dataset_unref(committed);
        } else {
            json_decref(columns_out);
        }
    }
    if (rc && stored) {
        lh_err derr;
        if (lh_objstore_delete(store, key.data, &derr))
            lh_warn("ingest %s: could not remove uncommitted object %s: %s", req->dataset, key.data, derr.msg);
    }
    free(kinds);
    lh_convert_result_free(&cr);
    lh_columns_free(target, n_target);
    lh_dataset_unref(cur);
    lh_buf_free(&out_path);
    lh_buf_free(&key);
    return rc;
}

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

const char *lh_ingest_mode_name(lh_ingest_mode m)
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

int lh_ingest_prepare(lh_catalog *cat, const char *dataset, const char *bucket, lh_ingest_mode mode,
                      lh_dataset **out, lh_err *err)
{
    *out = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    if (!lh_registry_bucket(lh_catalog_registry(cat), bucket ? bucket : "primary", err)) return LH_ENOTFOUND;
    lh_dataset *cur = lh_catalog_get_any(cat, dataset);
    int live = cur && !cur->deleted;
    if (mode == LH_MODE_CREATE && live) {
        rc = lh_err_set(err, LH_EEXIST, "dataset_exists",
                        "dataset \"%s\" already exists (version %" PRId64 "); use mode=append to add rows or "
                        "mode=replace to replace them", dataset, cur->version);
        lh_dataset_unref(cur);
        return rc;
    }
    if (live && bucket && strcmp(lh_dataset_bucket(cur), bucket)) {
        rc = lh_err_set(err, LH_EINVAL, "bucket_mismatch", "dataset \"%s\" lives in bucket \"%s\", not \"%s\"",
                        dataset, lh_dataset_bucket(cur), bucket);
        lh_dataset_unref(cur);
        return rc;
    }
    *out = cur;
    return 0;
}

/* The primary key the new version will have, checked against its rows.
 * *pk_out gets a new reference (NULL: none). */
/* "n|k1, k2, ..." (up to 10 keys) of the rows of from_sql, as key text. */
static int list_keys(lh_engine_conn *conn, const char *from_sql, const json_t *pk, lh_buf *out, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT count(*)::VARCHAR || '|' || coalesce(string_agg(k, ', ' ORDER BY k) FILTER "
                "(WHERE rn <= 10), '') FROM (SELECT k, row_number() OVER (ORDER BY k) AS rn FROM (SELECT ");
    lh_catalog_key_text(&sql, pk, NULL);
    lh_buf_printf(&sql, " AS k FROM (%s)))", from_sql);
    int rc = lh_engine_query_text(conn, sql.data, out, err);
    lh_buf_free(&sql);
    return rc;
}

/* An append to a keyed dataset adds base rows, so its keys must be new:
 * not among the current (merged) rows, which only the rows of the
 * appended keys are read of (a semi-join, not the whole merge). A key
 * deleted since the last compaction is absent from the current rows but
 * its tombstone (any delta row: the newest one decides a key) would hide
 * an appended base row, so it is refused too, pointing at upsert, which
 * re-creates it. Keys that are neither appended nor current play no part,
 * so an earlier delete-then-upsert of another key cannot block appends. */
static int check_appended_keys(lh_catalog *cat, lh_dataset *cur, const lh_ingest_commit *c, const json_t *pk,
                               lh_err *err)
{
    lh_buf keys = LH_BUF_INIT, sql = LH_BUF_INIT, out = LH_BUF_INIT;
    size_t i;
    json_t *k;
    lh_buf_puts(&keys, "(SELECT ");
    json_array_foreach(pk, i, k) {
        if (i) lh_buf_puts(&keys, ", ");
        lh_sql_quote_ident(&keys, json_string_value(k));
    }
    lh_buf_puts(&keys, " FROM read_parquet(");
    lh_sql_quote_literal(&keys, c->parquet_path);
    lh_buf_puts(&keys, "))");
    lh_engine_conn *conn = NULL;
    int rc = lh_catalog_dataset_sql_keys(cat, cur, keys.data, &sql, err);
    if (!rc) rc = lh_engine_connect(lh_catalog_engine(cat), &conn, err);
    if (!rc) rc = list_keys(conn, sql.data, pk, &out, err);
    if (!rc && strncmp(out.data, "0|", 2)) {
        char *bar = strchr(out.data, '|');
        *bar = '\0';
        rc = lh_err_set(err, LH_EINVAL, "duplicate_key", "%s appended row(s) of dataset \"%s\" have a primary key "
                        "the dataset already holds: %.600s%s; change existing rows with POST /tables/%s/upsert",
                        out.data, c->dataset, bar + 1, strtoll(out.data, NULL, 10) > 10 ? ", ..." : "", c->dataset);
    }
    if (!rc && lh_dataset_n_deltas(cur)) {
        lh_buf_reset(&sql);
        lh_buf_puts(&sql, "SELECT DISTINCT ");
        json_array_foreach(pk, i, k) {
            if (i) lh_buf_puts(&sql, ", ");
            lh_buf_puts(&sql, "_lh_t.");
            lh_sql_quote_ident(&sql, json_string_value(k));
        }
        lh_buf_puts(&sql, " FROM read_parquet([");
        for (size_t f = 0, n = 0; !rc && f < lh_dataset_n_files(cur); f++) {
            if (!lh_dataset_file_is_delta(cur, f)) continue;
            lh_buf path = LH_BUF_INIT;
            rc = lh_catalog_file_path(cat, cur, f, &path, err);
            if (n++) lh_buf_puts(&sql, ", ");
            lh_sql_quote_literal(&sql, path.data ? path.data : "");
            lh_buf_free(&path);
        }
        lh_buf_printf(&sql, "]) AS _lh_t SEMI JOIN %s AS _lh_n ON ", keys.data);
        lh_catalog_key_join(&sql, pk, "_lh_t", "_lh_n");
        lh_buf_reset(&out);
        if (!rc) rc = list_keys(conn, sql.data, pk, &out, err);
        if (!rc && strncmp(out.data, "0|", 2)) {
            char *bar = strchr(out.data, '|');
            *bar = '\0';
            /* the same code as a present key: to the caller both are "this
             * key is taken until compaction", the message tells which */
            rc = lh_err_set(err, LH_EINVAL, "duplicate_key", "%s appended key(s) of dataset \"%s\" were deleted since "
                            "its last compaction: %.600s%s; an append cannot bring them back, POST "
                            "/tables/%s/upsert can (or compact first)", out.data, c->dataset, bar + 1,
                            strtoll(out.data, NULL, 10) > 10 ? ", ..." : "", c->dataset);
        }
    }
    lh_engine_conn_free(conn);
    lh_buf_free(&keys);
    lh_buf_free(&sql);
    lh_buf_free(&out);
    return rc;
}

static int check_primary_key(lh_catalog *cat, lh_dataset *cur, const lh_ingest_commit *c, int live, int appending,
                             json_t **pk_out, lh_err *err)
{
    *pk_out = NULL;
    json_t *old_pk = live ? lh_dataset_primary_key(cur) : NULL;
    json_t *pk = json_array_size(c->primary_key) ? c->primary_key : old_pk;
    if (!json_array_size(pk)) return 0;
    if (appending && json_array_size(old_pk) && !json_equal(pk, old_pk))
        return lh_err_set(err, LH_EINVAL, "primary_key_mismatch", "dataset \"%s\" has a different primary key; an "
                          "append cannot change it (PATCH /catalog/datasets/%s {\"primary_key\": [...]})",
                          c->dataset, c->dataset);
    size_t i;
    json_t *k;
    json_array_foreach(pk, i, k) {
        const char *name = json_string_value(k);
        int found = 0;
        for (size_t j = 0; name && j < c->n_cols && !found; j++) found = !strcmp(c->cols[j].name, name);
        if (!found)
            return lh_err_set(err, LH_EINVAL, "unknown_column", "primary key column \"%s\" is not a column of the "
                              "data for dataset \"%s\"", name ? name : "?", c->dataset);
    }
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT * FROM read_parquet(");
    lh_sql_quote_literal(&sql, c->parquet_path);
    lh_buf_puts(&sql, ")");
    int rc = lh_catalog_check_keys(cat, sql.data, pk, c->dataset, err);
    if (!rc && appending && lh_dataset_n_files(cur)) {
        if (json_array_size(old_pk)) {
            rc = check_appended_keys(cat, cur, c, pk, err);
        } else {
            /* the key is new with this append: no deltas exist (they need
             * a key), so the current rows are the base files, and they are
             * checked with the appended ones as one key-unique set */
            lh_buf keys = LH_BUF_INIT;
            json_array_foreach(pk, i, k) {
                if (i) lh_buf_puts(&keys, ", ");
                lh_sql_quote_ident(&keys, json_string_value(k));
            }
            lh_buf_reset(&sql);
            lh_buf_printf(&sql, "SELECT %s FROM read_parquet(", keys.data);
            lh_sql_quote_literal(&sql, c->parquet_path);
            lh_buf_printf(&sql, ") UNION ALL SELECT %s FROM (", keys.data);
            rc = lh_catalog_dataset_sql(cat, cur, &sql, err);
            lh_buf_puts(&sql, ")");
            if (!rc) rc = lh_catalog_check_keys(cat, sql.data, pk, c->dataset, err);
            lh_buf_free(&keys);
        }
    }
    lh_buf_free(&sql);
    if (!rc) *pk_out = json_incref(pk);
    return rc;
}

int lh_ingest_commit_parquet(lh_catalog *cat, lh_dataset *cur, const lh_ingest_commit *c, lh_job *job,
                             json_t **result, lh_err *err)
{
    *result = NULL;
    int64_t t0 = lh_mono_us();
    const char *bucket = c->bucket ? c->bucket : "primary";
    lh_objstore *store = lh_registry_bucket(lh_catalog_registry(cat), bucket, err);
    if (!store) return LH_ENOTFOUND;
    int live = cur && !cur->deleted;
    int appending = live && c->mode == LH_MODE_APPEND;
    int64_t base = cur ? cur->version : 0, version = base + 1;

    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf key = LH_BUF_INIT;
    lh_buf_printf(&key, "%s%s/data/%012" PRId64 "-%s.parquet", LH_DATASETS_PREFIX, c->dataset, version, id);

    /* the key check first: classification is wasted work on a refusal */
    json_t *pk = NULL;
    int rc = check_primary_key(cat, cur, c, live, appending, &pk, err);
    if (rc) { lh_buf_free(&key); return rc; }
    const char **kinds = NULL;
    if (!appending) {
        kinds = lh_xcalloc(c->n_cols ? c->n_cols : 1, sizeof *kinds);
        lh_engine_conn *conn;
        lh_err cerr;
        if (lh_engine_connect(lh_catalog_engine(cat), &conn, &cerr) ||
            lh_ingest_classify(conn, c->parquet_path, c->cols, c->n_cols, kinds, &cerr))
            lh_warn("ingest %s: sensitivity classification skipped: %s", c->dataset, cerr.msg);
        lh_engine_conn_free(conn);
    }
    struct stat st;
    uint64_t parquet_bytes = stat(c->parquet_path, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (job) lh_job_progress(job, "storing", c->rows, -1, -1);
    lh_obj_info put_info = {0};
    rc = lh_objstore_put_file(store, key.data, c->parquet_path, LH_PUT_CREATE_ONLY, &put_info, err);
    if (!rc) lh_registry_cache_offer(lh_catalog_registry(cat), bucket, key.data, c->parquet_path, put_info.etag);
    int stored = rc == 0;

    if (!rc) {
        lh_convert_result cr = {.rows = c->rows, .cols = (lh_column *)c->cols, .n_cols = c->n_cols};
        json_t *m = live ? json_deep_copy(cur->manifest) : json_object();
        json_t *files = appending ? json_incref(json_object_get(m, "files")) : json_array();
        if (!files) files = json_array();
        json_array_append_new(files, json_pack("{s:s,s:I,s:I}", "key", key.data, "rows", (json_int_t)c->rows, "bytes",
                                               (json_int_t)parquet_bytes));
        json_object_set_new(m, "files", files);
        if (pk) json_object_set(m, "primary_key", pk);
        else json_object_del(m, "primary_key");
        /* with deltas, the merged count is the writer's to give (the
         * appended keys are new, so they add up) */
        if (appending && lh_dataset_n_deltas(cur))
            json_object_set_new(m, "row_count", json_integer(lh_dataset_row_count(cur) + c->rows));
        json_t *cols = manifest_columns(&cr, kinds, live ? json_object_get(cur->manifest, "columns") : NULL);
        json_object_set_new(m, "columns", cols);
        json_object_set_new(m, "sensitivity", json_string(dataset_sensitivity(cols)));
        json_object_set_new(m, "bucket", json_string(bucket));
        json_object_del(m, "deleted");
        if (c->owner) json_object_set_new(m, "owner", json_string(c->owner));
        else if (!json_object_get(m, "owner")) json_object_set_new(m, "owner", json_string(c->actor));
        if (c->description) json_object_set_new(m, "description", json_string(c->description));
        else if (!json_object_get(m, "description")) json_object_set_new(m, "description", json_string(""));
        if (c->tags) json_object_set(m, "tags", c->tags);
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
        json_t *changes = c->header_changes ? json_incref(c->header_changes) : json_array();
        json_t *lin = c->lineage ? json_deep_copy(c->lineage) : json_object();
        json_object_set_new(lin, "rows", json_integer(c->rows));
        json_object_set_new(lin, "mode", json_string(lh_ingest_mode_name(c->mode)));
        json_object_set_new(lin, "ingested_at", json_string(ts));
        json_object_set_new(lin, "actor", json_string(c->actor));
        json_object_set_new(lin, "version", json_integer(version));
        json_object_set(lin, "header_changes", changes);
        json_t *lineage = json_object_get(m, "lineage");
        if (!json_is_array(lineage)) { lineage = json_array(); json_object_set_new(m, "lineage", lineage); }
        json_array_append_new(lineage, lin);
        json_object_set_new(m, "change", json_pack("{s:s,s:s,s:s,s:I}", "kind", "ingest", "mode",
                                                   lh_ingest_mode_name(c->mode), "actor", c->actor, "rows",
                                                   (json_int_t)c->rows));
        if (job) lh_job_progress(job, "committing", c->rows, -1, -1);
        lh_dataset *committed = NULL;
        json_t *columns_out = json_incref(cols);
        rc = lh_catalog_commit(cat, c->dataset, base, m, &committed, err);
        if (!rc) {
            *result = json_pack("{s:s,s:I,s:s,s:b,s:I,s:I,s:o,s:o,s:s,s:f}", "dataset", c->dataset, "version",
                                (json_int_t)committed->version, "mode", lh_ingest_mode_name(c->mode), "created", !live,
                                "rows", (json_int_t)c->rows, "row_count", (json_int_t)lh_dataset_row_count(committed),
                                "columns", columns_out, "header_changes", changes, "sensitivity",
                                json_string_value(json_object_get(committed->manifest, "sensitivity")),
                                "elapsed_ms", (double)(lh_mono_us() - t0) / 1000.0);
            lh_dataset_unref(committed);
        } else {
            json_decref(columns_out);
            json_decref(changes);
        }
    }
    if (rc && stored) {
        lh_err derr;
        if (lh_objstore_delete(store, key.data, &derr))
            lh_warn("ingest %s: could not remove uncommitted object %s: %s", c->dataset, key.data, derr.msg);
    }
    free(kinds);
    json_decref(pk);
    lh_buf_free(&key);
    return rc;
}

int lh_ingest_file(lh_catalog *cat, const lh_ingest_req *req, lh_job *job, json_t **result, lh_err *err)
{
    *result = NULL;
    int64_t t0 = lh_mono_us();
    lh_dataset *cur;
    int rc = lh_ingest_prepare(cat, req->dataset, req->bucket, req->mode, &cur, err);
    if (rc) return rc;
    int live = cur && !cur->deleted;
    lh_column *target = NULL;
    size_t n_target = 0;
    if (live && req->mode == LH_MODE_APPEND) n_target = lh_dataset_columns(cur, &target);

    lh_buf out_path = LH_BUF_INIT;
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf_printf(&out_path, "%s/convert-%s.parquet", lh_catalog_scratch_dir(cat), id);
    if (job) lh_job_progress(job, "converting", 0, (int64_t)req->bytes, (int64_t)req->bytes);
    lh_engine_conn *c = NULL;
    lh_convert_result cr = {0};
    rc = lh_engine_connect(lh_catalog_engine(cat), &c, err);
    if (!rc) rc = lh_ingest_convert(c, req->path, req->format, target, n_target, out_path.data, &cr, err);
    lh_engine_conn_free(c);
    if (!rc) {
        json_t *changes = json_array();
        for (size_t i = 0; i < cr.n_changes; i++)
            json_array_append_new(changes, json_pack("{s:s,s:s,s:s}", "original", cr.changes[i].original, "normalized",
                                                     cr.changes[i].normalized, "reason", cr.changes[i].reason));
        json_t *lin = json_pack("{s:s,s:s?,s:s,s:I,s:s}", "source_system",
                                req->source_system ? req->source_system : "upload", "file_name", req->file_name,
                                "sha256", req->sha256 ? req->sha256 : "", "bytes", (json_int_t)req->bytes,
                                "format", lh_format_name(req->format));
        lh_ingest_commit ic = {
            .dataset = req->dataset, .mode = req->mode, .bucket = req->bucket, .actor = req->actor,
            .owner = req->owner, .description = req->description, .tags = req->tags,
            .parquet_path = out_path.data, .rows = cr.rows, .cols = cr.cols, .n_cols = cr.n_cols,
            .lineage = lin, .header_changes = changes, .primary_key = req->primary_key,
        };
        if (job) lh_job_progress(job, "storing", cr.rows, (int64_t)req->bytes, (int64_t)req->bytes);
        rc = lh_ingest_commit_parquet(cat, cur, &ic, job, result, err);
        json_decref(lin);
        json_decref(changes);
        if (!rc) json_object_set_new(*result, "elapsed_ms", json_real((double)(lh_mono_us() - t0) / 1000.0));
    }
    unlink(out_path.data);
    lh_convert_result_free(&cr);
    lh_columns_free(target, n_target);
    lh_dataset_unref(cur);
    lh_buf_free(&out_path);
    return rc;
}

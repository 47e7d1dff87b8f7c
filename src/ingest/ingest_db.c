/* ingest/ingest_db.c — a PostgreSQL table or query becomes a dataset version.
 *
 * The pull itself is pg_pull.c; this file decides what to pull (everything,
 * or only rows past the watermark the previous pull left in the dataset's
 * lineage), checks an append against the dataset's schema, and commits with
 * the same code as file ingest. The lineage records the source with the
 * password redacted, the columns used for increments and the new watermark.
 */
#include "ingest/ingest.h"
#include "ingest/pg.h"
#include "core/clock.h"
#include "core/id.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The watermark of the last pull from the same source column, if any;
 * *nulls_taken is set when such a pull took rows: it took the rows whose
 * key was NULL then (they come first in key order), even if every key it
 * saw was NULL and it left no watermark. */
static const char *last_watermark(const lh_dataset *cur, const char *column, int *nulls_taken)
{
    *nulls_taken = 0;
    json_t *lin = json_object_get(cur->manifest, "lineage");
    for (size_t i = json_array_size(lin); i-- > 0;) {
        json_t *e = json_array_get(lin, i);
        const char *src = json_string_value(json_object_get(e, "source_system"));
        if (!src || strcmp(src, "postgresql")) continue;
        const char *col = json_string_value(json_object_get(e, "watermark_column"));
        if (!col || strcmp(col, column)) return NULL;  /* a pull without (or with another) key resets */
        const char *w = json_string_value(json_object_get(e, "watermark"));
        *nulls_taken = w || json_integer_value(json_object_get(e, "rows")) > 0;
        return w;
    }
    return NULL;
}

static void on_progress(void *ctx, int64_t rows, int64_t estimated)
{
    lh_job *job = ctx;
    if (!job) return;
    lh_job_progress(job, "pulling", rows, -1, -1);
    if (estimated > 0) lh_job_expect_rows(job, estimated);
}

static int check_append(const lh_dataset *cur, const lh_pg_result *pr, lh_err *err)
{
    lh_column *cols;
    size_t n = lh_dataset_columns(cur, &cols);
    lh_buf why = LH_BUF_INIT;
    for (size_t i = 0; i < n || i < pr->n_cols; i++) {
        const char *a = i < n ? cols[i].name : NULL, *b = i < pr->n_cols ? pr->cols[i].name : NULL;
        if (!a || !b || strcmp(a, b))
            lh_buf_printf(&why, "%scolumn %zu is \"%s\" in the dataset but \"%s\" in the source", why.len ? "; " : "",
                          i + 1, a ? a : "(none)", b ? b : "(none)");
        else if (strcmp(cols[i].type, pr->cols[i].type))
            lh_buf_printf(&why, "%scolumn \"%s\" is %s in the dataset but %s in the source", why.len ? "; " : "", a,
                          cols[i].type, pr->cols[i].type);
    }
    int rc = why.len ? lh_err_set(err, LH_EINVAL, "schema_mismatch", "cannot append to \"%s\": %s; use mode=replace",
                                  cur->name, why.data) : 0;
    lh_buf_free(&why);
    lh_columns_free(cols, n);
    return rc;
}

int lh_ingest_db(lh_catalog *cat, const lh_ingest_db_req *req, lh_job *job, json_t **result, lh_err *err)
{
    *result = NULL;
    int64_t t0 = lh_mono_us();
    if (req->batch_rows < 0 || req->batch_rows > LH_INGEST_DB_MAX_BATCH_ROWS)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter",
                          "batch_rows (rows per Parquet row group) must be between 1 and %d, not %lld",
                          LH_INGEST_DB_MAX_BATCH_ROWS, (long long)req->batch_rows);
    lh_dataset *cur;
    int rc = lh_ingest_prepare(cat, req->dataset, req->bucket, req->mode, &cur, err);
    if (rc) return rc;
    int live = cur && !cur->deleted;
    const char *wcol = req->key_column ? req->key_column : req->updated_column;
    int nulls_taken = 0;
    const char *watermark =
        (live && wcol && req->mode == LH_MODE_APPEND) ? last_watermark(cur, wcol, &nulls_taken) : NULL;

    lh_pg_source src = {.dsn = req->dsn, .table = req->table, .query = req->query, .key_column = req->key_column,
                        .updated_column = req->updated_column, .watermark = watermark, .nulls_taken = nulls_taken,
                        .timeout_ms = req->timeout_ms,
                        .row_group_rows = req->batch_rows, .max_rows = req->max_rows};
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf out = LH_BUF_INIT;
    lh_buf_printf(&out, "%s/pg-%s.parquet", lh_catalog_scratch_dir(cat), id);
    if (job) lh_job_progress(job, "connecting", 0, -1, -1);
    lh_engine_conn *c = NULL;
    lh_pg_result pr = {0};
    rc = lh_engine_connect(lh_catalog_engine(cat), &c, err);
    if (!rc) rc = lh_pg_pull(c, &src, out.data, on_progress, job, &pr, err);
    lh_engine_conn_free(c);
    if (!rc && live && req->mode == LH_MODE_APPEND) rc = check_append(cur, &pr, err);
    if (!rc && nulls_taken && pr.rows == 0) {
        /* an incremental pull that found nothing new: no empty version */
        *result = json_pack("{s:s,s:I,s:s,s:b,s:I,s:I,s:b,s:s?,s:f}", "dataset", req->dataset, "version",
                            (json_int_t)cur->version, "mode", lh_ingest_mode_name(req->mode), "created", 0, "rows",
                            (json_int_t)0, "row_count", (json_int_t)lh_dataset_row_count(cur), "unchanged", 1,
                            "watermark", watermark, "elapsed_ms", (double)(lh_mono_us() - t0) / 1000.0);
        if (req->max_rows > 0) json_object_set_new(*result, "more", json_false());
    } else if (!rc) {
        json_t *lin = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:I}", "source_system", "postgresql", "dsn",
                                req->dsn_redacted, "table", req->table, "query", req->query, "watermark_column", wcol,
                                "watermark", pr.watermark ? pr.watermark : watermark, "previous_watermark", watermark,
                                "estimated_rows", (json_int_t)pr.estimated_rows);
        json_object_set_new(lin, "format", json_string("postgresql"));
        if (req->batch_rows > 0) json_object_set_new(lin, "batch_rows", json_integer(req->batch_rows));
        if (req->max_rows > 0) {
            json_object_set_new(lin, "max_rows", json_integer(req->max_rows));
            json_object_set_new(lin, "more", json_boolean(pr.more));
        }
        lh_ingest_commit ic = {
            .dataset = req->dataset, .mode = req->mode, .bucket = req->bucket, .actor = req->actor,
            .owner = req->owner, .description = req->description, .tags = req->tags,
            .parquet_path = out.data, .rows = pr.rows, .cols = pr.cols, .n_cols = pr.n_cols, .lineage = lin,
        };
        rc = lh_ingest_commit_parquet(cat, cur, &ic, job, result, err);
        json_decref(lin);
        if (!rc) {
            json_object_set_new(*result, "incremental", json_boolean(watermark != NULL));
            if (pr.watermark) json_object_set_new(*result, "watermark", json_string(pr.watermark));
            if (req->max_rows > 0) json_object_set_new(*result, "more", json_boolean(pr.more));
            json_object_set_new(*result, "elapsed_ms", json_real((double)(lh_mono_us() - t0) / 1000.0));
            json_object_set_new(*result, "rows_per_s",
                                json_real((double)pr.rows / ((double)(lh_mono_us() - t0) / 1e6)));
        }
    }
    unlink(out.data);
    lh_buf_free(&out);
    lh_pg_result_free(&pr);
    lh_dataset_unref(cur);
    return rc;
}

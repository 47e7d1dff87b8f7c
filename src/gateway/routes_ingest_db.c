/* gateway/routes_ingest_db.c — POST /ingest/db: a PostgreSQL table or query
 * becomes a dataset version, as a background job with progress.
 *
 * The body names the source ({dsn | secret_ref, table | query}) and the
 * target ({dataset, mode, key_column | updated_column, ...}). A secret_ref
 * resolves to the `dsn` field of that section of the secrets file (mode
 * 0600), so credentials need not cross the API at all. The password never
 * appears in a response, the job status, the logs or the catalog.
 */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "ingest/ingest.h"
#include "ingest/pg.h"
#include "storage/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct db_job {
    lh_catalog *cat;
    char       *strs[12];  /* owned copies */
    lh_ingest_db_req req;
    json_t     *tags;
} db_job;

static const char *keep(db_job *j, int slot, const char *s)
{
    j->strs[slot] = s ? lh_xstrdup(s) : NULL;
    return j->strs[slot];
}

static void db_job_free(void *p)
{
    db_job *j = p;
    for (size_t i = 0; i < sizeof j->strs / sizeof j->strs[0]; i++) {
        if (i == 1 && j->strs[i]) memset(j->strs[i], 0, strlen(j->strs[i]));  /* the DSN */
        free(j->strs[i]);
    }
    json_decref(j->tags);
    free(j);
}

static int run_db_job(lh_job *job, void *arg, json_t **result, lh_err *err)
{
    db_job *j = arg;
    return lh_ingest_db(j->cat, &j->req, job, result, err);
}

static const char *opt_str(json_t *body, const char *k, lh_resp *resp, int *bad)
{
    json_t *v = json_object_get(body, k);
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v) || !json_string_length(v)) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "%s must be a non-empty string", k);
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static int post_ingest_db(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    static const char *const known[] = {"dsn", "secret_ref", "table", "query", "dataset", "mode", "batch_rows",
                                        "max_rows", "key_column", "updated_column", "timeout_ms", "async", "owner",
                                        "description", "tags", "bucket", NULL};
    if (lh_body_known(body, known, resp)) {
        json_decref(body);
        return 0;
    }
    int bad = 0;
    db_job *j = lh_xcalloc(1, sizeof *j);
    j->cat = req->app->cat;
    lh_ingest_db_req *r = &j->req;
    lh_err e;
    const char *dsn = opt_str(body, "dsn", resp, &bad), *ref = opt_str(body, "secret_ref", resp, &bad);
    r->dataset = keep(j, 0, opt_str(body, "dataset", resp, &bad));
    r->table = keep(j, 3, opt_str(body, "table", resp, &bad));
    r->query = keep(j, 4, opt_str(body, "query", resp, &bad));
    r->key_column = keep(j, 5, opt_str(body, "key_column", resp, &bad));
    r->updated_column = keep(j, 6, opt_str(body, "updated_column", resp, &bad));
    r->owner = keep(j, 7, opt_str(body, "owner", resp, &bad));
    r->description = keep(j, 8, opt_str(body, "description", resp, &bad));
    r->bucket = keep(j, 9, opt_str(body, "bucket", resp, &bad));
    const char *mode = opt_str(body, "mode", resp, &bad);
    const char *actor = lh_req_header(req, "X-Lakehouse-Actor");
    r->actor = keep(j, 10, actor && *actor ? actor : "anonymous");
    json_t *tags = json_object_get(body, "tags"), *async = json_object_get(body, "async");
    json_t *batch = json_object_get(body, "batch_rows"), *tmo = json_object_get(body, "timeout_ms");
    json_t *page = json_object_get(body, "max_rows");
    if (bad) goto done;
    if (!r->dataset) { lh_resp_errorf(resp, 400, "missing_parameter", "dataset is required"); goto done; }
    if (!dsn == !ref) {
        lh_resp_errorf(resp, 400, "invalid_source", "give exactly one of dsn or secret_ref");
        goto done;
    }
    if (!r->table == !r->query) {
        lh_resp_errorf(resp, 400, "invalid_source", "give exactly one of table or query");
        goto done;
    }
    if (lh_ingest_mode_parse(mode, &r->mode, &e)) { lh_resp_error(resp, &e); goto done; }
    if (tags && !json_is_array(tags)) { lh_resp_errorf(resp, 400, "invalid_parameter", "tags must be an array of strings"); goto done; }
    if (async && !json_is_boolean(async)) { lh_resp_errorf(resp, 400, "invalid_parameter", "async must be true or false"); goto done; }
    if (batch && (!json_is_integer(batch) || json_integer_value(batch) < 1 ||
                  json_integer_value(batch) > LH_INGEST_DB_MAX_BATCH_ROWS)) {
        lh_resp_errorf(resp, 400, "invalid_parameter",
                       "batch_rows (rows per Parquet row group) must be an integer between 1 and %d",
                       LH_INGEST_DB_MAX_BATCH_ROWS);
        goto done;
    }
    if (page && (!json_is_integer(page) || json_integer_value(page) < 1)) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "max_rows (rows per keyset page) must be a positive integer");
        goto done;
    }
    if (page && !r->key_column && !r->updated_column) {
        lh_resp_errorf(resp, 400, "invalid_parameter",
                       "max_rows pulls one page in key order: give key_column or updated_column with it");
        goto done;
    }
    if (tmo && (!json_is_integer(tmo) || json_integer_value(tmo) < 1)) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "timeout_ms must be a positive integer");
        goto done;
    }
    r->timeout_ms = tmo ? json_integer_value(tmo) : 0;
    r->batch_rows = batch ? json_integer_value(batch) : 0;
    r->max_rows = page ? json_integer_value(page) : 0;
    j->tags = tags ? json_incref(tags) : NULL;
    r->tags = j->tags;
    if (ref) {
        lh_secrets *sec;
        if (lh_secrets_open(req->app->cfg->storage_secrets_file, &sec, &e)) { lh_resp_error(resp, &e); goto done; }
        const char *s = lh_secrets_get(sec, ref, "dsn");
        if (!s) {
            lh_resp_errorf(resp, 400, "secret_ref_unknown", "the secrets file has no [%s] section with a dsn field", ref);
            lh_secrets_free(sec);
            goto done;
        }
        dsn = keep(j, 1, s);
        lh_secrets_free(sec);
    } else {
        dsn = keep(j, 1, dsn);
    }
    r->dsn = dsn;
    lh_buf red = LH_BUF_INIT;
    if (lh_pg_dsn_redact(dsn, &red, &e)) { lh_buf_free(&red); lh_resp_error(resp, &e); goto done; }
    r->dsn_redacted = keep(j, 2, ref ? "" : red.data);
    if (ref) {
        free(j->strs[2]);
        lh_buf b = LH_BUF_INIT;
        lh_buf_printf(&b, "secret_ref:%s (%s)", ref, red.data);
        j->strs[2] = lh_buf_detach(&b);
        r->dsn_redacted = j->strs[2];
    }
    lh_buf_free(&red);
    json_decref(body);
    body = NULL;
    if (async && json_is_false(async)) {
        json_t *result;
        int rc = lh_ingest_db(j->cat, r, NULL, &result, &e);
        db_job_free(j);
        if (rc) return lh_resp_error(resp, &e);
        return lh_resp_json(resp, 201, result);
    }
    char id[33], url[64];
    if (lh_jobs_start(req->app->jobs, "ingest_db", run_db_job, j, db_job_free, id, &e)) {
        db_job_free(j);
        return lh_resp_error(resp, &e);
    }
    snprintf(url, sizeof url, "/jobs/%s", id);
    lh_resp_header(resp, "Location", url);
    return lh_resp_json(resp, 202, json_pack("{s:s,s:s,s:s}", "job_id", id, "status_url", url, "dataset", r->dataset));
done:
    json_decref(body);
    db_job_free(j);
    return 0;
}

const lh_route lh_routes_ingest_db[] = {
    {"POST", "/ingest/db", post_ingest_db, NULL, NULL, NULL},
};
const size_t lh_routes_ingest_db_n = sizeof lh_routes_ingest_db / sizeof lh_routes_ingest_db[0];

/* gateway/routes_ingest.c — POST /ingest/file: an upload becomes a dataset.
 *
 * The body streams to a staging file (hashed on the way, never held in
 * memory). Small uploads are converted and committed before the response
 * (201 with the result); large ones (over ingest.async_threshold_bytes, or
 * ?async=true) are handed to a background job and answered with 202 and
 * the job's id (GET /jobs/{id}).
 */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ingest_state {
    lh_stage     *stage;
    lh_format     format;
    lh_ingest_mode mode;
    char          *dataset, *file_name, *owner, *description, *bucket, *actor;
    json_t        *tags;
    json_t        *primary_key;
} ingest_state;

static void state_free(void *p)
{
    ingest_state *st = p;
    if (!st) return;
    lh_stage_free(st->stage);
    free(st->dataset);
    free(st->file_name);
    free(st->owner);
    free(st->description);
    free(st->bucket);
    free(st->actor);
    json_decref(st->tags);
    json_decref(st->primary_key);
    free(st);
}

static char *dup_or_null(const char *s) { return s ? lh_xstrdup(s) : NULL; }

static int ingest_begin(lh_req *req, lh_resp *resp)
{
    lh_err e;
    const char *dataset = lh_req_query(req, "dataset");
    if (!dataset) return lh_resp_errorf(resp, 400, "missing_parameter", "dataset is required: /ingest/file?dataset=NAME"), -1;
    if (lh_dataset_name_validate(dataset, &e)) return lh_resp_error(resp, &e), -1;
    ingest_state *st = lh_xcalloc(1, sizeof *st);
    req->user = st;
    const char *fmt = lh_req_query(req, "format"), *fname = lh_req_query(req, "file_name");
    if (fmt ? lh_format_parse(fmt, &st->format, &e) : fname ? lh_format_from_filename(fname, &st->format, &e)
            : lh_err_set(&e, LH_EINVAL, "missing_parameter", "format is required (csv, tsv, json, ndjson, parquet), "
                         "or a file_name with a known extension"))
        return lh_resp_error(resp, &e), -1;
    if (lh_ingest_mode_parse(lh_req_query(req, "mode"), &st->mode, &e)) return lh_resp_error(resp, &e), -1;
    const char *bucket = lh_req_query(req, "bucket");
    if (bucket && !lh_registry_bucket(req->app->reg, bucket, &e)) return lh_resp_error(resp, &e), -1;
    const char *tags = lh_req_query(req, "tags");
    if (tags) {
        st->tags = json_array();
        char *copy = lh_xstrdup(tags), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (*t) json_array_append_new(st->tags, json_string(t));
        free(copy);
    }
    const char *pk = lh_req_query(req, "primary_key");
    if (pk) {
        st->primary_key = json_array();
        char *copy = lh_xstrdup(pk), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (*t) json_array_append_new(st->primary_key, json_string(t));
        free(copy);
        if (!json_array_size(st->primary_key))
            return lh_resp_errorf(resp, 400, "invalid_parameter", "primary_key names the key column(s): "
                                  "primary_key=id or primary_key=region,id"), -1;
    }
    const char *actor = lh_req_header(req, "X-Lakehouse-Actor");
    st->dataset = lh_xstrdup(dataset);
    st->file_name = dup_or_null(fname);
    st->owner = dup_or_null(lh_req_query(req, "owner"));
    st->description = dup_or_null(lh_req_query(req, "description"));
    st->bucket = dup_or_null(bucket);
    st->actor = lh_xstrdup(actor && *actor ? actor : "anonymous");
    if (lh_stage_open(req->app->scratch_dir, NULL, &st->stage, &e)) return lh_resp_error(resp, &e), -1;
    return 0;
}

static int ingest_chunk(lh_req *req, const char *data, size_t n, lh_resp *resp)
{
    ingest_state *st = req->user;
    lh_err e;
    if (lh_stage_write(st->stage, data, n, &e)) return lh_resp_error(resp, &e), -1;
    return 0;
}

typedef struct job_arg {
    ingest_state *st;
    lh_catalog   *cat;
    char          sha[65];
    uint64_t      bytes;
} job_arg;

static void fill_req(lh_ingest_req *r, ingest_state *st, const char *sha, uint64_t bytes)
{
    memset(r, 0, sizeof *r);
    r->dataset = st->dataset;
    r->format = st->format;
    r->mode = st->mode;
    r->path = lh_stage_path(st->stage);
    r->bytes = bytes;
    r->sha256 = sha;
    r->file_name = st->file_name;
    r->source_system = "upload";
    r->actor = st->actor;
    r->bucket = st->bucket;
    r->owner = st->owner;
    r->description = st->description;
    r->tags = st->tags;
    r->primary_key = st->primary_key;
}

static int ingest_job(lh_job *job, void *arg, json_t **result, lh_err *err)
{
    job_arg *a = arg;
    lh_ingest_req r;
    fill_req(&r, a->st, a->sha, a->bytes);
    return lh_ingest_file(a->cat, &r, job, result, err);
}

static void job_arg_free(void *p)
{
    job_arg *a = p;
    state_free(a->st);
    free(a);
}

static int ingest_file(lh_req *req, lh_resp *resp)
{
    ingest_state *st = req->user;
    lh_err e;
    char sha[65];
    uint64_t bytes;
    if (lh_stage_finish(st->stage, sha, &bytes, &e)) return lh_resp_error(resp, &e);
    const char *async = lh_req_query(req, "async");
    if (async && strcmp(async, "true") && strcmp(async, "false"))
        return lh_resp_errorf(resp, 400, "invalid_parameter", "async must be true or false");
    int background = async ? !strcmp(async, "true")
                           : (int64_t)bytes > req->app->cfg->ingest_async_threshold_bytes;
    if (!background) {
        lh_ingest_req r;
        fill_req(&r, st, sha, bytes);
        json_t *result;
        if (lh_ingest_file(req->app->cat, &r, NULL, &result, &e)) return lh_resp_error(resp, &e);
        return lh_resp_json(resp, 201, result);
    }
    job_arg *a = lh_xcalloc(1, sizeof *a);
    a->st = st;
    a->cat = req->app->cat;
    memcpy(a->sha, sha, sizeof a->sha);
    a->bytes = bytes;
    req->user = NULL;  /* the job owns the staged file now */
    char id[33];
    if (lh_jobs_start(req->app->jobs, "ingest", ingest_job, a, job_arg_free, id, &e)) {
        job_arg_free(a);
        return lh_resp_error(resp, &e);
    }
    char url[64];
    snprintf(url, sizeof url, "/jobs/%s", id);
    lh_resp_header(resp, "Location", url);
    return lh_resp_json(resp, 202, json_pack("{s:s,s:s,s:s,s:I}", "job_id", id, "status_url", url, "dataset",
                                             st->dataset, "bytes", (json_int_t)bytes));
}

static void ingest_cleanup(lh_req *req)
{
    state_free(req->user);
    req->user = NULL;
}

const lh_route lh_routes_ingest[] = {
    {"POST", "/ingest/file", ingest_file, ingest_begin, ingest_chunk, ingest_cleanup},
};
const size_t lh_routes_ingest_n = sizeof lh_routes_ingest / sizeof lh_routes_ingest[0];

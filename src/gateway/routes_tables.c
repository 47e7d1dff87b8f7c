/* gateway/routes_tables.c — /tables/{dataset}/…: upsert, delete, compact,
 * vacuum (ADR-009). Handlers parse and call tables/; a file upsert is
 * first converted to the dataset's schema by ingest's converter. */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "core/id.h"
#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lh_tables_actor who_of(lh_req *req)
{
    const char *a = lh_req_header(req, "X-Lakehouse-Actor");
    const char *s = lh_req_header(req, "X-Lakehouse-Source");
    const char *w = lh_req_header(req, "X-Lakehouse-Workspace");
    lh_tables_actor who = {.actor = a && *a ? a : "anonymous", .source = s && *s ? s : "api",
                           .workspace_id = w && *w ? w : NULL};
    return who;
}

/* The body as any JSON value (arrays allowed), or a 400 in resp. */
static int body_json(lh_req *req, lh_resp *resp, json_t **out)
{
    *out = NULL;
    if (req->body.len == 0)
        return lh_resp_errorf(resp, 400, "empty_body", "the request has no body"), -1;
    json_error_t je;
    *out = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!*out)
        return lh_resp_errorf(resp, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)",
                              je.text, je.line, je.column), -1;
    return 0;
}

/* ?format=csv|tsv|json|ndjson|parquet: the body is a file with every
 * column of the dataset, converted to its schema, then upserted. */
static int upsert_file(lh_req *req, lh_resp *resp, const char *dataset, const char *fmt_name)
{
    lh_err e;
    lh_format fmt;
    if (lh_format_parse(fmt_name, &fmt, &e)) return lh_resp_error(resp, &e);
    if (req->body.len == 0) return lh_resp_errorf(resp, 400, "empty_body", "the request has no body");
    lh_dataset *ds = lh_catalog_get(req->app->cat, dataset, &e);
    if (!ds) return lh_resp_error(resp, &e);
    lh_column *cols;
    size_t nc = lh_dataset_columns(ds, &cols);
    lh_dataset_unref(ds);
    lh_stage *stage = NULL;
    char sha[65];
    uint64_t bytes;
    int rc = lh_stage_open(req->app->scratch_dir, NULL, &stage, &e);
    if (!rc) rc = lh_stage_write(stage, req->body.data, req->body.len, &e);
    if (!rc) rc = lh_stage_finish(stage, sha, &bytes, &e);
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf out = LH_BUF_INIT;
    lh_buf_printf(&out, "%s/upsert-%s.parquet", req->app->scratch_dir, id);
    lh_engine_conn *c = NULL;
    lh_convert_result cr = {0};
    if (!rc) rc = lh_engine_connect(req->app->engine, &c, &e);
    if (!rc) rc = lh_ingest_convert(c, lh_stage_path(stage), fmt, cols, nc, out.data, &cr, &e);
    lh_engine_conn_free(c);
    json_t *result = NULL;
    lh_tables_actor who = who_of(req);
    if (!rc) rc = lh_tables_upsert_parquet(req->app->tables, dataset, out.data, &who, &result, &e);
    unlink(out.data);
    lh_buf_free(&out);
    lh_convert_result_free(&cr);
    lh_columns_free(cols, nc);
    lh_stage_free(stage);
    if (rc) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, result);
}

static int post_upsert(lh_req *req, lh_resp *resp)
{
    const char *dataset = lh_req_param(req, "dataset");
    const char *fmt = lh_req_query(req, "format");
    if (fmt) return upsert_file(req, resp, dataset, fmt);
    json_t *body;
    if (body_json(req, resp, &body)) return 0;
    json_t *rows = body;
    if (json_is_object(body)) {
        rows = json_object_get(body, "rows");
        if (!rows || json_object_size(body) != 1) {
            json_decref(body);
            return lh_resp_errorf(resp, 400, "invalid_rows", "send the rows as a JSON array of objects, or "
                                  "{\"rows\": [...]}; for a file add ?format=csv|tsv|json|ndjson|parquet");
        }
    }
    lh_err e;
    json_t *result;
    lh_tables_actor who = who_of(req);
    int rc = lh_tables_upsert_json(req->app->tables, dataset, rows, &who, &result, &e);
    json_decref(body);
    if (rc) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, result);
}

static int post_delete(lh_req *req, lh_resp *resp)
{
    const char *dataset = lh_req_param(req, "dataset");
    json_t *body;
    if (body_json(req, resp, &body)) return 0;
    json_t *keys = json_object_get(body, "keys"), *where = json_object_get(body, "where");
    if (!json_is_object(body) || (!keys == !where) || json_object_size(body) != 1) {
        json_decref(body);
        return lh_resp_errorf(resp, 400, "invalid_delete", "send {\"keys\": [...]} or {\"where\": \"SQL predicate\"}"
                              " (exactly one of them)");
    }
    if (where && !json_is_string(where)) {
        json_decref(body);
        return lh_resp_errorf(resp, 400, "invalid_predicate", "where must be a string holding a SQL predicate");
    }
    lh_err e;
    json_t *result;
    lh_tables_actor who = who_of(req);
    int rc = keys ? lh_tables_delete_keys(req->app->tables, dataset, keys, &who, &result, &e)
                  : lh_tables_delete_where(req->app->tables, dataset, json_string_value(where), &who, &result, &e);
    json_decref(body);
    if (rc) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, result);
}

static int post_compact(lh_req *req, lh_resp *resp)
{
    lh_err e;
    json_t *result;
    lh_tables_actor who = who_of(req);
    if (lh_tables_compact(req->app->tables, lh_req_param(req, "dataset"), &who, &result, &e))
        return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, result);
}

static int post_vacuum(lh_req *req, lh_resp *resp)
{
    int64_t hours;
    if (lh_req_query_int(req, resp, "retention_hours", -1, 0, 876000, &hours)) return 0;
    lh_err e;
    json_t *result;
    if (lh_tables_vacuum(req->app->tables, lh_req_param(req, "dataset"), hours, &result, &e))
        return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, result);
}

const lh_route lh_routes_tables[] = {
    {"POST", "/tables/{dataset}/upsert", post_upsert, NULL, NULL, NULL},
    {"POST", "/tables/{dataset}/delete", post_delete, NULL, NULL, NULL},
    {"POST", "/tables/{dataset}/compact", post_compact, NULL, NULL, NULL},
    {"POST", "/tables/{dataset}/vacuum", post_vacuum, NULL, NULL, NULL},
};
const size_t lh_routes_tables_n = sizeof lh_routes_tables / sizeof lh_routes_tables[0];

/* gateway/routes_query.c — POST /query/sql: read-only SQL, streamed. */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "query/query.h"
#include "core/clock.h"

#include <string.h>

static int64_t run_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    return lh_query_read(cls, buf, max);
}

static void run_free(void *cls) { lh_query_run_free(cls); }

static int int_field(lh_resp *resp, json_t *body, const char *name, int64_t def, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(body, name);
    *out = def;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "%s must be an integer between 1 and %lld", name, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

static int post_sql(lh_req *req, lh_resp *resp)
{
    json_t *body;
    if (lh_req_json(req, resp, &body)) return 0;
    const lh_config *cfg = req->app->cfg;
    lh_query_req q = {.max_bytes = cfg->query_max_result_bytes};
    lh_err e;
    json_t *sql = json_object_get(body, "sql");
    int rc = 0;
    if (!json_is_string(sql) || json_string_length(sql) == 0)
        { lh_resp_errorf(resp, 400, "invalid_parameter", "sql is required: {\"sql\": \"SELECT ...\"}"); rc = -1; }
    static const char *const known[] = {"sql", "format", "limit", "timeout_ms", "as_of", "as_of_version", NULL};
    if (!rc && lh_body_known(body, known, resp)) rc = -1;
    json_t *fmt = json_object_get(body, "format");
    if (!rc && fmt && !json_is_string(fmt)) { lh_resp_errorf(resp, 400, "invalid_format", "format must be a string"); rc = -1; }
    if (!rc && lh_qformat_parse(json_string_value(fmt), &q.format, &e)) { lh_resp_error(resp, &e); rc = -1; }
    if (!rc && int_field(resp, body, "limit", cfg->query_default_limit, cfg->query_max_rows, &q.limit)) rc = -1;
    if (!rc && int_field(resp, body, "timeout_ms", cfg->query_default_timeout_ms, cfg->query_max_timeout_ms, &q.timeout_ms))
        rc = -1;
    json_t *as_of = json_object_get(body, "as_of"), *as_of_v = json_object_get(body, "as_of_version");
    if (!rc && as_of && !json_is_null(as_of) &&
        (!json_is_string(as_of) || lh_time_parse_us(json_string_value(as_of), &q.as_of_us))) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "as_of must be an RFC 3339 timestamp such as "
                       "\"2026-03-01T00:00:00Z\" (or a date, \"2026-03-01\")");
        rc = -1;
    }
    if (!rc && as_of_v && !json_is_null(as_of_v) && (!json_is_integer(as_of_v) || json_integer_value(as_of_v) < 1)) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "as_of_version must be a version number (an integer >= 1)");
        rc = -1;
    }
    if (!rc && json_is_integer(as_of_v)) q.as_of_version = json_integer_value(as_of_v);
    if (!rc && q.as_of_version && q.as_of_us) {
        lh_resp_errorf(resp, 400, "invalid_parameter", "give as_of or as_of_version, not both");
        rc = -1;
    }
    if (!rc && json_is_string(as_of) && q.as_of_us == 0) q.as_of_us = 1;  /* the epoch itself: nothing existed */
    if (rc) { json_decref(body); return 0; }
    q.sql = json_string_value(sql);
    lh_query_run *run;
    rc = lh_query_start(req->app->query, &q, &run, &e);
    json_decref(body);
    if (rc) return lh_resp_error(resp, &e);
    resp->status = 200;
    resp->content_type = lh_query_content_type(run);
    resp->stream_read = run_read;
    resp->stream_free = run_free;
    resp->stream_cls = run;
    resp->stream_size = UINT64_MAX;
    return 0;
}

const lh_route lh_routes_query[] = {
    {"POST", "/query/sql", post_sql, NULL, NULL, NULL},
};
const size_t lh_routes_query_n = sizeof lh_routes_query / sizeof lh_routes_query[0];

/* gateway/routes_journal.c — the mutation journal (ADR-012): events with
 * filters, one record's state at a time, and journal compaction (which
 * only merges batch objects; events are never rewritten). */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "core/clock.h"

#include <string.h>

static int time_arg(lh_req *req, lh_resp *resp, const char *name, int64_t *out)
{
    *out = 0;
    const char *s = lh_req_query(req, name);
    if (!s) return 0;
    if (lh_time_parse_us(s, out) == 0 && *out != 0) return 0;
    lh_resp_errorf(resp, 400, "invalid_parameter", "%s must be an RFC 3339 timestamp such as 2026-03-01T00:00:00Z "
                   "(or a date, 2026-03-01)", name);
    return -1;
}

static int get_events(lh_req *req, lh_resp *resp)
{
    lh_journal_filter f = {.dataset = lh_req_query(req, "dataset"), .key = lh_req_query(req, "key"),
                           .field = lh_req_query(req, "field"), .actor = lh_req_query(req, "actor"),
                           .op = lh_req_query(req, "op")};
    if (time_arg(req, resp, "since", &f.since_us) || time_arg(req, resp, "until", &f.until_us)) return 0;
    if (lh_req_query_int(req, resp, "limit", 1000, 1, 100000, &f.limit)) return 0;
    lh_err e;
    json_t *out;
    if (lh_tables_journal_events(req->app->tables, &f, &out, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, out);
}

static int get_record(lh_req *req, lh_resp *resp)
{
    int64_t as_of;
    if (time_arg(req, resp, "as_of", &as_of)) return 0;
    lh_err e;
    json_t *out;
    if (lh_tables_record(req->app->tables, lh_req_param(req, "dataset"), lh_req_param(req, "key"), as_of, &out, &e))
        return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, out);
}

static int post_compact(lh_req *req, lh_resp *resp)
{
    lh_err e;
    lh_append_log_compact_result r;
    if (lh_append_log_compact(lh_catalog_journal(req->app->cat), &r, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, json_pack("{s:I,s:I,s:s}", "batches_merged", (json_int_t)r.batches_merged,
                                             "events", (json_int_t)r.events, "key", r.key));
}

const lh_route lh_routes_journal[] = {
    {"GET", "/journal/events", get_events, NULL, NULL, NULL},
    {"GET", "/journal/records/{dataset}/{key}", get_record, NULL, NULL, NULL},
    {"POST", "/journal/compact", post_compact, NULL, NULL, NULL},
};
const size_t lh_routes_journal_n = sizeof lh_routes_journal / sizeof lh_routes_journal[0];

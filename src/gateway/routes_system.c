/* gateway/routes_system.c — GET /health and GET /metrics.
 *
 * /health answers 200 while the primary bucket is reachable ("ok", or
 * "degraded" when another bucket is not) and 503 when the primary is not,
 * because without it nothing can be committed. It probes every bucket on
 * each call; probes are a stat locally and one cheap request on S3.
 */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "core/clock.h"
#include "engine/engine.h"

static int get_health(lh_req *req, lh_resp *resp)
{
    lh_app *app = req->app;
    json_t *buckets = json_array();
    int primary_ok = 1, all_ok = 1;
    for (size_t i = 0; i < lh_registry_count(app->reg); i++) {
        const lh_bucket_desc *d = lh_registry_desc(app->reg, i);
        int64_t us;
        lh_err e;
        int rc = lh_registry_probe(app->reg, i, &us, &e);
        json_t *b = json_pack("{s:s,s:s,s:b}", "name", d->name, "backend", d->backend, "reachable", rc == 0);
        if (rc) {
            json_object_set_new(b, "error", json_string(e.msg));
            all_ok = 0;
            if (d->is_primary) primary_ok = 0;
        }
        json_array_append_new(buckets, b);
    }
    const char *status = !primary_ok ? "down" : all_ok ? "ok" : "degraded";
    double uptime = (double)(lh_mono_us() - app->started_mono_us) / 1e6;
    json_t *o = json_pack("{s:s,s:s,s:s,s:f,s:o}", "status", status, "version", app->version,
                          "duckdb", lh_engine_library_version(), "uptime_s", uptime, "buckets", buckets);
    return lh_resp_json(resp, primary_ok ? 200 : 503, o);
}

static int get_metrics(lh_req *req, lh_resp *resp)
{
    lh_buf out = LH_BUF_INIT;
    lh_metrics_render(req->app->metrics, &out);
    lh_resp_text(resp, 200, "text/plain; version=0.0.4", out.data, out.len);
    lh_buf_free(&out);
    return 0;
}

const lh_route lh_routes_system[] = {
    {"GET", "/health", get_health, NULL, NULL, NULL},
    {"GET", "/metrics", get_metrics, NULL, NULL, NULL},
};
const size_t lh_routes_system_n = sizeof lh_routes_system / sizeof lh_routes_system[0];

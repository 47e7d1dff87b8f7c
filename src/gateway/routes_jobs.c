/* gateway/routes_jobs.c — GET /jobs and GET /jobs/{id}: background work. */
#include "gateway/app.h"
#include "gateway/routes.h"

static int get_jobs(lh_req *req, lh_resp *resp)
{
    return lh_resp_json(resp, 200, json_pack("{s:o}", "jobs", lh_jobs_list(req->app->jobs)));
}

static int get_job(lh_req *req, lh_resp *resp)
{
    lh_err e;
    json_t *o = lh_jobs_status(req->app->jobs, lh_req_param(req, "id"), &e);
    if (!o) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, o);
}

const lh_route lh_routes_jobs[] = {
    {"GET", "/jobs", get_jobs, NULL, NULL, NULL},
    {"GET", "/jobs/{id}", get_job, NULL, NULL, NULL},
};
const size_t lh_routes_jobs_n = sizeof lh_routes_jobs / sizeof lh_routes_jobs[0];

/* Unit tests: gateway/router — patterns, parameters, catch-all, 405, HEAD. */
#include "testing.h"
#include "gateway/router.h"

static int h(lh_req *req, lh_resp *resp) { (void)req; (void)resp; return 0; }

static const lh_route ROUTES[] = {
    {"GET", "/health", h, NULL, NULL, NULL},
    {"GET", "/storage/buckets/{bucket}/objects", h, NULL, NULL, NULL},
    {"GET", "/storage/buckets/{bucket}/objects/{*key}", h, NULL, NULL, NULL},
    {"PUT", "/storage/buckets/{bucket}/objects/{*key}", h, NULL, NULL, NULL},
    {"HEAD", "/only/head", h, NULL, NULL, NULL},
    {"POST", "/x/{a}/y/{b}", h, NULL, NULL, NULL},
};

static int match(lh_router *r, const char *method, const char *path, lh_req *req, char *allow)
{
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = path;
    return lh_router_match(r, req, allow, 128);
}

static void test_matching(void)
{
    lh_router *r = lh_router_new();
    lh_router_add(r, ROUTES, sizeof ROUTES / sizeof ROUTES[0]);
    lh_req req;
    char allow[128];

    CHECK_INT(match(r, "GET", "/health", &req, allow), 0);
    CHECK(req.route == &ROUTES[0]);
    CHECK_INT(match(r, "GET", "/health/", &req, allow), LH_ENOTFOUND);
    CHECK_INT(match(r, "GET", "/healthz", &req, allow), LH_ENOTFOUND);
    CHECK_INT(match(r, "GET", "", &req, allow), LH_ENOTFOUND);

    CHECK_INT(match(r, "GET", "/storage/buckets/primary/objects", &req, allow), 0);
    CHECK(req.route == &ROUTES[1]);
    CHECK_STR(lh_req_param(&req, "bucket"), "primary");
    lh_req_params_free(&req);

    CHECK_INT(match(r, "GET", "/storage/buckets/primary/objects/a/b/c.parquet", &req, allow), 0);
    CHECK(req.route == &ROUTES[2]);
    CHECK_STR(lh_req_param(&req, "bucket"), "primary");
    CHECK_STR(lh_req_param(&req, "key"), "a/b/c.parquet");
    CHECK(lh_req_param(&req, "nope") == NULL);
    lh_req_params_free(&req);

    /* the catch-all keeps what key validation must see: dots, empty segments */
    CHECK_INT(match(r, "GET", "/storage/buckets/p/objects/../x//y/", &req, allow), 0);
    CHECK_STR(lh_req_param(&req, "key"), "../x//y/");
    lh_req_params_free(&req);
    CHECK_INT(match(r, "GET", "/storage/buckets/p/objects/", &req, allow), LH_ENOTFOUND);
    CHECK_INT(match(r, "GET", "/storage/buckets//objects/k", &req, allow), LH_ENOTFOUND);

    CHECK_INT(match(r, "DELETE", "/storage/buckets/p/objects/k", &req, allow), LH_EMETHOD);
    CHECK_STR(allow, "GET, PUT");
    CHECK_INT(match(r, "POST", "/health", &req, allow), LH_EMETHOD);
    CHECK_STR(allow, "GET");

    /* HEAD falls back to GET; an explicit HEAD route wins */
    CHECK_INT(match(r, "HEAD", "/health", &req, allow), 0);
    CHECK(req.route == &ROUTES[0]);
    CHECK_INT(match(r, "HEAD", "/only/head", &req, allow), 0);
    CHECK(req.route == &ROUTES[4]);

    CHECK_INT(match(r, "POST", "/x/1/y/2", &req, allow), 0);
    CHECK_STR(lh_req_param(&req, "a"), "1");
    CHECK_STR(lh_req_param(&req, "b"), "2");
    lh_req_params_free(&req);
    CHECK_INT(match(r, "POST", "/x/1/y", &req, allow), LH_ENOTFOUND);
    CHECK_INT(match(r, "POST", "/x/1/y/2/3", &req, allow), LH_ENOTFOUND);
    lh_router_free(r);
}

int main(void)
{
    RUN(test_matching);
    return TEST_SUMMARY();
}

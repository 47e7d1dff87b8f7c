/* gateway/router.c — path matching (see router.h). A linear scan over a
 * few dozen routes costs less than the request parsing around it. */
#include "gateway/router.h"

#include <stdlib.h>
#include <string.h>

struct lh_router {
    const lh_route **routes;
    size_t           n;
};

lh_router *lh_router_new(void) { return lh_xcalloc(1, sizeof(lh_router)); }

void lh_router_free(lh_router *r)
{
    if (!r) return;
    free(r->routes);
    free(r);
}

void lh_router_add(lh_router *r, const lh_route *routes, size_t n)
{
    r->routes = lh_xrealloc(r->routes, (r->n + n) * sizeof *r->routes);
    for (size_t i = 0; i < n; i++) r->routes[r->n++] = &routes[i];
}

void lh_req_params_free(lh_req *req)
{
    for (int i = 0; i < req->n_params; i++) free(req->param_values[i]);
    req->n_params = 0;
}

/* Try one pattern against path; on a match record params in req. */
static int match_one(const char *pat, const char *path, lh_req *req)
{
    lh_req_params_free(req);
    const char *p = pat, *s = path;
    while (*p) {
        if (*p != '/' || *s != '/') return 0;
        p++, s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = strchr(s, '/');
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            int rest = p[1] == '*';
            size_t take = rest ? strlen(s) : slen;
            if (take == 0 || req->n_params == LH_MAX_PARAMS) return 0;
            /* Names point into the static pattern; store them without braces. */
            req->param_names[req->n_params] = p + 1 + rest;
            req->param_values[req->n_params] = lh_xstrndup(s, take);
            req->n_params++;
            if (rest) return 1;
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    return *s == '\0';
}

int lh_router_match(const lh_router *r, lh_req *req, char *allow, size_t allowsz)
{
    size_t alen = 0;
    allow[0] = '\0';
    const lh_route *get_fallback = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const lh_route *rt = r->routes[i];
        if (!match_one(rt->pattern, req->path, req)) continue;
        if (!strcmp(rt->method, req->method)) {
            req->route = rt;
            return 0;
        }
        if (!get_fallback && !strcmp(req->method, "HEAD") && !strcmp(rt->method, "GET")) get_fallback = rt;
        if (!strstr(allow, rt->method) && alen + strlen(rt->method) + 3 < allowsz)
            alen += (size_t)snprintf(allow + alen, allowsz - alen, "%s%s", alen ? ", " : "", rt->method);
    }
    if (get_fallback) {
        match_one(get_fallback->pattern, req->path, req);
        req->route = get_fallback;
        return 0;
    }
    lh_req_params_free(req);
    return alen ? LH_EMETHOD : LH_ENOTFOUND;
}

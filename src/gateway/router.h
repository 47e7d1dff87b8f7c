/* gateway/router.h — matching a method and path to a route.
 *
 * Patterns are literal segments, {name} (one non-empty segment) and a final
 * {*name} (the non-empty rest of the path, slashes included). Matching is
 * segment by segment on the decoded path; the first route in table order
 * wins. A path that matches some route under another method yields 405
 * with the Allow list; HEAD falls back to the GET route when no HEAD route
 * exists.
 */
#ifndef LH_GATEWAY_ROUTER_H
#define LH_GATEWAY_ROUTER_H

#include "gateway/http.h"

#include <stddef.h>

typedef struct lh_router lh_router;

lh_router *lh_router_new(void);
void       lh_router_free(lh_router *r);
/* Add a table of routes (not copied: it must outlive the router). */
void       lh_router_add(lh_router *r, const lh_route *routes, size_t n);

/* Match; on success fills req->route and params (freed by lh_req_params_free).
 * Returns 0, LH_ENOTFOUND, or LH_EMETHOD with `allow` filled. */
int  lh_router_match(const lh_router *r, lh_req *req, char *allow, size_t allowsz);
void lh_req_params_free(lh_req *req);

#endif

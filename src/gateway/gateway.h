/* gateway/gateway.h — the HTTP gateway (ADR-007): one process, one port.
 *
 * libmicrohttpd runs a pool of server.threads worker threads; each request
 * is routed (router.h) to a thin handler in a routes_<area>.c file. The
 * gateway owns request ids, body limits, error bodies, metrics and the
 * access log, so handlers hold only their area's logic.
 *
 * Shutdown is graceful: lh_gateway_stop stops accepting, lets in-flight
 * requests finish for up to timeout_ms, then closes every connection.
 */
#ifndef LH_GATEWAY_GATEWAY_H
#define LH_GATEWAY_GATEWAY_H

#include "core/err.h"
#include "gateway/app.h"

#include <stdint.h>

typedef struct lh_gateway lh_gateway;

int      lh_gateway_start(lh_app *app, lh_gateway **out, lh_err *err);
uint16_t lh_gateway_port(const lh_gateway *gw);
void     lh_gateway_stop(lh_gateway *gw, int64_t timeout_ms);

#endif

/* gateway/metrics.h — request metrics in Prometheus text format.
 *
 * Counted per (route pattern, method, status) — the pattern, not the raw
 * path, so object keys do not explode the series count — plus one latency
 * histogram per route and an in-flight gauge. Thread-safe.
 */
#ifndef LH_GATEWAY_METRICS_H
#define LH_GATEWAY_METRICS_H

#include "core/buf.h"

typedef struct lh_metrics lh_metrics;

lh_metrics *lh_metrics_new(void);
void        lh_metrics_free(lh_metrics *m);
void        lh_metrics_inflight(lh_metrics *m, int delta);
long        lh_metrics_inflight_now(lh_metrics *m);
void        lh_metrics_observe(lh_metrics *m, const char *route, const char *method, int status,
                               double seconds);
void        lh_metrics_render(lh_metrics *m, lh_buf *out);

#endif

/* gateway/app.h — what every handler can reach: the running application.
 *
 * One lh_app per process, built by `lakehouse serve` and immutable after
 * start except for the objects that carry their own locks (registry,
 * metrics). Later modules (catalog, query, vectors) hang off here.
 */
#ifndef LH_GATEWAY_APP_H
#define LH_GATEWAY_APP_H

#include "core/config.h"
#include "gateway/metrics.h"
#include "storage/registry.h"

#include <stdint.h>

typedef struct lh_app lh_app;

struct lh_app {
    const lh_config *cfg;
    lh_registry     *reg;
    lh_metrics      *metrics;
    int64_t          started_mono_us;
    const char      *version;
};

#endif

/* gateway/app.h — the running application: what every handler can reach.
 *
 * One lh_app per process, built by lh_app_open for `lakehouse serve` and
 * for CLI commands that work on a data directory directly when no server
 * runs. Start-up order is dependency order: buckets, the internal engine,
 * the catalog (loaded from the bucket), the query service (views, then
 * lockdown), jobs, the vector indexes. Everything here carries its own locks.
 */
#ifndef LH_GATEWAY_APP_H
#define LH_GATEWAY_APP_H

#include "ai/ai.h"
#include "catalog/catalog.h"
#include "core/config.h"
#include "core/jobs.h"
#include "gateway/metrics.h"
#include "query/query.h"
#include "storage/registry.h"
#include "vector/service.h"
#include "tables/tables.h"

#include <stdint.h>

typedef struct lh_app lh_app;

struct lh_app {
    const lh_config  *cfg;
    lh_registry      *reg;
    lh_engine        *engine;    /* internal: ingest, manifests */
    lh_catalog       *cat;
    lh_query_service *query;
    lh_vectors       *vectors;
    lh_tables        *tables;
    lh_jobs          *jobs;
    lh_metrics       *metrics;
    lh_ai            *ai;        /* embedding profiles; the built-in model opens on first use */
    int64_t           started_mono_us;
    const char       *version;
    char             *scratch_dir;
};

/* Open everything; on failure nothing stays open. */
int  lh_app_open(const lh_config *cfg, const char *version, lh_app **out, lh_err *err);
/* Waits for running jobs, then closes in reverse order. */
void lh_app_close(lh_app *app);

#endif

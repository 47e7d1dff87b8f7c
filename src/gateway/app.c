/* gateway/app.c — building and tearing down the application (see app.h). */
#include "gateway/app.h"
#include "gateway/ai_bridge.h"
#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The scratch directory: configured, or inside the primary's private
 * area when it is local (same filesystem as the data, so no cross-device
 * copies), or the system temporary directory. */
static char *scratch_dir(const lh_config *cfg, lh_registry *reg)
{
    if (cfg->ingest_scratch_dir[0]) return lh_xstrdup(cfg->ingest_scratch_dir);
    const char *root = lh_objstore_local_root(lh_registry_primary(reg));
    lh_buf b = LH_BUF_INIT;
    if (root) {
        lh_buf_printf(&b, "%s/.lakehouse", root);
        mkdir(b.data, 0700);
        lh_buf_puts(&b, "/scratch");
    } else {
        const char *t = getenv("TMPDIR");
        lh_buf_printf(&b, "%s/lakehouse-scratch", t && *t ? t : "/tmp");
    }
    return lh_buf_detach(&b);
}

int lh_app_open(const lh_config *cfg, const char *version, lh_app **out, lh_err *err)
{
    *out = NULL;
    lh_app *app = lh_xcalloc(1, sizeof *app);
    app->cfg = cfg;
    app->version = version;
    app->started_mono_us = lh_mono_us();
    app->metrics = lh_metrics_new();
    app->jobs = lh_jobs_new((size_t)cfg->ingest_max_jobs_kept);
    int rc = lh_registry_open(cfg, &app->reg, err);
    if (rc) { lh_err_prefix(err, "storage"); goto fail; }
    app->scratch_dir = scratch_dir(cfg, app->reg);
    lh_engine_opts eo = {.threads = cfg->engine_threads, .memory_limit = cfg->engine_memory_limit,
                         .temp_dir = app->scratch_dir, .bulk_writes = 1};
    if ((rc = lh_engine_open(&eo, &app->engine, err))) { lh_err_prefix(err, "engine"); goto fail; }
    lh_catalog_opts co = {.reg = app->reg, .engine = app->engine, .scratch_dir = app->scratch_dir};
    if ((rc = lh_catalog_open(&co, &app->cat, err))) { lh_err_prefix(err, "catalog"); goto fail; }
    lh_query_opts qo = {.cat = app->cat, .threads = cfg->engine_threads, .memory_limit = cfg->engine_memory_limit,
                        .temp_dir = app->scratch_dir};
    if ((rc = lh_query_open(&qo, &app->query, err))) { lh_err_prefix(err, "query"); goto fail; }
    lh_ai_opts ao = {.model_dir = cfg->ai_model_dir, .threads = (int)cfg->ai_threads,
                     .cache_entries = (size_t)cfg->ai_cache_entries, .profiles = cfg->ai_profiles,
                     .n_profiles = cfg->n_ai_profiles, .generate_model = cfg->ai_generate_model,
                     .generate_endpoint = cfg->ai_generate_endpoint,
                     .generate_timeout_ms = cfg->ai_generate_timeout_ms};
    if ((rc = lh_ai_new(&ao, &app->ai, err))) { lh_err_prefix(err, "ai"); goto fail; }
    lh_buf vcache = LH_BUF_INIT;
    lh_buf_printf(&vcache, "%s/vectors", app->scratch_dir);
    mkdir(vcache.data, 0700);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    lh_vectors_opts vo = {.cat = app->cat, .query = app->query, .jobs = app->jobs, .cache_dir = vcache.data,
                          .build_threads = cfg->vectors_build_threads ? (int)cfg->vectors_build_threads
                                                                      : (int)(cores > 0 ? cores : 1),
                          .max_vectors = (size_t)cfg->vectors_max_vectors,
                          .embedder = lh_ai_bridge_embedder(app->ai)};
    rc = lh_vectors_open(&vo, &app->vectors, err);
    lh_buf_free(&vcache);
    if (rc) { lh_err_prefix(err, "vectors"); goto fail; }
    lh_tables_opts to = {.cat = app->cat, .auto_compact_deltas = cfg->tables_auto_compact_deltas,
                         .auto_compact_bytes = cfg->tables_auto_compact_delta_bytes,
                         .retention_hours = cfg->tables_retention_hours, .threads = cfg->engine_threads};
    if ((rc = lh_tables_open(&to, &app->tables, err))) { lh_err_prefix(err, "tables"); goto fail; }
    *out = app;
    return 0;
fail:
    lh_app_close(app);
    return rc;
}

void lh_app_close(lh_app *app)
{
    if (!app) return;
    lh_jobs_free(app->jobs);  /* waits for running jobs */
    lh_vectors_free(app->vectors);  /* before the AI service its embedder uses */
    lh_ai_free(app->ai);
    lh_tables_free(app->tables);
    lh_query_free(app->query);
    lh_catalog_free(app->cat);
    lh_engine_free(app->engine);
    lh_registry_free(app->reg);
    lh_metrics_free(app->metrics);
    free(app->scratch_dir);
    free(app);
}

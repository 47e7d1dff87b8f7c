/* bench/bench_tables.c — merge-on-read cost and compaction speed (ADR-009).
 *
 * A table of LH_BENCH_ROWS rows (default 1,000,000; id primary key) gets
 * upserts of 1% of its rows each (half existing keys changed, half new).
 * Query latency through the real query service (the dataset's view,
 * locked-down engine, JSON encoding) is measured with 0, 10 and 100 deltas
 * and again after compaction, for a full scan with aggregation and for a
 * point lookup; then compaction's rows/s. Medians of LH_BENCH_RUNS (default
 * 5) runs after a warm-up. Everything runs in-process on a temporary data
 * directory (no HTTP: this measures the storage layout, not the gateway).
 */
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/app.h"
#include "ingest/ingest.h"
#include "tables/tables.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double query_ms(lh_app *app, const char *sql, int runs)
{
    double t[64];
    if (runs > 64) runs = 64;
    for (int i = -1; i < runs; i++) {
        int64_t t0 = lh_mono_us();
        lh_query_req q = {.sql = sql, .format = LH_QFMT_JSON, .limit = 1000, .timeout_ms = 600000,
                          .max_bytes = 1 << 30};
        lh_query_run *run;
        lh_err e;
        if (lh_query_start(app->query, &q, &run, &e)) { fprintf(stderr, "query: %s\n", e.msg); exit(1); }
        char buf[65536];
        while (lh_query_read(run, buf, sizeof buf) > 0) {}
        lh_query_run_free(run);
        if (i >= 0) t[i] = (double)(lh_mono_us() - t0) / 1000.0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    return runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
}

static void sql_exec(lh_app *app, const char *sql)
{
    lh_engine_conn *c;
    lh_err e;
    if (lh_engine_connect(app->engine, &c, &e) || lh_engine_exec(c, sql, &e)) {
        fprintf(stderr, "%s: %s\n", sql, e.msg);
        exit(1);
    }
    lh_engine_conn_free(c);
}

static const char *SCAN = "SELECT count(*), sum(score), count(DISTINCT city) FROM bench";
static const char *POINT = "SELECT * FROM bench WHERE id = 424242";

static void measure(lh_app *app, const char *label, int runs)
{
    printf("  %-22s scan+aggregate %8.1f ms   point lookup %8.1f ms\n", label, query_ms(app, SCAN, runs),
           query_ms(app, POINT, runs));
    fflush(stdout);
}

int main(void)
{
    int64_t rows = getenv("LH_BENCH_ROWS") ? atoll(getenv("LH_BENCH_ROWS")) : 1000000;
    int runs = getenv("LH_BENCH_RUNS") ? atoi(getenv("LH_BENCH_RUNS")) : 5;
    if (rows < 1000) rows = 1000;
    if (runs < 1) runs = 1;
    lh_log_set_level(getenv("LH_BENCH_DEBUG") ? LH_LOG_DEBUG : LH_LOG_WARN);
    char tmp[] = "/tmp/lh-bench-tables-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    lh_config *cfg;
    lh_err e;
    char root[128];
    snprintf(root, sizeof root, "%s/data", tmp);
    if (lh_config_load(NULL, &cfg, &e) || lh_config_set(cfg, "buckets.primary.root", root, LH_SRC_FLAG, &e) ||
        lh_config_set(cfg, "tables.auto_compact_deltas", "0", LH_SRC_FLAG, &e) ||
        lh_config_set(cfg, "tables.auto_compact_delta_bytes", "0", LH_SRC_FLAG, &e)) {
        fprintf(stderr, "config: %s\n", e.msg);
        return 1;
    }
    lh_app *app;
    if (lh_app_open(cfg, "bench", &app, &e)) { fprintf(stderr, "open: %s\n", e.msg); return 1; }

    /* the base table */
    char path[256], sql[1024];
    snprintf(path, sizeof path, "%s/base.parquet", tmp);
    snprintf(sql, sizeof sql,
             "COPY (SELECT range::BIGINT AS id, 'person ' || range AS name, (range * 7919 %% 1000)::BIGINT AS score, "
             "['Chicago','Denver','Austin','Boston','Miami'][range %% 5 + 1] AS city, DATE '2020-01-01' + "
             "(range %% 2000)::INTEGER AS joined FROM range(%" PRId64 ")) TO '%s' (FORMAT parquet)", rows, path);
    sql_exec(app, sql);
    char sha[65];
    uint64_t bytes;
    lh_file_sha256(path, sha, &bytes, &e);
    json_t *pk = json_pack("[s]", "id"), *res;
    lh_ingest_req req = {.dataset = "bench", .format = LH_FMT_PARQUET, .mode = LH_MODE_CREATE, .path = path,
                         .bytes = bytes, .sha256 = sha, .source_system = "bench", .actor = "bench",
                         .primary_key = pk};
    int64_t t0 = lh_mono_us();
    if (lh_ingest_file(app->cat, &req, NULL, &res, &e)) { fprintf(stderr, "ingest: %s\n", e.msg); return 1; }
    json_decref(res);
    printf("bench_tables: %" PRId64 " rows (ingested with primary key in %.0f ms); upserts of 1%% = %" PRId64
           " rows each\n", rows, (double)(lh_mono_us() - t0) / 1000.0, rows / 100);
    measure(app, "0 deltas", runs);

    /* 1% upserts: half existing keys with a new score, half new keys */
    int64_t per = rows / 100;
    double upsert_ms_total = 0;
    int n_upserts = 0;
    lh_tables_actor who = {.actor = "bench", .source = "bench"};
    for (int d = 1; d <= 100; d++) {
        snprintf(path, sizeof path, "%s/delta.parquet", tmp);
        snprintf(sql, sizeof sql,
                 "COPY (SELECT CASE WHEN range %% 2 = 0 THEN (hash(range, %d) %% %" PRId64 ")::BIGINT ELSE %" PRId64
                 " + %d * %" PRId64 " + range END AS id, 'person ' || range AS name, ((range + %d) %% 1000)::BIGINT AS "
                 "score, 'Denver' AS city, DATE '2026-01-01' AS joined FROM range(%" PRId64 ")) TO '%s' (FORMAT parquet)",
                 d, rows, rows, d, per, d, per, path);
        sql_exec(app, sql);
        t0 = lh_mono_us();
        if (lh_tables_upsert_parquet(app->tables, "bench", path, &who, &res, &e)) {
            fprintf(stderr, "upsert %d: %s\n", d, e.msg);
            return 1;
        }
        upsert_ms_total += (double)(lh_mono_us() - t0) / 1000.0;
        n_upserts++;
        json_decref(res);
        if (d == 10) {
            printf("  upsert of %" PRId64 " rows (delta write + commit + field journal): %.0f ms on average\n", per,
                   upsert_ms_total / n_upserts);
            measure(app, "10 deltas", runs);
        }
    }
    printf("  upsert of %" PRId64 " rows, average over 100: %.0f ms\n", per, upsert_ms_total / n_upserts);
    measure(app, "100 deltas", runs);

    if (lh_tables_compact(app->tables, "bench", &who, &res, &e)) { fprintf(stderr, "compact: %s\n", e.msg); return 1; }
    printf("  compaction: %" PRId64 " rows from 1 base + 100 deltas in %.0f ms = %.0f rows/s\n",
           (int64_t)json_integer_value(json_object_get(res, "rows")),
           json_real_value(json_object_get(res, "elapsed_ms")), json_real_value(json_object_get(res, "rows_per_s")));
    json_decref(res);
    measure(app, "after compaction", runs);

    json_decref(pk);
    lh_app_close(app);
    lh_config_free(cfg);
    snprintf(sql, sizeof sql, "rm -rf %s", tmp);
    if (system(sql)) {}
    return 0;
}

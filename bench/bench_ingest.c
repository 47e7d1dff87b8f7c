/* bench/bench_ingest.c — CSV to Parquet: the full ingest path against
 * DuckDB's own COPY on the same files, in the same run.
 *
 * For each demo table (generated at LH_BENCH_SCALE, default 1.0) it times
 *   lakehouse: lh_ingest_file — sniff, normalise, convert to zstd Parquet,
 *              store the object, classify, commit the manifest;
 *   duckdb:    COPY (SELECT * FROM read_csv(file)) TO file.parquet (zstd)
 * and prints rows/s, MB/s (of CSV input) and the time ratio. Each side runs
 * LH_BENCH_REPS times (default 3); the best run counts.
 */
#include "cli/demo_gen.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/app.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static double env_d(const char *k, double def)
{
    const char *v = getenv(k);
    return v && *v ? atof(v) : def;
}

int main(void)
{
    double scale = env_d("LH_BENCH_SCALE", 1.0);
    int reps = (int)env_d("LH_BENCH_REPS", 3);
    char dir[] = "/tmp/lh-bench-ingest-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    lh_log_set_level(LH_LOG_WARN);
    char csvdir[600], datadir[600];
    snprintf(csvdir, sizeof csvdir, "%s/csv", dir);
    snprintf(datadir, sizeof datadir, "%s/data", dir);
    mkdir(csvdir, 0700);
    lh_demo_result demo;
    lh_err e;
    int64_t t0 = lh_mono_us();
    if (lh_demo_generate(csvdir, scale, LH_DEMO_SEED, &demo, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    printf("bench_ingest: demo scale %.3g: %llu rows generated in %.1f s; best of %d runs\n", scale,
           (unsigned long long)demo.total_rows, (double)(lh_mono_us() - t0) / 1e6, reps);

    lh_config *cfg;
    lh_config_load(NULL, &cfg, &e);
    lh_config_set(cfg, "buckets.primary.root", datadir, LH_SRC_FLAG, &e);
    lh_app *app;
    if (lh_app_open(cfg, "bench", &app, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    lh_engine_conn *raw;
    lh_engine_connect(app->engine, &raw, &e);

    printf("%-12s %10s %9s | %10s %8s %7s | %10s %8s | %6s\n", "table", "rows", "csv MB", "lh s", "rows/s", "MB/s",
           "duckdb s", "rows/s", "ratio");
    double tot_lh = 0, tot_dk = 0, tot_mb = 0;
    uint64_t tot_rows = 0;
    for (size_t i = 0; i < demo.n; i++) {
        lh_demo_table *t = &demo.tables[i];
        double mb = (double)t->bytes / 1e6;
        char sha[65];
        uint64_t bytes;
        lh_file_sha256(t->path, sha, &bytes, &e);
        double best_lh = 1e99, best_dk = 1e99;
        for (int r = 0; r < reps; r++) {
            lh_ingest_req q = {.dataset = t->name, .format = LH_FMT_CSV, .mode = LH_MODE_REPLACE, .path = t->path,
                               .bytes = bytes, .sha256 = sha, .file_name = t->name, .source_system = "bench",
                               .actor = "bench"};
            json_t *res;
            int64_t a = lh_mono_us();
            if (lh_ingest_file(app->cat, &q, NULL, &res, &e)) { fprintf(stderr, "ingest %s: %s\n", t->name, e.msg); return 1; }
            double s = (double)(lh_mono_us() - a) / 1e6;
            json_decref(res);
            if (s < best_lh) best_lh = s;

            lh_buf sql = LH_BUF_INIT, out = LH_BUF_INIT;
            lh_buf_printf(&out, "%s/raw-%s.parquet", dir, t->name);
            lh_buf_puts(&sql, "SELECT * FROM read_csv(");
            lh_sql_quote_literal(&sql, t->path);
            lh_buf_puts(&sql, ")");
            a = lh_mono_us();
            if (lh_parquet_write(raw, sql.data, out.data, NULL, &e)) { fprintf(stderr, "copy %s: %s\n", t->name, e.msg); return 1; }
            s = (double)(lh_mono_us() - a) / 1e6;
            if (s < best_dk) best_dk = s;
            unlink(out.data);
            lh_buf_free(&sql);
            lh_buf_free(&out);
        }
        printf("%-12s %10llu %9.1f | %10.3f %8.0f %7.1f | %10.3f %8.0f | %6.2f\n", t->name, (unsigned long long)t->rows,
               mb, best_lh, (double)t->rows / best_lh, mb / best_lh, best_dk, (double)t->rows / best_dk, best_lh / best_dk);
        tot_lh += best_lh;
        tot_dk += best_dk;
        tot_mb += mb;
        tot_rows += t->rows;
    }
    printf("%-12s %10llu %9.1f | %10.3f %8.0f %7.1f | %10.3f %8.0f | %6.2f\n", "total", (unsigned long long)tot_rows,
           tot_mb, tot_lh, (double)tot_rows / tot_lh, tot_mb / tot_lh, tot_dk, (double)tot_rows / tot_dk, tot_lh / tot_dk);
    printf("ratio = lakehouse ingest time / DuckDB COPY time on the same CSV (lower is better; the ingest also\n"
           "sniffs headers, classifies PII, stores the object durably and commits a manifest)\n");
    lh_engine_conn_free(raw);
    lh_app_close(app);
    lh_config_free(cfg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) ? 1 : 0;
}

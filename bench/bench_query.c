/* bench/bench_query.c — five staffing analytics queries three ways, in one run:
 *
 *   lakehouse: POST /query/sql on a real `lakehouse serve` (HTTP, JSON, whole
 *              result read by the client);
 *   duckdb:    the same SQL on a plain DuckDB over the same Parquet files;
 *   postgres:  the same SQL on a PostgreSQL 15 server started here, loaded
 *              from the same CSVs (COPY) and ANALYZEd.
 *
 * Prints the median of LH_BENCH_RUNS (default 5) runs after one warm-up,
 * and the ratios lakehouse/duckdb (goal <= 1.05) and lakehouse/postgres.
 * LH_BENCH_SCALE (default 1.0) sets the demo size; LH_BINARY the server.
 */
#include "server.h"
#include "cli/client.h"
#include "cli/demo_gen.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/app.h"
#include "ingest/ingest.h"

#include "pg.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct { const char *name, *sql; } QUERIES[] = {
    {"q1 join+group: placements and margin by industry",
     "SELECT cl.industry, count(*) AS placements, avg(p.bill_rate - p.pay_rate) AS avg_margin "
     "FROM placements p JOIN job_orders j ON j.job_order_id = p.job_order_id "
     "JOIN clients cl ON cl.client_id = j.client_id GROUP BY cl.industry ORDER BY placements DESC, cl.industry"},
    {"q2 big join+group: hours and billing by month",
     "SELECT date_trunc('month', t.week_ending) AS month, sum(t.regular_hours + t.overtime_hours) AS hours, "
     "sum((t.regular_hours + 1.5 * t.overtime_hours) * p.bill_rate) AS billed "
     "FROM timesheets t JOIN placements p ON p.placement_id = t.placement_id GROUP BY 1 ORDER BY 1"},
    {"q3 top-k: candidates by hours worked",
     "SELECT c.candidate_id, c.first_name, c.last_name, sum(t.regular_hours + t.overtime_hours) AS hours "
     "FROM timesheets t JOIN placements p ON p.placement_id = t.placement_id "
     "JOIN candidates c ON c.candidate_id = p.candidate_id "
     "GROUP BY c.candidate_id, c.first_name, c.last_name ORDER BY hours DESC, c.candidate_id LIMIT 10"},
    {"q4 window: recruiter rank per stage",
     "SELECT recruiter, stage, n, rank() OVER (PARTITION BY stage ORDER BY n DESC, recruiter) AS rnk "
     "FROM (SELECT recruiter, stage, count(*) AS n FROM submissions GROUP BY recruiter, stage) s "
     "ORDER BY stage, rnk LIMIT 50"},
    {"q5 funnel: submissions and placements by city",
     "SELECT j.city, count(*) AS submissions, count(*) FILTER (WHERE s.stage = 'placed') AS placed "
     "FROM submissions s JOIN job_orders j ON j.job_order_id = s.job_order_id "
     "GROUP BY j.city ORDER BY submissions DESC, j.city LIMIT 20"},
};
#define NQ (sizeof QUERIES / sizeof QUERIES[0])

static double env_d(const char *k, double def)
{
    const char *v = getenv(k);
    return v && *v ? atof(v) : def;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

static const char *pg_type(const char *t)
{
    if (!strcmp(t, "BIGINT") || !strcmp(t, "INTEGER")) return "bigint";
    if (!strcmp(t, "DOUBLE")) return "double precision";
    if (!strcmp(t, "BOOLEAN")) return "boolean";
    if (!strcmp(t, "DATE")) return "date";
    if (!strncmp(t, "TIMESTAMP", 9)) return "timestamp";
    return "text";
}

/* ---- the three runners ---- */

static double run_http(const char *base, const char *sql)
{
    json_t *b = json_pack("{s:s,s:i}", "sql", sql, "limit", 1000000);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    lh_client_resp r;
    lh_err e;
    int64_t t = lh_mono_us();
    int rc = lh_client_request(base, "POST", "/query/sql", "application/json", body, strlen(body), &r, &e);
    double s = (double)(lh_mono_us() - t) / 1e6;
    if (rc || r.status != 200) { fprintf(stderr, "http query failed: %s %.300s\n", rc ? e.msg : "", r.body.data ? r.body.data : ""); exit(1); }
    free(body);
    lh_client_resp_free(&r);
    return s;
}

static double run_duckdb(lh_engine_conn *c, const char *sql)
{
    lh_engine_result *res;
    lh_chunk *ch;
    lh_err e;
    int64_t t = lh_mono_us();
    if (lh_engine_query(c, sql, &res, &e)) { fprintf(stderr, "duckdb: %s\n", e.msg); exit(1); }
    while (lh_result_next(res, &ch, &e) == 0 && ch) lh_chunk_free(ch);
    lh_result_free(res);
    return (double)(lh_mono_us() - t) / 1e6;
}

static double run_pg(PGconn *pg, const char *sql)
{
    int64_t t = lh_mono_us();
    PGresult *r = PQexec(pg, sql);
    double s = (double)(lh_mono_us() - t) / 1e6;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) { fprintf(stderr, "postgres: %s\n", PQerrorMessage(pg)); exit(1); }
    PQclear(r);
    return s;
}

/* ---- set-up ---- */

static int load_pg(PGconn *pg, lh_app *app, const lh_demo_result *demo)
{
    for (size_t i = 0; i < demo->n; i++) {
        lh_err e;
        lh_dataset *ds = lh_catalog_get(app->cat, demo->tables[i].name, &e);
        lh_column *cols;
        size_t nc = lh_dataset_columns(ds, &cols);
        lh_buf ddl = LH_BUF_INIT;
        lh_buf_printf(&ddl, "CREATE TABLE %s (", ds->name);
        for (size_t k = 0; k < nc; k++) lh_buf_printf(&ddl, "%s\"%s\" %s", k ? ", " : "", cols[k].name, pg_type(cols[k].type));
        lh_buf_puts(&ddl, ")");
        PGresult *r = PQexec(pg, ddl.data);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) { fprintf(stderr, "pg: %s\n", PQerrorMessage(pg)); return -1; }
        PQclear(r);
        lh_buf_reset(&ddl);
        lh_buf_printf(&ddl, "COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", ds->name);
        r = PQexec(pg, ddl.data);
        PQclear(r);
        FILE *f = fopen(demo->tables[i].path, "rb");
        char buf[1 << 16];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) PQputCopyData(pg, buf, (int)got);
        fclose(f);
        PQputCopyEnd(pg, NULL);
        r = PQgetResult(pg);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) { fprintf(stderr, "pg copy %s: %s\n", ds->name, PQerrorMessage(pg)); return -1; }
        PQclear(r);
        while ((r = PQgetResult(pg))) PQclear(r);
        lh_buf_free(&ddl);
        lh_columns_free(cols, nc);
        lh_dataset_unref(ds);
    }
    PQclear(PQexec(pg, "ANALYZE"));
    return 0;
}

int main(void)
{
    double scale = env_d("LH_BENCH_SCALE", 1.0);
    int runs = (int)env_d("LH_BENCH_RUNS", 5);
    const char *bin = getenv("LH_BINARY") ? getenv("LH_BINARY") : "build/lakehouse";
    lh_log_set_level(LH_LOG_WARN);
    char dir[] = "/tmp/lh-bench-query-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    chmod(dir, 0755);
    char csvdir[128], datadir[128], cmd[400];
    snprintf(csvdir, sizeof csvdir, "%s/csv", dir);
    snprintf(datadir, sizeof datadir, "%s/data", dir);
    mkdir(csvdir, 0755);

    lh_demo_result demo;
    lh_err e;
    if (lh_demo_generate(csvdir, scale, LH_DEMO_SEED, &demo, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    lh_config *cfg;
    lh_config_load(NULL, &cfg, &e);
    lh_config_set(cfg, "buckets.primary.root", datadir, LH_SRC_FLAG, &e);
    lh_app *app;
    if (lh_app_open(cfg, "bench", &app, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    for (size_t i = 0; i < demo.n; i++) {
        char sha[65];
        uint64_t bytes;
        lh_file_sha256(demo.tables[i].path, sha, &bytes, &e);
        lh_ingest_req q = {.dataset = demo.tables[i].name, .format = LH_FMT_CSV, .mode = LH_MODE_REPLACE,
                           .path = demo.tables[i].path, .bytes = bytes, .sha256 = sha, .actor = "bench"};
        json_t *res;
        if (lh_ingest_file(app->cat, &q, NULL, &res, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        json_decref(res);
    }

    /* PostgreSQL: its own cluster in the temp dir, unix socket only (no port) */
    char conninfo[256];
    PGconn *pg = bench_pg_start(dir, conninfo, sizeof conninfo);
    if (!pg) return 1;
    if (load_pg(pg, app, &demo)) return 1;

    /* plain DuckDB over the same files */
    lh_engine *raw;
    lh_engine_opts eo = {0};
    lh_engine_open(&eo, &raw, &e);
    lh_engine_conn *rc;
    lh_engine_connect(raw, &rc, &e);
    for (size_t i = 0; i < demo.n; i++) {
        lh_dataset *ds = lh_catalog_get(app->cat, demo.tables[i].name, &e);
        lh_buf sql = LH_BUF_INIT, path = LH_BUF_INIT;
        lh_catalog_file_path(app->cat, ds, 0, &path, &e);
        lh_buf_printf(&sql, "CREATE VIEW %s AS SELECT * FROM read_parquet(", ds->name);
        lh_sql_quote_literal(&sql, path.data);
        lh_buf_puts(&sql, ")");
        lh_engine_exec(rc, sql.data, &e);
        lh_buf_free(&sql);
        lh_buf_free(&path);
        lh_dataset_unref(ds);
    }
    lh_app_close(app);
    lh_config_free(cfg);

    char base[128];
    char logpath[160];
    snprintf(logpath, sizeof logpath, "%s/server.log", dir);
    pid_t srv = bench_server_start(bin, (const char *[]){"--data-dir", datadir, NULL}, logpath, base, sizeof base);
    if (srv < 0) { fprintf(stderr, "bench_query: server did not start\n"); return 1; }

    printf("bench_query: demo scale %.3g (%llu rows), median of %d runs after a warm-up, seconds\n", scale,
           (unsigned long long)demo.total_rows, runs);
    printf("%-48s %10s %10s %10s | %8s %8s\n", "query", "lakehouse", "duckdb", "postgres", "lh/duck", "lh/pg");
    double *t = malloc(sizeof(double) * (size_t)runs);
    double sum_lh = 0, sum_dk = 0, sum_pg = 0;
    for (size_t q = 0; q < NQ; q++) {
        double m[3] = {0, 0, 0};
        for (int who = 0; who < 3; who++) {
            if (who == 2 && !pg) continue;
            for (int r = -1; r < runs; r++) {
                double s = who == 0 ? run_http(base, QUERIES[q].sql) : who == 1 ? run_duckdb(rc, QUERIES[q].sql)
                         : run_pg(pg, QUERIES[q].sql);
                if (r >= 0) t[r] = s;
            }
            m[who] = median(t, runs);
        }
        sum_lh += m[0]; sum_dk += m[1]; sum_pg += m[2];
        printf("%-48s %10.4f %10.4f %10.4f | %8.2f %8.2f\n", QUERIES[q].name, m[0], m[1], m[2], m[0] / m[1],
               pg ? m[0] / m[2] : 0.0);
    }
    printf("%-48s %10.4f %10.4f %10.4f | %8.2f %8.2f\n", "total", sum_lh, sum_dk, sum_pg, sum_lh / sum_dk,
           pg ? sum_lh / sum_pg : 0.0);
    free(t);
    bench_server_stop(srv);
    lh_engine_conn_free(rc);
    lh_engine_free(raw);
    bench_pg_stop(pg, dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return sh(cmd);
}

/* bench/bench_large_ingest.c — a CSV of more than 1 GB through POST /ingest/file.
 *
 * Generates the demo's timesheets at LH_BENCH_LARGE_SCALE (default 8, about
 * 1.03 GB of CSV) and at a quarter of that, and for each starts a fresh
 * `lakehouse serve`, uploads the file over HTTP (it goes to a background
 * job), follows the job, and prints the time, the rates, and the server's
 * peak resident memory (VmHWM) against the file size — the claim being
 * checked is that memory stays bounded: far below the file, and not
 * growing with it.
 */
#include "server.h"
#include "cli/client.h"
#include "cli/demo_gen.h"
#include "core/clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static long vm_hwm_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

static int run_one(const char *bin, double scale);

int main(void)
{
    const char *s = getenv("LH_BENCH_LARGE_SCALE");
    double scale = s && *s ? atof(s) : 8.0;
    const char *bin = getenv("LH_BINARY") ? getenv("LH_BINARY") : "build/lakehouse";
    int rc = run_one(bin, scale / 4);
    return rc ? rc : run_one(bin, scale);
}

static int run_one(const char *bin, double scale)
{
    char dir[] = "/tmp/lh-bench-large-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char csv[128], data[128], log[128];
    snprintf(csv, sizeof csv, "%s/csv", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(log, sizeof log, "%s/server.log", dir);
    mkdir(csv, 0700);
    lh_demo_result demo;
    lh_err e;
    if (lh_demo_generate(csv, scale, LH_DEMO_SEED, &demo, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    lh_demo_table *t = &demo.tables[LH_DEMO_NTABLES - 1];  /* timesheets */
    for (size_t i = 0; i + 1 < demo.n; i++) unlink(demo.tables[i].path);

    char base[128] = "";
    pid_t pid = bench_server_start(bin, (const char *[]){"--data-dir", data, NULL}, log, base, sizeof base);
    if (pid < 0) { fprintf(stderr, "server did not start\n"); return 1; }
    long rss_idle = vm_hwm_kb(pid);

    int64_t t0 = lh_mono_us();
    lh_client_resp r;
    int ok = 0;
    json_t *st = NULL;
    /* async=true: a job whatever the size (a small scale is under the async threshold) */
    if (lh_client_upload(base, "/ingest/file?dataset=timesheets&format=csv&async=true", t->path, 0, &r, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        goto out;
    }
    double upload_s = (double)(lh_mono_us() - t0) / 1e6;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    char path[96];
    snprintf(path, sizeof path, "/jobs/%s", json_string_value(json_object_get(j, "job_id")) ?: "");
    json_decref(j);
    long status = r.status;
    lh_client_resp_free(&r);
    if (status != 202) { fprintf(stderr, "expected 202, got %ld\n", status); goto out; }
    for (;;) {
        usleep(250000);
        lh_client_resp p;
        if (lh_client_request(base, "GET", path, NULL, NULL, 0, &p, &e)) { fprintf(stderr, "%s\n", e.msg); goto out; }
        json_decref(st);
        st = json_loadb(p.body.data, p.body.len, 0, NULL);
        lh_client_resp_free(&p);
        if (strcmp(json_string_value(json_object_get(st, "state")) ?: "", "running")) break;
    }
    double total_s = (double)(lh_mono_us() - t0) / 1e6;
    long rss_peak = vm_hwm_kb(pid);
    ok = !strcmp(json_string_value(json_object_get(st, "state")), "succeeded");
    int64_t rows = json_integer_value(json_object_get(json_object_get(st, "result"), "rows"));
    printf("bench_large_ingest: %s, %.2f GB CSV, %llu rows (demo scale %.3g)\n", t->name, (double)t->bytes / 1e9,
           (unsigned long long)t->rows, scale);
    printf("  job %s: %lld rows committed\n", ok ? "succeeded" : "FAILED", (long long)rows);
    printf("  upload %.1f s (%.0f MB/s), upload+convert+commit %.1f s: %.0f rows/s, %.0f MB/s\n", upload_s,
           (double)t->bytes / 1e6 / upload_s, total_s, (double)t->rows / total_s, (double)t->bytes / 1e6 / total_s);
    printf("  server peak RSS %.0f MB (%.0f MB after start) for a %.0f MB file: %.2f of the file size\n",
           (double)rss_peak / 1024, (double)rss_idle / 1024, (double)t->bytes / 1e6,
           (double)rss_peak * 1024 / (double)t->bytes);
    if (!ok) {
        char *sj = json_dumps(st, 0);
        fprintf(stderr, "%s\n", sj);
        free(sj);
    }
out:
    json_decref(st);
    bench_server_stop(pid);  /* on every path: a failed run must not leave the server behind */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) || !ok;
}

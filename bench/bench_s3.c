/* bench/bench_s3.c — the S3 backend against Ceph RGW, beside Debian's awscli.
 *
 * Starts a throwaway RGW (tests/tools/rgw.sh, OSD RAM store raised to
 * 3 GiB) and, for objects of 1 MB, 64 MB and 1 GB (LH_BENCH_S3_SIZES_MB,
 * default "1 64 1000"), measures in the same run:
 *   - lakehouse PUT (lh_objstore_put_file: multipart above 64 MiB, 16 MiB
 *     parts, 4 in flight) and GET (lh_objstore_get_file: 16 MiB ranges);
 *   - `aws s3 cp` up and down of the same file (/usr/bin/aws, its defaults:
 *     8 MiB parts, 10 concurrent requests);
 * printing MB/s and the ratio lakehouse/aws (above 1 = we are faster).
 * Objects are deleted after each size, so the RAM store holds one at a time.
 *
 * Then query latency on a cold vs warm read cache: a server with its
 * primary bucket on RGW ingests LH_BENCH_S3_ROWS rows (default 2,000,000);
 * it is restarted once with an empty cache (every Parquet file fetched from
 * S3) and once with the cache kept, and each time we time start-to-first-
 * answer and the median of 5 further queries.
 *
 * Then what one query costs beside many datasets: LH_BENCH_S3_DATASETS
 * (default 40) small datasets are added, and we time the query on
 * `people` with everything cached, and the queries on `people` and on one
 * small dataset right after the small datasets' cached files were removed
 * (as an eviction would): a query pays only for the files it reads, so
 * these should stay near the warm figure (before the per-query check was
 * narrowed to the named datasets, each of them refetched all 40 files).
 */
#include "server.h"
#include "cli/client.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "storage/s3.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char src_dir[1024], endpoint[256], akey[128], skey[128], rgw_dir[256];

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double aws_cp(const char *from, const char *to)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID='%s' "
             "AWS_SECRET_ACCESS_KEY='%s' AWS_DEFAULT_REGION=us-east-1 /usr/bin/aws --endpoint-url %s "
             "s3 cp --only-show-errors %s %s", akey, skey, endpoint, from, to);
    int64_t t0 = lh_mono_us();
    if (sh(cmd) != 0) return -1;
    return (double)(lh_mono_us() - t0) / 1e6;
}

static int aws_simple(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID='%s' "
             "AWS_SECRET_ACCESS_KEY='%s' AWS_DEFAULT_REGION=us-east-1 /usr/bin/aws --endpoint-url %s %s "
             ">/dev/null 2>&1", akey, skey, endpoint, args);
    return sh(cmd);
}

static int make_file(const char *path, uint64_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < cap ? (size_t)(bytes - done) : cap;
        lh_random_bytes(buf, n);
        fwrite(buf, 1, n, f);
        done += n;
    }
    free(buf);
    return fclose(f);
}

static int same_files(const char *a, const char *b)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return sh(cmd) == 0;
}

static void throughput(lh_objstore *s, const char *tmp, uint64_t mb)
{
    uint64_t bytes = mb * 1000 * 1000;
    char src[600], back[600], key[64], url[256];
    snprintf(src, sizeof src, "%s/obj-%llu", tmp, (unsigned long long)mb);
    snprintf(back, sizeof back, "%s/back-%llu", tmp, (unsigned long long)mb);
    snprintf(key, sizeof key, "bench/obj-%llu", (unsigned long long)mb);
    snprintf(url, sizeof url, "s3://bench/bench/aws-%llu", (unsigned long long)mb);
    if (make_file(src, bytes)) { printf("  %llu MB: cannot write %s\n", (unsigned long long)mb, src); return; }
    lh_err e;
    int64_t t0 = lh_mono_us();
    int rc = lh_objstore_put_file(s, key, src, 0, NULL, &e);
    double lput = (double)(lh_mono_us() - t0) / 1e6;
    if (rc) { printf("  %llu MB: lakehouse PUT failed: %s\n", (unsigned long long)mb, e.msg); goto out; }
    t0 = lh_mono_us();
    rc = lh_objstore_get_file(s, key, back, NULL, &e);
    double lget = (double)(lh_mono_us() - t0) / 1e6;
    if (rc) { printf("  %llu MB: lakehouse GET failed: %s\n", (unsigned long long)mb, e.msg); goto out; }
    int ok = same_files(src, back);
    unlink(back);
    lh_objstore_delete(s, key, &e);
    double aput = aws_cp(src, url);
    double aget = aws_cp(url, back);
    int aok = same_files(src, back);
    char rm[300];
    snprintf(rm, sizeof rm, "s3 rm %s", url);
    aws_simple(rm);
    double m = (double)bytes / 1e6;
    printf("  %5llu MB  PUT lakehouse %7.1f MB/s  aws %7.1f MB/s  ratio %.2f | GET lakehouse %7.1f MB/s  aws %7.1f "
           "MB/s  ratio %.2f%s\n", (unsigned long long)mb, m / lput, aput > 0 ? m / aput : 0, aput > 0 ? aput / lput : 0,
           m / lget, aget > 0 ? m / aget : 0, aget > 0 ? aget / lget : 0,
           ok && aok ? "" : "  (MISMATCH: bytes read back differ)");
    fflush(stdout);
out:
    unlink(src);
    unlink(back);
}

/* ---- query latency, cold vs warm cache ---- */

static const char *Q = "{\"sql\":\"SELECT city, count(*) AS n, avg(score) AS s FROM people GROUP BY city ORDER BY city\"}";

static double query_body_s(const char *base, const char *body)
{
    lh_client_resp r = {0};
    lh_err e;
    int64_t t0 = lh_mono_us();
    int rc = lh_client_request(base, "POST", "/query/sql", "application/json", body, strlen(body), &r, &e);
    double s = (double)(lh_mono_us() - t0) / 1e6;
    int ok = rc == 0 && r.status == 200;
    lh_client_resp_free(&r);
    return ok ? s : -1;
}

static double query_s(const char *base) { return query_body_s(base, Q); }

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return t[n / 2];
}

/* The per-query cost beside many datasets (see the top comment); the
 * server at `base` already serves `people` from a warm cache in `cache`. */
static void many_datasets(const char *base, const char *tmp, const char *cache)
{
    int nd = getenv("LH_BENCH_S3_DATASETS") ? atoi(getenv("LH_BENCH_S3_DATASETS")) : 40;
    char csv[600], path[200], cmd[800];
    snprintf(csv, sizeof csv, "%s/small.csv", tmp);
    FILE *f = fopen(csv, "w");
    fprintf(f, "id,label\n");
    for (int i = 0; i < 1000; i++) fprintf(f, "%d,label%d\n", i, i);
    fclose(f);
    for (int d = 0; d < nd; d++) {
        snprintf(path, sizeof path, "/ingest/file?dataset=small%03d&format=csv", d);
        lh_client_resp r = {0};
        lh_err e;
        int rc = lh_client_upload(base, path, csv, 0, &r, &e);
        long st = r.status;
        lh_client_resp_free(&r);
        if (rc || st >= 300) { printf("  many datasets: ingest %d failed (%ld)\n", d, st); return; }
    }
    unlink(csv);
    const char *Q1 = "{\"sql\":\"SELECT count(*) FROM small000\"}";
    double t[15];
    for (int i = 0; i < 15; i++) t[i] = query_s(base);
    double warm = median(t, 15);
    snprintf(cmd, sizeof cmd, "rm -rf %s/primary/datasets/small*", cache);
    for (int i = 0; i < 5; i++) { sh(cmd); t[i] = query_s(base); }
    double people_ev = median(t, 5);
    for (int i = 0; i < 5; i++) { sh(cmd); t[i] = query_body_s(base, Q1); }
    double small_ev = median(t, 5);
    printf("  beside %d more datasets (1 file each): people query %.1f ms with all cached; right after the "
           "small datasets' cached files were removed: people query %.1f ms, one small dataset %.1f ms "
           "(medians)\n", nd, warm * 1e3, people_ev * 1e3, small_ev * 1e3);
}

static void cache_latency(const char *bin, const char *tmp)
{
    long rows = getenv("LH_BENCH_S3_ROWS") ? atol(getenv("LH_BENCH_S3_ROWS")) : 2000000;
    char csv[600], cfg[600], secrets[600], cache[600], log[600];
    snprintf(csv, sizeof csv, "%s/people.csv", tmp);
    snprintf(cfg, sizeof cfg, "%s/lakehouse.toml", tmp);
    snprintf(secrets, sizeof secrets, "%s/secrets.toml", tmp);
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    snprintf(log, sizeof log, "%s/server.log", tmp);
    FILE *f = fopen(csv, "w");
    fprintf(f, "id,name,city,score\n");
    static const char *CITIES[] = {"Chicago", "Denver", "Austin", "Boston", "Seattle", "Miami", "Portland", "Atlanta"};
    for (long i = 0; i < rows; i++) fprintf(f, "%ld,name%ld,%s,%ld\n", i, i, CITIES[i % 8], (i * 7919) % 1000);
    fclose(f);
    f = fopen(secrets, "w");
    fprintf(f, "[bench]\naccess_key_id = \"%s\"\nsecret_access_key = \"%s\"\n", akey, skey);
    fclose(f);
    chmod(secrets, 0600);
    f = fopen(cfg, "w");
    fprintf(f, "[storage]\nsecrets_file = \"%s\"\ncache_dir = \"%s\"\n[ingest]\nscratch_dir = \"%s\"\n"
            "[buckets.primary]\nbackend = \"s3\"\nendpoint = \"%s\"\nbucket = \"lake\"\naddressing = \"path\"\n"
            "secret_ref = \"bench\"\n", secrets, cache, tmp, endpoint);
    fclose(f);
    aws_simple("s3api create-bucket --bucket lake");
    char base[256];
    pid_t pid = bench_server_start(bin, (const char *[]){"--config", cfg, NULL}, log, base, sizeof base);
    if (pid < 0) { printf("  query: server did not start (log %s)\n", log); return; }
    lh_client_resp r = {0};
    lh_err e;
    int rc = lh_client_upload(base, "/ingest/file?dataset=people&format=csv", csv, 0, &r, &e);
    long st = r.status;
    lh_client_resp_free(&r);
    if (rc || st >= 300) { printf("  query: ingest failed (%ld)\n", st); bench_server_stop(pid); return; }
    /* an ingest above the async threshold returns 202; wait for the view */
    for (int i = 0; i < 600 && query_s(base) < 0; i++) usleep(100000);
    bench_server_stop(pid);
    for (int warm = 0; warm < 2; warm++) {
        if (!warm) {
            char cmd[700];
            snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
            sh(cmd);
        }
        int64_t t0 = lh_mono_us();
        pid = bench_server_start(bin, (const char *[]){"--config", cfg, NULL}, log, base, sizeof base);
        if (pid < 0) { printf("  query: server did not start (log %s)\n", log); return; }
        double first = query_s(base);
        double start_to_answer = (double)(lh_mono_us() - t0) / 1e6;
        double t[5];
        for (int i = 0; i < 5; i++) t[i] = query_s(base);
        qsort(t, 5, sizeof *t, cmp_d);
        printf("  %s cache: start-to-first-answer %.3f s (first query %.1f ms), then median query %.1f ms\n",
               warm ? "warm" : "cold", start_to_answer, first * 1e3, t[2] * 1e3);
        if (warm) many_datasets(base, tmp, cache);
        bench_server_stop(pid);
    }
    unlink(csv);
}

int main(void)
{
    lh_log_set_level(LH_LOG_WARN);
    const char *s = getenv("LH_SOURCE_DIR");
    if (s && *s) snprintf(src_dir, sizeof src_dir, "%s", s);
    else {
        snprintf(src_dir, sizeof src_dir, "%s", __FILE__);
        char *p = strstr(src_dir, "/bench/bench_s3.c");
        if (p) *p = '\0';
    }
    if (sh("command -v radosgw >/dev/null && test -x /usr/bin/aws") != 0) {
        printf("bench_s3: skipped — Ceph RGW (radosgw) or Debian's awscli is not installed "
               "(tests/tools/setup-test-deps.sh)\n");
        return 0;
    }
    char tmp[] = "/tmp/lh-bench-s3-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    snprintf(rgw_dir, sizeof rgw_dir, "%s/rgw", tmp);
    char cmd[1400], line[1024] = "";
    snprintf(cmd, sizeof cmd, "RGW_MEMSTORE_BYTES=3221225472 %s/tests/tools/rgw.sh start %s", src_dir, rgw_dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p)) line[0] = '\0';
    if (p) pclose(p);
    char *a = strstr(line, "S3_ENDPOINT='"), *k = strstr(line, "S3_ACCESS_KEY='"), *sk = strstr(line, "S3_SECRET_KEY='");
    if (!a || !k || !sk) { printf("bench_s3: RGW did not start\n"); return 1; }
    sscanf(a + 13, "%255[^']", endpoint);
    sscanf(k + 15, "%127[^']", akey);
    sscanf(sk + 15, "%127[^']", skey);
    aws_simple("s3api create-bucket --bucket bench");

    lh_s3_opts o = {.name = "bench", .endpoint = endpoint, .bucket = "bench", .access_key = akey, .secret_key = skey,
                    .secret_ref = "bench", .max_retries = -1};
    lh_objstore *store;
    lh_err e;
    if (lh_objstore_s3_new(&o, &store, &e)) { printf("bench_s3: %s\n", e.msg); return 1; }
    printf("S3 throughput against Ceph RGW on loopback (RAM-backed OSD), same files, same run:\n");
    int64_t t0 = lh_mono_us();
    aws_simple("s3 ls s3://bench");
    printf("  (each aws figure includes awscli's own start-up; one `aws s3 ls` takes %.2f s here)\n",
           (double)(lh_mono_us() - t0) / 1e6);
    const char *sizes = getenv("LH_BENCH_S3_SIZES_MB");
    char list[256];
    snprintf(list, sizeof list, "%s", sizes && *sizes ? sizes : "1 64 1000");
    for (char *tok = strtok(list, " ,"); tok; tok = strtok(NULL, " ,")) throughput(store, tmp, strtoull(tok, NULL, 10));
    lh_objstore_free(store);

    const char *bin = getenv("LH_BINARY");
    if (bin && *bin) {
        printf("Query latency, primary bucket on RGW, read cache cold vs warm:\n");
        cache_latency(bin, tmp);
    } else {
        printf("query latency: skipped (set LH_BINARY to the lakehouse binary; bench/run.sh does)\n");
    }
    snprintf(cmd, sizeof cmd, "%s/tests/tools/rgw.sh stop %s", src_dir, rgw_dir);
    sh(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    sh(cmd);
    return 0;
}

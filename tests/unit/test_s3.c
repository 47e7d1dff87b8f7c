/* tests/unit/test_s3.c — the S3 backend against a real server (Ceph RGW).
 *
 * Uses the server named by S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY if set;
 * otherwise starts one with tests/tools/rgw.sh for this file and stops it
 * at the end (also when a check fails). Skips (77) with a plain message
 * when RGW is not installed. Buckets are created with Debian's awscli
 * (/usr/bin/aws), the cross-check client. The parser and URL tests need no
 * server and always run.
 */
#include "core/config.h"
#include "storage/registry.h"
#include "storage/s3.h"
#include "storage/s3_internal.h"
#include "storage/sigv4.h"
#include "core/clock.h"
#include "core/id.h"
#include "testing.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char endpoint[256], access_key[128], secret_key[128], rgw_dir[512];
static char bucket[64];

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int aws(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID='%s' "
             "AWS_SECRET_ACCESS_KEY='%s' AWS_DEFAULT_REGION=us-east-1 /usr/bin/aws --endpoint-url %s %s "
             ">/dev/null 2>&1", access_key, secret_key, endpoint, args);
    return sh(cmd);
}

static lh_objstore *open_store(const char *bkt, const char *secret, uint64_t threshold, int mode)
{
    lh_s3_opts o = {.name = "t", .endpoint = endpoint, .bucket = bkt, .region = "us-east-1", .secret_ref = "ci",
                    .access_key = access_key, .secret_key = secret, .multipart_threshold = threshold,
                    .part_size = 5u << 20, .parallel_parts = 3, .max_retries = 2, .timeout_ms = 5000,
                    .retry_budget_ms = 2000, .create_mode = mode};
    lh_objstore *s = NULL;
    lh_err e;
    int rc = lh_objstore_s3_new(&o, &s, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    return s;
}

/* ---- no server needed ---- */

static void test_xml_hostile(void)
{
    lh_list l;
    int trunc;
    char *next;
    lh_err e;
    CHECK_INT(lh_s3_xml_list("not xml", 7, &l, &trunc, &next, &e), LH_EIO);
    CHECK_STR(e.code, "s3_bad_response");
    CHECK_INT(lh_s3_xml_list("", 0, &l, &trunc, &next, &e), LH_EIO);
    const char *other = "<Error><Code>X</Code></Error>";
    CHECK_INT(lh_s3_xml_list(other, strlen(other), &l, &trunc, &next, &e), LH_EIO);
    /* external entities are never fetched or expanded */
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                      "<Error><Code>&x;</Code></Error>";
    lh_s3_error_doc d;
    lh_s3_xml_error(xxe, strlen(xxe), &d);
    CHECK(strstr(d.code, "root") == NULL);
    const char *ok = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>"
                     "<Contents><Key>a&amp;b</Key><Size>12</Size><ETag>\"e1\"</ETag>"
                     "<LastModified>2026-11-28T05:49:37.250Z</LastModified></Contents>"
                     "<Contents><Key></Key></Contents>"
                     "<Contents><Key>c</Key><Size>x</Size><ETag>noquotes</ETag></Contents>"
                     "<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>";
    int rc = lh_s3_xml_list(ok, strlen(ok), &l, &trunc, &next, &e);
    CHECK_INT(rc, 0);
    if (rc) return;
    CHECK_INT(l.n_objects, 2);
    CHECK_STR(l.objects[0].key, "a&b");
    CHECK_INT(l.objects[0].info.size, 12);
    CHECK_INT(l.objects[0].info.mtime_us, 1795844977250000LL);
    CHECK_STR(l.objects[1].info.etag, "\"noquotes\"");
    CHECK_INT(l.n_prefixes, 1);
    CHECK_INT(trunc, 1);
    CHECK_STR(next, "tok+/=");
    free(next);
    lh_list_free(&l);
    const char *err = "<Error><Code>SignatureDoesNotMatch</Code><Message></Message><RequestId>tx1</RequestId></Error>";
    lh_s3_xml_error(err, strlen(err), &d);
    CHECK_STR(d.code, "SignatureDoesNotMatch");
    CHECK_STR(d.request_id, "tx1");
}

static void test_urls(void)
{
    lh_buf url = LH_BUF_INIT, host = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_s3_build_url("http://127.0.0.1:7480", "bkt", 0, "a b/c.parquet", "list-type=2", &url, &host, &path);
    CHECK_STR(url.data, "http://127.0.0.1:7480/bkt/a%20b/c.parquet?list-type=2");
    CHECK_STR(host.data, "127.0.0.1:7480");
    CHECK_STR(path.data, "/bkt/a%20b/c.parquet");
    lh_s3_build_url("https://s3.eu-central-1.amazonaws.com:443", "acme", 1, "k", NULL, &url, &host, &path);
    CHECK_STR(url.data, "https://acme.s3.eu-central-1.amazonaws.com/k");
    CHECK_STR(host.data, "acme.s3.eu-central-1.amazonaws.com");
    CHECK_STR(path.data, "/k");
    lh_s3_build_url("http://minio:9000", "b", 1, NULL, NULL, &url, &host, &path);
    CHECK_STR(url.data, "http://b.minio:9000/");
    lh_buf_free(&url);
    lh_buf_free(&host);
    lh_buf_free(&path);
}

static void test_open_refuses_missing_credentials(void)
{
    lh_s3_opts o = {.name = "x", .bucket = "b", .secret_ref = "nope"};
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_s3_new(&o, &s, &e), LH_EINVAL);
    CHECK_STR(e.code, "s3_credentials_missing");
    CHECK(strstr(e.msg, "nope") != NULL);
}

/* ---- against the server ---- */

static void fill_random(char *p, size_t n)
{
    lh_random_bytes(p, n);
}

static void test_put_get_head_delete(void)
{
    lh_objstore *s = open_store(bucket, secret_key, 0, LH_S3_CREATE_AUTO);
    if (!s) return;
    CHECK_STR(lh_objstore_s3_create_method(s), "if-none-match");
    lh_err e;
    const char *body = "hello, object store";
    lh_obj_info info;
    CHECK_INT(lh_objstore_put(s, "dir/hello world.txt", body, strlen(body), 0, &info, &e), 0);
    CHECK(info.etag[0] == '"');
    lh_buf b = LH_BUF_INIT;
    lh_obj_info gi;
    CHECK_INT(lh_objstore_get_buf(s, "dir/hello world.txt", LH_RANGE_ALL, &b, &gi, &e), 0);
    CHECK_STR(b.data, body);
    CHECK_INT(gi.size, strlen(body));
    CHECK_STR(gi.etag, info.etag);
    CHECK(gi.mtime_us > 0);
    CHECK_INT(lh_objstore_get_buf(s, "dir/hello world.txt", ((lh_range){7, 6}), &b, NULL, &e), 0);
    CHECK_STR(b.data, "object");
    CHECK_INT(lh_objstore_get_buf(s, "dir/hello world.txt", ((lh_range){15, UINT64_MAX}), &b, NULL, &e), 0);
    CHECK_STR(b.data, "tore");
    CHECK_INT(lh_objstore_get_buf(s, "dir/hello world.txt", ((lh_range){100, 1}), &b, NULL, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_range");
    lh_obj_info hi;
    CHECK_INT(lh_objstore_head(s, "dir/hello world.txt", &hi, &e), 0);
    CHECK_INT(hi.size, strlen(body));
    CHECK_STR(hi.etag, info.etag);
    /* empty object */
    CHECK_INT(lh_objstore_put(s, "empty", "", 0, 0, NULL, &e), 0);
    CHECK_INT(lh_objstore_get_buf(s, "empty", LH_RANGE_ALL, &b, &gi, &e), 0);
    CHECK_INT(b.len, 0);
    CHECK_INT(gi.size, 0);
    /* missing */
    CHECK_INT(lh_objstore_get_buf(s, "nope", LH_RANGE_ALL, &b, NULL, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "object_not_found");
    CHECK_INT(lh_objstore_head(s, "nope", &hi, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_delete(s, "nope", &e), LH_ENOTFOUND);
    /* copy (server side) */
    CHECK_INT(lh_objstore_copy(s, "dir/hello world.txt", "copy/of hello", &info, &e), 0);
    CHECK_INT(lh_objstore_get_buf(s, "copy/of hello", LH_RANGE_ALL, &b, NULL, &e), 0);
    CHECK_STR(b.data, body);
    CHECK_INT(lh_objstore_copy(s, "nope", "copy/x", NULL, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_delete(s, "dir/hello world.txt", &e), 0);
    CHECK_INT(lh_objstore_head(s, "dir/hello world.txt", &hi, &e), LH_ENOTFOUND);
    /* bad keys never reach the server */
    CHECK_INT(lh_objstore_put(s, "../escape", "x", 1, 0, NULL, &e), LH_EINVAL);
    CHECK_INT(lh_objstore_probe(s, &e), 0);
    lh_buf_free(&b);
    lh_objstore_free(s);
}

static int count_page(void *ctx, const lh_list *page)
{
    size_t *n = ctx;
    for (size_t i = 0; i < page->n_objects; i++) {
        char want[32];
        snprintf(want, sizeof want, "many/k%03zu", *n);
        CHECK_STR(page->objects[i].key, want);
        (*n)++;
    }
    return 0;
}

static void test_list_continuation(void)
{
    lh_objstore *s = open_store(bucket, secret_key, 0, LH_S3_CREATE_AUTO);
    if (!s) return;
    lh_err e;
    for (int i = 0; i < 25; i++) {
        char k[32];
        snprintf(k, sizeof k, "many/k%03d", i);
        CHECK_INT(lh_objstore_put(s, k, k, strlen(k), 0, NULL, &e), 0);
    }
    CHECK_INT(lh_objstore_put(s, "many/sub/x", "x", 1, 0, NULL, &e), 0);
    size_t n = 0;
    lh_list_opts o = {.prefix = "many/k", .max_keys = 7};
    CHECK_INT(lh_objstore_list_each(s, &o, count_page, &n, &e), 0);
    CHECK_INT(n, 25);
    lh_list l;
    lh_list_opts od = {.prefix = "many/", .delimiter = "/", .max_keys = 1000};
    CHECK_INT(lh_objstore_list(s, &od, &l, &e), 0);
    CHECK_INT(l.n_objects, 25);
    CHECK_INT(l.n_prefixes, 1);
    if (l.n_prefixes) CHECK_STR(l.prefixes[0], "many/sub/");
    CHECK(l.next_cursor == NULL);
    lh_list_free(&l);
    /* the backend's own objects are hidden */
    lh_list_opts all = {.max_keys = 1000};
    CHECK_INT(lh_objstore_list(s, &all, &l, &e), 0);
    for (size_t i = 0; i < l.n_objects; i++) CHECK(strncmp(l.objects[i].key, ".lakehouse/", 11) != 0);
    lh_list_free(&l);
    lh_objstore_free(s);
}

static void test_create_only(int mode, const char *key, const char *method)
{
    lh_objstore *s = open_store(bucket, secret_key, 0, mode);
    if (!s) return;
    CHECK_STR(lh_objstore_s3_create_method(s), method);
    lh_err e;
    CHECK_INT(lh_objstore_put(s, key, "v1", 2, LH_PUT_CREATE_ONLY, NULL, &e), 0);
    CHECK_INT(lh_objstore_put(s, key, "v2", 2, LH_PUT_CREATE_ONLY, NULL, &e), LH_EEXIST);
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(lh_objstore_get_buf(s, key, LH_RANGE_ALL, &b, NULL, &e), 0);
    CHECK_STR(b.data, "v1");
    lh_buf_free(&b);
    lh_objstore_free(s);
}

static void test_create_only_conditional(void) { test_create_only(LH_S3_CREATE_AUTO, "_catalog/x/v1", "if-none-match"); }
static void test_create_only_lock(void) { test_create_only(LH_S3_CREATE_LOCK, "_catalog/x/v2", "lock-object"); }

static void test_multipart_streamed(void)
{
    lh_objstore *s = open_store(bucket, secret_key, 6u << 20, LH_S3_CREATE_AUTO);
    if (!s) return;
    size_t n = (17u << 20) + 12345;
    char *data = lh_xmalloc(n);
    fill_random(data, n);
    lh_err e;
    lh_obj_writer *w;
    CHECK_INT(lh_objstore_writer_open(s, "big/object.bin", 0, &w, &e), 0);
    for (size_t off = 0; off < n;) {
        size_t chunk = 777777 < n - off ? 777777 : n - off;
        CHECK_INT(lh_obj_writer_write(w, data + off, chunk, &e), 0);
        off += chunk;
    }
    lh_obj_info info;
    CHECK_INT(lh_obj_writer_commit(w, &info, &e), 0);
    CHECK_INT(info.size, n);
    CHECK(strstr(info.etag, "-") != NULL);  /* a multipart ETag: "…-N" */
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(lh_objstore_get_buf(s, "big/object.bin", LH_RANGE_ALL, &b, NULL, &e), 0);
    CHECK_INT(b.len, n);
    CHECK(b.len == n && memcmp(b.data, data, n) == 0);
    /* a range across the reader's chunk boundary */
    CHECK_INT(lh_objstore_get_buf(s, "big/object.bin", ((lh_range){(16u << 20) - 10, 20}), &b, NULL, &e), 0);
    CHECK(b.len == 20 && memcmp(b.data, data + (16u << 20) - 10, 20) == 0);
    lh_buf_free(&b);

    /* abort after parts were sent: nothing is visible, no upload left */
    CHECK_INT(lh_objstore_writer_open(s, "big/aborted.bin", 0, &w, &e), 0);
    CHECK_INT(lh_obj_writer_write(w, data, n, &e), 0);
    lh_obj_writer_abort(w);
    lh_obj_info hi;
    CHECK_INT(lh_objstore_head(s, "big/aborted.bin", &hi, &e), LH_ENOTFOUND);
    char args[256];
    snprintf(args, sizeof args, "s3api list-multipart-uploads --bucket %s --query 'Uploads[0].Key' --output text "
             "| grep -qx None", bucket);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID='%s' "
             "AWS_SECRET_ACCESS_KEY='%s' AWS_DEFAULT_REGION=us-east-1 /usr/bin/aws --endpoint-url %s %s",
             access_key, secret_key, endpoint, args);
    CHECK_MSG(sh(cmd) == 0, "an aborted multipart upload was left on the server");
    free(data);
    lh_objstore_free(s);
}

/* Virtual-host addressing: BUCKET.localhost resolves to loopback (curl
 * treats *.localhost so) and RGW knows "localhost" as its DNS name. */
static void test_virtual_host(void)
{
    char ep[300];
    const char *port = strrchr(endpoint, ':');
    snprintf(ep, sizeof ep, "http://localhost%s", port ? port : "");
    lh_s3_opts o = {.name = "vh", .endpoint = ep, .bucket = bucket, .virtual_host = 1, .secret_ref = "ci",
                    .access_key = access_key, .secret_key = secret_key, .max_retries = 1};
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_s3_new(&o, &s, &e), 0);
    CHECK_INT(lh_objstore_put(s, "vh/key one", "virtual", 7, 0, NULL, &e), 0);
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(lh_objstore_get_buf(s, "vh/key one", LH_RANGE_ALL, &b, NULL, &e), 0);
    CHECK_STR(b.data, "virtual");
    lh_list l;
    lh_list_opts lo = {.prefix = "vh/"};
    CHECK_INT(lh_objstore_list(s, &lo, &l, &e), 0);
    CHECK_INT(l.n_objects, 1);
    lh_list_free(&l);
    lh_buf_free(&b);
    lh_objstore_free(s);
    /* and the same object through path-style */
    lh_objstore *p = open_store(bucket, secret_key, 0, LH_S3_CREATE_AUTO);
    lh_buf b2 = LH_BUF_INIT;
    CHECK_INT(lh_objstore_get_buf(p, "vh/key one", LH_RANGE_ALL, &b2, NULL, &e), 0);
    CHECK_STR(b2.data, "virtual");
    lh_buf_free(&b2);
    lh_objstore_free(p);
}

static void test_wrong_secret(void)
{
    lh_objstore *s = open_store(bucket, "not-the-secret-at-all", 0, LH_S3_CREATE_AUTO);
    if (!s) return;
    lh_err e;
    lh_buf b = LH_BUF_INIT;
    int64_t t0 = lh_mono_us();
    CHECK_INT(lh_objstore_get_buf(s, "empty", LH_RANGE_ALL, &b, NULL, &e), LH_EPERM);
    CHECK_STR(e.code, "s3_access_denied");
    CHECK(strstr(e.msg, "SignatureDoesNotMatch") != NULL);
    CHECK(strstr(e.msg, "secret_ref \"ci\"") != NULL);
    CHECK(strstr(e.msg, "request id") != NULL);
    CHECK(strstr(e.msg, "not-the-secret") == NULL);
    CHECK(lh_mono_us() - t0 < 1000000);  /* 4xx is never retried */
    CHECK_INT(lh_objstore_put(s, "x", "x", 1, 0, NULL, &e), LH_EPERM);
    lh_buf_free(&b);
    lh_objstore_free(s);
}

static void test_missing_bucket(void)
{
    lh_objstore *s = open_store("no-such-bucket-here", secret_key, 0, LH_S3_CREATE_AUTO);
    if (!s) return;
    lh_err e;
    CHECK_INT(lh_objstore_probe(s, &e), LH_EUNAVAIL);
    CHECK_STR(e.code, "s3_bucket_missing");
    CHECK(strstr(e.msg, "no-such-bucket-here") != NULL);
    CHECK_INT(lh_objstore_put(s, "k", "x", 1, 0, NULL, &e), LH_EUNAVAIL);
    CHECK_STR(e.code, "s3_bucket_missing");
    lh_objstore_free(s);
}

static void test_unreachable_is_bounded(void)
{
    lh_s3_opts o = {.name = "dead", .endpoint = "http://127.0.0.1:9", .bucket = "b", .access_key = "a",
                    .secret_key = "s", .max_retries = 3, .timeout_ms = 1000, .retry_budget_ms = 800};
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_s3_new(&o, &s, &e), 0);
    CHECK_STR(lh_objstore_s3_create_method(s), "unknown");
    int64_t t0 = lh_mono_us();
    CHECK_INT(lh_objstore_put(s, "k", "x", 1, 0, NULL, &e), LH_EUNAVAIL);
    int64_t ms = (lh_mono_us() - t0) / 1000;
    CHECK_STR(e.code, "bucket_unavailable");
    CHECK(strstr(e.msg, "attempts") != NULL);
    CHECK_MSG(ms < 3000, "took %lld ms", (long long)ms);
    lh_objstore_free(s);
}

/* ---- retry rules, against a server that fails on purpose ---- */

static uint64_t seen(lh_objstore *s, const char *key)
{
    char k[128];
    snprintf(k, sizeof k, "count/%s", key);
    lh_obj_info info = {0};
    lh_err e;
    lh_objstore_head(s, k, &info, &e);
    return info.size;
}

static void test_retries(void)
{
    int fds[2];
    if (pipe(fds) != 0) { CHECK(0); return; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        const char *src = getenv("LH_SOURCE_DIR");
        char script[1024];
        snprintf(script, sizeof script, "%s/tests/tools/flaky_s3.py", src ? src : ".");
        execlp("python3", "python3", script, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char port[16] = "";
    FILE *f = fdopen(fds[0], "r");
    if (!f || !fgets(port, sizeof port, f)) {
        CHECK_MSG(0, "flaky server did not start");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return;
    }
    port[strcspn(port, "\n")] = '\0';
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%s", port);
    lh_s3_opts o = {.name = "flaky", .endpoint = ep, .bucket = "b", .access_key = "a", .secret_key = "s",
                    .max_retries = 3, .timeout_ms = 2000, .retry_budget_ms = 5000, .create_mode = LH_S3_CREATE_LOCK};
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_s3_new(&o, &s, &e), 0);
    /* 503 then 429 then success: retried, and the third answer wins */
    lh_obj_info info;
    CHECK_INT(lh_objstore_put(s, "flaky-put", "x", 1, 0, &info, &e), 0);
    CHECK_STR(info.etag, "\"attempt-3\"");
    CHECK_INT(seen(s, "flaky-put"), 3);
    /* 4xx: never retried */
    CHECK_INT(lh_objstore_put(s, "bad400", "x", 1, 0, NULL, &e), LH_EINVAL);
    CHECK_STR(e.code, "s3_request_refused");
    CHECK(strstr(e.msg, "InvalidArgument") != NULL);
    CHECK_INT(seen(s, "bad400"), 1);
    /* 503 for ever: 1 + max_retries attempts, then a clear 503 naming S3's code */
    CHECK_INT(lh_objstore_put(s, "fail503", "x", 1, 0, NULL, &e), LH_EUNAVAIL);
    CHECK_STR(e.code, "bucket_unavailable");
    CHECK(strstr(e.msg, "SlowDown") != NULL && strstr(e.msg, "request id req-4") != NULL);
    CHECK(strstr(e.msg, "4 attempts") != NULL);
    CHECK_INT(seen(s, "fail503"), 4);
    /* connection reset without an answer: retried too */
    CHECK_INT(lh_objstore_put(s, "reset", "x", 1, 0, NULL, &e), LH_EUNAVAIL);
    /* 1 + max_retries attempts; curl itself may resend once on a reused connection */
    CHECK(seen(s, "reset") >= 4 && seen(s, "reset") <= 8);
    lh_objstore_free(s);
    /* the retry budget bounds the total time even with many retries allowed */
    o.max_retries = 20;
    o.retry_budget_ms = 300;
    CHECK_INT(lh_objstore_s3_new(&o, &s, &e), 0);
    int64_t t0 = lh_mono_us();
    CHECK_INT(lh_objstore_put(s, "fail503-budget", "x", 1, 0, NULL, &e), LH_EUNAVAIL);
    CHECK((lh_mono_us() - t0) / 1000 < 2000);
    CHECK(seen(s, "fail503-budget") < 21);
    lh_objstore_free(s);
    fclose(f);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* The registry's read cache fills from an S3 bucket (registry.c cs_fetch →
 * lh_obj_reader_to_file): a fill whose read breaks off half-way fails with
 * the object named and leaves no file in the cache; the next use fetches
 * the whole object. */
static void test_cache_fill(void)
{
    char dir[] = "/tmp/lh-s3-cache-XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    char path[700], secrets[600];
    snprintf(secrets, sizeof secrets, "%s/secrets.toml", dir);
    FILE *sf = fopen(secrets, "w");
    if (!sf) { CHECK(0); return; }
    fprintf(sf, "[ci]\naccess_key_id = \"%s\"\nsecret_access_key = \"%s\"\n", access_key, secret_key);
    fclose(sf);
    chmod(secrets, 0600);
    lh_config *cfg;
    lh_err e;
    CHECK_INT(lh_config_load(NULL, &cfg, &e), 0);
    snprintf(path, sizeof path, "%s/primary", dir);
    lh_config_set(cfg, "buckets.primary.root", path, LH_SRC_FLAG, &e);
    lh_config_set(cfg, "buckets.remote.backend", "s3", LH_SRC_FLAG, &e);
    lh_config_set(cfg, "buckets.remote.endpoint", endpoint, LH_SRC_FLAG, &e);
    lh_config_set(cfg, "buckets.remote.bucket", bucket, LH_SRC_FLAG, &e);
    lh_config_set(cfg, "buckets.remote.addressing", "path", LH_SRC_FLAG, &e);
    lh_config_set(cfg, "buckets.remote.secret_ref", "ci", LH_SRC_FLAG, &e);
    lh_config_set(cfg, "storage.secrets_file", secrets, LH_SRC_FLAG, &e);
    snprintf(path, sizeof path, "%s/cache", dir);
    lh_config_set(cfg, "storage.cache_dir", path, LH_SRC_FLAG, &e);
    lh_config_set(cfg, "storage.journal_flush_interval_ms", "0", LH_SRC_FLAG, &e);
    lh_registry *reg = NULL;
    int rc = lh_config_validate(cfg, &e);
    if (!rc) rc = lh_registry_open(cfg, &reg, &e);
    lh_config_free(cfg);
    CHECK_MSG(rc == 0, "%s", e.msg);
    if (rc) return;

    size_t n = 3u << 20;  /* several pieces of the copy loop */
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)(i * 13 + i / 1021);
    lh_objstore *remote = lh_registry_bucket(reg, "remote", &e);
    CHECK_INT(lh_objstore_put(remote, "cached/obj", data, n, 0, NULL, &e), 0);
    CHECK_INT(lh_registry_inject_fault(reg, "remote", LH_FAULT_READ, LH_EIO, &e), 0);
    lh_buf p = LH_BUF_INIT;
    CHECK_INT(lh_registry_local_path(reg, "remote", "cached/obj", &p, &e), LH_EIO);
    CHECK_MSG(strstr(e.msg, "\"cached/obj\" of bucket \"remote\"") != NULL, "%s", e.msg);
    snprintf(path, sizeof path, "rmdir %s/cache/.tmp 2>/dev/null; test ! -e %s/cache/remote/cached/obj", dir, dir);
    CHECK_MSG(sh(path) == 0, "a broken fill left a file in the cache (%s)", dir);

    CHECK_INT(lh_registry_inject_fault(reg, "remote", 0, 0, &e), 0);
    CHECK_INT(lh_registry_local_path(reg, "remote", "cached/obj", &p, &e), 0);
    FILE *f = fopen(p.data, "rb");
    char *got = malloc(n + 1);
    size_t k = f ? fread(got, 1, n + 1, f) : 0;
    if (f) fclose(f);
    CHECK(k == n && memcmp(got, data, n) == 0);
    free(got);
    free(data);
    lh_buf_free(&p);
    CHECK_INT(lh_objstore_delete(remote, "cached/obj", &e), 0);
    lh_registry_free(reg);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    sh(path);
}

int main(void)
{
    RUN(test_xml_hostile);
    RUN(test_urls);
    RUN(test_open_refuses_missing_credentials);
    RUN(test_unreachable_is_bounded);
    RUN(test_retries);

    const char *ep = getenv("S3_ENDPOINT");
    int started = 0;
    if (ep && *ep) {
        snprintf(endpoint, sizeof endpoint, "%s", ep);
        snprintf(access_key, sizeof access_key, "%s", getenv("S3_ACCESS_KEY") ?: "");
        snprintf(secret_key, sizeof secret_key, "%s", getenv("S3_SECRET_KEY") ?: "");
    } else {
        if (sh("command -v radosgw >/dev/null && test -x /usr/bin/aws") != 0) {
            printf("skipped the server half: Ceph RGW (radosgw) or Debian's awscli is not installed "
                   "(tests/tools/setup-test-deps.sh installs them)\n");
            return t_tests_failed ? 1 : 77;
        }
        const char *src = getenv("LH_SOURCE_DIR");
        char cmd[1024];
        snprintf(rgw_dir, sizeof rgw_dir, "/tmp/lh-rgw-unit-%d", (int)getpid());
        snprintf(cmd, sizeof cmd, "%s/tests/tools/rgw.sh start %s", src ? src : ".", rgw_dir);
        FILE *p = popen(cmd, "r");
        char line[1024] = "";
        if (!p || !fgets(line, sizeof line, p)) line[0] = '\0';
        if (p) pclose(p);
        char *a = strstr(line, "S3_ENDPOINT='"), *k = strstr(line, "S3_ACCESS_KEY='"), *sk = strstr(line, "S3_SECRET_KEY='");
        if (!a || !k || !sk) {
            fprintf(stderr, "could not start RGW with %s\n", cmd);
            return 1;
        }
        sscanf(a + 13, "%255[^']", endpoint);
        sscanf(k + 15, "%127[^']", access_key);
        sscanf(sk + 15, "%127[^']", secret_key);
        started = 1;
    }
    char hex[9];
    lh_hex_id(hex, 4);
    snprintf(bucket, sizeof bucket, "lh-unit-%s", hex);
    char args[256];
    snprintf(args, sizeof args, "s3api create-bucket --bucket %s", bucket);
    if (aws(args) != 0) {
        fprintf(stderr, "could not create bucket %s at %s\n", bucket, endpoint);
        t_tests_failed++;
    } else {
        RUN(test_put_get_head_delete);
        RUN(test_list_continuation);
        RUN(test_create_only_conditional);
        RUN(test_create_only_lock);
        RUN(test_multipart_streamed);
        RUN(test_virtual_host);
        RUN(test_wrong_secret);
        RUN(test_missing_bucket);
        RUN(test_cache_fill);
    }
    if (started) {
        char cmd[1024];
        const char *src = getenv("LH_SOURCE_DIR");
        snprintf(cmd, sizeof cmd, "%s/tests/tools/rgw.sh stop %s", src ? src : ".", rgw_dir);
        sh(cmd);
    }
    return TEST_SUMMARY();
}

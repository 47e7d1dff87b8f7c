/* Unit tests: storage/registry — rescue reads, hard-failing writes, the
 * error journal, with faults injected behind each bucket. */
#include "testing.h"
#include "core/config.h"
#include "storage/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/lh-test-registry-XXXXXX";

static lh_registry *open_registry(int with_rescue)
{
    lh_config *cfg;
    lh_err e;
    if (lh_config_load(NULL, &cfg, &e)) return NULL;
    char p[600];
    snprintf(p, sizeof p, "%s/primary", tmpdir);
    lh_config_set(cfg, "buckets.primary.root", p, LH_SRC_FLAG, &e);
    snprintf(p, sizeof p, "%s/rescue", tmpdir);
    lh_config_set(cfg, "buckets.rescue.root", p, LH_SRC_FLAG, &e);
    snprintf(p, sizeof p, "%s/tenant", tmpdir);
    lh_config_set(cfg, "buckets.tenant.root", p, LH_SRC_FLAG, &e);
    if (with_rescue) lh_config_set(cfg, "storage.rescue_bucket", "rescue", LH_SRC_FLAG, &e);
    lh_config_set(cfg, "storage.journal_flush_interval_ms", "0", LH_SRC_FLAG, &e);
    lh_registry *reg = NULL;
    if (lh_config_validate(cfg, &e) || lh_registry_open(cfg, &reg, &e)) fprintf(stderr, "open: %s\n", e.msg);
    lh_config_free(cfg);
    return reg;
}

static int read_all(lh_registry *reg, const char *bucket, const char *key, char *out, size_t n,
                    int *rescue_used, lh_err *e)
{
    lh_obj_reader *r;
    lh_obj_info info;
    int rc = lh_registry_get(reg, bucket, key, LH_RANGE_ALL, &r, &info, rescue_used, e);
    if (rc) return rc;
    int64_t got = lh_obj_reader_read(r, out, n - 1, e);
    lh_obj_reader_close(r);
    out[got > 0 ? got : 0] = '\0';
    return got < 0 ? (int)got : 0;
}

static size_t journal_count(lh_registry *reg, const char *bucket, const char *op)
{
    char **lines;
    size_t n = lh_append_log_recent(lh_error_journal_log(lh_registry_errors(reg)), 10000, &lines);
    size_t hits = 0;
    char b[80], o[40];
    snprintf(b, sizeof b, "\"bucket\":\"%s\"", bucket);
    snprintf(o, sizeof o, "\"op\":\"%s\"", op);
    for (size_t i = 0; i < n; i++) hits += strstr(lines[i], b) && strstr(lines[i], o);
    lh_append_log_lines_free(lines, n);
    return hits;
}

static void test_rescue_read(void)
{
    lh_registry *reg = open_registry(1);
    CHECK(reg != NULL);
    if (!reg) return;
    lh_err e;
    CHECK_INT(lh_objstore_put(lh_registry_primary(reg), "doc", "primary", 7, 0, NULL, &e), 0);
    CHECK_INT(lh_objstore_put(lh_registry_bucket(reg, "rescue", &e), "doc", "rescue", 6, 0, NULL, &e), 0);
    char buf[64];
    int used = -1;
    CHECK_INT(read_all(reg, "primary", "doc", buf, sizeof buf, &used, &e), 0);
    CHECK_STR(buf, "primary");
    CHECK_INT(used, 0);

    for (int st = LH_EIO; st != 0; st = st == LH_EIO ? LH_EUNAVAIL : st == LH_EUNAVAIL ? LH_ETIMEOUT : 0) {
        CHECK_INT(lh_registry_inject_fault(reg, "primary", LH_FAULT_GET | LH_FAULT_HEAD | LH_FAULT_LIST, st, &e), 0);
        used = 0;
        CHECK_INT(read_all(reg, "primary", "doc", buf, sizeof buf, &used, &e), 0);
        CHECK_STR(buf, "rescue");
        CHECK_INT(used, 1);
        lh_obj_info info;
        used = 0;
        CHECK_INT(lh_registry_head(reg, "primary", "doc", &info, &used, &e), 0);
        CHECK_INT(info.size, 6);
        CHECK_INT(used, 1);
        lh_list l;
        lh_list_opts o = {0};
        used = 0;
        CHECK_INT(lh_registry_list(reg, "primary", &o, &l, &used, &e), 0);
        CHECK_INT(used, 1);
        lh_list_free(&l);
    }
    CHECK(journal_count(reg, "primary", "get") >= 3);
    CHECK(journal_count(reg, "primary", "head") >= 3);

    /* rescue fails too: the original error comes back, naming both */
    lh_registry_inject_fault(reg, "primary", LH_FAULT_GET, LH_EIO, &e);
    lh_registry_inject_fault(reg, "rescue", LH_FAULT_GET, LH_EUNAVAIL, &e);
    CHECK_INT(read_all(reg, "primary", "doc", buf, sizeof buf, &used, &e), LH_EIO);
    CHECK(strstr(e.msg, "rescue bucket \"rescue\" could not serve it either") != NULL);
    lh_registry_inject_fault(reg, "rescue", 0, 0, &e);
    lh_registry_inject_fault(reg, "primary", 0, 0, &e);
    lh_registry_free(reg);
}

static void test_not_found_and_client_errors_do_not_fall_back(void)
{
    lh_registry *reg = open_registry(1);
    if (!reg) { CHECK(0); return; }
    lh_err e;
    lh_objstore_put(lh_registry_bucket(reg, "rescue", &e), "only-rescue", "r", 1, 0, NULL, &e);
    char buf[16];
    int used = 0;
    CHECK_INT(read_all(reg, "primary", "only-rescue", buf, sizeof buf, &used, &e), LH_ENOTFOUND);
    CHECK_INT(used, 0);
    CHECK_INT(read_all(reg, "primary", "../escape", buf, sizeof buf, &used, &e), LH_EINVAL);
    CHECK_INT(used, 0);
    CHECK_INT(journal_count(reg, "primary", "get"), 0);
    CHECK_INT(read_all(reg, "nope", "k", buf, sizeof buf, &used, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "bucket_not_found");
    CHECK(lh_registry_bucket(reg, "nope", &e) == NULL);
    lh_registry_free(reg);
}

static void test_writes_never_fall_back(void)
{
    lh_registry *reg = open_registry(1);
    if (!reg) { CHECK(0); return; }
    lh_err e;
    lh_registry_inject_fault(reg, "tenant", LH_FAULT_PUT, LH_EUNAVAIL, &e);
    lh_objstore *t = lh_registry_bucket(reg, "tenant", &e);
    CHECK_INT(lh_objstore_put(t, "x", "data", 4, 0, NULL, &e), LH_EUNAVAIL);
    lh_obj_info info;
    CHECK_INT(lh_objstore_head(lh_registry_bucket(reg, "rescue", &e), "x", &info, &e), LH_ENOTFOUND);
    CHECK_INT(journal_count(reg, "tenant", "put"), 1);
    lh_registry_free(reg);
}

static void test_rescue_does_not_rescue_itself_and_none_configured(void)
{
    lh_registry *reg = open_registry(1);
    if (!reg) { CHECK(0); return; }
    lh_err e;
    lh_objstore_put(lh_registry_bucket(reg, "rescue", &e), "k", "v", 1, 0, NULL, &e);
    lh_registry_inject_fault(reg, "rescue", LH_FAULT_GET, LH_EIO, &e);
    char buf[8];
    int used = 0;
    CHECK_INT(read_all(reg, "rescue", "k", buf, sizeof buf, &used, &e), LH_EIO);
    CHECK_INT(used, 0);
    lh_registry_free(reg);

    reg = open_registry(0);
    if (!reg) { CHECK(0); return; }
    lh_objstore_put(lh_registry_primary(reg), "k", "v", 1, 0, NULL, &e);
    lh_registry_inject_fault(reg, "primary", LH_FAULT_GET, LH_EIO, &e);
    CHECK_INT(read_all(reg, "primary", "k", buf, sizeof buf, &used, &e), LH_EIO);
    CHECK_STR(e.code, "injected_fault");
    lh_registry_free(reg);
}

static int count_cb(void *ctx, const char *line, size_t len)
{
    (void)len;
    if (strstr(line, "\"bucket\":\"tenant\"") && strstr(line, "\"op\":\"head\"")) ++*(size_t *)ctx;
    return 0;
}

static void test_journal_persists_to_primary(void)
{
    lh_registry *reg = open_registry(1);
    if (!reg) { CHECK(0); return; }
    lh_err e;
    lh_registry_inject_fault(reg, "tenant", LH_FAULT_HEAD, LH_EIO, &e);
    lh_obj_info info;
    lh_registry_head(reg, "tenant", "a", &info, NULL, &e);
    lh_registry_free(reg);  /* final flush */
    reg = open_registry(1);
    lh_list l;
    lh_list_opts o = {.prefix = LH_ERROR_JOURNAL_PREFIX};
    CHECK_INT(lh_objstore_list(lh_registry_primary(reg), &o, &l, &e), 0);
    CHECK(l.n_objects >= 1);  /* earlier tests' registries flushed here too */
    lh_list_free(&l);
    size_t events = 0;
    CHECK_INT(lh_append_log_read(lh_error_journal_log(lh_registry_errors(reg)), count_cb, &events, &e), 0);
    CHECK_INT(events, 1);
    lh_registry_free(reg);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    if (chdir(tmpdir)) return 1;
    RUN(test_rescue_read);
    RUN(test_not_found_and_client_errors_do_not_fall_back);
    RUN(test_writes_never_fall_back);
    RUN(test_rescue_does_not_rescue_itself_and_none_configured);
    RUN(test_journal_persists_to_primary);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}

/* Unit tests: core/config — schema, file, environment, flags, validation. */
#include "testing.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/lh-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static int load_text(const char *text, lh_config **cfg, lh_err *e)
{
    int rc = lh_config_load(write_file("t.toml", text), cfg, e);
    if (rc == 0 && (rc = lh_config_validate(*cfg, e)) != 0) {
        lh_config_free(*cfg);
        *cfg = NULL;
    }
    return rc;
}

static void test_defaults(void)
{
    lh_config *cfg;
    lh_err e;
    CHECK_INT(lh_config_load(NULL, &cfg, &e), 0);  /* cwd has no lakehouse.toml */
    CHECK_STR(cfg->server_host, "127.0.0.1");
    CHECK_INT(cfg->server_port, 3100);
    CHECK_STR(cfg->log_level, "info");
    CHECK(cfg->path == NULL);
    CHECK_INT(cfg->n_buckets, 1);
    const lh_bucket_cfg *p = lh_config_bucket(cfg, "primary");
    CHECK(p != NULL);
    CHECK_STR(p->backend, "local");
    CHECK_STR(p->root, "./data");
    CHECK_INT(lh_config_validate(cfg, &e), 0);
    lh_config_free(cfg);
}

static void test_file_values_and_buckets(void)
{
    lh_config *cfg;
    lh_err e;
    int rc = load_text("[server]\nport = 4000\nhost = \"0.0.0.0\"\n[log]\nformat = \"json\"\n"
                       "[storage]\nrescue_bucket = \"rescue\"\n"
                       "[buckets.rescue]\nroot = \"/mnt/rescue\"\n"
                       "[buckets.\"profile:alice\"]\nroot = \"/mnt/alice\"\n"
                       "[buckets.eu]\nbackend = \"s3\"\nbucket = \"acme\"\naddressing = \"path\"\nmultipart_threshold = 6000000\n", &cfg, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    if (rc) return;
    CHECK_INT(cfg->server_port, 4000);
    CHECK_STR(cfg->server_host, "0.0.0.0");
    CHECK_STR(cfg->log_format, "json");
    CHECK_INT(cfg->n_buckets, 4);
    CHECK_STR(lh_config_bucket(cfg, "profile:alice")->root, "/mnt/alice");
    const lh_bucket_cfg *eu = lh_config_bucket(cfg, "eu");
    CHECK_STR(eu->addressing, "path");
    CHECK_INT(eu->multipart_threshold, 6000000);
    CHECK_INT(eu->part_size, 16777216);
    CHECK_STR(eu->region, "us-east-1");
    lh_buf out = LH_BUF_INIT;
    lh_config_dump(cfg, &out);
    CHECK(strstr(out.data, "port = 4000") != NULL);
    CHECK(strstr(out.data, "[buckets.\"profile:alice\"]") != NULL);
    lh_buf_free(&out);
    lh_config_free(cfg);
}

static void expect_error(const char *text, const char *fragment)
{
    lh_config *cfg = NULL;
    lh_err e;
    lh_err_clear(&e);
    int rc = load_text(text, &cfg, &e);
    CHECK_MSG(rc != 0, "expected an error for: %s", text);
    if (rc == 0) { lh_config_free(cfg); return; }
    CHECK_MSG(strstr(e.msg, fragment) != NULL, "error \"%s\" lacks \"%s\"", e.msg, fragment);
    CHECK_STR(e.code, "config_invalid");
}

static void test_errors_point_at_the_file(void)
{
    expect_error("[server]\n\n  prot = 1\n", "t.toml:3:3: unknown key \"prot\" in [server] (did you mean \"port\"?)");
    expect_error("[server]\nport = true\n", "t.toml:2:8: server.port must be an integer, got boolean");
    expect_error("[server]\nport = -1\n", "server.port must be between 0 and 65535, got -1");
    expect_error("[server]\nhost = 1\n", "server.host must be a string, got integer");
    expect_error("[zzz]\na = 1\n", "unknown section \"zzz\"");
    expect_error("top = 1\n", "t.toml:1:1: unknown key \"top\"");
    expect_error("server = 1\n", "server must be a table");
    expect_error("[log]\nlevel = \"verbose\"\n", "log.level must be one of debug|info|warn|error");
    expect_error("[buckets.a]\nbackend = \"local\"\nregion = \"x\"\n", "buckets.a.region applies only to backend = \"s3\"");
    expect_error("[buckets.a]\nroot = 5\n", "buckets.a.root must be a string, got integer");
    expect_error("[buckets.a]\nrooot = \"x\"\n", "did you mean \"root\"");
    expect_error("[buckets.a]\nsecret_access_key = \"x\"\n", "credentials never live in lakehouse.toml");
    expect_error("[buckets.s]\nbackend = \"s3\"\nbucket = \"b\"\nendpoint = \"ftp://x\"\n", "must start with http");
    expect_error("[buckets.\"../x\"]\nroot = \"x\"\n", "bucket name \"../x\" is invalid");
    expect_error("[storage]\nrescue_bucket = \"r\"\n", "not a configured bucket");
    expect_error("[buckets]\nx = 1\n", "buckets.x must be a table");
    expect_error("[server]\nport = 1\nport = 2\n", "t.toml:3:");  /* the TOML parser's duplicate-key error */
}

static void test_env_and_flags(void)
{
    lh_config *cfg;
    lh_err e;
    setenv("LAKEHOUSE_SERVER_PORT", "4500", 1);
    setenv("LAKEHOUSE_BUCKETS_PRIMARY_ROOT", "/env/root", 1);
    int rc = lh_config_load(write_file("e.toml", "[server]\nport = 4000\n"), &cfg, &e);
    CHECK_INT(rc, 0);
    if (rc) return;
    CHECK_INT(cfg->server_port, 4500);
    CHECK_STR(lh_config_bucket(cfg, "primary")->root, "/env/root");
    CHECK_INT(lh_config_set(cfg, "server.port", "4600", LH_SRC_FLAG, &e), 0);
    CHECK_INT(cfg->server_port, 4600);
    CHECK_INT(lh_config_set(cfg, "buckets.primary.root", "/flag/root", LH_SRC_FLAG, &e), 0);
    CHECK_STR(lh_config_bucket(cfg, "primary")->root, "/flag/root");
    CHECK(lh_config_set(cfg, "server.port", "x", LH_SRC_FLAG, &e) == LH_EINVAL);
    CHECK(strstr(e.msg, "flag server.port") != NULL);
    CHECK(lh_config_set(cfg, "server.nope", "1", LH_SRC_FLAG, &e) == LH_EINVAL);
    CHECK(lh_config_set(cfg, "buckets.x.nope", "1", LH_SRC_FLAG, &e) == LH_EINVAL);
    lh_buf out = LH_BUF_INIT;
    lh_config_dump(cfg, &out);
    CHECK(strstr(out.data, "# flag") != NULL);
    lh_buf_free(&out);
    lh_config_free(cfg);

    setenv("LAKEHOUSE_SERVER_PORT", "99999", 1);
    CHECK(lh_config_load(NULL, &cfg, &e) == LH_EINVAL);
    CHECK(strstr(e.msg, "LAKEHOUSE_SERVER_PORT") != NULL);
    unsetenv("LAKEHOUSE_SERVER_PORT");
    unsetenv("LAKEHOUSE_BUCKETS_PRIMARY_ROOT");
}

static void test_defaults_file_round_trips(void)
{
    lh_buf out = LH_BUF_INIT;
    lh_config_defaults_toml(&out);
    lh_config *cfg, *def;
    lh_err e;
    int rc = load_text(out.data, &cfg, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_INT(lh_config_load(NULL, &def, &e), 0);
    if (rc == 0) {
        lh_buf a = LH_BUF_INIT, b = LH_BUF_INIT;
        lh_config_dump(cfg, &a);
        lh_config_dump(def, &b);
        /* Same values; only the sources (file vs default) and header differ. */
        char *pa = strchr(a.data, '\n'), *pb = strchr(b.data, '\n');
        size_t na = 0, nb = 0;
        for (char *p = pa; *p; p++) na += *p == '=';
        for (char *p = pb; *p; p++) nb += *p == '=';
        CHECK_INT(na, nb);
        CHECK(strstr(a.data, "# default") == NULL);
        lh_buf_free(&a);
        lh_buf_free(&b);
        lh_config_free(cfg);
    }
    lh_config_free(def);
    lh_buf_free(&out);
}

static void test_bucket_names(void)
{
    CHECK(lh_bucket_name_valid("primary"));
    CHECK(lh_bucket_name_valid("profile:alice"));
    CHECK(lh_bucket_name_valid("client_eu-2"));
    CHECK(!lh_bucket_name_valid(""));
    CHECK(!lh_bucket_name_valid("Upper"));
    CHECK(!lh_bucket_name_valid("a/b"));
    CHECK(!lh_bucket_name_valid("-lead"));
    CHECK(!lh_bucket_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    if (chdir(tmpdir)) return 1;
    RUN(test_defaults);
    RUN(test_file_values_and_buckets);
    RUN(test_errors_point_at_the_file);
    RUN(test_env_and_flags);
    RUN(test_defaults_file_round_trips);
    RUN(test_bucket_names);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}

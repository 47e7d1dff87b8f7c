/* tests/unit/test_vector_sidecar.c — the HNSW sidecar: save -> load gives
 * identical results (f32 and SQ8), the loaded index is a mapping that still
 * takes deletes and inserts, and truncated, corrupt, foreign and
 * future-version files are refused with a clear error. */
#include "testing.h"
#include "vec_gen.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define N   2000
#define DIM 48
#define NQ  30
#define K   10

static float *g_base, *g_q;
static char g_dir[] = "/tmp/lh_test_sidecar_XXXXXX";

static char *path_of(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

static int same_results(const lh_hnsw *a, const lh_hnsw *b, const lh_bitset *allow) {
    int diffs = 0;
    for (int qi = 0; qi < NQ; qi++) {
        lh_vhit ha[K], hb[K];
        int na = -1, nb = -2;
        CHECK(lh_hnsw_search(a, g_q + qi * DIM, K, 40, allow, ha, &na, NULL) == 0);
        CHECK(lh_hnsw_search(b, g_q + qi * DIM, K, 40, allow, hb, &nb, NULL) == 0);
        if (na != nb) diffs++;
        for (int i = 0; i < na && i < nb; i++)
            if (ha[i].label != hb[i].label || ha[i].dist != hb[i].dist) diffs++;
    }
    return diffs;
}

static void round_trip(bool sq8, lh_metric m) {
    lh_hnsw_params p = lh_hnsw_params_default();
    p.sq8 = sq8;
    p.m = 12;
    p.ef_construction = 60;
    p.ef_search = 25;
    lh_hnsw *h = NULL;
    lh_err e = {0};
    CHECK(lh_hnsw_build(g_base, N, DIM, m, &p, &h, &e) == 0);
    if (!h) return;
    for (uint32_t i = 0; i < N; i += 11) lh_hnsw_mark_deleted(h, i, NULL);
    char *path = path_of("rt.bin");
    CHECK(lh_hnsw_save(h, path, &e) == 0);
    lh_hnsw *g = NULL;
    CHECK(lh_hnsw_load(path, &g, &e) == 0);
    if (!g) {
        fprintf(stderr, "load: %s\n", e.msg);
        lh_hnsw_free(h);
        return;
    }
    CHECK(lh_hnsw_is_mapped(g));
    CHECK(!lh_hnsw_is_mapped(h));
    CHECK_INT(lh_hnsw_count(g), N);
    CHECK_INT(lh_hnsw_dim(g), DIM);
    CHECK(lh_hnsw_metric(g) == m);
    CHECK_INT(lh_hnsw_deleted(g), lh_hnsw_deleted(h));
    lh_hnsw_params q = lh_hnsw_get_params(g);
    CHECK_INT(q.m, 12);
    CHECK_INT(q.ef_construction, 60);
    CHECK_INT(q.ef_search, 25);
    CHECK_INT(q.sq8, sq8);
    CHECK_INT(lh_hnsw_memory_bytes(g), lh_hnsw_memory_bytes(h));
    CHECK(memcmp(lh_hnsw_vector(g, 7), lh_hnsw_vector(h, 7), DIM * sizeof(float)) == 0);
    CHECK_INT(same_results(h, g, NULL), 0);
    lh_bitset allow;
    lh_bitset_init(&allow, N, NULL);
    for (size_t i = 0; i < N; i += 3) lh_bitset_set(&allow, i);
    CHECK_INT(same_results(h, g, &allow), 0);
    lh_bitset_release(&allow);
    /* a loaded index takes deletes in place and inserts after copying to RAM */
    CHECK(lh_hnsw_mark_deleted(g, 5, NULL) == 0 && lh_hnsw_mark_deleted(h, 5, NULL) == 0);
    CHECK(lh_hnsw_is_mapped(g));
    CHECK_INT(same_results(h, g, NULL), 0);
    uint32_t la = 0, lb = 0;
    CHECK(lh_hnsw_insert(g, g_q, &la, NULL) == 0);
    CHECK(lh_hnsw_insert(h, g_q, &lb, NULL) == 0);
    CHECK_INT(la, N);
    CHECK_INT(la, lb);
    CHECK(!lh_hnsw_is_mapped(g));
    CHECK_INT(same_results(h, g, NULL), 0);
    lh_vhit hit[1];
    int nh;
    CHECK(lh_hnsw_search(g, g_q, 1, 0, NULL, hit, &nh, NULL) == 0 && nh == 1 && hit[0].label == N);
    lh_hnsw_free(g);
    lh_hnsw_free(h);
}

static void test_round_trip(void) {
    round_trip(false, LH_METRIC_COSINE);
    round_trip(true, LH_METRIC_COSINE);
    round_trip(true, LH_METRIC_L2);
    round_trip(false, LH_METRIC_IP);
}

static void test_save_replaces_atomically(void) {
    lh_hnsw *a = NULL, *b = NULL, *g = NULL;
    CHECK(lh_hnsw_build(g_base, 100, DIM, LH_METRIC_L2, NULL, &a, NULL) == 0);
    CHECK(lh_hnsw_build(g_base, 200, DIM, LH_METRIC_L2, NULL, &b, NULL) == 0);
    char *path = path_of("swap.bin");
    CHECK(lh_hnsw_save(a, path, NULL) == 0);
    CHECK(lh_hnsw_load(path, &g, NULL) == 0);
    CHECK(lh_hnsw_save(b, path, NULL) == 0); /* the mapping of the old file stays valid */
    CHECK_INT(lh_hnsw_count(g), 100);
    lh_vhit hits[K];
    int nh;
    CHECK(lh_hnsw_search(g, g_q, K, 0, NULL, hits, &nh, NULL) == 0 && nh == K);
    lh_hnsw_free(g);
    CHECK(lh_hnsw_load(path, &g, NULL) == 0);
    CHECK_INT(lh_hnsw_count(g), 200);
    lh_hnsw_free(g);
    lh_hnsw_free(a);
    lh_hnsw_free(b);
    lh_err e = {0};
    CHECK_INT(lh_hnsw_save(NULL, path, &e), LH_EINVAL);
    lh_hnsw *tiny = NULL;
    CHECK(lh_hnsw_build(g_base, 10, DIM, LH_METRIC_L2, NULL, &tiny, NULL) == 0);
    CHECK_INT(lh_hnsw_save(tiny, "/nonexistent-dir/x/hnsw.bin", &e), LH_EIO);
    CHECK(strstr(e.msg, "/nonexistent-dir") != NULL);
    lh_hnsw_free(tiny);
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    if (fread(b, 1, *len, f) != *len) *len = 0;
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, len, f);
    fclose(f);
}

static void expect_refused(const char *what, const char *path, const char *needle) {
    lh_hnsw *g = NULL;
    lh_err e = {0};
    int rc = lh_hnsw_load(path, &g, &e);
    CHECK_MSG(rc == LH_EINVAL, "%s: load gave %d", what, rc);
    CHECK(g == NULL);
    CHECK_STR(e.code, "bad_sidecar");
    CHECK_MSG(strstr(e.msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, e.msg, needle);
    lh_hnsw_free(g);
}

static void test_refuses_bad_files(void) {
    lh_hnsw *h = NULL;
    lh_hnsw_params p = lh_hnsw_params_default();
    p.sq8 = true;
    CHECK(lh_hnsw_build(g_base, 500, DIM, LH_METRIC_COSINE, &p, &h, NULL) == 0);
    char good[256];
    snprintf(good, sizeof good, "%s", path_of("good.bin"));
    CHECK(lh_hnsw_save(h, good, NULL) == 0);
    lh_hnsw_free(h);
    size_t len = 0;
    unsigned char *b = slurp(good, &len);
    CHECK(b && len > 4096);
    if (!b) return;
    char *bad = path_of("bad.bin");

    spit(bad, b, len - 1000);
    expect_refused("truncated", bad, "truncated");
    spit(bad, b, 100);
    expect_refused("truncated header", bad, "truncated");

    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    c[len / 2] ^= 0x10; /* one bit in the payload */
    spit(bad, c, len);
    expect_refused("payload bit flip", bad, "checksum");

    memcpy(c, b, len);
    c[40] ^= 0x01; /* one bit in the header */
    spit(bad, c, len);
    expect_refused("header bit flip", bad, "checksum");

    memcpy(c, b, len);
    memcpy(c, "PK\x03\x04zip!", 8);
    spit(bad, c, len);
    expect_refused("foreign magic", bad, "magic");

    memcpy(c, b, len);
    c[8] = 99; /* format version */
    spit(bad, c, len);
    expect_refused("future version", bad, "version 99");

    unsigned char *big = calloc(1, len + 64);
    memcpy(big, b, len);
    spit(bad, big, len + 64);
    expect_refused("trailing bytes", bad, "trailing");
    free(big);

    /* text file of the right size */
    memset(c, 'a', len);
    spit(bad, c, len);
    expect_refused("text", bad, "magic");
    free(c);
    free(b);

    lh_err e = {0};
    lh_hnsw *g = NULL;
    CHECK_INT(lh_hnsw_load(path_of("missing.bin"), &g, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "sidecar_not_found");
    expect_refused("a folder", g_dir, "regular file");
}

int main(void) {
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    float *all = vg_clustered(N + NQ, DIM, 12, 0.8f, 3);
    g_base = all;
    g_q = all + (size_t)N * DIM;
    RUN(test_round_trip);
    RUN(test_save_replaces_atomically);
    RUN(test_refuses_bad_files);
    const char *names[] = {"rt.bin", "swap.bin", "good.bin", "bad.bin"};
    for (size_t i = 0; i < 4; i++) unlink(path_of(names[i]));
    rmdir(g_dir);
    free(all);
    return TEST_SUMMARY();
}

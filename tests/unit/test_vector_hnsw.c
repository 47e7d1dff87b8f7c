/* tests/unit/test_vector_hnsw.c — HNSW against exact search: recall on
 * small clustered sets for every metric (f32 and SQ8), filtered search
 * (moderate and very selective filters), tombstones, exact search, insert after build,
 * concurrent searchers beside a writer, and bad arguments. */
#include "testing.h"
#include "vec_gen.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#define N    3000
#define DIM  64
#define NQ   50
#define K    10

static float *g_base, *g_q;

/* recall@K of h over the NQ queries, against exact search on g_base. */
/* recall@K at ef, and (when r2 is given) at ef2 too against the same
 * ground truth, which is the slow part under the sanitizers. */
static double recall_on2(const lh_hnsw *h, const float *base, const float *qs, lh_metric m, int ef,
                         const lh_bitset *allow, int ef2, double *r2) {
    int found = 0, total = 0, found2 = 0;
    for (int qi = 0; qi < NQ; qi++) {
        lh_vhit hits[K];
        uint32_t truth[K];
        int nh = -1;
        lh_err e = {0};
        int nt = vg_topk(base, N, DIM, m, qs + qi * DIM, K, allow, truth);
        if (r2) {
            CHECK(lh_hnsw_search(h, qs + qi * DIM, K, ef2, allow, hits, &nh, &e) == 0);
            found2 += vg_overlap(hits, nh, truth, nt);
        }
        CHECK(lh_hnsw_search(h, qs + qi * DIM, K, ef, allow, hits, &nh, &e) == 0);
        CHECK_INT(nh, nt);
        for (int i = 1; i < nh; i++) CHECK(hits[i - 1].dist <= hits[i].dist);
        if (allow)
            for (int i = 0; i < nh; i++) CHECK(lh_bitset_test(allow, hits[i].label));
        found += vg_overlap(hits, nh, truth, nt);
        total += nt;
    }
    if (r2) *r2 = total ? (double)found2 / total : 1.0;
    return total ? (double)found / total : 1.0;
}

static double recall_on(const lh_hnsw *h, const float *base, const float *qs, lh_metric m, int ef,
                        const lh_bitset *allow) {
    return recall_on2(h, base, qs, m, ef, allow, 0, NULL);
}

static double recall(const lh_hnsw *h, lh_metric m, int ef, const lh_bitset *allow) {
    return recall_on(h, g_base, g_q, m, ef, allow);
}

/* For l2, data off the unit sphere and off-centre (x*3 + 1), so SQ8's
 * centres and the norms matter. */
static float *shifted(const float *v, size_t n) {
    float *b = malloc(sizeof(float) * n * DIM);
    for (size_t i = 0; i < n * DIM; i++) b[i] = v[i] * 3 + 1;
    return b;
}

static void test_recall_all_metrics(void) {
    for (int mi = 0; mi < 3; mi++)
        for (int sq = 0; sq < 2; sq++) {
            /* one and two build threads alternate over the six combinations */
            int th = 1 + (mi + sq) % 2;
            {
                lh_metric m = (lh_metric)mi;
                lh_hnsw_params p = lh_hnsw_params_default();
                p.threads = th;
                p.sq8 = sq;
                lh_hnsw *h = NULL;
                lh_err e = {0};
                float *b = m == LH_METRIC_L2 ? shifted(g_base, N) : g_base;
                float *qs = m == LH_METRIC_L2 ? shifted(g_q, NQ) : g_q;
                CHECK(lh_hnsw_build(b, N, DIM, m, &p, &h, &e) == 0);
                if (!h) continue;
                CHECK_INT(lh_hnsw_count(h), N);
                CHECK_INT(lh_hnsw_dim(h), DIM);
                CHECK(lh_hnsw_metric(h) == m);
                double r2 = 0;
                double r = recall_on2(h, b, qs, m, 16, NULL, 200, &r2);
                fprintf(stderr, "     %s sq8=%d threads=%d: recall@10 %.3f at ef 16\n", lh_metric_name(m), sq, th, r);
                CHECK_MSG(r >= 0.95, "%s sq8=%d threads=%d: recall@10 %.3f", lh_metric_name(m), sq, th, r);
                /* more ef never hurts much */
                CHECK_MSG(r2 >= 0.98, "%s sq8=%d: recall@10 at ef 200 %.3f", lh_metric_name(m), sq, r2);
                if (sq) CHECK(lh_hnsw_hot_bytes(h) * 2 < lh_hnsw_memory_bytes(h));
                lh_hnsw_free(h);
                if (b != g_base) free(b);
                if (qs != g_q) free(qs);
            }
        }
}

static void test_filtered(void) {
    for (int sq = 0; sq < 2; sq++) {
        lh_hnsw_params p = lh_hnsw_params_default();
        p.sq8 = sq;
        lh_hnsw *h = NULL;
        CHECK(lh_hnsw_build(g_base, N, DIM, LH_METRIC_COSINE, &p, &h, NULL) == 0);
        if (!h) return;
        lh_bitset half, rare, one;
        lh_bitset_init(&half, N, NULL);
        lh_bitset_init(&rare, N, NULL);
        lh_bitset_init(&one, N + 500, NULL); /* longer than the index: extra bits ignored */
        vg_rng r = {99};
        for (size_t i = 0; i < N; i++) {
            if (vg_next(&r) % 2) lh_bitset_set(&half, i);
            if (vg_next(&r) % 100 == 0) lh_bitset_set(&rare, i);
        }
        lh_bitset_set(&one, 1234);
        lh_bitset_set(&one, N + 100);
        double rh = recall(h, LH_METRIC_COSINE, 64, &half);
        CHECK_MSG(rh >= 0.95, "50%% filter sq8=%d: recall %.3f", sq, rh);
        /* ~1%: falls back to exact, so the answer is exactly right */
        double rr = recall(h, LH_METRIC_COSINE, 64, &rare);
        CHECK_MSG(rr == 1.0, "1%% filter sq8=%d: recall %.3f", sq, rr);
        lh_vhit hits[K];
        int nh = -1;
        CHECK(lh_hnsw_search(h, g_q, K, 0, &one, hits, &nh, NULL) == 0);
        CHECK_INT(nh, 1);
        CHECK_INT(hits[0].label, 1234);
        lh_bitset none;
        lh_bitset_init(&none, N, NULL);
        CHECK(lh_hnsw_search(h, g_q, K, 0, &none, hits, &nh, NULL) == 0);
        CHECK_INT(nh, 0);
        lh_bitset_release(&none);
        lh_bitset_release(&half);
        lh_bitset_release(&rare);
        lh_bitset_release(&one);
        lh_hnsw_free(h);
    }
}

static void test_tombstones(void) {
    lh_hnsw_params p = lh_hnsw_params_default();
    p.sq8 = true;
    lh_hnsw *h = NULL;
    CHECK(lh_hnsw_build(g_base, N, DIM, LH_METRIC_L2, &p, &h, NULL) == 0);
    if (!h) return;
    /* delete the true nearest neighbours of every query, and every 7th */
    lh_bitset live;
    lh_bitset_init(&live, N, NULL);
    for (size_t i = 0; i < N; i++) lh_bitset_set(&live, i);
    for (int qi = 0; qi < NQ; qi++) {
        uint32_t truth[3];
        int nt = vg_topk(g_base, N, DIM, LH_METRIC_L2, g_q + qi * DIM, 3, NULL, truth);
        for (int i = 0; i < nt; i++) {
            CHECK(lh_hnsw_mark_deleted(h, truth[i], NULL) == 0);
            lh_bitset_clear(&live, truth[i]);
        }
    }
    for (size_t i = 0; i < N; i += 7) {
        CHECK(lh_hnsw_mark_deleted(h, (uint32_t)i, NULL) == 0);
        CHECK(lh_hnsw_mark_deleted(h, (uint32_t)i, NULL) == 0); /* twice is fine */
        lh_bitset_clear(&live, i);
    }
    CHECK_INT(lh_hnsw_deleted(h), N - lh_bitset_count(&live));
    CHECK(lh_hnsw_is_deleted(h, 0) && !lh_hnsw_is_deleted(h, 1));
    lh_err e = {0};
    CHECK_INT(lh_hnsw_mark_deleted(h, N + 5, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "label_not_found");
    for (int qi = 0; qi < NQ; qi++) {
        lh_vhit hits[K];
        int nh;
        CHECK(lh_hnsw_search(h, g_q + qi * DIM, K, 64, NULL, hits, &nh, NULL) == 0);
        CHECK_INT(nh, K);
        for (int i = 0; i < nh; i++) CHECK_MSG(lh_bitset_test(&live, hits[i].label), "deleted %u returned",
                                               hits[i].label);
    }
    double r = recall(h, LH_METRIC_L2, 64, &live);
    CHECK_MSG(r >= 0.95, "recall among live vectors %.3f", r);
    lh_bitset_release(&live);
    lh_hnsw_free(h);
}

/* lh_hnsw_search_exact: the brute-force answer for every metric (on an SQ8
 * index too: it scores the f32 vectors), with an allow set and tombstones. */
static void test_exact(void) {
    const lh_metric ms[] = {LH_METRIC_COSINE, LH_METRIC_IP, LH_METRIC_L2};
    for (int mi = 0; mi < 3; mi++) {
        lh_hnsw_params p = lh_hnsw_params_default();
        p.sq8 = mi == 1;
        lh_hnsw *h = NULL;
        CHECK(lh_hnsw_build(g_base, N, DIM, ms[mi], &p, &h, NULL) == 0);
        if (!h) return;
        lh_bitset allow;
        lh_bitset_init(&allow, N, NULL);
        for (size_t i = 0; i < N; i++)
            if (i % 3) lh_bitset_set(&allow, i);
        for (size_t i = 0; i < N; i += 10) { /* tombstones: must vanish from the answer */
            CHECK(lh_hnsw_mark_deleted(h, (uint32_t)i, NULL) == 0);
            lh_bitset_clear(&allow, i);
        }
        for (int qi = 0; qi < 5; qi++) {
            const float *q = g_q + qi * DIM;
            uint32_t truth[K];
            lh_vhit hits[K];
            int nh = -1;
            int nt = vg_topk(g_base, N, DIM, ms[mi], q, K, &allow, truth);
            CHECK(lh_hnsw_search_exact(h, q, K, &allow, hits, &nh, NULL) == 0);
            CHECK_INT(nh, nt);
            CHECK_INT(vg_overlap(hits, nh, truth, nt), nt);
            for (int i = 1; i < nh; i++) CHECK(hits[i - 1].dist <= hits[i].dist);
            CHECK(lh_hnsw_search_exact(h, q, K, NULL, hits, &nh, NULL) == 0);
            CHECK_INT(nh, K);
            for (int i = 0; i < nh; i++) CHECK(!lh_hnsw_is_deleted(h, hits[i].label));
        }
        lh_err e = {0};
        lh_vhit hits[K];
        int nh;
        CHECK_INT(lh_hnsw_search_exact(h, g_q, 0, NULL, hits, &nh, &e), LH_EINVAL);
        CHECK_STR(e.code, "bad_k");
        lh_bitset_release(&allow);
        lh_hnsw_free(h);
    }
}

static void test_insert_after_build(void) {
    for (int sq = 0; sq < 2; sq++) {
        lh_hnsw_params p = lh_hnsw_params_default();
        p.sq8 = sq;
        p.threads = 2;
        lh_hnsw *h = NULL;
        CHECK(lh_hnsw_build(g_base, N / 2, DIM, LH_METRIC_IP, &p, &h, NULL) == 0);
        if (!h) return;
        for (size_t i = N / 2; i < N; i++) {
            uint32_t label = 0;
            CHECK(lh_hnsw_insert(h, g_base + i * DIM, &label, NULL) == 0);
            CHECK_INT(label, i);
        }
        CHECK_INT(lh_hnsw_count(h), N);
        double r = recall(h, LH_METRIC_IP, 64, NULL);
        CHECK_MSG(r >= 0.95, "recall after inserts sq8=%d: %.3f", sq, r);
        /* every inserted vector finds itself first */
        int self = 0;
        for (size_t i = N / 2; i < N; i += 10) {
            lh_vhit hits[1];
            int nh;
            lh_hnsw_search(h, g_base + i * DIM, 1, 64, NULL, hits, &nh, NULL);
            self += nh == 1 && hits[0].label == i;
        }
        CHECK_MSG(self >= (N / 2 / 10) * 95 / 100, "self-hits %d", self);
        float bad[DIM] = {0};
        bad[3] = NAN;
        lh_err e = {0};
        CHECK_INT(lh_hnsw_insert(h, bad, NULL, &e), LH_EINVAL);
        CHECK_INT(lh_hnsw_count(h), N);
        lh_hnsw_free(h);
    }
    /* an empty f32 index grows from nothing */
    lh_hnsw *h = NULL;
    CHECK(lh_hnsw_build(NULL, 0, DIM, LH_METRIC_COSINE, NULL, &h, NULL) == 0);
    if (!h) return;
    lh_vhit hits[K];
    int nh = -1;
    CHECK(lh_hnsw_search(h, g_q, K, 0, NULL, hits, &nh, NULL) == 0);
    CHECK_INT(nh, 0);
    for (size_t i = 0; i < 500; i++) CHECK(lh_hnsw_insert(h, g_base + i * DIM, NULL, NULL) == 0);
    CHECK(lh_hnsw_search(h, g_base + 42 * DIM, K, 0, NULL, hits, &nh, NULL) == 0);
    CHECK_INT(nh, K);
    CHECK_INT(hits[0].label, 42);
    lh_hnsw_free(h);
}

typedef struct conc {
    lh_hnsw *h;
    int      id, bad;
} conc;

static void *searcher(void *p) {
    conc *c = p;
    for (int it = 0; it < 200; it++) {
        int qi = (it + c->id * 7) % NQ;
        lh_vhit hits[K];
        int nh = 0;
        if (lh_hnsw_search(c->h, g_q + qi * DIM, K, 48, NULL, hits, &nh, NULL) != 0 || nh != K) c->bad++;
        for (int i = 1; i < nh; i++)
            if (hits[i - 1].dist > hits[i].dist) c->bad++;
    }
    return NULL;
}

static void *writer(void *p) {
    conc *c = p;
    for (size_t i = N - 300; i < N; i++) {
        if (lh_hnsw_insert(c->h, g_base + i * DIM, NULL, NULL) != 0) c->bad++;
        if (i % 3 == 0 && lh_hnsw_mark_deleted(c->h, (uint32_t)(i - 500), NULL) != 0) c->bad++;
    }
    return NULL;
}

static void test_concurrent(void) {
    lh_hnsw_params p = lh_hnsw_params_default();
    p.sq8 = true;
    lh_hnsw *h = NULL;
    CHECK(lh_hnsw_build(g_base, N - 300, DIM, LH_METRIC_COSINE, &p, &h, NULL) == 0);
    if (!h) return;
    pthread_t t[5];
    conc c[5];
    for (int i = 0; i < 5; i++) {
        c[i] = (conc){h, i, 0};
        pthread_create(&t[i], NULL, i == 4 ? writer : searcher, &c[i]);
    }
    for (int i = 0; i < 5; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(c[i].bad, 0);
    }
    CHECK_INT(lh_hnsw_count(h), N);
    CHECK_INT(lh_hnsw_deleted(h), 100);
    lh_hnsw_free(h);
}

static void test_bad_args(void) {
    lh_hnsw *h = NULL;
    lh_err e = {0};
    lh_hnsw_params p = lh_hnsw_params_default();
    CHECK_INT(p.m, 16);
    CHECK_INT(p.ef_construction, 80);
    CHECK_INT(p.ef_search, 30);
    CHECK_INT(lh_hnsw_build(g_base, 10, 0, LH_METRIC_L2, &p, &h, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_dimension");
    p.m = 1;
    CHECK_INT(lh_hnsw_build(g_base, 10, DIM, LH_METRIC_L2, &p, &h, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_hnsw_params");
    p = lh_hnsw_params_default();
    p.ef_construction = 0;
    CHECK_INT(lh_hnsw_build(g_base, 10, DIM, LH_METRIC_L2, &p, &h, &e), LH_EINVAL);
    p = lh_hnsw_params_default();
    p.sq8 = true;
    CHECK_INT(lh_hnsw_build(NULL, 0, DIM, LH_METRIC_L2, &p, &h, &e), LH_EINVAL);
    CHECK_STR(e.code, "empty_sample");
    float *v = malloc(sizeof(float) * 20 * DIM);
    memcpy(v, g_base, sizeof(float) * 20 * DIM);
    v[13 * DIM + 5] = INFINITY;
    CHECK_INT(lh_hnsw_build(v, 20, DIM, LH_METRIC_L2, NULL, &h, &e), LH_EINVAL);
    CHECK(strstr(e.msg, "vector 13") != NULL);
    memset(v + 13 * DIM, 0, sizeof(float) * DIM); /* zero vector: fine for l2, not cosine */
    CHECK_INT(lh_hnsw_build(v, 20, DIM, LH_METRIC_COSINE, NULL, &h, &e), LH_EINVAL);
    CHECK(h == NULL);
    CHECK(lh_hnsw_build(v, 20, DIM, LH_METRIC_L2, NULL, &h, &e) == 0);
    if (h) {
        lh_vhit hits[4];
        int nh;
        CHECK_INT(lh_hnsw_search(h, g_q, 0, 0, NULL, hits, &nh, &e), LH_EINVAL);
        CHECK_STR(e.code, "bad_k");
        CHECK_INT(lh_hnsw_search(h, g_q, -3, 0, NULL, hits, &nh, &e), LH_EINVAL);
        float q[DIM];
        memcpy(q, g_q, sizeof q);
        q[0] = NAN;
        CHECK_INT(lh_hnsw_search(h, q, 4, 0, NULL, hits, &nh, &e), LH_EINVAL);
        CHECK_STR(e.code, "bad_vector");
        CHECK(lh_hnsw_search(h, g_q, 4, 1, NULL, hits, &nh, &e) == 0); /* ef < k is raised to k */
        CHECK_INT(nh, 4);
        lh_vhit many[100];
        CHECK(lh_hnsw_search(h, g_q, 100, 0, NULL, many, &nh, &e) == 0); /* k > count: all of them */
        CHECK_INT(nh, 20);
        CHECK(lh_hnsw_search(h, g_q, 4, 1 << 30, NULL, hits, &nh, &e) == 0); /* huge ef: capped */
        CHECK_INT(nh, 4);
        lh_hnsw_free(h);
    }
    free(v);
    lh_hnsw_free(NULL);
}

int main(void) {
    g_base = vg_clustered(N, DIM, 20, 1.0f, 1);
    {
        /* queries: the same cluster centres, fresh draws — not copies of base rows */
        float *all = vg_clustered(N + NQ, DIM, 20, 1.0f, 1);
        g_q = malloc(sizeof(float) * NQ * DIM);
        memcpy(g_q, all + (size_t)N * DIM, sizeof(float) * NQ * DIM);
        free(all);
    }
    RUN(test_recall_all_metrics);
    RUN(test_filtered);
    RUN(test_tombstones);
    RUN(test_exact);
    RUN(test_insert_after_build);
    RUN(test_concurrent);
    RUN(test_bad_args);
    free(g_base);
    free(g_q);
    return TEST_SUMMARY();
}

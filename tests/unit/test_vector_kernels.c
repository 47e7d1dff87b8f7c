/* tests/unit/test_vector_kernels.c — every kernel path against the scalar
 * one, metric names, vector validation, the allow bitmap, flat search
 * against a naive sort, and SQ8 round trips and distances. */
#include "testing.h"
#include "vec_gen.h"

#include <math.h>
#include <stdlib.h>

static const size_t dims[] = {1, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 100, 127, 128, 384, 768, 1000};

static void check_path(lh_isa isa, const char *name) {
    if (!lh_vector_isa_supported(isa)) {
        fprintf(stderr, "     (skipping the %s kernels: this CPU does not support them)\n", name);
        return;
    }
    vg_rng r = {7};
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        size_t d = dims[di];
        float *a = malloc(d * 4), *b = malloc(d * 4);
        int8_t *x = malloc(d), *y = malloc(d);
        for (size_t i = 0; i < d; i++) {
            a[i] = vg_gauss(&r);
            b[i] = vg_gauss(&r);
            /* SQ8 codes: [-127, 127] */
            x[i] = (int8_t)((int)(vg_next(&r) % 255) - 127);
            y[i] = (int8_t)((int)(vg_next(&r) % 255) - 127);
        }
        CHECK(lh_vector_force_isa(LH_ISA_SCALAR, NULL) == 0);
        float dot0 = lh_vec_dot(a, b, d), l20 = lh_vec_l2sq(a, b, d);
        CHECK(lh_vector_force_isa(isa, NULL) == 0);
        CHECK_STR(lh_vector_isa(), name);
        float dot1 = lh_vec_dot(a, b, d), l21 = lh_vec_l2sq(a, b, d);
        double tol = 1e-4 * (double)d + 1e-5;
        CHECK_MSG(fabs(dot0 - dot1) <= tol, "%s dot d=%zu: %g vs %g", name, d, dot0, dot1);
        CHECK_MSG(fabs(l20 - l21) <= tol * (1 + l20), "%s l2 d=%zu: %g vs %g", name, d, l20, l21);
        /* the SQ8 body, extremes included, against a plain loop of its own */
        if (d > 3) x[1] = y[1] = -127, x[2] = 127, y[2] = -127;
        if (d > 4) x[3] = y[3] = 127;
        int32_t s0 = 0;
        for (size_t i = 0; i < d; i++) s0 += (int32_t)x[i] * (int32_t)y[i];
        int32_t s1 = lh_vec_dot_i8_sq8(x, y, d);
        CHECK_MSG(s0 == s1, "%s sq8 int8 dot d=%zu: %d vs %d", name, d, s0, s1);
        /* and against a double-precision reference */
        double ref = 0;
        for (size_t i = 0; i < d; i++) ref += (double)a[i] * b[i];
        CHECK_MSG(fabs(ref - dot1) <= tol, "%s dot d=%zu vs double: %g vs %g", name, d, ref, dot1);
        free(a), free(b), free(x), free(y);
    }
    lh_vector_force_isa(LH_ISA_AUTO, NULL);
}

static void test_kernels_avx2(void) { check_path(LH_ISA_AVX2, "avx2"); }
static void test_kernels_avx512(void) { check_path(LH_ISA_AVX512, "avx512"); }
static void test_kernels_scalar(void) { check_path(LH_ISA_SCALAR, "scalar"); }

static void test_force_unsupported(void) {
    lh_err e = {0};
    if (!lh_vector_isa_supported(LH_ISA_AVX512)) {
        CHECK_INT(lh_vector_force_isa(LH_ISA_AVX512, &e), LH_EINVAL);
        CHECK_STR(e.code, "isa_unsupported");
    }
    CHECK(lh_vector_force_isa(LH_ISA_AUTO, NULL) == 0);
    CHECK(strcmp(lh_vector_isa(), "scalar") == 0 || lh_vector_isa_supported(LH_ISA_AVX2));
}

static void test_metric_names(void) {
    lh_metric m;
    CHECK(lh_metric_parse("cosine", &m, NULL) == 0 && m == LH_METRIC_COSINE);
    CHECK(lh_metric_parse("IP", &m, NULL) == 0 && m == LH_METRIC_IP);
    CHECK(lh_metric_parse("l2", &m, NULL) == 0 && m == LH_METRIC_L2);
    lh_err e = {0};
    CHECK_INT(lh_metric_parse("hamming", &m, &e), LH_EINVAL);
    CHECK_STR(e.code, "unknown_metric");
    CHECK(strstr(e.msg, "hamming") != NULL);
    CHECK_INT(lh_metric_parse(NULL, &m, NULL), LH_EINVAL);
    CHECK_STR(lh_metric_name(LH_METRIC_IP), "ip");
    CHECK_STR(lh_metric_name(LH_METRIC_L2), "l2");
    CHECK_STR(lh_metric_name(LH_METRIC_COSINE), "cosine");
}

static void test_vec_check(void) {
    float v[4] = {1, 2, 3, 4};
    lh_err e = {0};
    CHECK(lh_vec_check(v, 4, LH_METRIC_L2, &e) == 0);
    v[2] = NAN;
    CHECK_INT(lh_vec_check(v, 4, LH_METRIC_L2, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_vector");
    CHECK(strstr(e.msg, "component 2") != NULL);
    v[2] = INFINITY;
    CHECK_INT(lh_vec_check(v, 4, LH_METRIC_IP, NULL), LH_EINVAL);
    float z[3] = {0, 0, 0};
    CHECK_INT(lh_vec_check(z, 3, LH_METRIC_COSINE, NULL), LH_EINVAL);
    CHECK(lh_vec_check(z, 3, LH_METRIC_L2, NULL) == 0);
    CHECK_INT(lh_vec_check(z, 0, LH_METRIC_L2, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_dimension");
    float n[2] = {3, 4};
    CHECK(fabsf(lh_vec_normalize(n, 2) - 5) < 1e-6f);
    CHECK(fabsf(n[0] - 0.6f) < 1e-6f && fabsf(n[1] - 0.8f) < 1e-6f);
}

static void test_bitset(void) {
    lh_bitset b;
    CHECK(lh_bitset_init(&b, 130, NULL) == 0);
    CHECK_INT(lh_bitset_count(&b), 0);
    lh_bitset_set(&b, 0);
    lh_bitset_set(&b, 64);
    lh_bitset_set(&b, 129);
    lh_bitset_set(&b, 130); /* past the end: ignored */
    lh_bitset_set(&b, 5000);
    CHECK_INT(lh_bitset_count(&b), 3);
    CHECK(lh_bitset_test(&b, 64) && !lh_bitset_test(&b, 63) && !lh_bitset_test(&b, 130));
    lh_bitset_clear(&b, 64);
    CHECK(!lh_bitset_test(&b, 64));
    CHECK_INT(lh_bitset_count(&b), 2);
    lh_bitset_release(&b);
    CHECK(b.words == NULL && b.nbits == 0);
}

static void flat_vs_naive(lh_metric m, int threads, bool filtered) {
    size_t n = 3000, dim = 48;
    float *base = vg_clustered(n, dim, 10, 0.3f, 11);
    if (m != LH_METRIC_COSINE) /* un-normalise so ip and l2 see varied norms */
        for (size_t i = 0; i < n * dim; i++) base[i] *= 1.0f + (float)(i / dim % 7);
    float *qs = vg_clustered(20, dim, 10, 0.3f, 11); /* same centres, fresh points */
    lh_bitset allow;
    lh_bitset_init(&allow, n, NULL);
    for (size_t i = 0; i < n; i += 37) lh_bitset_set(&allow, i);
    for (int qi = 0; qi < 20; qi++) {
        lh_vhit hits[10];
        int nh = -1;
        uint32_t truth[10];
        CHECK(lh_flat_search(base, n, dim, m, qs + qi * dim, 10, filtered ? &allow : NULL, threads, hits, &nh,
                             NULL) == 0);
        int nt = vg_topk(base, n, dim, m, qs + qi * dim, 10, filtered ? &allow : NULL, truth);
        CHECK_INT(nh, nt);
        CHECK_INT(vg_overlap(hits, nh, truth, nt), nt);
        for (int i = 1; i < nh; i++) CHECK(hits[i - 1].dist <= hits[i].dist);
        if (filtered)
            for (int i = 0; i < nh; i++) CHECK(hits[i].label % 37 == 0);
        CHECK(fabs(hits[0].dist - vg_dist(m, qs + qi * dim, base + (size_t)hits[0].label * dim, dim)) < 1e-3);
    }
    lh_bitset_release(&allow);
    free(base);
    free(qs);
}

static void test_flat_search(void) {
    for (int m = 0; m < 3; m++) {
        flat_vs_naive((lh_metric)m, 1, false);
        flat_vs_naive((lh_metric)m, 3, false);
        flat_vs_naive((lh_metric)m, 2, true);
    }
}

static void test_flat_edges(void) {
    float base[6] = {1, 0, 0, 1, 1, 1};
    float q[2] = {1, 0};
    lh_vhit hits[5];
    int nh = -1;
    lh_err e = {0};
    /* k larger than n: all rows */
    CHECK(lh_flat_search(base, 3, 2, LH_METRIC_L2, q, 5, NULL, 1, hits, &nh, &e) == 0);
    CHECK_INT(nh, 3);
    CHECK_INT(hits[0].label, 0);
    CHECK_INT(lh_flat_search(base, 3, 2, LH_METRIC_L2, q, 0, NULL, 1, hits, &nh, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_k");
    CHECK_INT(lh_flat_search(base, 3, 0, LH_METRIC_L2, q, 1, NULL, 1, hits, &nh, &e), LH_EINVAL);
    float bad[2] = {NAN, 1};
    CHECK_INT(lh_flat_search(base, 3, 2, LH_METRIC_L2, bad, 1, NULL, 1, hits, &nh, &e), LH_EINVAL);
    CHECK_STR(e.code, "bad_vector");
    CHECK(lh_flat_search(NULL, 0, 2, LH_METRIC_L2, q, 1, NULL, 4, hits, &nh, &e) == 0);
    CHECK_INT(nh, 0);
    lh_bitset none;
    lh_bitset_init(&none, 3, NULL);
    CHECK(lh_flat_search(base, 3, 2, LH_METRIC_L2, q, 2, &none, 1, hits, &nh, &e) == 0);
    CHECK_INT(nh, 0);
    lh_bitset_release(&none);
}

static void test_sq8(void) {
    size_t n = 2000, dim = 64;
    for (int mi = 0; mi < 3; mi++) {
        lh_metric m = (lh_metric)mi;
        float *base = vg_clustered(n, dim, 8, 0.4f, 5);
        if (m == LH_METRIC_L2)
            for (size_t i = 0; i < n * dim; i++) base[i] = base[i] * 3 + 1;
        lh_sq8 *sq = NULL;
        lh_err e = {0};
        CHECK(lh_sq8_train(base, n, dim, m, &sq, &e) == 0);
        if (!sq) return;
        CHECK_INT(lh_sq8_dim(sq), dim);
        int8_t *codes = malloc(n * dim);
        float *aux = malloc(n * 4), *dec = malloc(dim * 4);
        /* one quantization step, read back through decode */
        int8_t c01[2 * 64] = {0};
        c01[64] = 1;
        float d0[64], d1[64];
        lh_sq8_decode(sq, c01, d0);
        lh_sq8_decode(sq, c01 + 64, d1);
        double step = d1[0] - d0[0];
        CHECK(step > 0);
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            lh_sq8_encode(sq, base + i * dim, codes + i * dim, aux + i);
            lh_sq8_decode(sq, codes + i * dim, dec);
            for (size_t j = 0; j < dim; j++)
                if (fabs(dec[j] - base[i * dim + j]) > 0.501 * step) off++;
        }
        /* all but the clamped outliers (a high quantile) round to the nearest step */
        CHECK_MSG(off <= n * dim / 500, "sq8 %s: %zu of %zu components off by more than half a step",
                  lh_metric_name(m), off, n * dim);
        /* quantized distance close to the f32 one */
        float *q = vg_clustered(1, dim, 8, 0.4f, 5);
        if (m == LH_METRIC_L2)
            for (size_t j = 0; j < dim; j++) q[j] = q[j] * 3 + 1;
        int8_t qc[64];
        lh_sq8_query qq;
        lh_sq8_encode_query(sq, q, qc, &qq);
        double worst = 0;
        for (size_t i = 0; i < n; i += 50) {
            double exact = vg_dist(m, q, base + i * dim, dim);
            double approx = lh_sq8_distance(sq, &qq, codes + i * dim, aux[i]);
            double rel = fabs(exact - approx) / (fabs(exact) + 1e-3);
            if (m != LH_METRIC_L2) rel = fabs(exact - approx); /* around 0..2 */
            if (rel > worst) worst = rel;
        }
        CHECK_MSG(worst < 0.05, "sq8 %s distance error %g", lh_metric_name(m), worst);
        /* the SQ8 flat search mostly agrees with exact */
        lh_vhit hits[10];
        int nh;
        uint32_t truth[10];
        CHECK(lh_sq8_flat_search(sq, codes, aux, n, q, 10, NULL, 2, hits, &nh, &e) == 0);
        int nt = vg_topk(base, n, dim, m, q, 10, NULL, truth);
        CHECK_MSG(vg_overlap(hits, nh, truth, nt) >= 8, "sq8 %s flat overlap %d/10", lh_metric_name(m),
                  vg_overlap(hits, nh, truth, nt));
        CHECK_INT(lh_sq8_flat_search(sq, codes, aux, n, q, -1, NULL, 2, hits, &nh, &e), LH_EINVAL);
        lh_sq8_free(sq);
        free(codes), free(aux), free(dec), free(base), free(q);
    }
    lh_sq8 *sq = NULL;
    lh_err e = {0};
    CHECK_INT(lh_sq8_train(NULL, 0, 8, LH_METRIC_L2, &sq, &e), LH_EINVAL);
    CHECK(sq == NULL);
}

int main(void) {
    fprintf(stderr, "     kernel path in use: %s\n", lh_vector_isa());
    RUN(test_kernels_scalar);
    RUN(test_kernels_avx2);
    RUN(test_kernels_avx512);
    RUN(test_force_unsupported);
    RUN(test_metric_names);
    RUN(test_vec_check);
    RUN(test_bitset);
    RUN(test_flat_search);
    RUN(test_flat_edges);
    RUN(test_sq8);
    return TEST_SUMMARY();
}

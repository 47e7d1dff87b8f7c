/* bench/bench_vector.c — our vector index against hnswlib on the same data.
 *
 * Data: a deterministic generator of gaussian clusters (L2-normalised) and
 * a uniform set; queries are drawn the same way (fresh points, not copies
 * of base rows). Exact ground truth comes from the flat search.
 * Figures, all from this run on this machine:
 *   - read bandwidth (a streaming pass over 1 GiB on all threads), and the
 *     exact f32 and int8 scans in ms/query and GB/s against it;
 *   - build seconds for ours (f32 and SQ8) and hnswlib with the same m and
 *     ef_construction on the same threads, and the ratio;
 *   - recall@10 and p50/p99 single-query latency per ef_search, and the
 *     latency ratio at the smallest ef reaching recall@10 >= 0.99;
 *   - memory: f32 vectors, our index (all bytes, and the hot bytes a search
 *     walks), hnswlib's index; sidecar save and load times.
 *
 * Sizes: LH_BENCH_VECTOR_N (100000), LH_BENCH_VECTOR_DIM (768),
 * LH_BENCH_VECTOR_Q (500 queries), LH_BENCH_VECTOR_UNIFORM_N (20000),
 * LH_BENCH_VECTOR_THREADS (2); `bench_vector --quick` runs 10000 x 128.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vector/vector.h"

#ifdef LH_HAVE_HNSWLIB
typedef struct hl_index hl_index;
hl_index *hl_build(const float *data, size_t n, size_t dim, int m, int efc, int threads);
int       hl_search(hl_index *h, const float *q, int k, int ef, uint32_t *labels);
size_t    hl_memory(hl_index *h);
void      hl_free(hl_index *h);
#endif

#define K 10
static const int efs[] = {10, 16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256};
#define NEF ((int)(sizeof efs / sizeof *efs))

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t env_size(const char *name, size_t dflt) {
    const char *v = getenv(name);
    return v && *v ? (size_t)strtoull(v, NULL, 10) : dflt;
}

/* ---- data ------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s) {
    uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
static double rng_unif(uint64_t *s) { return ((double)(rng_next(s) >> 11) + 0.5) * 0x1.0p-53; }
static float rng_gauss(uint64_t *s) {
    return (float)(sqrt(-2.0 * log(rng_unif(s))) * cos(6.283185307179586 * rng_unif(s)));
}

/* n + nq rows: gaussian clusters (or uniform in [-1,1]^dim), normalised.
 * The last nq rows are the queries, drawn exactly like the base rows. */
static float *gen(size_t n, size_t dim, bool clustered, uint64_t seed) {
    const int nc = 100;
    const float sigma = 0.5f;
    float *centres = malloc(sizeof(float) * dim * nc), *v = malloc(sizeof(float) * dim * n);
    if (!centres || !v) {
        fprintf(stderr, "bench_vector: out of memory for %zu x %zu\n", n, dim);
        exit(1);
    }
    uint64_t s = seed;
    for (size_t i = 0; i < dim * nc; i++) centres[i] = rng_gauss(&s);
    for (size_t i = 0; i < n; i++) {
        float *row = v + i * dim;
        if (clustered) {
            const float *c = centres + (rng_next(&s) % nc) * dim;
            for (size_t j = 0; j < dim; j++) row[j] = c[j] + sigma * rng_gauss(&s);
        } else {
            for (size_t j = 0; j < dim; j++) row[j] = (float)(2 * rng_unif(&s) - 1);
        }
        lh_vec_normalize(row, dim);
    }
    free(centres);
    return v;
}

/* ---- memory bandwidth --------------------------------------------------------- */

typedef struct bw_arg {
    const float *buf;
    size_t       lo, hi;
    float        sink;
} bw_arg;

static void *bw_main(void *p) {
    bw_arg *a = p;
    /* dot(x, x) reads each line once: a pure streaming read through the
     * same kernel the scans use */
    a->sink = lh_vec_dot(a->buf + a->lo, a->buf + a->lo, a->hi - a->lo);
    return NULL;
}

static double measure_bandwidth(int threads) {
    size_t n = (size_t)1 << 28; /* 1 GiB of floats */
    float *buf = malloc(n * sizeof(float));
    if (!buf) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 7);
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        pthread_t tid[64];
        bw_arg args[64];
        double t0 = now();
        for (int t = 0; t < threads; t++) {
            args[t] = (bw_arg){buf, n * (size_t)t / (size_t)threads, n * (size_t)(t + 1) / (size_t)threads, 0};
            pthread_create(&tid[t], NULL, bw_main, &args[t]);
        }
        for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
        double gbs = (double)n * sizeof(float) / (now() - t0) / 1e9;
        if (gbs > best) best = gbs;
    }
    free(buf);
    return best;
}

/* ---- helpers -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p) {
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static int overlap(const uint32_t *a, int na, const uint32_t *truth) {
    int c = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < K; j++)
            if (a[i] == truth[j]) {
                c++;
                break;
            }
    return c;
}

static double cpu_now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One contender in the latency sweep. */
typedef struct contender {
    const char *name;
    lh_hnsw    *ours;
#ifdef LH_HAVE_HNSWLIB
    hl_index *hl;
#endif
    double recall[NEF], p50[NEF], p99[NEF], cpu50[NEF];
    double *lat, *cpu;
    long   found;
} contender;

static void print_sweep(const contender *c) {
    printf("  %-9s", c->name);
    for (int e = 0; e < NEF; e++)
        printf(" | ef %3d: R %.4f p50 %6.1f p99 %6.1f cpu50 %6.1f us", efs[e], c->recall[e], c->p50[e], c->p99[e],
               c->cpu50[e]);
    printf("\n");
}

/* Smallest ef reaching recall >= target: its index, or -1. */
static int ef_at(const contender *c, double target) {
    for (int e = 0; e < NEF; e++)
        if (c->recall[e] >= target) return e;
    return -1;
}

static int query_one(contender *c, const float *q, int ef, uint32_t *l) {
#ifdef LH_HAVE_HNSWLIB
    if (c->hl) return hl_search(c->hl, q, K, ef, l);
#endif
    lh_vhit hits[K];
    int nh = 0;
    lh_hnsw_search(c->ours, q, K, ef, NULL, hits, &nh, NULL);
    for (int i = 0; i < nh; i++) l[i] = hits[i].label;
    return nh;
}

/* Every query goes to every contender back to back, so a busy machine
 * slows them alike; wall latency and the thread's CPU time are both kept
 * (CPU time is what a loaded machine does not distort). */
static void sweep_all(contender *cs, int nc, const float *qs, size_t nq, size_t dim, const uint32_t *truth) {
    for (int i = 0; i < nc; i++) {
        cs[i].lat = malloc(sizeof(double) * nq);
        cs[i].cpu = malloc(sizeof(double) * nq);
    }
    for (int e = 0; e < NEF; e++) {
        for (int i = 0; i < nc; i++) cs[i].found = 0;
        for (size_t q = 0; q < nq; q++)
            for (int i = 0; i < nc; i++) {
                uint32_t l[K];
                double c0 = cpu_now(CLOCK_THREAD_CPUTIME_ID), t0 = now();
                int nh = query_one(&cs[i], qs + q * dim, efs[e], l);
                cs[i].lat[q] = (now() - t0) * 1e6;
                cs[i].cpu[q] = (cpu_now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6;
                cs[i].found += overlap(l, nh, truth + q * K);
            }
        for (int i = 0; i < nc; i++) {
            cs[i].recall[e] = (double)cs[i].found / (double)(nq * K);
            cs[i].p50[e] = pct(cs[i].lat, nq, 0.50);
            cs[i].p99[e] = pct(cs[i].lat, nq, 0.99);
            cs[i].cpu50[e] = pct(cs[i].cpu, nq, 0.50);
        }
    }
    for (int i = 0; i < nc; i++) {
        free(cs[i].lat);
        free(cs[i].cpu);
    }
}

/* ---- one data set ------------------------------------------------------------------ */

static void run_set(const char *label, size_t n, size_t dim, size_t nq, bool clustered, int threads, double bw) {
    printf("\n== %s: %zu x %zu, %zu queries, k=%d, %d threads, kernels %s\n", label, n, dim, nq, K, threads,
           lh_vector_isa());
    double t0 = now();
    float *all = gen(n + nq, dim, clustered, clustered ? 1 : 2);
    const float *base = all, *qs = all + n * dim;
    printf("generate: %.1f s\n", now() - t0);
    double f32_bytes = (double)n * dim * sizeof(float);

    /* exact f32: ground truth, and the scan figure */
    uint32_t *truth = malloc(sizeof(uint32_t) * nq * K);
    t0 = now();
    for (size_t q = 0; q < nq; q++) {
        lh_vhit hits[K];
        int nh = 0;
        lh_flat_search(base, n, dim, LH_METRIC_COSINE, qs + q * dim, K, NULL, threads, hits, &nh, NULL);
        for (int i = 0; i < K; i++) truth[q * K + i] = i < nh ? hits[i].label : UINT32_MAX;
    }
    double flat_ms = (now() - t0) * 1e3 / (double)nq;
    double flat_gbs = f32_bytes / (flat_ms * 1e-3) / 1e9;
    double floor_ms = f32_bytes / (bw * 1e9) * 1e3;
    printf("exact f32 scan: %.2f ms/query, %.1f GB/s; bandwidth floor %.2f ms (%.1f GB/s): %.2fx the floor\n",
           flat_ms, flat_gbs, floor_ms, bw, flat_ms / floor_ms);

    /* exact int8 (SQ8) scan */
    lh_sq8 *sq = NULL;
    size_t ns = n < 20000 ? n : 20000;
    lh_sq8_train(base, ns, dim, LH_METRIC_COSINE, &sq, NULL);
    int8_t *codes = malloc(n * dim);
    float *aux = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) lh_sq8_encode(sq, base + i * dim, codes + i * dim, aux + i);
    long found = 0;
    t0 = now();
    for (size_t q = 0; q < nq; q++) {
        lh_vhit hits[K];
        int nh = 0;
        lh_sq8_flat_search(sq, codes, aux, n, qs + q * dim, K, NULL, threads, hits, &nh, NULL);
        uint32_t l[K];
        for (int i = 0; i < nh; i++) l[i] = hits[i].label;
        found += overlap(l, nh, truth + q * K);
    }
    double i8_ms = (now() - t0) * 1e3 / (double)nq;
    double i8_bytes = (double)n * (dim + sizeof(float));
    printf("exact int8 scan: %.2f ms/query, %.1f GB/s (%.2fx the floor for its %.0f MB), recall@10 %.4f, "
           "%.1fx faster than f32\n",
           i8_ms, i8_bytes / (i8_ms * 1e-3) / 1e9, i8_ms / (i8_bytes / (bw * 1e9) * 1e3), i8_bytes / 1e6,
           (double)found / (double)(nq * K), flat_ms / i8_ms);
    free(codes);
    free(aux);
    lh_sq8_free(sq);

    const int M = 16, EFC = 80;
    lh_hnsw_params p = lh_hnsw_params_default();
    p.m = M;
    p.ef_construction = EFC;
    p.threads = threads;
    lh_err err = {0};
    contender cs[3];
    int nc = 0;
    double bw_f32[2], bw_sq8[2], bc_f32[2], bc_sq8[2]; /* wall, cpu */
    for (int sq8 = 0; sq8 < 2; sq8++) {
        p.sq8 = sq8;
        lh_hnsw *h = NULL;
        double c0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
        t0 = now();
        if (lh_hnsw_build(base, n, dim, LH_METRIC_COSINE, &p, &h, &err) != 0) {
            printf("ours build failed: %s\n", err.msg);
            exit(1);
        }
        (sq8 ? bw_sq8 : bw_f32)[0] = now() - t0;
        (sq8 ? bc_sq8 : bc_f32)[0] = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        cs[nc++] = (contender){.name = sq8 ? "ours sq8" : "ours f32", .ours = h};
    }
    lh_hnsw *hf = cs[0].ours, *hs = cs[1].ours;
    printf("build (m %d, ef_construction %d, %d threads): ours f32 %.1f s (%.1f CPU s), ours sq8 %.1f s (%.1f CPU s)",
           M, EFC, threads, bw_f32[0], bc_f32[0], bw_sq8[0], bc_sq8[0]);
#ifdef LH_HAVE_HNSWLIB
    double c0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
    t0 = now();
    hl_index *hl = hl_build(base, n, dim, M, EFC, threads);
    double b_hl = now() - t0, bc_hl = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    cs[nc++] = (contender){.name = "hnswlib", .hl = hl};
    printf(", hnswlib %.1f s (%.1f CPU s)\n  build ratio to hnswlib: f32 %.2fx wall %.2fx CPU, sq8 %.2fx wall %.2fx CPU\n",
           b_hl, bc_hl, bw_f32[0] / b_hl, bc_f32[0] / bc_hl, bw_sq8[0] / b_hl, bc_sq8[0] / bc_hl);
#else
    printf(" (hnswlib not built: install libhnswlib-dev for the comparison)\n");
#endif
    (void)bw_f32[1], (void)bc_f32[1], (void)bw_sq8[1], (void)bc_sq8[1];
    printf("memory: f32 vectors %.0f MB; ours f32 index %.0f MB; ours sq8 index %.0f MB, of which hot (graph + codes) "
           "%.0f MB = %.2fx the f32 index",
           f32_bytes / 1e6, lh_hnsw_memory_bytes(hf) / 1e6, lh_hnsw_memory_bytes(hs) / 1e6,
           lh_hnsw_hot_bytes(hs) / 1e6, (double)lh_hnsw_hot_bytes(hs) / (double)lh_hnsw_memory_bytes(hf));
#ifdef LH_HAVE_HNSWLIB
    printf("; hnswlib %.0f MB\n", hl_memory(hl) / 1e6);
#else
    printf("\n");
#endif

    /* sidecar save / load of the sq8 index */
    char path[] = "/tmp/lh_bench_vector_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    t0 = now();
    int src = lh_hnsw_save(hs, path, &err);
    double t_save = now() - t0;
    lh_hnsw *g = NULL;
    t0 = now();
    int lrc = src == 0 ? lh_hnsw_load(path, &g, &err) : -1;
    double t_load = now() - t0;
    if (lrc == 0) {
        lh_vhit hits[K];
        int nh;
        t0 = now();
        lh_hnsw_search(g, qs, K, 64, NULL, hits, &nh, NULL);
        printf("sidecar (sq8): %.0f MB, save %.2f s, load (mmap + checksum + id check) %.3f s, first query %.2f ms\n",
               (double)lh_hnsw_memory_bytes(g) / 1e6, t_save, t_load, (now() - t0) * 1e3);
        lh_hnsw_free(g);
    } else {
        printf("sidecar: %s\n", err.msg);
    }
    unlink(path);

    sweep_all(cs, nc, qs, nq, dim, truth);
    printf("recall@10 and single-query latency per ef_search (wall p50/p99, CPU p50), queries interleaved:\n");
    for (int i = 0; i < nc; i++) print_sweep(&cs[i]);
    for (int t = 0; t < 2; t++) {
        double target = t == 0 ? 0.99 : 0.95;
        printf("at recall@10 >= %.2f:", target);
        int eh = nc == 3 ? ef_at(&cs[2], target) : -1;
        for (int i = 0; i < nc; i++) {
            int e = ef_at(&cs[i], target);
            if (e < 0) {
                printf(" %s never;", cs[i].name);
                continue;
            }
            printf(" %s ef %d p50 %.1f us (CPU %.1f us)", cs[i].name, efs[e], cs[i].p50[e], cs[i].cpu50[e]);
            if (i < 2 && eh >= 0)
                printf(" = %.2fx wall, %.2fx CPU of hnswlib", cs[i].p50[e] / cs[2].p50[eh],
                       cs[i].cpu50[e] / cs[2].cpu50[eh]);
            printf(";");
        }
        printf("\n");
    }
    lh_hnsw_free(hf);
    lh_hnsw_free(hs);
#ifdef LH_HAVE_HNSWLIB
    hl_free(hl);
#endif
    free(truth);
    free(all);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    size_t n = env_size("LH_BENCH_VECTOR_N", quick ? 10000 : 100000);
    size_t dim = env_size("LH_BENCH_VECTOR_DIM", quick ? 128 : 768);
    size_t nq = env_size("LH_BENCH_VECTOR_Q", quick ? 200 : 500);
    size_t nu = env_size("LH_BENCH_VECTOR_UNIFORM_N", quick ? 5000 : 20000);
    int threads = (int)env_size("LH_BENCH_VECTOR_THREADS", 2);
    if (!n || !dim || !nq || threads < 1 || threads > 64) {
        fprintf(stderr, "bench_vector: bad LH_BENCH_VECTOR_* sizes\n");
        return 2;
    }
    double bw = measure_bandwidth(threads);
    printf("bench_vector: kernels %s, measured read bandwidth %.1f GB/s (%d threads, 1 GiB streaming dot)\n",
           lh_vector_isa(), bw, threads);
    run_set("clustered", n, dim, nq, true, threads, bw);
    if (nu) run_set("uniform", nu, dim, nq, false, threads, bw);
    return 0;
}

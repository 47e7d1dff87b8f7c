/* tests/unit/vec_gen.h — deterministic vector data for the vector tests:
 * gaussian clusters (L2-normalised) and brute-force references. */
#ifndef LH_TEST_VEC_GEN_H
#define LH_TEST_VEC_GEN_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "vector/vector.h"

typedef struct { uint64_t s; } vg_rng;

static inline uint64_t vg_next(vg_rng *r) {
    uint64_t x = (r->s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
static inline double vg_unif(vg_rng *r) { return ((double)(vg_next(r) >> 11) + 0.5) * 0x1.0p-53; }
static inline float vg_gauss(vg_rng *r) {
    return (float)(sqrt(-2.0 * log(vg_unif(r))) * cos(6.283185307179586 * vg_unif(r)));
}

/* n vectors around `clusters` random centres (spread sigma), normalised. */
static inline float *vg_clustered(size_t n, size_t dim, int clusters, float sigma, uint64_t seed) {
    vg_rng r = {seed};
    float *c = malloc(sizeof(float) * dim * (size_t)clusters), *v = malloc(sizeof(float) * dim * n);
    for (size_t i = 0; i < dim * (size_t)clusters; i++) c[i] = vg_gauss(&r);
    for (size_t i = 0; i < n; i++) {
        size_t k = vg_next(&r) % (size_t)clusters;
        for (size_t j = 0; j < dim; j++) v[i * dim + j] = c[k * dim + j] + sigma * vg_gauss(&r);
        lh_vec_normalize(v + i * dim, dim);
    }
    free(c);
    return v;
}

/* Naive reference: distances of every row, sorted, top k (ties by label). */
typedef struct { uint32_t label; double dist; } vg_ref;
static int vg_ref_cmp(const void *a, const void *b) {
    const vg_ref *x = a, *y = b;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return (x->label > y->label) - (x->label < y->label);
}
static inline double vg_dist(lh_metric m, const float *a, const float *b, size_t dim) {
    double dot = 0, na = 0, nb = 0, l2 = 0;
    for (size_t j = 0; j < dim; j++) {
        dot += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
        l2 += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    }
    if (m == LH_METRIC_COSINE) return 1.0 - dot / sqrt(na * nb);
    if (m == LH_METRIC_IP) return -dot;
    return l2;
}
/* Fills out[k] with the exact top k among rows allowed (allow NULL: all);
 * returns how many. */
static inline int vg_topk(const float *base, size_t n, size_t dim, lh_metric m, const float *q, int k,
                          const lh_bitset *allow, uint32_t *out) {
    vg_ref *all = malloc(sizeof *all * (n ? n : 1));
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (allow && !lh_bitset_test(allow, i)) continue;
        all[c++] = (vg_ref){(uint32_t)i, vg_dist(m, q, base + i * dim, dim)};
    }
    qsort(all, c, sizeof *all, vg_ref_cmp);
    int r = (int)(c < (size_t)k ? c : (size_t)k);
    for (int i = 0; i < r; i++) out[i] = all[i].label;
    free(all);
    return r;
}
/* |found ∩ truth| over k. */
static inline int vg_overlap(const lh_vhit *hits, int nh, const uint32_t *truth, int nt) {
    int c = 0;
    for (int i = 0; i < nh; i++)
        for (int j = 0; j < nt; j++)
            if (hits[i].label == truth[j]) {
                c++;
                break;
            }
    return c;
}

#endif

/* vector/vector_internal.h — what the vector/ files share and nobody else
 * sees: the kernel dispatch table, the fixed-size top-k heap and the SQ8
 * layout that the HNSW index embeds in its sidecar. */
#ifndef LH_VECTOR_INTERNAL_H
#define LH_VECTOR_INTERNAL_H

#include "vector/vector.h"

/* The kernel bodies in use. Filled with the best path the CPU has before
 * main() runs (a constructor in kernels.c); hot loops copy the pointers
 * they need into locals once per call. */
typedef struct lh_vkern {
    float   (*dot)(const float *, const float *, size_t);
    float   (*l2sq)(const float *, const float *, size_t);
    int32_t (*dot_i8s)(const int8_t *, const int8_t *, size_t); /* codes in [-127, 127] */
} lh_vkern;
extern lh_vkern lh_vk;

/* ---- bounded max-heap of hits: keeps the k smallest distances ---------- */
typedef struct lh_topk {
    lh_vhit *h;
    int      n, cap;
} lh_topk;

static inline void lh_topk_siftdown(lh_topk *t, int i) {
    lh_vhit x = t->h[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= t->n) break;
        if (c + 1 < t->n && t->h[c + 1].dist > t->h[c].dist) c++;
        if (t->h[c].dist <= x.dist) break;
        t->h[i] = t->h[c];
        i = c;
    }
    t->h[i] = x;
}
/* Offer a hit; kept when the heap is not full or it beats the worst. */
static inline void lh_topk_push(lh_topk *t, uint32_t label, float dist) {
    if (t->n < t->cap) {
        int i = t->n++;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (t->h[p].dist >= dist) break;
            t->h[i] = t->h[p];
            i = p;
        }
        t->h[i] = (lh_vhit){label, dist};
    } else if (dist < t->h[0].dist) {
        t->h[0] = (lh_vhit){label, dist};
        lh_topk_siftdown(t, 0);
    }
}
static inline float lh_topk_worst(const lh_topk *t) {
    return t->n < t->cap ? __builtin_inff() : t->h[0].dist;
}
/* Sort the heap's content best first (destroys the heap order). */
void lh_topk_sort(lh_topk *t);

/* Quantizer state, a plain struct so the index can lay it out in a file. */
struct lh_sq8 {
    uint32_t  dim;
    lh_metric metric;
    float     scale;     /* one step of a code */
    float     center_sq; /* sum(center^2), used by ip/cosine */
    float    *center;    /* dim entries */
    bool      owns;      /* center is malloc'd (vs mapped) */
};

/* The query-only term of a stored code (its aux given): distance =
 * base -+ aux + mult * dot_i8 (see sq8.c). */
float lh_sq8_base(const lh_sq8 *q, const int8_t *codes, float aux);

/* Validate k/dim/query common to the searches. */
int lh_vec_check_search(size_t dim, int k, const float *q, lh_metric m, lh_err *err);

/* Run fn(arg, t) for t in [0, threads) on threads, the caller taking t=0. */
int lh_vec_parallel(int threads, void (*fn)(void *arg, int t), void *arg, lh_err *err);

#endif

/* vector/flat.c — exact search: score every (allowed) row, keep the k best
 * in a bounded max-heap, merge the per-thread heaps.
 *
 * A single query over a large matrix is a stream through memory: each row
 * is read once, so the scan runs at memory bandwidth when the kernel keeps
 * up. Rows are split into one contiguous range per thread (both cores pull
 * from DRAM at once); with an allow bitmap the scan walks set bits word by
 * word, so a selective filter costs its popcount, not n. The same driver
 * serves f32 rows and SQ8 codes through a small scorer callback.
 */
#include "vector/vector_internal.h"

#include <stdlib.h>
#include <string.h>

typedef float (*row_score_fn)(const void *ctx, size_t row);

typedef struct flat_job {
    row_score_fn     score;
    const void      *ctx;
    size_t           n;
    const lh_bitset *allow;
    int              threads, k;
    lh_topk         *heaps; /* one per thread */
} flat_job;

static void flat_worker(void *arg, int t) {
    flat_job *j = arg;
    size_t lo = j->n * (size_t)t / (size_t)j->threads, hi = j->n * (size_t)(t + 1) / (size_t)j->threads;
    lh_topk *tk = &j->heaps[t];
    if (!j->allow) {
        for (size_t r = lo; r < hi; r++) {
            float d = j->score(j->ctx, r);
            if (d < lh_topk_worst(tk)) lh_topk_push(tk, (uint32_t)r, d);
        }
        return;
    }
    size_t end = hi < j->allow->nbits ? hi : j->allow->nbits;
    for (size_t r = lo; r < end;) {
        uint64_t w = j->allow->words[r >> 6] >> (r & 63);
        if (!w) {
            r = (r | 63) + 1;
            continue;
        }
        r += (size_t)__builtin_ctzll(w);
        if (r >= end) break;
        float d = j->score(j->ctx, r);
        if (d < lh_topk_worst(tk)) lh_topk_push(tk, (uint32_t)r, d);
        r++;
    }
}

/* Scan n rows with `threads` workers and write the merged top-k to out. */
static int flat_run(row_score_fn score, const void *ctx, size_t n, int k, const lh_bitset *allow,
                    int threads, lh_vhit *out, int *n_out, lh_err *err) {
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if ((size_t)threads > n / 4096 + 1) threads = (int)(n / 4096 + 1); /* small scans: no thread start-up */
    lh_topk heaps[64];
    lh_vhit *mem = malloc(sizeof(lh_vhit) * (size_t)k * (size_t)threads);
    if (!mem) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for a top-%d heap", k);
    for (int t = 0; t < threads; t++) heaps[t] = (lh_topk){mem + (size_t)t * (size_t)k, 0, k};
    flat_job job = {score, ctx, n, allow, threads, k, heaps};
    int rc = lh_vec_parallel(threads, flat_worker, &job, err);
    if (rc) {
        free(mem);
        return rc;
    }
    lh_topk all = heaps[0];
    for (int t = 1; t < threads; t++)
        for (int i = 0; i < heaps[t].n; i++) lh_topk_push(&all, heaps[t].h[i].label, heaps[t].h[i].dist);
    lh_topk_sort(&all);
    memcpy(out, all.h, sizeof(lh_vhit) * (size_t)all.n);
    *n_out = all.n;
    free(mem);
    return 0;
}

typedef struct f32_ctx {
    const float *base, *q;
    size_t       dim;
    lh_metric    m;
    float (*dot)(const float *, const float *, size_t);
    float (*l2sq)(const float *, const float *, size_t);
} f32_ctx;

static float score_f32(const void *p, size_t r) {
    const f32_ctx *c = p;
    const float *row = c->base + r * c->dim;
    switch (c->m) {
    case LH_METRIC_COSINE: return 1.0f - c->dot(c->q, row, c->dim);
    case LH_METRIC_IP: return -c->dot(c->q, row, c->dim);
    default: return c->l2sq(c->q, row, c->dim);
    }
}

int lh_flat_search(const float *base, size_t n, size_t dim, lh_metric m, const float *q, int k,
                   const lh_bitset *allow, int threads, lh_vhit *out, int *n_out, lh_err *err) {
    *n_out = 0;
    int rc = lh_vec_check_search(dim, k, q, m, err);
    if (rc) return rc;
    if (n && !base) return lh_err_set(err, LH_EINVAL, "bad_vector", "flat search over %zu rows without data", n);
    float *qn = NULL;
    if (m == LH_METRIC_COSINE) {
        if (!(qn = malloc(dim * sizeof *qn))) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for the query");
        memcpy(qn, q, dim * sizeof *qn);
        lh_vec_normalize(qn, dim);
    }
    f32_ctx c = {base, qn ? qn : q, dim, m, lh_vk.dot, lh_vk.l2sq};
    rc = flat_run(score_f32, &c, n, k, allow, threads, out, n_out, err);
    free(qn);
    return rc;
}

typedef struct sq8_ctx {
    const lh_sq8       *sq;
    const lh_sq8_query *qq;
    const int8_t       *codes;
    const float        *aux;
} sq8_ctx;

static float score_sq8(const void *p, size_t r) {
    const sq8_ctx *c = p;
    return lh_sq8_distance(c->sq, c->qq, c->codes + r * c->sq->dim, c->aux[r]);
}

int lh_sq8_flat_search(const lh_sq8 *sq, const int8_t *codes, const float *aux, size_t n, const float *q,
                       int k, const lh_bitset *allow, int threads, lh_vhit *out, int *n_out, lh_err *err) {
    *n_out = 0;
    if (!sq) return lh_err_set(err, LH_EINVAL, "bad_quantizer", "SQ8 search without a trained quantizer");
    int rc = lh_vec_check_search(sq->dim, k, q, sq->metric, err);
    if (rc) return rc;
    if (n && (!codes || !aux)) return lh_err_set(err, LH_EINVAL, "bad_vector", "SQ8 search over %zu rows without codes", n);
    int8_t *buf = malloc(sq->dim);
    if (!buf) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for the query");
    lh_sq8_query qq;
    lh_sq8_encode_query(sq, q, buf, &qq);
    sq8_ctx c = {sq, &qq, codes, aux};
    rc = flat_run(score_sq8, &c, n, k, allow, threads, out, n_out, err);
    free(buf);
    return rc;
}

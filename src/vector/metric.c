/* vector/metric.c — metric names, vector validation and normalisation, the
 * distance definitions every index shares (lower is better), and the small
 * helpers (hit sorting, a fork-join over pthreads) the searches use. */
#include "vector/vector_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int lh_metric_parse(const char *name, lh_metric *out, lh_err *err) {
    if (!name) return lh_err_set(err, LH_EINVAL, "unknown_metric", "metric is missing; use cosine, ip or l2");
    if (!strcasecmp(name, "cosine") || !strcasecmp(name, "cos")) *out = LH_METRIC_COSINE;
    else if (!strcasecmp(name, "ip") || !strcasecmp(name, "dot") || !strcasecmp(name, "inner_product"))
        *out = LH_METRIC_IP;
    else if (!strcasecmp(name, "l2") || !strcasecmp(name, "euclidean")) *out = LH_METRIC_L2;
    else
        return lh_err_set(err, LH_EINVAL, "unknown_metric",
                          "unknown metric \"%.64s\"; use cosine, ip or l2", name);
    return 0;
}

const char *lh_metric_name(lh_metric m) {
    switch (m) {
    case LH_METRIC_COSINE: return "cosine";
    case LH_METRIC_IP: return "ip";
    case LH_METRIC_L2: return "l2";
    }
    return "unknown";
}

int lh_vec_check(const float *v, size_t dim, lh_metric m, lh_err *err) {
    if (dim == 0) return lh_err_set(err, LH_EINVAL, "bad_dimension", "vector dimension must be at least 1");
    if (!v) return lh_err_set(err, LH_EINVAL, "bad_vector", "vector is missing");
    /* Fast path: one SIMD pass. A NaN or infinity anywhere makes the sum of
     * squares non-finite, so only a bad vector pays for the slow scan that
     * finds the component to name. */
    float ss = lh_vk.dot(v, v, dim);
    if (isfinite(ss) && (ss > 0 || m != LH_METRIC_COSINE)) return 0;
    for (size_t i = 0; i < dim; i++)
        if (!isfinite(v[i]))
            return lh_err_set(err, LH_EINVAL, "bad_vector",
                              "vector component %zu is %s; every component must be a finite number", i,
                              isnan(v[i]) ? "NaN" : "infinite");
    if (!isfinite(ss))
        return lh_err_set(err, LH_EINVAL, "bad_vector", "vector norm overflows a float; scale it down");
    return lh_err_set(err, LH_EINVAL, "bad_vector", "an all-zero vector has no direction for cosine distance");
}

float lh_vec_normalize(float *v, size_t dim) {
    float ss = lh_vk.dot(v, v, dim);
    if (!(ss > 0) || !isfinite(ss)) return 0;
    float norm = sqrtf(ss), inv = 1.0f / norm;
    for (size_t i = 0; i < dim; i++) v[i] *= inv;
    return norm;
}

float lh_vec_distance(lh_metric m, const float *a, const float *b, size_t dim) {
    switch (m) {
    case LH_METRIC_COSINE: return 1.0f - lh_vk.dot(a, b, dim);
    case LH_METRIC_IP: return -lh_vk.dot(a, b, dim);
    case LH_METRIC_L2: return lh_vk.l2sq(a, b, dim);
    }
    return 0;
}

int lh_vec_check_search(size_t dim, int k, const float *q, lh_metric m, lh_err *err) {
    if (dim == 0) return lh_err_set(err, LH_EINVAL, "bad_dimension", "vector dimension must be at least 1");
    if (k <= 0) return lh_err_set(err, LH_EINVAL, "bad_k", "k must be at least 1 (got %d)", k);
    return lh_vec_check(q, dim, m, err);
}

static int hit_cmp(const void *a, const void *b) {
    const lh_vhit *x = a, *y = b;
    if (x->dist < y->dist) return -1;
    if (x->dist > y->dist) return 1;
    return (x->label > y->label) - (x->label < y->label); /* ties: stable by label */
}

void lh_topk_sort(lh_topk *t) { qsort(t->h, (size_t)t->n, sizeof *t->h, hit_cmp); }

typedef struct par_job {
    void (*fn)(void *, int);
    void *arg;
    int   t;
} par_job;

static void *par_main(void *p) {
    par_job *j = p;
    j->fn(j->arg, j->t);
    return NULL;
}

int lh_vec_parallel(int threads, void (*fn)(void *arg, int t), void *arg, lh_err *err) {
    if (threads <= 1) {
        fn(arg, 0);
        return 0;
    }
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    par_job *jobs = calloc((size_t)threads, sizeof *jobs);
    if (!tid || !jobs) {
        free(tid);
        free(jobs);
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for %d worker threads", threads);
    }
    int started = 1, rc = 0;
    for (int t = 1; t < threads; t++) {
        jobs[t] = (par_job){fn, arg, t};
        if (pthread_create(&tid[t], NULL, par_main, &jobs[t]) != 0) {
            rc = lh_err_set(err, LH_EUNAVAIL, "thread_failed", "could not start worker thread %d of %d", t, threads);
            break;
        }
        started++;
    }
    /* Work the threads did not get still has to be done: run the missing
     * shares here so a thread shortage costs speed, not results. */
    fn(arg, 0);
    for (int t = started; t < threads; t++) fn(arg, t);
    for (int t = 1; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    free(jobs);
    if (rc) lh_err_clear(err);
    return 0;
}

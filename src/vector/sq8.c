/* vector/sq8.c — SQ8 scalar quantization: one signed byte per dimension.
 *
 * x[i] ~ center[i] + s * e[i], e in [-127, 127]. The center is per
 * dimension (middle of the trained min/max), the step s is shared by all
 * dimensions: that is what makes every distance an integer dot product,
 *   dot(x, y)  ~ sum(c^2) + s*(A(x) + A(y)) + s^2 * dot_i8(ex, ey)
 *   |x - y|^2  ~ s^2 * (|ex|^2 + |ey|^2 - 2 * dot_i8(ex, ey))
 * with A(x) = sum(c[i] * ex[i]) and |ex|^2 known per vector: each vector
 * carries one float (aux) and the query one (base), and the hot loop is the
 * exact int8 kernel. Per-dimension steps would fit skewed dimensions
 * better but turn the cross term into a weighted sum that no int8 kernel
 * computes; embeddings have dimensions of similar spread, and the index
 * re-ranks its final candidates on f32 anyway.
 *
 * s is learned from the sample: a high quantile of |x - center| so that a
 * few outliers (clamped to +-127) do not waste the resolution of all.
 */
#include "vector/vector_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SQ8_QUANTILE 0.9995

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int lh_sq8_train(const float *sample, size_t n, size_t dim, lh_metric m, lh_sq8 **out, lh_err *err) {
    *out = NULL;
    if (dim == 0) return lh_err_set(err, LH_EINVAL, "bad_dimension", "vector dimension must be at least 1");
    if (n == 0 || !sample) return lh_err_set(err, LH_EINVAL, "empty_sample", "SQ8 training needs at least one vector");
    lh_sq8 *q = calloc(1, sizeof *q);
    float *mn = malloc(dim * sizeof *mn), *mx = malloc(dim * sizeof *mx);
    if (q) q->center = malloc(dim * sizeof *q->center);
    if (!q || !mn || !mx || !q->center) {
        if (q) free(q->center);
        free(q);
        free(mn);
        free(mx);
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to train SQ8 on %zu dimensions", dim);
    }
    q->dim = (uint32_t)dim;
    q->metric = m;
    q->owns = true;
    for (size_t j = 0; j < dim; j++) mn[j] = mx[j] = sample[j];
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < dim; j++) {
            float v = sample[i * dim + j];
            if (v < mn[j]) mn[j] = v;
            if (v > mx[j]) mx[j] = v;
        }
    double csq = 0;
    for (size_t j = 0; j < dim; j++) {
        q->center[j] = 0.5f * (mn[j] + mx[j]);
        csq += (double)q->center[j] * q->center[j];
    }
    q->center_sq = (float)csq;
    /* Step from a quantile of |x - center| over (up to) 1M sampled entries,
     * taken at a fixed stride so training is deterministic. */
    size_t total = n * dim, want = total < (1u << 20) ? total : (1u << 20);
    size_t stride = total / want;
    float *dev = malloc(want * sizeof *dev);
    if (!dev) {
        lh_sq8_free(q);
        free(mn);
        free(mx);
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to train SQ8");
    }
    for (size_t i = 0; i < want; i++) {
        size_t at = i * stride;
        dev[i] = fabsf(sample[at] - q->center[at % dim]);
    }
    qsort(dev, want, sizeof *dev, cmp_float);
    float hi = dev[(size_t)((double)(want - 1) * SQ8_QUANTILE)];
    if (!(hi > 0)) hi = dev[want - 1];
    if (!(hi > 0)) hi = 1.0f; /* constant data: any step works */
    q->scale = hi / 127.0f;
    free(dev);
    free(mn);
    free(mx);
    *out = q;
    return 0;
}

void lh_sq8_free(lh_sq8 *q) {
    if (!q) return;
    if (q->owns) free(q->center);
    free(q);
}

size_t lh_sq8_dim(const lh_sq8 *q) { return q ? q->dim : 0; }

static void quantize(const lh_sq8 *q, const float *v, int8_t *codes) {
    float inv = 1.0f / q->scale;
    for (uint32_t j = 0; j < q->dim; j++) {
        float t = nearbyintf((v[j] - q->center[j]) * inv);
        if (t > 127.f) t = 127.f;
        if (t < -127.f) t = -127.f;
        codes[j] = (int8_t)t;
    }
}

/* The per-vector term: s*A(x) for ip/cosine, s^2*|e|^2 for l2. */
static float aux_of(const lh_sq8 *q, const int8_t *codes) {
    double a = 0;
    if (q->metric == LH_METRIC_L2) {
        for (uint32_t j = 0; j < q->dim; j++) a += (double)codes[j] * codes[j];
        return (float)(a * q->scale * q->scale);
    }
    for (uint32_t j = 0; j < q->dim; j++) a += (double)q->center[j] * codes[j];
    return (float)(a * q->scale);
}

void lh_sq8_encode(const lh_sq8 *q, const float *v, int8_t *codes, float *aux) {
    quantize(q, v, codes);
    *aux = aux_of(q, codes);
}

void lh_sq8_decode(const lh_sq8 *q, const int8_t *codes, float *v) {
    for (uint32_t j = 0; j < q->dim; j++) v[j] = q->center[j] + q->scale * codes[j];
}

/* Query form of a stored vector's code: base is the term that depends on
 * the query only, so distance = base +- aux + mult * dot_i8. */
float lh_sq8_base(const lh_sq8 *q, const int8_t *codes, float aux) {
    (void)codes;
    switch (q->metric) {
    case LH_METRIC_COSINE: return 1.0f - (q->center_sq + aux);
    case LH_METRIC_IP: return -(q->center_sq + aux);
    default: return aux;
    }
}

void lh_sq8_encode_query(const lh_sq8 *q, const float *v, int8_t *codes_buf, lh_sq8_query *out) {
    if (q->metric == LH_METRIC_COSINE) {
        double ss = 0;
        for (uint32_t j = 0; j < q->dim; j++) ss += (double)v[j] * v[j];
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.f, inv_s = 1.0f / q->scale;
        for (uint32_t j = 0; j < q->dim; j++) {
            float t = nearbyintf((v[j] * inv - q->center[j]) * inv_s);
            codes_buf[j] = (int8_t)(t > 127.f ? 127.f : t < -127.f ? -127.f : t);
        }
    } else {
        quantize(q, v, codes_buf);
    }
    out->codes = codes_buf;
    out->base = lh_sq8_base(q, codes_buf, aux_of(q, codes_buf));
}

float lh_sq8_distance(const lh_sq8 *q, const lh_sq8_query *qq, const int8_t *codes, float aux) {
    float s2 = q->scale * q->scale;
    float dot = (float)lh_vk.dot_i8s(qq->codes, codes, q->dim);
    if (q->metric == LH_METRIC_L2) return qq->base + aux - 2.0f * s2 * dot;
    return qq->base - aux - s2 * dot;
}

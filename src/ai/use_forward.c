/* ai/use_forward.c — USE-lite's forward pass over a packed batch of texts.
 *
 * The network, as the reference oracle (use_lite_ref.py) computes it:
 *   x[p]  = 2·E[id_p] + [sin(p·inv), cos(p·inv)]      (256 wide)
 *   layer 0 (256 → 512), layer 1 (512 → 512), each pre-norm:
 *     h = LN(x); q,k,v = h·Wqkv + b; a = softmax(scale·q·kᵀ)·v per head;
 *     x = a·Wo + bo + (layer 0: x·Wd + bd, layer 1: x)
 *     x = relu(LN(x)·W1 + b1)·W2 + b2 + x
 *   y = tanh(mean_p(x)·Wt + bt); return y / max(‖y‖, √eps)
 *
 * Layout: the tokens of every text in the batch are packed back to back,
 * one row each, with no padding. Every dense product (qkv, output,
 * residual projection, both FFN halves) is then ONE cblas_sgemm over all
 * rows of the batch — large, efficient multiplies that carry ~96% of the
 * FLOPs — while attention, the only step that mixes rows, runs per text
 * and head on that text's contiguous rows, so no mask is needed and no
 * FLOP is spent on padding. Biases are broadcast into the output first and
 * the products accumulate onto them (beta = 1), which saves a pass.
 *
 * All buffers live in lh_use_work, sized once per batch by the caller; the
 * pass itself allocates nothing.
 */
#include "ai/use_internal.h"

#include "core/buf.h"

#include <cblas.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lh_use_work {
    size_t max_tokens, max_texts;
    float *x;      /* [T][512] layer input/output (256 wide before layer 0) */
    float *h;      /* [T][512] layer-norm output */
    float *qkv;    /* [T][1536] */
    float *att;    /* [T][512] attention output, heads side by side */
    float *x1;     /* [T][512] after attention */
    float *f;      /* [T][1536] FFN hidden */
    float *sc;     /* [128][128] one head's scores */
    float *pool;   /* [S][512] */
    size_t *row0;  /* [S] first row of each text */
};

lh_use_work *lh_use_work_new(size_t max_tokens, size_t max_texts)
{
    lh_use_work *wk = lh_xcalloc(1, sizeof *wk);
    size_t T = max_tokens ? max_tokens : 1, S = max_texts ? max_texts : 1;
    wk->max_tokens = T;
    wk->max_texts = S;
    wk->x = lh_xmalloc(T * 512 * sizeof(float));
    wk->h = lh_xmalloc(T * 512 * sizeof(float));
    wk->qkv = lh_xmalloc(T * 1536 * sizeof(float));
    wk->att = lh_xmalloc(T * 512 * sizeof(float));
    wk->x1 = lh_xmalloc(T * 512 * sizeof(float));
    wk->f = lh_xmalloc(T * 1536 * sizeof(float));
    wk->sc = lh_xmalloc(LH_USE_MAX_TOKENS * LH_USE_MAX_TOKENS * sizeof(float));
    wk->pool = lh_xmalloc(S * 512 * sizeof(float));
    wk->row0 = lh_xmalloc(S * sizeof(size_t));
    return wk;
}

void lh_use_work_free(lh_use_work *wk)
{
    if (!wk) return;
    free(wk->x);
    free(wk->h);
    free(wk->qkv);
    free(wk->att);
    free(wk->x1);
    free(wk->f);
    free(wk->sc);
    free(wk->pool);
    free(wk->row0);
    free(wk);
}

/* out[r] = LN(in[r]) * s + b for T rows of width d. */
static void layer_norm(const float *in, float *out, size_t T, int d, const float *s, const float *b, float eps)
{
    for (size_t r = 0; r < T; r++) {
        const float *x = in + r * (size_t)d;
        float *y = out + r * (size_t)d;
        double mu = 0, var = 0;
        for (int i = 0; i < d; i++) mu += x[i];
        mu /= d;
        for (int i = 0; i < d; i++) var += (x[i] - mu) * (x[i] - mu);
        var /= d;
        float rs = (float)(1.0 / sqrt(var + eps)), m = (float)mu;
        for (int i = 0; i < d; i++) y[i] = (x[i] - m) * rs * s[i] + b[i];
    }
}

static void broadcast(float *dst, const float *row, size_t T, int d)
{
    for (size_t r = 0; r < T; r++) memcpy(dst + r * (size_t)d, row, (size_t)d * sizeof(float));
}

/* C[M][N] += A[M][K] · B[K][N], all row-major and dense. */
static void gemm_acc(size_t M, int N, int K, const float *A, const float *B, float *C)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, N, K, 1.0f, A, K, B, N, 1.0f, C, N);
}

/* Multi-head self-attention of one text's l rows (at qkv row r0) into att. */
static void attend(const lh_use_layer *ly, lh_use_work *wk, size_t r0, int l)
{
    const int din = ly->din, dh = ly->dh, ld = 3 * din;
    float *sc = wk->sc;
    for (int hd = 0; hd < ly->heads; hd++) {
        const float *q = wk->qkv + r0 * (size_t)ld + hd * dh;
        const float *k = q + din, *v = q + 2 * din;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l, l, dh, ly->scale, q, ld, k, ld, 0.0f, sc, l);
        for (int i = 0; i < l; i++) {
            float *row = sc + (size_t)i * l, mx = row[0], z = 0;
            for (int j = 1; j < l; j++) mx = row[j] > mx ? row[j] : mx;
            for (int j = 0; j < l; j++) z += (row[j] = expf(row[j] - mx));
            float iz = 1.0f / z;
            for (int j = 0; j < l; j++) row[j] *= iz;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l, dh, l, 1.0f, sc, l, v, ld, 0.0f,
                    wk->att + r0 * (size_t)din + hd * dh, din);
    }
}

static void layer(const lh_use_weights *w, const lh_use_layer *ly, lh_use_work *wk, size_t T,
                  const size_t *lens, size_t n_texts)
{
    const int din = ly->din;
    layer_norm(wk->x, wk->h, T, din, ly->ln1_s, ly->ln1_b, w->ln_eps);
    broadcast(wk->qkv, ly->bqkv, T, 3 * din);
    gemm_acc(T, 3 * din, din, wk->h, ly->wqkv, wk->qkv);
    for (size_t s = 0; s < n_texts; s++)
        if (lens[s]) attend(ly, wk, wk->row0[s], (int)lens[s]);

    /* x1 = att·Wo + bo + residual */
    if (ly->wd) {
        broadcast(wk->x1, ly->bd, T, 512);
        gemm_acc(T, 512, din, wk->x, ly->wd, wk->x1);
    } else {
        memcpy(wk->x1, wk->x, T * 512 * sizeof(float));
    }
    for (size_t r = 0; r < T; r++) {
        float *y = wk->x1 + r * 512;
        for (int i = 0; i < 512; i++) y[i] += ly->bo[i];
    }
    gemm_acc(T, 512, din, wk->att, ly->wo, wk->x1);

    /* x = relu(LN(x1)·W1 + b1)·W2 + b2 + x1 */
    layer_norm(wk->x1, wk->h, T, 512, ly->ln2_s, ly->ln2_b, w->ln_eps);
    broadcast(wk->f, ly->b1, T, 1536);
    gemm_acc(T, 1536, 512, wk->h, ly->w1, wk->f);
    for (size_t i = 0; i < T * 1536; i++) wk->f[i] = wk->f[i] > 0 ? wk->f[i] : 0;
    for (size_t r = 0; r < T; r++) {
        float *y = wk->x + r * 512;
        const float *a = wk->x1 + r * 512;
        for (int i = 0; i < 512; i++) y[i] = a[i] + ly->b2[i];
    }
    gemm_acc(T, 512, 1536, wk->f, ly->w2, wk->x);
}

void lh_use_forward(const lh_use_weights *w, lh_use_work *wk, const int32_t *const *ids,
                    const size_t *lens, size_t n_texts, float *out)
{
    size_t T = 0;
    for (size_t s = 0; s < n_texts; s++) {
        wk->row0[s] = T;
        const int32_t *id = ids[s];
        for (size_t p = 0; p < lens[s]; p++) {
            float *x = wk->x + (T + p) * 256;
            const float *e = w->emb + (size_t)id[p] * 256, *ts = w->timing + p * 256;
            /* the graph adds the embedding twice: emb + (emb + timing) */
            for (int i = 0; i < 256; i++) x[i] = 2.0f * e[i] + ts[i];
        }
        T += lens[s];
    }
    if (T) {
        layer(w, &w->layer[0], wk, T, lens, n_texts);
        layer(w, &w->layer[1], wk, T, lens, n_texts);
    }
    for (size_t s = 0; s < n_texts; s++) {
        float *pl = wk->pool + s * 512;
        memset(pl, 0, 512 * sizeof(float));
        for (size_t p = 0; p < lens[s]; p++) {
            const float *x = wk->x + (wk->row0[s] + p) * 512;
            for (int i = 0; i < 512; i++) pl[i] += x[i];
        }
        float inv = 1.0f / (float)(lens[s] ? lens[s] : 1);
        for (int i = 0; i < 512; i++) pl[i] *= inv;
    }
    broadcast(out, w->bt, n_texts, 512);
    gemm_acc(n_texts, 512, 512, wk->pool, w->wt, out);
    for (size_t s = 0; s < n_texts; s++) {
        float *y = out + s * 512;
        double ss = 0;
        for (int i = 0; i < 512; i++) {
            y[i] = tanhf(y[i]);
            ss += (double)y[i] * y[i];
        }
        float nrm = (float)(1.0 / sqrt(ss > w->l2_eps ? ss : w->l2_eps));
        for (int i = 0; i < 512; i++) y[i] *= nrm;
    }
}

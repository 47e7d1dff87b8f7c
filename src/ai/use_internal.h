/* ai/use_internal.h — what the USE-lite files share inside ai/ (not public).
 *
 * use_weights.c fills lh_use_weights from model.json and the shards;
 * use_vocab.c builds the piece trie from vocab.json and tokenizes;
 * use_forward.c runs the network on a packed batch; embed.c ties them to
 * the public API in ai.h.
 */
#ifndef LH_AI_USE_INTERNAL_H
#define LH_AI_USE_INTERNAL_H

#include "ai/ai.h"

#include <stddef.h>
#include <stdint.h>

/* One transformer layer. din is 256 (layer 0) or 512 (layer 1); the layer
 * always outputs 512. Kernels are row-major [in][out], as TF stores them. */
typedef struct lh_use_layer {
    int          din, heads, dh;
    float        scale;          /* query scale, 1/sqrt(dh), read from the graph */
    const float *ln1_s, *ln1_b;  /* [din] */
    const float *wqkv, *bqkv;    /* [din][3*din], [3*din] */
    const float *wo, *bo;        /* [din][512], [512] */
    const float *wd, *bd;        /* residual projection [din][512] (layer 0), else NULL */
    const float *ln2_s, *ln2_b;  /* [512] */
    const float *w1, *b1;        /* [512][1536], [1536] */
    const float *w2, *b2;        /* [1536][512], [512] */
} lh_use_layer;

typedef struct lh_use_weights {
    float       *blob;        /* every shard concatenated, owned */
    size_t       blob_len;    /* bytes */
    const float *emb;         /* [n_emb][256] */
    size_t       n_emb;
    float       *timing;      /* [128][256], precomputed sin/cos table, owned */
    lh_use_layer layer[2];
    const float *wt, *bt;     /* tanh head [512][512], [512] */
    float        ln_eps;      /* 1e-6 */
    float        l2_eps;      /* 1e-12 */
} lh_use_weights;

int  lh_use_weights_load(const char *dir, lh_use_weights *w, lh_err *err);
void lh_use_weights_free(lh_use_weights *w);

/* The tokenizer: a trie over code points of every vocabulary piece. */
typedef struct lh_use_vocab lh_use_vocab;

int  lh_use_vocab_load(const char *path, lh_use_vocab **out, lh_err *err);
void lh_use_vocab_free(lh_use_vocab *v);
size_t lh_use_vocab_size(const lh_use_vocab *v);

/* Reusable scratch for one tokenizing thread (grows, never shrinks). */
typedef struct lh_use_tok_scratch {
    int32_t *cps;     size_t cps_cap;    /* code points after NFKC */
    double  *best;    int32_t *words;    size_t lat_cap;
    int32_t *rev;     size_t rev_cap;    /* ids, back to front */
} lh_use_tok_scratch;

void lh_use_tok_scratch_free(lh_use_tok_scratch *s);

/* Tokenize `text` (len bytes) into at most `max` ids. Invalid UTF-8 is an
 * error (code invalid_utf8) naming the byte offset. */
int lh_use_tokenize(const lh_use_vocab *v, const char *text, size_t len, int32_t *ids,
                    size_t max, size_t *n_ids, lh_use_tok_scratch *s, lh_err *err);

/* Workspace for the forward pass of one batch of up to max_tokens tokens
 * and max_texts texts (see use_forward.c for the buffers). */
typedef struct lh_use_work lh_use_work;

lh_use_work *lh_use_work_new(size_t max_tokens, size_t max_texts);
void         lh_use_work_free(lh_use_work *wk);

/* Embed a batch: texts t = 0..n_texts-1 have lens[t] token ids at ids[t]
 * (already truncated to 128; may be 0). Writes n_texts × 512 floats. The
 * total of lens must fit the workspace. */
void lh_use_forward(const lh_use_weights *w, lh_use_work *wk, const int32_t *const *ids,
                    const size_t *lens, size_t n_texts, float *out);

#endif

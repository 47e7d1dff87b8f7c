/* ai/service.c — the AI service: profiles, the lazily opened built-in model,
 * and embedding through the cache (see ai.h).
 *
 * The built-in model is opened on first use, under a mutex, not at start:
 * a server whose model files are missing must still serve everything
 * else, and its AI routes must say exactly what is missing and how to get
 * it. A failed open is not remembered — each request tries again (a stat
 * when the files are absent) so running scripts/setup.sh fixes a running
 * server without a restart.
 *
 * Profiles: "builtin" always exists; configured ones ([ai.profiles.NAME])
 * follow in file order, each served by its provider — the same built-in
 * model, or an Ollama server (ollama.c).
 *
 * lh_ai_embed looks every text up in the cache first and sends only the
 * misses to the provider, in one call so they are batched together.
 */
#include "ai/cache_internal.h"
#include "ai/ollama_internal.h"

#include "core/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lh_ai_profile BUILTIN = {LH_AI_DEFAULT_PROFILE, "builtin", "use-lite", "0.2.0", LH_USE_DIMS, NULL};

typedef struct prof {
    lh_ai_profile pub;
    lh_ollama_cfg oc;      /* provider ollama */
    int           ollama;
} prof;

struct lh_ai {
    char            *model_dir;
    int              threads;
    pthread_mutex_t  mu;          /* guards model while it opens */
    lh_embed_model  *model;
    lh_ai_cache     *cache;
    prof            *profs;       /* [0] is builtin */
    size_t           n_profs;
    lh_ollama_cfg    gen;         /* answer generation; model NULL = none */
    char            *gen_model, *gen_endpoint;
};

int lh__ai_generate(lh_ai *ai, const char *system, const char *user, char **answer, const char **model, lh_err *err)
{
    *model = ai->gen_model;
    if (!ai->gen_model) {
        *answer = NULL;
        return 0;
    }
    return lh_ollama_chat(&ai->gen, system, user, answer, err);
}

int lh_ai_new(const lh_ai_opts *o, lh_ai **out, lh_err *err)
{
    *out = NULL;
    char dir[4096];
    int rc = lh_embed_model_dir(o ? o->model_dir : NULL, dir, sizeof dir, err);
    if (rc) return rc;
    lh_ai *ai = lh_xcalloc(1, sizeof *ai);
    ai->model_dir = lh_xstrdup(dir);
    ai->threads = o ? o->threads : 0;
    pthread_mutex_init(&ai->mu, NULL);
    ai->cache = lh_ai_cache_new(o ? o->cache_entries : 0);
    size_t np = o ? o->n_profiles : 0;
    ai->profs = lh_xcalloc(np + 1, sizeof *ai->profs);
    ai->profs[0].pub = BUILTIN;
    ai->n_profs = 1;
    for (size_t i = 0; i < np; i++) {
        const lh_ai_profile_cfg *c = &o->profiles[i];
        prof *p = &ai->profs[ai->n_profs++];
        p->pub = (lh_ai_profile){c->name, c->provider, c->model, c->version, (int)c->dimensions, c->endpoint};
        p->ollama = !strcmp(c->provider, "ollama");
        p->oc = (lh_ollama_cfg){c->name, c->endpoint, c->model, (int)c->dimensions, c->timeout_ms, c->retries};
    }
    if (o && o->generate_model && *o->generate_model) {
        ai->gen_model = lh_xstrdup(o->generate_model);
        ai->gen_endpoint = lh_xstrdup(o->generate_endpoint && *o->generate_endpoint ? o->generate_endpoint
                                                                                     : "http://127.0.0.1:11434");
        ai->gen = (lh_ollama_cfg){"generate", ai->gen_endpoint, ai->gen_model, 0,
                                  o->generate_timeout_ms > 0 ? o->generate_timeout_ms : 120000, 1};
    }
    *out = ai;
    return 0;
}

void lh_ai_free(lh_ai *ai)
{
    if (!ai) return;
    lh_embed_model_free(ai->model);
    lh_ai_cache_free(ai->cache);
    free(ai->gen_model);
    free(ai->gen_endpoint);
    pthread_mutex_destroy(&ai->mu);
    free(ai->profs);
    free(ai->model_dir);
    free(ai);
}

const char *lh_ai_model_dir(const lh_ai *ai) { return ai->model_dir; }

size_t lh_ai_profile_count(const lh_ai *ai) { return ai->n_profs; }

const lh_ai_profile *lh_ai_profile_at(const lh_ai *ai, size_t i)
{
    return i < ai->n_profs ? &ai->profs[i].pub : NULL;
}

const lh_ai_profile *lh_ai_profile_find(const lh_ai *ai, const char *name, lh_err *err)
{
    if (!name || !*name) name = LH_AI_DEFAULT_PROFILE;
    for (size_t i = 0; i < ai->n_profs; i++)
        if (!strcmp(ai->profs[i].pub.name, name)) return &ai->profs[i].pub;
    lh_buf known = LH_BUF_INIT;
    for (size_t i = 0; i < ai->n_profs; i++) lh_buf_printf(&known, "%s%s", i ? ", " : "", ai->profs[i].pub.name);
    lh_err_set(err, LH_ENOTFOUND, "profile_not_found",
               "no embedding profile \"%.200s\"; known profiles: %.600s (GET /ai/profiles lists them)", name,
               known.data);
    lh_buf_free(&known);
    return NULL;
}

/* The service's own record of a profile handed out by the functions above. */
static const prof *prof_of(const lh_ai_profile *p) { return (const prof *)p; }

static int builtin_model(lh_ai *ai, lh_embed_model **out, lh_err *err)
{
    pthread_mutex_lock(&ai->mu);
    int rc = 0;
    if (!ai->model) rc = lh_embed_model_open(ai->model_dir, ai->threads, &ai->model, err);
    *out = ai->model;
    pthread_mutex_unlock(&ai->mu);
    return rc;
}

int lh_ai_profile_ready(lh_ai *ai, const lh_ai_profile *p, lh_err *err)
{
    if (prof_of(p)->ollama) return lh_ollama_check(&prof_of(p)->oc, err);
    lh_embed_model *m;
    return builtin_model(ai, &m, err);
}

static int provider_embed(lh_ai *ai, const lh_ai_profile *p, const char *const *texts, size_t n, float *out,
                          lh_err *err)
{
    if (prof_of(p)->ollama) return lh_ollama_embed(&prof_of(p)->oc, texts, n, out, err);
    lh_embed_model *m;
    int rc = builtin_model(ai, &m, err);
    return rc ? rc : lh_embed_texts(m, texts, n, out, err);
}

int lh_ai_embed(lh_ai *ai, const lh_ai_profile *p, const char *const *texts, size_t n, float *out, lh_err *err)
{
    int rc = 0;
    if (n == 0) return prof_of(p)->ollama ? 0 : lh_ai_profile_ready(ai, p, err);
    const int d = p->dims;
    if (!ai->cache) return provider_embed(ai, p, texts, n, out, err);

    uint8_t (*keys)[32] = lh_xmalloc(n * sizeof *keys);
    size_t *miss = lh_xmalloc(n * sizeof *miss), n_miss = 0;
    for (size_t i = 0; i < n; i++) {
        if (!texts[i]) {
            rc = lh_err_set(err, LH_EINVAL, "invalid_text", "texts[%zu] is missing", i);
            goto out;
        }
        lh_ai_cache_key(p->model, p->version, texts[i], keys[i]);
        if (!lh_ai_cache_get(ai->cache, keys[i], d, out + i * (size_t)d)) miss[n_miss++] = i;
    }
    if (n_miss) {
        const char **mt = lh_xmalloc(n_miss * sizeof *mt);
        float *mv = lh_xmalloc(n_miss * (size_t)d * sizeof *mv);
        for (size_t k = 0; k < n_miss; k++) mt[k] = texts[miss[k]];
        rc = provider_embed(ai, p, mt, n_miss, mv, err);
        if (rc) {
            /* the model names the index among the misses; name the caller's */
            const char *at = err && !strncmp(err->msg, "texts[", 6) ? err->msg : NULL;
            if (at) {
                size_t k = strtoul(at + 6, NULL, 10);
                if (k < n_miss) {
                    const char *rest = strchr(at, ']');
                    char tail[900];
                    snprintf(tail, sizeof tail, "%s", rest ? rest + 1 : "");
                    snprintf(err->msg, sizeof err->msg, "texts[%zu]%.900s", miss[k], tail);
                }
            }
        } else {
            for (size_t k = 0; k < n_miss; k++) {
                memcpy(out + miss[k] * (size_t)d, mv + k * (size_t)d, (size_t)d * sizeof(float));
                lh_ai_cache_put(ai->cache, keys[miss[k]], d, mv + k * (size_t)d);
            }
        }
        free(mt);
        free(mv);
    }
out:
    free(keys);
    free(miss);
    return rc;
}

void lh_ai_cache_stats_get(lh_ai *ai, lh_ai_cache_stats *st) { lh_ai_cache_stats_of(ai->cache, st); }

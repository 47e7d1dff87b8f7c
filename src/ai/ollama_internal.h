/* ai/ollama_internal.h — the Ollama provider inside ai/ (see ollama.c). */
#ifndef LH_AI_OLLAMA_INTERNAL_H
#define LH_AI_OLLAMA_INTERNAL_H

#include "ai/ai.h"

#include <stdint.h>

typedef struct lh_ollama_cfg {
    const char *profile;   /* for messages */
    const char *endpoint;  /* http(s)://host:port */
    const char *model;
    int         dims;
    int64_t     timeout_ms;
    int64_t     retries;
} lh_ollama_cfg;

/* Embed n texts into out (n × dims); every vector must have dims floats. */
int lh_ollama_embed(const lh_ollama_cfg *c, const char *const *texts, size_t n, float *out, lh_err *err);
/* One non-streamed chat turn (POST /api/chat): the reply text in *answer
 * (caller frees). */
int lh_ollama_chat(const lh_ollama_cfg *c, const char *system, const char *user, char **answer, lh_err *err);
/* Is the server up and does it have the model? (GET /api/tags, short timeout) */
int lh_ollama_check(const lh_ollama_cfg *c, lh_err *err);

/* Generate with the configured model (service.c): *answer NULL and
 * *model NULL when no generation model is configured. */
int lh__ai_generate(lh_ai *ai, const char *system, const char *user, char **answer, const char **model, lh_err *err);

#endif

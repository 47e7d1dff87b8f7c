/* ai/cache_internal.h — the embedding cache inside ai/ (see cache.c). */
#ifndef LH_AI_CACHE_INTERNAL_H
#define LH_AI_CACHE_INTERNAL_H

#include "ai/ai.h"

#include <stdint.h>

typedef struct lh_ai_cache lh_ai_cache;

/* NULL when capacity is 0; every function accepts a NULL cache. */
lh_ai_cache *lh_ai_cache_new(size_t capacity);
void         lh_ai_cache_free(lh_ai_cache *c);
void         lh_ai_cache_key(const char *model, const char *version, const char *text, uint8_t key[32]);
/* 1 and the vector in out on a hit, 0 on a miss. */
int          lh_ai_cache_get(lh_ai_cache *c, const uint8_t key[32], int dims, float *out);
void         lh_ai_cache_put(lh_ai_cache *c, const uint8_t key[32], int dims, const float *vec);
void         lh_ai_cache_stats_of(lh_ai_cache *c, lh_ai_cache_stats *st);

#endif

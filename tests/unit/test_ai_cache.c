/* tests/unit/test_ai_cache.c — the embedding cache: keys, hits, LRU eviction, stats. */
#include "ai/cache_internal.h"

#include "testing.h"

static void test_keys_separate_model_version_text(void)
{
    uint8_t a[32], b[32], c[32], d[32], e[32];
    lh_ai_cache_key("use-lite", "0.2.0", "hello", a);
    lh_ai_cache_key("use-lite", "0.2.0", "hello", b);
    lh_ai_cache_key("use-lite", "0.3.0", "hello", c);
    lh_ai_cache_key("nomic", "0.2.0", "hello", d);
    /* the NUL separators keep ("ab","c") and ("a","bc") apart */
    lh_ai_cache_key("use-lite", "0.2.0h", "ello", e);
    CHECK(memcmp(a, b, 32) == 0);
    CHECK(memcmp(a, c, 32) != 0);
    CHECK(memcmp(a, d, 32) != 0);
    CHECK(memcmp(a, e, 32) != 0);
}

static void test_lru_eviction_and_stats(void)
{
    lh_ai_cache *c = lh_ai_cache_new(3);
    uint8_t k[5][32];
    float v[4], out[4];
    for (int i = 0; i < 5; i++) {
        char t[16];
        snprintf(t, sizeof t, "text %d", i);
        lh_ai_cache_key("m", "1", t, k[i]);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) v[j] = (float)(i * 10 + j);
        lh_ai_cache_put(c, k[i], 4, v);
    }
    CHECK(lh_ai_cache_get(c, k[0], 4, out));  /* 0 becomes the most recent */
    CHECK(out[0] == 0.0f && out[3] == 3.0f);
    lh_ai_cache_put(c, k[3], 4, v);           /* evicts 1, the least recent */
    CHECK(!lh_ai_cache_get(c, k[1], 4, out));
    CHECK(lh_ai_cache_get(c, k[0], 4, out));
    CHECK(lh_ai_cache_get(c, k[2], 4, out));
    CHECK(out[0] == 20.0f);
    CHECK(lh_ai_cache_get(c, k[3], 4, out));
    CHECK(!lh_ai_cache_get(c, k[3], 8, out)); /* other dimensions never match */
    lh_ai_cache_put(c, k[3], 4, v);           /* a second put of a key is a no-op */
    lh_ai_cache_stats st;
    lh_ai_cache_stats_of(c, &st);
    CHECK_INT(st.entries, 3);
    CHECK_INT(st.capacity, 3);
    CHECK_INT(st.evictions, 1);
    CHECK_INT(st.hits, 4);
    CHECK_INT(st.misses, 2);
    lh_ai_cache_free(c);
}

static void test_disabled_cache(void)
{
    lh_ai_cache *c = lh_ai_cache_new(0);
    CHECK(c == NULL);
    uint8_t k[32] = {0};
    float v[2] = {1, 2};
    lh_ai_cache_put(c, k, 2, v);
    CHECK(!lh_ai_cache_get(c, k, 2, v));
    lh_ai_cache_stats st;
    lh_ai_cache_stats_of(c, &st);
    CHECK_INT(st.capacity, 0);
    lh_ai_cache_free(c);
}

int main(void)
{
    RUN(test_keys_separate_model_version_text);
    RUN(test_lru_eviction_and_stats);
    RUN(test_disabled_cache);
    return TEST_SUMMARY();
}

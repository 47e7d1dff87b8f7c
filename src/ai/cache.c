/* ai/cache.c — the embedding cache: vectors by (model, version, sha256(text)).
 *
 * Re-embedding the same text is common (re-indexing a dataset where most
 * rows did not change, the same query asked twice), and a vector depends
 * only on the model, its version and the exact text. So the key is the
 * sha256 of "model\0version\0text": fixed-size, collision-safe, and the
 * cache never holds the texts themselves. Entries live in a chained hash
 * table and a recency list; past the capacity the least recently used
 * entry is dropped. One mutex guards it all — a lookup is a hash and a
 * memcpy of 2 KB, far below the cost of computing one vector.
 */
#include "ai/cache_internal.h"

#include "core/buf.h"

#include <openssl/evp.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct centry {
    uint8_t        key[32];
    struct centry *hnext;        /* hash chain */
    struct centry *prev, *next;  /* recency: head = most recent */
    int            dims;
    float          vec[];
} centry;

struct lh_ai_cache {
    pthread_mutex_t mu;
    centry        **table;
    size_t          mask;
    centry         *head, *tail;
    size_t          n, cap;
    uint64_t        hits, misses, evictions;
};

lh_ai_cache *lh_ai_cache_new(size_t capacity)
{
    if (capacity == 0) return NULL;
    lh_ai_cache *c = lh_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    size_t slots = 64;
    while (slots < capacity && slots < ((size_t)1 << 26)) slots *= 2;
    c->table = lh_xcalloc(slots, sizeof *c->table);
    c->mask = slots - 1;
    c->cap = capacity;
    return c;
}

void lh_ai_cache_free(lh_ai_cache *c)
{
    if (!c) return;
    for (centry *e = c->head; e;) {
        centry *nx = e->next;
        free(e);
        e = nx;
    }
    free(c->table);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void lh_ai_cache_key(const char *model, const char *version, const char *text, uint8_t key[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 32;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, model, strlen(model) + 1);      /* the NULs separate the fields */
    EVP_DigestUpdate(ctx, version, strlen(version) + 1);
    EVP_DigestUpdate(ctx, text, strlen(text));
    EVP_DigestFinal_ex(ctx, key, &len);
    EVP_MD_CTX_free(ctx);
}

static size_t slot(const lh_ai_cache *c, const uint8_t key[32])
{
    size_t h;
    memcpy(&h, key, sizeof h);  /* sha256 bytes are already uniform */
    return h & c->mask;
}

static void unlink_lru(lh_ai_cache *c, centry *e)
{
    if (e->prev) e->prev->next = e->next; else c->head = e->next;
    if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(lh_ai_cache *c, centry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

int lh_ai_cache_get(lh_ai_cache *c, const uint8_t key[32], int dims, float *out)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    centry *e = c->table[slot(c, key)];
    while (e && memcmp(e->key, key, 32) != 0) e = e->hnext;
    int hit = e && e->dims == dims;
    if (hit) {
        memcpy(out, e->vec, (size_t)dims * sizeof(float));
        unlink_lru(c, e);
        push_front(c, e);
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void lh_ai_cache_put(lh_ai_cache *c, const uint8_t key[32], int dims, const float *vec)
{
    if (!c) return;
    centry *ne = lh_xmalloc(sizeof *ne + (size_t)dims * sizeof(float));
    memcpy(ne->key, key, 32);
    ne->dims = dims;
    memcpy(ne->vec, vec, (size_t)dims * sizeof(float));
    pthread_mutex_lock(&c->mu);
    centry **pp = &c->table[slot(c, key)];
    while (*pp && memcmp((*pp)->key, key, 32) != 0) pp = &(*pp)->hnext;
    if (*pp) {  /* raced with another request embedding the same text */
        pthread_mutex_unlock(&c->mu);
        free(ne);
        return;
    }
    ne->hnext = NULL;
    *pp = ne;
    push_front(c, ne);
    c->n++;
    while (c->n > c->cap) {
        centry *old = c->tail;
        unlink_lru(c, old);
        centry **q = &c->table[slot(c, old->key)];
        while (*q != old) q = &(*q)->hnext;
        *q = old->hnext;
        free(old);
        c->n--;
        c->evictions++;
    }
    pthread_mutex_unlock(&c->mu);
}

void lh_ai_cache_stats_of(lh_ai_cache *c, lh_ai_cache_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    st->hits = c->hits;
    st->misses = c->misses;
    st->evictions = c->evictions;
    st->entries = c->n;
    st->capacity = c->cap;
    pthread_mutex_unlock(&c->mu);
}

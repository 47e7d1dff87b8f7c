/* vector/bitset.c — the allow bitmap: which labels a filtered search may
 * return (built by the caller from a SQL predicate's row set). */
#include "vector/vector.h"

#include <stdlib.h>

int lh_bitset_init(lh_bitset *b, size_t nbits, lh_err *err) {
    size_t words = (nbits + 63) / 64;
    b->words = calloc(words ? words : 1, sizeof *b->words);
    b->nbits = b->words ? nbits : 0;
    if (!b->words) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for a %zu-bit filter", nbits);
    return 0;
}

void lh_bitset_release(lh_bitset *b) {
    if (!b) return;
    free(b->words);
    b->words = NULL;
    b->nbits = 0;
}

size_t lh_bitset_count(const lh_bitset *b) {
    if (!b || !b->words) return 0;
    size_t full = b->nbits / 64, c = 0;
    for (size_t i = 0; i < full; i++) c += (size_t)__builtin_popcountll(b->words[i]);
    if (b->nbits % 64) c += (size_t)__builtin_popcountll(b->words[full] & (((uint64_t)1 << (b->nbits % 64)) - 1));
    return c;
}

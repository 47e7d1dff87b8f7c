/* ai/use_vocab.c — USE-lite's tokenizer, bug for bug.
 *
 * The model was trained on SentencePiece ids, and its JavaScript library
 * tokenizes with a small Viterbi segmenter of its own. The vectors users
 * compare against come from that library, so this is a faithful port of its
 * behaviour, quirks included (each one is load-bearing for some input):
 *
 *  - NFKC (utf8proc here, String.normalize there; both Unicode 15), then
 *    every U+0020 becomes "▁" (U+2581) and one "▁" is prepended — unless
 *    the normalised text is empty, which tokenizes to no ids at all. Tabs
 *    and newlines are not spaces: they are unknown characters.
 *  - Pieces are the vocabulary from index 6 on (0..5 are reserved). When a
 *    piece occurs twice ("”5" three times), the LAST entry's score and id
 *    win, as with the JS trie's overwriting insert. A null score counts as 0
 *    (JavaScript's null + x), and ":30" really scores +30.
 *  - The lattice is filled in order of end position, then start position,
 *    with the update rule `best[end] == 0 || score >= best[end]`: 0 doubles
 *    as "unset", and ties go to the later start. A position where no piece
 *    starts gets a one-character "unknown" candidate (id 0, score 0).
 *    Scanning starts in ascending order and relaxing their ends is the same
 *    sequence of updates (every end's candidates arrive in start order, and
 *    a start's best is final before it is read), so we do that: one trie
 *    walk per position, no candidate lists.
 *  - Backtracking steps back by the chosen piece's length in UTF-16 units
 *    (JS string length). Every piece is in the BMP, so that equals code
 *    points, but we keep the unit count per piece to stay exact.
 *  - Consecutive unknown ids collapse into one; the model then takes the
 *    first 128 ids.
 *
 * Scores are summed in double, in the same order as the JS, so the chosen
 * segmentation is identical, not merely close.
 *
 * The trie is an open-addressing hash of (node, code point) → child, built
 * once; tokenizing allocates nothing once a thread's scratch has grown.
 */
#include "ai/use_internal.h"

#include "core/buf.h"
#include "core/utf8.h"

#include <jansson.h>
#include <utf8proc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEPARATOR 0x2581  /* "▁" */
#define RESERVED  6

typedef struct node {
    int32_t idx;     /* vocabulary id ending here, -1 if none */
    double  score;
} node;

struct lh_use_vocab {
    node     *nodes;      /* nodes[0] is the root */
    size_t    n_nodes, cap_nodes;
    uint64_t *keys;       /* (parent+1) << 21 | cp; 0 = empty slot */
    int32_t  *vals;       /* child node */
    size_t    mask;       /* slots - 1 */
    uint8_t  *len16;      /* piece length in UTF-16 units, per vocabulary id */
    size_t    n_vocab;
};

static inline uint64_t slot_key(int32_t parent, int32_t cp)
{
    return ((uint64_t)(parent + 1) << 21) | (uint64_t)cp;
}

static inline size_t slot_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static int32_t child(const lh_use_vocab *v, int32_t parent, int32_t cp)
{
    uint64_t k = slot_key(parent, cp);
    for (size_t i = slot_hash(k) & v->mask;; i = (i + 1) & v->mask) {
        if (v->keys[i] == k) return v->vals[i];
        if (v->keys[i] == 0) return -1;
    }
}

static int32_t child_or_add(lh_use_vocab *v, int32_t parent, int32_t cp)
{
    uint64_t k = slot_key(parent, cp);
    size_t i = slot_hash(k) & v->mask;
    for (; v->keys[i] != 0; i = (i + 1) & v->mask)
        if (v->keys[i] == k) return v->vals[i];
    if (v->n_nodes == v->cap_nodes) {
        v->cap_nodes *= 2;
        v->nodes = lh_xrealloc(v->nodes, v->cap_nodes * sizeof *v->nodes);
    }
    int32_t id = (int32_t)v->n_nodes++;
    v->nodes[id] = (node){-1, 0.0};
    v->keys[i] = k;
    v->vals[i] = id;
    return id;
}

int lh_use_vocab_load(const char *path, lh_use_vocab **out, lh_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (errno == ENOENT)
            return lh_err_set(err, LH_EUNAVAIL, "model_missing", "cannot open %s: %s", path, strerror(ENOENT));
        return lh_err_set(err, LH_EINVAL, "model_invalid", "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    size_t n = json_array_size(root);
    if (!json_is_array(root) || n <= RESERVED || n > 1000000) {
        json_decref(root);
        return lh_err_set(err, LH_EINVAL, "model_invalid",
                          "%s is not a vocabulary (an array of [piece, score] pairs)", path);
    }
    /* Total code points bound the node count; size the hash for it. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += json_string_length(json_array_get(json_array_get(root, i), 0));
    lh_use_vocab *v = lh_xcalloc(1, sizeof *v);
    size_t slots = 1024;
    while (slots < 2 * total) slots *= 2;
    v->keys = lh_xcalloc(slots, sizeof *v->keys);
    v->vals = lh_xcalloc(slots, sizeof *v->vals);
    v->mask = slots - 1;
    v->cap_nodes = 1024;
    v->nodes = lh_xmalloc(v->cap_nodes * sizeof *v->nodes);
    v->nodes[0] = (node){-1, 0.0};
    v->n_nodes = 1;
    v->len16 = lh_xcalloc(n, 1);
    v->n_vocab = n;

    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *e = json_array_get(root, i);
        json_t *js = json_array_get(e, 0), *jscore = json_array_get(e, 1);
        const char *s = json_string_value(js);
        if (!s || !json_is_array(e) || !(json_is_number(jscore) || json_is_null(jscore))) {
            rc = lh_err_set(err, LH_EINVAL, "model_invalid", "%s: entry %zu is not [piece, score]", path, i);
            break;
        }
        size_t len = json_string_length(js), units = 0;
        int32_t at = 0;
        for (size_t off = 0; off < len;) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + off, (utf8proc_ssize_t)(len - off), &cp);
            if (k <= 0) {
                rc = lh_err_set(err, LH_EINVAL, "model_invalid", "%s: piece %zu is not valid UTF-8", path, i);
                break;
            }
            off += (size_t)k;
            units += cp > 0xFFFF ? 2 : 1;
            if (i >= RESERVED) at = child_or_add(v, at, cp);
        }
        if (rc) break;
        if (units == 0 || units > 255) {
            rc = lh_err_set(err, LH_EINVAL, "model_invalid", "%s: piece %zu is empty or too long", path, i);
            break;
        }
        v->len16[i] = (uint8_t)units;
        if (i >= RESERVED) {
            v->nodes[at].idx = (int32_t)i;  /* a later duplicate overwrites: JS semantics */
            v->nodes[at].score = json_is_null(jscore) ? 0.0 : json_number_value(jscore);
        }
    }
    json_decref(root);
    if (rc) {
        lh_use_vocab_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void lh_use_vocab_free(lh_use_vocab *v)
{
    if (!v) return;
    free(v->nodes);
    free(v->keys);
    free(v->vals);
    free(v->len16);
    free(v);
}

size_t lh_use_vocab_size(const lh_use_vocab *v) { return v->n_vocab; }

void lh_use_tok_scratch_free(lh_use_tok_scratch *s)
{
    if (!s) return;
    free(s->cps);
    free(s->best);
    free(s->words);
    free(s->rev);
    memset(s, 0, sizeof *s);
}

static void grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (*cap >= need) return;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    *p = lh_xrealloc(*p, c * elem);
    *cap = c;
}

/* NFKC into s->cps (with one slot in front for the leading separator);
 * returns the code point count or a negative status. */
static long normalize(const char *text, size_t len, lh_use_tok_scratch *s, lh_err *err)
{
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    /* utf8proc says "invalid" without saying where; our validator (the
     * project's one definition of well-formed) finds the offset. */
    for (size_t off = 0; off < len;) {
        size_t k = lh_utf8_seq_len((const unsigned char *)text + off, len - off);
        if (k == 0)
            return lh_err_set(err, LH_EINVAL, "invalid_utf8",
                              "text is not valid UTF-8 at byte %zu (0x%02x); send UTF-8 text", off,
                              (unsigned char)text[off]);
        off += k;
    }
    for (;;) {
        utf8proc_ssize_t room = s->cps_cap > 1 ? (utf8proc_ssize_t)s->cps_cap - 1 : 0;
        utf8proc_ssize_t got = utf8proc_decompose((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len,
                                                  room ? (utf8proc_int32_t *)s->cps + 1 : NULL, room, opts);
        if (got < 0)
            return lh_err_set(err, LH_EINVAL, "invalid_utf8", "text cannot be normalised: %s",
                              utf8proc_errmsg(got));
        if (got <= room) {
            got = utf8proc_normalize_utf32((utf8proc_int32_t *)s->cps + 1, got, opts);
            if (got < 0)
                return lh_err_set(err, LH_EINVAL, "invalid_utf8", "text cannot be normalised: %s",
                                  utf8proc_errmsg(got));
            return (long)got;
        }
        grow((void **)&s->cps, &s->cps_cap, (size_t)got + 1, sizeof *s->cps);
    }
}

int lh_use_tokenize(const lh_use_vocab *v, const char *text, size_t len, int32_t *ids, size_t max,
                    size_t *n_ids, lh_use_tok_scratch *s, lh_err *err)
{
    *n_ids = 0;
    long nn = normalize(text, len, s, err);
    if (nn < 0) return (int)nn;
    if (nn == 0) return 0;  /* empty after NFKC: no separator, no ids */
    size_t n = (size_t)nn + 1;
    int32_t *sym = s->cps;
    sym[0] = SEPARATOR;
    for (size_t i = 1; i < n; i++)
        if (sym[i] == ' ') sym[i] = SEPARATOR;

    if (s->lat_cap < n + 1) {
        size_t c = s->lat_cap;
        grow((void **)&s->best, &c, n + 1, sizeof *s->best);
        c = s->lat_cap;
        grow((void **)&s->words, &c, n + 1, sizeof *s->words);
        s->lat_cap = c;
    }
    double *best = s->best;
    int32_t *words = s->words;
    memset(best, 0, (n + 1) * sizeof *best);
    memset(words, 0, (n + 1) * sizeof *words);

    for (size_t i = 0; i < n; i++) {
        double base = best[i];
        int matched = 0;
        int32_t at = 0;
        for (size_t j = i; j < n; j++) {
            at = child(v, at, sym[j]);
            if (at < 0) break;
            const node *nd = &v->nodes[at];
            if (nd->idx < 0) continue;
            matched = 1;
            double score = nd->score + base;
            size_t e = j + 1;
            if (best[e] == 0 || score >= best[e]) {
                best[e] = score;
                words[e] = nd->idx;
            }
        }
        if (!matched) {  /* the unknown candidate: one character, id 0, score 0 */
            double score = 0 + base;
            if (best[i + 1] == 0 || score >= best[i + 1]) {
                best[i + 1] = score;
                words[i + 1] = 0;
            }
        }
    }

    /* Back to front, collapsing runs of unknowns. */
    grow((void **)&s->rev, &s->rev_cap, n, sizeof *s->rev);
    size_t nr = 0;
    int prev_unk = 0;
    for (long it = (long)n; it > 0;) {
        int32_t id = words[it];
        if (!(prev_unk && id == 0)) s->rev[nr++] = id;
        prev_unk = id == 0;
        it -= v->len16[id];
    }
    size_t take = nr < max ? nr : max;
    for (size_t k = 0; k < take; k++) ids[k] = s->rev[nr - 1 - k];
    *n_ids = take;
    return 0;
}

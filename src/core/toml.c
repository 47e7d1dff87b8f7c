/* core/toml.c — the TOML 1.0 document: grammar, table rules, public API.
 *
 * A hand-written recursive-descent parser over the byte buffer. Before any
 * parsing the whole input is checked to be valid UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF), so the rest of the parser can
 * treat non-ASCII bytes as opaque and count columns in characters. Values
 * are lexed by toml_scalar.c; this file owns everything with structure.
 *
 * The tree is built directly in its public form (lh_toml_value), but every
 * node is allocated as a larger private `tnode` whose first member is the
 * public value. The extra fields carry what strictness needs and the public
 * API does not show:
 *
 *   kind  how a table or array came to exist, which decides what may still
 *         be done to it:
 *           IMPLICIT  parent of a [a.b] header (a): may be defined once by
 *                     its own [a] header, or claimed by dotted keys;
 *           HEADER    defined by [header] or an [[array]] element: may not
 *                     be defined again, nor extended by dotted keys;
 *           DOTTED    defined by dotted keys (a.b = 1 defines a): may be
 *                     extended by more dotted keys and given sub-tables by
 *                     headers, but not defined by its own [a] header;
 *           INLINE    an inline table, or any table inside one: sealed;
 *           STATIC    an array written as [ ... ]: sealed;
 *           TABLES    an array of tables built by [[headers]]: may grow.
 *   depth nesting below the root, capped at LH_TOML_MAX_DEPTH so hostile
 *         input cannot exhaust the stack here or in any later tree walk.
 *   slots a hash index of a table's keys once it has more than a few, so
 *         duplicate detection stays linear on a file with 100k keys.
 *
 * Every error is reported where a person would look: the opening quote of
 * an unterminated string, the key that is duplicated (with the line of the
 * first definition), the '[' of a header that redefines a table.
 */
#include "core/toml.h"
#include "core/toml_internal.h"
#include "core/utf8.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Tree nodes                                                          */
/* ------------------------------------------------------------------ */

typedef enum nkind {
    N_SCALAR,
    N_IMPLICIT,
    N_HEADER,
    N_DOTTED,
    N_INLINE,
    N_STATIC,
    N_TABLES,
} nkind;

typedef struct tnode {
    lh_toml_value v;      /* first: a tnode * is an lh_toml_value * */
    nkind         kind;
    int           depth;  /* 0 for the root */
    size_t        cap;    /* allocated entries (table) or items (array) */
    uint32_t     *slots;  /* table index: entry number + 1, 0 = empty; NULL when small */
    size_t        nslots; /* power of two */
} tnode;

/* Tables with at least this many keys get a hash index. */
#define INDEX_MIN 8

static tnode *node_new(lh_toml_type type, nkind kind, tp_mark at, int depth)
{
    tnode *n = lh_xcalloc(1, sizeof *n);
    n->v.type = type;
    n->v.line = at.line;
    n->v.col = at.col;
    n->kind = kind;
    n->depth = depth;
    return n;
}

static tnode *as_node(lh_toml_value *v) { return (tnode *)v; }

void lh_toml_free(lh_toml_value *v)
{
    if (!v) return;
    switch (v->type) {
    case LH_TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++) lh_toml_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case LH_TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.n; i++) {
            free(v->u.tab.entries[i].key);
            lh_toml_free(v->u.tab.entries[i].value);
        }
        free(v->u.tab.entries);
        free(as_node(v)->slots);
        break;
    case LH_TOML_STRING:
    case LH_TOML_DATETIME:
    case LH_TOML_DATETIME_LOCAL:
    case LH_TOML_DATE_LOCAL:
    case LH_TOML_TIME_LOCAL:
        free(v->u.str.s);
        break;
    default:
        break;
    }
    free(as_node(v));
}

static void arr_push(tnode *a, tnode *item)
{
    assert(a->v.type == LH_TOML_ARRAY);
    if (a->v.u.arr.n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        a->v.u.arr.items = lh_xrealloc(a->v.u.arr.items, a->cap * sizeof *a->v.u.arr.items);
    }
    a->v.u.arr.items[a->v.u.arr.n++] = &item->v;
}

/* FNV-1a over the key's bytes (a key may hold NUL bytes). */
static size_t key_hash(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return (size_t)h;
}

static int key_eq(const lh_toml_entry *e, const char *key, size_t len)
{
    return e->key_len == len && memcmp(e->key, key, len) == 0;
}

static void index_put(tnode *t, size_t i)
{
    const lh_toml_entry *e = &t->v.u.tab.entries[i];
    size_t mask = t->nslots - 1, h = key_hash(e->key, e->key_len) & mask;
    while (t->slots[h]) h = (h + 1) & mask;
    t->slots[h] = (uint32_t)(i + 1);
}

static void index_rebuild(tnode *t, size_t nslots)
{
    free(t->slots);
    t->slots = lh_xcalloc(nslots, sizeof *t->slots);
    t->nslots = nslots;
    for (size_t i = 0; i < t->v.u.tab.n; i++) index_put(t, i);
}

static lh_toml_entry *tab_find(tnode *t, const char *key, size_t len)
{
    lh_toml_entry *e = t->v.u.tab.entries;
    if (!t->slots) {
        for (size_t i = 0; i < t->v.u.tab.n; i++)
            if (key_eq(&e[i], key, len)) return &e[i];
        return NULL;
    }
    size_t mask = t->nslots - 1;
    for (size_t h = key_hash(key, len) & mask; t->slots[h]; h = (h + 1) & mask)
        if (key_eq(&e[t->slots[h] - 1], key, len)) return &e[t->slots[h] - 1];
    return NULL;
}

/* Append key (ownership taken) -> val to table t; the caller has checked
 * the key is new. The index is kept at most half full. */
static void tab_add(tnode *t, char *key, size_t len, tp_mark at, tnode *val)
{
    assert(t->v.type == LH_TOML_TABLE && !tab_find(t, key, len));
    size_t n = t->v.u.tab.n;
    assert(n < UINT32_MAX - 1);
    if (n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->v.u.tab.entries = lh_xrealloc(t->v.u.tab.entries, t->cap * sizeof *t->v.u.tab.entries);
    }
    t->v.u.tab.entries[n] = (lh_toml_entry){key, at.line, at.col, &val->v, len};
    t->v.u.tab.n = ++n;
    if (n < INDEX_MIN) return;
    if (n * 2 > t->nslots) index_rebuild(t, t->nslots ? t->nslots * 2 : 4 * INDEX_MIN);
    else index_put(t, n - 1);
}

/* ------------------------------------------------------------------ */
/* Parser state, keys and their display                                */
/* ------------------------------------------------------------------ */

typedef struct doc {
    tp     p;
    tnode *root;
    tnode *cur;   /* the table key/value lines go into ([header] moves it) */
} doc;

/* One part of a dotted key, and where it was written. */
typedef struct kseg {
    char   *s;      /* the key text; stays readable for messages after a move */
    size_t  len;    /* bytes; a quoted key may hold NUL bytes */
    tp_mark at;
    int     owned;  /* 1 until s is moved into a table entry (the tree frees it) */
} kseg;

typedef struct kpath {
    kseg  *v;
    size_t n, cap;
} kpath;

static void kpath_free(kpath *k)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i].owned) free(k->v[i].s);
    free(k->v);
}

static int is_bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Append a key as the user would write it: bare when possible, else quoted. */
static void put_key(lh_buf *b, const kseg *k)
{
    int bare = k->len > 0;
    for (size_t i = 0; i < k->len; i++) bare = bare && is_bare_key_char((unsigned char)k->s[i]);
    if (bare) {
        lh_buf_append(b, k->s, k->len);
        return;
    }
    lh_buf_putc(b, '"');
    for (size_t i = 0; i < k->len; i++) {
        unsigned char c = (unsigned char)k->s[i];
        if (c == '"' || c == '\\') lh_buf_printf(b, "\\%c", c);
        else if (tp_is_control(c) || c == '\n' || c == '\r') lh_buf_printf(b, "\\u%04X", c);
        else lh_buf_putc(b, (char)c);
    }
    lh_buf_putc(b, '"');
}

/* "a.b.c" for parts [0, upto] of k, in b (reset first). */
static const char *key_str(lh_buf *b, const kpath *k, size_t upto)
{
    lh_buf_reset(b);
    for (size_t i = 0; i <= upto; i++) {
        if (i) lh_buf_putc(b, '.');
        put_key(b, &k->v[i]);
    }
    return b->data;
}

static void skip_ws(tp *p)
{
    while (tp_peek(p) == ' ' || tp_peek(p) == '\t') tp_adv(p);
}

/* A comment, from '#' up to (not including) the end of the line. */
static int skip_comment(tp *p)
{
    assert(tp_peek(p) == '#');
    tp_adv(p);
    for (;;) {
        int c = tp_peek(p);
        if (c < 0 || c == '\n' || (c == '\r' && tp_peek_at(p, 1) == '\n')) return 0;
        if (tp_is_control(c))
            return tp_fail(p, tp_here(p), "control character U+%04X is not allowed in a comment",
                           (unsigned)c);
        tp_adv(p);
    }
}

/* LF or CRLF at the cursor; a lone CR is an error. */
static int eat_newline(tp *p)
{
    if (tp_peek(p) == '\r') {
        if (tp_peek_at(p, 1) != '\n')
            return tp_fail(p, tp_here(p), "a carriage return must be followed by a line feed");
        tp_adv(p);
    }
    assert(tp_peek(p) == '\n');
    tp_adv(p);
    return 0;
}

/* After a key/value or header: optional whitespace and comment, then the
 * end of the line or of the input. */
static int expect_eol(tp *p, const char *after)
{
    skip_ws(p);
    if (tp_peek(p) == '#' && skip_comment(p)) return -1;
    int c = tp_peek(p);
    if (c < 0) return 0;
    if (c == '\n' || c == '\r') return eat_newline(p);
    char what[48];
    tp_describe(p, what, sizeof what);
    return tp_fail(p, tp_here(p), "expected the end of the line after %s, found %s", after, what);
}

/* Inside arrays: whitespace, newlines and comments, in any number. */
static int skip_ws_comments_newlines(tp *p)
{
    for (;;) {
        skip_ws(p);
        int c = tp_peek(p);
        if (c == '#') {
            if (skip_comment(p)) return -1;
        } else if (c == '\n' || c == '\r') {
            if (eat_newline(p)) return -1;
        } else {
            return 0;
        }
    }
}

static int fail_too_deep(tp *p, tp_mark at)
{
    return tp_fail(p, at, "nesting too deep: more than %d levels of tables and arrays",
                   LH_TOML_MAX_DEPTH);
}

/* One key part: bare (A-Za-z0-9_-), "basic" or 'literal'. */
static int parse_simple_key(tp *p, kseg *out)
{
    out->at = tp_here(p);
    int c = tp_peek(p);
    if (c == '"' || c == '\'') {
        lh_buf b = LH_BUF_INIT;
        if (tp_string(p, 0, &b)) {
            lh_buf_free(&b);
            return -1;
        }
        out->len = b.len;
        out->s = lh_buf_detach(&b);
        out->owned = 1;
        return 0;
    }
    size_t start = p->pos;
    while (is_bare_key_char(tp_peek(p))) tp_adv(p);
    if (p->pos == start) {
        char what[48];
        tp_describe(p, what, sizeof what);
        return tp_fail(p, out->at, "expected a key, found %s", what);
    }
    out->len = p->pos - start;
    out->s = lh_xstrndup((const char *)p->s + start, out->len);
    out->owned = 1;
    return 0;
}

/* A possibly dotted key ("a . 'b' . c"), and the whitespace after it. */
static int parse_key(tp *p, kpath *k)
{
    for (;;) {
        if (k->n == LH_TOML_MAX_DEPTH) return fail_too_deep(p, tp_here(p));
        if (k->n == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 4;
            k->v = lh_xrealloc(k->v, k->cap * sizeof *k->v);
        }
        k->v[k->n] = (kseg){NULL, 0, {0, 0}, 0};
        if (parse_simple_key(p, &k->v[k->n])) return -1;
        k->n++;
        skip_ws(p);
        if (tp_peek(p) != '.') return 0;
        tp_adv(p);
        skip_ws(p);
    }
}

/* ------------------------------------------------------------------ */
/* Table rules                                                         */
/* ------------------------------------------------------------------ */

static const char *kind_name(const tnode *n)
{
    switch (n->kind) {
    case N_INLINE: return "inline table";
    case N_STATIC: return "array";
    case N_TABLES: return "array of tables";
    default: return lh_toml_type_name(n->v.type);
    }
}

/* "a" or "an", for "already an integer". */
static const char *a_an(const char *word) { return strchr("aeiou", word[0]) ? "an" : "a"; }

/* Create table `seg` in `parent`, taking the key. NULL if too deep. */
static tnode *add_table(doc *d, tnode *parent, kseg *seg, nkind kind, tp_mark at)
{
    if (parent->depth + 1 > LH_TOML_MAX_DEPTH) {
        fail_too_deep(&d->p, seg->at);
        return NULL;
    }
    tnode *t = node_new(LH_TOML_TABLE, kind, at, parent->depth + 1);
    tab_add(parent, seg->s, seg->len, seg->at, t);
    seg->owned = 0;
    return t;
}

/* Part i (not the last) of a [header] key: descend into it, creating an
 * implicit table if absent. Any table may be walked through except an
 * inline one; an array of tables means its last element. */
static tnode *header_step(doc *d, tnode *t, kpath *k, size_t i)
{
    lh_toml_entry *e = tab_find(t, k->v[i].s, k->v[i].len);
    if (!e) return add_table(d, t, &k->v[i], N_IMPLICIT, k->v[i].at);
    tnode *c = as_node(e->value);
    if (c->kind == N_IMPLICIT || c->kind == N_HEADER || c->kind == N_DOTTED) return c;
    if (c->kind == N_TABLES) return as_node(c->v.u.arr.items[c->v.u.arr.n - 1]);

    lh_buf b = LH_BUF_INIT;
    const char *name = key_str(&b, k, i);
    if (c->kind == N_INLINE)
        tp_fail(&d->p, k->v[i].at, "cannot add a table under %s: it is an inline table (line %d) "
                                   "and inline tables cannot be extended", name, c->v.line);
    else if (c->kind == N_STATIC)
        tp_fail(&d->p, k->v[i].at, "cannot add a table under %s: it is an array written as a "
                                   "value (line %d), which cannot be extended", name, c->v.line);
    else
        tp_fail(&d->p, k->v[i].at, "cannot add a table under %s: it is already %s %s (line %d)",
                name, a_an(kind_name(c)), kind_name(c), c->v.line);
    lh_buf_free(&b);
    return NULL;
}

/* The last part of a [table] header: define it. Only an absent table or
 * one that so far exists implicitly (as a parent of another header) can
 * be defined. */
static tnode *header_define(doc *d, tnode *t, kpath *k, tp_mark at)
{
    kseg *s = &k->v[k->n - 1];
    lh_toml_entry *e = tab_find(t, s->s, s->len);
    if (!e) return add_table(d, t, s, N_HEADER, at);
    tnode *c = as_node(e->value);
    if (c->kind == N_IMPLICIT) {
        c->kind = N_HEADER;
        c->v.line = at.line;
        c->v.col = at.col;
        return c;
    }
    lh_buf b = LH_BUF_INIT;
    const char *name = key_str(&b, k, k->n - 1);
    if (c->kind == N_HEADER)
        tp_fail(&d->p, at, "table [%s] is defined twice (first at line %d)", name, c->v.line);
    else if (c->kind == N_DOTTED)
        tp_fail(&d->p, at, "table [%s] was already defined by dotted keys at line %d", name,
                c->v.line);
    else if (c->kind == N_TABLES)
        tp_fail(&d->p, at, "[%s] is an array of tables (line %d); add an element with [[%s]]",
                name, c->v.line, name);
    else
        tp_fail(&d->p, at, "cannot define table [%s]: the key is already %s %s (line %d)", name,
                a_an(kind_name(c)), kind_name(c), c->v.line);
    lh_buf_free(&b);
    return NULL;
}

/* The last part of an [[array]] header: append a new table to the array of
 * tables, creating the array if absent. */
static tnode *header_append(doc *d, tnode *t, kpath *k, tp_mark at)
{
    kseg *s = &k->v[k->n - 1];
    lh_toml_entry *e = tab_find(t, s->s, s->len);
    tnode *arr;
    if (!e) {
        if (t->depth + 2 > LH_TOML_MAX_DEPTH) {
            fail_too_deep(&d->p, s->at);
            return NULL;
        }
        arr = node_new(LH_TOML_ARRAY, N_TABLES, at, t->depth + 1);
        tab_add(t, s->s, s->len, s->at, arr);
        s->owned = 0;
    } else if ((arr = as_node(e->value))->kind != N_TABLES) {
        lh_buf b = LH_BUF_INIT;
        const char *name = key_str(&b, k, k->n - 1);
        if (arr->kind == N_STATIC)
            tp_fail(&d->p, at, "cannot append to %s with [[%s]]: it is an array written as a "
                               "value (line %d), which cannot be extended", name, name,
                    arr->v.line);
        else
            tp_fail(&d->p, at, "cannot use [[%s]]: %s is already %s %s (line %d)", name, name,
                    a_an(kind_name(arr)), kind_name(arr), arr->v.line);
        lh_buf_free(&b);
        return NULL;
    }
    tnode *elem = node_new(LH_TOML_TABLE, N_HEADER, at, arr->depth + 1);
    arr_push(arr, elem);
    return elem;
}

/* Part i (not the last) of a dotted key in a key/value: descend, creating a
 * dotted table if absent. Dotted keys may only go through tables that
 * dotted keys define (or that exist only implicitly so far, which they then
 * claim); tables from [headers], inline tables and arrays are closed to
 * them. */
static tnode *dotted_step(doc *d, tnode *t, kpath *k, size_t i)
{
    lh_toml_entry *e = tab_find(t, k->v[i].s, k->v[i].len);
    if (!e) return add_table(d, t, &k->v[i], N_DOTTED, k->v[i].at);
    tnode *c = as_node(e->value);
    if (c->kind == N_DOTTED) return c;
    if (c->kind == N_IMPLICIT) {
        c->kind = N_DOTTED;
        return c;
    }
    lh_buf b = LH_BUF_INIT;
    const char *name = key_str(&b, k, i);
    if (c->kind == N_HEADER)
        tp_fail(&d->p, k->v[i].at, "cannot add to table %s with dotted keys: it was defined by a "
                                   "[header] at line %d; add the key under that header", name,
                c->v.line);
    else if (c->kind == N_INLINE)
        tp_fail(&d->p, k->v[i].at, "cannot add to %s: it is an inline table (line %d) and inline "
                                   "tables cannot be extended", name, c->v.line);
    else
        tp_fail(&d->p, k->v[i].at, "cannot use %s as a table: it is already %s %s (line %d)",
                name, a_an(kind_name(c)), kind_name(c), c->v.line);
    lh_buf_free(&b);
    return NULL;
}

/* Seal an inline table and every table defined inside it. */
static void freeze(tnode *t)
{
    t->kind = N_INLINE;
    for (size_t i = 0; i < t->v.u.tab.n; i++) {
        tnode *c = as_node(t->v.u.tab.entries[i].value);
        if (c->v.type == LH_TOML_TABLE && c->kind != N_INLINE) freeze(c);
    }
}

/* ------------------------------------------------------------------ */
/* Values and lines                                                    */
/* ------------------------------------------------------------------ */

static int parse_value(doc *d, int depth, tnode **out);

/* key = value, into table tbl (the current table or an inline table). */
static int parse_keyval(doc *d, tnode *tbl)
{
    tp *p = &d->p;
    kpath k = {0};
    lh_buf b = LH_BUF_INIT;
    int rc = -1;
    if (parse_key(p, &k)) goto out;
    if (tp_peek(p) != '=') {
        char what[48];
        tp_describe(p, what, sizeof what);
        tp_fail(p, tp_here(p), "expected '=' after the key %s, found %s",
                key_str(&b, &k, k.n - 1), what);
        goto out;
    }
    tp_adv(p);
    skip_ws(p);
    tnode *t = tbl;
    for (size_t i = 0; i + 1 < k.n; i++)
        if (!(t = dotted_step(d, t, &k, i))) goto out;
    kseg *last = &k.v[k.n - 1];
    lh_toml_entry *e = tab_find(t, last->s, last->len);
    if (e) {
        tp_fail(p, last->at, "duplicate key %s: already defined at line %d, column %d",
                key_str(&b, &k, k.n - 1), e->line, e->col);
        goto out;
    }
    tnode *val;
    if (parse_value(d, t->depth + 1, &val)) goto out;
    tab_add(t, last->s, last->len, last->at, val);
    last->owned = 0;
    rc = 0;
out:
    kpath_free(&k);
    lh_buf_free(&b);
    return rc;
}

/* [ value, value, ... ] — newlines and comments allowed, trailing comma too. */
static int parse_array(doc *d, int depth, tnode **out)
{
    tp *p = &d->p;
    tp_mark at = tp_here(p);
    if (depth > LH_TOML_MAX_DEPTH) return fail_too_deep(p, at);
    tnode *a = node_new(LH_TOML_ARRAY, N_STATIC, at, depth);
    tp_adv(p);
    for (;;) {
        if (skip_ws_comments_newlines(p)) goto fail;
        if (tp_peek(p) < 0) {
            tp_fail(p, at, "unterminated array: no closing ']' before the end of the input");
            goto fail;
        }
        if (tp_peek(p) == ']') break;
        tnode *item;
        if (parse_value(d, depth + 1, &item)) goto fail;
        arr_push(a, item);
        if (skip_ws_comments_newlines(p)) goto fail;
        int c = tp_peek(p);
        if (c == ',') {
            tp_adv(p);
            continue;
        }
        if (c == ']') break;
        if (c < 0) {
            tp_fail(p, at, "unterminated array: no closing ']' before the end of the input");
        } else {
            char what[48];
            tp_describe(p, what, sizeof what);
            tp_fail(p, tp_here(p), "expected ',' or ']' after an array element, found %s", what);
        }
        goto fail;
    }
    tp_adv(p);
    *out = a;
    return 0;
fail:
    lh_toml_free(&a->v);
    return -1;
}

/* { key = value, ... } — one line, no trailing comma (TOML 1.0). */
static int parse_inline_table(doc *d, int depth, tnode **out)
{
    tp *p = &d->p;
    tp_mark at = tp_here(p);
    if (depth > LH_TOML_MAX_DEPTH) return fail_too_deep(p, at);
    tnode *t = node_new(LH_TOML_TABLE, N_HEADER, at, depth);
    char what[48];
    tp_adv(p);
    skip_ws(p);
    if (tp_peek(p) == '}') goto done;
    for (;;) {
        skip_ws(p);
        int c = tp_peek(p);
        if (c == '}') {
            tp_fail(p, tp_here(p), "trailing comma in an inline table (not allowed in TOML 1.0)");
            goto fail;
        }
        if (c == '\n' || c == '\r' || c < 0) break;
        if (parse_keyval(d, t)) goto fail;
        skip_ws(p);
        c = tp_peek(p);
        if (c == ',') {
            tp_adv(p);
            continue;
        }
        if (c == '}') goto done;
        if (c == '\n' || c == '\r' || c < 0) break;
        tp_describe(p, what, sizeof what);
        tp_fail(p, tp_here(p), "expected ',' or '}' after a key/value in an inline table, found "
                               "%s", what);
        goto fail;
    }
    /* Only a line end or the input's end leads here. */
    if (tp_peek(p) < 0)
        tp_fail(p, at, "unterminated inline table: no closing '}' before the end of the input");
    else
        tp_fail(p, tp_here(p), "an inline table must be written on one line (TOML 1.0): expected "
                               "'}' before the end of the line");
fail:
    lh_toml_free(&t->v);
    return -1;
done:
    tp_adv(p);
    freeze(t);
    *out = t;
    return 0;
}

/* Any value; `depth` is the depth the value will have in the tree. */
static int parse_value(doc *d, int depth, tnode **out)
{
    tp *p = &d->p;
    tp_mark at = tp_here(p);
    int c = tp_peek(p);
    if (c == '[') return parse_array(d, depth, out);
    if (c == '{') return parse_inline_table(d, depth, out);
    if (c == '"' || c == '\'') {
        lh_buf b = LH_BUF_INIT;
        if (tp_string(p, 1, &b)) {
            lh_buf_free(&b);
            return -1;
        }
        tnode *n = node_new(LH_TOML_STRING, N_SCALAR, at, depth);
        n->v.u.str.len = b.len;
        n->v.u.str.s = lh_buf_detach(&b);
        *out = n;
        return 0;
    }
    lh_toml_value v = {0};
    if (tp_scalar(p, &v)) return -1;
    tnode *n = node_new(v.type, N_SCALAR, at, depth);
    n->v.u = v.u;
    *out = n;
    return 0;
}

/* [table] or [[array of tables]]; moves d->cur. */
static int parse_header(doc *d)
{
    tp *p = &d->p;
    tp_mark at = tp_here(p);
    kpath k = {0};
    int rc = -1;
    tp_adv(p);
    int aot = tp_peek(p) == '[';
    if (aot) tp_adv(p);
    skip_ws(p);
    if (parse_key(p, &k)) goto out;
    if (tp_peek(p) != ']' || (aot && tp_peek_at(p, 1) != ']')) {
        char what[48];
        if (tp_peek(p) == ']') tp_adv(p);
        tp_describe(p, what, sizeof what);
        tp_fail(p, tp_here(p), "expected '%s' to close the table header, found %s",
                aot ? "]]" : "]", what);
        goto out;
    }
    tp_adv(p);
    if (aot) tp_adv(p);
    tnode *t = d->root;
    for (size_t i = 0; i + 1 < k.n; i++)
        if (!(t = header_step(d, t, &k, i))) goto out;
    t = aot ? header_append(d, t, &k, at) : header_define(d, t, &k, at);
    if (!t) goto out;
    d->cur = t;
    rc = 0;
out:
    kpath_free(&k);
    return rc;
}

static int parse_document(doc *d)
{
    tp *p = &d->p;
    for (;;) {
        skip_ws(p);
        int c = tp_peek(p);
        if (c < 0) return 0;
        if (c == '#') {
            if (skip_comment(p)) return -1;
            if (tp_peek(p) >= 0 && eat_newline(p)) return -1;
        } else if (c == '\n' || c == '\r') {
            if (eat_newline(p)) return -1;
        } else if (c == '[') {
            if (parse_header(d) || expect_eol(p, "a table header")) return -1;
        } else {
            if (parse_keyval(d, d->cur) || expect_eol(p, "a value")) return -1;
        }
    }
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

static int check_utf8(tp *p)
{
    int line = 1;
    size_t line_start = p->pos;
    for (size_t i = p->pos; i < p->len;) {
        size_t n = lh_utf8_seq_len(p->s + i, p->len - i);
        if (!n) {
            int col = 1;
            for (size_t j = line_start; j < i; j++) col += (p->s[j] & 0xC0) != 0x80;
            return tp_fail(p, (tp_mark){line, col}, "invalid UTF-8 (byte 0x%02X); TOML files "
                                                     "must be UTF-8 encoded", p->s[i]);
        }
        if (p->s[i] == '\n') {
            line++;
            line_start = i + 1;
        }
        i += n;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

int lh_toml_parse(const char *text, size_t len, const char *filename, lh_toml_value **out,
                  lh_err *err)
{
    *out = NULL;
    if (!filename) filename = "<input>";
    if (len > INT_MAX)
        return lh_err_set(err, LH_ETOOBIG, "toml_too_large",
                          "%s: a TOML document may be at most 2 GiB", filename);
    doc d = {.p = {.s = (const unsigned char *)(text ? text : ""), .len = text ? len : 0,
                   .line = 1, .col = 1, .file = filename, .err = err}};
    if (d.p.len >= 3 && memcmp(d.p.s, "\xEF\xBB\xBF", 3) == 0) d.p.pos = 3;  /* BOM */
    if (check_utf8(&d.p)) return LH_EINVAL;
    d.root = d.cur = node_new(LH_TOML_TABLE, N_HEADER, (tp_mark){1, 1}, 0);
    if (parse_document(&d)) {
        lh_toml_free(&d.root->v);
        return LH_EINVAL;
    }
    *out = &d.root->v;
    return 0;
}

int lh_toml_parse_file(const char *path, lh_toml_value **out, lh_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT)
            return lh_err_set(err, LH_ENOTFOUND, "file_not_found", "%s: no such file", path);
        return lh_err_set(err, LH_EIO, "file_unreadable", "%s: %s", path, strerror(e));
    }
    lh_buf b = LH_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > (size_t)INT_MAX) break;  /* lh_toml_parse refuses it below */
        lh_buf_append(&b, chunk, n);
    }
    int rc;
    if (ferror(f))
        rc = lh_err_set(err, LH_EIO, "file_unreadable", "%s: read failed: %s", path,
                        strerror(errno));
    else if (n > 0)
        rc = lh_err_set(err, LH_ETOOBIG, "toml_too_large",
                        "%s: a TOML document may be at most 2 GiB", path);
    else
        rc = lh_toml_parse(b.data ? b.data : "", b.len, path, out, err);
    fclose(f);
    lh_buf_free(&b);
    return rc;
}

const lh_toml_entry *lh_toml_get_entry(const lh_toml_value *table, const char *key)
{
    if (!table || table->type != LH_TOML_TABLE || !key) return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < table->u.tab.n; i++)
        if (key_eq(&table->u.tab.entries[i], key, len)) return &table->u.tab.entries[i];
    return NULL;
}

const lh_toml_value *lh_toml_get(const lh_toml_value *table, const char *key)
{
    const lh_toml_entry *e = lh_toml_get_entry(table, key);
    return e ? e->value : NULL;
}

const char *lh_toml_type_name(lh_toml_type t)
{
    switch (t) {
    case LH_TOML_STRING: return "string";
    case LH_TOML_INTEGER: return "integer";
    case LH_TOML_FLOAT: return "float";
    case LH_TOML_BOOL: return "boolean";
    case LH_TOML_DATETIME: return "offset date-time";
    case LH_TOML_DATETIME_LOCAL: return "local date-time";
    case LH_TOML_DATE_LOCAL: return "local date";
    case LH_TOML_TIME_LOCAL: return "local time";
    case LH_TOML_ARRAY: return "array";
    case LH_TOML_TABLE: return "table";
    }
    return "unknown";
}

/* ingest/convert_headers.c — making every column addressable in SQL.
 *
 * Files from legacy systems carry headers like "  Name ", "" or two
 * columns both called "Phone". DuckDB would accept some of these and
 * silently rename others in its own way (C1, Name_1), so the converter
 * decides the names itself, before the data is read, and reports every
 * change so the user knows what their columns are called:
 *
 *   - names are trimmed (ASCII whitespace and the Unicode spaces exports
 *     produce: NBSP, the U+2000 block, U+3000, a stray BOM);
 *   - an empty name becomes column_N, N being its 1-based position;
 *   - a repeated name gets _2, _3, ... Repeats are judged case-insensitively
 *     (ASCII), because DuckDB identifiers are: "name" and "Name" cannot be
 *     two columns of one table. The first occurrence keeps its name, and a
 *     generated name is never one that another column already has, so
 *     "a", "a", "a_2" becomes "a", "a_3", "a_2".
 *
 * Pure string work, no engine: the CSV reader passes the result as
 * read_csv(names=[...]) and the JSON/Parquet readers as a projection. A
 * small open-addressing set keeps this linear for files with 10,000+
 * columns.
 */
#include "ingest/convert_internal.h"

#include "core/buf.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_TRIMMED = 1, R_EMPTY = 2, R_DUPLICATE = 4 };

int ic_name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return 0;
        if (!x) return 1;
    }
}

/* Byte length of a whitespace character at p (0 if none there). */
static size_t ws_len(const unsigned char *p, size_t avail)
{
    if (avail >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) return 1;
    if (avail >= 2 && p[0] == 0xC2 && p[1] == 0xA0) return 2;                 /* NBSP */
    if (avail >= 3) {
        if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) return 3;            /* BOM */
        if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;            /* U+3000 */
        if (p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;            /* U+1680 */
        if (p[0] == 0xE2 && p[1] == 0x80 &&
            ((p[2] >= 0x80 && p[2] <= 0x8A) || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
            return 3;                                          /* U+2000..200A, 2028, 2029, 202F */
        if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;            /* U+205F */
    }
    return 0;
}

/* The trimmed copy of s; *trimmed set when anything was removed. */
static char *trim_copy(const char *s, int *trimmed)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), start = 0, end = 0, i = 0;
    int seen = 0;
    while (i < len) {
        size_t w = ws_len(p + i, len - i);
        if (w) {
            i += w;
            if (!seen) start = i;
        } else {
            if (!seen) start = i;
            seen = 1;
            i++;
            end = i;   /* one past the last non-space byte */
        }
    }
    if (!seen) start = end = len;
    *trimmed = start != 0 || end != len;
    return lh_xstrndup(s + start, end - start);
}

/* ---- a set of names, compared ASCII case-insensitively ---- */

typedef struct name_set {
    const char **slot;   /* borrowed strings */
    size_t       cap;    /* power of two */
} name_set;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch - 'A' + 'a');
        h = (h ^ ch) * 1099511628211ULL;
    }
    return h;
}

static void set_init(name_set *s, size_t n)
{
    s->cap = 16;
    while (s->cap < 2 * n + 16) s->cap *= 2;
    s->slot = lh_xcalloc(s->cap, sizeof *s->slot);
}

/* Insert name (borrowed); returns 0 if an equal name was already there. */
static int set_add(name_set *s, const char *name)
{
    size_t i = (size_t)name_hash(name) & (s->cap - 1);
    while (s->slot[i]) {
        if (ic_name_eq(s->slot[i], name)) return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slot[i] = name;
    return 1;
}

static int set_has(const name_set *s, const char *name)
{
    size_t i = (size_t)name_hash(name) & (s->cap - 1);
    while (s->slot[i]) {
        if (ic_name_eq(s->slot[i], name)) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

static char *reason_text(int r)
{
    lh_buf b = LH_BUF_INIT;
    if (r & R_TRIMMED) lh_buf_puts(&b, "trimmed");
    if (r & R_EMPTY) lh_buf_printf(&b, "%sempty name", b.len ? ", " : "");
    if (r & R_DUPLICATE) lh_buf_printf(&b, "%sduplicate name", b.len ? ", " : "");
    return lh_buf_detach(&b);
}

void ic_normalize_names(const char *const *raw, size_t n, char **norm,
                        lh_header_change **changes, size_t *n_changes)
{
    int *why = lh_xcalloc(n ? n : 1, sizeof *why);
    for (size_t i = 0; i < n; i++) {
        int trimmed = 0;
        char *t = trim_copy(raw[i] ? raw[i] : "", &trimmed);
        if (!*t) {
            free(t);
            lh_buf b = LH_BUF_INIT;
            lh_buf_printf(&b, "column_%zu", i + 1);
            t = lh_buf_detach(&b);
            why[i] |= R_EMPTY;
        } else if (trimmed) {
            why[i] |= R_TRIMMED;
        }
        norm[i] = t;
    }

    /* First occurrences keep their names; later ones are repeats. */
    name_set taken;
    set_init(&taken, n);
    for (size_t i = 0; i < n; i++)
        if (!set_add(&taken, norm[i])) why[i] |= R_DUPLICATE;
    for (size_t i = 0; i < n; i++) {
        if (!(why[i] & R_DUPLICATE)) continue;
        lh_buf cand = LH_BUF_INIT;
        for (size_t k = 2;; k++) {
            lh_buf_reset(&cand);
            lh_buf_printf(&cand, "%s_%zu", norm[i], k);
            if (!set_has(&taken, cand.data)) break;
        }
        free(norm[i]);
        norm[i] = lh_buf_detach(&cand);
        int added = set_add(&taken, norm[i]);
        assert(added);
        (void)added;
    }
    free(taken.slot);

    for (size_t i = 0; i < n; i++) {
        if (!why[i]) continue;
        *changes = lh_xrealloc(*changes, (*n_changes + 1) * sizeof **changes);
        lh_header_change *ch = &(*changes)[(*n_changes)++];
        ch->original = lh_xstrdup(raw[i] ? raw[i] : "");
        ch->normalized = lh_xstrdup(norm[i]);
        ch->reason = reason_text(why[i]);
    }
    free(why);
}

void ic_changes_free(lh_header_change *changes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(changes[i].original);
        free(changes[i].normalized);
        free(changes[i].reason);
    }
    free(changes);
}

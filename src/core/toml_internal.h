/* core/toml_internal.h — private to the TOML parser; only src/core/toml*.c
 * include it. toml.h is the module's one public door.
 *
 * The parser is split in two files that share the cursor declared here:
 *   toml.c        the document: lines, keys, [headers], arrays, inline
 *                 tables, the table-definition rules and the public API;
 *   toml_scalar.c the lexing of single values: strings (with escapes),
 *                 integers, floats, booleans and date-times.
 *
 * The cursor walks the raw bytes. The whole input is checked to be valid
 * UTF-8 before parsing starts, so the cursor only ever stops on character
 * boundaries and can count columns in characters by counting lead bytes.
 */
#ifndef LH_CORE_TOML_INTERNAL_H
#define LH_CORE_TOML_INTERNAL_H

#include "core/buf.h"
#include "core/toml.h"

#include <stddef.h>

/* Deepest nesting of tables and arrays below the root table. Headers,
 * dotted keys, arrays and inline tables all count, so no recursive walk of
 * a parsed tree (free, lookup, conversion) can go deeper than this. */
#define LH_TOML_MAX_DEPTH 128

/* A position in the document: 1-based line, 1-based column in characters. */
typedef struct tp_mark {
    int line, col;
} tp_mark;

typedef struct tp {
    const unsigned char *s;   /* the document, len bytes, valid UTF-8 */
    size_t               len;
    size_t               pos;  /* next byte to read */
    int                  line, col; /* position of s[pos] */
    const char          *file;     /* for error messages */
    lh_err              *err;
} tp;

/* The byte at pos (or pos + k), or -1 past the end. */
static inline int tp_peek(const tp *p) { return p->pos < p->len ? p->s[p->pos] : -1; }
static inline int tp_peek_at(const tp *p, size_t k)
{
    return k < p->len - p->pos ? p->s[p->pos + k] : -1;  /* pos <= len always */
}

static inline tp_mark tp_here(const tp *p) { return (tp_mark){p->line, p->col}; }

/* Step over one byte, keeping line and column. A column advances on every
 * byte that starts a character (ASCII or a UTF-8 lead byte), so a
 * multi-byte character counts once. The caller guarantees pos < len. */
static inline void tp_adv(tp *p)
{
    unsigned char c = p->s[p->pos++];
    if (c == '\n') {
        p->line++;
        p->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->col++;
    }
}

/* Control characters TOML forbids outside escapes: U+0000..U+001F except
 * tab, and U+007F. (LF and CR are handled by the callers as line ends.) */
static inline int tp_is_control(int c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F; }

/* Fill p->err with "file:line:col: message" (status LH_EINVAL, code
 * "toml_syntax") and return LH_EINVAL. */
int tp_fail(tp *p, tp_mark at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Describe the character at the cursor for an error message: "'x'",
 * "end of line", "end of input", "control character U+000B", "U+3000". */
void tp_describe(const tp *p, char *out, size_t n);

/* Lex a string starting at the cursor (which is on '"' or '\'') and append
 * its decoded bytes to out. Multi-line forms are accepted only when
 * allow_multiline is set (they are not allowed as keys). 0 or LH_EINVAL. */
int tp_string(tp *p, int allow_multiline, lh_buf *out);

/* Lex a bare value at the cursor: boolean, integer, float or date-time.
 * Fills v->type and v->u (a date-time's normalised text is malloc'ed into
 * v->u.str); v->line/col are left to the caller. 0 or LH_EINVAL, and on
 * error nothing is allocated. */
int tp_scalar(tp *p, lh_toml_value *v);

#endif

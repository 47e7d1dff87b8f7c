/* core/toml_scalar.c — lexing TOML 1.0 scalar values (see toml_internal.h).
 *
 * Strings are decoded byte by byte into an lh_buf: the input is already
 * known to be valid UTF-8, so the only work is escapes, the multi-line
 * rules (first newline trimmed, line-ending backslash, up to two quotes
 * touching the closing delimiter) and refusing control characters. CRLF
 * inside multi-line strings is stored as LF, as the spec allows.
 *
 * Every other value (booleans, numbers, date-times) is a bare token made of
 * [A-Za-z0-9_+-.:], plus one special case: a date followed by a space and
 * a digit continues as a date-time ("1979-05-27 07:32:00"). The token is
 * cut first and then judged as a whole against the grammar, which gives
 * errors that quote the whole offending value ("leading zeros are not
 * allowed in \"0123\"") instead of complaining about the character after a
 * valid prefix.
 *
 * Integers are accumulated in uint64 with an explicit bound (2^63 - 1, or
 * 2^63 for negatives), so every int64 is accepted and nothing else is.
 * Floats are checked against TOML's grammar first (digits on both sides of
 * '.', no leading zeros, underscores only between digits) and only then
 * converted by strtod_l in the C locale on a copy without underscores; a
 * value too large for a double is an error, not an infinity.
 *
 * Date-times are validated (calendar days including leap years, hours,
 * minutes, seconds 00-60 as RFC 3339 allows for leap seconds, offsets up to
 * ±23:59) and stored as text normalised to 'T' and 'Z'; fractional seconds
 * are kept exactly as written.
 */
#include "core/toml_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Errors and character descriptions                                   */
/* ------------------------------------------------------------------ */

int tp_fail(tp *p, tp_mark at, const char *fmt, ...)
{
    char msg[LH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lh_err_set(p->err, LH_EINVAL, "toml_syntax", "%s:%d:%d: %s", p->file, at.line, at.col,
                      msg);
}

/* Decode the UTF-8 character at s (known valid) and return its code point. */
static unsigned long decode_utf8(const unsigned char *s)
{
    if (s[0] < 0x80) return s[0];
    if (s[0] < 0xE0) return ((s[0] & 0x1Ful) << 6) | (s[1] & 0x3Fu);
    if (s[0] < 0xF0) return ((s[0] & 0x0Ful) << 12) | ((s[1] & 0x3Ful) << 6) | (s[2] & 0x3Fu);
    return ((s[0] & 0x07ul) << 18) | ((s[1] & 0x3Ful) << 12) | ((s[2] & 0x3Ful) << 6) |
           (s[3] & 0x3Fu);
}

void tp_describe(const tp *p, char *out, size_t n)
{
    int c = tp_peek(p);
    if (c < 0)
        snprintf(out, n, "end of input");
    else if (c == '\n' || (c == '\r' && tp_peek_at(p, 1) == '\n'))
        snprintf(out, n, "end of line");
    else if (c == '\'')
        snprintf(out, n, "\"'\"");
    else if (c >= 0x20 && c < 0x7F)
        snprintf(out, n, "'%c'", c);
    else if (c < 0x80)
        snprintf(out, n, "control character U+%04X", (unsigned)c);
    else
        snprintf(out, n, "U+%04lX", decode_utf8(p->s + p->pos));
}

/* "control character U+0001 is not allowed in <where>" at the cursor.
 * Basic strings can escape it; literal strings cannot escape anything. */
static int fail_control(tp *p, const char *where, int literal)
{
    unsigned c = (unsigned)tp_peek(p);
    return tp_fail(p, tp_here(p), "control character U+%04X is not allowed in %s; %s \\u%04X",
                   c, where, literal ? "use a \"basic\" string and write it as" : "write it as", c);
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Value of c as a digit in bases up to 16, or -1. */
static int hex_val(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */
/* ------------------------------------------------------------------ */

/* Append code point cp (a Unicode scalar value) as UTF-8. */
static void put_utf8(lh_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    lh_buf_append(b, u, n);
}

/* \uXXXX or \UXXXXXXXX: exactly `digits` hex digits naming a Unicode scalar
 * value (not a surrogate, at most U+10FFFF). The cursor is on 'u'/'U'. */
static int read_unicode_escape(tp *p, tp_mark at, int digits, lh_buf *out)
{
    char letter = (char)tp_peek(p);
    tp_adv(p);
    unsigned long cp = 0;
    for (int i = 0; i < digits; i++) {
        int d = hex_val(tp_peek(p));
        if (d < 0)
            return tp_fail(p, at, "\\%c must be followed by exactly %d hexadecimal digits", letter,
                           digits);
        cp = cp * 16 + (unsigned long)d;
        tp_adv(p);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return tp_fail(p, at, "\\%c%0*lX is not a Unicode scalar value (surrogates and values "
                              "above 10FFFF are not allowed)", letter, digits, cp);
    put_utf8(out, cp);
    return 0;
}

/* One escape sequence; the cursor is on the backslash. */
static int read_escape(tp *p, lh_buf *out)
{
    tp_mark at = tp_here(p);
    tp_adv(p);
    int c = tp_peek(p);
    char repl;
    switch (c) {
    case 'b': repl = '\b'; break;
    case 't': repl = '\t'; break;
    case 'n': repl = '\n'; break;
    case 'f': repl = '\f'; break;
    case 'r': repl = '\r'; break;
    case '"': repl = '"'; break;
    case '\\': repl = '\\'; break;
    case 'u': return read_unicode_escape(p, at, 4, out);
    case 'U': return read_unicode_escape(p, at, 8, out);
    case 'x':
        return tp_fail(p, at, "\\x escapes are not part of TOML 1.0; write \\u00XX instead");
    default: {
        char what[48];
        tp_describe(p, what, sizeof what);
        return tp_fail(p, at, "invalid escape: backslash followed by %s; the escapes are \\b \\t "
                              "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", what);
    }
    }
    lh_buf_putc(out, repl);
    tp_adv(p);
    return 0;
}

/* The newline at the cursor (LF or CRLF) as a byte count, or 0. */
static size_t newline_len(const tp *p)
{
    int c = tp_peek(p);
    if (c == '\n') return 1;
    if (c == '\r' && tp_peek_at(p, 1) == '\n') return 2;
    return 0;
}

static void skip_bytes(tp *p, size_t n)
{
    while (n--) tp_adv(p);
}

/* A line-ending backslash in a multi-line basic string: '\', optional
 * spaces/tabs, a newline; it swallows all whitespace and newlines up to the
 * next other character. The cursor is on the backslash. */
static int line_ending_backslash(tp *p)
{
    tp_mark at = tp_here(p);
    tp_adv(p);
    while (tp_peek(p) == ' ' || tp_peek(p) == '\t') tp_adv(p);
    if (!newline_len(p))
        return tp_fail(p, at, "a backslash followed by whitespace must end the line (a "
                              "line-ending backslash); to write a backslash use \\\\");
    for (;;) {
        int c = tp_peek(p);
        size_t nl = newline_len(p);
        if (c == ' ' || c == '\t') tp_adv(p);
        else if (nl) skip_bytes(p, nl);
        else return 0;
    }
}

/* Single-line strings: basic ("...", escapes) or literal ('...', none). The
 * cursor is on the opening quote. */
static int single_line_string(tp *p, char q, lh_buf *out)
{
    tp_mark open = tp_here(p);
    const char *what = q == '"' ? "a string" : "a literal string";
    tp_adv(p);
    for (;;) {
        int c = tp_peek(p);
        if (c == q) {
            tp_adv(p);
            return 0;
        }
        if (c < 0 || newline_len(p))
            return tp_fail(p, open, "unterminated string: no closing %c before the end of the %s",
                           q, c < 0 ? "input" : "line");
        if (c == '\\' && q == '"') {
            if (read_escape(p, out)) return -1;
            continue;
        }
        if (tp_is_control(c)) return fail_control(p, what, q == '\'');
        lh_buf_putc(out, (char)c);
        tp_adv(p);
    }
}

/* Multi-line strings: """...""" or '''...'''. The cursor is on the first
 * of the three opening quotes. A newline right after the opening delimiter
 * is dropped. The string ends at the first run of three or more quotes; a
 * run of four or five leaves one or two quotes in the content, six or more
 * is an error. */
static int multi_line_string(tp *p, char q, lh_buf *out)
{
    tp_mark open = tp_here(p);
    const char *what = q == '"' ? "a multi-line string" : "a multi-line literal string";
    skip_bytes(p, 3);
    skip_bytes(p, newline_len(p));
    for (;;) {
        int c = tp_peek(p);
        if (c < 0)
            return tp_fail(p, open, "unterminated multi-line string: no closing %c%c%c before "
                                    "the end of the input", q, q, q);
        if (c == q) {
            size_t run = 0;
            while (tp_peek_at(p, run) == q) run++;
            if (run < 3) {
                lh_buf_append(out, q == '"' ? "\"\"" : "''", run);
                skip_bytes(p, run);
                continue;
            }
            if (run > 5)
                return tp_fail(p, tp_here(p), "%zu quotes in a row in %s: at most two may "
                                              "precede the closing %c%c%c", run, what, q, q, q);
            lh_buf_append(out, q == '"' ? "\"\"" : "''", run - 3);
            skip_bytes(p, run);
            return 0;
        }
        size_t nl = newline_len(p);
        if (nl) {
            lh_buf_putc(out, '\n');  /* CRLF is stored as LF */
            skip_bytes(p, nl);
            continue;
        }
        if (c == '\\' && q == '"') {
            int n = tp_peek_at(p, 1);
            int rc = (n == ' ' || n == '\t' || n == '\n' || n == '\r') ? line_ending_backslash(p)
                                                                       : read_escape(p, out);
            if (rc) return -1;
            continue;
        }
        if (tp_is_control(c)) return fail_control(p, what, q == '\'');
        lh_buf_putc(out, (char)c);
        tp_adv(p);
    }
}

int tp_string(tp *p, int allow_multiline, lh_buf *out)
{
    char q = (char)tp_peek(p);
    if (tp_peek_at(p, 1) == q && tp_peek_at(p, 2) == q) {
        if (!allow_multiline)
            return tp_fail(p, tp_here(p), "a multi-line string cannot be used as a key");
        return multi_line_string(p, q, out);
    }
    return single_line_string(p, q, out);
}

/* ------------------------------------------------------------------ */
/* Bare tokens                                                         */
/* ------------------------------------------------------------------ */

static int is_token_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
           c == '+' || c == '-' || c == '.' || c == ':';
}

static int tok_eq(const char *t, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(t, word, n) == 0;
}

/* Two decimal digits at t[i], as a number, or -1. */
static int two_digits(const char *t, size_t i)
{
    if (!is_digit(t[i]) || !is_digit(t[i + 1])) return -1;
    return (t[i] - '0') * 10 + (t[i + 1] - '0');
}

/* "YYYY-" at the start: the token is a date or date-time. */
static int looks_like_date(const char *t, size_t n)
{
    return n >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) &&
           t[4] == '-';
}

/* "HH:" at the start: the token is a local time. */
static int looks_like_time(const char *t, size_t n)
{
    return n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':';
}

/* Token text for messages, shortened so a megabyte of digits stays readable. */
#define TOKFMT "\"%.*s%s\""
#define TOKARG(t, n) (int)((n) > 40 ? 40 : (n)), (t), ((n) > 40 ? "..." : "")

/* ------------------------------------------------------------------ */
/* Date-times                                                          */
/* ------------------------------------------------------------------ */

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD at t[0..10); appends it to out. NULL or why it is wrong. */
static const char *lex_date(const char *t, size_t n, lh_buf *out, char *why, size_t whyn)
{
    if (n < 10 || !looks_like_date(t, n) || two_digits(t, 5) < 0 || t[7] != '-' ||
        two_digits(t, 8) < 0 || (n > 10 && is_digit(t[10])))
        return "a date is written YYYY-MM-DD";
    int y = two_digits(t, 0) * 100 + two_digits(t, 2), m = two_digits(t, 5), d = two_digits(t, 8);
    if (m < 1 || m > 12) {
        snprintf(why, whyn, "month %02d does not exist", m);
        return why;
    }
    if (d < 1 || d > days_in_month(y, m)) {
        snprintf(why, whyn, "day %02d does not exist in %04d-%02d", d, y, m);
        return why;
    }
    lh_buf_append(out, t, 10);
    return NULL;
}

/* HH:MM:SS[.fraction] at t[*i]; appends it and advances *i. */
static const char *lex_time(const char *t, size_t n, size_t *i, lh_buf *out, char *why,
                            size_t whyn)
{
    const char *s = t + *i;
    size_t left = n - *i;
    if (left < 8 || two_digits(s, 0) < 0 || s[2] != ':' || two_digits(s, 3) < 0 || s[5] != ':' ||
        two_digits(s, 6) < 0 || (left > 8 && is_digit(s[8])))
        return "a time is written HH:MM:SS (seconds are required in TOML 1.0)";
    int h = two_digits(s, 0), mi = two_digits(s, 3), sec = two_digits(s, 6);
    /* RFC 3339 allows second 60 for leap seconds; TOML's ABNF keeps that. */
    if (h > 23 || mi > 59 || sec > 60) {
        snprintf(why, whyn, "%02d:%02d:%02d is not a time of day (hours 00-23, minutes 00-59, "
                            "seconds 00-60)", h, mi, sec);
        return why;
    }
    size_t len = 8;
    if (left > 8 && s[8] == '.') {
        len = 9;
        while (len < left && is_digit(s[len])) len++;
        if (len == 9) return "a decimal point in the seconds must be followed by digits";
    }
    lh_buf_append(out, s, len);
    *i += len;
    return NULL;
}

/* Z or ±HH:MM at t[*i]; appends it (Z upper-cased) and advances *i. */
static const char *lex_offset(const char *t, size_t n, size_t *i, lh_buf *out, char *why,
                              size_t whyn)
{
    const char *s = t + *i;
    size_t left = n - *i;
    if (s[0] == 'Z' || s[0] == 'z') {
        lh_buf_putc(out, 'Z');
        *i += 1;
        return NULL;
    }
    if ((s[0] != '+' && s[0] != '-') || left != 6 || two_digits(s, 1) < 0 || s[3] != ':' ||
        two_digits(s, 4) < 0)
        return "a time zone offset is written Z, +HH:MM or -HH:MM";
    int h = two_digits(s, 1), m = two_digits(s, 4);
    if (h > 23 || m > 59) {
        snprintf(why, whyn, "offset %.6s is out of range (at most 23:59)", s);
        return why;
    }
    lh_buf_append(out, s, 6);
    *i += 6;
    return NULL;
}

/* A date, time, local date-time or offset date-time, judged as a whole. */
static int lex_datetime(tp *p, tp_mark at, const char *t, size_t n, lh_toml_value *v)
{
    lh_buf out = LH_BUF_INIT;
    char why[160];
    const char *bad = NULL;
    size_t i = 0;
    int has_date = 0, has_time = 0, has_offset = 0, has_sep = 0;

    if (looks_like_date(t, n)) {
        bad = lex_date(t, n, &out, why, sizeof why);
        has_date = 1;
        i = 10;
        if (!bad && i < n) {
            if (t[i] == 'T' || t[i] == 't' || t[i] == ' ') {
                lh_buf_putc(&out, 'T');
                i++;
                has_sep = 1;
            } else {
                bad = "expected 'T' or a space between the date and the time";
            }
        }
    }
    if (!bad && (!has_date || has_sep)) {
        bad = lex_time(t, n, &i, &out, why, sizeof why);
        has_time = 1;
    }
    if (!bad && has_date && has_time && i < n) {
        bad = lex_offset(t, n, &i, &out, why, sizeof why);
        has_offset = 1;
    }
    if (!bad && i < n)
        bad = !has_date && (t[i] == 'Z' || t[i] == 'z' || t[i] == '+' || t[i] == '-')
                  ? "a time without a date cannot have a time zone offset"
                  : "unexpected characters after it";
    if (bad) {
        lh_buf_free(&out);
        return tp_fail(p, at, "invalid date-time " TOKFMT ": %s", TOKARG(t, n), bad);
    }
    v->type = has_offset ? LH_TOML_DATETIME
            : has_date && has_time ? LH_TOML_DATETIME_LOCAL
            : has_date ? LH_TOML_DATE_LOCAL
            : LH_TOML_TIME_LOCAL;
    v->u.str.len = out.len;
    v->u.str.s = lh_buf_detach(&out);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

/* Scan a run of digits in `radix` (2, 8, 10 or 16) where single
 * underscores may separate digits, starting at t[*i]. At least one digit
 * is required. Advances *i past the run; NULL or why it is malformed. */
static const char *scan_digits(const char *t, size_t n, size_t *i, int radix)
{
    size_t j = *i;
#define DIGIT_AT(k) ((k) < n && hex_val(t[k]) >= 0 && hex_val(t[k]) < radix)
    if (!DIGIT_AT(j))
        return j < n && t[j] == '_' ? "an underscore must sit between two digits"
                                    : "expected a digit";
    while (j < n) {
        if (DIGIT_AT(j)) {
            j++;
        } else if (t[j] == '_') {
            if (!DIGIT_AT(j + 1)) return "an underscore must sit between two digits";
            j++;
        } else {
            break;
        }
    }
#undef DIGIT_AT
    *i = j;
    return NULL;
}

/* Accumulate the digits of t[from..to) (underscores skipped) in `radix`;
 * -1 if the value exceeds `limit`. */
static int accumulate(const char *t, size_t from, size_t to, int radix, uint64_t limit,
                      uint64_t *out)
{
    uint64_t v = 0;
    for (size_t k = from; k < to; k++) {
        if (t[k] == '_') continue;
        uint64_t d = (uint64_t)hex_val(t[k]);
        if (v > (limit - d) / (uint64_t)radix) return -1;
        v = v * (uint64_t)radix + d;
    }
    *out = v;
    return 0;
}

/* strtod in the C locale, whatever the process's LC_NUMERIC says. */
static locale_t       g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) { g_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static double c_strtod(const char *s, char **end)
{
    pthread_once(&g_c_locale_once, c_locale_init);
    return g_c_locale ? strtod_l(s, end, g_c_locale) : strtod(s, end);
}

/* Float text already checked against TOML's grammar: drop underscores and
 * convert. Overflow to infinity is refused (TOML floats are binary64). */
static int to_float(tp *p, tp_mark at, const char *t, size_t n, lh_toml_value *v)
{
    char *clean = lh_xmalloc(n + 1), *end;
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (t[j] != '_') clean[k++] = t[j];
    clean[k] = '\0';
    errno = 0;
    double f = c_strtod(clean, &end);
    int ok = end == clean + k && !(errno == ERANGE && isinf(f));
    free(clean);
    if (!ok) return tp_fail(p, at, "float " TOKFMT " is out of range for a 64-bit float",
                            TOKARG(t, n));
    v->type = LH_TOML_FLOAT;
    v->u.f = f;
    return 0;
}

/* 0x, 0o or 0b integers: no sign, lower-case prefix, non-negative int64. */
static int lex_radix_int(tp *p, tp_mark at, const char *t, size_t n, lh_toml_value *v)
{
    int radix = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
    const char *name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary";
    size_t i = 2;
    const char *bad = scan_digits(t, n, &i, radix);
    if (!bad && i < n) bad = "unexpected characters in it";
    if (bad) return tp_fail(p, at, "invalid %s integer " TOKFMT ": %s", name, TOKARG(t, n), bad);
    uint64_t u;
    if (accumulate(t, 2, n, radix, INT64_MAX, &u))
        return tp_fail(p, at, "integer " TOKFMT " is out of range for a 64-bit signed integer",
                       TOKARG(t, n));
    v->type = LH_TOML_INTEGER;
    v->u.i = (int64_t)u;
    return 0;
}

/* Decimal integers and floats, inf and nan, with an optional sign. */
static int lex_number(tp *p, tp_mark at, const char *t, size_t n, lh_toml_value *v)
{
    size_t i = 0;
    int neg = 0;
    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i = 1;
    }
    if (tok_eq(t + i, n - i, "inf") || tok_eq(t + i, n - i, "nan")) {
        v->type = LH_TOML_FLOAT;
        v->u.f = copysign(t[i] == 'i' ? INFINITY : NAN, neg ? -1.0 : 1.0);
        return 0;
    }
    if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
        if (i) return tp_fail(p, at, "invalid integer " TOKFMT ": hexadecimal, octal and binary "
                                     "integers cannot have a sign", TOKARG(t, n));
        return lex_radix_int(p, at, t, n, v);
    }
    if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'X' || t[i + 1] == 'O' || t[i + 1] == 'B'))
        return tp_fail(p, at, "invalid value " TOKFMT ": the prefixes 0x, 0o and 0b are "
                              "lower-case", TOKARG(t, n));

    size_t int_start = i;
    int is_float = 0;
    const char *bad = scan_digits(t, n, &i, 10);
    if (!bad && t[int_start] == '0' && i - int_start > 1)
        bad = "leading zeros are not allowed";
    if (!bad && i < n && t[i] == '.') {
        i++;
        is_float = 1;
        if (scan_digits(t, n, &i, 10)) bad = "a decimal point must have digits on both sides";
    }
    if (!bad && i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        is_float = 1;
        if (i < n && (t[i] == '+' || t[i] == '-')) i++;
        if (scan_digits(t, n, &i, 10)) bad = "an exponent must be digits";
    }
    if (!bad && i < n) bad = "unexpected characters in it";
    if (bad) return tp_fail(p, at, "invalid value " TOKFMT ": %s", TOKARG(t, n), bad);

    if (is_float) return to_float(p, at, t, n, v);
    uint64_t u;
    if (accumulate(t, int_start, n, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &u))
        return tp_fail(p, at, "integer " TOKFMT " is out of range for a 64-bit signed integer",
                       TOKARG(t, n));
    v->type = LH_TOML_INTEGER;
    v->u.i = neg ? (u > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)u) : (int64_t)u;
    return 0;
}

int tp_scalar(tp *p, lh_toml_value *v)
{
    tp_mark at = tp_here(p);
    size_t start = p->pos;
    while (is_token_char(tp_peek(p))) tp_adv(p);
    /* "1979-05-27 07:32:00": a date, a space and a digit continue as a date-time. */
    if (p->pos - start == 10 && looks_like_date((const char *)p->s + start, 10) &&
        tp_peek(p) == ' ' && is_digit(tp_peek_at(p, 1))) {
        tp_adv(p);
        while (is_token_char(tp_peek(p))) tp_adv(p);
    }
    const char *t = (const char *)p->s + start;
    size_t n = p->pos - start;
    if (n == 0) {
        char what[48];
        tp_describe(p, what, sizeof what);
        return tp_fail(p, at, "expected a value, found %s", what);
    }
    if (tok_eq(t, n, "true") || tok_eq(t, n, "false")) {
        v->type = LH_TOML_BOOL;
        v->u.b = t[0] == 't';
        return 0;
    }
    if (looks_like_date(t, n) || looks_like_time(t, n)) return lex_datetime(p, at, t, n, v);
    if (is_digit(t[0]) || t[0] == '+' || t[0] == '-' || tok_eq(t, n, "inf") || tok_eq(t, n, "nan"))
        return lex_number(p, at, t, n, v);
    return tp_fail(p, at, "invalid value " TOKFMT ": expected a string, number, boolean, "
                          "date-time, array or inline table (strings need quotes)",
                   TOKARG(t, n));
}

/* tests/unit/test_toml.c — core/toml beyond the conformance suite.
 *
 * The toml-test suite (test_toml_conformance.c) judges what is valid TOML.
 * This file holds what the suite does not: exact error messages and
 * positions (the configuration layer shows them to people), the positions
 * recorded in the tree, lookups, the nesting limit, numeric edges, NUL
 * bytes and broken UTF-8 anywhere, big inputs, and a deterministic
 * mutation fuzz that must never crash (run it under ASan).
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/toml.h"

#include "testing.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static lh_toml_value *parse_okn(const char *src, size_t len)
{
    lh_err err = {0};
    lh_toml_value *v = NULL;
    int rc = lh_toml_parse(src, len, "t.toml", &v, &err);
    CHECK_MSG(rc == 0 && v, "parse failed: %s", err.msg);
    return v;
}

static lh_toml_value *parse_ok(const char *src) { return parse_okn(src, strlen(src)); }

/* Parse src, which must fail; return the message (static buffer). Checks
 * status, code, and that *out is NULL. */
static const char *parse_errn(const char *src, size_t len)
{
    static lh_err err;
    lh_err_clear(&err);
    lh_toml_value *v = (lh_toml_value *)1;
    int rc = lh_toml_parse(src, len, "t.toml", &v, &err);
    CHECK_MSG(rc == LH_EINVAL, "expected an error for <%.*s>, got rc %d", (int)len, src, rc);
    CHECK(v == NULL);
    if (rc == 0 && v) lh_toml_free(v);
    CHECK_STR(err.code, rc == LH_EINVAL ? "toml_syntax" : "(no error)");
    return err.msg;
}

static const char *parse_err(const char *src) { return parse_errn(src, strlen(src)); }

/* Does the parse fail with a message containing `needle`? */
#define CHECK_ERR_HAS(src, needle) do { const char *_m = parse_err(src); \
    CHECK_MSG(strstr(_m, needle) != NULL, "message \"%s\" lacks \"%s\"", _m, needle); } while (0)

/* Follow a dotted path of plain keys ("a.b.c") through tables. */
static const lh_toml_value *at_path(const lh_toml_value *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
        v = lh_toml_get(v, k);
    return v;
}

static int64_t int_at(const lh_toml_value *doc, const char *path)
{
    const lh_toml_value *v = at_path(doc, path);
    CHECK_MSG(v && v->type == LH_TOML_INTEGER, "%s is not an integer", path);
    return v && v->type == LH_TOML_INTEGER ? v->u.i : -999999;
}

static const char *str_at(const lh_toml_value *doc, const char *path)
{
    const lh_toml_value *v = at_path(doc, path);
    int ok = v && (v->type == LH_TOML_STRING ||
                   (v->type >= LH_TOML_DATETIME && v->type <= LH_TOML_TIME_LOCAL));
    CHECK_MSG(ok, "%s is not a string or date-time", path);
    return ok ? v->u.str.s : "(none)";
}

/* prefix, n times open, mid, n times close: "a = [[[1]]]". */
static char *nested(const char *open, const char *mid, const char *close, int n, const char *prefix)
{
    lh_buf b = LH_BUF_INIT;
    lh_buf_puts(&b, prefix);
    for (int i = 0; i < n; i++) lh_buf_puts(&b, open);
    lh_buf_puts(&b, mid);
    for (int i = 0; i < n; i++) lh_buf_puts(&b, close);
    lh_buf_putc(&b, '\n');
    return lh_buf_detach(&b);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static void test_types(void)
{
    lh_toml_value *d = parse_ok("s = \"hi\"\n"
                                "i = -42\n"
                                "f = 2.5e3\n"
                                "b = true\n"
                                "odt = 1979-05-27T07:32:00Z\n"
                                "ldt = 1979-05-27T07:32:00\n"
                                "ld = 1979-05-27\n"
                                "lt = 07:32:00.25\n"
                                "a = [1, \"two\", [3]]\n"
                                "t = {x = 1}\n");
    if (!d) return;
    CHECK_INT(d->type, LH_TOML_TABLE);
    CHECK_INT(d->u.tab.n, 10);
    CHECK_STR(str_at(d, "s"), "hi");
    CHECK_INT(at_path(d, "s")->u.str.len, 2);
    CHECK_INT(int_at(d, "i"), -42);
    CHECK(at_path(d, "f")->type == LH_TOML_FLOAT && at_path(d, "f")->u.f == 2500.0);
    CHECK(at_path(d, "b")->type == LH_TOML_BOOL && at_path(d, "b")->u.b == 1);
    CHECK_INT(at_path(d, "odt")->type, LH_TOML_DATETIME);
    CHECK_INT(at_path(d, "ldt")->type, LH_TOML_DATETIME_LOCAL);
    CHECK_INT(at_path(d, "ld")->type, LH_TOML_DATE_LOCAL);
    CHECK_INT(at_path(d, "lt")->type, LH_TOML_TIME_LOCAL);
    CHECK_STR(str_at(d, "lt"), "07:32:00.25");
    const lh_toml_value *a = lh_toml_get(d, "a");
    CHECK(a && a->type == LH_TOML_ARRAY && a->u.arr.n == 3);
    if (a && a->u.arr.n == 3) {
        CHECK_INT(a->u.arr.items[0]->u.i, 1);
        CHECK_STR(a->u.arr.items[1]->u.str.s, "two");
        CHECK_INT(a->u.arr.items[2]->u.arr.items[0]->u.i, 3);
    }
    CHECK_INT(int_at(d, "t.x"), 1);

    CHECK_STR(lh_toml_type_name(LH_TOML_STRING), "string");
    CHECK_STR(lh_toml_type_name(LH_TOML_INTEGER), "integer");
    CHECK_STR(lh_toml_type_name(LH_TOML_BOOL), "boolean");
    CHECK_STR(lh_toml_type_name(LH_TOML_DATETIME), "offset date-time");
    CHECK_STR(lh_toml_type_name(LH_TOML_TABLE), "table");
    lh_toml_free(d);
    lh_toml_free(NULL);
}

static void test_get(void)
{
    lh_toml_value *d = parse_ok("a = 1\n[t]\nb = 2\n");
    if (!d) return;
    CHECK(lh_toml_get(d, "missing") == NULL);
    CHECK(lh_toml_get(NULL, "a") == NULL);
    CHECK(lh_toml_get(lh_toml_get(d, "a"), "x") == NULL);  /* not a table */
    const lh_toml_entry *e = lh_toml_get_entry(d, "t");
    CHECK(e && !strcmp(e->key, "t") && e->key_len == 1 && e->value->type == LH_TOML_TABLE);
    CHECK_INT(int_at(d, "t.b"), 2);
    lh_toml_free(d);
}

static void test_strings(void)
{
    lh_toml_value *d = parse_ok(
        "esc = \"a\\tb\\n\\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\b\\f\\r\"\n"
        "lit = 'C:\\path\\no escapes'\n"
        "ml = \"\"\"\nfirst\n  second\"\"\"\n"
        "cont = \"\"\"one \\\n     two \\   \n\n   three\"\"\"\n"
        "q4 = \"\"\"\"x\"\"\"\"\n"
        "q5 = '''''y'''''\n"
        "crlf = \"\"\"a\r\nb\"\"\"\n"
        "nul = \"x\\u0000y\"\n");
    if (!d) return;
    CHECK_STR(str_at(d, "esc"), "a\tb\n\"q\" \\ \xC3\xA9 \xF0\x9F\x98\x80 \b\f\r");
    CHECK_STR(str_at(d, "lit"), "C:\\path\\no escapes");
    CHECK_STR(str_at(d, "ml"), "first\n  second");
    CHECK_STR(str_at(d, "cont"), "one two three");
    CHECK_STR(str_at(d, "q4"), "\"x\"");
    CHECK_STR(str_at(d, "q5"), "''y''");
    CHECK_STR(str_at(d, "crlf"), "a\nb");  /* CRLF inside strings is stored as LF */
    const lh_toml_value *nul = lh_toml_get(d, "nul");
    CHECK(nul && nul->u.str.len == 3 && !memcmp(nul->u.str.s, "x\0y", 4));
    lh_toml_free(d);
}

/* A quoted key may hold NUL (toml-test requires "\u0000" = 1 to parse); it
 * must never match a C-string lookup of its prefix. */
static void test_nul_in_key(void)
{
    lh_toml_value *d = parse_ok("\"a\\u0000b\" = 1\n\"\\u0000\" = 2\na = 3\n");
    if (!d) return;
    CHECK_INT(d->u.tab.n, 3);
    CHECK_INT(d->u.tab.entries[0].key_len, 3);
    CHECK(!memcmp(d->u.tab.entries[0].key, "a\0b", 4));
    CHECK_INT(d->u.tab.entries[1].key_len, 1);
    CHECK_INT(int_at(d, "a"), 3);           /* not the "a\0b" entry */
    CHECK(lh_toml_get(d, "") == NULL);      /* not the "\0" entry */
    lh_toml_free(d);
    CHECK_ERR_HAS("\"\\u0000\" = 1\n\"\\u0000\" = 2\n", "duplicate key \"\\u0000\"");
}

static void test_integers(void)
{
    lh_toml_value *d = parse_ok("max = 9223372036854775807\n"
                                "min = -9223372036854775808\n"
                                "hex = 0x7FFF_FFFF_ffff_ffff\n"
                                "oct = 0o777\n"
                                "bin = 0b1010\n"
                                "us = 1_000_000\n"
                                "z = -0\n"
                                "p = +17\n");
    if (!d) return;
    CHECK(int_at(d, "max") == INT64_MAX);
    CHECK(int_at(d, "min") == INT64_MIN);
    CHECK(int_at(d, "hex") == INT64_MAX);
    CHECK_INT(int_at(d, "oct"), 0777);
    CHECK_INT(int_at(d, "bin"), 10);
    CHECK_INT(int_at(d, "us"), 1000000);
    CHECK_INT(int_at(d, "z"), 0);
    CHECK_INT(int_at(d, "p"), 17);
    lh_toml_free(d);

    CHECK_STR(parse_err("n = 9223372036854775808\n"),
              "t.toml:1:5: integer \"9223372036854775808\" is out of range for a 64-bit "
              "signed integer");
    CHECK_ERR_HAS("n = -9223372036854775809\n", "out of range");
    CHECK_ERR_HAS("n = 0x8000000000000000\n", "out of range");
    CHECK_ERR_HAS("n = 0b11111111111111111111111111111111111111111111111111111111111111111\n",
                  "out of range");
    CHECK_ERR_HAS("n = 99999999999999999999999999999999999999999999999999999999999999\n",
                  "\"9999999999999999999999999999999999999999...\" is out of range");
    CHECK_ERR_HAS("n = 0123\n", "leading zeros");
    CHECK_ERR_HAS("n = 1__2\n", "underscore");
    CHECK_ERR_HAS("n = -0x1\n", "cannot have a sign");
    CHECK_ERR_HAS("n = 0XFF\n", "lower-case");
    CHECK_ERR_HAS("n = 12abc\n", "unexpected characters");
}

static void test_floats(void)
{
    lh_toml_value *d = parse_ok("a = 1e308\nb = 5e-324\nc = 1e-400\nd = -0.0\ne = +inf\n"
                                "f = -nan\ng = 6.626_070e-34\nh = 0e0\ni = 1E+2\n");
    if (!d) return;
    CHECK(lh_toml_get(d, "a")->u.f == 1e308);
    CHECK(lh_toml_get(d, "b")->u.f > 0);
    CHECK(lh_toml_get(d, "c")->u.f == 0.0);  /* underflow rounds, it is not an error */
    CHECK(lh_toml_get(d, "d")->u.f == 0.0 && signbit(lh_toml_get(d, "d")->u.f));
    CHECK(isinf(lh_toml_get(d, "e")->u.f) && lh_toml_get(d, "e")->u.f > 0);
    CHECK(isnan(lh_toml_get(d, "f")->u.f));
    CHECK(fabs(lh_toml_get(d, "g")->u.f - 6.626070e-34) < 1e-45);
    CHECK(lh_toml_get(d, "i")->u.f == 100.0);
    lh_toml_free(d);

    CHECK_STR(parse_err("x = 1e309\n"),
              "t.toml:1:5: float \"1e309\" is out of range for a 64-bit float");
    CHECK_ERR_HAS("x = -1e309\n", "out of range");
    CHECK_ERR_HAS("x = 1.\n", "digits on both sides");
    CHECK_ERR_HAS("x = .5\n", "invalid value");
    CHECK_ERR_HAS("x = 1e\n", "exponent");
    CHECK_ERR_HAS("x = 01.5\n", "leading zeros");
    CHECK_ERR_HAS("x = Inf\n", "invalid value \"Inf\"");
    CHECK_ERR_HAS("x = infinity\n", "invalid value");
}

static void test_datetimes(void)
{
    lh_toml_value *d = parse_ok("a = 1979-05-27 07:32:00z\n"
                                "b = 1979-05-27t07:32:00.999999+05:30\n"
                                "c = 2000-02-29\n"
                                "e = 2024-02-29T00:00:00\n"
                                "f = 23:59:60\n"
                                "g = [1979-05-27 07:32:00, 1979-05-27]\n");
    if (!d) return;
    CHECK_STR(str_at(d, "a"), "1979-05-27T07:32:00Z");
    CHECK_STR(str_at(d, "b"), "1979-05-27T07:32:00.999999+05:30");
    CHECK_STR(str_at(d, "c"), "2000-02-29");
    CHECK_STR(str_at(d, "f"), "23:59:60");  /* RFC 3339 leap second */
    const lh_toml_value *g = lh_toml_get(d, "g");
    CHECK(g && g->u.arr.n == 2 && g->u.arr.items[0]->type == LH_TOML_DATETIME_LOCAL);
    lh_toml_free(d);

    CHECK_STR(parse_err("d = 1900-02-29\n"),
              "t.toml:1:5: invalid date-time \"1900-02-29\": day 29 does not exist in 1900-02");
    CHECK_ERR_HAS("d = 2023-02-29\n", "day 29 does not exist");
    CHECK_ERR_HAS("d = 2023-04-31\n", "day 31");
    CHECK_ERR_HAS("d = 2023-13-01\n", "month 13");
    CHECK_ERR_HAS("d = 2023-00-01\n", "month 00");
    CHECK_ERR_HAS("d = 24:00:00\n", "not a time of day");
    CHECK_ERR_HAS("d = 12:60:00\n", "not a time of day");
    CHECK_ERR_HAS("d = 12:00:61\n", "not a time of day");
    CHECK_ERR_HAS("d = 12:00\n", "seconds are required");
    CHECK_ERR_HAS("d = 12:00:00Z\n", "time without a date cannot have a time zone");
    CHECK_ERR_HAS("d = 2023-01-01T12:00:00+24:00\n", "offset +24:00 is out of range");
    CHECK_ERR_HAS("d = 2023-01-01T12:00:00+0100\n", "offset is written");
    CHECK_ERR_HAS("d = 2023-01-01T\n", "a time is written");
    CHECK_ERR_HAS("d = 2023-01-01T12:00:00.\n", "followed by digits");
    CHECK_ERR_HAS("d = 12023-01-01\n", "invalid value");
}

/* ------------------------------------------------------------------ */
/* Positions                                                           */
/* ------------------------------------------------------------------ */

static void test_positions(void)
{
    lh_toml_value *d = parse_ok("# comment\n"
                                "top = 1\n"
                                "  \"h\u00e9\" = 'x'\n"   /* col counts characters */
                                "[srv]\n"
                                "  port  =  8080\n"
                                "[[b]]\n"
                                "[[b]]\n"
                                "n.m = true\n"
                                "[x.y.z]\n"
                                "[x]\n");
    if (!d) return;
    CHECK_INT(d->line, 1);
    CHECK_INT(d->col, 1);
    const lh_toml_entry *e = lh_toml_get_entry(d, "top");
    CHECK(e && e->line == 2 && e->col == 1 && e->value->line == 2 && e->value->col == 7);
    e = lh_toml_get_entry(d, "h\xC3\xA9");
    CHECK(e && e->line == 3 && e->col == 3 && e->value->col == 10);
    e = lh_toml_get_entry(d, "srv");
    CHECK(e && e->line == 4 && e->col == 2);             /* the key inside [ ] */
    CHECK(e && e->value->line == 4 && e->value->col == 1); /* the header */
    e = lh_toml_get_entry(lh_toml_get(d, "srv"), "port");
    CHECK(e && e->line == 5 && e->col == 3 && e->value->line == 5 && e->value->col == 12);
    const lh_toml_value *b = lh_toml_get(d, "b");
    CHECK(b && b->type == LH_TOML_ARRAY && b->u.arr.n == 2);
    if (b && b->u.arr.n == 2) {
        CHECK(b->line == 6 && b->u.arr.items[0]->line == 6 && b->u.arr.items[1]->line == 7);
        e = lh_toml_get_entry(b->u.arr.items[1], "n");
        CHECK(e && e->line == 8 && e->col == 1 && e->value->type == LH_TOML_TABLE);
        e = lh_toml_get_entry(e ? e->value : NULL, "m");
        CHECK(e && e->line == 8 && e->col == 3 && e->value->col == 7);
    }
    /* x was created implicitly on line 9 and defined on line 10: the value
     * points at its own header, the entry at where the key first appeared. */
    e = lh_toml_get_entry(d, "x");
    CHECK(e && e->line == 9 && e->col == 2 && e->value->line == 10 && e->value->col == 1);
    lh_toml_free(d);
}

static void test_error_messages(void)
{
    CHECK_STR(parse_err("a = \"abc\n"),
              "t.toml:1:5: unterminated string: no closing \" before the end of the line");
    CHECK_STR(parse_err("a = 'abc"),
              "t.toml:1:5: unterminated string: no closing ' before the end of the input");
    CHECK_STR(parse_err("x = 1\na = \"\"\"abc\n\n"),
              "t.toml:2:5: unterminated multi-line string: no closing \"\"\" before the end of "
              "the input");
    CHECK_STR(parse_err("a = 1\nb = 2\n a = 3\n"),
              "t.toml:3:2: duplicate key a: already defined at line 1, column 1");
    CHECK_STR(parse_err("[a]\nx = 1\n\n[a]\n"),
              "t.toml:4:1: table [a] is defined twice (first at line 1)");
    CHECK_STR(parse_err("s = \"\u00e9\\q\"\n"),
              "t.toml:1:7: invalid escape: backslash followed by 'q'; the escapes are \\b \\t "
              "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX");
    CHECK_STR(parse_err("s = \"\\uD800\"\n"),
              "t.toml:1:6: \\uD800 is not a Unicode scalar value (surrogates and values above "
              "10FFFF are not allowed)");
    CHECK_STR(parse_err("[fruit]\napple.color = 'red'\n[fruit.apple]\n"),
              "t.toml:3:1: table [fruit.apple] was already defined by dotted keys at line 2");
    CHECK_STR(parse_err("a = {b = 1}\na.c = 2\n"),
              "t.toml:2:1: cannot add to a: it is an inline table (line 1) and inline tables "
              "cannot be extended");
    CHECK_STR(parse_err("a = [1]\n[[a]]\n"),
              "t.toml:2:1: cannot append to a with [[a]]: it is an array written as a value "
              "(line 1), which cannot be extended");
    CHECK_STR(parse_err("a = 1 b = 2\n"),
              "t.toml:1:7: expected the end of the line after a value, found 'b'");
    CHECK_STR(parse_err("key\n"), "t.toml:1:4: expected '=' after the key key, found end of line");
    CHECK_STR(parse_err("a = \n"), "t.toml:1:5: expected a value, found end of line");
    CHECK_STR(parse_err("a = {x = 1,}\n"),
              "t.toml:1:12: trailing comma in an inline table (not allowed in TOML 1.0)");
    CHECK_STR(parse_err("a = {x = 1,\n y = 2}\n"),
              "t.toml:1:12: an inline table must be written on one line (TOML 1.0): expected "
              "'}' before the end of the line");
    CHECK_STR(parse_err("a = [1,\n 2,\n"),
              "t.toml:1:5: unterminated array: no closing ']' before the end of the input");
    CHECK_STR(parse_err("a = 1\r\nb = 2\rc = 3\n"),
              "t.toml:2:6: a carriage return must be followed by a line feed");
    CHECK_STR(parse_err("[a.b\n"), "t.toml:1:5: expected ']' to close the table header, found "
                                   "end of line");
    CHECK_STR(parse_err("x = true # \x7f\n"),
              "t.toml:1:12: control character U+007F is not allowed in a comment");
    CHECK_STR(parse_err("a = \"\"\"x\\ y\"\"\"\n"),
              "t.toml:1:9: a backslash followed by whitespace must end the line (a line-ending "
              "backslash); to write a backslash use \\\\");
    CHECK_STR(parse_err("a = tru\n"),
              "t.toml:1:5: invalid value \"tru\": expected a string, number, boolean, date-time, "
              "array or inline table (strings need quotes)");

    /* No file name: "<input>". */
    lh_err err = {0};
    lh_toml_value *v;
    CHECK_INT(lh_toml_parse("=", 1, NULL, &v, &err), LH_EINVAL);
    CHECK_STR(err.msg, "<input>:1:1: expected a key, found '='");
    CHECK(lh_toml_parse("=", 1, "f.toml", &v, NULL) == LH_EINVAL);  /* NULL err is allowed */
}

/* ------------------------------------------------------------------ */
/* Hostile input                                                       */
/* ------------------------------------------------------------------ */

static void test_unterminated(void)
{
    static const char *cases[] = {
        "a = \"", "a = \"x", "a = '", "a = '''", "a = \"\"\"", "a = \"\"\"x\"\"", "a = '''x''",
        "a = \"x\\", "a = \"\\u12", "a = [", "a = [1,", "a = {", "a = {b = 1", "a = {b =", "[a",
        "[[a]", "[[a", "[\"a", "\"a", "a.", "a = \"\"\"\\", "a = 1979-05-", "a = [[[[",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *m = parse_err(cases[i]);
        CHECK_MSG(!strncmp(m, "t.toml:1:", 9), "case <%s>: %s", cases[i], m);
    }
}

static void test_bad_escapes(void)
{
    CHECK_ERR_HAS("a = \"\\x41\"\n", "\\x escapes are not part of TOML 1.0");
    CHECK_ERR_HAS("a = \"\\e\"\n", "invalid escape");
    CHECK_ERR_HAS("a = \"\\ \"\n", "backslash followed by ' '");
    CHECK_ERR_HAS("a = \"\\u12G4\"\n", "exactly 4 hexadecimal digits");
    CHECK_ERR_HAS("a = \"\\U0000004\"\n", "exactly 8 hexadecimal digits");
    CHECK_ERR_HAS("a = \"\\U00110000\"\n", "not a Unicode scalar value");
    CHECK_ERR_HAS("a = \"\\uDFFF\"\n", "not a Unicode scalar value");
    CHECK_ERR_HAS("a = \"\"\"\\q\"\"\"\n", "invalid escape");
    CHECK_ERR_HAS("a = \"\"\"a\"\"\"\"\"\"\n", "6 quotes in a row");
    lh_toml_value *d = parse_ok("a = 'no \\escape'\nb = \"\\U0010FFFF\"\n");
    if (d) {
        CHECK_STR(str_at(d, "a"), "no \\escape");
        CHECK_STR(str_at(d, "b"), "\xF4\x8F\xBF\xBF");
        lh_toml_free(d);
    }
}

static void test_invalid_utf8(void)
{
    static const struct { const char *src; const char *msg; } cases[] = {
        {"a = \"\xC0\x80\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xC0); TOML files must be UTF-8 encoded"},
        {"a = \"\xED\xA0\x80\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xED); TOML files must be UTF-8 encoded"},
        {"a = \"\xF4\x90\x80\x80\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xF4); TOML files must be UTF-8 encoded"},
        {"a = \"\xE0\x9F\xBF\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xE0); TOML files must be UTF-8 encoded"},
        {"# \xF5\x80\x80\x80\n", "t.toml:1:3: invalid UTF-8 (byte 0xF5); TOML files must be UTF-8 encoded"},
        {"a = 1\n\xC3\xA9\xC3\xA9 \x80", "t.toml:2:4: invalid UTF-8 (byte 0x80); TOML files must be UTF-8 encoded"},
        {"a = '\xE2\x82", "t.toml:1:6: invalid UTF-8 (byte 0xE2); TOML files must be UTF-8 encoded"},
        {"a = '\xFF'", "t.toml:1:6: invalid UTF-8 (byte 0xFF); TOML files must be UTF-8 encoded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(parse_err(cases[i].src), cases[i].msg);
    /* The largest code point and the last before the surrogates are fine. */
    lh_toml_value *d = parse_ok("a = \"\xF4\x8F\xBF\xBF \xED\x9F\xBF \xEE\x80\x80\"\n");
    lh_toml_free(d);
}

static void test_nul_bytes(void)
{
    static const struct { const char *src; size_t len; const char *msg; } cases[] = {
        {"\0", 1, "t.toml:1:1: expected a key, found control character U+0000"},
        {"a = \"x\0\"\n", 9, "t.toml:1:7: control character U+0000 is not allowed in a string; "
                             "write it as \\u0000"},
        {"a = 'x\0'\n", 9, "t.toml:1:7: control character U+0000 is not allowed in a literal "
                           "string; use a \"basic\" string and write it as \\u0000"},
        {"a = 1 # \0\n", 10, "t.toml:1:9: control character U+0000 is not allowed in a comment"},
        {"a = 1\0\n", 7, "t.toml:1:6: expected the end of the line after a value, found control "
                         "character U+0000"},
        {"a\0 = 1\n", 7, "t.toml:1:2: expected '=' after the key a, found control character "
                         "U+0000"},
        {"a = \"\"\"\0\"\"\"", 11, "t.toml:1:8: control character U+0000 is not allowed in a "
                                   "multi-line string; write it as \\u0000"},
        {"a = [1,\0]", 9, "t.toml:1:8: expected a value, found control character U+0000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(parse_errn(cases[i].src, cases[i].len), cases[i].msg);
}

static void test_nesting_limit(void)
{
    const char *deep = "t.toml:1:";
    char *s = nested("[", "1", "]", 128, "a = ");
    lh_toml_value *d = parse_ok(s);
    lh_toml_free(d);
    free(s);
    s = nested("[", "1", "]", 129, "a = ");
    CHECK_STR(parse_err(s), "t.toml:1:133: nesting too deep: more than 128 levels of tables and "
                            "arrays");
    free(s);
    s = nested("{b = ", "1", "}", 128, "a = ");
    d = parse_ok(s);
    lh_toml_free(d);
    free(s);
    s = nested("{b = ", "1", "}", 129, "a = ");
    CHECK_ERR_HAS(s, "nesting too deep");
    free(s);
    s = nested("[{b = ", "1", "}]", 100, "a = ");
    CHECK_ERR_HAS(s, "nesting too deep");
    free(s);

    /* A megabyte of '[' fails fast and cleanly, far from the stack's end. */
    size_t n = 1 << 20;
    char *big = malloc(n + 5);
    memcpy(big, "a = ", 4);
    memset(big + 4, '[', n);
    big[n + 4] = '\0';
    const char *m = parse_err(big);
    CHECK(!strncmp(m, deep, strlen(deep)) && strstr(m, "nesting too deep"));
    memset(big + 4, '{', n);
    CHECK_ERR_HAS(big, "t.toml:1:");
    free(big);

    /* Dotted keys and headers count too. */
    lh_buf b = LH_BUF_INIT;
    for (int i = 0; i < 128; i++) lh_buf_puts(&b, i ? ".k" : "k");
    lh_buf_puts(&b, " = 1\n");
    d = parse_ok(b.data);
    lh_toml_free(d);
    lh_buf_reset(&b);
    for (int i = 0; i < 129; i++) lh_buf_puts(&b, i ? ".k" : "k");
    lh_buf_puts(&b, " = 1\n");
    CHECK_ERR_HAS(b.data, "nesting too deep");
    lh_buf_reset(&b);
    lh_buf_putc(&b, '[');
    for (int i = 0; i < 120; i++) lh_buf_puts(&b, i ? ".k" : "k");
    lh_buf_puts(&b, "]\nv = [[[[[[[[[[1]]]]]]]]]]\n");  /* 120 tables + 10 arrays */
    CHECK_ERR_HAS(b.data, "nesting too deep");
    lh_buf_free(&b);
}

static void test_table_rules(void)
{
    /* Valid: implicit then explicit; sub-tables of dotted tables; [[ ]] then
     * sub-tables of its last element. */
    lh_toml_value *d = parse_ok("[a.b.c]\nx = 1\n[a]\ny = 2\n"
                                "[f]\napple.color = 'red'\n[f.apple.texture]\nsmooth = true\n"
                                "[[arr]]\nn = 1\n[[arr]]\nn = 2\n[arr.sub]\nk = 3\n");
    if (d) {
        CHECK_INT(int_at(d, "a.b.c.x"), 1);
        CHECK_INT(int_at(d, "a.y"), 2);
        CHECK(at_path(d, "f.apple.texture.smooth") != NULL);
        const lh_toml_value *arr = lh_toml_get(d, "arr");
        CHECK(arr && arr->u.arr.n == 2);
        if (arr && arr->u.arr.n == 2) {
            CHECK(lh_toml_get(arr->u.arr.items[0], "sub") == NULL);
            CHECK_INT(int_at(arr->u.arr.items[1], "sub.k"), 3);
        }
        lh_toml_free(d);
    }

    CHECK_ERR_HAS("a = 1\na = 1\n", "duplicate key a");
    CHECK_ERR_HAS("a.b = 1\na.b = 1\n", "duplicate key a.b");
    CHECK_ERR_HAS("a = {x = 1, x = 2}\n", "duplicate key x");
    CHECK_ERR_HAS("[a]\n[a]\n", "defined twice");
    CHECK_ERR_HAS("[a.b]\n[a]\n[a]\n", "table [a] is defined twice");
    CHECK_ERR_HAS("[a]\nb = 1\n[a.b]\n", "already an integer");
    CHECK_ERR_HAS("a = {}\n[a]\n", "already an inline table");
    CHECK_ERR_HAS("a = {b = {}}\n[a.b.c]\n", "inline table");
    CHECK_ERR_HAS("a = {b.c = 1}\na.b.d = 2\n", "inline table");
    CHECK_ERR_HAS("a = [{}]\n[a.b]\n", "array written as a value");
    CHECK_ERR_HAS("a = []\n[[a]]\n", "cannot append to a with [[a]]");
    CHECK_ERR_HAS("[a]\n[[a]]\n", "already a table");
    CHECK_ERR_HAS("[[a]]\n[a]\n", "array of tables");
    CHECK_ERR_HAS("[a.b]\nx = 1\n[a]\nb.y = 2\n", "defined by a [header] at line 1");
    CHECK_ERR_HAS("[[a.b]]\n[a]\nb.y = 2\n", "already an array of tables");
    CHECK_ERR_HAS("a.b = 1\na.b.c = 2\n", "already an integer");
    /* Dotted keys that go through an implicit table define it. */
    CHECK_ERR_HAS("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n", "already defined by dotted keys");
}

static void test_bom_and_crlf(void)
{
    lh_toml_value *d = parse_ok("\xEF\xBB\xBF" "a = 1\r\n# c\r\nb = \"x\"\r\n");
    if (d) {
        CHECK_INT(int_at(d, "a"), 1);
        CHECK_INT(lh_toml_get_entry(d, "a")->col, 1);  /* the BOM is not a column */
        CHECK_INT(lh_toml_get_entry(d, "b")->line, 3);
        lh_toml_free(d);
    }
    CHECK_ERR_HAS("a = 1\n\xEF\xBB\xBF" "b = 2\n", "t.toml:2:1: expected a key, found U+FEFF");
    d = parse_okn("", 0);
    CHECK(d && d->type == LH_TOML_TABLE && d->u.tab.n == 0);
    lh_toml_free(d);
    d = parse_okn(NULL, 0);
    CHECK(d && d->u.tab.n == 0);
    lh_toml_free(d);
}

/* Many keys: lookups and duplicate detection stay fast (hash index). */
static void test_many_keys(void)
{
    enum { N = 50000 };
    lh_buf b = LH_BUF_INIT;
    lh_buf_puts(&b, "[t]\n");
    for (int i = 0; i < N; i++) lh_buf_printf(&b, "k%d = %d\n", i, i);
    lh_toml_value *d = parse_ok(b.data);
    if (d) {
        const lh_toml_value *t = lh_toml_get(d, "t");
        CHECK(t && t->u.tab.n == N);
        CHECK_INT(int_at(d, "t.k0"), 0);
        CHECK_INT(int_at(d, "t.k49999"), 49999);
        CHECK(lh_toml_get_entry(t, "k12345")->line == 12345 + 2);
        lh_toml_free(d);
    }
    lh_buf_puts(&b, "k31337 = 0\n");
    char want[128];
    snprintf(want, sizeof want, "t.toml:%d:1: duplicate key k31337: already defined at line %d",
             N + 2, 31337 + 2);
    CHECK_ERR_HAS(b.data, want);
    lh_buf_free(&b);
}

static void test_parse_file(void)
{
    lh_err err = {0};
    lh_toml_value *v = (lh_toml_value *)1;
    CHECK_INT(lh_toml_parse_file("/nonexistent/lakehouse.toml", &v, &err), LH_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_STR(err.code, "file_not_found");

    char path[] = "/tmp/lh_test_toml_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char *doc = "[server]\nport = 8080\nhost = 'x' 'y'\n";
    CHECK(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    CHECK_INT(lh_toml_parse_file(path, &v, &err), LH_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s:3:12: expected the end of the line after a value, found \"'\"",
             path);
    CHECK_STR(err.msg, want);

    FILE *f = fopen(path, "w");
    fputs("[server]\nport = 8080\n", f);
    fclose(f);
    CHECK_INT(lh_toml_parse_file(path, &v, &err), 0);
    CHECK_INT(int_at(v, "server.port"), 8080);
    lh_toml_free(v);
    unlink(path);
}

/* ------------------------------------------------------------------ */
/* Fuzz                                                                */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Every outcome is either a tree or a clean syntax error naming the file. */
static void check_outcome(const char *src, size_t len)
{
    lh_err err = {0};
    lh_toml_value *v = NULL;
    int rc = lh_toml_parse(src, len, "f.toml", &v, &err);
    if (rc == 0) {
        CHECK(v && v->type == LH_TOML_TABLE);
        lh_toml_free(v);
    } else {
        CHECK(rc == LH_EINVAL && v == NULL);
        CHECK_MSG(!strcmp(err.code, "toml_syntax") && !strncmp(err.msg, "f.toml:", 7),
                  "code %s msg %s", err.code, err.msg);
    }
}

static void test_fuzz(void)
{
    static const char seed[] =
        "\xEF\xBB\xBF# doc\n"
        "title = \"T\\u00e9st \\\"q\\\"\"\n"
        "lit = 'C:\\x'\n"
        "ml = \"\"\"\nl1 \\\n  l2\"\"\"\n"
        "mll = '''\nraw'''\n"
        "n = [1, -2_0, 0x1F, 0o7, 0b1, +3.5e-2, inf, nan, true, false]\n"
        "d = [1979-05-27T07:32:00Z, 1979-05-27 07:32:00.5, 1979-05-27, 07:32:00]\n"
        "it = { a = 1, b.c = { d = [ {e = 'f'} ] } }\n"
        "a.b.c = 1\n"
        "[tab . \"sub\"]\r\n"
        "k = 'v' # c\n"
        "[[aot]]\n"
        "x = 1\n"
        "[[aot]]\n"
        "[aot.y]\n"
        "z = \"\xC3\xA9\xF0\x9F\x98\x80\"\n";
    static const char alphabet[] = "[]{}=.,'\"\\#\n\r\t 0123456789abcxyzeE+-_:TZ\0\x80\xC3\xFF";
    size_t len = sizeof seed - 1;
    check_outcome(seed, len);
    lh_toml_value *v;
    CHECK_INT(lh_toml_parse(seed, len, "f.toml", &v, NULL), 0);
    lh_toml_free(v);

    /* Every prefix. */
    for (size_t i = 0; i <= len; i++) {
        char *cut = lh_xmalloc(i + 1);
        memcpy(cut, seed, i);
        check_outcome(cut, i);  /* no NUL terminator relied upon: exact length */
        free(cut);
    }
    /* Random mutations: overwrite, insert, delete, duplicate a span. */
    char *buf = lh_xmalloc(len * 2 + 64);
    for (int round = 0; round < 20000; round++) {
        size_t n = len;
        memcpy(buf, seed, len);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = rnd() % (n + 1);
            char c = alphabet[rnd() % (sizeof alphabet - 1)];
            switch (rnd() % 4) {
            case 0:
                if (at < n) buf[at] = c;
                break;
            case 1:
                if (n < len * 2) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                }
                break;
            case 2:
                if (at < n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            default: {
                size_t span = rnd() % 16;
                if (at + span <= n && n + span <= len * 2) {
                    memmove(buf + at + span, buf + at, n - at);
                    n += span;
                }
            }
            }
        }
        check_outcome(buf, n);
    }
    free(buf);
}

int main(void)
{
    RUN(test_types);
    RUN(test_get);
    RUN(test_strings);
    RUN(test_nul_in_key);
    RUN(test_integers);
    RUN(test_floats);
    RUN(test_datetimes);
    RUN(test_positions);
    RUN(test_error_messages);
    RUN(test_unterminated);
    RUN(test_bad_escapes);
    RUN(test_invalid_utf8);
    RUN(test_nul_bytes);
    RUN(test_nesting_limit);
    RUN(test_table_rules);
    RUN(test_bom_and_crlf);
    RUN(test_many_keys);
    RUN(test_parse_file);
    RUN(test_fuzz);
    return TEST_SUMMARY();
}

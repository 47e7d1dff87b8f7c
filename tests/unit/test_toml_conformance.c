/* tests/unit/test_toml_conformance.c — the toml-test suite against core/toml.
 *
 * Runs every case listed in $LH_SHARED_DIR/conformance/toml-test/tests/
 * files-toml-1.0.0 (the TOML 1.0.0 subset of toml-lang/toml-test):
 *
 *   valid/X.toml    must parse; the tree is converted to the suite's tagged
 *                   JSON ({"type": T, "value": "..."} for every scalar) with
 *                   jansson and compared with valid/X.json semantically:
 *                   integers and floats by value (inf/nan as the suite
 *                   spells them, the sign of zero checked), date-times after
 *                   normalising the spelling (T and Z upper-case, trailing
 *                   zeros of fractional seconds dropped), everything else
 *                   exactly;
 *   invalid/X.toml  must be rejected with LH_EINVAL, code "toml_syntax" and
 *                   a message starting "X.toml:line:col: ".
 *
 * There is no skip list: every listed case must pass. Each failure is
 * printed with its file and reason; the last line is "N passed, N failed".
 * Without the suite the test prints why and exits 77 (CTest's skip code).
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/toml.h"

#include <jansson.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* NUL bytes                                                           */
/* ------------------------------------------------------------------ */

/* TOML allows "\u0000" in keys and strings; jansson keeps NUL bytes in
 * string values (JSON_ALLOW_NUL) but refuses them in object keys. Both
 * sides therefore spell U+0000 as the noncharacter U+FDD0, which the suite
 * never uses: the expected file's \u0000 escapes are rewritten before
 * jansson reads it, and NUL bytes in our keys and strings are rewritten
 * when building our JSON. Only escapes are touched: a backslash always
 * starts a two-character escape in JSON, so "\\u0000" (an escaped
 * backslash and the text "u0000") is left alone. */
#define NUL_SENTINEL "\xEF\xB7\x90"  /* U+FDD0 in UTF-8 */

static char *nul_to_sentinel(const char *s, size_t len, size_t *out_len)
{
    lh_buf b = LH_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0') lh_buf_puts(&b, NUL_SENTINEL);
        else lh_buf_putc(&b, s[i]);
    }
    *out_len = b.len;
    return lh_buf_detach(&b);
}

static json_t *load_expected(const char *path, json_error_t *jerr)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(jerr->text, sizeof jerr->text, "%s", strerror(errno));
        return NULL;
    }
    lh_buf in = LH_BUF_INIT, out = LH_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) lh_buf_append(&in, chunk, n);
    fclose(f);
    for (size_t i = 0; i < in.len; i++) {
        if (in.data[i] == '\\' && i + 1 < in.len) {
            if (in.len - i >= 6 && memcmp(in.data + i, "\\u0000", 6) == 0) {
                lh_buf_puts(&out, "\\uFDD0");
                i += 5;
            } else {
                lh_buf_append(&out, in.data + i, 2);
                i++;
            }
        } else {
            lh_buf_putc(&out, in.data[i]);
        }
    }
    json_t *j = json_loadb(out.data ? out.data : "", out.len, JSON_ALLOW_NUL, jerr);
    lh_buf_free(&in);
    lh_buf_free(&out);
    return j;
}

/* ------------------------------------------------------------------ */
/* Tree -> tagged JSON                                                 */
/* ------------------------------------------------------------------ */

static const char *tag_of(lh_toml_type t)
{
    switch (t) {
    case LH_TOML_STRING: return "string";
    case LH_TOML_INTEGER: return "integer";
    case LH_TOML_FLOAT: return "float";
    case LH_TOML_BOOL: return "bool";
    case LH_TOML_DATETIME: return "datetime";
    case LH_TOML_DATETIME_LOCAL: return "datetime-local";
    case LH_TOML_DATE_LOCAL: return "date-local";
    case LH_TOML_TIME_LOCAL: return "time-local";
    default: return NULL;
    }
}

static json_t *tagged(const char *type, json_t *value)
{
    return json_pack("{s:s, s:o}", "type", type, "value", value);
}

static json_t *to_json(const lh_toml_value *v)
{
    char num[64];
    switch (v->type) {
    case LH_TOML_TABLE: {
        json_t *o = json_object();
        for (size_t i = 0; i < v->u.tab.n; i++) {
            size_t klen;
            char *key = nul_to_sentinel(v->u.tab.entries[i].key, v->u.tab.entries[i].key_len, &klen);
            json_object_setn_new(o, key, klen, to_json(v->u.tab.entries[i].value));
            free(key);
        }
        return o;
    }
    case LH_TOML_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; i < v->u.arr.n; i++) json_array_append_new(a, to_json(v->u.arr.items[i]));
        return a;
    }
    case LH_TOML_INTEGER:
        snprintf(num, sizeof num, "%" PRId64, v->u.i);
        return tagged("integer", json_string(num));
    case LH_TOML_FLOAT:
        if (isnan(v->u.f)) snprintf(num, sizeof num, "nan");
        else if (isinf(v->u.f)) snprintf(num, sizeof num, "%sinf", v->u.f < 0 ? "-" : "");
        else snprintf(num, sizeof num, "%.17g", v->u.f);
        return tagged("float", json_string(num));
    case LH_TOML_BOOL:
        return tagged("bool", json_string(v->u.b ? "true" : "false"));
    default: { /* strings and date-times */
        size_t len;
        char *s = nul_to_sentinel(v->u.str.s, v->u.str.len, &len);
        json_t *j = tagged(tag_of(v->type), json_stringn(s, len));
        free(s);
        return j;
    }
    }
}

/* ------------------------------------------------------------------ */
/* Semantic comparison                                                 */
/* ------------------------------------------------------------------ */

/* A scalar in the suite's form: an object of exactly string "type" and
 * string "value". */
static int is_tagged(json_t *j, const char **type, json_t **value)
{
    if (!json_is_object(j) || json_object_size(j) != 2) return 0;
    json_t *t = json_object_get(j, "type"), *v = json_object_get(j, "value");
    if (!json_is_string(t) || !json_is_string(v)) return 0;
    *type = json_string_value(t);
    *value = v;
    return 1;
}

/* Date-time text in one spelling: upper-case T and Z, fractional seconds
 * without trailing zeros (".600" and ".6" are the same instant). */
static void norm_datetime(const char *s, lh_buf *out)
{
    lh_buf_reset(out);
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == 't' || c == ' ') c = 'T';
        if (c == 'z') c = 'Z';
        if (c == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
            size_t j = i + 1, last = i;  /* last non-zero digit */
            for (; s[j] >= '0' && s[j] <= '9'; j++)
                if (s[j] != '0') last = j;
            if (last > i) lh_buf_append(out, s + i, last - i + 1);
            i = j - 1;
            continue;
        }
        lh_buf_putc(out, c);
    }
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

static int parse_f64(const char *s, double *out)
{
    if (!strcmp(s, "nan") || !strcmp(s, "+nan") || !strcmp(s, "-nan")) {
        *out = NAN;
        return 0;
    }
    if (!strcmp(s, "inf") || !strcmp(s, "+inf")) {
        *out = INFINITY;
        return 0;
    }
    if (!strcmp(s, "-inf")) {
        *out = -INFINITY;
        return 0;
    }
    char *end;
    *out = strtod(s, &end);
    return end == s || *end ? -1 : 0;
}

/* Compare two tagged scalars of the same type; 0 if equal. */
static int scalar_differs(const char *type, json_t *want, json_t *got)
{
    const char *w = json_string_value(want), *g = json_string_value(got);
    if (!strcmp(type, "integer")) {
        int64_t a, b;
        return parse_i64(w, &a) || parse_i64(g, &b) || a != b;
    }
    if (!strcmp(type, "float")) {
        double a, b;
        if (parse_f64(w, &a) || parse_f64(g, &b)) return 1;
        if (isnan(a) || isnan(b)) return !(isnan(a) && isnan(b));
        return a != b || signbit(a) != signbit(b);
    }
    if (!strcmp(type, "datetime") || !strcmp(type, "datetime-local") ||
        !strcmp(type, "date-local") || !strcmp(type, "time-local")) {
        lh_buf a = LH_BUF_INIT, b = LH_BUF_INIT;
        norm_datetime(w, &a);
        norm_datetime(g, &b);
        int d = strcmp(a.data, b.data) != 0;
        lh_buf_free(&a);
        lh_buf_free(&b);
        return d;
    }
    return !json_equal(want, got);  /* string, bool: exact, NUL bytes included */
}

/* Compare expected with actual; on the first difference describe it (with
 * its JSON path) in why and return 1. */
static int differs(json_t *want, json_t *got, lh_buf *path, lh_buf *why)
{
    const char *wt = NULL, *gt = NULL;
    json_t *wv = NULL, *gv = NULL;
    int wtag = is_tagged(want, &wt, &wv), gtag = is_tagged(got, &gt, &gv);
    if (wtag || gtag) {
        if (!(wtag && gtag)) {
            lh_buf_printf(why, "at %s: expected %s, got %s", path->len ? path->data : "(root)",
                          wtag ? "a scalar" : "a table", gtag ? "a scalar" : "a table");
            return 1;
        }
        if (strcmp(wt, gt) != 0 || scalar_differs(wt, wv, gv)) {
            lh_buf_printf(why, "at %s: expected %s \"%s\", got %s \"%s\"", path->data, wt,
                          json_string_value(wv), gt, json_string_value(gv));
            return 1;
        }
        return 0;
    }
    if (json_typeof(want) != json_typeof(got)) {
        lh_buf_printf(why, "at %s: expected a JSON %s, got a JSON %s",
                      path->len ? path->data : "(root)",
                      json_is_array(want) ? "array" : "object", json_is_array(got) ? "array" : "object");
        return 1;
    }
    size_t mark = path->len;
    if (json_is_array(want)) {
        if (json_array_size(want) != json_array_size(got)) {
            lh_buf_printf(why, "at %s: expected %zu array elements, got %zu",
                          path->len ? path->data : "(root)", json_array_size(want),
                          json_array_size(got));
            return 1;
        }
        for (size_t i = 0; i < json_array_size(want); i++) {
            lh_buf_printf(path, "[%zu]", i);
            if (differs(json_array_get(want, i), json_array_get(got, i), path, why)) return 1;
            path->len = mark;
            path->data[mark] = '\0';
        }
        return 0;
    }
    if (json_is_object(want)) {
        const char *key;
        size_t klen;
        json_t *val;
        json_object_keylen_foreach(got, key, klen, val) {
            if (!json_object_getn(want, key, klen)) {
                lh_buf_printf(why, "at %s: unexpected key \"%s\"", path->len ? path->data : "(root)",
                              key);
                return 1;
            }
        }
        json_object_keylen_foreach(want, key, klen, val) {
            json_t *g = json_object_getn(got, key, klen);
            if (!g) {
                lh_buf_printf(why, "at %s: missing key \"%s\"", path->len ? path->data : "(root)",
                              key);
                return 1;
            }
            lh_buf_printf(path, ".%s", key);
            if (differs(val, g, path, why)) return 1;
            path->len = mark;
            path->data[mark] = '\0';
        }
        return 0;
    }
    if (!json_equal(want, got)) {
        lh_buf_printf(why, "at %s: values differ", path->len ? path->data : "(root)");
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

/* valid/X.toml: parse, convert, compare with valid/X.json. `path` is the
 * .toml file's path. */
static int run_valid(const char *path, lh_buf *why)
{
    lh_err err = {0};
    lh_toml_value *doc;
    if (lh_toml_parse_file(path, &doc, &err) != 0) {
        lh_buf_printf(why, "rejected a valid document: %s", err.msg);
        return 1;
    }
    lh_buf json_path = LH_BUF_INIT;
    lh_buf_printf(&json_path, "%.*s.json", (int)(strlen(path) - 5), path);
    json_error_t jerr;
    json_t *want = load_expected(json_path.data, &jerr);
    if (!want) {
        lh_buf_printf(why, "cannot read %s: %s", json_path.data, jerr.text);
        lh_buf_free(&json_path);
        lh_toml_free(doc);
        return 1;
    }
    lh_buf_free(&json_path);
    json_t *got = to_json(doc);
    lh_buf jpath = LH_BUF_INIT;
    lh_buf_reserve(&jpath, 0);
    jpath.data[0] = '\0';
    int bad = differs(want, got, &jpath, why);
    lh_buf_free(&jpath);
    json_decref(want);
    json_decref(got);
    lh_toml_free(doc);
    return bad;
}

/* invalid/X.toml: must be refused as a syntax error at a position. */
static int run_invalid(const char *path, const char *name, lh_buf *why)
{
    lh_err err = {0};
    lh_toml_value *doc;
    int rc = lh_toml_parse_file(path, &doc, &err);
    if (rc == 0) {
        lh_buf_printf(why, "accepted an invalid document");
        lh_toml_free(doc);
        return 1;
    }
    /* A proper rejection: the syntax status and code, and "path:line:col: ". */
    size_t plen = strlen(path);
    int line = 0, col = 0, used = 0;
    if (rc != LH_EINVAL || strcmp(err.code, "toml_syntax") != 0 ||
        strncmp(err.msg, path, plen) != 0 ||
        sscanf(err.msg + plen, ":%d:%d: %n", &line, &col, &used) != 2 || used == 0 || line < 1 ||
        col < 1) {
        lh_buf_printf(why, "rejected, but with status %d, code \"%s\", message \"%s\"", rc,
                      err.code, err.msg);
        return 1;
    }
    if (getenv("LH_TOML_VERBOSE")) printf("ok %s: %s\n", name, err.msg);
    return 0;
}

int main(void)
{
    const char *shared = getenv("LH_SHARED_DIR");
    lh_buf dir = LH_BUF_INIT, list = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_buf_printf(&dir, "%s/conformance/toml-test/tests", shared ? shared : "$LH_SHARED_DIR");
    lh_buf_printf(&list, "%s/files-toml-1.0.0", dir.data);
    FILE *f = shared ? fopen(list.data, "r") : NULL;
    if (!f) {
        printf("SKIP: toml-test suite not found at %s%s\n", dir.data,
               shared ? "" : " (LH_SHARED_DIR is not set)");
        lh_buf_free(&dir);
        lh_buf_free(&list);
        return 77;
    }

    int passed = 0, failed = 0;
    char line[4096];
    lh_buf why = LH_BUF_INIT;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        size_t n = strlen(line);
        if (n < 5 || strcmp(line + n - 5, ".toml") != 0) continue;  /* .json companions */
        int is_valid = strncmp(line, "valid/", 6) == 0;
        if (!is_valid && strncmp(line, "invalid/", 8) != 0) continue;
        lh_buf_reset(&why);
        lh_buf_reset(&path);
        lh_buf_printf(&path, "%s/%s", dir.data, line);
        int bad = is_valid ? run_valid(path.data, &why) : run_invalid(path.data, line, &why);
        if (bad) {
            failed++;
            printf("FAIL %s: %s\n", line, why.data ? why.data : "");
        } else {
            passed++;
        }
    }
    fclose(f);
    if (passed + failed == 0) {
        printf("FAIL: %s lists no cases\n", list.data);
        failed = 1;
    }
    lh_buf_free(&why);
    lh_buf_free(&path);
    lh_buf_free(&dir);
    lh_buf_free(&list);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ingest/convert_schema.c — does a new file fit the dataset it is appended to?
 *
 * Every Parquet file of a dataset has one schema, so a query over the
 * dataset never meets two types for one column. An append therefore checks
 * the new file's columns against the dataset's, and the output is cast to
 * the dataset's types. Only lossless (or, for integers into DOUBLE,
 * conventionally accepted) widenings are allowed:
 *
 *   equal types;
 *   integers into wider integers (INTEGER into BIGINT; unsigned into a
 *   strictly wider signed type);
 *   any integer, FLOAT or DECIMAL into DOUBLE;
 *   integers and decimals into a DECIMAL with enough integer digits and
 *   scale (INTEGER needs 10 integer digits, BIGINT 19);
 *   anything into VARCHAR;
 *   DATE into TIMESTAMP.
 *
 * Everything else is a "schema_mismatch" that lists every problem column,
 * one line each (type differences, columns the file lacks, columns the
 * dataset lacks), so the user fixes the file once rather than column by
 * column. One exception: a VARCHAR column whose every value is empty (the
 * sniffer had nothing to type it by) fits any type, since its NULLs cast
 * to anything; that costs one count() over the column, and only when the
 * types differ.
 *
 * Types are compared in DuckDB's SQL spelling, which both the reader
 * (lh_result_col_type) and the footer reader (lh_parquet_footer) produce.
 */
#include "ingest/convert_internal.h"

#include "core/buf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- types ---- */

typedef struct int_type {
    const char *name;
    int         bits;
    int         is_signed;
    int         digits;   /* decimal digits of the largest magnitude */
} int_type;

static const int_type INT_TYPES[] = {
    {"TINYINT", 8, 1, 3},     {"SMALLINT", 16, 1, 5},  {"INTEGER", 32, 1, 10},
    {"BIGINT", 64, 1, 19},    {"HUGEINT", 128, 1, 39}, {"UTINYINT", 8, 0, 3},
    {"USMALLINT", 16, 0, 5},  {"UINTEGER", 32, 0, 10}, {"UBIGINT", 64, 0, 20},
    {"UHUGEINT", 128, 0, 39},
};

static const int_type *int_type_of(const char *t)
{
    for (size_t i = 0; i < sizeof INT_TYPES / sizeof INT_TYPES[0]; i++)
        if (strcasecmp(t, INT_TYPES[i].name) == 0) return &INT_TYPES[i];
    return NULL;
}

/* "DECIMAL(p,s)" into p and s; 0 if t is not one. */
static int decimal_of(const char *t, int *p, int *s)
{
    if (strncasecmp(t, "DECIMAL(", 8) != 0) return 0;
    char close = 0;
    int n = 0;
    if (sscanf(t + 8, "%d , %d%c%n", p, s, &close, &n) != 3 || close != ')' || t[8 + n] != '\0')
        return 0;
    return *p > 0 && *s >= 0 && *s <= *p;
}

int ic_type_fits(const char *from, const char *to)
{
    if (strcasecmp(from, to) == 0) return 1;
    if (strcasecmp(to, "VARCHAR") == 0) return 1;
    if (strcasecmp(from, "DATE") == 0 && strcasecmp(to, "TIMESTAMP") == 0) return 1;

    const int_type *fi = int_type_of(from), *ti = int_type_of(to);
    int fp = 0, fs = 0, tp = 0, ts = 0;
    int fdec = decimal_of(from, &fp, &fs), tdec = decimal_of(to, &tp, &ts);

    if (fi && ti) {
        if (fi->is_signed == ti->is_signed) return ti->bits >= fi->bits;
        return !fi->is_signed && ti->bits > fi->bits;   /* unsigned into wider signed */
    }
    if (strcasecmp(to, "DOUBLE") == 0)
        return fi || fdec || strcasecmp(from, "FLOAT") == 0;
    if (tdec) {
        if (fi) return tp - ts >= fi->digits;
        if (fdec) return ts >= fs && tp - ts >= fp - fs;
    }
    return 0;
}

/* ---- matching ---- */

/* Does source column j hold no value at all? (An extra scan, used only to
 * forgive an all-empty VARCHAR column.) "WHERE t IS NOT NULL" (always
 * true: t is the whole row) makes DuckDB read every column: DuckDB 1.4.4's
 * CSV reader, asked for one column of a file with invalid UTF-8 past the
 * sniffer's sample, fails with an INTERNAL error that invalidates the
 * whole database, where reading every column gives the proper "Invalid
 * unicode" error with its line. */
static int column_is_empty(lh_engine_conn *c, const ic_source *src, size_t j, int *empty, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT, out = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT count(");
    lh_sql_quote_ident(&sql, src->duck[j]);
    lh_buf_printf(&sql, ") = 0 FROM %s AS t WHERE t IS NOT NULL", src->from.data);
    lh_err e;
    int rc = lh_engine_query_text(c, sql.data, &out, &e);
    if (rc) rc = ic_malformed(c, src, &e, err);
    else *empty = out.data && strcmp(out.data, "true") == 0;
    lh_buf_free(&sql);
    lh_buf_free(&out);
    return rc;
}

/* Append one problem line, or count it as left over once the message is
 * nearly full (lh_err messages are bounded). */
static void add_problem(lh_buf *msg, size_t *n_lines, size_t *n_over, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_problem(lh_buf *msg, size_t *n_lines, size_t *n_over, const char *fmt, ...)
{
    char line[LH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Room for the closing advice and an "... and N more" line. */
    if (*n_over || msg->len + strlen(line) + 1 > LH_ERR_MSG_MAX - 120) {
        (*n_over)++;
        return;
    }
    if (*n_lines) lh_buf_putc(msg, '\n');
    lh_buf_puts(msg, line);
    (*n_lines)++;
}

/* Source column index named `name` (exact first, then case-insensitive),
 * or n if none. */
static size_t find_col(const ic_source *src, const char *name)
{
    for (size_t j = 0; j < src->n; j++)
        if (strcmp(src->norm[j], name) == 0) return j;
    for (size_t j = 0; j < src->n; j++)
        if (ic_name_eq(src->norm[j], name)) return j;
    return src->n;
}

int ic_schema_match(lh_engine_conn *c, const ic_source *src, const lh_column *target,
                    size_t n_target, size_t *map, lh_err *err)
{
    assert(target && n_target > 0 && map);
    lh_buf msg = LH_BUF_INIT;
    size_t n_lines = 0, n_over = 0;
    char *used = lh_xcalloc(src->n ? src->n : 1, 1);

    for (size_t i = 0; i < n_target; i++) {
        size_t j = find_col(src, target[i].name);
        map[i] = j;
        if (j == src->n) {
            add_problem(&msg, &n_lines, &n_over, "column \"%s\" of the dataset is missing from the new file",
                        target[i].name);
            continue;
        }
        used[j] = 1;
        const char *t = strcasecmp(src->type[j], "JSON") == 0 ? "VARCHAR" : src->type[j];
        if (ic_type_fits(t, target[i].type)) continue;
        int empty = 0;
        if (strcasecmp(t, "VARCHAR") == 0) {
            int rc = column_is_empty(c, src, j, &empty, err);
            if (rc) {
                free(used);
                lh_buf_free(&msg);
                return rc;
            }
        }
        if (empty) continue;
        add_problem(&msg, &n_lines, &n_over, "column \"%s\" of the new file is %s but the dataset has %s",
                    target[i].name, t, target[i].type);
    }
    for (size_t j = 0; j < src->n; j++)
        if (!used[j])
            add_problem(&msg, &n_lines, &n_over, "column \"%s\" of the new file is not in the dataset",
                        src->norm[j]);
    free(used);

    if (!n_lines) {
        lh_buf_free(&msg);
        return 0;
    }
    if (n_over) lh_buf_printf(&msg, "\n... and %zu more column%s", n_over, n_over == 1 ? "" : "s");
    lh_buf_puts(&msg, "; use mode=replace or fix the file");
    int rc = lh_err_set(err, LH_EINVAL, "schema_mismatch", "%s", msg.data);
    lh_buf_free(&msg);
    return rc;
}

/* ---- projection ---- */

void ic_source_expr(lh_buf *out, const ic_source *src, size_t i)
{
    if (strcasecmp(src->type[i], "JSON") == 0) {
        /* A top-level JSON column holds values of mixed kinds (1, "N/A"):
         * store it as text, strings without their JSON quotes. */
        lh_buf_puts(out, "json_extract_string(");
        lh_sql_quote_ident(out, src->duck[i]);
        lh_buf_puts(out, ", '$')");
    } else {
        lh_sql_quote_ident(out, src->duck[i]);
    }
}

void ic_projection(lh_buf *out, const ic_source *src, const lh_column *target,
                   size_t n_target, const size_t *map)
{
    if (!map) {
        /* The reader's columns as they are: spare DuckDB's binder thousands
         * of "x" AS "x" on wide files. */
        int same = 1;
        for (size_t i = 0; i < src->n && same; i++)
            same = strcmp(src->duck[i], src->norm[i]) == 0 && strcasecmp(src->type[i], "JSON") != 0;
        if (same) {
            lh_buf_putc(out, '*');
            return;
        }
        for (size_t i = 0; i < src->n; i++) {
            if (i) lh_buf_puts(out, ", ");
            ic_source_expr(out, src, i);
            lh_buf_puts(out, " AS ");
            lh_sql_quote_ident(out, src->norm[i]);
        }
        return;
    }
    for (size_t i = 0; i < n_target; i++) {
        size_t j = map[i];
        assert(j < src->n);
        if (i) lh_buf_puts(out, ", ");
        const char *stored = strcasecmp(src->type[j], "JSON") == 0 ? "VARCHAR" : src->type[j];
        if (strcasecmp(stored, target[i].type) == 0) {
            ic_source_expr(out, src, j);
        } else {
            lh_buf_puts(out, "CAST(");
            ic_source_expr(out, src, j);
            lh_buf_printf(out, " AS %s)", target[i].type);
        }
        lh_buf_puts(out, " AS ");
        lh_sql_quote_ident(out, target[i].name);
    }
}

/* ingest/convert_read.c — reading a staged file through DuckDB's readers.
 *
 * No parsing happens here: DuckDB's CSV, JSON and Parquet readers and its
 * sniffer do all of it. This file decides how they are called and what a
 * user is told when they refuse a file.
 *
 * CSV and TSV are read in two steps. A header pass reads the first record
 * as text (header=false, all_varchar) to get the raw names, which are
 * normalised (convert_headers.c); the data pass then reads with
 * header=true and names=[normalised], leaving types to the sniffer. The
 * dialect is fixed rather than sniffed: the delimiter comes from the format
 * (',' or tab), quote and escape are '"' (RFC 4180, and what Excel writes),
 * and comment='' and skip=0 so the sniffer can never decide that a leading
 * "#id" line is a comment or that the first rows are a preamble to drop.
 * DuckDB's strict mode stays on: a row with more or fewer fields than the
 * header, or an unterminated quote, fails the read instead of being padded
 * or dropped.
 *
 * JSON is read with read_json(format='auto') (an array of objects, or one
 * object per line, both as a user would expect of a .json file); NDJSON
 * with format='newline_delimited'. DuckDB names the columns after the keys
 * and already renames an empty key (C<i>) and a key repeated in another
 * case (<name>_1); when such names appear, the raw keys are recovered with
 * json_keys() so the reported changes and the column_N rule match CSV.
 * Top-level JSON-typed columns (mixed values: 1 and "N/A") become text.
 *
 * Errors. DuckDB's messages say what is wrong and where ("CSV Error on
 * Line: 3 ... Expected Number of Columns: 2 Found: 3"), followed by hints
 * about its own options and the SQL text, which mean nothing to a user.
 * ic_malformed keeps the first part, shows the file by its base name, and
 * cuts the rest. One case needs more: when the broken line lies inside the
 * sniffer's sample, the sniffer fails without naming a line ("It was not
 * possible to automatically detect the CSV parsing dialect"). The file is
 * then read again with the sniffer off (auto_detect=false) and N text
 * columns, N being the header's field count, so the strict reader reports
 * the line itself.
 */
#include "ingest/convert_internal.h"

#include "core/buf.h"
#include "core/utf8.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* nullstr for the diagnostic probe: any text that never occurs as a field,
 * so empty header fields read as '' and only padding reads as NULL. */
#define PROBE_NULLSTR "\x01lakehouse-probe-null\x01"
/* The probe's column counts: 64, 256, ... up to this many. */
#define PROBE_MAX_COLS (1 << 18)

static int is_csv(lh_format f) { return f == LH_FMT_CSV || f == LH_FMT_TSV; }
static const char *base_name(const char *path);
static const char *format_title(lh_format f);

ic_pass ic_last_pass(lh_format fmt)
{
    if (is_csv(fmt)) return IC_PASS_VARCHAR;
    if (fmt == LH_FMT_JSON || fmt == LH_FMT_NDJSON) return IC_PASS_FULL;
    return IC_PASS_SAMPLE;
}

/* The fixed dialect options of read_csv (see the top of the file). */
static void csv_dialect(lh_buf *b, lh_format fmt)
{
    lh_buf_puts(b, ", delim=");
    lh_sql_quote_literal(b, fmt == LH_FMT_TSV ? "\t" : ",");
    lh_buf_puts(b, ", quote='\"', escape='\"', comment='', skip=0");
}

/* Run `sql` and hand back its result's first row as strings (NULL for a
 * SQL NULL) with the column count; *row = NULL if there is no row. */
static int first_row(lh_engine_conn *c, const char *sql, char ***row, size_t *n, lh_err *err)
{
    lh_engine_result *res = NULL;
    lh_chunk *ch = NULL;
    *row = NULL;
    *n = 0;
    int rc = lh_engine_query(c, sql, &res, err);
    if (rc) return rc;
    size_t ncols = lh_result_ncols(res);
    while ((rc = lh_result_next(res, &ch, err)) == 0 && ch && lh_chunk_rows(ch) == 0) {
        lh_chunk_free(ch);
        ch = NULL;
    }
    if (rc == 0 && ch) {
        char **v = lh_xcalloc(ncols ? ncols : 1, sizeof *v);
        lh_buf t = LH_BUF_INIT;
        for (size_t i = 0; i < ncols; i++) {
            lh_buf_reset(&t);
            if (lh_chunk_text(ch, i, 0, &t)) v[i] = lh_xstrdup(t.data ? t.data : "");
        }
        lh_buf_free(&t);
        *row = v;
        *n = ncols;
    }
    if (ch) lh_chunk_free(ch);
    lh_result_free(res);
    return rc;
}

static void free_strv(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* ---- the columns of a source ---- */

void ic_source_clear(ic_source *src)
{
    lh_buf_free(&src->from);
    free_strv(src->duck, src->n);
    free_strv(src->type, src->n);
    free_strv(src->norm, src->n);
    ic_changes_free(src->changes, src->n_changes);
    src->duck = src->type = src->norm = NULL;
    src->changes = NULL;
    src->n = src->n_changes = 0;
}

/* Learn the names and types the reader produces (binding only: LIMIT 0
 * reads no data, though the sniffer runs). */
static int describe(lh_engine_conn *c, ic_source *src, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_printf(&sql, "SELECT * FROM %s LIMIT 0", src->from.data);
    lh_engine_result *res = NULL;
    int rc = lh_engine_query(c, sql.data, &res, err);
    lh_buf_free(&sql);
    if (rc) return rc;
    size_t n = lh_result_ncols(res);
    src->duck = lh_xcalloc(n ? n : 1, sizeof *src->duck);
    src->type = lh_xcalloc(n ? n : 1, sizeof *src->type);
    for (size_t i = 0; i < n; i++) {
        src->duck[i] = lh_xstrdup(lh_result_col_name(res, i));
        src->type[i] = lh_xstrdup(lh_result_col_type(res, i));
    }
    src->n = n;
    lh_result_free(res);
    return 0;
}

/* The header pass: the first record's fields, as text. */
static int csv_header(lh_engine_conn *c, ic_source *src, char ***raw, size_t *n, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT * FROM read_csv(");
    lh_sql_quote_literal(&sql, src->path);
    /* parallel=false: the writing engine does not preserve insertion order,
     * so with parallel scanning LIMIT 1 may return the first row of any
     * buffer (seen: a 14 MB CSV took its header from the row at byte 8 MB). */
    lh_buf_puts(&sql, ", header=false, all_varchar=true, parallel=false");
    csv_dialect(&sql, src->fmt);
    lh_buf_puts(&sql, ") LIMIT 1");
    lh_err e;
    int rc = first_row(c, sql.data, raw, n, &e);
    lh_buf_free(&sql);
    if (rc) return ic_malformed(c, src, &e, err);
    if (!*raw)   /* the caller checked the file has content */
        return lh_err_set(err, LH_EINVAL, "empty_file", "the file holds no records");
    return 0;
}

static int open_csv(lh_engine_conn *c, ic_source *src, ic_pass pass, lh_err *err)
{
    char **raw = NULL;
    size_t n = 0;
    int rc = csv_header(c, src, &raw, &n, err);
    if (rc) return rc;
    char **norm = lh_xcalloc(n, sizeof *norm);
    ic_normalize_names((const char *const *)raw, n, norm, &src->changes, &src->n_changes);
    free_strv(raw, n);

    lh_buf *f = &src->from;
    lh_buf_puts(f, "read_csv(");
    lh_sql_quote_literal(f, src->path);
    lh_buf_puts(f, ", header=true, auto_detect=true");
    csv_dialect(f, src->fmt);
    lh_buf_puts(f, ", names=[");
    for (size_t i = 0; i < n; i++) {
        if (i) lh_buf_putc(f, ',');
        lh_sql_quote_literal(f, norm[i]);
    }
    lh_buf_putc(f, ']');
    if (pass == IC_PASS_FULL) lh_buf_puts(f, ", sample_size=-1");
    if (pass == IC_PASS_VARCHAR) lh_buf_puts(f, ", all_varchar=true");
    lh_buf_putc(f, ')');

    lh_err e;
    rc = describe(c, src, &e);
    if (rc) {
        free_strv(norm, n);
        return ic_malformed(c, src, &e, err);
    }
    if (src->n != n) {
        free_strv(norm, n);
        return lh_err_set(err, LH_EINVAL, "malformed_file", "%s is not a valid %s file: its header has %zu "
                          "fields but its rows have %zu", base_name(src->path), format_title(src->fmt), n, src->n);
    }
    src->norm = norm;
    return 0;
}

/* Does DuckDB's JSON reader look like it renamed a key ("C3", "name_1")? */
static int looks_renamed(const char *s)
{
    size_t len = strlen(s), d = len;
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
    if (d == len) return 0;
    return (d == 1 && s[0] == 'C') || (d >= 2 && s[d - 1] == '_');
}

/* Is `duck` how DuckDB names raw key `raw` at position i? */
static int duck_name_of(const char *raw, const char *duck, size_t i)
{
    if (strcmp(raw, duck) == 0) return 1;
    if (!*raw) {
        char want[32];
        snprintf(want, sizeof want, "C%zu", i);
        return strcmp(duck, want) == 0;
    }
    size_t n = strlen(raw);
    if (strncmp(raw, duck, n) != 0 || duck[n] != '_' || !duck[n + 1]) return 0;
    for (const char *d = duck + n + 1; *d; d++)
        if (*d < '0' || *d > '9') return 0;
    return 1;
}

/* The raw JSON keys in order of first appearance, if they line up with the
 * reader's columns one for one; otherwise NULL (use the reader's names). */
static char **json_raw_keys(lh_engine_conn *c, const ic_source *src)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT k FROM (SELECT unnest(json_keys(json)) AS k, "
                      "generate_subscripts(json_keys(json), 1) AS i, row_number() OVER () AS r "
                      "FROM read_json_objects(");
    lh_sql_quote_literal(&sql, src->path);
    lh_buf_printf(&sql, ", format='%s')) GROUP BY k ORDER BY min(r::HUGEINT * 4294967296 + i)",
                  src->fmt == LH_FMT_NDJSON ? "newline_delimited" : "auto");
    lh_engine_result *res = NULL;
    lh_err e;
    char **keys = lh_xcalloc(src->n ? src->n : 1, sizeof *keys);
    size_t got = 0;
    int ok = lh_engine_query(c, sql.data, &res, &e) == 0;
    lh_buf t = LH_BUF_INIT;
    for (lh_chunk *ch = NULL; ok;) {
        if (lh_result_next(res, &ch, &e) != 0) { ok = 0; break; }
        if (!ch) break;
        for (size_t r = 0; r < lh_chunk_rows(ch) && ok; r++) {
            lh_buf_reset(&t);
            if (got == src->n || !lh_chunk_text(ch, 0, r, &t)) { ok = 0; break; }
            keys[got++] = lh_xstrdup(t.data ? t.data : "");
        }
        lh_chunk_free(ch);
    }
    lh_buf_free(&t);
    if (res) lh_result_free(res);
    lh_buf_free(&sql);
    if (ok && got == src->n)
        for (size_t i = 0; i < got && ok; i++) ok = duck_name_of(keys[i], src->duck[i], i);
    if (!ok || got != src->n) {
        free_strv(keys, got);
        return NULL;
    }
    return keys;
}

static int open_json_or_parquet(lh_engine_conn *c, ic_source *src, ic_pass pass, lh_err *err)
{
    lh_buf *f = &src->from;
    if (src->fmt == LH_FMT_PARQUET) {
        lh_buf_puts(f, "read_parquet(");
        lh_sql_quote_literal(f, src->path);
    } else {
        lh_buf_puts(f, "read_json(");
        lh_sql_quote_literal(f, src->path);
        lh_buf_printf(f, ", format='%s'", src->fmt == LH_FMT_NDJSON ? "newline_delimited" : "auto");
        if (pass >= IC_PASS_FULL) lh_buf_puts(f, ", sample_size=-1");
    }
    lh_buf_putc(f, ')');

    lh_err e;
    int rc = describe(c, src, &e);
    if (rc) return ic_malformed(c, src, &e, err);

    char **raw = NULL;
    if (src->fmt != LH_FMT_PARQUET) {
        int renamed = 0;
        for (size_t i = 0; i < src->n && !renamed; i++) renamed = looks_renamed(src->duck[i]);
        if (renamed) raw = json_raw_keys(c, src);
    }
    src->norm = lh_xcalloc(src->n ? src->n : 1, sizeof *src->norm);
    ic_normalize_names((const char *const *)(raw ? raw : src->duck), src->n, src->norm, &src->changes,
                       &src->n_changes);
    free_strv(raw, src->n);
    return 0;
}

int ic_source_open(lh_engine_conn *c, ic_source *src, ic_pass pass, lh_err *err)
{
    assert(c && src && src->path);
    ic_source_clear(src);
    lh_buf_reserve(&src->from, 256);
    int rc = is_csv(src->fmt) ? open_csv(c, src, pass, err) : open_json_or_parquet(c, src, pass, err);
    if (rc) ic_source_clear(src);
    return rc;
}

/* ---- errors ---- */

int ic_is_conversion_error(const lh_err *e)
{
    return strstr(e->msg, "Conversion Error") != NULL || strstr(e->msg, "JSON transform error") != NULL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static const char *format_title(lh_format f)
{
    switch (f) {
    case LH_FMT_CSV:     return "CSV";
    case LH_FMT_TSV:     return "TSV";
    case LH_FMT_JSON:    return "JSON";
    case LH_FMT_NDJSON:  return "NDJSON";
    case LH_FMT_PARQUET: return "Parquet";
    }
    return "?";
}

/* Append s[0..n) with every occurrence of `path` shown as its base name,
 * and newlines as "\n" when `escape_nl` (a line quoted from the file). */
static void put_text(lh_buf *out, const char *s, size_t n, const char *path, int escape_nl)
{
    size_t plen = strlen(path);
    for (size_t i = 0; i < n;) {
        if (plen && n - i >= plen && memcmp(s + i, path, plen) == 0) {
            lh_buf_puts(out, base_name(path));
            i += plen;
        } else if (escape_nl && (s[i] == '\n' || s[i] == '\r')) {
            lh_buf_puts(out, s[i] == '\n' ? "\\n" : "\\r");
            i++;
        } else {
            lh_buf_putc(out, s[i++]);
        }
    }
}

/* Where DuckDB's explanation ends and its hints, option dump or SQL begin. */
static size_t explanation_len(const char *s)
{
    static const char *const cuts[] = {
        "\nPossible fixes", "\nPossible Solution", "\nPossible solution", "\nLINE 1:",
        "\nTry increasing", "\n Try setting", "\nTry setting", "\n  file = ", "\nColumn ",
        "\nThe search space",
    };
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *p = strstr(s, cuts[i]);
        if (p && (size_t)(p - s) < n) n = (size_t)(p - s);
    }
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r')) n--;
    return n;
}

/* DuckDB's message made readable: the error class dropped, the path shown
 * by base name, a CSV error as "line N: <what> (line: <text>)". */
static void clean_message(lh_buf *out, const char *msg, const char *path)
{
    static const char *const classes[] = {
        "Invalid Input Error: ", "Conversion Error: ", "Not implemented Error: ", "IO Error: ",
    };
    const char *s = msg;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        const char *p = strstr(msg, classes[i]);
        if (p) { s = p + strlen(classes[i]); break; }
    }
    size_t n = explanation_len(s);
    /* lh_err holds LH_ERR_MSG_MAX bytes: a long quoted line can push
     * DuckDB's explanation (and its hints) past the end. */
    int cut_off = strlen(msg) >= LH_ERR_MSG_MAX - 1 && n == strlen(s);

    const char *line_tag = "CSV Error on Line: ", *orig_tag = "Original Line: ";
    const char *lt = strstr(s, line_tag), *ot = strstr(s, orig_tag);
    if (lt && ot && lt < ot && (size_t)(ot - s) < n) {
        /* CSV Error on Line: N \n Original Line: <text, maybe several
         * lines> \n [blank] <explanation> : the explanation is the last
         * line, everything between is the quoted record. */
        const char *num = lt + strlen(line_tag), *num_end = num;
        while (*num_end >= '0' && *num_end <= '9') num_end++;
        const char *o = ot + strlen(orig_tag), *end = s + n;
        const char *last = end;
        while (last > o && last[-1] != '\n') last--;
        const char *o_end = last;
        while (o_end > o && (o_end[-1] == '\n' || o_end[-1] == '\r')) o_end--;
        if (cut_off) {
            last = end;
            o_end = end;
        }
        if (last > o) {
            lh_buf_puts(out, "line ");
            lh_buf_append(out, num, (size_t)(num_end - num));
            lh_buf_puts(out, ": ");
            if (cut_off)
                lh_buf_puts(out, "DuckDB's explanation was too long to keep; the usual causes are a different "
                                 "number of fields than the header or an unterminated quote");
            else
                put_text(out, last, (size_t)(end - last), path, 0);
            size_t olen = (size_t)(o_end - o);
            /* For invalid UTF-8 DuckDB sometimes quotes the line before
             * the one it names: leave the quote out rather than mislead. */
            if (strstr(last, "Invalid unicode")) olen = 0;
            if (olen > 0) {
                /* Keep the quoted record short, cut on a character boundary. */
                size_t keep = olen > 200 ? 200 : olen;
                while (keep < olen && keep > 0 && ((unsigned char)o[keep] & 0xC0) == 0x80) keep--;
                lh_buf_puts(out, " (the line reads: ");
                put_text(out, o, keep, path, 1);
                lh_buf_puts(out, keep < olen ? "...)" : ")");
            }
            return;
        }
    }
    /* Anything else: DuckDB's text on one line. */
    size_t start = out->len;
    put_text(out, s, n, path, 0);
    for (size_t i = start; i < out->len; i++)
        if (out->data[i] == '\n') out->data[i] = ' ';
}

/* Re-read a CSV whose sniffing failed with the sniffer off, to learn the
 * line DuckDB's strict reader refuses. 1 and *line_err filled if found. */
static int csv_diagnose(lh_engine_conn *c, const ic_source *src, lh_err *line_err)
{
    /* 1. The first record's field count, read leniently (no strictness, so
     *    a broken later line cannot stop it; padding reads as NULL and an
     *    empty field as '' thanks to the unlikely nullstr). */
    size_t fields = 0;
    for (size_t k = 64; k <= PROBE_MAX_COLS; k *= 4) {
        lh_buf sql = LH_BUF_INIT;
        lh_buf_puts(&sql, "SELECT * FROM read_csv(");
        lh_sql_quote_literal(&sql, src->path);
        lh_buf_puts(&sql, ", auto_detect=false, header=false, strict_mode=false, null_padding=true, nullstr=");
        lh_sql_quote_literal(&sql, PROBE_NULLSTR);
        csv_dialect(&sql, src->fmt);
        lh_buf_puts(&sql, ", columns={");
        for (size_t i = 0; i < k; i++) lh_buf_printf(&sql, "%s'c%zu':'VARCHAR'", i ? "," : "", i + 1);
        lh_buf_puts(&sql, "}) LIMIT 1");
        char **row = NULL;
        size_t n = 0;
        lh_err e;
        int rc = first_row(c, sql.data, &row, &n, &e);
        lh_buf_free(&sql);
        if (rc || !row) return 0;
        fields = 0;
        for (size_t i = 0; i < n; i++)
            if (row[i]) fields = i + 1;
        free_strv(row, n);
        if (fields < k) break;
    }
    if (!fields) return 0;

    /* 2. The strict read with that many text columns. */
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT count(*) FROM read_csv(");
    lh_sql_quote_literal(&sql, src->path);
    lh_buf_puts(&sql, ", auto_detect=false, header=false");
    csv_dialect(&sql, src->fmt);
    lh_buf_puts(&sql, ", columns={");
    for (size_t i = 0; i < fields; i++) lh_buf_printf(&sql, "%s'c%zu':'VARCHAR'", i ? "," : "", i + 1);
    lh_buf_puts(&sql, "})");
    lh_buf out = LH_BUF_INIT;
    int rc = lh_engine_query_text(c, sql.data, &out, line_err);
    lh_buf_free(&sql);
    lh_buf_free(&out);
    return rc != 0 && strstr(line_err->msg, "CSV Error on Line") != NULL;
}

int ic_malformed(lh_engine_conn *c, const ic_source *src, const lh_err *engine_err, lh_err *err)
{
    const char *msg = engine_err->msg;
    /* Not about the file's content: pass through (interrupts, memory, a
     * file that vanished or cannot be read). */
    if (engine_err->status != LH_EINVAL)
        return lh_err_set(err, engine_err->status, engine_err->code, "%s", msg);
    if (strstr(msg, "IO Error") || strstr(msg, "Out of Memory Error"))
        return lh_err_set(err, LH_EIO, "read_failed", "reading %s: %s", base_name(src->path), msg);
    /* DuckDB's readers report a bad file as one of these; anything else
     * (a binder or parser error) is a bug in the SQL built here. */
    if (!strstr(msg, "Invalid Input Error") && !strstr(msg, "Conversion Error") &&
        !strstr(msg, "Not implemented Error"))
        return lh_err_set(err, LH_EINTERNAL, "ingest_failed", "converting %s: %s", base_name(src->path), msg);

    lh_err diag;
    if (is_csv(src->fmt) && strstr(msg, "Error when sniffing file") && csv_diagnose(c, src, &diag))
        msg = diag.msg;

    lh_buf text = LH_BUF_INIT;
    lh_buf_printf(&text, "%s is not a valid %s file: ", base_name(src->path), format_title(src->fmt));
    clean_message(&text, msg, src->path);
    char *safe = lh_utf8_sanitize(text.data);
    int rc = lh_err_set(err, LH_EINVAL, "malformed_file", "%s", safe);
    free(safe);
    lh_buf_free(&text);
    return rc;
}

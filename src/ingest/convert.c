/* ingest/convert.c — a staged file in, one typed zstd Parquet file out.
 *
 * The pipeline, for every format:
 *   1. refuse an empty file (0 bytes, or only whitespace for text formats)
 *      before DuckDB sees it: its readers would happily make one VARCHAR
 *      column of nothing;
 *   2. open the source (convert_read.c): decide the column names, let the
 *      sniffer type the columns;
 *   3. on append, check the columns against the dataset's schema
 *      (convert_schema.c) and cast to the dataset's types;
 *   4. COPY (SELECT <projection> FROM <reader>) TO out_path (zstd);
 *   5. read the new file's footer for its schema.
 *
 * Typing follows ADR-010: a column gets a real type only when every value
 * fits. DuckDB's sniffer types from a sample; a value past the sample that
 * does not fit (30,000 integers, then "N/A") makes the read fail with a
 * conversion error. That is not the file's fault, so the pipeline climbs a
 * ladder instead of refusing: sniff the whole file (sample_size=-1, which
 * types such a column VARCHAR), and for CSV, as a last resort, read every
 * column as text. Structural damage (bad quoting, ragged rows, invalid
 * UTF-8, invalid JSON) is never retried: it is "malformed_file", naming
 * the line. Every failure removes out_path, so a caller never meets a half
 * written file.
 */
#include "ingest/convert_internal.h"

#include "core/buf.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- formats ---- */

static const struct {
    const char *name;
    lh_format   fmt;
} FORMAT_NAMES[] = {
    {"csv", LH_FMT_CSV},       {"tsv", LH_FMT_TSV},         {"json", LH_FMT_JSON},
    {"ndjson", LH_FMT_NDJSON}, {"jsonl", LH_FMT_NDJSON},    {"parquet", LH_FMT_PARQUET},
};

static const struct {
    const char *ext;
    lh_format   fmt;
} FORMAT_EXTS[] = {
    {".csv", LH_FMT_CSV},       {".tsv", LH_FMT_TSV},     {".tab", LH_FMT_TSV},
    {".json", LH_FMT_JSON},     {".ndjson", LH_FMT_NDJSON}, {".jsonl", LH_FMT_NDJSON},
    {".parquet", LH_FMT_PARQUET},
};

int lh_format_parse(const char *s, lh_format *out, lh_err *err)
{
    for (size_t i = 0; s && i < sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0]; i++) {
        if (strcasecmp(s, FORMAT_NAMES[i].name) == 0) {
            *out = FORMAT_NAMES[i].fmt;
            return 0;
        }
    }
    return lh_err_set(err, LH_EINVAL, "unsupported_format",
                      "unknown format \"%s\"; use csv, tsv, json, ndjson (or jsonl) or parquet", s ? s : "");
}

int lh_format_from_filename(const char *name, lh_format *out, lh_err *err)
{
    const char *base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : name;
    const char *dot = base ? strrchr(base, '.') : NULL;
    for (size_t i = 0; dot && i < sizeof FORMAT_EXTS / sizeof FORMAT_EXTS[0]; i++) {
        if (strcasecmp(dot, FORMAT_EXTS[i].ext) == 0) {
            *out = FORMAT_EXTS[i].fmt;
            return 0;
        }
    }
    return lh_err_set(err, LH_EINVAL, "unsupported_format",
                      "cannot tell the format of \"%s\" from its name; name it .csv, .tsv, .tab, .json, "
                      ".ndjson, .jsonl or .parquet, or give the format explicitly", base ? base : "");
}

const char *lh_format_name(lh_format f)
{
    switch (f) {
    case LH_FMT_CSV:     return "csv";
    case LH_FMT_TSV:     return "tsv";
    case LH_FMT_JSON:    return "json";
    case LH_FMT_NDJSON:  return "ndjson";
    case LH_FMT_PARQUET: return "parquet";
    }
    return "unknown";
}

/* ---- step 1: is there anything in the file? ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* 0 if the file has content; "empty_file" if it has none (0 bytes, or for
 * a text format nothing but whitespace and a byte-order mark). Reads only
 * up to the first byte that is not whitespace. */
static int check_content(const char *path, lh_format fmt, lh_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return lh_err_set(err, LH_ENOTFOUND, "source_not_found", "staged file %s does not exist", path);
        return lh_err_set(err, LH_EIO, "read_failed", "cannot stat %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return lh_err_set(err, LH_EINVAL, "malformed_file", "%s is not a regular file", base_name(path));
    if (st.st_size == 0)
        return lh_err_set(err, LH_EINVAL, "empty_file", "%s is empty (0 bytes)", base_name(path));
    if (fmt == LH_FMT_PARQUET) return 0;

    FILE *f = fopen(path, "rb");
    if (!f) return lh_err_set(err, LH_EIO, "read_failed", "cannot open %s: %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t n, off = 0;
    int content = 0;
    while (!content && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        size_t i = 0;
        if (off == 0 && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) i = 3;  /* BOM */
        for (; i < n; i++) {
            unsigned char ch = buf[i];
            if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != '\f' && ch != '\v') {
                content = 1;
                break;
            }
        }
        off += n;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) return lh_err_set(err, LH_EIO, "read_failed", "cannot read %s", path);
    if (!content)
        return lh_err_set(err, LH_EINVAL, "empty_file", "%s holds only whitespace (%jd bytes)",
                          base_name(path), (intmax_t)st.st_size);
    return 0;
}

/* ---- the pipeline ---- */

int lh_ingest_convert(lh_engine_conn *c, const char *src_path, lh_format fmt,
                      const lh_column *target, size_t n_target, const char *out_path,
                      lh_convert_result *out, lh_err *err)
{
    assert(c && src_path && out_path && out);
    memset(out, 0, sizeof *out);
    if (n_target == 0) target = NULL;

    int rc = check_content(src_path, fmt, err);
    if (rc) {
        unlink(out_path);
        return rc;
    }

    ic_source src = {.fmt = fmt, .path = src_path};
    size_t *map = target ? lh_xcalloc(n_target, sizeof *map) : NULL;
    lh_buf sql = LH_BUF_INIT;
    int64_t rows = 0;
    for (ic_pass pass = IC_PASS_SAMPLE;; pass++) {
        rc = ic_source_open(c, &src, pass, err);
        if (rc) goto fail;
        if (src.n == 0) {
            rc = lh_err_set(err, LH_EINVAL, "empty_file", "%s has no columns", base_name(src_path));
            goto fail;
        }
        if (target && (rc = ic_schema_match(c, &src, target, n_target, map, err)) != 0) goto fail;

        lh_buf_reset(&sql);
        lh_buf_puts(&sql, "SELECT ");
        ic_projection(&sql, &src, target, n_target, map);
        lh_buf_printf(&sql, " FROM %s", src.from.data);

        lh_err e;
        rc = lh_parquet_write(c, sql.data, out_path, &rows, &e);
        if (rc == 0) break;
        unlink(out_path);
        if (ic_is_conversion_error(&e) && pass < ic_last_pass(fmt)) continue;
        rc = ic_malformed(c, &src, &e, err);
        goto fail;
    }

    if (rows == 0 && (fmt == LH_FMT_JSON || fmt == LH_FMT_NDJSON)) {
        rc = lh_err_set(err, LH_EINVAL, "empty_file", "%s holds no JSON records", base_name(src_path));
        goto fail;
    }

    lh_parquet_info info = {0};
    rc = lh_parquet_footer(c, out_path, &info, err);
    if (rc) goto fail;
    if (info.rows != rows) {
        rc = lh_err_set(err, LH_EINTERNAL, "ingest_row_count",
                        "wrote %jd rows to %s but its footer says %jd", (intmax_t)rows, out_path,
                        (intmax_t)info.rows);
        lh_parquet_info_free(&info);
        goto fail;
    }
    out->rows = rows;
    out->cols = info.cols;
    out->n_cols = info.n_cols;
    info.cols = NULL;
    info.n_cols = 0;
    lh_parquet_info_free(&info);
    out->changes = src.changes;
    out->n_changes = src.n_changes;
    src.changes = NULL;
    src.n_changes = 0;
    ic_source_clear(&src);
    lh_buf_free(&sql);
    free(map);
    return 0;

fail:
    unlink(out_path);
    ic_source_clear(&src);
    lh_buf_free(&sql);
    free(map);
    return rc;
}

void lh_convert_result_free(lh_convert_result *r)
{
    if (!r) return;
    /* The columns came from lh_parquet_footer: the engine frees them. */
    lh_parquet_info cols = {.cols = r->cols, .n_cols = r->n_cols};
    lh_parquet_info_free(&cols);
    ic_changes_free(r->changes, r->n_changes);
    memset(r, 0, sizeof *r);
}

/* tests/unit/test_ingest_convert.c — staged files to typed Parquet
 * (ingest/convert*.c) and sensitivity classification (ingest/classify.c).
 *
 * Every fixture is written by the test into a mkdtemp directory that is
 * removed at the end. What is checked: each format round-trips (row count,
 * types from the Parquet footer, values read back); ADR-010 typing ("123",
 * "N/A", "" is VARCHAR; a late "N/A" after 30,000 integers is VARCHAR and
 * every row arrives); header normalisation and its report; quoting and
 * UTF-8; every malformed input refused with its code, its line and no
 * output file; appends that fit (widened, reordered, cast) and that do not
 * (one line per problem column); a header-only file; 10,000 columns; the
 * classifier's name and value rules; file names with quotes.
 *
 * LH_INGEST_BIG=1 adds a ~100 MB CSV and prints its timing.
 */
#include "engine/engine.h"
#include "ingest/convert.h"
#include "ingest/convert_internal.h"
#include "testing.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char            g_dir[64];
static lh_engine      *g_eng;
static lh_engine_conn *g_conn;
static int             g_out_seq;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* dir/name into a static rotating buffer. */
static const char *path_of(const char *name)
{
    static char bufs[8][512];
    static int at;
    char *p = bufs[at++ % 8];
    snprintf(p, 512, "%s/%s", g_dir, name);
    return p;
}

static const char *write_bytes(const char *name, const char *data, size_t n)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    if (n && fwrite(data, 1, n, f) != n) { perror(p); exit(1); }
    fclose(f);
    return p;
}

static const char *write_text(const char *name, const char *text) { return write_bytes(name, text, strlen(text)); }

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static const char *next_out(void)
{
    char name[64];
    snprintf(name, sizeof name, "out_%d.parquet", ++g_out_seq);
    return path_of(name);
}

/* Convert and keep the output path in *out_path. */
static int convert(const char *src, lh_format fmt, const lh_column *target, size_t n_target,
                   lh_convert_result *res, lh_err *err, const char **out_path)
{
    const char *out = next_out();
    if (out_path) *out_path = out;
    lh_err_clear(err);
    return lh_ingest_convert(g_conn, src, fmt, target, n_target, out, res, err);
}

static const char *col_type(const lh_convert_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_cols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return r->cols[i].type;
    return NULL;
}

/* One value as text ("" for NULL/no row), into a static buffer. */
static const char *scalar(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *scalar(const char *fmt, ...)
{
    static char out[4096];
    char sql[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    lh_buf b = LH_BUF_INIT;
    lh_err e;
    if (lh_engine_query_text(g_conn, sql, &b, &e) != 0) {
        snprintf(out, sizeof out, "ERROR %s: %s", e.code, e.msg);
    } else {
        snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    }
    lh_buf_free(&b);
    return out;
}

/* ---- formats ---- */

static void test_formats(void)
{
    lh_format f;
    lh_err e;
    CHECK_INT(lh_format_parse("csv", &f, &e), 0);
    CHECK_INT(f, LH_FMT_CSV);
    CHECK_INT(lh_format_parse("JSONL", &f, &e), 0);
    CHECK_INT(f, LH_FMT_NDJSON);
    CHECK_INT(lh_format_parse("xlsx", &f, &e), LH_EINVAL);
    CHECK_STR(e.code, "unsupported_format");
    CHECK_INT(lh_format_from_filename("/x/people.TSV", &f, &e), 0);
    CHECK_INT(f, LH_FMT_TSV);
    CHECK_INT(lh_format_from_filename("a.b/data.tab", &f, &e), 0);
    CHECK_INT(f, LH_FMT_TSV);
    CHECK_INT(lh_format_from_filename("events.jsonl", &f, &e), 0);
    CHECK_INT(f, LH_FMT_NDJSON);
    CHECK_INT(lh_format_from_filename("x.parquet", &f, &e), 0);
    CHECK_INT(f, LH_FMT_PARQUET);
    CHECK_INT(lh_format_from_filename("notes.txt", &f, &e), LH_EINVAL);
    CHECK_INT(lh_format_from_filename("csv", &f, &e), LH_EINVAL);
    CHECK_STR(lh_format_name(LH_FMT_NDJSON), "ndjson");
    CHECK_STR(lh_format_name(LH_FMT_PARQUET), "parquet");
}

/* ---- round trips and ADR-010 typing ---- */

static void test_csv_types(void)
{
    const char *src = write_text("types.csv",
        "i,d,b,dt,ts,v,e\n"
        "1,1.5,true,2024-01-02,2024-01-02 10:11:12,123,\n"
        "2,2.25,false,2024-02-03,2024-02-03 01:02:03,N/A,\n"
        ",,,,,,\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 3);
    CHECK_INT(r.n_cols, 7);
    CHECK_INT(r.n_changes, 0);
    CHECK_STR(col_type(&r, "i"), "BIGINT");
    CHECK_STR(col_type(&r, "d"), "DOUBLE");
    CHECK_STR(col_type(&r, "b"), "BOOLEAN");
    CHECK_STR(col_type(&r, "dt"), "DATE");
    CHECK_STR(col_type(&r, "ts"), "TIMESTAMP");
    CHECK_STR(col_type(&r, "v"), "VARCHAR");   /* "123", "N/A", "" */
    CHECK_STR(col_type(&r, "e"), "VARCHAR");   /* nothing to type it by */
    /* Empty strings in typed columns are NULL. */
    CHECK_STR(scalar("SELECT count(i) || '/' || count(d) || '/' || count(b) || '/' || count(dt) FROM read_parquet('%s')", out),
              "2/2/2/2");
    CHECK_STR(scalar("SELECT string_agg(coalesce(v, '<null>'), '|' ORDER BY i NULLS LAST) FROM read_parquet('%s')", out),
              "123|N/A|<null>");
    CHECK_STR(scalar("SELECT sum(d) FROM read_parquet('%s')", out), "3.75");
    lh_convert_result_free(&r);
}

static void test_adr010_mixed_column(void)
{
    const char *src = write_text("mixed.csv", "id,code\n1,\"123\"\n2,N/A\n3,\"\"\n4,456\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_INT(r.rows, 4);
    CHECK_STR(col_type(&r, "code"), "VARCHAR");
    CHECK_STR(col_type(&r, "id"), "BIGINT");
    CHECK_STR(scalar("SELECT code FROM read_parquet('%s') WHERE id = 2", out), "N/A");
    lh_convert_result_free(&r);
}

static void test_late_na(void)
{
    const char *src = path_of("late.csv");
    FILE *f = fopen(src, "w");
    fputs("id,x\n", f);
    for (int i = 1; i <= 30000; i++) fprintf(f, "%d,%d\n", i, i * 7);
    fputs("30001,N/A\n", f);
    for (int i = 30002; i <= 30010; i++) fprintf(f, "%d,%d\n", i, i);
    fclose(f);
    lh_convert_result r;
    lh_err e;
    const char *out;
    double t0 = now_s();
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    fprintf(stderr, "     late N/A after 30,000 ints: %.3f s\n", now_s() - t0);
    CHECK_INT(r.rows, 30010);
    CHECK_STR(col_type(&r, "x"), "VARCHAR");
    CHECK_STR(col_type(&r, "id"), "BIGINT");
    CHECK_STR(scalar("SELECT x FROM read_parquet('%s') WHERE id = 30001", out), "N/A");
    CHECK_STR(scalar("SELECT x FROM read_parquet('%s') WHERE id = 30000", out), "210000");
    lh_convert_result_free(&r);

    /* The same in NDJSON: x holds numbers and then a string. */
    src = path_of("late.ndjson");
    f = fopen(src, "w");
    for (int i = 1; i <= 30000; i++) fprintf(f, "{\"id\":%d,\"x\":%d}\n", i, i);
    fputs("{\"id\":30001,\"x\":\"N/A\"}\n", f);
    fclose(f);
    CHECK_INT(convert(src, LH_FMT_NDJSON, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 30001);
    CHECK_STR(col_type(&r, "x"), "VARCHAR");
    CHECK_STR(scalar("SELECT x FROM read_parquet('%s') WHERE id = 30001", out), "N/A");
    CHECK_STR(scalar("SELECT x FROM read_parquet('%s') WHERE id = 5", out), "5");
    lh_convert_result_free(&r);
}

static void test_tsv(void)
{
    const char *src = write_text("people.tsv", "name\tage\tnote\nAda\t36\thas, commas\nBo\t41\t\"quoted\ttab\"\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_TSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    CHECK_INT(r.n_cols, 3);
    CHECK_STR(col_type(&r, "age"), "BIGINT");
    CHECK_STR(scalar("SELECT note FROM read_parquet('%s') WHERE name = 'Ada'", out), "has, commas");
    CHECK_STR(scalar("SELECT note FROM read_parquet('%s') WHERE name = 'Bo'", out), "quoted\ttab");
    lh_convert_result_free(&r);
}

static void test_json_and_ndjson(void)
{
    const char *src = write_text("people.json",
        "[{\"id\":1,\"name\":\"Ada\",\"active\":true,\"joined\":\"2024-01-02\",\"tags\":[\"a\",\"b\"]},\n"
        " {\"id\":2,\"name\":\"Bo\",\"active\":false,\"joined\":\"2024-03-04\",\"tags\":[]}]");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_JSON, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    CHECK_INT(r.n_cols, 5);
    CHECK_STR(col_type(&r, "id"), "BIGINT");
    CHECK_STR(col_type(&r, "name"), "VARCHAR");
    CHECK_STR(col_type(&r, "active"), "BOOLEAN");
    CHECK_STR(col_type(&r, "joined"), "DATE");
    CHECK_STR(col_type(&r, "tags"), "VARCHAR[]");
    lh_convert_result_free(&r);

    /* ADR-010 in JSON: mixed kinds are text; "" stays a (non-NULL) string. */
    src = write_text("mixed.ndjson", "{\"id\":1,\"v\":\"123\",\"w\":1}\n{\"id\":2,\"v\":\"N/A\",\"w\":\"N/A\"}\n"
                                     "{\"id\":3,\"v\":\"\",\"w\":2.5}\n");
    CHECK_INT(convert(src, LH_FMT_NDJSON, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 3);
    CHECK_STR(col_type(&r, "v"), "VARCHAR");
    CHECK_STR(col_type(&r, "w"), "VARCHAR");
    CHECK_STR(scalar("SELECT string_agg(w, '|' ORDER BY id) FROM read_parquet('%s')", out), "1|N/A|2.5");
    lh_convert_result_free(&r);

    /* A .json file holding one object per line is read too (format auto). */
    src = write_text("lines.json", "{\"a\":1}\n{\"a\":2}\n");
    CHECK_INT(convert(src, LH_FMT_JSON, NULL, 0, &r, &e, &out), 0);
    CHECK_INT(r.rows, 2);
    lh_convert_result_free(&r);

    /* Key names are normalised like CSV headers, including the keys DuckDB
     * itself would rename (an empty key, a key repeated in another case). */
    src = write_text("keys.ndjson", "{\" name \":1,\"\":2,\"name\":3,\"Name\":4}\n{\"name\":5}\n");
    CHECK_INT(convert(src, LH_FMT_NDJSON, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.n_cols, 4);
    if (r.n_cols == 4) {
        CHECK_STR(r.cols[0].name, "name");
        CHECK_STR(r.cols[1].name, "column_2");
        CHECK_STR(r.cols[2].name, "name_2");
        CHECK_STR(r.cols[3].name, "Name_3");
    }
    CHECK_INT(r.n_changes, 4);
    if (r.n_changes == 4) {
        CHECK_STR(r.changes[1].original, "");
        CHECK_STR(r.changes[1].reason, "empty name");
        CHECK_STR(r.changes[3].original, "Name");
    }
    CHECK_STR(scalar("SELECT name_2 FROM read_parquet('%s') WHERE name = 1", out), "3");
    lh_convert_result_free(&r);
}

static void test_parquet_roundtrip(void)
{
    const char *src = path_of("typed.parquet");
    lh_err e;
    int64_t rows = 0;
    CHECK_INT(lh_parquet_write(g_conn,
                               "SELECT i::INTEGER AS id, (i * 1.5)::DECIMAL(10,2) AS amount, "
                               "'n' || i AS \" label \" FROM range(5) t(i)",
                               src, &rows, &e), 0);
    CHECK_INT(rows, 5);
    lh_convert_result r;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_PARQUET, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 5);
    CHECK_STR(col_type(&r, "id"), "INTEGER");
    CHECK_STR(col_type(&r, "amount"), "DECIMAL(10,2)");
    CHECK_STR(col_type(&r, "label"), "VARCHAR");
    CHECK_INT(r.n_changes, 1);
    if (r.n_changes == 1) CHECK_STR(r.changes[0].reason, "trimmed");
    CHECK_STR(scalar("SELECT sum(amount) FROM read_parquet('%s')", out), "15.00");
    lh_convert_result_free(&r);
}

/* ---- headers ---- */

static void test_header_normalisation(void)
{
    const char *src = write_text("hdr.csv", "  name ,,name,Name,a,a,a_2\n1,2,3,4,5,6,7\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    const char *want[] = {"name", "column_2", "name_2", "Name_3", "a", "a_3", "a_2"};
    CHECK_INT(r.n_cols, 7);
    for (size_t i = 0; i < 7 && i < r.n_cols; i++) CHECK_STR(r.cols[i].name, want[i]);
    CHECK_INT(r.n_changes, 5);
    if (r.n_changes == 5) {
        CHECK_STR(r.changes[0].original, "  name ");
        CHECK_STR(r.changes[0].normalized, "name");
        CHECK_STR(r.changes[0].reason, "trimmed");
        CHECK_STR(r.changes[1].original, "");
        CHECK_STR(r.changes[1].normalized, "column_2");
        CHECK_STR(r.changes[1].reason, "empty name");
        CHECK_STR(r.changes[2].original, "name");
        CHECK_STR(r.changes[2].normalized, "name_2");
        CHECK_STR(r.changes[2].reason, "duplicate name");
        CHECK_STR(r.changes[3].original, "Name");
        CHECK_STR(r.changes[3].normalized, "Name_3");
        CHECK_STR(r.changes[3].reason, "duplicate name");
        CHECK_STR(r.changes[4].original, "a");
        CHECK_STR(r.changes[4].normalized, "a_3");
    }
    CHECK_STR(scalar("SELECT \"Name_3\" || '/' || a_3 FROM read_parquet('%s')", out), "4/6");
    lh_convert_result_free(&r);

    /* Pure normalisation: whitespace-only, Unicode spaces, trimmed repeats. */
    const char *raw[] = {" \t", "\xC2\xA0x\xE3\x80\x80", "X ", NULL, "column_4"};
    char *norm[5];
    lh_header_change *ch = NULL;
    size_t n_ch = 0;
    ic_normalize_names(raw, 5, norm, &ch, &n_ch);
    CHECK_STR(norm[0], "column_1");
    CHECK_STR(norm[1], "x");
    CHECK_STR(norm[2], "X_2");
    CHECK_STR(norm[3], "column_4");
    CHECK_STR(norm[4], "column_4_2");
    CHECK_INT(n_ch, 5);
    if (n_ch == 5) CHECK_STR(ch[2].reason, "trimmed, duplicate name");
    for (int i = 0; i < 5; i++) free(norm[i]);
    ic_changes_free(ch, n_ch);
}

static void test_quoting_and_utf8(void)
{
    const char *src = write_text("quoted.csv",
        "id,\"full, name\",prénom,note\n"
        "1,\"Doe, Jane\",Zoë,\"line one\nline two\"\n"
        "2,\"O\"\"Brien\",日本,\"say \"\"hi\"\"\"\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    CHECK_STR(col_type(&r, "full, name"), "VARCHAR");
    CHECK_STR(col_type(&r, "prénom"), "VARCHAR");
    CHECK_STR(scalar("SELECT \"full, name\" FROM read_parquet('%s') WHERE id = 1", out), "Doe, Jane");
    CHECK_STR(scalar("SELECT \"full, name\" FROM read_parquet('%s') WHERE id = 2", out), "O\"Brien");
    CHECK_STR(scalar("SELECT note FROM read_parquet('%s') WHERE id = 1", out), "line one\nline two");
    CHECK_STR(scalar("SELECT note FROM read_parquet('%s') WHERE id = 2", out), "say \"hi\"");
    CHECK_STR(scalar("SELECT prénom FROM read_parquet('%s') WHERE id = 2", out), "日本");
    lh_convert_result_free(&r);

    /* A UTF-8 byte-order mark does not end up in the first name. */
    src = write_text("bom.csv", "\xEF\xBB\xBFid,v\n1,a\n");
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_INT(r.n_cols, 2);
    if (r.n_cols == 2) CHECK_STR(r.cols[0].name, "id");
    lh_convert_result_free(&r);
}

static void test_dialect_edges(void)
{
    lh_convert_result r;
    lh_err e;
    const char *out;
    /* CRLF line ends. */
    CHECK_INT(convert(write_text("crlf.csv", "id,name\r\n1,Ada\r\n2,Bo\r\n"), LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    if (r.n_cols == 2) CHECK_STR(r.cols[1].name, "name");
    CHECK_STR(scalar("SELECT name FROM read_parquet('%s') WHERE id = 2", out), "Bo");
    lh_convert_result_free(&r);
    /* One column, no delimiter anywhere. */
    CHECK_INT(convert(write_text("single.csv", "name\nAda Lovelace\nBo\n"), LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    CHECK_INT(r.n_cols, 1);
    lh_convert_result_free(&r);
    /* "#" is data, not a comment; a semicolon is data in a CSV. */
    CHECK_INT(convert(write_text("hash.csv", "#id,name\n1,a;b\n#2,c\n"), LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 2);
    CHECK_STR(col_type(&r, "#id"), "VARCHAR");
    CHECK_STR(scalar("SELECT name FROM read_parquet('%s') WHERE \"#id\" = '1'", out), "a;b");
    lh_convert_result_free(&r);
}

static void test_quote_in_file_name(void)
{
    const char *src = write_text("o'brien's \"data\".csv", "it's,v\n1,x'y\n");
    lh_convert_result r;
    lh_err e;
    const char *out = path_of("it's out.parquet");
    lh_err_clear(&e);
    CHECK_INT(lh_ingest_convert(g_conn, src, LH_FMT_CSV, NULL, 0, out, &r, &e), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 1);
    CHECK_STR(col_type(&r, "it's"), "BIGINT");
    lh_convert_result_free(&r);
    CHECK(exists(out));

    /* And a malformed one: the message names it by its base name. */
    src = write_text("bad 'quote'.csv", "a,b\n1,2,3\n");
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), LH_EINVAL);
    CHECK_STR(e.code, "malformed_file");
    CHECK_MSG(strstr(e.msg, "bad 'quote'.csv") != NULL, "%s", e.msg);
    CHECK_MSG(strstr(e.msg, g_dir) == NULL, "server path leaked: %s", e.msg);
}

/* ---- malformed input ---- */

/* Convert src (expecting failure with `code`), check nothing was written
 * and the message holds each of the NULL-terminated fragments. */
static void expect_refused(const char *src, lh_format fmt, const char *code, ...)
{
    lh_convert_result r;
    lh_err e;
    const char *out;
    int rc = convert(src, fmt, NULL, 0, &r, &e, &out);
    CHECK_MSG(rc == LH_EINVAL, "%s: rc %d", src, rc);
    CHECK_STR(e.code, code);
    CHECK_MSG(!exists(out), "%s: output left behind", src);
    va_list ap;
    va_start(ap, code);
    for (const char *frag; (frag = va_arg(ap, const char *)) != NULL;)
        CHECK_MSG(strstr(e.msg, frag) != NULL, "%s: \"%s\" not in: %s", src, frag, e.msg);
    va_end(ap);
    fprintf(stderr, "     %-22s %s: %s\n", strrchr(src, '/') + 1, e.code, e.msg);
    if (rc == 0) lh_convert_result_free(&r);
}

static void test_malformed(void)
{
    expect_refused(write_bytes("empty.csv", "", 0), LH_FMT_CSV, "empty_file", "0 bytes", NULL);
    expect_refused(write_text("blank.csv", "  \n\n \t\r\n"), LH_FMT_CSV, "empty_file", "whitespace", NULL);
    expect_refused(write_text("blank.ndjson", "\n\n"), LH_FMT_NDJSON, "empty_file", NULL);
    expect_refused(write_bytes("empty.parquet", "", 0), LH_FMT_PARQUET, "empty_file", NULL);
    expect_refused(write_text("emptyarr.json", "[ ]"), LH_FMT_JSON, "empty_file", NULL);

    expect_refused(write_text("unterminated.csv", "a,b\n1,\"x\n2,y\n"), LH_FMT_CSV, "malformed_file",
                   "line 2", "unterminated quote", NULL);
    expect_refused(write_text("more.csv", "a,b\n1,2\n3,4,5\n6,7\n"), LH_FMT_CSV, "malformed_file",
                   "line 3", "Expected Number of Columns: 2 Found: 3", NULL);
    expect_refused(write_text("fewer.csv", "a,b\n1,2\n3\n6,7\n"), LH_FMT_CSV, "malformed_file",
                   "line 3", "Expected Number of Columns: 2 Found: 1", NULL);
    expect_refused(write_text("fewer.tsv", "a\tb\n1\t2\n3\n"), LH_FMT_TSV, "malformed_file",
                   "line 3", NULL);
    expect_refused(write_text("badutf8.csv", "a,b\n1,\xff\xfe\n"), LH_FMT_CSV, "malformed_file",
                   "line", "utf-8", NULL);
    expect_refused(write_text("bad.json", "[{\"a\":1},{\"a\":2]"), LH_FMT_JSON, "malformed_file",
                   "Malformed JSON", NULL);
    expect_refused(write_text("bad.ndjson", "{\"a\":1}\n{\"a\":2\n{\"a\":3}\n"), LH_FMT_NDJSON,
                   "malformed_file", "Malformed JSON", "line", NULL);
    expect_refused(write_text("dupkey.ndjson", "{\"a\":1,\"a\":2}\n"), LH_FMT_NDJSON, "malformed_file",
                   "duplicate key", NULL);
    expect_refused(write_text("bad.parquet", "PAR1 this is not parquet"), LH_FMT_PARQUET, "malformed_file",
                   NULL);

    /* A header with fewer or more fields than the rows, and a title line
     * above the header: refused, never padded or skipped. */
    expect_refused(write_text("narrow_header.csv", "a\n1,2\n3,4\n"), LH_FMT_CSV, "malformed_file",
                   "line 2", "Expected Number of Columns: 1 Found: 2", NULL);
    expect_refused(write_text("wide_header.csv", "a,b,c\n1,2\n3,4\n"), LH_FMT_CSV, "malformed_file",
                   "line 2", "Expected Number of Columns: 3 Found: 2", NULL);
    expect_refused(write_text("title.csv", "Candidates export 2024\nid,name\n1,Ada\n2,Bo\n"), LH_FMT_CSV,
                   "malformed_file", "line 2", NULL);
    expect_refused(write_text("quote_in_header.csv", "a,\"b\n1,2\n"), LH_FMT_CSV, "malformed_file",
                   "line 1", "unterminated quote", NULL);

    /* A ragged line too long for DuckDB's explanation to fit an lh_err:
     * the line number and the start of the line still come through. */
    lh_buf wide = LH_BUF_INIT;
    for (int row = 0; row < 3; row++) {
        for (int c = 0; c < 3000 + (row == 2); c++) lh_buf_printf(&wide, "%s%d", c ? "," : "", c);
        lh_buf_putc(&wide, '\n');
    }
    expect_refused(write_text("wide_ragged.csv", wide.data), LH_FMT_CSV, "malformed_file", "line 3",
                   "too long to keep", "(the line reads: 0,1,2,3,", NULL);
    lh_buf_free(&wide);

    /* Damage past the sniffer's sample: DuckDB's reader names the line. */
    const char *src = path_of("late_ragged.csv");
    FILE *f = fopen(src, "w");
    fputs("a,b\n", f);
    for (int i = 0; i < 30000; i++) fprintf(f, "%d,%d\n", i, i);
    fputs("1,2,3\n", f);
    fclose(f);
    expect_refused(src, LH_FMT_CSV, "malformed_file", "line 30002", "Found: 3", NULL);

    /* Invalid UTF-8 past the sample: refused with its line, and the
     * engine survives (see convert_schema.c on DuckDB's INTERNAL error). */
    src = path_of("late_badutf8.csv");
    f = fopen(src, "w");
    fputs("a,b\n", f);
    for (int i = 0; i < 40000; i++) fprintf(f, "%d,x\n", i);
    fputs("9,\xff\xfe\n", f);
    fclose(f);
    expect_refused(src, LH_FMT_CSV, "malformed_file", "line 40002", "utf-8", NULL);
    CHECK_STR(scalar("SELECT 42"), "42");

    /* A missing source is not a malformed file. */
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(path_of("nope.csv"), LH_FMT_CSV, NULL, 0, &r, &e, &out), LH_ENOTFOUND);
    CHECK(!exists(out));
}

static void test_header_only(void)
{
    const char *src = write_text("header_only.csv", "id,name,amount\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 0);
    CHECK_INT(r.n_cols, 3);
    for (size_t i = 0; i < r.n_cols; i++) CHECK_STR(r.cols[i].type, "VARCHAR");
    CHECK(exists(out));
    lh_convert_result_free(&r);
}

/* ---- append ---- */

static void test_type_fits(void)
{
    CHECK(ic_type_fits("BIGINT", "BIGINT"));
    CHECK(ic_type_fits("INTEGER", "BIGINT"));
    CHECK(ic_type_fits("SMALLINT", "BIGINT"));
    CHECK(ic_type_fits("TINYINT", "INTEGER"));
    CHECK(ic_type_fits("UINTEGER", "BIGINT"));
    CHECK(!ic_type_fits("UBIGINT", "BIGINT"));
    CHECK(!ic_type_fits("BIGINT", "INTEGER"));
    CHECK(ic_type_fits("BIGINT", "DOUBLE"));
    CHECK(ic_type_fits("FLOAT", "DOUBLE"));
    CHECK(!ic_type_fits("DOUBLE", "BIGINT"));
    CHECK(ic_type_fits("INTEGER", "DECIMAL(12,2)"));
    CHECK(!ic_type_fits("INTEGER", "DECIMAL(10,2)"));
    CHECK(ic_type_fits("BIGINT", "DECIMAL(38,2)"));
    CHECK(ic_type_fits("DECIMAL(10,2)", "DECIMAL(18,3)"));
    CHECK(!ic_type_fits("DECIMAL(10,4)", "DECIMAL(18,3)"));
    CHECK(ic_type_fits("DECIMAL(10,2)", "DOUBLE"));
    CHECK(ic_type_fits("DATE", "TIMESTAMP"));
    CHECK(!ic_type_fits("TIMESTAMP", "DATE"));
    CHECK(ic_type_fits("BOOLEAN", "VARCHAR"));
    CHECK(ic_type_fits("STRUCT(a INTEGER)", "VARCHAR"));
    CHECK(!ic_type_fits("VARCHAR", "BIGINT"));
    CHECK(!ic_type_fits("BOOLEAN", "BIGINT"));
}

static void test_append(void)
{
    /* The dataset: id BIGINT, rate BIGINT, name VARCHAR, start DATE... */
    const char *base = write_text("base.csv", "id,rate,name,start\n1,100,Ada,2024-01-01\n2,120,Bo,2024-02-01\n");
    lh_convert_result ds;
    lh_err e;
    const char *out;
    CHECK_INT(convert(base, LH_FMT_CSV, NULL, 0, &ds, &e, &out), 0);
    CHECK_STR(col_type(&ds, "rate"), "BIGINT");
    CHECK_STR(col_type(&ds, "start"), "DATE");
    /* ...with start widened to TIMESTAMP and name kept text. */
    lh_column target[4] = {
        {"id", "BIGINT"}, {"rate", "BIGINT"}, {"name", "VARCHAR"}, {"start", "TIMESTAMP"},
    };

    /* Fits: INTEGER into BIGINT, a number column into VARCHAR, DATE into
     * TIMESTAMP, columns in another order and another case. */
    const char *pq = path_of("append_src.parquet");
    int64_t rows;
    CHECK_INT(lh_parquet_write(g_conn,
                               "SELECT DATE '2024-05-06' AS start, 7::INTEGER AS ID, 42 AS name, "
                               "130::SMALLINT AS rate",
                               pq, &rows, &e), 0);
    lh_convert_result r;
    CHECK_INT(convert(pq, LH_FMT_PARQUET, target, 4, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, 1);
    CHECK_INT(r.n_cols, 4);
    for (size_t i = 0; i < 4 && i < r.n_cols; i++) {
        CHECK_STR(r.cols[i].name, target[i].name);
        CHECK_STR(r.cols[i].type, target[i].type);
    }
    CHECK_STR(scalar("SELECT name || '/' || rate || '/' || start FROM read_parquet('%s')", out),
              "42/130/2024-05-06 00:00:00");
    lh_convert_result_free(&r);

    /* Fits: a CSV whose optional column is empty in every row (VARCHAR to
     * the sniffer) into the BIGINT column. */
    const char *src = write_text("append_empty.csv", "id,rate,name,start\n3,,Cy,2024-03-01\n4,,Di,\n");
    CHECK_INT(convert(src, LH_FMT_CSV, target, 4, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_STR(col_type(&r, "rate"), "BIGINT");
    CHECK_STR(col_type(&r, "start"), "TIMESTAMP");
    lh_convert_result_free(&r);

    /* The all-empty check reads the whole file, so damage past the sample
     * is still "malformed_file" (and the engine keeps working). */
    src = path_of("append_empty_bad.csv");
    FILE *f = fopen(src, "w");
    fputs("id,rate,name,start\n", f);
    for (int i = 0; i < 40000; i++) fprintf(f, "%d,,n%d,2024-01-01\n", i, i);
    fputs("9,,\xff\xfe,2024-01-01\n", f);
    fclose(f);
    CHECK_INT(convert(src, LH_FMT_CSV, target, 4, &r, &e, &out), LH_EINVAL);
    CHECK_STR(e.code, "malformed_file");
    CHECK_MSG(strstr(e.msg, "line 40002") != NULL, "%s", e.msg);
    CHECK(!exists(out));
    CHECK_STR(scalar("SELECT 42"), "42");

    /* Does not fit: rate became text. */
    src = write_text("append_bad.csv", "id,rate,name,start\n5,N/A,Ed,2024-01-01\n");
    CHECK_INT(convert(src, LH_FMT_CSV, target, 4, &r, &e, &out), LH_EINVAL);
    CHECK_STR(e.code, "schema_mismatch");
    CHECK_STR(e.msg, "column \"rate\" of the new file is VARCHAR but the dataset has BIGINT; "
                     "use mode=replace or fix the file");
    CHECK(!exists(out));

    /* Several problems, one line each: a missing column, a type, an extra. */
    src = write_text("append_bad2.csv", "id,rate,start,extra\n5,1.5,2024-01-01,x\n");
    CHECK_INT(convert(src, LH_FMT_CSV, target, 4, &r, &e, &out), LH_EINVAL);
    CHECK_STR(e.code, "schema_mismatch");
    CHECK_STR(e.msg, "column \"rate\" of the new file is DOUBLE but the dataset has BIGINT\n"
                     "column \"name\" of the dataset is missing from the new file\n"
                     "column \"extra\" of the new file is not in the dataset; "
                     "use mode=replace or fix the file");
    CHECK(!exists(out));

    /* Into a VARCHAR dataset anything goes. */
    lh_column all_text[2] = {{"a", "VARCHAR"}, {"b", "VARCHAR"}};
    src = write_text("append_text.csv", "b,a\ntrue,2024-01-01\n");
    CHECK_INT(convert(src, LH_FMT_CSV, all_text, 2, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_STR(scalar("SELECT a || '|' || b FROM read_parquet('%s')", out), "2024-01-01|true");
    lh_convert_result_free(&r);

    /* Many problem columns: the message stays bounded and says how many
     * more there are. */
    lh_buf hdr = LH_BUF_INIT;
    for (int i = 0; i < 200; i++) lh_buf_printf(&hdr, "%sextra_column_number_%d", i ? "," : "", i);
    lh_buf_puts(&hdr, "\n");
    for (int i = 0; i < 200; i++) lh_buf_puts(&hdr, i ? ",1" : "1");
    lh_buf_puts(&hdr, "\n");
    src = write_text("append_wide.csv", hdr.data);
    lh_buf_free(&hdr);
    CHECK_INT(convert(src, LH_FMT_CSV, target, 4, &r, &e, &out), LH_EINVAL);
    CHECK_STR(e.code, "schema_mismatch");
    CHECK_MSG(strstr(e.msg, "more columns; use mode=replace or fix the file") != NULL, "%s", e.msg);
    lh_convert_result_free(&ds);
}

/* ---- scale ---- */

static void test_10k_columns(void)
{
    enum { COLS = 10000, ROWS = 50 };
    const char *src = path_of("wide.csv");
    FILE *f = fopen(src, "w");
    for (int c = 0; c < COLS; c++) fprintf(f, "%sc%d", c ? "," : "", c);
    fputc('\n', f);
    for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < COLS; c++) {
            if (c % 3 == 0) fprintf(f, "%s%d", c ? "," : "", r * c);
            else if (c % 3 == 1) fprintf(f, ",%d.5", r);
            else fprintf(f, ",t%d", r);
        }
        fputc('\n', f);
    }
    fclose(f);
    lh_convert_result r;
    lh_err e;
    const char *out;
    double t0 = now_s();
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    double t1 = now_s();
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r.rows, ROWS);
    CHECK_INT(r.n_cols, COLS);
    if (r.n_cols == COLS) {
        CHECK_STR(r.cols[9999].name, "c9999");
        CHECK_STR(r.cols[3].type, "BIGINT");
        CHECK_STR(r.cols[4].type, "DOUBLE");
        CHECK_STR(r.cols[5].type, "VARCHAR");
    }
    const char **kinds = calloc(r.n_cols, sizeof *kinds);
    double t2 = now_s();
    CHECK_INT(lh_ingest_classify(g_conn, out, r.cols, r.n_cols, kinds, &e), 0);
    double t3 = now_s();
    fprintf(stderr, "     10,000 columns x %d rows: convert %.2f s, classify %.2f s\n", ROWS, t1 - t0, t3 - t2);
    free(kinds);
    lh_convert_result_free(&r);

    /* Appending the same shape to itself. */
    lh_column *target = calloc(COLS, sizeof *target);
    for (int c = 0; c < COLS; c++) {
        target[c].name = malloc(16);
        snprintf(target[c].name, 16, "c%d", c);
        target[c].type = c % 3 == 0 ? "BIGINT" : c % 3 == 1 ? "DOUBLE" : "VARCHAR";
    }
    t0 = now_s();
    CHECK_INT(convert(src, LH_FMT_CSV, target, COLS, &r, &e, &out), 0);
    fprintf(stderr, "     10,000 columns append: %.2f s\n", now_s() - t0);
    CHECK_INT(r.n_cols, COLS);
    lh_convert_result_free(&r);
    for (int c = 0; c < COLS; c++) free(target[c].name);
    free(target);
}

static void test_big_csv(void)
{
    if (!getenv("LH_INGEST_BIG")) return;
    const char *src = path_of("big.csv");
    FILE *f = fopen(src, "w");
    fputs("id,email,amount,day,note\n", f);
    long i = 0;
    while (ftell(f) < 100L * 1024 * 1024) {
        for (int k = 0; k < 1000; k++, i++)
            fprintf(f, "%ld,user%ld@example.com,%ld.%02ld,2024-%02ld-%02ld,\"note %ld, with comma\"\n", i, i,
                    i % 10000, i % 100, 1 + i % 12, 1 + i % 28, i);
    }
    fclose(f);
    lh_convert_result r;
    lh_err e;
    const char *out;
    double t0 = now_s();
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    double t1 = now_s();
    CHECK_INT(r.rows, i);
    struct stat st;
    stat(out, &st);
    fprintf(stderr, "     100 MB CSV (%ld rows): %.2f s, parquet %.1f MB\n", i, t1 - t0, st.st_size / 1048576.0);
    lh_convert_result_free(&r);

    /* The same with "N/A" in the last row's amount: the sampled read fails
     * at the end, the whole-file sniff types amount VARCHAR. */
    f = fopen(src, "a");
    fprintf(f, "%ld,last@example.com,N/A,2024-01-01,last\n", i++);
    fclose(f);
    t0 = now_s();
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    t1 = now_s();
    CHECK_INT(r.rows, i);
    CHECK_STR(col_type(&r, "amount"), "VARCHAR");
    fprintf(stderr, "     100 MB CSV, \"N/A\" in the last row: %.2f s\n", t1 - t0);
    lh_convert_result_free(&r);
}

/* ---- classification ---- */

static void test_classify(void)
{
    const char *src = write_text("people.csv",
        "id,Email,homePhone,ssn,first_name,LastName,street_address,zip,contact,c7,col9,resume,city,business,ip_address,amount\n"
        "1,a@x.com,555-1234,123-45-6789,Ada,Lovelace,1 Main St,10001,ada@example.com,(212) 555-1234,123-45-6789,"
        "\"Experienced engineer. Reach me at ada@example.com or 212-555-1234.\",Paris,Acme,10.0.0.1,5\n"
        "2,b@y.org,555-9876,987-65-4321,Bo,Smith,2 Elm St,10002,bo.smith@mail.co.uk,+44 20 7946 0958,987-65-4321,"
        "\"Recruiter, 10 years. bo@example.com\",Rome,Initech,10.0.0.2,6\n"
        "3,,,,Cy,Jones,,,cy@example.com,+1 415 555 0100,111-22-3333,"
        "\"cy@example.com\",Oslo,Globex,10.0.0.3,7\n"
        "4,,,,Di,Brown,,,not an email,212.555.0199,444-55-6666,\"short bio\",Lima,Hooli,10.0.0.4,8\n"
        "5,,,,Ed,White,,,ed@example.com,2125550100,777-88-9999,\"another résumé text\",Kyiv,Umbrella,10.0.0.5,9\n");
    lh_convert_result r;
    lh_err e;
    const char *out;
    CHECK_INT(convert(src, LH_FMT_CSV, NULL, 0, &r, &e, &out), 0);
    CHECK_MSG(e.status == 0, "%s: %s", e.code, e.msg);
    const char **kinds = calloc(r.n_cols, sizeof *kinds);
    CHECK_INT(lh_ingest_classify(g_conn, out, r.cols, r.n_cols, kinds, &e), 0);
    static const struct { const char *col, *kind; } want[] = {
        {"id", NULL},
        {"Email", "email"},             /* name */
        {"homePhone", "phone"},         /* name, camelCase */
        {"ssn", "national_id"},         /* name */
        {"first_name", "person_name"},  /* name */
        {"LastName", "person_name"},    /* name, camelCase */
        {"street_address", "postal_address"},
        {"zip", "postal_address"},      /* name, BIGINT values */
        {"contact", "email"},           /* values: 4 of 5 are emails = 80% */
        {"c7", "phone"},                /* values: NANP and +44 */
        {"col9", "national_id"},        /* values: SSN */
        {"resume", NULL},               /* free text mentioning emails */
        {"city", NULL},
        {"business", NULL},             /* not "sin" */
        {"ip_address", NULL},           /* not a postal address */
        {"amount", NULL},
    };
    CHECK_INT(r.n_cols, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.n_cols && i < sizeof want / sizeof want[0]; i++) {
        CHECK_STR(r.cols[i].name, want[i].col);
        if (want[i].kind) CHECK_MSG(kinds[i] && strcmp(kinds[i], want[i].kind) == 0, "%s: %s, expected %s",
                                    want[i].col, kinds[i] ? kinds[i] : "NULL", want[i].kind);
        else CHECK_MSG(kinds[i] == NULL, "%s: %s, expected NULL", want[i].col, kinds[i]);
    }
    free(kinds);
    lh_convert_result_free(&r);

    /* A column whose every value is long free text (past the 254 bytes any
     * email, phone or id fits in) is skipped by the regexes; it must not
     * break the value checks of the other columns. */
    {
        lh_buf t = LH_BUF_INIT;
        lh_buf_puts(&t, "contact,bio\n");
        for (int i = 0; i < 5; i++) {
            lh_buf_printf(&t, "p%d@example.com,", i);
            for (int k = 0; k < 40; k++) lh_buf_puts(&t, "lorem ipsum ");
            lh_buf_putc(&t, '\n');
        }
        const char *src2 = write_text("long.csv", t.data);
        lh_buf_free(&t);
        lh_convert_result r2;
        const char *out2;
        CHECK_INT(convert(src2, LH_FMT_CSV, NULL, 0, &r2, &e, &out2), 0);
        const char *k2[2] = {NULL, NULL};
        CHECK_INT(lh_ingest_classify(g_conn, out2, r2.cols, r2.n_cols, k2, &e), 0);
        CHECK_MSG(k2[0] && !strcmp(k2[0], "email"), "contact: %s", k2[0] ? k2[0] : "NULL");
        CHECK(k2[1] == NULL);
        lh_convert_result_free(&r2);
    }

    /* A missing file is an error (once values must be read), and leaves
     * no kinds behind. */
    lh_column one = {"notes", "VARCHAR"};
    const char *k1[1] = {"x"};
    CHECK(lh_ingest_classify(g_conn, path_of("missing.parquet"), &one, 1, k1, &e) != 0);
    CHECK(k1[0] == NULL);
}

int main(void)
{
    strcpy(g_dir, "/tmp/lh_ingest_XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 1; }
    lh_engine_opts opts = {0};
    lh_err e;
    if (lh_engine_open(&opts, &g_eng, &e) != 0 || lh_engine_connect(g_eng, &g_conn, &e) != 0) {
        fprintf(stderr, "engine: %s: %s\n", e.code, e.msg);
        return 1;
    }
    RUN(test_formats);
    RUN(test_csv_types);
    RUN(test_adr010_mixed_column);
    RUN(test_late_na);
    RUN(test_tsv);
    RUN(test_json_and_ndjson);
    RUN(test_parquet_roundtrip);
    RUN(test_header_normalisation);
    RUN(test_quoting_and_utf8);
    RUN(test_dialect_edges);
    RUN(test_quote_in_file_name);
    RUN(test_malformed);
    RUN(test_header_only);
    RUN(test_type_fits);
    RUN(test_append);
    RUN(test_10k_columns);
    RUN(test_big_csv);
    RUN(test_classify);
    lh_engine_conn_free(g_conn);
    lh_engine_free(g_eng);
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return TEST_SUMMARY();
}

/* cli/cmd_data.c — `lakehouse ingest`, `lakehouse sql`, `lakehouse demo`.
 *
 * Each talks to a running server when one answers at --server (see
 * client.h) and otherwise opens the data directory itself, running the
 * same ingest and query code the server would.
 */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/demo_gen.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/utf8.h"
#include "core/log.h"
#include "gateway/app.h"
#include "ingest/ingest.h"
#include "ingest/pg.h"
#include "storage/secrets.h"

#include <curl/curl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *lh_cli_version(void);

/* ---- shared ---- */

typedef struct data_flags {
    lh_cli_flags common;
    const char  *server;
    const char  *dataset, *format, *mode, *owner, *description, *tags;
    const char  *out_format;
    const char  *scale, *seed;
    const char  *dsn, *secret_ref, *table, *query, *key_column, *updated_column;
    const char  *filter;
    int64_t      limit, timeout_ms, batch_rows, max_rows;
    int          if_empty, quiet;
} data_flags;

/* Parse the options of a data subcommand. `accepts` lists the short codes
 * (see opts) the subcommand takes: any other option is a usage error
 * rather than silently ignored. --help is always accepted. */
static int parse(int argc, char **argv, const char *usage, const char *accepts, data_flags *f)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},     {"data-dir", required_argument, NULL, 'd'},
        {"server", required_argument, NULL, 's'},     {"dataset", required_argument, NULL, 'D'},
        {"format", required_argument, NULL, 'f'},     {"mode", required_argument, NULL, 'm'},
        {"owner", required_argument, NULL, 'o'},      {"description", required_argument, NULL, 'e'},
        {"tags", required_argument, NULL, 't'},       {"limit", required_argument, NULL, 'l'},
        {"scale", required_argument, NULL, 'S'},      {"seed", required_argument, NULL, 'R'},
        {"if-empty", no_argument, NULL, 'E'},         {"quiet", no_argument, NULL, 'q'},
        {"dsn", required_argument, NULL, 'n'},        {"secret-ref", required_argument, NULL, 'r'},
        {"table", required_argument, NULL, 'T'},      {"query", required_argument, NULL, 'Q'},
        {"key-column", required_argument, NULL, 'k'}, {"updated-column", required_argument, NULL, 'u'},
        {"timeout-ms", required_argument, NULL, 'w'}, {"batch-rows", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},         {"filter", required_argument, NULL, 'F'},
        {"max-rows", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    memset(f, 0, sizeof *f);
    int c, li = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, &li)) != -1) {
        if (c != 'h' && c != '?' && !strchr(accepts, c)) {
            fprintf(stderr, "lakehouse %s: %s does not take --%s\n%s", argv[0], argv[0],
                    li >= 0 ? opts[li].name : "that option", usage);
            return LH_EXIT_USAGE;
        }
        li = -1;
        switch (c) {
        case 'c': f->common.config = optarg; break;
        case 'd': f->common.data_dir = optarg; break;
        case 's': f->server = optarg; break;
        case 'D': f->dataset = optarg; break;
        case 'f': f->format = f->out_format = optarg; break;
        case 'm': f->mode = optarg; break;
        case 'o': f->owner = optarg; break;
        case 'e': f->description = optarg; break;
        case 't': f->tags = optarg; break;
        case 'l': f->limit = atoll(optarg); break;
        case 'S': f->scale = optarg; break;
        case 'R': f->seed = optarg; break;
        case 'E': f->if_empty = 1; break;
        case 'q': f->quiet = 1; break;
        case 'n': f->dsn = optarg; break;
        case 'r': f->secret_ref = optarg; break;
        case 'T': f->table = optarg; break;
        case 'Q': f->query = optarg; break;
        case 'k': f->key_column = optarg; break;
        case 'u': f->updated_column = optarg; break;
        case 'w': f->timeout_ms = atoll(optarg); break;
        case 'F': f->filter = optarg; break;
        case 'B': f->batch_rows = atoll(optarg); break;
        case 'P': f->max_rows = atoll(optarg); break;
        case 'h': fputs(usage, stdout); return LH_EXIT_OK;
        default: fputs(usage, stderr); return LH_EXIT_USAGE;
        }
    }
    return -1;
}

/* Is a server answering? (A direct run must not race a live server's
 * view of the same directory without need.) */
static int server_up(const char *base)
{
    lh_client_resp r;
    lh_err e;
    int rc = lh_client_request(base, "GET", "/health", NULL, NULL, 0, &r, &e);
    lh_client_resp_free(&r);
    return rc == 0;
}

static int open_local(const data_flags *f, lh_config **cfg, lh_app **app)
{
    int rc = lh_cli_load_config(&f->common, cfg);
    if (rc) return rc;
    lh_log_set_level((lh_log_level)lh_log_level_parse((*cfg)->log_level));
    if (lh_log_level_parse((*cfg)->log_level) == LH_LOG_INFO) lh_log_set_level(LH_LOG_WARN);
    lh_err e;
    if (lh_app_open(*cfg, lh_cli_version(), app, &e)) {
        fprintf(stderr, "lakehouse: %s\n", e.msg);
        lh_config_free(*cfg);
        return LH_EXIT_RUNTIME;
    }
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    if (s) puts(s);
    free(s);
}

/* ---- ingest ---- */

static const char INGEST_USAGE[] =
    "usage: lakehouse ingest FILE --dataset NAME [--mode create|append|replace] [--format FMT]\n"
    "                        [--owner WHO] [--description TEXT] [--tags a,b] [--server URL]\n"
    "                        [--config FILE] [--data-dir DIR] [--quiet]\n"
    "\n"
    "Load a CSV, TSV, JSON, NDJSON or Parquet file into a dataset (format from the extension\n"
    "unless --format). Talks to the server at --server (default $LAKEHOUSE_URL or\n"
    "http://127.0.0.1:3100); when none answers, writes to the data directory directly.\n"
    "Prints the result as JSON.\n";

/* Follow the job a 202 response names, with a progress line; print its
 * result (or error) when it ends. */
static int follow_job(const char *base, const lh_client_resp *r, int quiet)
{
    lh_err e;
    json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
    char path[128];
    snprintf(path, sizeof path, "/jobs/%s", json_string_value(json_object_get(j, "job_id")) ?: "");
    json_decref(j);
    for (;;) {
        lh_client_resp s;
        if (lh_client_request(base, "GET", path, NULL, NULL, 0, &s, &e)) {
            fprintf(stderr, "lakehouse: %s\n", e.msg);
            return LH_EXIT_RUNTIME;
        }
        json_t *st = json_loadb(s.body.data, s.body.len, 0, NULL);
        const char *state = json_string_value(json_object_get(st, "state"));
        if (!quiet && isatty(2))
            lh_progress_bar(json_string_value(json_object_get(st, "phase")) ?: "working",
                            (double)json_integer_value(json_object_get(st, "rows")),
                            (double)json_integer_value(json_object_get(st, "total_rows")),
                            json_number_value(json_object_get(st, "rows_per_s")), "rows");
        if (state && strcmp(state, "running")) {
            if (!quiet && isatty(2)) fputc('\n', stderr);
            int ok = !strcmp(state, "succeeded");
            if (ok) print_json(json_object_get(st, "result"));
            else fprintf(stderr, "lakehouse: %s\n",
                         json_string_value(json_object_get(json_object_get(st, "error"), "message")) ?: "job failed");
            json_decref(st);
            lh_client_resp_free(&s);
            return ok ? LH_EXIT_OK : LH_EXIT_RUNTIME;
        }
        json_decref(st);
        lh_client_resp_free(&s);
        usleep(300000);
    }
}

static int ingest_remote(const char *base, const char *file, const data_flags *f)
{
    CURL *h = curl_easy_init();
    lh_buf q = LH_BUF_INIT;
    char *bn = lh_xstrdup(file);
    struct { const char *k, *v; } params[] = {
        {"dataset", f->dataset}, {"format", f->format}, {"mode", f->mode}, {"owner", f->owner},
        {"description", f->description}, {"tags", f->tags}, {"file_name", basename(bn)},
    };
    lh_buf_puts(&q, "/ingest/file");
    int first = 1;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (!params[i].v) continue;
        char *esc = curl_easy_escape(h, params[i].v, 0);
        lh_buf_printf(&q, "%c%s=%s", first ? '?' : '&', params[i].k, esc);
        curl_free(esc);
        first = 0;
    }
    free(bn);
    curl_easy_cleanup(h);
    lh_client_resp r;
    lh_err e;
    int rc = lh_client_upload(base, q.data, file, !f->quiet && isatty(2), &r, &e);
    lh_buf_free(&q);
    if (rc) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_RUNTIME; }
    if (r.status == 202) {
        rc = follow_job(base, &r, f->quiet);
        lh_client_resp_free(&r);
        return rc;
    }
    int ok = r.status == 201;
    if (ok) fwrite(r.body.data, 1, r.body.len, stdout);
    else { lh_client_error(&r, &e); fprintf(stderr, "lakehouse: %s\n", e.msg); }
    lh_client_resp_free(&r);
    return ok ? LH_EXIT_OK : LH_EXIT_RUNTIME;
}

static int ingest_local(lh_app *app, const char *file, const data_flags *f, const char *source)
{
    lh_err e;
    lh_ingest_req r = {0};
    char sha[65];
    uint64_t bytes;
    char *bn = lh_xstrdup(file);
    int rc = lh_file_sha256(file, sha, &bytes, &e);
    if (!rc) rc = f->format ? lh_format_parse(f->format, &r.format, &e) : lh_format_from_filename(file, &r.format, &e);
    if (!rc) rc = lh_ingest_mode_parse(f->mode, &r.mode, &e);
    json_t *tags = NULL;
    if (f->tags) {
        tags = json_array();
        char *copy = lh_xstrdup(f->tags), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) json_array_append_new(tags, json_string(t));
        free(copy);
    }
    json_t *result = NULL;
    if (!rc) {
        r.dataset = f->dataset;
        r.path = file;
        r.bytes = bytes;
        r.sha256 = sha;
        r.file_name = basename(bn);
        r.source_system = source;
        r.actor = getenv("USER") ? getenv("USER") : "cli";
        r.owner = f->owner;
        r.description = f->description;
        r.tags = tags;
        rc = lh_ingest_file(app->cat, &r, NULL, &result, &e);
    }
    json_decref(tags);
    free(bn);
    if (rc) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_RUNTIME; }
    if (!f->quiet) print_json(result);
    json_decref(result);
    return LH_EXIT_OK;
}

int lh_cmd_ingest(int argc, char **argv)
{
    data_flags f;
    int rc = parse(argc, argv, INGEST_USAGE, "cdsDfmoetq", &f);
    if (rc >= 0) return rc;
    if (optind != argc - 1 || !f.dataset) {
        fprintf(stderr, "lakehouse ingest: give one FILE and --dataset NAME\n%s", INGEST_USAGE);
        return LH_EXIT_USAGE;
    }
    const char *file = argv[optind];
    if (access(file, R_OK) != 0) { fprintf(stderr, "lakehouse: cannot read %s\n", file); return LH_EXIT_RUNTIME; }
    const char *base = lh_client_url(f.server);
    if (server_up(base)) return ingest_remote(base, file, &f);
    lh_config *cfg;
    lh_app *app;
    if ((rc = open_local(&f, &cfg, &app))) return rc;
    rc = ingest_local(app, file, &f, "cli");
    lh_app_close(app);
    lh_config_free(cfg);
    return rc;
}

/* ---- sql ---- */

static const char SQL_USAGE[] =
    "usage: lakehouse sql \"SELECT ...\" [--format table|csv|json|ndjson] [--limit N] [--server URL]\n"
    "                     [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Run one read-only SQL statement over the datasets and print the result (a table by\n"
    "default). Uses the server at --server when one answers, else the data directory.\n";

/* Display width: characters, not bytes (UTF-8 continuation bytes do not count). */
static size_t width_of(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void print_cell(const char *s, size_t w, int right, int first)
{
    size_t pad = w - width_of(s);
    printf("%s", first ? "" : " | ");
    if (right) printf("%*s", (int)pad, "");
    fputs(s, stdout);
    if (!right) printf("%*s", (int)pad, "");
}

static void print_table(json_t *j)
{
    json_t *cols = json_object_get(j, "columns"), *rows = json_object_get(j, "rows");
    size_t nc = json_array_size(cols), nr = json_array_size(rows);
    size_t *w = lh_xcalloc(nc ? nc : 1, sizeof *w);
    char ***cells = lh_xcalloc(nr ? nr : 1, sizeof *cells);
    for (size_t c = 0; c < nc; c++) w[c] = width_of(json_string_value(json_object_get(json_array_get(cols, c), "name")));
    for (size_t r = 0; r < nr; r++) {
        cells[r] = lh_xcalloc(nc ? nc : 1, sizeof **cells);
        for (size_t c = 0; c < nc; c++) {
            json_t *v = json_array_get(json_array_get(rows, r), c);
            char *s = json_is_string(v) ? lh_xstrdup(json_string_value(v)) : json_is_null(v) ? lh_xstrdup("NULL")
                    : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
            for (char *p = s; *p; p++) if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
            if (width_of(s) > 60) {
                size_t k = 0, chars = 0;  /* cut after 57 characters, on a character boundary */
                while (s[k] && chars < 57) { k++; while (((unsigned char)s[k] & 0xc0) == 0x80) k++; chars++; }
                strcpy(s + k, "...");
            }
            cells[r][c] = s;
            if (width_of(s) > w[c]) w[c] = width_of(s);
        }
    }
    for (size_t c = 0; c < nc; c++)
        print_cell(json_string_value(json_object_get(json_array_get(cols, c), "name")), w[c], 0, c == 0);
    putchar('\n');
    for (size_t c = 0; c < nc; c++) {
        printf("%s", c ? "-+-" : "");
        for (size_t k = 0; k < w[c]; k++) putchar('-');
    }
    putchar('\n');
    for (size_t r = 0; r < nr; r++) {
        for (size_t c = 0; c < nc; c++) {
            json_t *v = json_array_get(json_array_get(rows, r), c);
            print_cell(cells[r][c], w[c], json_is_number(v), c == 0);
            free(cells[r][c]);
        }
        putchar('\n');
        free(cells[r]);
    }
    printf("(%zu row%s%s)\n", nr, nr == 1 ? "" : "s", json_is_true(json_object_get(j, "truncated")) ? ", truncated" : "");
    free(cells);
    free(w);
}

static int sql_local(lh_app *app, const char *sql, const char *fmt, int64_t limit)
{
    lh_query_req q = {.sql = sql, .limit = limit > 0 ? limit : app->cfg->query_default_limit,
                      .timeout_ms = app->cfg->query_default_timeout_ms, .max_bytes = app->cfg->query_max_result_bytes};
    lh_err e;
    int table = !strcmp(fmt, "table");
    if (lh_qformat_parse(table ? "json" : fmt, &q.format, &e)) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_USAGE; }
    lh_query_run *run;
    if (lh_query_start(app->query, &q, &run, &e)) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_RUNTIME; }
    lh_buf out = LH_BUF_INIT;
    char buf[65536];
    int64_t n;
    while ((n = lh_query_read(run, buf, sizeof buf)) > 0) {
        if (table) lh_buf_append(&out, buf, (size_t)n);
        else fwrite(buf, 1, (size_t)n, stdout);
    }
    lh_query_run_free(run);
    int rc = n < 0 ? LH_EXIT_RUNTIME : LH_EXIT_OK;
    if (table) {
        json_t *j = json_loadb(out.data, out.len, 0, NULL);
        json_t *err = json_object_get(j, "error");
        if (err) { fprintf(stderr, "lakehouse: %s\n", json_string_value(json_object_get(err, "message"))); rc = LH_EXIT_RUNTIME; }
        else if (j) print_table(j);
        json_decref(j);
    }
    lh_buf_free(&out);
    return rc;
}

int lh_cmd_sql(int argc, char **argv)
{
    data_flags f;
    int rc = parse(argc, argv, SQL_USAGE, "cdsfl", &f);
    if (rc >= 0) return rc;
    if (optind != argc - 1) { fprintf(stderr, "lakehouse sql: give one SQL statement\n%s", SQL_USAGE); return LH_EXIT_USAGE; }
    const char *sql = argv[optind], *fmt = f.out_format ? f.out_format : "table";
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json") && strcmp(fmt, "ndjson")) {
        fprintf(stderr, "lakehouse sql: --format must be table, csv, json or ndjson\n");
        return LH_EXIT_USAGE;
    }
    const char *base = lh_client_url(f.server);
    if (server_up(base)) {
        json_t *body = json_pack("{s:s,s:s}", "sql", sql, "format", strcmp(fmt, "table") ? fmt : "json");
        if (f.limit > 0) json_object_set_new(body, "limit", json_integer(f.limit));
        char *b = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        lh_client_resp r;
        lh_err e;
        rc = lh_client_request(base, "POST", "/query/sql", "application/json", b, strlen(b), &r, &e);
        free(b);
        if (rc) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_RUNTIME; }
        if (r.status != 200) {
            lh_client_error(&r, &e);
            fprintf(stderr, "lakehouse: %s\n", e.msg);
            lh_client_resp_free(&r);
            return LH_EXIT_RUNTIME;
        }
        rc = LH_EXIT_OK;
        if (!strcmp(fmt, "table")) {
            json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
            json_t *err = json_object_get(j, "error");
            if (err) { fprintf(stderr, "lakehouse: %s\n", json_string_value(json_object_get(err, "message"))); rc = LH_EXIT_RUNTIME; }
            else if (j) print_table(j);
            json_decref(j);
        } else {
            fwrite(r.body.data, 1, r.body.len, stdout);
        }
        lh_client_resp_free(&r);
        return rc;
    }
    lh_config *cfg;
    lh_app *app;
    if ((rc = open_local(&f, &cfg, &app))) return rc;
    rc = sql_local(app, sql, fmt, f.limit);
    lh_app_close(app);
    lh_config_free(cfg);
    return rc;
}

/* ---- demo ---- */

static const char DEMO_USAGE[] =
    "usage: lakehouse demo [--scale S] [--seed N] [--if-empty] [--server URL] [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Generate the deterministic staffing demo (candidates with résumés, clients, contacts,\n"
    "job_orders, submissions, placements, timesheets; 2,469,278 rows at scale 1) and load it\n"
    "through the normal ingest path, replacing those datasets. --if-empty does nothing when\n"
    "the catalog already has datasets (make run uses it on first start).\n";

int lh_cmd_demo(int argc, char **argv)
{
    data_flags f;
    int rc = parse(argc, argv, DEMO_USAGE, "cdsSRE", &f);
    if (rc >= 0) return rc;
    if (optind != argc) { fprintf(stderr, "lakehouse demo: unexpected argument \"%s\"\n", argv[optind]); return LH_EXIT_USAGE; }
    double scale = f.scale ? atof(f.scale) : 1.0;
    uint64_t seed = f.seed ? strtoull(f.seed, NULL, 10) : LH_DEMO_SEED;
    const char *base = lh_client_url(f.server);
    int remote = server_up(base);
    lh_config *cfg = NULL;
    lh_app *app = NULL;
    if (!remote && (rc = open_local(&f, &cfg, &app))) return rc;
    if (f.if_empty) {
        size_t n = 0;
        if (remote) {
            lh_client_resp r;
            lh_err e;
            if (!lh_client_request(base, "GET", "/catalog/datasets", NULL, NULL, 0, &r, &e)) {
                json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
                n = json_array_size(json_object_get(j, "datasets"));
                json_decref(j);
            }
            lh_client_resp_free(&r);
        } else {
            lh_dataset **all;
            n = lh_catalog_list(app->cat, &all);
            lh_dataset_list_free(all, n);
        }
        if (n > 0) {
            fprintf(stderr, "lakehouse demo: the catalog already has %zu dataset(s); nothing to do\n", n);
            if (app) { lh_app_close(app); lh_config_free(cfg); }
            return LH_EXIT_OK;
        }
    }
    char dir[] = "/tmp/lakehouse-demo-XXXXXX";
    if (!mkdtemp(dir)) { perror("lakehouse demo: mkdtemp"); return LH_EXIT_RUNTIME; }
    lh_demo_result res;
    lh_err e;
    int64_t t0 = lh_mono_us();
    if (lh_demo_generate(dir, scale, seed, &res, &e)) {
        fprintf(stderr, "lakehouse demo: %s\n", e.msg);
        rc = e.status == LH_EINVAL ? LH_EXIT_USAGE : LH_EXIT_RUNTIME;
    } else {
        fprintf(stderr, "lakehouse demo: generated %llu rows in %.1f s; loading\n", (unsigned long long)res.total_rows,
                (double)(lh_mono_us() - t0) / 1e6);
        for (size_t i = 0; i < res.n && rc <= 0; i++) {
            data_flags tf = f;
            tf.dataset = res.tables[i].name;
            tf.mode = "replace";
            tf.format = "csv";
            tf.quiet = 1;
            tf.tags = "demo,staffing";
            tf.owner = "demo";
            int64_t t1 = lh_mono_us();
            int r2 = remote ? ingest_remote(base, res.tables[i].path, &tf) : ingest_local(app, res.tables[i].path, &tf, "demo");
            if (r2) { rc = r2; break; }
            fprintf(stderr, "  %-12s %9llu rows  %6.1f s\n", res.tables[i].name, (unsigned long long)res.tables[i].rows,
                    (double)(lh_mono_us() - t1) / 1e6);
        }
        if (rc < 0) rc = LH_EXIT_OK;
    }
    for (size_t i = 0; i < res.n; i++) unlink(res.tables[i].path);
    rmdir(dir);
    if (app) { lh_app_close(app); lh_config_free(cfg); }
    return rc;
}

/* ---- ingest-db ---- */

static const char INGEST_DB_USAGE[] =
    "usage: lakehouse ingest-db (--dsn DSN | --secret-ref NAME) (--table T | --query SQL) --dataset NAME\n"
    "                           [--mode create|append|replace] [--key-column C | --updated-column C]\n"
    "                           [--timeout-ms N] [--batch-rows N] [--max-rows N] [--server URL]\n"
    "                           [--config FILE] [--data-dir DIR] [--quiet]\n"
    "\n"
    "Pull a PostgreSQL table or query into a dataset. The DSN is libpq's, as a URI\n"
    "(postgresql://user:pass@host:5432/db) or key=value; --secret-ref names a [section] of the\n"
    "secrets file whose `dsn` holds it, so the password stays off the command line. With\n"
    "--key-column (or --updated-column) and --mode append, only rows past the last pull's\n"
    "watermark are pulled. Uses the server at --server when one answers (following the job\n"
    "with a progress line), else the data directory. --batch-rows sets the rows per Parquet\n"
    "row group (default 122880). --max-rows N (with a key or updated column) pulls one page:\n"
    "about N rows past the watermark in key order, never splitting equal keys; the result's\n"
    "\"more\" says whether to run again with --mode append for the next page.\n";

int lh_cmd_ingest_db(int argc, char **argv)
{
    data_flags f;
    int rc = parse(argc, argv, INGEST_DB_USAGE, "nrTQDmkuwBPscdq", &f);
    if (rc >= 0) return rc;
    const char *dsn = f.dsn, *ref = f.secret_ref, *table = f.table, *query = f.query, *mode = f.mode,
               *key = f.key_column, *upd = f.updated_column;
    long long tmo = f.timeout_ms;
    if (optind != argc || !f.dataset || !dsn == !ref || !table == !query || f.max_rows < 0) {
        fputs(INGEST_DB_USAGE, stderr);
        return LH_EXIT_USAGE;
    }
    const char *base = lh_client_url(f.server);
    if (server_up(base)) {
        json_t *body = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:b}", "dataset", f.dataset, "dsn", dsn,
                                 "secret_ref", ref, "table", table, "query", query, "mode", mode, "key_column", key,
                                 "updated_column", upd, "async", 1);
        if (tmo > 0) json_object_set_new(body, "timeout_ms", json_integer(tmo));
        if (f.batch_rows) json_object_set_new(body, "batch_rows", json_integer(f.batch_rows));
        if (f.max_rows) json_object_set_new(body, "max_rows", json_integer(f.max_rows));
        char *b = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        lh_client_resp r;
        lh_err e;
        rc = lh_client_request(base, "POST", "/ingest/db", "application/json", b, strlen(b), &r, &e);
        memset(b, 0, strlen(b));  /* it held the DSN */
        free(b);
        if (rc) { fprintf(stderr, "lakehouse: %s\n", e.msg); return LH_EXIT_RUNTIME; }
        if (r.status != 202) {
            lh_client_error(&r, &e);
            fprintf(stderr, "lakehouse: %s\n", e.msg);
            lh_client_resp_free(&r);
            return LH_EXIT_RUNTIME;
        }
        rc = follow_job(base, &r, f.quiet);
        lh_client_resp_free(&r);
        return rc;
    }
    lh_config *cfg;
    lh_app *app;
    if ((rc = open_local(&f, &cfg, &app))) return rc;
    lh_err e;
    lh_secrets *sec = NULL;
    lh_buf red = LH_BUF_INIT;
    lh_ingest_db_req q = {.dataset = f.dataset, .table = table, .query = query, .key_column = key,
                          .updated_column = upd, .timeout_ms = tmo, .batch_rows = f.batch_rows,
                          .max_rows = f.max_rows, .actor = getenv("USER") ? getenv("USER") : "cli"};
    if (ref) {
        if (lh_secrets_open(cfg->storage_secrets_file, &sec, &e)) rc = LH_EXIT_CONFIG;
        else if (!(dsn = lh_secrets_get(sec, ref, "dsn"))) {
            lh_err_set(&e, LH_EINVAL, "secret_ref_unknown", "the secrets file has no [%s] section with a dsn field", ref);
            rc = LH_EXIT_CONFIG;
        }
    }
    if (!rc && lh_ingest_mode_parse(mode, &q.mode, &e)) rc = LH_EXIT_USAGE;
    if (!rc && lh_pg_dsn_redact(dsn, &red, &e)) rc = LH_EXIT_USAGE;
    json_t *result = NULL;
    if (!rc) {
        q.dsn = dsn;
        q.dsn_redacted = red.data;
        if (lh_ingest_db(app->cat, &q, NULL, &result, &e)) rc = LH_EXIT_RUNTIME;
    }
    if (rc) fprintf(stderr, "lakehouse: %s\n", e.msg);
    else if (!f.quiet) print_json(result);
    json_decref(result);
    lh_buf_free(&red);
    lh_secrets_free(sec);
    lh_app_close(app);
    lh_config_free(cfg);
    return rc;
}

/* ---- search ---- */

static const char SEARCH_USAGE[] =
    "usage: lakehouse search INDEX \"text\" [--limit K] [--filter \"SQL predicate\"] [--format table|json]\n"
    "                        [--server URL] [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Search a text index by meaning: the text is embedded with the index's own profile and\n"
    "the K nearest chunks are printed best first, with their dataset rows in json. --filter\n"
    "keeps only rows of the index's dataset matching the predicate (e.g. \"city = 'Chicago'\").\n";

static void print_hits(json_t *j)
{
    size_t i;
    json_t *h;
    printf("%4s  %-7s  %-12s  %s\n", "rank", "score", "id", "chunk");
    json_array_foreach(json_object_get(j, "results"), i, h) {
        const char *t = json_string_value(json_object_get(h, "chunk_text"));
        if (!t) t = "";
        /* at most SNIP bytes, cut before the character that would pass them */
        enum { SNIP = 119 };
        size_t len = strlen(t), n = 0;
        while (n < len) {
            size_t step = lh_utf8_seq_len((const unsigned char *)t + n, len - n);
            if (step == 0) step = 1;
            if (n + step > SNIP) break;
            n += step;
        }
        printf("%4zu  %-7.4f  %-12s  %.*s%s\n", i + 1, json_number_value(json_object_get(h, "score")),
               json_string_value(json_object_get(h, "id")), (int)n, t, n < len ? "…" : "");
    }
}

int lh_cmd_search(int argc, char **argv)
{
    data_flags f;
    int rc = parse(argc, argv, SEARCH_USAGE, "cdslfF", &f);
    if (rc >= 0) return rc;
    if (optind != argc - 2) {
        fprintf(stderr, "lakehouse search: give an index and a text\n%s", SEARCH_USAGE);
        return LH_EXIT_USAGE;
    }
    const char *index = argv[optind], *text = argv[optind + 1], *fmt = f.out_format ? f.out_format : "table";
    if (strcmp(fmt, "table") && strcmp(fmt, "json")) {
        fprintf(stderr, "lakehouse search: --format must be table or json\n");
        return LH_EXIT_USAGE;
    }
    if (f.limit < 0 || f.limit > 1000) {
        fprintf(stderr, "lakehouse search: --limit must be 1..1000\n");
        return LH_EXIT_USAGE;
    }
    int k = f.limit > 0 ? (int)f.limit : 10;
    json_t *out = NULL;
    lh_err e;
    const char *base = lh_client_url(f.server);
    if (server_up(base)) {
        json_t *body = json_pack("{s:s,s:i}", "query", text, "k", k);
        if (f.filter) json_object_set_new(body, "filter", json_string(f.filter));
        char *b = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        lh_buf path = LH_BUF_INIT;
        lh_buf_puts(&path, "/vectors/indexes/");
        lh_buf_puts(&path, index);
        lh_buf_puts(&path, "/search");
        lh_client_resp r;
        rc = lh_client_request(base, "POST", path.data, "application/json", b, strlen(b), &r, &e);
        free(b);
        lh_buf_free(&path);
        if (!rc && r.status != 200) rc = lh_client_error(&r, &e);
        if (!rc) out = json_loadb(r.body.data, r.body.len, 0, NULL);
        lh_client_resp_free(&r);
    } else {
        lh_config *cfg;
        lh_app *app;
        if ((rc = open_local(&f, &cfg, &app))) return rc;
        lh_vsearch q = {.query = text, .k = k, .filter = f.filter, .rows = -1};
        rc = lh_vectors_search(app->vectors, index, &q, &out, &e);
        lh_app_close(app);
        lh_config_free(cfg);
    }
    if (rc || !out) {
        fprintf(stderr, "lakehouse: %s\n", rc ? e.msg : "the server's answer is not JSON");
        return LH_EXIT_RUNTIME;
    }
    if (!strcmp(fmt, "json")) print_json(out);
    else print_hits(out);
    json_decref(out);
    return LH_EXIT_OK;
}

/* tests/unit/test_pg_pull.c — PostgreSQL tables and queries into Parquet
 * (ingest/pg_pull.c) and DSN redaction (ingest/pg_dsn.c).
 *
 * The test runs a real PostgreSQL 15 of its own: initdb into a mkdtemp
 * directory owned by the postgres user, listening on a Unix socket in that
 * directory only (no TCP port), with pg_hba.conf trusting "postgres" and
 * asking role "app" for a SCRAM password. A watchdog process stops the
 * server (pg_ctl -m immediate) and removes the directories when this
 * process exits for any reason, crashes and sanitizer aborts included.
 * Without /usr/lib/postgresql/15/bin the test prints SKIP and exits 77.
 *
 * What is checked: every type of pg.h's mapping round-trips — the Parquet
 * types, and every value read back through the engine compared with an
 * explicit expected rendering, text-like values byte for byte with what
 * PostgreSQL returns; NULL vs ''; ±infinity; BC dates; NaN and wide
 * numerics; empty arrays and arrays holding NULLs. Then the errors, each by
 * its code and with no output file left: unknown table, unknown key column,
 * bad DSN, unreachable server, wrong password (password not in the
 * message), statement timeout, non-SELECT queries, a multidimensional
 * array, a NaN in numeric(p,s), a connection killed mid-COPY; and the
 * incremental protocol (watermark fed back into the next pull).
 */
#include "engine/engine.h"
#include "ingest/pg.h"
#include "testing.h"

#include <dirent.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define APP_PASSWORD "Corr3ct-Horse-battery"

static char            g_pgdir[64];    /* postgres-owned: data/ and the socket */
static char            g_scratch[64];  /* ours: output files */
static char            g_dsn[256];
static lh_engine      *g_eng;
static lh_engine_conn *g_conn;
static PGconn         *g_pg;           /* the test's own connection, for fixtures */
static int             g_seq;

/* ---- the server ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void pg_stop(void)
{
    run("runuser -u postgres -- " PG_BIN "/pg_ctl -D %s/data -m immediate -w stop >/dev/null 2>&1", g_pgdir);
}

/* A child that waits for this process to end (the pipe closes), then
 * stops the server and removes both directories. */
static void start_watchdog(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { perror("pipe2"); exit(1); }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        close(fds[1]);
        char c;
        while (read(fds[0], &c, 1) > 0) {}
        pg_stop();
        run("rm -rf '%s' '%s'", g_pgdir, g_scratch);
        _exit(0);
    }
    close(fds[0]); /* fds[1] stays open (close-on-exec) until we exit */
}

static int pg_start(void)
{
    strcpy(g_pgdir, "/tmp/lh_pg_XXXXXX");
    strcpy(g_scratch, "/tmp/lh_pgs_XXXXXX");
    if (!mkdtemp(g_pgdir) || !mkdtemp(g_scratch)) { perror("mkdtemp"); return -1; }
    start_watchdog();
    struct passwd *pw = getpwnam("postgres");
    if (!pw || chown(g_pgdir, pw->pw_uid, pw->pw_gid) != 0) { perror("chown postgres"); return -1; }
    if (run("runuser -u postgres -- " PG_BIN "/initdb -D %s/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 "
            ">%s/initdb.log 2>&1", g_pgdir, g_pgdir) != 0) {
        run("cat %s/initdb.log >&2", g_pgdir);
        return -1;
    }
    char hba[128];
    snprintf(hba, sizeof hba, "%s/data/pg_hba.conf", g_pgdir);
    FILE *f = fopen(hba, "w");
    if (!f) { perror(hba); return -1; }
    fputs("local all app scram-sha-256\nlocal all all trust\n", f);
    fclose(f);
    if (run("runuser -u postgres -- " PG_BIN "/pg_ctl -D %s/data -w -l %s/server.log "
            "-o \"-c listen_addresses='' -k %s\" start >/dev/null 2>&1", g_pgdir, g_pgdir, g_pgdir) != 0) {
        run("cat %s/server.log >&2", g_pgdir);
        return -1;
    }
    snprintf(g_dsn, sizeof g_dsn, "host=%s dbname=postgres user=postgres", g_pgdir);
    char dsn[300];
    snprintf(dsn, sizeof dsn, "%s application_name=lh-test", g_dsn);
    g_pg = PQconnectdb(dsn);
    if (PQstatus(g_pg) != CONNECTION_OK) {
        fprintf(stderr, "test connection: %s", PQerrorMessage(g_pg));
        return -1;
    }
    return 0;
}

/* Run fixture SQL on the test's own connection; abort on failure. */
static void pg(const char *sql)
{
    PGresult *r = PQexec(g_pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "fixture SQL failed: %s\n%s", sql, PQerrorMessage(g_pg));
        exit(1);
    }
    PQclear(r);
}

/* One value from PostgreSQL as text (NULL -> NULL); caller frees. */
static char *pg_text(const char *sql)
{
    PGresult *r = PQexec(g_pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "fixture query failed: %s\n%s", sql, PQerrorMessage(g_pg));
        exit(1);
    }
    char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* ---- helpers ---- */

static const char *next_out(void)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/out_%d.parquet", g_scratch, ++g_seq);
    return p;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Files in the scratch directory that are not a pull's output (a pull
 * must leave nothing else behind: no staging, no partial files). */
static int count_strays(void)
{
    DIR *d = opendir(g_scratch);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strncmp(e->d_name, "out_", 4)) n++;
    if (d) closedir(d);
    return n;
}

static lh_pg_source table_src(const char *table)
{
    return (lh_pg_source){.dsn = g_dsn, .table = table};
}

static lh_pg_source query_src(const char *query)
{
    return (lh_pg_source){.dsn = g_dsn, .query = query};
}

/* Pull expecting an error with `code`; checks no file was left behind. */
static void expect_fail(const lh_pg_source *src, int status, const char *code, lh_err *e)
{
    const char *out = next_out();
    lh_pg_result res;
    int rc = lh_pg_pull(g_conn, src, out, NULL, NULL, &res, e);
    CHECK_INT(rc, status);
    CHECK_STR(e->code, code);
    CHECK(!exists(out));
    CHECK_INT(count_strays(), 0);
    lh_pg_result_free(&res);
}

/* Column `col` of read_parquet(path) ordered by `order`, each value as
 * text ("NULL" for NULL), joined with '|'. Caller frees. */
static char *column_text(const char *path, const char *col, const char *order, int as_json)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, as_json ? "SELECT (" : "SELECT CAST(");
    lh_sql_quote_ident(&sql, col);
    lh_buf_puts(&sql, as_json ? ") FROM read_parquet(" : " AS VARCHAR) FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_printf(&sql, ") ORDER BY %s", order);
    lh_engine_result *r = NULL;
    lh_err e;
    lh_buf out = LH_BUF_INIT;
    if (lh_engine_query(g_conn, sql.data, &r, &e) != 0) {
        fprintf(stderr, "%s: %s\n", sql.data, e.msg);
        lh_buf_puts(&out, "<error>");
    } else {
        lh_chunk *ch;
        int first = 1;
        while (lh_result_next(r, &ch, &e) == 0 && ch) {
            for (size_t i = 0; i < lh_chunk_rows(ch); i++) {
                if (!first) lh_buf_putc(&out, '|');
                first = 0;
                if (as_json)
                    lh_chunk_json(ch, 0, i, &out);
                else if (!lh_chunk_text(ch, 0, i, &out))
                    lh_buf_puts(&out, "NULL");
            }
            lh_chunk_free(ch);
        }
    }
    lh_result_free(r);
    lh_buf_free(&sql);
    if (!out.data) lh_buf_puts(&out, "");
    return lh_buf_detach(&out);
}

static char *engine_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *engine_text(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    lh_buf out = LH_BUF_INIT;
    lh_err e;
    if (lh_engine_query_text(g_conn, sql, &out, &e) != 0) {
        fprintf(stderr, "%s: %s\n", sql, e.msg);
        lh_buf_puts(&out, "<error>");
    }
    if (!out.data) lh_buf_puts(&out, "");
    return lh_buf_detach(&out);
}

static const char *col_type(const lh_pg_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_cols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return r->cols[i].type;
    return "(missing)";
}

/* ---- DSN redaction ---- */

static void check_redact(const char *dsn, const char *want)
{
    lh_buf b = LH_BUF_INIT;
    lh_err e;
    CHECK_INT(lh_pg_dsn_redact(dsn, &b, &e), 0);
    CHECK_STR(b.data, want);
    lh_buf_free(&b);
}

static void test_dsn_redact(void)
{
    check_redact("postgresql://alice:s3cr%40t@db.example:5432/hr?sslmode=require",
                 "postgresql://alice:***@db.example:5432/hr?sslmode=require");
    check_redact("postgresql://alice@db.example/hr", "postgresql://alice@db.example/hr");
    check_redact("postgres://db.example/hr", "postgres://db.example/hr");
    check_redact("postgresql://db.example/hr?user=bob&password=pw%21x&sslmode=disable",
                 "postgresql://db.example/hr?user=bob&password=***&sslmode=disable");
    check_redact("postgresql://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write",
                 "postgresql://u:***@h1:5432,h2:5433/db?target_session_attrs=read-write");
    /* key=value: re-rendered in libpq's option order */
    check_redact("host=db.example user=alice password='se cret' dbname=hr",
                 "user=alice password=*** dbname=hr host=db.example");
    check_redact("host=db dbname=hr", "dbname=hr host=db");
    check_redact("dbname='my db' host=db application_name='it\\'s'",
                 "dbname='my db' host=db application_name='it\\'s'");

    /* Malformed: the code, and nothing of the password in the message. */
    const char *bad[] = {
        "host=db password=topsecret99 junk",
        "host=db password=top secret99",
        "postgresql://u:topsecret99@h/db?password%zz=1",
        "postgresql://u:top%zzsecret99@h/db",
        "postgresql://u@h/db?sslmode=require&password=topsecret99&=x",
        "just-a-word",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lh_buf b = LH_BUF_INIT;
        lh_err e;
        CHECK_INT(lh_pg_dsn_redact(bad[i], &b, &e), LH_EINVAL);
        CHECK_STR(e.code, "invalid_dsn");
        CHECK_MSG(!strstr(e.msg, "secret99") && !strstr(e.msg, "topsecret"), "%s -> %s", bad[i], e.msg);
        lh_buf_free(&b);
    }
    lh_buf b = LH_BUF_INIT;
    lh_err e;
    CHECK_INT(lh_pg_dsn_redact("", &b, &e), LH_EINVAL);
    lh_buf_free(&b);
}

/* ---- every type ---- */

static void make_types_fixture(void)
{
    pg("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    pg("CREATE DOMAIN posint AS int CHECK (VALUE > 0)");
    pg("CREATE DOMAIN price AS numeric(12,4)");
    pg("CREATE TABLE all_types ("
       " id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision,"
       " n124 numeric(12,4), nbig numeric, n40 numeric(40,2), t text, vc varchar(10), ch char(5),"
       " b bool, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,"
       " u uuid, j json, jb jsonb, by bytea, m mood, pos posint, pr price, ip inet,"
       " ia int[], ta text[], na numeric(12,4)[], da date[], tsa timestamptz[], ba bytea[],"
       " iva interval[], ja jsonb[], ua uuid[], ma mood[])");
    pg("INSERT INTO all_types VALUES (1, 32767, 9223372036854775807, 3.4028235e38, 0.1,"
       " 12345678.1234, 100000000000000000000000000000000000000000000000000.000001,"
       " 12345678901234567890123456789012345678.12,"
       " E'a \"quoted\", comma\\nnew line\\r\\n\\ttab \\\\ back \\u00fcn\\u00efc\\u00f8d\\u00e9 \\U0001F600 ''apos''',"
       " 'abc', 'ab', true, '2024-02-29', '04:05:06.789', '04:05:06.789+05:30',"
       " '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02',"
       " '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
       " '{\"b\": [1, 2.50, 1e400],  \"a\": null}', '{\"a\": \"x\\\"y\", \"n\": 12345678901234567890123}',"
       " '\\x00ff0001', 'happy', 7, 1.5, '192.168.0.1/24',"
       " '{1,NULL,3}', ARRAY['a,b', '', NULL, 'q\"x', E'new\\nline'], '{1.5,NULL}',"
       " '{2024-01-01,infinity,0044-03-15 BC}', '{\"2024-01-02 03:04:05.5+02\",-infinity}',"
       " ARRAY['\\x00ff'::bytea, '\\x'::bytea, NULL], '{\"1 day\",\"00:00:01.5\"}',"
       " ARRAY['{\"k\": [1, 2]}'::jsonb, NULL], '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{sad,ok}')");
    pg("INSERT INTO all_types VALUES (2, -32768, -9223372036854775808, '-Infinity', 'NaN',"
       " -0.0001, 'NaN', -1.5, '', '', '', false, 'infinity', '24:00:00', '23:59:59-08',"
       " 'infinity', 'infinity', '00:00:00.001', NULL, 'null', '[]', '\\x', 'sad', 1, 0, '::1',"
       " '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')");
    pg("INSERT INTO all_types VALUES (3, 0, 0, 0, '-0', 0, '0.000000000000000000000000000001', 0, 'NULL', 'x',"
       " 'abcde', NULL, '-infinity', '00:00:00', '00:00:00+00', '-infinity', '-infinity',"
       " '1193:00:00', NULL, '\"str\"', '{}', NULL, NULL, NULL, NULL, NULL,"
       " '{NULL}', '{NULL}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    pg("INSERT INTO all_types VALUES (4, NULL, NULL, NULL, 1e300, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
       " '0044-03-15 BC', NULL, NULL, '0044-03-15 12:00:00.5 BC', '0044-03-15 12:00:00.5+00 BC', '00:00:00',"
       " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    pg("INSERT INTO all_types (id) VALUES (5)");
}

typedef struct expect_col {
    const char *name, *type, *values; /* rows 1..5 as column_text renders them */
} expect_col;

static void test_all_types(void)
{
    make_types_fixture();
    pg("ANALYZE all_types");
    const char *out = next_out();
    lh_pg_source src = table_src("all_types");
    lh_pg_result res;
    lh_err e;
    int rc = lh_pg_pull(g_conn, &src, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    if (rc) return;
    CHECK_INT(res.rows, 5);
    CHECK_INT(res.estimated_rows, 5);
    CHECK(res.watermark == NULL);
    CHECK_INT(count_strays(), 0);

    static const expect_col cols[] = {
        {"id", "INTEGER", "1|2|3|4|5"},
        {"i2", "SMALLINT", "32767|-32768|0|NULL|NULL"},
        {"i8", "BIGINT", "9223372036854775807|-9223372036854775808|0|NULL|NULL"},
        {"f4", "FLOAT", "3.4028235e+38|-inf|0.0|NULL|NULL"},
        {"f8", "DOUBLE", "0.1|nan|-0.0|1e+300|NULL"},
        {"n124", "DECIMAL(12,4)", "12345678.1234|-0.0001|0.0000|NULL|NULL"},
        {"nbig", "VARCHAR",
         "100000000000000000000000000000000000000000000000000.000001|NaN|0.000000000000000000000000000001|NULL|NULL"},
        {"n40", "VARCHAR", "12345678901234567890123456789012345678.12|-1.50|0.00|NULL|NULL"},
        {"vc", "VARCHAR", "abc||x|NULL|NULL"},
        {"ch", "VARCHAR", "ab   |     |abcde|NULL|NULL"},
        {"b", "BOOLEAN", "true|false|NULL|NULL|NULL"},
        {"d", "DATE", "2024-02-29|infinity|-infinity|0044-03-15 (BC)|NULL"},
        {"tm", "TIME", "04:05:06.789|24:00:00|00:00:00|NULL|NULL"},
        /* the same instant, in UTC: Parquet's TIME keeps no offset */
        {"ttz", "TIME WITH TIME ZONE", "22:35:06.789+00|07:59:59+00|00:00:00+00|NULL|NULL"},
        {"ts", "TIMESTAMP", "2024-01-02 03:04:05.123456|infinity|-infinity|0044-03-15 (BC) 12:00:00.5|NULL"},
        {"tstz", "TIMESTAMP WITH TIME ZONE",
         "2024-01-02 01:04:05.123456+00|infinity|-infinity|0044-03-15 (BC) 12:00:00.5+00|NULL"},
        {"iv", "INTERVAL", "1 year 2 months 3 days 04:05:06.789|00:00:00.001|1193:00:00|00:00:00|NULL"},
        {"u", "UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|NULL|NULL|NULL|NULL"},
        {"by", "BLOB", "\\x00\\xFF\\x00\\x01||NULL|NULL|NULL"},
        {"m", "VARCHAR", "happy|sad|NULL|NULL|NULL"},
        {"pos", "INTEGER", "7|1|NULL|NULL|NULL"},
        {"pr", "DECIMAL(12,4)", "1.5000|0.0000|NULL|NULL|NULL"},
        {"ip", "VARCHAR", "192.168.0.1/24|::1|NULL|NULL|NULL"},
        /* lists as JSON (lh_chunk_json): BLOB is base64 there */
        {"ia", "INTEGER[]", "[1,null,3]|[]|[null]|null|null"},
        {"ta", "VARCHAR[]", "[\"a,b\",\"\",null,\"q\\\"x\",\"new\\nline\"]|[]|[null]|null|null"},
        {"na", "DECIMAL(12,4)[]", "[1.5000,null]|[]|null|null|null"},
        {"da", "DATE[]", "[\"2024-01-01\",\"infinity\",\"-000043-03-15\"]|[]|null|null|null"},
        {"tsa", "TIMESTAMP WITH TIME ZONE[]", "[\"2024-01-02T01:04:05.5Z\",\"-infinity\"]|[]|null|null|null"},
        {"ba", "BLOB[]", "[\"AP8=\",\"\",null]|[]|null|null|null"},
        {"iva", "INTERVAL[]", "[\"P1D\",\"PT1.5S\"]|[]|null|null|null"},
        {"ja", "JSON[]", "[\"{\\\"k\\\": [1, 2]}\",null]|[]|null|null|null"},
        {"ua", "UUID[]", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]|[]|null|null|null"},
        {"ma", "VARCHAR[]", "[\"sad\",\"ok\"]|[]|null|null|null"},
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        CHECK_MSG(strcmp(col_type(&res, cols[i].name), cols[i].type) == 0, "column %s is %s, expected %s",
                  cols[i].name, col_type(&res, cols[i].name), cols[i].type);
        char *got = column_text(out, cols[i].name, "id", strchr(cols[i].type, '[') != NULL);
        CHECK_MSG(strcmp(got, cols[i].values) == 0, "column %s reads back\n  %s\nexpected\n  %s", cols[i].name, got,
                  cols[i].values);
        free(got);
    }
    CHECK_STR(col_type(&res, "j"), "JSON");
    CHECK_STR(col_type(&res, "jb"), "JSON");
    CHECK_STR(col_type(&res, "t"), "VARCHAR");

    /* Text-like values byte for byte against PostgreSQL's own text. */
    static const char *const exact[] = {"t", "vc", "ch", "nbig", "n40", "j", "jb", "m", "ip"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        for (int id = 1; id <= 5; id++) {
            char sql[320];
            /* format() uses the type's output function, as COPY does
             * (a cast to text would trim char(n) and add inet's /128) */
            snprintf(sql, sizeof sql, "SELECT CASE WHEN %s IS NOT NULL THEN format('%%s', %s) END FROM all_types "
                     "WHERE id = %d", exact[i], exact[i], id);
            char *want = pg_text(sql);
            char *got = engine_text("SELECT CAST(\"%s\" AS VARCHAR) FROM read_parquet('%s') WHERE id = %d",
                                    exact[i], out, id);
            if (want)
                CHECK_MSG(strcmp(got, want) == 0, "%s row %d: got [%s] want [%s]", exact[i], id, got, want);
            else
                CHECK_MSG(*got == '\0', "%s row %d: got [%s] want NULL", exact[i], id, got);
            char *isnull = engine_text("SELECT CAST(\"%s\" IS NULL AS VARCHAR) FROM read_parquet('%s') WHERE id = %d",
                                       exact[i], out, id);
            CHECK_STR(isnull, want ? "false" : "true");
            free(want);
            free(got);
            free(isnull);
        }
    }
    /* bytea by its hex, against PostgreSQL's */
    for (int id = 1; id <= 2; id++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT encode(by, 'hex') FROM all_types WHERE id = %d", id);
        char *want = pg_text(sql);
        char *got = engine_text("SELECT lower(hex(\"by\")) FROM read_parquet('%s') WHERE id = %d", out, id);
        CHECK_STR(got, want);
        free(want);
        free(got);
    }
    /* Values that need more than their rendering. */
    char *v = engine_text("SELECT epoch_us(tstz)::VARCHAR FROM read_parquet('%s') WHERE id = 1", out);
    char *w = pg_text("SELECT (extract(epoch FROM tstz) * 1000000)::bigint::text FROM all_types WHERE id = 1");
    CHECK_STR(v, w);
    free(v);
    free(w);
    v = engine_text("SELECT year(d)::VARCHAR || ' ' || year(ts)::VARCHAR FROM read_parquet('%s') WHERE id = 4", out);
    CHECK_STR(v, "-43 -43"); /* 44 BC is year -43, as PostgreSQL counts too */
    free(v);
    v = engine_text("SELECT (datepart('month', iv) + 12 * datepart('year', iv))::VARCHAR || ' ' || "
                    "datepart('day', iv)::VARCHAR || ' ' || epoch_ms(iv)::VARCHAR FROM read_parquet('%s') "
                    "WHERE id = 3", out);
    CHECK_STR(v, "0 0 4294800000");
    free(v);
    v = engine_text("SELECT CAST(jb->>'n' AS VARCHAR) FROM read_parquet('%s') WHERE id = 1", out);
    CHECK_STR(v, "12345678901234567890123");
    free(v);
    lh_pg_result_free(&res);
}

/* ---- queries ---- */

static void test_query_source(void)
{
    const char *out = next_out();
    lh_pg_source src = query_src("  -- the people\n SELECT id, upper(t) AS up, id * 2 AS dbl, 1 AS a, 2 AS \"A\", 3 AS a "
                                 "FROM all_types WHERE id <= 2 -- trailing comment");
    lh_pg_result res;
    lh_err e;
    int rc = lh_pg_pull(g_conn, &src, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    if (rc) return;
    CHECK_INT(res.rows, 2);
    CHECK_INT(res.estimated_rows, -1);
    CHECK_INT(res.n_cols, 6);
    if (res.n_cols == 6) {
        CHECK_STR(res.cols[1].name, "up");
        CHECK_STR(res.cols[2].type, "INTEGER");
        CHECK_STR(res.cols[3].name, "a");
        CHECK_STR(res.cols[4].name, "A_2");
        CHECK_STR(res.cols[5].name, "a_3");
    }
    char *got = column_text(out, "dbl", "id", 0);
    CHECK_STR(got, "2|4");
    free(got);
    lh_pg_result_free(&res);

    /* VALUES works too, and an empty result gives an empty file with types */
    out = next_out();
    src = query_src("SELECT 1::bigint AS x, 'a'::text AS y WHERE false");
    rc = lh_pg_pull(g_conn, &src, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(res.rows, 0);
    CHECK(res.n_cols == 2 && strcmp(res.cols[0].type, "BIGINT") == 0);
    lh_pg_result_free(&res);

    /* A value far over read_csv's default 2 MB line limit. */
    out = next_out();
    src = query_src("SELECT repeat('x', 5000000) AS big, decode(repeat('00ff', 1000000), 'hex') AS blob");
    rc = lh_pg_pull(g_conn, &src, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    char *len = engine_text("SELECT length(big)::VARCHAR || ' ' || octet_length(blob)::VARCHAR FROM read_parquet('%s')", out);
    CHECK_STR(len, "5000000 2000000");
    free(len);
    lh_pg_result_free(&res);

    /* Not a read. */
    lh_pg_source bad = query_src("DELETE FROM all_types");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    bad = query_src("WITH d AS (DELETE FROM all_types RETURNING *) SELECT * FROM d");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    char *n = pg_text("SELECT count(*)::text FROM all_types");
    CHECK_STR(n, "5");
    free(n);
    bad = query_src("SELECT 1) q; DROP TABLE all_types; SELECT * FROM (SELECT 1");
    expect_fail(&bad, LH_EINVAL, "pg_error", &e);
    n = pg_text("SELECT count(*)::text FROM all_types");
    CHECK_STR(n, "5");
    free(n);
    bad = (lh_pg_source){.dsn = g_dsn, .table = "all_types", .query = "SELECT 1"};
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    bad = (lh_pg_source){.dsn = g_dsn};
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    bad = (lh_pg_source){.dsn = g_dsn, .table = "all_types", .key_column = "id", .updated_column = "ts"};
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);

    /* Values PostgreSQL has and the mapped type has not. */
    pg("CREATE TABLE nan_money (id int, amount numeric(12,4))");
    pg("INSERT INTO nan_money VALUES (1, 1.5), (2, 'NaN')");
    bad = table_src("nan_money");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    CHECK_MSG(strstr(e.msg, "NaN") != NULL, "%s", e.msg);
    bad = query_src("SELECT 1 AS id, '-1 days +04:00:00'::interval AS shift");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    CHECK_MSG(strstr(e.msg, "\"shift\"") && strstr(e.msg, "negative interval"), "%s", e.msg);
    bad = query_src("SELECT ARRAY['00:00:00.0005'::interval] AS tiny");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    CHECK_MSG(strstr(e.msg, "\"tiny\"") && strstr(e.msg, "millisecond"), "%s", e.msg);
    bad = query_src("SELECT 1 AS id, '{{1,2},{3,4}}'::int[] AS grid");
    expect_fail(&bad, LH_EINVAL, "invalid_source", &e);
    CHECK_MSG(strstr(e.msg, "\"grid\"") && strstr(e.msg, "multidimensional"), "%s", e.msg);
}

/* ---- progress (and a backend killed at a given row) ---- */

typedef struct kill_ctx {
    int64_t calls, last_rows, estimate;
    int     kill_at_rows;
} kill_ctx;

static void on_progress(void *vctx, int64_t rows, int64_t estimated)
{
    kill_ctx *k = vctx;
    k->calls++;
    k->last_rows = rows;
    k->estimate = estimated;
    if (k->kill_at_rows && rows >= k->kill_at_rows) {
        k->kill_at_rows = 0;
        pg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lakehouse'");
    }
}

/* ---- the stream: row groups, and failures on either side mid-stream ---- */

static void test_stream(void)
{
    /* row_group_rows (batch_rows) sets the Parquet row groups; order kept */
    lh_pg_source s = query_src("SELECT g AS id, (g / 3.0)::numeric(10,2) AS third FROM generate_series(1, 10000) g");
    s.row_group_rows = 4096;
    const char *out = next_out();
    lh_pg_result res;
    lh_err e;
    int rc = lh_pg_pull(g_conn, &s, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(res.rows, 10000);
    char *v = engine_text("SELECT count(DISTINCT row_group_id)::VARCHAR || ' ' || max(row_group_num_rows)::VARCHAR "
                          "FROM parquet_metadata('%s')", out);
    CHECK_STR(v, "3 4096");
    free(v);
    v = engine_text("SELECT bool_and(id = rn)::VARCHAR || ' ' || max(third)::VARCHAR FROM "
                    "(SELECT id, third, row_number() OVER () AS rn FROM read_parquet('%s'))", out);
    CHECK_STR(v, "true 3333.33");
    free(v);
    lh_pg_result_free(&res);

    /* A value the writer cannot store, deep in a long stream: the pull
     * stops there (the server's COPY is cancelled, not read to its end;
     * the reader's progress shows how far it got), nothing is left
     * behind, and the next pull works. */
    static const char *const bad_at_150k[][2] = {
        /* refused while decoding (DECIMAL has no NaN) */
        {"SELECT g AS id, CASE WHEN g = 150000 THEN 'NaN'::numeric ELSE g END::numeric(12,2) AS amount, "
         "repeat('x', 100) AS pad FROM generate_series(1, 3000000) g", "\"amount\""},
        /* refused by DuckDB's conversion SQL (a negative interval) */
        {"SELECT g AS id, CASE WHEN g = 150000 THEN interval '-1 day' ELSE interval '1 day' END AS shift "
         "FROM generate_series(1, 3000000) g", "\"shift\""},
    };
    for (size_t i = 0; i < 2; i++) {
        s = query_src(bad_at_150k[i][0]);
        kill_ctx k = {0};
        out = next_out();
        rc = lh_pg_pull(g_conn, &s, out, on_progress, &k, &res, &e);
        CHECK_INT(rc, LH_EINVAL);
        CHECK_STR(e.code, "invalid_source");
        CHECK_MSG(strstr(e.msg, bad_at_150k[i][1]) != NULL, "%s", e.msg);
        CHECK_MSG(k.last_rows >= 100000 && k.last_rows < 1000000, "the reader got to row %" PRId64, k.last_rows);
        CHECK(!exists(out));
        lh_pg_result_free(&res);
    }

    /* PostgreSQL's timestamps reach 294276 AD, DuckDB's 294247 AD. */
    s = query_src("SELECT 1 AS id, '294270-01-01 00:00:00'::timestamp AS far");
    expect_fail(&s, LH_EINVAL, "invalid_source", &e);
    CHECK_MSG(strstr(e.msg, "\"far\"") && strstr(e.msg, "294247"), "%s", e.msg);

    /* numeric(p,s) from its base-10000 digits: every digit and scale exact,
     * up to DuckDB's 38. */
    s = query_src("SELECT x::numeric(38,10) AS n FROM (VALUES ('-1234567890123456789012345678.0123456789'), "
                  "('0.0000000001'), ('0'), ('99999999999999999999999999.9999999999')) t(x)");
    out = next_out();
    rc = lh_pg_pull(g_conn, &s, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    v = engine_text("SELECT string_agg(n::VARCHAR, '|' ORDER BY n) FROM read_parquet('%s')", out);
    CHECK_STR(v, "-1234567890123456789012345678.0123456789|0.0000000000|0.0000000001|"
                 "99999999999999999999999999.9999999999");
    free(v);
    lh_pg_result_free(&res);

    /* the connection is still good for the next pull */
    s = table_src("all_types");
    out = next_out();
    rc = lh_pg_pull(g_conn, &s, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(res.rows, 5);
    lh_pg_result_free(&res);
    CHECK_INT(count_strays(), 0);
}

/* ---- errors ---- */

static void test_errors(void)
{
    lh_err e;
    lh_pg_source s = table_src("no_such_table");
    expect_fail(&s, LH_ENOTFOUND, "pg_table_not_found", &e);
    CHECK(strstr(e.msg, "no_such_table") != NULL);
    s = table_src("nosuchschema.t");
    expect_fail(&s, LH_ENOTFOUND, "pg_table_not_found", &e);
    s = query_src("SELECT * FROM no_such_table");
    expect_fail(&s, LH_ENOTFOUND, "pg_table_not_found", &e);
    s = query_src("SELECT no_such_column FROM all_types");
    expect_fail(&s, LH_ENOTFOUND, "pg_column_not_found", &e);
    s = table_src("all_types");
    s.key_column = "no_such_key";
    expect_fail(&s, LH_ENOTFOUND, "pg_column_not_found", &e);
    CHECK(strstr(e.msg, "no_such_key") != NULL);

    s = table_src("all_types");
    s.dsn = "host=/tmp dbname=postgres password=hunter2hunter2 garbage";
    expect_fail(&s, LH_EINVAL, "invalid_dsn", &e);
    CHECK(!strstr(e.msg, "hunter2"));

    s.dsn = "host=/nonexistent/lakehouse-socket-dir dbname=postgres user=postgres password=hunter2hunter2";
    expect_fail(&s, LH_EUNAVAIL, "pg_unreachable", &e);
    CHECK(!strstr(e.msg, "hunter2"));

    /* Wrong password for a SCRAM role, in both DSN forms. */
    char dsn[512];
    snprintf(dsn, sizeof dsn, "host=%s dbname=postgres user=app password=wrong-Password-77", g_pgdir);
    s.dsn = dsn;
    expect_fail(&s, LH_EPERM, "pg_auth_failed", &e);
    CHECK_MSG(!strstr(e.msg, "wrong-Password-77"), "%s", e.msg);
    snprintf(dsn, sizeof dsn, "postgresql://app:wrong-Password-77@/postgres?host=%s", g_pgdir);
    expect_fail(&s, LH_EPERM, "pg_auth_failed", &e);
    CHECK_MSG(!strstr(e.msg, "wrong-Password-77"), "%s", e.msg);
    snprintf(dsn, sizeof dsn, "host=%s dbname=postgres user=app", g_pgdir);
    expect_fail(&s, LH_EPERM, "pg_auth_failed", &e);

    /* The right password works (URI form, password percent-encoded). */
    snprintf(dsn, sizeof dsn, "postgresql://app:%s@/postgres?host=%s", APP_PASSWORD, g_pgdir);
    s = (lh_pg_source){.dsn = dsn, .query = "SELECT 42 AS answer"};
    const char *out = next_out();
    lh_pg_result res;
    int rc = lh_pg_pull(g_conn, &s, out, NULL, NULL, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(res.rows, 1);
    lh_pg_result_free(&res);

    /* statement_timeout */
    s = query_src("SELECT pg_sleep(5) AS s, 1 AS x");
    s.timeout_ms = 200;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_fail(&s, LH_ETIMEOUT, "pg_statement_timeout", &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(secs < 3.0, "the timeout took %.1f s", secs);
}

/* ---- incremental pulls ---- */

static void test_incremental(void)
{
    pg("CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, what text)");
    pg("INSERT INTO events SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute', 'e' || g "
       "FROM generate_series(1, 1000) g");
    lh_pg_source s = table_src("events");
    s.key_column = "id";
    lh_pg_result r1, r2, r3;
    lh_err e;
    const char *out1 = next_out();
    int rc = lh_pg_pull(g_conn, &s, out1, NULL, NULL, &r1, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    if (rc) return;
    CHECK_INT(r1.rows, 1000);
    CHECK_STR(r1.watermark, "1000");

    pg("INSERT INTO events SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute', 'e' || g "
       "FROM generate_series(1001, 1500) g");
    s.watermark = r1.watermark;
    const char *out2 = next_out();
    char out2_copy[128];
    snprintf(out2_copy, sizeof out2_copy, "%s", out2);
    rc = lh_pg_pull(g_conn, &s, out2_copy, NULL, NULL, &r2, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r2.rows, 500);
    CHECK_STR(r2.watermark, "1500");
    char *v = engine_text("SELECT min(id)::VARCHAR || '-' || max(id)::VARCHAR || ' ' || count(*)::VARCHAR "
                          "FROM read_parquet('%s')", out2_copy);
    CHECK_STR(v, "1001-1500 500");
    free(v);
    /* ordered by the key in the file */
    v = engine_text("SELECT bool_and(id = rn + 1000)::VARCHAR FROM "
                    "(SELECT id, row_number() OVER () AS rn FROM read_parquet('%s'))", out2_copy);
    CHECK_STR(v, "true");
    free(v);

    /* Nothing new: no rows, and the watermark is kept. */
    s.watermark = r2.watermark;
    const char *out3 = next_out();
    rc = lh_pg_pull(g_conn, &s, out3, NULL, NULL, &r3, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r3.rows, 0);
    CHECK_STR(r3.watermark, "1500");
    lh_pg_result_free(&r3);

    /* updated_column with a timestamptz: its text goes back in as-is. */
    lh_pg_source u = table_src("events");
    u.updated_column = "at";
    u.watermark = "2024-01-01 16:00:00+00"; /* minute 960 */
    rc = lh_pg_pull(g_conn, &u, next_out(), NULL, NULL, &r3, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(r3.rows, 540);
    CHECK_STR(r3.watermark, "2024-01-02 01:00:00+00");
    lh_pg_result_free(&r3);
    u.watermark = "not a timestamp";
    expect_fail(&u, LH_EINVAL, "pg_error", &e);

    lh_pg_result_free(&r1);
    lh_pg_result_free(&r2);
}

/* ---- progress and a connection lost mid-COPY ---- */

static void test_progress_and_connection_lost(void)
{
    pg("CREATE TABLE big AS SELECT g AS id, g * 2 AS x, md5(g::text) AS h, now() AS at FROM generate_series(1, 250000) g");
    pg("ANALYZE big");
    kill_ctx k = {0};
    lh_pg_source s = table_src("big");
    lh_pg_result res;
    lh_err e;
    const char *out = next_out();
    int rc = lh_pg_pull(g_conn, &s, out, on_progress, &k, &res, &e);
    CHECK_MSG(rc == 0, "%s: %s", e.code, e.msg);
    CHECK_INT(res.rows, 250000);
    CHECK_INT(k.calls, 3); /* 100k, 200k, and the end */
    CHECK_INT(k.last_rows, 250000);
    CHECK_INT(k.estimate, 250000);
    lh_pg_result_free(&res);

    kill_ctx kk = {.kill_at_rows = 200000};
    s = query_src("SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 50000000) g");
    out = next_out();
    rc = lh_pg_pull(g_conn, &s, out, on_progress, &kk, &res, &e);
    CHECK_INT(rc, LH_EUNAVAIL);
    CHECK_STR(e.code, "pg_connection_lost");
    CHECK(!exists(out));
    CHECK_INT(count_strays(), 0);
    CHECK_MSG(kk.last_rows < 50000000, "rows %" PRId64, kk.last_rows);
    lh_pg_result_free(&res);
}

int main(void)
{
    if (access(PG_BIN "/initdb", X_OK) != 0 || access(PG_BIN "/pg_ctl", X_OK) != 0) {
        printf("SKIP: PostgreSQL 15 not installed at " PG_BIN "\n");
        return 77;
    }
    if (pg_start() != 0) {
        fprintf(stderr, "could not start PostgreSQL 15 in %s\n", g_pgdir);
        return 1;
    }
    pg("CREATE ROLE app LOGIN PASSWORD '" APP_PASSWORD "'");
    pg("GRANT SELECT ON ALL TABLES IN SCHEMA public TO app");
    lh_engine_opts opts = {0};
    lh_err e;
    if (lh_engine_open(&opts, &g_eng, &e) != 0 || lh_engine_connect(g_eng, &g_conn, &e) != 0) {
        fprintf(stderr, "engine: %s: %s\n", e.code, e.msg);
        return 1;
    }
    RUN(test_dsn_redact);
    RUN(test_all_types);
    RUN(test_query_source);
    RUN(test_stream);
    RUN(test_errors);
    RUN(test_incremental);
    RUN(test_progress_and_connection_lost);
    lh_engine_conn_free(g_conn);
    lh_engine_free(g_eng);
    PQfinish(g_pg);
    pg_stop();
    return TEST_SUMMARY();
}

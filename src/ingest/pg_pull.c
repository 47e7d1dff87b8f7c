/* ingest/pg_pull.c — a PostgreSQL table or query into one Parquet file.
 *
 * The pull runs in one READ ONLY, REPEATABLE READ transaction (one
 * snapshot for every statement; a "query" that writes is refused by the
 * server itself) and in four steps:
 *
 *   1. probe: SELECT * FROM <source> LIMIT 0 gives the column names, type
 *      OIDs and typmods (a table is resolved first with to_regclass, which
 *      also yields the quoted name and pg_class.reltuples);
 *   2. types: one recursive pg_type query follows domains to their base
 *      type and arrays to their element type; each column gets a kind
 *      (the mapping in pg.h);
 *   3. COPY (SELECT <per-column expression> FROM <source> q(c1..cn)
 *      [WHERE q.ck > '<watermark>'::<type>] [ORDER BY q.ck NULLS FIRST])
 *      TO STDOUT WITH (FORMAT binary) is streamed by pg_stream.c into
 *      COPY (SELECT <per-column conversion> FROM lh_feed(N)) TO <parquet>
 *      on DuckDB's side: receiving and converting overlap, and memory is a
 *      bounded queue of blocks however long the table;
 *   4. the footer gives the column types reported back.
 *
 * Two roads cross the stream. Integers, floats, booleans, dates,
 * timestamps, numeric(p,s) and bytea are "native": PostgreSQL sends its
 * binary form and pg_stream.c decodes it into the typed DuckDB column (no
 * text on either side; infinities, BC dates, -0 and NaN floats are exact
 * by construction). Every other column is sent as text — what COPY's text
 * format would print, i.e. the type's output function — and converted by
 * one explicit SQL expression per column on DuckDB's side. The text is
 * fixed by the session: DateStyle ISO, TimeZone UTC (timestamptz arrives
 * as "...+00"), IntervalStyle postgres, extra_float_digits 1,
 * client_encoding UTF8. Where PostgreSQL's text and DuckDB's parser
 * disagree, one side adapts:
 *   - interval is sent as "<months> <days> <microseconds>" (its three
 *     fields, exactly) and rebuilt with to_months+to_days+to_microseconds;
 *     DuckDB does not read "-1 days +04:00:00".
 *   - timetz is sent as the same instant in UTC (Parquet's TIME keeps no
 *     offset).
 *   - arrays are sent as a JSON array of the elements' text (bytea
 *     elements as hex, BC dates as "0044-03-15 BC", which the element
 *     conversion turns into DuckDB's "(BC)" form rather than 44 AD), read
 *     as VARCHAR[] and converted element by element with list_transform,
 *     so elements get exactly the scalar conversion. An array of more than
 *     one dimension is refused (by a deliberate cast error on the server
 *     carrying MULTIDIM_MARK): flattening it would change the data.
 *
 * Incremental pulls: with key_column (or updated_column) the rows are
 * ordered by it with NULLs first and the key's own PostgreSQL text is sent
 * as an extra first field; the last row's is the watermark, text that
 * PostgreSQL reads back with '<text>'::<the column's type> in the next
 * pull's WHERE. A pull that finds no new rows returns the watermark it was
 * given, so a caller storing the result never forgets its place.
 *
 * Errors carry the codes in pg.h; libpq and server messages pass through
 * scrub() so the password cannot appear even if a message quoted it.
 * out_parquet is removed on any error; nothing else touches the disk.
 */
#include "ingest/pg_internal.h"

#include "core/buf.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CONNECT_TIMEOUT  "10"
#define MULTIDIM_MARK    "lakehouse: multidimensional array"
#define INTERVAL_MARK    "lakehouse: interval Parquet cannot hold in column "

/* Built-in type OIDs (pg_type.dat; stable across PostgreSQL versions). */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
    OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
    OID_INTERVAL = 1186, OID_TIMETZ = 1266, OID_NUMERIC = 1700, OID_UUID = 2950, OID_JSONB = 3802,
};

/* ---- messages ---- */

/* Append s with every occurrence of the password replaced by "***". */
static void scrub_into(lh_buf *out, const char *s, const char *password)
{
    size_t pl = password ? strlen(password) : 0;
    for (const char *p = s; *p;) {
        if (pl >= 1 && strncmp(p, password, pl) == 0) {
            lh_buf_puts(out, "***");
            p += pl;
        } else {
            lh_buf_putc(out, *p++);
        }
    }
}

/* libpq's or the server's text, trimmed, one line, without the password. */
static char *clean(const pull *p, const char *msg)
{
    lh_buf b = LH_BUF_INIT;
    scrub_into(&b, msg ? msg : "", p->password);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ')) b.data[--b.len] = '\0';
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n') b.data[i] = ' ';
    if (!b.data) lh_buf_puts(&b, "");
    return lh_buf_detach(&b);
}

const char *lh__pg_source_name(const pull *p)
{
    return p->src->table ? p->src->table : "the query";
}

/* Map a failed result (or a broken connection) to pg.h's codes. */
int lh__pg_server_error(pull *p, const PGresult *res, lh_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char *msg = clean(p, primary ? primary : PQerrorMessage(p->conn));
    int rc;
    if (PQstatus(p->conn) == CONNECTION_BAD || (state && (strncmp(state, "08", 2) == 0 ||
                                                          strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
                                                          strcmp(state, "57P03") == 0))) {
        rc = lh_err_set(err, LH_EUNAVAIL, "pg_connection_lost",
                        "the connection to PostgreSQL was lost while pulling %s: %s; run the pull again",
                        lh__pg_source_name(p), msg);
    } else if (!state) {
        rc = lh_err_set(err, LH_EINVAL, "pg_error", "PostgreSQL: %s", msg);
    } else if (strcmp(state, "42P01") == 0) {
        rc = lh_err_set(err, LH_ENOTFOUND, "pg_table_not_found", "PostgreSQL: %s (SQLSTATE 42P01)", msg);
    } else if (strcmp(state, "42703") == 0) {
        rc = lh_err_set(err, LH_ENOTFOUND, "pg_column_not_found", "PostgreSQL: %s (SQLSTATE 42703)", msg);
    } else if (strcmp(state, "57014") == 0 && p->src->timeout_ms > 0) {
        rc = lh_err_set(err, LH_ETIMEOUT, "pg_statement_timeout",
                        "PostgreSQL stopped pulling %s after timeout_ms=%" PRId64
                        " (statement_timeout); raise timeout_ms or pull fewer rows",
                        lh__pg_source_name(p), p->src->timeout_ms);
    } else if (strncmp(state, "28", 2) == 0) {
        rc = lh_err_set(err, LH_EPERM, "pg_auth_failed", "PostgreSQL refused the login: %s", msg);
    } else if (strcmp(state, "25006") == 0 || (strcmp(state, "0A000") == 0 && strstr(msg, "data-modifying"))) {
        rc = lh_err_set(err, LH_EINVAL, "invalid_source",
                        "the query must only read (it runs in a read-only transaction): %s", msg);
    } else if (strcmp(state, "22P02") == 0 && strstr(msg, MULTIDIM_MARK)) {
        size_t col = strtoul(strstr(msg, MULTIDIM_MARK) + strlen(MULTIDIM_MARK " c"), NULL, 10);
        rc = lh_err_set(err, LH_EINVAL, "invalid_source",
                        "column \"%s\" holds a multidimensional array; only one-dimensional arrays become a "
                        "LIST: pull it in a query with array_to_json(column) or flatten it",
                        col >= 1 && col <= p->n_cols ? p->cols[col - 1].name : "?");
    } else {
        rc = lh_err_set(err, LH_EINVAL, "pg_error", "PostgreSQL: %s (SQLSTATE %s)", msg, state);
    }
    free(msg);
    return rc;
}

/* ---- the source ---- */

/* Does the query start (after blanks, comments and parentheses) with a
 * keyword that begins a read? The server enforces it too (read-only
 * transaction, one statement); this gives the clearer message. */
static int looks_like_select(const char *q)
{
    for (;;) {
        while (isspace((unsigned char)*q) || *q == '(') q++;
        if (q[0] == '-' && q[1] == '-') {
            while (*q && *q != '\n') q++;
        } else if (q[0] == '/' && q[1] == '*') {
            const char *e = strstr(q + 2, "*/");
            if (!e) return 0;
            q = e + 2;
        } else {
            break;
        }
    }
    static const char *const words[] = {"select", "with", "values", "table"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncasecmp(q, words[i], n) == 0 && !isalnum((unsigned char)q[n]) && q[n] != '_') return 1;
    }
    return 0;
}

static int check_source(const lh_pg_source *s, lh_err *err)
{
    if (!s->dsn || !*s->dsn) return lh_err_set(err, LH_EINVAL, "invalid_dsn", "the PostgreSQL connection string is empty");
    int has_table = s->table && *s->table, has_query = s->query && *s->query;
    if (has_table == has_query)
        return lh_err_set(err, LH_EINVAL, "invalid_source", "give either a table or a query to pull (%s)",
                          has_table ? "both were given" : "neither was given");
    if (has_query && !looks_like_select(s->query))
        return lh_err_set(err, LH_EINVAL, "invalid_source",
                          "the query must be a SELECT (or WITH/VALUES/TABLE); it is run read-only");
    if (s->key_column && *s->key_column && s->updated_column && *s->updated_column)
        return lh_err_set(err, LH_EINVAL, "invalid_source",
                          "give key_column or updated_column for an incremental pull, not both");
    int has_key = (s->key_column && *s->key_column) || (s->updated_column && *s->updated_column);
    if (s->watermark && !has_key)
        return lh_err_set(err, LH_EINVAL, "invalid_source",
                          "a watermark needs the key_column or updated_column it was taken from");
    if (s->timeout_ms < 0) return lh_err_set(err, LH_EINVAL, "invalid_source", "timeout_ms must not be negative");
    if (s->max_rows < 0) return lh_err_set(err, LH_EINVAL, "invalid_source", "max_rows must not be negative");
    if (s->max_rows > 0 && !has_key)
        return lh_err_set(err, LH_EINVAL, "invalid_source",
                          "max_rows pulls one page in key order: it needs key_column or updated_column");
    return 0;
}

static const char *key_name(const lh_pg_source *s)
{
    if (s->key_column && *s->key_column) return s->key_column;
    if (s->updated_column && *s->updated_column) return s->updated_column;
    return NULL;
}

/* ---- connecting ---- */

static int is_auth_failure(const char *m)
{
    static const char *const pats[] = {
        "authentication failed", "no password supplied", "pg_hba.conf", "password is required",
        "SCRAM", "password authentication", "Kerberos", "GSSAPI", "certificate",
    };
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        if (strstr(m, pats[i])) return 1;
    return strstr(m, "role \"") && strstr(m, "does not exist");
}

/* Server NOTICEs (a user's query may RAISE them) are not ours to print:
 * libpq's default processor would write them to stderr. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int pg_connect(pull *p, lh_err *err)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(p->src->dsn, &perr);
    if (!opts) {
        PQfreemem(perr);
        lh_buf ignored = LH_BUF_INIT;
        int rc = lh_pg_dsn_redact(p->src->dsn, &ignored, err); /* the sanitised invalid_dsn */
        lh_buf_free(&ignored);
        return rc ? rc : lh_err_set(err, LH_EINVAL, "invalid_dsn", "the PostgreSQL connection string cannot be parsed");
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val) p->password = lh_xstrdup(o->val);
    PQconninfoFree(opts);

    /* Later entries win (libpq): the DSN's connect_timeout over the
     * default, our client_encoding over the DSN's. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL};
    const char *const vals[] = {CONNECT_TIMEOUT, "lakehouse", p->src->dsn, "UTF8", NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn) return lh_err_set(err, LH_ENOMEM, "pg_unreachable", "libpq could not allocate a connection");
    if (PQstatus(p->conn) != CONNECTION_OK) {
        char *msg = clean(p, PQerrorMessage(p->conn));
        int rc = is_auth_failure(msg)
                     ? lh_err_set(err, LH_EPERM, "pg_auth_failed",
                                  "PostgreSQL refused the login: %s; check the user and password in the DSN", msg)
                     : lh_err_set(err, LH_EUNAVAIL, "pg_unreachable",
                                  "cannot connect to PostgreSQL: %s; check host, port and that the server runs", msg);
        free(msg);
        return rc;
    }
    PQsetNoticeProcessor(p->conn, ignore_notice, NULL);
    return 0;
}

/* Run a command of our own (no user text inside) that returns no rows. */
static int pg_command(pull *p, const char *sql, lh_err *err)
{
    PGresult *r = PQexec(p->conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : lh__pg_server_error(p, r, err);
    PQclear(r);
    return rc;
}

/* One statement through the extended protocol (a single statement only:
 * no "; DROP ..." can ride along in user text). */
static PGresult *pg_query(pull *p, const char *sql, int n_params, const char *const *params)
{
    return PQexecParams(p->conn, sql, n_params, NULL, params, NULL, NULL, 0);
}

static int start_session(pull *p, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = postgres; "
                      "SET extra_float_digits = 1; SET bytea_output = hex; ");
    lh_buf_printf(&sql, "SET statement_timeout = %" PRId64 "; ", p->src->timeout_ms);
    lh_buf_puts(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    int rc = pg_command(p, sql.data, err);
    lh_buf_free(&sql);
    return rc;
}

/* ---- step 1: the columns ---- */

static int resolve_table(pull *p, lh_err *err)
{
    const char *params[1] = {p->src->table};
    PGresult *r = pg_query(p, "SELECT c.oid::regclass::text, c.reltuples::bigint FROM pg_catalog.pg_class c "
                              "WHERE c.oid = pg_catalog.to_regclass($1)", 1, params);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "42602") == 0) /* invalid_name */
            rc = lh_err_set(err, LH_EINVAL, "invalid_source", "\"%s\" is not a valid table name", p->src->table);
        else
            rc = lh__pg_server_error(p, r, err);
    } else if (PQntuples(r) == 0) {
        rc = lh_err_set(err, LH_ENOTFOUND, "pg_table_not_found",
                        "PostgreSQL has no table \"%s\" (on the search_path, or in the schema given); "
                        "check the name and the user's privileges", p->src->table);
    } else {
        lh_buf_puts(&p->from, PQgetvalue(r, 0, 0));
        p->estimated = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        if (p->estimated < 0) p->estimated = -1;
    }
    PQclear(r);
    return rc;
}

/* The query as a subquery: newlines so a trailing "-- comment" cannot
 * swallow the closing parenthesis, trailing semicolons dropped. */
static void query_from(lh_buf *from, const char *q)
{
    size_t n = strlen(q);
    while (n && (isspace((unsigned char)q[n - 1]) || q[n - 1] == ';')) n--;
    lh_buf_puts(from, "(\n");
    lh_buf_append(from, q, n);
    lh_buf_puts(from, "\n)");
}

static int probe_columns(pull *p, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_printf(&sql, "SELECT * FROM %s q LIMIT 0", p->from.data);
    PGresult *r = pg_query(p, sql.data, 0, NULL);
    lh_buf_free(&sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = lh__pg_server_error(p, r, err);
        PQclear(r);
        return rc;
    }
    p->n_cols = (size_t)PQnfields(r);
    if (p->n_cols == 0) {
        PQclear(r);
        return lh_err_set(err, LH_EINVAL, "invalid_source", "%s has no columns", lh__pg_source_name(p));
    }
    p->cols = lh_xcalloc(p->n_cols, sizeof *p->cols);
    for (size_t i = 0; i < p->n_cols; i++) {
        p->cols[i].name = lh_xstrdup(PQfname(r, (int)i));
        p->cols[i].type = PQftype(r, (int)i);
        p->cols[i].typmod = PQfmod(r, (int)i);
    }
    PQclear(r);

    p->key = -1;
    const char *k = key_name(p->src);
    if (k) {
        for (size_t i = 0; i < p->n_cols && p->key < 0; i++)
            if (strcmp(p->cols[i].name, k) == 0) p->key = (long)i;
        for (size_t i = 0; i < p->n_cols && p->key < 0; i++) /* an unquoted name folds to lower case */
            if (strcasecmp(p->cols[i].name, k) == 0) p->key = (long)i;
        if (p->key < 0)
            return lh_err_set(err, LH_ENOTFOUND, "pg_column_not_found", "%s has no column \"%s\" (the %s)",
                              lh__pg_source_name(p), k,
                              p->src->key_column && *p->src->key_column ? "key_column" : "updated_column");
    }
    return 0;
}

/* ---- step 2: the types ---- */

static int load_types(pull *p, lh_err *err)
{
    lh_buf oids = LH_BUF_INIT;
    lh_buf_putc(&oids, '{');
    for (size_t i = 0; i < p->n_cols; i++) lh_buf_printf(&oids, "%s%u", i ? "," : "", p->cols[i].type);
    lh_buf_putc(&oids, '}');
    const char *params[1] = {oids.data};
    PGresult *r = pg_query(
        p,
        "WITH RECURSIVE t(oid) AS (SELECT unnest($1::pg_catalog.oid[]) UNION "
        "  SELECT v.x FROM t JOIN pg_catalog.pg_type y ON y.oid = t.oid, "
        "  LATERAL (VALUES (y.typbasetype), (y.typelem)) v(x) WHERE v.x <> 0) "
        "SELECT y.oid, y.typtype, y.typcategory, y.typbasetype, y.typtypmod, y.typelem, "
        "  pg_catalog.format_type(y.oid, NULL) FROM t JOIN pg_catalog.pg_type y ON y.oid = t.oid",
        1, params);
    lh_buf_free(&oids);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = lh__pg_server_error(p, r, err);
        PQclear(r);
        return rc;
    }
    p->n_types = (size_t)PQntuples(r);
    p->types = lh_xcalloc(p->n_types ? p->n_types : 1, sizeof *p->types);
    for (size_t i = 0; i < p->n_types; i++) {
        pg_typerow *t = &p->types[i];
        t->oid = (Oid)strtoul(PQgetvalue(r, (int)i, 0), NULL, 10);
        t->typtype = PQgetvalue(r, (int)i, 1)[0];
        t->category = PQgetvalue(r, (int)i, 2)[0];
        t->basetype = (Oid)strtoul(PQgetvalue(r, (int)i, 3), NULL, 10);
        t->typmod = atoi(PQgetvalue(r, (int)i, 4));
        t->elem = (Oid)strtoul(PQgetvalue(r, (int)i, 5), NULL, 10);
        t->format = lh_xstrdup(PQgetvalue(r, (int)i, 6));
    }
    PQclear(r);
    return 0;
}

static const pg_typerow *type_row(const pull *p, Oid oid)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (p->types[i].oid == oid) return &p->types[i];
    return NULL;
}

/* Follow domains to their base type (a domain's own typmod wins). */
static const pg_typerow *base_of(const pull *p, Oid oid, int *typmod)
{
    const pg_typerow *t = type_row(p, oid);
    for (int depth = 0; t && t->typtype == 'd' && depth < 32; depth++) {
        if (t->typmod >= 0) *typmod = t->typmod;
        t = type_row(p, t->basetype);
    }
    return t;
}

static pg_kind scalar_kind(Oid oid, int typmod, int *prec, int *scale)
{
    switch (oid) {
    case OID_BOOL:        return PK_BOOLEAN;
    case OID_BYTEA:       return PK_BLOB;
    case OID_INT2:        return PK_SMALLINT;
    case OID_INT4:        return PK_INTEGER;
    case OID_INT8:        return PK_BIGINT;
    case OID_FLOAT4:      return PK_FLOAT;
    case OID_FLOAT8:      return PK_DOUBLE;
    case OID_JSON:
    case OID_JSONB:       return PK_JSON;
    case OID_DATE:        return PK_DATE;
    case OID_TIME:        return PK_TIME;
    case OID_TIMETZ:      return PK_TIMETZ;
    case OID_TIMESTAMP:   return PK_TIMESTAMP;
    case OID_TIMESTAMPTZ: return PK_TIMESTAMPTZ;
    case OID_INTERVAL:    return PK_INTERVAL;
    case OID_UUID:        return PK_UUID;
    case OID_NUMERIC:
        if (typmod >= 4) {
            /* PostgreSQL 15 packs numeric(p,s) as ((p << 16) | (s & 0x7ff)) + 4,
             * the scale sign-extended from 11 bits (it may be < 0 or > p). */
            int t = typmod - 4, p = (t >> 16) & 0xffff, s = ((t & 0x7ff) ^ 1024) - 1024;
            if (p >= 1 && p <= 38 && s >= 0 && s <= p) {
                *prec = p;
                *scale = s;
                return PK_DECIMAL;
            }
        }
        return PK_VARCHAR; /* exact text: no precision, > 38 digits, or a scale DuckDB lacks */
    default:              return PK_VARCHAR; /* text-likes, enums and anything else: their text */
    }
}

static void map_types(pull *p)
{
    for (size_t i = 0; i < p->n_cols; i++) {
        pg_col *c = &p->cols[i];
        int typmod = c->typmod;
        const pg_typerow *t = base_of(p, c->type, &typmod);
        Oid base = t ? t->oid : c->type;
        if (t && t->category == 'A' && t->elem != 0) {
            const pg_typerow *e = base_of(p, t->elem, &typmod);
            if (e && e->category == 'A' && e->elem != 0) { /* a domain over an array, inside an array */
                c->kind = PK_VARCHAR;
                continue;
            }
            c->is_list = 1;
            base = e ? e->oid : t->elem;
        }
        c->kind = scalar_kind(base, typmod, &c->prec, &c->scale);
        /* Types whose binary form is exactly their text (textsend,
         * enum_send, json_send): sent as they are. */
        const pg_typerow *bt = type_row(p, base);
        c->raw_text = base == OID_TEXT || base == OID_VARCHAR || base == OID_BPCHAR || base == OID_NAME ||
                      base == OID_JSON || (bt && bt->typtype == 'e');
        if (p->key == (long)i) {
            const pg_typerow *own = type_row(p, c->type);
            p->key_type = lh_xstrdup(own ? own->format : "text");
        }
    }
}

/* ---- step 3: the COPY ---- */

/* PostgreSQL side: the text for a value `x` of kind k. */
static void pg_scalar_expr(lh_buf *b, pg_kind k, const char *x)
{
    switch (k) {
    case PK_BLOB:
        lh_buf_printf(b, "pg_catalog.encode(%s, 'hex')", x);
        break;
    case PK_INTERVAL:
        /* months, days, microseconds: the interval's three fields */
        lh_buf_printf(b,
                      "((pg_catalog.date_part('year', %s) * 12 + pg_catalog.date_part('month', %s))::int8::text"
                      " || ' ' || pg_catalog.date_part('day', %s)::int8::text || ' ' || "
                      "(EXTRACT(epoch FROM %s - pg_catalog.date_trunc('day', %s)) * 1000000)::int8::text)",
                      x, x, x, x, x);
        break;
    case PK_TIMETZ:
        /* Parquet's TIME has no offset (DuckDB 1.4.4 writes the local time
         * and drops it): send the same instant in UTC. */
        lh_buf_printf(b, "(%s AT TIME ZONE 'UTC')::text", x);
        break;
    default:
        lh_buf_printf(b, "%s::text", x);
        break;
    }
}

int lh__pg_native(const pg_col *c)
{
    if (c->is_list) return 0;
    switch (c->kind) {
    case PK_SMALLINT: case PK_INTEGER: case PK_BIGINT: case PK_FLOAT: case PK_DOUBLE: case PK_DECIMAL:
    case PK_BOOLEAN: case PK_DATE: case PK_TIMESTAMP: case PK_TIMESTAMPTZ: case PK_BLOB:
        return 1;
    default:
        return 0;
    }
}

/* The value of column i as the binary COPY sends it: native columns in
 * their own binary form (pg_stream.c decodes them), everything else as
 * text. That text must be what COPY's text format would print, i.e. the
 * type's output function: a plain ::text cast is not always that (it trims
 * char(n), adds inet's /32), so types without a text-shaped binary form go
 * through format('%s'), which calls the output function. */
static void pg_column_expr(lh_buf *b, const pg_col *c, size_t i)
{
    char x[32];
    snprintf(x, sizeof x, "q.c%zu", i + 1);
    if (!c->is_list) {
        if (lh__pg_native(c) || c->raw_text)
            lh_buf_puts(b, x);
        else if (c->kind == PK_INTERVAL || c->kind == PK_TIMETZ)
            pg_scalar_expr(b, c->kind, x);
        else if (c->kind == PK_TIME || c->kind == PK_UUID || c->kind == PK_JSON)
            lh_buf_printf(b, "%s::text", x); /* I/O conversion casts: the output function */
        else
            lh_buf_printf(b, "CASE WHEN %s IS NULL THEN NULL ELSE pg_catalog.format('%%s', %s) END", x, x);
        return;
    }
    /* More than one dimension: a cast that fails on purpose, naming the
     * column by position (array_ndims(x) keeps it from being folded). */
    lh_buf_printf(b, "CASE WHEN %s IS NULL THEN NULL WHEN pg_catalog.array_ndims(%s) > 1 THEN "
                     "pg_catalog.concat('" MULTIDIM_MARK " c%zu/', pg_catalog.array_ndims(%s))::int::text "
                     "ELSE (SELECT COALESCE(pg_catalog.json_agg(", x, x, i + 1, x);
    pg_scalar_expr(b, c->kind, "u.e");
    lh_buf_printf(b, " ORDER BY u.o), '[]') FROM pg_catalog.unnest(%s) WITH ORDINALITY AS u(e, o))::text END", x);
}

/* "<lead> q.ck <op> '<text>'::<key type>": a key's PostgreSQL text read
 * back as the key's type, so the comparison is the type's own. */
static void key_compare(pull *p, lh_buf *sql, const char *lead, const char *op, const char *text)
{
    char *lit = PQescapeLiteral(p->conn, text, strlen(text));
    lh_buf_printf(sql, "%s q.c%ld %s %s::%s", lead, p->key + 1, op, lit ? lit : "NULL", p->key_type);
    PQfreemem(lit);
}

/* " FROM <source> q(c1..cn)" (our own names for the columns, so a user's
 * names never meet our SQL) and, past a watermark (or past the NULL keys
 * an earlier pull took when every key it saw was NULL), the WHERE that
 * skips what earlier pulls took. Whether a WHERE was written is returned. */
static int from_past_watermark(pull *p, lh_buf *sql)
{
    lh_buf_printf(sql, " FROM %s q(", p->from.data);
    for (size_t i = 0; i < p->n_cols; i++) lh_buf_printf(sql, "%sc%zu", i ? ", " : "", i + 1);
    lh_buf_putc(sql, ')');
    if (p->key < 0) return 0;
    if (p->src->watermark) key_compare(p, sql, " WHERE", ">", p->src->watermark); /* NULLs fail ">" too */
    else if (p->src->nulls_taken) lh_buf_printf(sql, " WHERE q.c%ld IS NOT NULL", p->key + 1);
    else return 0;
    return 1;
}

/* max_rows: where this page ends. The page is every row past the
 * watermark up to and including the key of the max_rows-th one in key
 * order, so rows of equal key are never split between pages (the next
 * page starts past that key); rows whose key is NULL come with the first
 * page only (a later page's WHERE skips them). Both this probe and the
 * COPY read only the page's rows when the key is indexed: a table taken
 * page by page costs its rows once, not the quadratic cost of OFFSET
 * paging. Runs in the pull's snapshot, as does the check for more. */
static int find_page_end(pull *p, lh_err *err)
{
    lh_buf sql = LH_BUF_INIT;
    lh_buf_printf(&sql, "SELECT q.c%ld::text", p->key + 1);
    int where = from_past_watermark(p, &sql); /* a WHERE written there already skips NULL keys */
    if (!where) lh_buf_printf(&sql, " WHERE q.c%ld IS NOT NULL", p->key + 1);
    lh_buf_printf(&sql, " ORDER BY q.c%ld OFFSET %" PRId64 " LIMIT 1", p->key + 1, p->src->max_rows - 1);
    PGresult *r = pg_query(p, sql.data, 0, NULL);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = lh__pg_server_error(p, r, err);
    else if (PQntuples(r) == 1) p->cutoff = lh_xstrdup(PQgetvalue(r, 0, 0));
    if (p->cutoff && (p->estimated < 0 || p->estimated > p->src->max_rows))
        p->estimated = p->src->max_rows; /* the job's ETA is for this page */
    PQclear(r);
    if (rc || !p->cutoff) { /* fewer rows than a page remain: no cut */
        lh_buf_free(&sql);
        return rc;
    }
    lh_buf_reset(&sql);
    lh_buf_puts(&sql, "SELECT EXISTS (SELECT 1");
    from_past_watermark(p, &sql);
    key_compare(p, &sql, where ? " AND" : " WHERE", ">", p->cutoff);
    lh_buf_putc(&sql, ')');
    r = pg_query(p, sql.data, 0, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = lh__pg_server_error(p, r, err);
    else p->more = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    lh_buf_free(&sql);
    return rc;
}

static void build_copy(pull *p, lh_buf *sql)
{
    lh_buf_puts(sql, "COPY (SELECT ");
    if (p->key >= 0) lh_buf_printf(sql, "q.c%ld::text, ", p->key + 1);
    for (size_t i = 0; i < p->n_cols; i++) {
        if (i) lh_buf_puts(sql, ", ");
        pg_column_expr(sql, &p->cols[i], i);
    }
    /* The page's upper bound. Past a watermark (a WHERE that already
     * skips NULL keys) it is a plain range bound, so an index scan stops
     * at the page's end instead of filtering every later row; only a
     * first page also takes the NULL keys. */
    if (from_past_watermark(p, sql)) {
        if (p->cutoff) key_compare(p, sql, " AND", "<=", p->cutoff);
    } else if (p->cutoff) {
        lh_buf_printf(sql, " WHERE (q.c%ld IS NULL OR", p->key + 1);
        key_compare(p, sql, "", "<=", p->cutoff);
        lh_buf_putc(sql, ')');
    }
    if (p->key >= 0) lh_buf_printf(sql, " ORDER BY q.c%ld NULLS FIRST", p->key + 1);
    lh_buf_puts(sql, ") TO STDOUT WITH (FORMAT binary)");
}

/* ---- step 4: DuckDB ---- */

/* DuckDB side: the value of kind k from its PostgreSQL text `v`. */
static void duck_scalar_expr(lh_buf *b, const pg_col *c, const char *v)
{
    switch (c->kind) {
    case PK_VARCHAR:  lh_buf_puts(b, v); break;
    case PK_SMALLINT: lh_buf_printf(b, "CAST(%s AS SMALLINT)", v); break;
    case PK_INTEGER:  lh_buf_printf(b, "CAST(%s AS INTEGER)", v); break;
    case PK_BIGINT:   lh_buf_printf(b, "CAST(%s AS BIGINT)", v); break;
    case PK_FLOAT:    lh_buf_printf(b, "CAST(%s AS FLOAT)", v); break;
    case PK_DOUBLE:   lh_buf_printf(b, "CAST(%s AS DOUBLE)", v); break;
    case PK_DECIMAL:  lh_buf_printf(b, "CAST(%s AS DECIMAL(%d,%d))", v, c->prec, c->scale); break;
    case PK_BOOLEAN:  lh_buf_printf(b, "CAST(%s AS BOOLEAN)", v); break;
    case PK_TIME:     lh_buf_printf(b, "CAST(%s AS TIME)", v); break;
    case PK_TIMETZ:   lh_buf_printf(b, "CAST(%s AS TIMETZ)", v); break;
    case PK_UUID:     lh_buf_printf(b, "CAST(%s AS UUID)", v); break;
    case PK_JSON:     lh_buf_printf(b, "CAST(%s AS JSON)", v); break;
    case PK_BLOB:     lh_buf_printf(b, "unhex(%s)", v); break;
    case PK_DATE:
        lh_buf_printf(b, "CASE WHEN ends_with(%s, ' BC') THEN CAST(left(%s, length(%s) - 3) || ' (BC)' AS DATE) "
                         "ELSE CAST(%s AS DATE) END", v, v, v, v);
        break;
    case PK_TIMESTAMP:
        lh_buf_printf(b, "CASE WHEN ends_with(%s, ' BC') THEN CAST(split_part(%s, ' ', 1) || ' (BC)' AS DATE) + "
                         "CAST(split_part(%s, ' ', 2) AS TIME) ELSE CAST(%s AS TIMESTAMP) END", v, v, v, v);
        break;
    case PK_TIMESTAMPTZ: /* the session is UTC: a BC value reads "... 12:00:00+00 BC" */
        lh_buf_printf(b, "CASE WHEN ends_with(%s, ' BC') THEN CAST(CAST(split_part(%s, ' ', 1) || ' (BC)' AS DATE) + "
                         "CAST(split_part(split_part(%s, ' ', 2), '+', 1) AS TIME) AS TIMESTAMPTZ) "
                         "ELSE CAST(%s AS TIMESTAMPTZ) END", v, v, v, v);
        break;
    case PK_INTERVAL: {
        /* Parquet's INTERVAL is three unsigned 32-bit fields: months, days,
         * milliseconds. DuckDB refuses a negative one, but silently drops
         * sub-millisecond digits and wraps a time part of 2^32 ms (about
         * 1193 hours): refuse all three here, naming the column. */
        lh_buf msg = LH_BUF_INIT;
        lh_buf_printf(&msg, INTERVAL_MARK "%s", c->name);
        lh_buf_printf(b, "CASE WHEN starts_with(%s, '-') OR contains(%s, ' -') OR "
                         "CAST(split_part(%s, ' ', 3) AS BIGINT) %% 1000 <> 0 OR "
                         "CAST(split_part(%s, ' ', 3) AS BIGINT) >= 4294967296000 THEN error(", v, v, v, v);
        lh_sql_quote_literal(b, msg.data);
        lh_buf_printf(b, ") ELSE to_months(CAST(split_part(%s, ' ', 1) AS INTEGER)) + to_days(CAST(split_part(%s, ' ', 2) "
                         "AS INTEGER)) + to_microseconds(CAST(split_part(%s, ' ', 3) AS BIGINT)) END", v, v, v);
        lh_buf_free(&msg);
        break;
    }
    }
}

static void duck_column_expr(lh_buf *b, const pg_col *c, size_t i)
{
    char v[32];
    snprintf(v, sizeof v, "c%zu", i + 1);
    if (lh__pg_native(c)) { /* already typed by the feed */
        lh_buf_puts(b, v);
        return;
    }
    if (!c->is_list) {
        duck_scalar_expr(b, c, v);
        return;
    }
    lh_buf_printf(b, "list_transform(CAST(CAST(%s AS JSON) AS VARCHAR[]), lambda x: ", v);
    duck_scalar_expr(b, c, "x");
    lh_buf_putc(b, ')');
}

/* Parquet column names: PostgreSQL's, made unique as DuckDB sees them
 * (case-insensitively) by suffixing _2, _3, ... */
static void name_outputs(pull *p)
{
    for (size_t i = 0; i < p->n_cols; i++) {
        lh_buf n = LH_BUF_INIT;
        lh_buf_puts(&n, p->cols[i].name);
        for (int k = 2;; k++) {
            int clash = 0;
            for (size_t j = 0; j < i && !clash; j++) clash = strcasecmp(p->cols[j].out_name, n.data) == 0;
            if (!clash) break;
            lh_buf_reset(&n);
            lh_buf_printf(&n, "%s_%d", p->cols[i].name, k);
        }
        p->cols[i].out_name = lh_buf_detach(&n);
    }
}

/* The SELECT DuckDB runs over the feed, up to its FROM target. */
static void duck_select_head(pull *p, lh_buf *sql)
{
    lh_buf_puts(sql, "SELECT ");
    for (size_t i = 0; i < p->n_cols; i++) {
        if (i) lh_buf_puts(sql, ", ");
        duck_column_expr(sql, &p->cols[i], i);
        lh_buf_puts(sql, " AS ");
        lh_sql_quote_ident(sql, p->cols[i].out_name);
    }
    lh_buf_puts(sql, " FROM ");
}

/* A failure of DuckDB's own (a conversion in the SELECT) as pg.h's codes. */
static int engine_error(pull *p, const lh_err *e, lh_err *err)
{
    const char *iv = strstr(e->msg, INTERVAL_MARK);
    if (iv) {
        lh_buf name = LH_BUF_INIT;
        for (const char *s = iv + strlen(INTERVAL_MARK); *s && *s != '\n'; s++) lh_buf_putc(&name, *s);
        int rc = lh_err_set(err, LH_EINVAL, "invalid_source",
                            "column \"%s\" of %s holds an interval Parquet's INTERVAL cannot store (a negative "
                            "interval, one finer than a millisecond, or a time part of 1193 hours or more); pull it "
                            "in a query as extract(epoch FROM column) or column::text",
                            name.data ? name.data : "?", lh__pg_source_name(p));
        lh_buf_free(&name);
        return rc;
    }
    if (strstr(e->msg, "Conversion Error"))
        return lh_err_set(err, LH_EINVAL, "invalid_source",
                          "a value of %s has no equivalent in the Parquet type its column maps to (a time or "
                          "value outside DuckDB's range): %s", lh__pg_source_name(p), e->msg);
    return lh_err_set(err, e->status, e->code, "converting the rows pulled from %s: %s", lh__pg_source_name(p),
                      e->msg);
}

/* ---- the pull ---- */

static void pull_free(pull *p)
{
    if (p->conn) PQfinish(p->conn);
    free(p->password);
    lh_buf_free(&p->from);
    for (size_t i = 0; i < p->n_cols; i++) {
        free(p->cols[i].name);
        free(p->cols[i].out_name);
    }
    free(p->cols);
    for (size_t i = 0; i < p->n_types; i++) free(p->types[i].format);
    free(p->types);
    free(p->key_type);
    free(p->cutoff);
}

int lh_pg_pull(lh_engine_conn *c, const lh_pg_source *src, const char *out_parquet, lh_pg_progress progress,
               void *ctx, lh_pg_result *out, lh_err *err)
{
    assert(c && src && out_parquet && out);
    memset(out, 0, sizeof *out);
    out->estimated_rows = -1;
    int rc = check_source(src, err);
    if (rc) return rc;

    pull p = {.src = src, .key = -1, .estimated = -1};
    pg_stream_out so = {.last_key = LH_BUF_INIT};
    lh_buf copy = LH_BUF_INIT, head = LH_BUF_INIT;

    if ((rc = pg_connect(&p, err)) || (rc = start_session(&p, err))) goto done;
    if (src->table && *src->table) {
        if ((rc = resolve_table(&p, err))) goto done;
    } else {
        query_from(&p.from, src->query);
    }
    if ((rc = probe_columns(&p, err)) || (rc = load_types(&p, err))) goto done;
    map_types(&p);
    if (src->max_rows > 0 && (rc = find_page_end(&p, err))) goto done;
    name_outputs(&p);
    build_copy(&p, &copy);
    duck_select_head(&p, &head);

    lh_err e;
    rc = lh__pg_stream(&p, c, copy.data, head.data, out_parquet, src->row_group_rows, progress, ctx, &so, &e);
    if (rc) {
        if (so.engine_failed) rc = engine_error(&p, &e, err);
        else *err = e;
        goto done;
    }
    PQclear(PQexec(p.conn, "COMMIT"));
    PQfinish(p.conn);
    p.conn = NULL;

    if (so.written != so.streamed) {
        rc = lh_err_set(err, LH_EINTERNAL, "ingest_failed",
                        "PostgreSQL sent %" PRId64 " rows of %s but %" PRId64 " reached the Parquet file",
                        so.streamed, lh__pg_source_name(&p), so.written);
        goto done;
    }
    lh_parquet_info info = {0};
    if ((rc = lh_parquet_footer(c, out_parquet, &info, err))) goto done;
    out->rows = so.written;
    out->cols = info.cols;
    out->n_cols = info.n_cols;
    info.cols = NULL;
    info.n_cols = 0;
    lh_parquet_info_free(&info);
    out->estimated_rows = p.estimated;
    out->more = p.more;
    if (so.have_key)
        out->watermark = lh_xstrdup(so.last_key.data ? so.last_key.data : "");
    else if (src->watermark)
        out->watermark = lh_xstrdup(src->watermark);

done:
    if (rc) unlink(out_parquet);
    lh_buf_free(&copy);
    lh_buf_free(&head);
    lh_buf_free(&so.last_key);
    pull_free(&p);
    return rc;
}

void lh_pg_result_free(lh_pg_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_cols; i++) {
        free(r->cols[i].name);
        free(r->cols[i].type);
    }
    free(r->cols);
    free(r->watermark);
    memset(r, 0, sizeof *r);
    r->estimated_rows = -1;
}

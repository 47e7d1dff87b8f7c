/* tests/unit/test_demo_gen.c — the staffing demo dataset generator
 * (cli/demo_gen.c).
 *
 * The generator's promises, checked from the outside by reading the CSV
 * back with a strict RFC 4180 reader written here (not the generator's own
 * code): exact row counts, byte-identical output for a seed, every record
 * as wide as its header and quoted only when it must be, ids 1..N, every
 * foreign key resolving, placements agreeing with their submissions,
 * timesheets on Sundays after the start, markups in range, the documented
 * messy values where documented, events in a sensible time order — at
 * scale 0.01 and at a sweep of tiny scales where rounding bites. Plus the
 * refusals: bad scales, missing or non-directory output, a write failure.
 */
#include "cli/demo_gen.h"
#include "testing.h"

#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_tmp[64];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* A fresh directory under the test's temp dir. */
static const char *subdir(const char *name)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", g_tmp, name);
    mkdir(p, 0755);
    return p;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    size_t got = fread(data, 1, (size_t)n, f);
    fclose(f);
    data[got] = '\0';
    *len = got;
    return data;
}

/* ---- a strict RFC 4180 reader ------------------------------------------ */

typedef struct table {
    char   *blob;         /* the file, unescaped in place */
    size_t  bytes;
    char  **hdr;
    size_t  ncols, nrows;
    char  **cells;        /* nrows x ncols */
    char    bad[600];     /* first violation, "" if none */
} table;

static void bad(table *t, size_t rec, const char *why)
{
    if (!t->bad[0]) snprintf(t->bad, sizeof t->bad, "record %zu: %s", rec, why);
}

/* Split blob into records of fields. Refuses (records in t->bad): a quote
 * inside an unquoted field, CR anywhere outside quotes, junk after a
 * closing quote, an unterminated quote, a missing final newline, a record
 * of the wrong width, and quoting a field that did not need it. */
static void parse(table *t)
{
    char *p = t->blob, *end = t->blob + t->bytes;
    char **fields = NULL;
    size_t nf_total = 0, cap = 0, rec = 0;
    while (p < end && !t->bad[0]) {
        size_t nf = 0;
        for (;;) {
            char *start = p, *out = p;
            if (p < end && *p == '"') {
                int special = 0;
                p++;
                for (;;) {
                    if (p >= end) { bad(t, rec, "unterminated quoted field"); goto done; }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') { *out++ = '"'; p += 2; special = 1; continue; }
                        p++;
                        break;
                    }
                    if (*p == ',' || *p == '\n' || *p == '\r') special = 1;
                    *out++ = *p++;
                }
                if (!special) bad(t, rec, "field quoted without need");
                if (p >= end || (*p != ',' && *p != '\n')) { bad(t, rec, "junk after closing quote"); goto done; }
            } else {
                while (p < end && *p != ',' && *p != '\n') {
                    if (*p == '"') bad(t, rec, "quote inside an unquoted field");
                    if (*p == '\r') bad(t, rec, "CR in an unquoted field");
                    p++;
                }
                out = p;
                if (p >= end) { bad(t, rec, "no newline after the last record"); goto done; }
            }
            char delim = *p;
            *out = '\0';
            p++;
            if (nf_total == cap) {
                cap = cap ? cap * 2 : 1024;
                fields = realloc(fields, cap * sizeof *fields);
            }
            fields[nf_total++] = start;
            nf++;
            if (delim == '\n') break;
        }
        if (rec == 0) t->ncols = nf;
        else if (nf != t->ncols) bad(t, rec, "wrong number of fields");
        rec++;
    }
done:
    if (t->bad[0] || rec == 0) {
        free(fields);
        return;
    }
    t->hdr = fields;
    t->cells = fields + t->ncols;
    t->nrows = rec - 1;
}

static int load(table *t, const char *dir, const char *name)
{
    memset(t, 0, sizeof *t);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    t->blob = read_file(path, &t->bytes);
    if (!t->blob) {
        snprintf(t->bad, sizeof t->bad, "cannot read %s", path);
        return -1;
    }
    parse(t);
    return t->bad[0] ? -1 : 0;
}

static void unload(table *t)
{
    free(t->hdr);
    free(t->blob);
    memset(t, 0, sizeof *t);
}

static size_t col(const table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->hdr[i], name)) return i;
    fprintf(stderr, "no column %s\n", name);
    return 0;
}

static const char *cell(const table *t, size_t row, size_t c)
{
    return t->cells[row * t->ncols + c];
}

/* ---- value checks --------------------------------------------------- */

static int parse_uint(const char *s, uint64_t *v)
{
    if (!*s) return 0;
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return 1;
}

/* "1234.56" -> 123456 */
static int parse_cents(const char *s, uint64_t *v)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || strlen(dot) != 3) return 0;
    uint64_t whole = 0;
    for (const char *p = s; p < dot; p++) {
        if (*p < '0' || *p > '9') return 0;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (dot[1] < '0' || dot[1] > '9' || dot[2] < '0' || dot[2] > '9') return 0;
    *v = whole * 100 + (uint64_t)(dot[1] - '0') * 10 + (uint64_t)(dot[2] - '0');
    return 1;
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

/* A real calendar date YYYY-MM-DD within 2021-01-01..2026-06-30; returns
 * days since 1970-01-01 or -1. */
static int64_t parse_date(const char *s)
{
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = atoi(s);
    unsigned m = (unsigned)atoi(s + 5), d = (unsigned)atoi(s + 8);
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return -1;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return -1;
    int64_t z = days_from_civil(y, m, d);
    if (z < days_from_civil(2021, 1, 1) || z > days_from_civil(2026, 6, 30)) return -1;
    return z;
}

static int64_t parse_day_only(const char *s)
{
    return strlen(s) == 10 ? parse_date(s) : -1;
}

/* "YYYY-MM-DD HH:MM:SS" in range; returns the day or -1. */
static int64_t parse_ts(const char *s)
{
    if (strlen(s) != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':') return -1;
    for (int i = 11; i < 19; i++)
        if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9')) return -1;
    if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 59) return -1;
    char d[11];
    memcpy(d, s, 10);
    d[10] = '\0';
    return parse_date(d);
}

static int is_sunday(int64_t z)
{
    return ((z % 7) + 7 + 4) % 7 == 0;   /* 1970-01-01 was a Thursday */
}

static int in_set(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set)) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int sp = *s == ' ' || *s == '\n';
        if (!sp && !in) n++;
        in = !sp;
    }
    return n;
}

static size_t count_paragraphs(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        if (*s == '\n') in = 0;
        else if (!in) { n++; in = 1; }
    }
    return n;
}

static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || p + len > e || (len == 2 && c < 0xC2)) return 0;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += len;
    }
    return 1;
}

/* ---- the whole-dataset check ------------------------------------------ */

static const char *const expected_headers[7] = {
    "candidate_id,first_name,last_name,email,phone,city,state,skills,years_experience,"
    "desired_rate,status,created_at,resume_text",
    "client_id,name,industry,city,state,account_manager,created_at",
    "contact_id,client_id,first_name,last_name,title,email,phone",
    "job_order_id,client_id,contact_id,title,required_skills,city,state,pay_rate,bill_rate,"
    "openings,status,opened_at,closed_at",
    "submission_id,job_order_id,candidate_id,submitted_at,stage,recruiter,notes",
    "placement_id,submission_id,job_order_id,candidate_id,start_date,end_date,pay_rate,"
    "bill_rate,status",
    "timesheet_id,placement_id,week_ending,regular_hours,overtime_hours,approved,approved_at",
};

static uint64_t id_at(const table *t, size_t row, size_t c)
{
    uint64_t v = 0;
    return parse_uint(cell(t, row, c), &v) ? v : 0;
}

/* Markup (bill - pay) / pay within [20%, 60%], bill > pay. */
static int markup_ok(uint64_t pay, uint64_t bill)
{
    return bill > pay && bill * 100 >= pay * 120 && bill * 100 <= pay * 160;
}

/* Check every documented property of the dataset in dir. `full` adds the
 * checks that need enough rows to be meaningful (messy ids, every stage). */
static void check_dataset(const char *dir, double scale, const lh_demo_result *res, int full)
{
    uint64_t n[7];
    CHECK(lh_demo_row_counts(scale, n) > 0);
    table t[7];
    for (size_t i = 0; i < 7; i++) {
        int rc = load(&t[i], dir, lh_demo_table_name(i));
        CHECK_MSG(rc == 0, "%s.csv: %s", lh_demo_table_name(i), t[i].bad);
        if (rc) {
            for (size_t k = 0; k <= i; k++) unload(&t[k]);
            return;
        }
        CHECK_MSG(t[i].nrows == n[i], "%s: %zu rows, want %llu", lh_demo_table_name(i), t[i].nrows,
                  (unsigned long long)n[i]);
        CHECK(valid_utf8(t[i].blob, t[i].bytes));
        if (res) {
            CHECK_INT(res->tables[i].rows, n[i]);
            CHECK_INT(res->tables[i].bytes, t[i].bytes);
            CHECK_STR(res->tables[i].name, lh_demo_table_name(i));
        }
        /* The header, rebuilt from the parsed names. */
        char hdr[512] = "";
        for (size_t k = 0; k < t[i].ncols; k++) {
            if (k) strcat(hdr, ",");
            strcat(hdr, t[i].hdr[k]);
        }
        CHECK_STR(hdr, expected_headers[i]);
        /* ids are 1..N in file order */
        size_t bad_ids = 0;
        for (size_t r = 0; r < t[i].nrows; r++) bad_ids += id_at(&t[i], r, 0) != r + 1;
        CHECK_MSG(bad_ids == 0, "%s: %zu ids out of sequence", lh_demo_table_name(i), bad_ids);
    }
    if (t[0].nrows != n[0] || t[4].nrows != n[4] || t[5].nrows != n[5]) goto out;

    table *cand = &t[0], *cli = &t[1], *con = &t[2], *job = &t[3], *sub = &t[4], *pl = &t[5],
          *ts = &t[6];
    static const char *const cand_status[] = {"active", "placed", "inactive", NULL};
    static const char *const job_status[] = {"open", "filled", "closed", "on_hold", NULL};
    static const char *const stages[] = {"submitted", "interview", "offer", "rejected", "withdrawn",
                                         "placed", NULL};
    static const char *const pl_status[] = {"active", "completed", "terminated", NULL};
    size_t errs = 0;
#define ERR(cond, ...) do { if (!(cond)) { if (errs++ < 5) { fprintf(stderr, "  " __VA_ARGS__); \
    fputc('\n', stderr); } } } while (0)

    /* candidates */
    size_t c_email = col(cand, "email"), c_phone = col(cand, "phone"), c_skills = col(cand, "skills"),
           c_years = col(cand, "years_experience"), c_rate = col(cand, "desired_rate"),
           c_status = col(cand, "status"), c_created = col(cand, "created_at"),
           c_resume = col(cand, "resume_text"), c_state = col(cand, "state");
    const char **emails = calloc(cand->nrows, sizeof *emails);
    size_t quoted_resumes = 0, chicago = 0, with_quote = 0;
    for (size_t r = 0; r < cand->nrows; r++) {
        uint64_t id = r + 1, v;
        const char *e = cell(cand, r, c_email);
        emails[r] = e;
        const char *at = strchr(e, '@');
        int ok = at && at > e;
        for (const char *p = e; *p && ok; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(".-_@", *p);
        ERR(ok, "candidate %llu: email \"%s\" is not lower-case ASCII", (unsigned long long)id, e);
        if (ok) {   /* the digits before '@' are the id */
            const char *d = at;
            while (d > e && d[-1] >= '0' && d[-1] <= '9') d--;
            ERR(strtoull(d, NULL, 10) == id, "candidate %llu: email %s lacks its id",
                (unsigned long long)id, e);
        }
        const char *ph = cell(cand, r, c_phone);
        if (id % 101 == 7) ERR(!strcmp(ph, "N/A"), "candidate %llu: phone %s, want N/A", (unsigned long long)id, ph);
        else if (id % 103 == 13) ERR(!*ph, "candidate %llu: phone %s, want empty", (unsigned long long)id, ph);
        else if (id % 53 == 21) ERR(strlen(ph) == 14 && ph[0] == '(' && !strncmp(ph + 5, " 555-01", 7),
                                    "candidate %llu: phone %s, want (AAA) 555-01XX", (unsigned long long)id, ph);
        else ERR(strlen(ph) == 15 && !strncmp(ph, "+1-", 3) && !strncmp(ph + 6, "-555-01", 7),
                 "candidate %llu: phone %s", (unsigned long long)id, ph);
        chicago += !strcmp(cell(cand, r, col(cand, "city")), "Chicago");
        ERR(strlen(cell(cand, r, c_state)) == 2, "candidate %llu: state", (unsigned long long)id);

        /* skills: 3-8 distinct */
        char sk[512];
        snprintf(sk, sizeof sk, "%s", cell(cand, r, c_skills));
        const char *list[16];
        size_t nsk = 0;
        for (char *s = strtok(sk, ";"); s && nsk < 16; s = strtok(NULL, ";")) list[nsk++] = s;
        int distinct = 1;
        for (size_t a = 0; a < nsk; a++)
            for (size_t b = a + 1; b < nsk; b++) distinct &= strcmp(list[a], list[b]) != 0;
        ERR(nsk >= 3 && nsk <= 8 && distinct, "candidate %llu: skills \"%s\"", (unsigned long long)id,
            cell(cand, r, c_skills));

        ERR(parse_uint(cell(cand, r, c_years), &v) && v <= 35, "candidate %llu: years %s",
            (unsigned long long)id, cell(cand, r, c_years));
        const char *rate = cell(cand, r, c_rate);
        if (id % 67 == 29) ERR(!*rate, "candidate %llu: desired_rate %s, want empty", (unsigned long long)id, rate);
        else ERR(parse_cents(rate, &v) && v >= 1000 && v < 20000, "candidate %llu: desired_rate %s",
                 (unsigned long long)id, rate);
        ERR(in_set(cell(cand, r, c_status), cand_status), "candidate %llu: status", (unsigned long long)id);
        ERR(parse_ts(cell(cand, r, c_created)) >= 0, "candidate %llu: created_at %s",
            (unsigned long long)id, cell(cand, r, c_created));

        const char *cv = cell(cand, r, c_resume);
        size_t words = count_words(cv), paras = count_paragraphs(cv);
        ERR(words >= 80 && words <= 250, "candidate %llu: resume has %zu words", (unsigned long long)id, words);
        ERR(paras >= 2 && paras <= 4, "candidate %llu: resume has %zu paragraphs", (unsigned long long)id, paras);
        quoted_resumes += strchr(cv, '\n') != NULL;
        with_quote += strchr(cv, '"') != NULL;
    }
    qsort(emails, cand->nrows, sizeof *emails, cmp_str);
    size_t dup = 0;
    for (size_t r = 1; r < cand->nrows; r++) dup += !strcmp(emails[r - 1], emails[r]);
    CHECK_MSG(dup == 0, "%zu duplicate candidate e-mails", dup);
    free(emails);
    CHECK_INT(quoted_resumes, cand->nrows);
    if (full) {
        CHECK_MSG(with_quote > 0, "no resume exercises quote doubling");
        CHECK_MSG(chicago * 20 > cand->nrows, "Chicago is only %zu of %zu candidates", chicago, cand->nrows);
    }

    /* clients */
    for (size_t r = 0; r < cli->nrows; r++) {
        ERR(*cell(cli, r, col(cli, "name")) && *cell(cli, r, col(cli, "industry")), "client %zu: name", r + 1);
        ERR(parse_ts(cell(cli, r, col(cli, "created_at"))) >= 0, "client %zu: created_at", r + 1);
    }

    /* contacts */
    size_t k_client = col(con, "client_id"), k_phone = col(con, "phone");
    for (size_t r = 0; r < con->nrows; r++) {
        uint64_t cl = id_at(con, r, k_client);
        ERR(cl >= 1 && cl <= cli->nrows, "contact %zu: client_id %llu", r + 1, (unsigned long long)cl);
        const char *ph = cell(con, r, k_phone);
        ERR(((r + 1) % 11 == 4) == (strstr(ph, " x") != NULL), "contact %zu: phone %s", r + 1, ph);
        ERR(strchr(cell(con, r, col(con, "email")), '@') != NULL, "contact %zu: email", r + 1);
    }

    /* job orders */
    size_t j_client = col(job, "client_id"), j_contact = col(job, "contact_id"), j_pay = col(job, "pay_rate"),
           j_bill = col(job, "bill_rate"), j_open = col(job, "openings"), j_status = col(job, "status"),
           j_opened = col(job, "opened_at"), j_closed = col(job, "closed_at");
    for (size_t r = 0; r < job->nrows; r++) {
        uint64_t cl = id_at(job, r, j_client), ct = id_at(job, r, j_contact), pay, bill, open;
        ERR(cl >= 1 && cl <= cli->nrows, "job %zu: client_id %llu", r + 1, (unsigned long long)cl);
        ERR(ct >= 1 && ct <= con->nrows && id_at(con, ct - 1, k_client) == cl,
            "job %zu: contact %llu is not a contact of client %llu", r + 1, (unsigned long long)ct,
            (unsigned long long)cl);
        ERR(parse_cents(cell(job, r, j_pay), &pay) && parse_cents(cell(job, r, j_bill), &bill) &&
            markup_ok(pay, bill), "job %zu: pay %s bill %s", r + 1, cell(job, r, j_pay), cell(job, r, j_bill));
        ERR(parse_uint(cell(job, r, j_open), &open) && open >= 1 && open <= 20, "job %zu: openings", r + 1);
        const char *st = cell(job, r, j_status), *closed = cell(job, r, j_closed);
        ERR(in_set(st, job_status), "job %zu: status %s", r + 1, st);
        int running = !strcmp(st, "open") || !strcmp(st, "on_hold");
        int64_t od = parse_day_only(cell(job, r, j_opened));
        ERR(od >= 0, "job %zu: opened_at", r + 1);
        ERR(running ? !*closed : parse_day_only(closed) >= od, "job %zu: status %s closed_at \"%s\"", r + 1,
            st, closed);
    }

    /* submissions */
    size_t s_job = col(sub, "job_order_id"), s_cand = col(sub, "candidate_id"), s_at = col(sub, "submitted_at"),
           s_stage = col(sub, "stage");
    size_t placed_subs = 0, stage_seen[6] = {0};
    for (size_t r = 0; r < sub->nrows; r++) {
        uint64_t jo = id_at(sub, r, s_job), ca = id_at(sub, r, s_cand);
        ERR(jo >= 1 && jo <= job->nrows, "submission %zu: job %llu", r + 1, (unsigned long long)jo);
        ERR(ca >= 1 && ca <= cand->nrows, "submission %zu: candidate %llu", r + 1, (unsigned long long)ca);
        const char *at = cell(sub, r, s_at);
        int64_t day = parse_ts(at);
        ERR(day >= 0, "submission %zu: submitted_at %s", r + 1, at);
        if (jo >= 1 && jo <= job->nrows && ca >= 1 && ca <= cand->nrows) {
            ERR(day > parse_date(cell(job, jo - 1, j_opened)), "submission %zu before its job opened", r + 1);
            ERR(day > parse_ts(cell(cand, ca - 1, c_created)), "submission %zu before its candidate existed", r + 1);
        }
        const char *stg = cell(sub, r, s_stage);
        ERR(in_set(stg, stages), "submission %zu: stage %s", r + 1, stg);
        for (int k = 0; k < 6; k++) stage_seen[k] += !strcmp(stg, stages[k]);
        placed_subs += !strcmp(stg, "placed");
    }
    CHECK_INT(placed_subs, pl->nrows);
    if (full)
        for (int k = 0; k < 6; k++) CHECK_MSG(stage_seen[k] > 0, "no submission in stage %s", stages[k]);

    /* placements */
    size_t p_sub = col(pl, "submission_id"), p_job = col(pl, "job_order_id"), p_cand = col(pl, "candidate_id"),
           p_start = col(pl, "start_date"), p_end = col(pl, "end_date"), p_status = col(pl, "status");
    uint8_t *sub_used = calloc(sub->nrows + 1, 1);
    uint8_t *cand_active = calloc(cand->nrows + 1, 1);
    for (size_t r = 0; r < pl->nrows; r++) {
        uint64_t s = id_at(pl, r, p_sub), pay, bill;
        ERR(s >= 1 && s <= sub->nrows, "placement %zu: submission %llu", r + 1, (unsigned long long)s);
        if (s < 1 || s > sub->nrows) continue;
        ERR(!sub_used[s], "placement %zu: submission %llu placed twice", r + 1, (unsigned long long)s);
        sub_used[s] = 1;
        ERR(!strcmp(cell(sub, s - 1, s_stage), "placed"), "placement %zu: submission stage %s", r + 1,
            cell(sub, s - 1, s_stage));
        ERR(!strcmp(cell(pl, r, p_job), cell(sub, s - 1, s_job)), "placement %zu: job order differs", r + 1);
        ERR(!strcmp(cell(pl, r, p_cand), cell(sub, s - 1, s_cand)), "placement %zu: candidate differs", r + 1);
        int64_t start = parse_day_only(cell(pl, r, p_start));
        ERR(start >= parse_ts(cell(sub, s - 1, s_at)), "placement %zu starts before its submission", r + 1);
        const char *st = cell(pl, r, p_status), *end = cell(pl, r, p_end);
        ERR(in_set(st, pl_status), "placement %zu: status %s", r + 1, st);
        int active = !strcmp(st, "active");
        ERR(active ? !*end : parse_day_only(end) >= start, "placement %zu: status %s end_date \"%s\"", r + 1, st, end);
        if (active) cand_active[id_at(pl, r, p_cand)] = 1;
        ERR(parse_cents(cell(pl, r, col(pl, "pay_rate")), &pay) &&
            parse_cents(cell(pl, r, col(pl, "bill_rate")), &bill) && markup_ok(pay, bill),
            "placement %zu: pay/bill", r + 1);
    }
    for (size_t r = 0; r < cand->nrows; r++)
        ERR(cand_active[r + 1] == !strcmp(cell(cand, r, c_status), "placed"),
            "candidate %zu: status %s but %s an active placement", r + 1, cell(cand, r, c_status),
            cand_active[r + 1] ? "has" : "has no");
    free(sub_used);
    free(cand_active);

    /* timesheets */
    size_t t_pl = col(ts, "placement_id"), t_week = col(ts, "week_ending"), t_reg = col(ts, "regular_hours"),
           t_ot = col(ts, "overtime_hours"), t_appr = col(ts, "approved"), t_at = col(ts, "approved_at");
    int64_t prev_week = 0;
    int64_t *last_week = calloc(pl->nrows + 1, sizeof *last_week);
    for (size_t r = 0; r < ts->nrows; r++) {
        uint64_t p = id_at(ts, r, t_pl), reg, ot;
        ERR(p >= 1 && p <= pl->nrows, "timesheet %zu: placement %llu", r + 1, (unsigned long long)p);
        if (p < 1 || p > pl->nrows) continue;
        int64_t we = parse_day_only(cell(ts, r, t_week));
        ERR(we >= 0 && is_sunday(we), "timesheet %zu: week_ending %s is not a Sunday", r + 1, cell(ts, r, t_week));
        ERR(we >= parse_day_only(cell(pl, p - 1, p_start)), "timesheet %zu: week %s before start %s", r + 1,
            cell(ts, r, t_week), cell(pl, p - 1, p_start));
        ERR(we > last_week[p], "timesheet %zu: placement %llu has two sheets for one week", r + 1,
            (unsigned long long)p);
        last_week[p] = we;
        ERR(we >= prev_week, "timesheet %zu out of week order", r + 1);
        prev_week = we;
        ERR(parse_cents(cell(ts, r, t_reg), &reg) && reg >= 3200 && reg <= 4000, "timesheet %zu: regular %s",
            r + 1, cell(ts, r, t_reg));
        ERR(parse_cents(cell(ts, r, t_ot), &ot) && ot <= 1500, "timesheet %zu: overtime", r + 1);
        const char *ap = cell(ts, r, t_appr), *at = cell(ts, r, t_at);
        ERR(!strcmp(ap, "true") ? parse_ts(at) >= we : !strcmp(ap, "false") && !*at,
            "timesheet %zu: approved %s at \"%s\"", r + 1, ap, at);
    }
    free(last_week);
#undef ERR
    CHECK_MSG(errs == 0, "%zu row-level violations in %s (first ones above)", errs, dir);
out:
    for (size_t i = 0; i < 7; i++) unload(&t[i]);
}

/* ---- tests ------------------------------------------------------------ */

/* The reader is the judge of the CSV shape, so it must itself refuse what
 * RFC 4180 (and the generator's "quote only when needed") forbid. */
static int reader_accepts(const char *csv, table *t)
{
    memset(t, 0, sizeof *t);
    t->bytes = strlen(csv);
    t->blob = malloc(t->bytes + 1);
    memcpy(t->blob, csv, t->bytes + 1);
    parse(t);
    return !t->bad[0];
}

static void test_reader(void)
{
    table t;
    CHECK(reader_accepts("a,b\n1,\"x,y\"\n2,\"he said \"\"hi\"\"\"\n3,\"l1\nl2\"\n4,\n", &t));
    CHECK_INT(t.nrows, 4);
    CHECK_INT(t.ncols, 2);
    if (t.nrows == 4) {
        CHECK_STR(cell(&t, 0, 1), "x,y");
        CHECK_STR(cell(&t, 1, 1), "he said \"hi\"");
        CHECK_STR(cell(&t, 2, 1), "l1\nl2");
        CHECK_STR(cell(&t, 3, 0), "4");
        CHECK_STR(cell(&t, 3, 1), "");
    }
    unload(&t);
    static const char *const hostile[] = {
        "a,b\n1,\"x\"\n",          /* quoted without need */
        "a,b\n1,x\"y\n",            /* quote inside an unquoted field */
        "a,b\r\n1,2\r\n",          /* CR line ends */
        "a,b\n1,2",                 /* no final newline */
        "a,b\n1,2,3\n",            /* too wide */
        "a,b\n1\n",                /* too narrow */
        "a,b\n\n",                 /* blank line */
        "a,b\n1,\"x,y\n",           /* unterminated quote */
        "a,b\n1,\"x,\"y\n",         /* junk after the closing quote */
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        CHECK_MSG(!reader_accepts(hostile[i], &t), "reader accepted hostile case %zu", i);
        unload(&t);
    }
}

static void test_row_counts(void)
{
    uint64_t n[7];
    CHECK_INT(lh_demo_row_counts(1.0, n), 2469278);
    static const uint64_t one[7] = {50000, 1500, 7500, 15000, 250000, 30000, 2115278};
    for (int i = 0; i < 7; i++) CHECK_INT(n[i], one[i]);

    static const uint64_t hundredth[7] = {500, 15, 75, 150, 2500, 300, 21153};
    CHECK_INT(lh_demo_row_counts(0.01, n), 24693);
    for (int i = 0; i < 7; i++) CHECK_INT(n[i], hundredth[i]);

    static const uint64_t thousandth[7] = {50, 2, 8, 15, 250, 30, 2115};  /* 1.5 and 7.5 round up */
    CHECK_INT(lh_demo_row_counts(0.001, n), 2470);
    for (int i = 0; i < 7; i++) CHECK_INT(n[i], thousandth[i]);

    CHECK_INT(lh_demo_row_counts(1e-9, n), 7);   /* at least one row each */
    for (int i = 0; i < 7; i++) CHECK_INT(n[i], 1);

    CHECK_INT(lh_demo_row_counts(100, n), 246927800);
    CHECK_INT(n[6], 211527800);
    CHECK_INT(lh_demo_row_counts(2.5, n), 6173195);
    CHECK_INT(n[6], 5288195);

    CHECK_INT(lh_demo_row_counts(0, n), 0);
    CHECK_INT(n[0], 0);
    CHECK_INT(lh_demo_row_counts(100.5, n), 0);
    CHECK_INT(lh_demo_row_counts(NAN, n), 0);

    CHECK_STR(lh_demo_table_name(0), "candidates");
    CHECK_STR(lh_demo_table_name(6), "timesheets");
    CHECK(lh_demo_table_name(7) == NULL);
}

static void test_generate_hundredth(void)
{
    const char *dir = subdir("s001");
    lh_demo_result res;
    lh_err e;
    lh_err_clear(&e);
    int rc = lh_demo_generate(dir, 0.01, 7, &res, &e);
    CHECK_MSG(rc == 0, "generate: %s", e.msg);
    if (rc) return;
    CHECK_INT(res.n, 7);
    CHECK_INT(res.total_rows, 24693);
    char want[512];
    snprintf(want, sizeof want, "%s/timesheets.csv", dir);
    CHECK_STR(res.tables[6].path, want);
    check_dataset(dir, 0.01, &res, 1);

    /* No temporary files left behind. */
    snprintf(want, sizeof want, "%s/candidates.csv.tmp", dir);
    CHECK(access(want, F_OK) != 0);
}

static void test_generate_thousandth(void)
{
    const char *dir = subdir("s0001/");   /* trailing slash: no "//" in paths */
    lh_demo_result res;
    lh_err e;
    int rc = lh_demo_generate(dir, 0.001, LH_DEMO_SEED, &res, &e);
    CHECK_MSG(rc == 0, "generate: %s", e.msg);
    if (rc) return;
    CHECK_INT(res.total_rows, 2470);
    CHECK(strstr(res.tables[0].path, "//") == NULL);
    check_dataset(dir, 0.001, &res, 0);
}

/* Where rounding leaves one placement or a handful of rows, the plan still
 * has to fit exactly round(scale x 2,115,278) timesheets before mid-2026. */
static void test_tiny_scales(void)
{
    static const double scales[] = {1e-9, 1e-7, 1e-6, 5e-6, 1e-5, 1.6e-5, 1.7e-5, 3e-5, 4.9e-5,
                                    5e-5, 8.3e-5, 1e-4, 1.5e-4, 2.5e-4, 5e-4, 7.7e-4, 0.002, 0.0033};
    char name[32];
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        snprintf(name, sizeof name, "tiny%zu", i);
        const char *dir = subdir(name);
        lh_demo_result res;
        lh_err e;
        int rc = lh_demo_generate(dir, scales[i], 1000 + i, &res, &e);
        CHECK_MSG(rc == 0, "scale %g: %s", scales[i], e.msg);
        if (!rc) check_dataset(dir, scales[i], &res, 0);
    }
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = read_file(a, &na), *y = read_file(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

static void test_determinism(void)
{
    const char *a = subdir("det_a"), *b = subdir("det_b"), *c = subdir("det_c");
    lh_err e;
    CHECK_INT(lh_demo_generate(a, 0.01, 42, NULL, &e), 0);
    CHECK_INT(lh_demo_generate(b, 0.01, 42, NULL, &e), 0);
    CHECK_INT(lh_demo_generate(c, 0.01, 43, NULL, &e), 0);
    char pa[300], pb[300], pc[300];
    size_t differ = 0;
    for (size_t i = 0; i < 7; i++) {
        snprintf(pa, sizeof pa, "%s/%s.csv", a, lh_demo_table_name(i));
        snprintf(pb, sizeof pb, "%s/%s.csv", b, lh_demo_table_name(i));
        snprintf(pc, sizeof pc, "%s/%s.csv", c, lh_demo_table_name(i));
        CHECK_MSG(same_file(pa, pb), "%s differs between two runs with one seed", lh_demo_table_name(i));
        differ += !same_file(pa, pc);
    }
    CHECK_MSG(differ == 7, "only %zu of 7 tables change with the seed", differ);

    /* Regenerating into the same directory replaces the files. */
    CHECK_INT(lh_demo_generate(c, 0.01, 42, NULL, &e), 0);
    CHECK(same_file(pa, pc));
}

/* FNV-1a over all seven files: pins the exact output so that any change to
 * the generator, the word lists or a platform difference shows up. When a
 * change is intended, update the constant (the failure prints the new one). */
static void test_golden(void)
{
    const char *dir = subdir("golden");
    lh_err e;
    CHECK_INT(lh_demo_generate(dir, 0.002, 1, NULL, &e), 0);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < 7; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s.csv", dir, lh_demo_table_name(i));
        size_t n;
        char *data = read_file(path, &n);
        CHECK(data != NULL);
        for (size_t k = 0; data && k < n; k++) h = (h ^ (unsigned char)data[k]) * 1099511628211ULL;
        free(data);
    }
    const uint64_t golden = 0x7de2277ecb27eb03ULL;
    CHECK_MSG(h == golden, "demo output changed: hash is 0x%016llxULL", (unsigned long long)h);
}

static void test_errors(void)
{
    const char *dir = subdir("errors");
    static const double bad_scales[] = {0, -1, 100.0001, 1e300, NAN, INFINITY, -0.0};
    for (size_t i = 0; i < sizeof bad_scales / sizeof bad_scales[0]; i++) {
        lh_err e;
        lh_err_clear(&e);
        lh_demo_result res;
        CHECK_INT(lh_demo_generate(dir, bad_scales[i], 1, &res, &e), LH_EINVAL);
        CHECK_STR(e.code, "invalid_scale");
        CHECK(strstr(e.msg, "100") != NULL);
        CHECK_INT(res.n, 0);
    }
    char path[300];
    snprintf(path, sizeof path, "%s/candidates.csv", dir);
    CHECK(access(path, F_OK) != 0);   /* nothing written */

    lh_err e;
    snprintf(path, sizeof path, "%s/no/such/dir", g_tmp);
    CHECK_INT(lh_demo_generate(path, 0.001, 1, NULL, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "dir_not_found");
    CHECK(strstr(e.msg, "no/such/dir") != NULL);
    CHECK_INT(lh_demo_generate("", 0.001, 1, NULL, &e), LH_ENOTFOUND);

    snprintf(path, sizeof path, "%s/plainfile", g_tmp);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    CHECK_INT(lh_demo_generate(path, 0.001, 1, NULL, &e), LH_EINVAL);
    CHECK_STR(e.code, "not_a_directory");

    char longdir[1100];
    memset(longdir, 'x', sizeof longdir - 1);
    longdir[0] = '/';
    longdir[sizeof longdir - 1] = '\0';
    /* Does not exist either; existence is checked first. */
    CHECK_INT(lh_demo_generate(longdir, 0.001, 1, NULL, &e), LH_ENOTFOUND);

    /* A write failure: clients.csv.tmp is a directory, so fopen fails after
     * candidates.csv is complete. The result reports what was written. */
    const char *wf = subdir("writefail");
    snprintf(path, sizeof path, "%s/clients.csv.tmp", wf);
    mkdir(path, 0755);
    lh_demo_result res;
    CHECK_INT(lh_demo_generate(wf, 0.001, 1, &res, &e), LH_EIO);
    CHECK_STR(e.code, "demo_write_failed");
    CHECK(strstr(e.msg, "clients.csv.tmp") != NULL);
    CHECK_INT(res.n, 1);
    CHECK_INT(res.tables[0].rows, 50);
    CHECK_INT(res.total_rows, 50);
    snprintf(path, sizeof path, "%s/candidates.csv", wf);
    CHECK(access(path, F_OK) == 0);
    snprintf(path, sizeof path, "%s/clients.csv", wf);
    CHECK(access(path, F_OK) != 0);
}

int main(void)
{
    strcpy(g_tmp, "/tmp/lh_demo_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_reader);
    RUN(test_row_counts);
    RUN(test_generate_hundredth);
    RUN(test_generate_thousandth);
    RUN(test_tiny_scales);
    RUN(test_determinism);
    RUN(test_golden);
    RUN(test_errors);
    nftw(g_tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return TEST_SUMMARY();
}

/* cli/demo_gen.c — writing the staffing demo dataset (see demo_gen.h).
 *
 * The central idea: every row is a pure function of (seed, table, id).
 * Each row draws from its own PRNG stream (demo_internal.h), so any row of
 * any table can be recomputed on demand. A submission needs its job
 * order's dates and pay: it calls job_core() for that id instead of
 * looking it up, and a placement calls sub_core() for its submission. No
 * table is held in memory, the output cannot depend on iteration order,
 * and a future parallel writer could split any table by id range.
 *
 * How the tables hang together:
 *  - Time runs with ids. Candidates, clients, job orders and submissions
 *    are each spread over 2021-01-01..2026-06-30 along a mildly
 *    accelerating curve (activity grows ~65% over the period), so id
 *    order is creation order as in a real system, and "who existed at day
 *    t" is a binary search over the curve (curve_count) rather than a
 *    table. A job order picks a client that already existed, skewed to
 *    older (bigger) accounts; a submission picks a job order opened in the
 *    75 days before it and a candidate created before it, preferring
 *    recent sign-ups and, in up to six tries, one whose skills are in the
 *    job's industry.
 *  - Contacts belong to clients round-robin (contact c is client
 *    (c-1) % clients + 1), so "the contacts of client k" is arithmetic.
 *  - Placements: submissions are cut into as many equal blocks as there
 *    are placements, and placement j takes a submission from the first
 *    half of block j. The map is invertible (is_placed), so a submission
 *    knows it was placed without a lookup, and taking the first half keeps
 *    every placement early enough to carry its share of timesheets even
 *    at tiny scales.
 *  - Timesheets must total exactly round(scale x 2,115,278). That is the
 *    one global decision, made before writing (plan_placements): each
 *    placement has a cap (the Sundays between its start and 2026-06-28)
 *    and a wanted duration (short, medium or long assignment); a binary
 *    search finds the common multiplier m for which sum(min(cap, want x m))
 *    is just below the total, and the remainder goes one week each to the
 *    first placements that can grow. A placement that reaches its cap is
 *    still running (status active, no end date, and its candidate's
 *    status is "placed"); the others ended in their last timesheet week.
 *    This plan, five small arrays per placement, is the only state kept.
 *
 * Output goes through one lh_buf per file flushed to stdio in 256 KiB
 * chunks; numbers, dates and money are formatted by hand (integer cents,
 * a precomputed date table), which is both locale-proof and fast.
 */
#include "cli/demo_gen.h"
#include "cli/demo_internal.h"
#include "core/buf.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { T_CAND, T_CLIENT, T_CONTACT, T_JOB, T_SUB, T_PLACE, T_TS };

static const char *const table_names[LH_DEMO_NTABLES] = {
    "candidates", "clients", "contacts", "job_orders", "submissions", "placements", "timesheets",
};

static const uint64_t base_counts[LH_DEMO_NTABLES] = {
    50000, 1500, 7500, 15000, 250000, 30000, 2115278,
};

static const char *const headers[LH_DEMO_NTABLES] = {
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

/* Calendar: day 0 is 2021-01-01, a Friday, so day d is a Sunday when
 * d % 7 == 2. */
#define DAY_LAST     2006u   /* 2026-06-30 */
#define NDAYS        (DAY_LAST + 1)
#define SUNDAY_FIRST 2u      /* 2021-01-03 */
#define SUNDAY_LAST  2004u   /* 2026-06-28 */
#define NWEEKS       ((SUNDAY_LAST - SUNDAY_FIRST) / 7 + 1)
#define NO_DAY       UINT32_MAX

/* When each table's ids are created (first day, last day of the curve). */
#define CAND_D0 0u
#define CAND_D1 2000u
#define CLIENT_D0 0u
#define CLIENT_D1 1900u
#define JOB_D0 0u
#define JOB_D1 1985u
#define SUB_D0 3u
#define SUB_D1 2004u
#define JOB_WINDOW 75u        /* a submission goes to a job opened this many days before */
#define RECENT_CANDIDATE 90u  /* "recent sign-up" */

/* PRNG stream families: one per table (see demo_internal.h). */
enum { S_CAND = 1, S_CLIENT, S_CONTACT, S_JOB, S_SUB, S_PLACE, S_TS, S_NAMES };

enum { JO_OPEN, JO_FILLED, JO_CLOSED, JO_ON_HOLD };
static const char *const job_status_names[] = {"open", "filled", "closed", "on_hold"};

enum { ST_SUBMITTED, ST_INTERVIEW, ST_OFFER, ST_REJECTED, ST_WITHDRAWN, ST_PLACED };
static const char *const stage_names[] = {
    "submitted", "interview", "offer", "rejected", "withdrawn", "placed",
};

#define MAX_ROLES 64
#define MAX_CITIES 64
#define MAX_CORES 128

typedef struct ctx {
    uint64_t seed;
    uint64_t n[LH_DEMO_NTABLES];
    char     date[NDAYS][11];

    /* Word tables resolved to indices once per run. */
    uint8_t  role_skill[MAX_ROLES][DEMO_ROLE_SKILLS_MAX];
    uint8_t  role_nskill[MAX_ROLES];
    uint8_t  track_role[DEMO_NTRACKS][DEMO_TRACK_ROLES_MAX];
    uint8_t  track_nrole[DEMO_NTRACKS];
    uint8_t  track_skill[DEMO_NTRACKS][DEMO_TRACK_SKILLS_MAX];
    uint8_t  track_nskill[DEMO_NTRACKS];
    uint8_t  general_skill[DEMO_TRACK_SKILLS_MAX];
    uint8_t  ngeneral;
    uint8_t  bilingual;            /* index of "bilingual Spanish" */
    uint32_t city_cum[MAX_CITIES]; /* cumulative weights */
    uint32_t track_cum[DEMO_NTRACKS];
    const char *core[MAX_CORES];   /* company-name cores of all tracks */
    uint8_t  core_track[MAX_CORES];
    uint32_t ncore;
    uint32_t name_space;           /* prefixes x cores x suffixes */
    unsigned perm_half;            /* Feistel half width in bits */

    /* The placement plan (plan_placements), indexed by placement id - 1. */
    uint16_t *p_start, *p_cap, *p_want;
    uint32_t *p_weeks, *p_cand;
    uint8_t  *cand_placed;         /* by candidate id - 1 */
} ctx;

/* ---- row counts ------------------------------------------------------- */

const char *lh_demo_table_name(size_t i)
{
    return i < LH_DEMO_NTABLES ? table_names[i] : NULL;
}

uint64_t lh_demo_row_counts(double scale, uint64_t counts[LH_DEMO_NTABLES])
{
    if (!(scale > 0 && scale <= LH_DEMO_SCALE_MAX)) {
        memset(counts, 0, LH_DEMO_NTABLES * sizeof counts[0]);
        return 0;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < LH_DEMO_NTABLES; i++) {
        /* One IEEE multiplication and llround: the same on every machine. */
        long long v = llround((double)base_counts[i] * scale);
        counts[i] = v < 1 ? 1 : (uint64_t)v;
        total += counts[i];
    }
    return total;
}

/* ---- time ------------------------------------------------------------- */

/* floor(sqrt(v)), exact whatever the platform's sqrt() rounds to. */
static uint64_t isqrt(uint64_t v)
{
    uint64_t r = (uint64_t)sqrt((double)v);
    while (r * r > v) r--;
    while ((r + 1) * (r + 1) <= v) r++;
    return r;
}

/* The creation day of the i-th (0-based) of n ids spread over [d0, d1]
 * with a density (ids per day) that rises linearly to 5/3 of its starting
 * value: the share of ids created by fraction u of the span is
 * y = (3u + u^2) / 4, so the i-th id is created at u = (sqrt(9 + 16y) - 3) / 2
 * with y = i/n. Integer fixed point (u to 1/65536 of the span, a few
 * hundredths of a day), monotone in i. */
static uint32_t curve_day(uint64_t i, uint64_t n, uint32_t d0, uint32_t d1)
{
    if (n <= 1) return d0;
    uint64_t y = (i << 32) / n;                        /* i/n in 0.32 fixed point */
    uint64_t root = isqrt((9ULL << 32) + 16 * y);      /* sqrt(9 + 16y) in 0.16 */
    uint64_t u = (root - (3u << 16)) / 2;              /* 0.16, < 2^16 */
    return d0 + (uint32_t)(((uint64_t)(d1 - d0) * u) >> 16);
}

/* How many of the n ids were created on or before day t. */
static uint64_t curve_count(uint64_t n, uint32_t d0, uint32_t d1, int64_t t)
{
    if (t < (int64_t)d0) return 0;
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if ((int64_t)curve_day(mid - 1, n, d0, d1) <= t) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static uint32_t next_sunday(uint32_t day)
{
    return day + (9 - day % 7) % 7;
}

static int is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void fill_dates(ctx *c)
{
    static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y = 2021, m = 1, d = 1;
    for (unsigned day = 0; day < NDAYS; day++) {
        char *s = c->date[day];
        s[0] = (char)('0' + y / 1000);
        s[1] = (char)('0' + y / 100 % 10);
        s[2] = (char)('0' + y / 10 % 10);
        s[3] = (char)('0' + y % 10);
        s[4] = '-';
        s[5] = (char)('0' + m / 10);
        s[6] = (char)('0' + m % 10);
        s[7] = '-';
        s[8] = (char)('0' + d / 10);
        s[9] = (char)('0' + d % 10);
        s[10] = '\0';
        if (++d > mdays[m - 1] + (unsigned)(m == 2 && is_leap(y))) {
            d = 1;
            if (++m > 12) { m = 1; y++; }
        }
    }
    assert(!strcmp(c->date[DAY_LAST], "2026-06-30"));
}

/* ---- context ---------------------------------------------------------- */

static int skill_index(const char *name, size_t len)
{
    for (size_t i = 0; i < demo_nskills; i++)
        if (strlen(demo_skills[i].name) == len && !memcmp(demo_skills[i].name, name, len))
            return (int)i;
    return -1;
}

/* Resolve the word tables. A failure here is a typo in demo_words.c,
 * which the unit test would catch on its first run. */
static void ctx_init(ctx *c, uint64_t seed, const uint64_t counts[LH_DEMO_NTABLES])
{
    c->seed = seed;
    memcpy(c->n, counts, sizeof c->n);
    fill_dates(c);

    assert(demo_nroles <= MAX_ROLES && demo_ncities <= MAX_CITIES);
    for (size_t i = 0; i < demo_nroles; i++) {
        const demo_role *ro = &demo_roles[i];
        const char *p = ro->skills;
        while (*p) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            int k = skill_index(p, len);
            assert(k >= 0 && c->role_nskill[i] < DEMO_ROLE_SKILLS_MAX);
            if (k >= 0 && c->role_nskill[i] < DEMO_ROLE_SKILLS_MAX)
                c->role_skill[i][c->role_nskill[i]++] = (uint8_t)k;
            p += len + (e != NULL);
        }
        assert(c->role_nskill[i] >= 2);
        assert(c->track_nrole[ro->track] < DEMO_TRACK_ROLES_MAX);
        c->track_role[ro->track][c->track_nrole[ro->track]++] = (uint8_t)i;
    }
    for (size_t i = 0; i < demo_nskills; i++) {
        int t = demo_skills[i].track;
        if (t < 0) {
            assert(c->ngeneral < DEMO_TRACK_SKILLS_MAX);
            c->general_skill[c->ngeneral++] = (uint8_t)i;
        } else {
            assert(c->track_nskill[t] < DEMO_TRACK_SKILLS_MAX);
            c->track_skill[t][c->track_nskill[t]++] = (uint8_t)i;
        }
    }
    int bi = skill_index("bilingual Spanish", strlen("bilingual Spanish"));
    assert(bi >= 0);
    c->bilingual = (uint8_t)(bi < 0 ? 0 : bi);

    uint32_t sum = 0;
    for (size_t i = 0; i < demo_ncities; i++) c->city_cum[i] = sum += demo_cities[i].weight;
    sum = 0;
    for (size_t t = 0; t < DEMO_NTRACKS; t++) {
        c->track_cum[t] = sum += demo_tracks[t].candidate_weight;
        assert(c->track_nrole[t] > 0 && c->track_nskill[t] >= 4);
        for (size_t k = 0; k < demo_tracks[t].cores.n; k++) {
            assert(c->ncore < MAX_CORES);
            c->core[c->ncore] = demo_tracks[t].cores.v[k];
            c->core_track[c->ncore++] = (uint8_t)t;
        }
    }
    c->name_space = (uint32_t)(demo_company_prefixes.n * c->ncore * demo_company_suffixes.n);
    unsigned bits = 1;
    while ((1u << bits) < c->name_space) bits++;
    c->perm_half = (bits + 1) / 2;
}

static void ctx_free(ctx *c)
{
    free(c->p_start);
    free(c->p_cap);
    free(c->p_want);
    free(c->p_weeks);
    free(c->p_cand);
    free(c->cand_placed);
}

static unsigned pick_cum(demo_rng *r, const uint32_t *cum, size_t n)
{
    uint32_t x = demo_below(r, cum[n - 1]);
    unsigned i = 0;
    while (cum[i] <= x) i++;
    return i;
}

static unsigned pick_city(const ctx *c, demo_rng *r)
{
    return pick_cum(r, c->city_cum, demo_ncities);
}

/* A seeded permutation of [0, name_space): a 4-round Feistel network over
 * 2 x perm_half bits, cycle-walked back into range. Gives every client a
 * distinct name until the name space (24,480) runs out. */
static uint32_t name_perm(const ctx *c, uint32_t x)
{
    unsigned h = c->perm_half;
    uint32_t mask = (1u << h) - 1;
    do {
        uint32_t lft = x >> h, rgt = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint32_t f = (uint32_t)demo_mix(demo_mix(c->seed + S_NAMES) ^ (round << 32) ^ rgt) & mask;
            uint32_t t = lft ^ f;
            lft = rgt;
            rgt = t;
        }
        x = (lft << h) | rgt;
    } while (x >= c->name_space);
    return x;
}

/* ---- rows as functions of their id ------------------------------------ */

typedef struct cand {
    uint8_t track, role;
} cand;

static void cand_core(const ctx *c, uint64_t id, cand *cd, demo_rng *r)
{
    demo_rng_init(r, c->seed, S_CAND, id);
    cd->track = (uint8_t)pick_cum(r, c->track_cum, DEMO_NTRACKS);
    cd->role = c->track_role[cd->track][demo_below(r, c->track_nrole[cd->track])];
}

typedef struct client {
    uint8_t  track, city, prefix, core, suffix;
    uint32_t branch;          /* > 0 once ids outrun the name space */
    uint32_t day;
} client;

static void client_core(const ctx *c, uint64_t id, client *cl, demo_rng *r)
{
    demo_rng_init(r, c->seed, S_CLIENT, id);
    uint32_t idx = name_perm(c, (uint32_t)((id - 1) % c->name_space));
    cl->branch = (uint32_t)((id - 1) / c->name_space);
    cl->suffix = (uint8_t)(idx % demo_company_suffixes.n);
    idx /= (uint32_t)demo_company_suffixes.n;
    cl->core = (uint8_t)(idx % c->ncore);
    cl->prefix = (uint8_t)(idx / c->ncore);
    cl->track = c->core_track[cl->core];
    cl->city = (uint8_t)pick_city(c, r);
    cl->day = curve_day(id - 1, c->n[T_CLIENT], CLIENT_D0, CLIENT_D1);
}

/* bill = pay x (1 + markup), rounded up to the cent, so the markup is never
 * below the drawn one; with markup_bp <= 5990 and pay >= $10 it stays at
 * or below 60%. */
static uint32_t bill_for(uint32_t pay, uint32_t markup_bp)
{
    return (uint32_t)(((uint64_t)pay * (10000 + markup_bp) + 9999) / 10000);
}

typedef struct job {
    uint64_t client, contact;
    uint32_t opened, closed;  /* closed: NO_DAY when open or on hold */
    uint8_t  role, track, city, status, openings;
    uint32_t pay, bill, markup_bp;
} job;

static void job_core(const ctx *c, uint64_t id, job *j, demo_rng *r)
{
    demo_rng_init(r, c->seed, S_JOB, id);
    uint32_t opened = curve_day(id - 1, c->n[T_JOB], JOB_D0, JOB_D1) + demo_below(r, 5);
    j->opened = opened;

    /* A client that existed by then, skewed to the oldest accounts. */
    uint64_t eligible = curve_count(c->n[T_CLIENT], CLIENT_D0, CLIENT_D1, opened);
    assert(eligible >= 1);
    uint64_t a = demo_below(r, eligible), b = demo_below(r, eligible);
    j->client = (a < b ? a : b) + 1;
    client cl;
    demo_rng cr;
    client_core(c, j->client, &cl, &cr);
    uint64_t nclients = c->n[T_CLIENT];
    j->contact = j->client + nclients * demo_below(r, (c->n[T_CONTACT] - j->client) / nclients + 1);

    int track = demo_pct(r, 10) ? DEMO_OFFICE : cl.track;  /* everyone needs office temps */
    j->track = (uint8_t)track;
    j->role = c->track_role[track][demo_below(r, c->track_nrole[track])];
    j->city = demo_pct(r, 75) ? cl.city : (uint8_t)pick_city(c, r);

    const demo_role *ro = &demo_roles[j->role];
    uint32_t pay = ro->pay_lo * 100u + demo_below(r, (ro->pay_hi - ro->pay_lo) * 4u + 1) * 25u;
    pay += (uint32_t)((uint64_t)pay * opened * 40 / (365 * 1000));   /* wages rise ~4% a year */
    j->pay = (pay + 12) / 25 * 25;
    j->markup_bp = 2000 + demo_below(r, 3991);
    j->bill = bill_for(j->pay, j->markup_bp);

    uint32_t x = demo_below(r, 100);
    j->openings = (uint8_t)(x < 50 ? 1 : x < 70 ? 2 : x < 85 ? 3 + demo_below(r, 3)
                            : x < 95 ? 6 + demo_below(r, 5) : 11 + demo_below(r, 10));

    uint32_t age = DAY_LAST - opened;
    x = demo_below(r, 100);
    if (age < 45)
        j->status = x < 60 ? JO_OPEN : x < 75 ? JO_ON_HOLD : x < 90 ? JO_FILLED : JO_CLOSED;
    else if (age < 120)
        j->status = x < 25 ? JO_OPEN : x < 35 ? JO_ON_HOLD : x < 75 ? JO_FILLED : JO_CLOSED;
    else
        j->status = x < 3 ? JO_OPEN : x < 5 ? JO_ON_HOLD : x < 60 ? JO_FILLED : JO_CLOSED;
    j->closed = NO_DAY;
    if (j->status == JO_FILLED || j->status == JO_CLOSED) {
        uint32_t cd = opened + 5 + demo_below(r, 146);
        j->closed = cd < DAY_LAST ? cd : DAY_LAST;
    }
}

/* Placement j (0-based) takes a submission from the first half of its
 * block of submissions; returns the submission id. Draws first from the
 * placement's stream, so is_placed can replay just that draw. */
static uint64_t place_sub(const ctx *c, uint64_t j, demo_rng *r)
{
    uint64_t ns = c->n[T_SUB], np = c->n[T_PLACE];
    uint64_t s0 = j * ns / np, s1 = (j + 1) * ns / np;
    assert(s1 > s0);
    demo_rng_init(r, c->seed, S_PLACE, j + 1);
    return s0 + demo_below(r, (s1 - s0 + 1) / 2) + 1;
}

static int is_placed(const ctx *c, uint64_t sub_id)
{
    uint64_t j = (sub_id * c->n[T_PLACE] - 1) / c->n[T_SUB];   /* the block holding it */
    demo_rng r;
    return place_sub(c, j, &r) == sub_id;
}

typedef struct sub {
    uint64_t job, cand;
    uint32_t day, secs;
    uint8_t  stage, recruiter;
    job      jo;
} sub;

static void sub_core(const ctx *c, uint64_t id, sub *s, demo_rng *r)
{
    demo_rng_init(r, c->seed, S_SUB, id);
    uint32_t t = curve_day(id - 1, c->n[T_SUB], SUB_D0, SUB_D1);

    /* A job order opened in the window before t. */
    uint64_t hi = curve_count(c->n[T_JOB], JOB_D0, JOB_D1, t);
    uint64_t lo = t >= JOB_WINDOW ? curve_count(c->n[T_JOB], JOB_D0, JOB_D1, t - JOB_WINDOW) : 0;
    assert(hi >= 1);
    s->job = hi > lo ? lo + 1 + demo_below(r, hi - lo) : hi;
    demo_rng jr;
    job_core(c, s->job, &s->jo, &jr);

    uint32_t day = t;
    if (day <= s->jo.opened) day = s->jo.opened + 1 + demo_below(r, 3);
    if (s->jo.closed != NO_DAY && day > s->jo.closed) day = s->jo.closed - demo_below(r, 4);
    if (day > DAY_LAST) day = DAY_LAST;
    s->day = day;
    s->secs = 8 * 3600 + demo_below(r, 11 * 3600);

    /* A candidate created before that day, preferably a recent sign-up in
     * the job's industry. */
    uint64_t all = curve_count(c->n[T_CAND], CAND_D0, CAND_D1, (int64_t)day - 1);
    uint64_t old = curve_count(c->n[T_CAND], CAND_D0, CAND_D1, (int64_t)day - 1 - RECENT_CANDIDATE);
    assert(all >= 1);
    for (int tries = 0; tries < 6; tries++) {
        s->cand = all > old && demo_pct(r, 65) ? old + 1 + demo_below(r, all - old)
                                               : 1 + demo_below(r, all);
        cand cd;
        demo_rng cdr;
        cand_core(c, s->cand, &cd, &cdr);
        if (cd.track == s->jo.track) break;
    }
    s->recruiter = (uint8_t)((s->jo.track * 4u + demo_below(r, 6)) % demo_recruiters.n);

    if (is_placed(c, id)) {
        s->stage = ST_PLACED;
    } else {
        uint32_t x = demo_below(r, 100);
        if (DAY_LAST - day < 21)
            s->stage = x < 45 ? ST_SUBMITTED : x < 80 ? ST_INTERVIEW : x < 88 ? ST_OFFER
                     : x < 95 ? ST_REJECTED : ST_WITHDRAWN;
        else
            s->stage = x < 60 ? ST_REJECTED : x < 75 ? ST_WITHDRAWN : x < 87 ? ST_INTERVIEW
                     : x < 95 ? ST_SUBMITTED : ST_OFFER;
    }
}

typedef struct place {
    uint64_t sub_id;
    sub      s;
    uint32_t start, first_sunday, cap, want;
} place;

static void place_core(const ctx *c, uint64_t j, place *p, demo_rng *r)
{
    p->sub_id = place_sub(c, j, r);
    demo_rng sr;
    sub_core(c, p->sub_id, &p->s, &sr);
    uint32_t start = p->s.day + 7 + demo_below(r, 22);
    p->start = start < DAY_LAST ? start : DAY_LAST;
    p->first_sunday = next_sunday(p->start);
    p->cap = p->first_sunday <= SUNDAY_LAST ? (SUNDAY_LAST - p->first_sunday) / 7 + 1 : 0;
    uint32_t x = demo_below(r, 100);   /* short, medium or long assignment, in weeks */
    p->want = x < 25 ? 1 + demo_below(r, 12) : x < 60 ? 13 + demo_below(r, 40)
            : 53 + demo_below(r, 208);
}

/* ---- the placement plan ----------------------------------------------- */

static uint64_t weeks_at(const ctx *c, uint64_t j, uint64_t m)
{
    uint64_t w = (uint64_t)c->p_want[j] * m >> 10;
    return w < c->p_cap[j] ? w : c->p_cap[j];
}

static uint64_t total_at(const ctx *c, uint64_t m)
{
    uint64_t sum = 0;
    for (uint64_t j = 0; j < c->n[T_PLACE]; j++) sum += weeks_at(c, j, m);
    return sum;
}

/* Decide every placement's number of timesheets so they add up to exactly
 * the timesheet count (see the top of the file). */
static int plan_placements(ctx *c, lh_err *err)
{
    uint64_t np = c->n[T_PLACE], target = c->n[T_TS];
    c->p_start = lh_xcalloc(np, sizeof *c->p_start);
    c->p_cap = lh_xcalloc(np, sizeof *c->p_cap);
    c->p_want = lh_xcalloc(np, sizeof *c->p_want);
    c->p_weeks = lh_xcalloc(np, sizeof *c->p_weeks);
    c->p_cand = lh_xcalloc(np, sizeof *c->p_cand);
    c->cand_placed = lh_xcalloc(c->n[T_CAND], 1);

    uint64_t capacity = 0;
    for (uint64_t j = 0; j < np; j++) {
        place p;
        demo_rng r;
        place_core(c, j, &p, &r);
        c->p_start[j] = (uint16_t)p.start;
        c->p_cap[j] = (uint16_t)p.cap;
        c->p_want[j] = (uint16_t)p.want;
        c->p_cand[j] = (uint32_t)p.s.cand;
        capacity += p.cap;
    }
    if (capacity < target)
        return lh_err_set(err, LH_EINTERNAL, "demo_infeasible",
                          "the demo's %llu placements can hold only %llu weekly timesheets before "
                          "2026-06-30, not %llu; this scale cannot be generated (a bug: please report it)",
                          (unsigned long long)np, (unsigned long long)capacity,
                          (unsigned long long)target);

    /* Largest m with total_at(m) <= target; at m = 2^20 every placement is
     * at its cap (want >= 1, cap < 2^10), so the search is bounded. */
    uint64_t lo = 0, hi = 1u << 20;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (total_at(c, mid) <= target) lo = mid;
        else hi = mid - 1;
    }
    uint64_t rest = target - total_at(c, lo);
    for (uint64_t j = 0; j < np; j++) {
        c->p_weeks[j] = (uint32_t)weeks_at(c, j, lo);
        /* want < 1024, so one step of m adds at most one week each, and the
         * placements that would grow outnumber the remainder. */
        if (rest && weeks_at(c, j, lo + 1) > c->p_weeks[j]) {
            c->p_weeks[j]++;
            rest--;
        }
    }
    assert(rest == 0);
    for (uint64_t j = 0; j < np; j++)
        if (c->p_weeks[j] == c->p_cap[j]) c->cand_placed[c->p_cand[j] - 1] = 1;
    return 0;
}

/* ---- CSV output ------------------------------------------------------- */

#define FLUSH_AT (256u << 10)

typedef struct csvw {
    FILE    *f;
    lh_buf   b;
    uint64_t rows, bytes;
    int      err_no;      /* first write error, 0 if none */
    int      mid_row;     /* a field was written on this row: next needs a comma */
} csvw;

static void w_flush(csvw *w)
{
    if (!w->b.len) return;
    if (!w->err_no && fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len) w->err_no = errno ? errno : EIO;
    w->bytes += w->b.len;
    lh_buf_reset(&w->b);
}

static inline void w_sep(csvw *w)
{
    if (w->mid_row) lh_buf_putc(&w->b, ',');
    w->mid_row = 1;
}

/* A text field, quoted only if it holds a comma, quote, CR or LF. */
static void f_strn(csvw *w, const char *s, size_t n)
{
    w_sep(w);
    size_t i = 0;
    while (i < n && s[i] != ',' && s[i] != '"' && s[i] != '\n' && s[i] != '\r') i++;
    if (i == n) {
        lh_buf_append(&w->b, s, n);
        return;
    }
    lh_buf_reserve(&w->b, n + 2 + n / 8);
    lh_buf_putc(&w->b, '"');
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q) {
            lh_buf_append(&w->b, p, (size_t)(end - p));
            break;
        }
        lh_buf_append(&w->b, p, (size_t)(q - p) + 1);
        lh_buf_putc(&w->b, '"');
        p = q + 1;
    }
    lh_buf_putc(&w->b, '"');
}

static void f_str(csvw *w, const char *s) { f_strn(w, s, strlen(s)); }
static void f_buf(csvw *w, const lh_buf *b) { f_strn(w, b->len ? b->data : "", b->len); }
static void f_empty(csvw *w) { w_sep(w); }

static void f_u64(csvw *w, uint64_t v)
{
    w_sep(w);
    demo_put_u64(&w->b, v);
}

static void f_cents(csvw *w, uint64_t cents)
{
    w_sep(w);
    demo_put_cents(&w->b, cents);
}

static void f_date(csvw *w, const ctx *c, uint32_t day)
{
    assert(day <= DAY_LAST);
    w_sep(w);
    lh_buf_append(&w->b, c->date[day], 10);
}

static void f_ts(csvw *w, const ctx *c, uint32_t day, uint32_t secs)
{
    assert(day <= DAY_LAST && secs < 86400);
    w_sep(w);
    char t[20];
    memcpy(t, c->date[day], 10);
    unsigned h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
    t[10] = ' ';
    t[11] = (char)('0' + h / 10); t[12] = (char)('0' + h % 10); t[13] = ':';
    t[14] = (char)('0' + m / 10); t[15] = (char)('0' + m % 10); t[16] = ':';
    t[17] = (char)('0' + s / 10); t[18] = (char)('0' + s % 10);
    lh_buf_append(&w->b, t, 19);
}

static void w_end(csvw *w)
{
    lh_buf_putc(&w->b, '\n');
    w->mid_row = 0;
    w->rows++;
    if (w->b.len >= FLUSH_AT) w_flush(w);
}

/* Scratch buffers reused across rows. */
typedef struct scratch {
    lh_buf a, b, e1, e2, text;
} scratch;

static void put_phone(lh_buf *b, unsigned area, unsigned line, int legacy)
{
    lh_buf_puts(b, legacy ? "(" : "+1-");
    demo_put_u64(b, area);
    lh_buf_puts(b, legacy ? ") 555-01" : "-555-01");
    lh_buf_putc(b, (char)('0' + line / 10));
    lh_buf_putc(b, (char)('0' + line % 10));
}

static unsigned city_area(const demo_city *ci, demo_rng *r)
{
    return ci->area2 && demo_pct(r, 50) ? ci->area2 : ci->area;
}

/* "Prefix Core" of the track's industry, for a resume's past employer. */
static void put_employer(lh_buf *b, int track, demo_rng *r)
{
    lh_buf_reset(b);
    lh_buf_puts(b, demo_pick(r, demo_company_prefixes));
    lh_buf_putc(b, ' ');
    lh_buf_puts(b, demo_pick(r, demo_tracks[track].cores));
}

/* ---- the tables ------------------------------------------------------- */

static void gen_candidates(const ctx *c, csvw *w, scratch *sc)
{
    for (uint64_t id = 1; id <= c->n[T_CAND] && !w->err_no; id++) {
        demo_rng r;
        cand cd;
        cand_core(c, id, &cd, &r);
        const demo_role *ro = &demo_roles[cd.role];
        const demo_city *city = &demo_cities[pick_city(c, &r)];
        const char *first = demo_pick(&r, demo_first_names);
        const char *last = demo_pick(&r, demo_last_names);
        unsigned years = demo_below(&r, 36) * demo_below(&r, 36) / 35;   /* 0..35, mostly low */
        uint32_t day = curve_day(id - 1, c->n[T_CAND], CAND_D0, CAND_D1);
        uint32_t secs = 7 * 3600 + demo_below(&r, 15 * 3600);

        /* Skills: some of the role's, then the track's and general ones. */
        uint8_t sk[8];
        size_t nsk = 0, want = 3 + demo_below(&r, 6);
        size_t nrole = c->role_nskill[cd.role], take = 2 + demo_below(&r, nrole - 1);
        if (take > want) take = want;
        for (size_t i = 0; i < take; i++) sk[nsk++] = c->role_skill[cd.role][i];
        for (int tries = 0; nsk < want && tries < 64; tries++) {
            uint8_t s = demo_pct(&r, 70) ? c->track_skill[cd.track][demo_below(&r, c->track_nskill[cd.track])]
                                         : c->general_skill[demo_below(&r, c->ngeneral)];
            if (!memchr(sk, s, nsk)) sk[nsk++] = s;
        }
        assert(nsk >= 3 && nsk <= 8);

        /* Desired rate: the role's range by experience, plus inflation. */
        uint64_t lo = ro->pay_lo * 100u, hi = ro->pay_hi * 100u;
        uint64_t rate = lo + (hi - lo) * (years < 20 ? years : 20) / 20 + demo_below(&r, 9) * 50;
        rate += rate * day * 35 / (365 * 1000);
        rate = (rate + 25) / 50 * 50;

        int inactive = demo_pct(&r, DAY_LAST - day > 730 ? 45 : 15);
        const char *status = c->cand_placed[id - 1] ? "placed" : inactive ? "inactive" : "active";

        f_u64(w, id);
        f_str(w, first);
        f_str(w, last);

        /* email: a name pattern, then the id, which makes it unique (names
         * fold to letters and '-', so the trailing digits are the id). */
        lh_buf *e = &sc->a;
        lh_buf_reset(e);
        lh_buf_reset(&sc->b);
        demo_ascii_fold(&sc->b, first);
        switch (demo_below(&r, 4)) {
        case 0: lh_buf_append(e, sc->b.data, sc->b.len); lh_buf_putc(e, '.'); demo_ascii_fold(e, last); break;
        case 1: lh_buf_append(e, sc->b.data, sc->b.len); demo_ascii_fold(e, last); break;
        case 2: lh_buf_append(e, sc->b.data, sc->b.len ? 1 : 0); demo_ascii_fold(e, last); break;
        default: demo_ascii_fold(e, last); lh_buf_putc(e, '.'); lh_buf_append(e, sc->b.data, sc->b.len); break;
        }
        demo_put_u64(e, id);
        lh_buf_putc(e, '@');
        lh_buf_puts(e, demo_pick(&r, demo_email_domains));
        f_buf(w, e);

        unsigned area = city_area(city, &r), line = demo_below(&r, 100);
        if (id % 101 == 7) f_str(w, "N/A");
        else if (id % 103 == 13) f_empty(w);
        else {
            lh_buf_reset(e);
            put_phone(e, area, line, id % 53 == 21);
            f_buf(w, e);
        }
        f_str(w, city->name);
        f_str(w, city->state);

        lh_buf_reset(e);
        for (size_t i = 0; i < nsk; i++) {
            if (i) lh_buf_putc(e, ';');
            lh_buf_puts(e, demo_skills[sk[i]].name);
        }
        f_buf(w, e);
        f_u64(w, years);
        if (id % 67 == 29) f_empty(w);
        else f_cents(w, rate);
        f_str(w, status);
        f_ts(w, c, day, secs);

        /* The resume. */
        demo_vars v = {.first = first, .role = ro->title, .track = cd.track,
                       .city = city->name, .state = city->state, .years = years,
                       .rate_cents = (uint32_t)rate, .year_now = (unsigned)atoi(c->date[day])};
        unsigned nr = c->track_nrole[cd.track];
        v.next_role = demo_roles[c->track_role[cd.track][demo_below(&r, nr)]].title;
        unsigned c2 = pick_city(c, &r);
        if (&demo_cities[c2] == city) c2 = pick_city(c, &r);
        v.city2 = demo_cities[c2].name;
        put_employer(&sc->e1, cd.track, &r);
        put_employer(&sc->e2, cd.track, &r);
        v.employer = sc->e1.data;
        v.employer2 = sc->e2.data;
        for (size_t i = 0; i < nsk; i++) v.skills[i] = demo_skills[sk[i]].name;
        v.nskills = nsk;
        lh_buf_reset(&sc->text);
        demo_resume(&sc->text, &v, &r);
        f_buf(w, &sc->text);
        w_end(w);
    }
}

static void put_client_name(lh_buf *b, const ctx *c, const client *cl)
{
    lh_buf_reset(b);
    lh_buf_puts(b, demo_company_prefixes.v[cl->prefix]);
    lh_buf_putc(b, ' ');
    lh_buf_puts(b, c->core[cl->core]);
    lh_buf_puts(b, demo_company_suffixes.v[cl->suffix]);
    if (cl->branch) {
        lh_buf_puts(b, " (Division ");
        demo_put_u64(b, cl->branch + 1);
        lh_buf_putc(b, ')');
    }
}

static void gen_clients(const ctx *c, csvw *w, scratch *sc)
{
    for (uint64_t id = 1; id <= c->n[T_CLIENT] && !w->err_no; id++) {
        demo_rng r;
        client cl;
        client_core(c, id, &cl, &r);
        const demo_city *city = &demo_cities[cl.city];
        f_u64(w, id);
        put_client_name(&sc->a, c, &cl);
        f_buf(w, &sc->a);
        f_str(w, demo_tracks[cl.track].industry);
        f_str(w, city->name);
        f_str(w, city->state);
        f_str(w, demo_pick(&r, demo_account_managers));
        f_ts(w, c, cl.day, 8 * 3600 + demo_below(&r, 10 * 3600));
        w_end(w);
    }
}

static void gen_contacts(const ctx *c, csvw *w, scratch *sc)
{
    for (uint64_t id = 1; id <= c->n[T_CONTACT] && !w->err_no; id++) {
        uint64_t client_id = (id - 1) % c->n[T_CLIENT] + 1;
        demo_rng r;
        client cl;
        client_core(c, client_id, &cl, &r);
        demo_rng_init(&r, c->seed, S_CONTACT, id);
        const char *first = demo_pick(&r, demo_first_names);
        const char *last = demo_pick(&r, demo_last_names);
        const char *title = demo_pct(&r, 40) ? demo_pick(&r, demo_general_contact_titles)
                                             : demo_pick(&r, demo_tracks[cl.track].contact_titles);
        f_u64(w, id);
        f_u64(w, client_id);
        f_str(w, first);
        f_str(w, last);
        f_str(w, title);

        lh_buf *e = &sc->a;
        lh_buf_reset(e);
        lh_buf_reset(&sc->b);
        demo_ascii_fold(&sc->b, first);
        switch (demo_below(&r, 3)) {
        case 0: lh_buf_append(e, sc->b.data, sc->b.len); lh_buf_putc(e, '.'); demo_ascii_fold(e, last); break;
        case 1: lh_buf_append(e, sc->b.data, sc->b.len ? 1 : 0); demo_ascii_fold(e, last); break;
        default: lh_buf_append(e, sc->b.data, sc->b.len); lh_buf_putc(e, '_'); demo_ascii_fold(e, last); break;
        }
        lh_buf_putc(e, '@');
        demo_ascii_fold(e, demo_company_prefixes.v[cl.prefix]);
        demo_ascii_fold(e, c->core[cl.core]);
        lh_buf_puts(e, ".example");
        f_buf(w, e);

        lh_buf_reset(e);
        put_phone(e, city_area(&demo_cities[cl.city], &r), demo_below(&r, 100), 0);
        if (id % 11 == 4) {
            lh_buf_puts(e, " x");
            demo_put_u64(e, 100 + demo_below(&r, 900));
        }
        f_buf(w, e);
        w_end(w);
    }
}

static void gen_job_orders(const ctx *c, csvw *w, scratch *sc)
{
    for (uint64_t id = 1; id <= c->n[T_JOB] && !w->err_no; id++) {
        demo_rng r;
        job j;
        job_core(c, id, &j, &r);
        const demo_role *ro = &demo_roles[j.role];
        const demo_city *city = &demo_cities[j.city];
        f_u64(w, id);
        f_u64(w, j.client);
        f_u64(w, j.contact);

        lh_buf *e = &sc->a;
        lh_buf_reset(e);
        lh_buf_puts(e, ro->title);
        if (demo_pct(&r, 50)) lh_buf_puts(e, demo_pick(&r, demo_tracks[j.track].title_suffixes));
        f_buf(w, e);

        lh_buf_reset(e);
        size_t nrole = c->role_nskill[j.role], take = 2 + demo_below(&r, nrole - 1);
        int has_bilingual = 0;
        for (size_t i = 0; i < take; i++) {
            uint8_t s = c->role_skill[j.role][i];
            if (i) lh_buf_putc(e, ';');
            lh_buf_puts(e, demo_skills[s].name);
            has_bilingual |= s == c->bilingual;
        }
        if (demo_pct(&r, 12) && !has_bilingual) {
            lh_buf_putc(e, ';');
            lh_buf_puts(e, demo_skills[c->bilingual].name);
        }
        f_buf(w, e);
        f_str(w, city->name);
        f_str(w, city->state);
        f_cents(w, j.pay);
        f_cents(w, j.bill);
        f_u64(w, j.openings);
        f_str(w, job_status_names[j.status]);
        f_date(w, c, j.opened);
        if (j.closed == NO_DAY) f_empty(w);
        else f_date(w, c, j.closed);
        w_end(w);
    }
}

static void gen_submissions(const ctx *c, csvw *w, scratch *sc)
{
    for (uint64_t id = 1; id <= c->n[T_SUB] && !w->err_no; id++) {
        demo_rng r;
        sub s;
        sub_core(c, id, &s, &r);
        f_u64(w, id);
        f_u64(w, s.job);
        f_u64(w, s.cand);
        f_ts(w, c, s.day, s.secs);
        f_str(w, stage_names[s.stage]);
        f_str(w, demo_recruiters.v[s.recruiter]);

        const demo_role *ro = &demo_roles[s.jo.role];
        demo_vars v = {.first = "", .role = ro->title, .next_role = ro->title,
                       .track = s.jo.track, .city = demo_cities[s.jo.city].name,
                       .state = demo_cities[s.jo.city].state, .city2 = demo_cities[s.jo.city].name,
                       .employer = "", .employer2 = "", .years = 3, .rate_cents = s.jo.pay,
                       .year_now = (unsigned)atoi(c->date[s.day])};
        v.nskills = c->role_nskill[s.jo.role];
        for (size_t i = 0; i < v.nskills; i++) v.skills[i] = demo_skills[c->role_skill[s.jo.role][i]].name;
        lh_buf_reset(&sc->text);
        demo_note(&sc->text, s.stage, &v, &r);
        f_buf(w, &sc->text);
        w_end(w);
    }
}

static void gen_placements(const ctx *c, csvw *w, scratch *sc)
{
    (void)sc;
    for (uint64_t j = 0; j < c->n[T_PLACE] && !w->err_no; j++) {
        demo_rng r;
        place p;
        place_core(c, j, &p, &r);
        assert(p.start == c->p_start[j] && p.s.stage == ST_PLACED);
        uint32_t weeks = c->p_weeks[j];

        uint32_t pay = p.s.jo.pay + demo_below(&r, 9) * 25 - 50;   /* -0.50..+1.50 */
        uint32_t bill = bill_for(pay, p.s.jo.markup_bp);
        const char *status;
        uint32_t end = NO_DAY;
        if (weeks == p.cap) {
            status = "active";
        } else if (weeks == 0) {                       /* never showed up */
            status = "terminated";
            end = p.start + demo_below(&r, 3);
            if (end > DAY_LAST) end = DAY_LAST;
        } else {
            status = demo_pct(&r, 80) ? "completed" : "terminated";
            uint32_t last = p.first_sunday + 7 * (weeks - 1) - demo_below(&r, 3);
            end = last > p.start ? last : p.start;
        }
        f_u64(w, j + 1);
        f_u64(w, p.sub_id);
        f_u64(w, p.s.job);
        f_u64(w, p.s.cand);
        f_date(w, c, p.start);
        if (end == NO_DAY) f_empty(w);
        else f_date(w, c, end);
        f_cents(w, pay);
        f_cents(w, bill);
        f_str(w, status);
        w_end(w);
    }
}

/* Week by week, every placement working that week files one timesheet, so
 * timesheet ids run in time order like a real system's. */
static void gen_timesheets(const ctx *c, csvw *w, scratch *sc)
{
    (void)sc;
    uint64_t np = c->n[T_PLACE];
    uint32_t *first = lh_xcalloc(NWEEKS + 1, sizeof *first);   /* bucket starts by first week */
    uint32_t *order = lh_xcalloc(np, sizeof *order);
    uint32_t *active = lh_xcalloc(np, sizeof *active);
    for (uint64_t j = 0; j < np; j++)
        if (c->p_weeks[j]) first[(next_sunday(c->p_start[j]) - SUNDAY_FIRST) / 7 + 1]++;
    for (size_t k = 1; k <= NWEEKS; k++) first[k] += first[k - 1];
    {
        uint32_t *fill = lh_xcalloc(NWEEKS, sizeof *fill);
        for (uint64_t j = 0; j < np; j++) {
            if (!c->p_weeks[j]) continue;
            size_t wk = (next_sunday(c->p_start[j]) - SUNDAY_FIRST) / 7;
            order[first[wk] + fill[wk]++] = (uint32_t)j;
        }
        free(fill);
    }

    uint64_t id = 1;
    size_t nactive = 0;
    for (uint32_t wk = 0; wk < NWEEKS && !w->err_no; wk++) {
        for (uint32_t k = first[wk]; k < first[wk + 1]; k++) active[nactive++] = order[k];
        uint32_t day = SUNDAY_FIRST + 7 * wk;
        size_t keep = 0;
        for (size_t a = 0; a < nactive; a++) {
            uint32_t j = active[a];
            uint32_t nth = (day - next_sunday(c->p_start[j])) / 7;
            demo_rng r;
            demo_rng_init(&r, c->seed, S_TS, ((uint64_t)j + 1) << 12 | nth);
            uint32_t x = demo_below(&r, 100);
            uint32_t regular = x < 70 ? 4000 : x < 80 ? 3600 : 3200 + demo_below(&r, 32) * 25;
            uint32_t overtime = regular == 4000 && demo_pct(&r, 45) ? 25 * (1 + demo_below(&r, 60)) : 0;
            int approved = demo_pct(&r, day + 14 >= SUNDAY_LAST ? 55 : 97);
            f_u64(w, id++);
            f_u64(w, (uint64_t)j + 1);
            f_date(w, c, day);
            f_cents(w, regular);
            f_cents(w, overtime);
            f_str(w, approved ? "true" : "false");
            if (approved) {
                uint32_t at = day + 1 + demo_below(&r, 3);
                f_ts(w, c, at < DAY_LAST ? at : DAY_LAST, 7 * 3600 + demo_below(&r, 13 * 3600));
            } else {
                f_empty(w);
            }
            w_end(w);
            if (nth + 1 < c->p_weeks[j]) active[keep++] = j;
        }
        nactive = keep;
    }
    assert(w->err_no || (id - 1 == c->n[T_TS] && nactive == 0));
    free(first);
    free(order);
    free(active);
}

typedef void (*gen_fn)(const ctx *, csvw *, scratch *);
static const gen_fn generators[LH_DEMO_NTABLES] = {
    gen_candidates, gen_clients, gen_contacts, gen_job_orders, gen_submissions,
    gen_placements, gen_timesheets,
};

/* Write one table to path via path.tmp. */
static int write_table(const ctx *c, size_t t, const char *path, scratch *sc, lh_demo_table *res,
                       lh_err *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);   /* fits: path is < 1024 */
    csvw w = {.f = fopen(tmp, "w")};
    if (!w.f)
        return lh_err_set(err, LH_EIO, "demo_write_failed", "cannot create %s: %s", tmp, strerror(errno));
    setvbuf(w.f, NULL, _IOFBF, 1u << 20);
    lh_buf_reserve(&w.b, FLUSH_AT + (64u << 10));
    lh_buf_puts(&w.b, headers[t]);
    lh_buf_putc(&w.b, '\n');

    generators[t](c, &w, sc);

    w_flush(&w);
    lh_buf_free(&w.b);
    if (fflush(w.f) != 0 && !w.err_no) w.err_no = errno;
    if (fclose(w.f) != 0 && !w.err_no) w.err_no = errno;
    if (w.err_no) {
        unlink(tmp);
        return lh_err_set(err, LH_EIO, "demo_write_failed", "writing %s: %s", tmp, strerror(w.err_no));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lh_err_set(err, LH_EIO, "demo_write_failed", "renaming %s to %s: %s", tmp, path,
                          strerror(e));
    }
    assert(w.rows == c->n[t]);
    res->rows = w.rows;
    res->bytes = w.bytes;
    return 0;
}

int lh_demo_generate(const char *dir, double scale, uint64_t seed, lh_demo_result *out,
                     lh_err *err)
{
    lh_demo_result local;
    lh_demo_result *res = out ? out : &local;
    memset(res, 0, sizeof *res);

    uint64_t counts[LH_DEMO_NTABLES];
    if (!lh_demo_row_counts(scale, counts))
        return lh_err_set(err, LH_EINVAL, "invalid_scale",
                          "demo scale %g is out of range: it must be greater than 0 and at most %g "
                          "(1 is 2,469,278 rows)", scale, LH_DEMO_SCALE_MAX);
    if (!dir || !*dir)
        return lh_err_set(err, LH_ENOTFOUND, "dir_not_found", "no output directory given for the demo data");
    struct stat st;
    if (stat(dir, &st) != 0)
        return lh_err_set(err, LH_ENOTFOUND, "dir_not_found",
                          "demo output directory \"%s\" is not usable: %s; create it first", dir,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return lh_err_set(err, LH_EINVAL, "not_a_directory",
                          "demo output path \"%s\" exists but is not a directory", dir);
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/') dlen--;
    for (size_t t = 0; t < LH_DEMO_NTABLES; t++) {
        lh_demo_table *tab = &res->tables[t];
        tab->name = table_names[t];
        int n = snprintf(tab->path, sizeof tab->path, "%.*s%s%s.csv", (int)dlen, dir,
                         dir[dlen - 1] == '/' ? "" : "/", table_names[t]);
        if (n < 0 || (size_t)n + 4 >= sizeof tab->path)   /* + ".tmp" */
            return lh_err_set(err, LH_EINVAL, "path_too_long",
                              "demo output directory \"%.200s...\" is too long a path", dir);
    }

    ctx *c = lh_xcalloc(1, sizeof *c);
    ctx_init(c, seed, counts);
    int rc = plan_placements(c, err);
    scratch sc = {LH_BUF_INIT, LH_BUF_INIT, LH_BUF_INIT, LH_BUF_INIT, LH_BUF_INIT};
    for (size_t t = 0; t < LH_DEMO_NTABLES && !rc; t++) {
        rc = write_table(c, t, res->tables[t].path, &sc, &res->tables[t], err);
        if (!rc) {
            res->n = t + 1;
            res->total_rows += res->tables[t].rows;
        }
    }
    lh_buf_free(&sc.a);
    lh_buf_free(&sc.b);
    lh_buf_free(&sc.e1);
    lh_buf_free(&sc.e2);
    lh_buf_free(&sc.text);
    ctx_free(c);
    free(c);
    return rc;
}

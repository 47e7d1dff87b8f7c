/* cli/demo_internal.h — private plumbing shared by the demo generator's
 * three files; nothing outside demo_gen.c, demo_text.c and demo_words.c
 * includes it (the public door is demo_gen.h).
 *
 * It holds three things:
 *  - the generator's PRNG. Every row draws from its own splitmix64 stream
 *    keyed by (seed, table, row id), never from a shared sequence. That is
 *    what lets a submission recompute "its" job order, or a placement its
 *    submission, without keeping either table in memory, and what makes
 *    the output independent of the order rows are produced in. splitmix64
 *    is tiny, passes BigCrush, and is pure 64-bit integer arithmetic, so
 *    it gives the same numbers on every machine;
 *  - the shapes of the word tables (demo_words.c) the rows are built from;
 *  - the text composer (demo_text.c): resumes, recruiter notes, and the
 *    ASCII folding that turns "José O'Brien" into "jose.obrien".
 */
#ifndef LH_CLI_DEMO_INTERNAL_H
#define LH_CLI_DEMO_INTERNAL_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

/* ---- PRNG ------------------------------------------------------------ */

typedef struct demo_rng {
    uint64_t s;
} demo_rng;

static inline uint64_t demo_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The stream for row `id` of stream family `stream` under `seed`. */
static inline void demo_rng_init(demo_rng *r, uint64_t seed, uint32_t stream, uint64_t id)
{
    r->s = demo_mix(demo_mix(demo_mix(seed) + stream) + id);
}

static inline uint64_t demo_next(demo_rng *r)
{
    r->s += 0x9E3779B97F4A7C15ULL;
    return demo_mix(r->s);
}

/* Uniform-enough integer in [0, n), n <= 2^32 (multiply-shift, no
 * division; the bias is below 2^-32 and, above all, deterministic). */
static inline uint32_t demo_below(demo_rng *r, uint64_t n)
{
    return (uint32_t)(((demo_next(r) >> 32) * n) >> 32);
}

/* True with probability pct/100. */
static inline int demo_pct(demo_rng *r, uint32_t pct)
{
    return demo_below(r, 100) < pct;
}

/* ---- word tables (demo_words.c) -------------------------------------- */

typedef struct demo_list {
    const char *const *v;
    size_t n;
} demo_list;

static inline const char *demo_pick(demo_rng *r, demo_list l)
{
    return l.v[demo_below(r, l.n)];
}

/* The industries/skill families. A client's industry, a job order's role,
 * a candidate's skills and a resume's vocabulary all come from one track,
 * so that a search for "night-shift ICU nurse" lands on nurses. */
enum {
    DEMO_MANUFACTURING, DEMO_HEALTHCARE, DEMO_LOGISTICS, DEMO_IT, DEMO_FINANCE,
    DEMO_HOSPITALITY, DEMO_CONSTRUCTION, DEMO_RETAIL, DEMO_OFFICE, DEMO_NTRACKS
};

typedef struct demo_track {
    const char *industry;       /* clients.industry */
    const char *field;          /* how a resume names the field */
    uint16_t    candidate_weight;
    demo_list   cores;          /* company-name cores ("Precision Tooling") */
    demo_list   certs;          /* may contain {state} */
    demo_list   achievements;   /* past-tense phrases; may contain {n} {pct} ... */
    demo_list   shifts;         /* "second shift", "remote work" */
    demo_list   title_suffixes; /* " - 2nd shift" */
    demo_list   contact_titles;
} demo_track;

typedef struct demo_skill {
    const char *name;
    int8_t      track;          /* -1: useful anywhere */
} demo_skill;

typedef struct demo_role {
    const char *title;
    uint8_t     track;
    uint16_t    pay_lo, pay_hi; /* whole dollars an hour, 2021 */
    const char *skills;         /* ';'-separated names from demo_skills */
} demo_role;

typedef struct demo_city {
    const char *name;
    const char *state;
    uint16_t    area, area2;    /* area codes; area2 0 when the city has one */
    uint16_t    weight;
} demo_city;

#define DEMO_ROLE_SKILLS_MAX 6
#define DEMO_TRACK_ROLES_MAX 8
#define DEMO_TRACK_SKILLS_MAX 16

extern const demo_track demo_tracks[DEMO_NTRACKS];
extern const demo_skill demo_skills[];
extern const size_t     demo_nskills;
extern const demo_role  demo_roles[];
extern const size_t     demo_nroles;
extern const demo_city  demo_cities[];
extern const size_t     demo_ncities;

extern const demo_list demo_first_names, demo_last_names, demo_email_domains;
extern const demo_list demo_company_prefixes, demo_company_suffixes;
extern const demo_list demo_recruiters, demo_account_managers, demo_general_contact_titles;

/* ---- text (demo_text.c) ---------------------------------------------- */

/* What a template may mention. Strings are borrowed; skills[] has at least
 * one entry. */
typedef struct demo_vars {
    const char *first;
    const char *role;
    const char *next_role;
    int         track;
    const char *city, *state, *city2;
    const char *employer, *employer2;
    const char *skills[8];
    size_t      nskills;
    unsigned    years;
    unsigned    year_now;   /* the year the text is written; {year} is before it */
    uint32_t    rate_cents;
} demo_vars;

/* Longest resume and the limits the composer keeps to (tests read these). */
#define DEMO_RESUME_MIN_WORDS 80
#define DEMO_RESUME_MAX_WORDS 250

/* Append a 2-4 paragraph resume of 80-250 words to out. */
void demo_resume(lh_buf *out, const demo_vars *v, demo_rng *r);

/* Append a recruiter's note for a submission at `stage` (0 submitted,
 * 1 interview, 2 offer, 3 rejected, 4 withdrawn, 5 placed); may append
 * nothing (an empty note). */
void demo_note(lh_buf *out, int stage, const demo_vars *v, demo_rng *r);

/* Append s folded to lower-case ASCII letters, digits and '-': accents are
 * stripped (é→e, ß→ss, ł→l), apostrophes, spaces and anything else
 * dropped. Used for e-mail addresses and domains. */
void demo_ascii_fold(lh_buf *out, const char *s);

/* Append the integer `cents` as "1234.56". */
void demo_put_cents(lh_buf *out, uint64_t cents);

/* Append an unsigned decimal. */
void demo_put_u64(lh_buf *out, uint64_t v);

/* "a" or "an" before `word`. */
const char *demo_article(const char *word);

#endif

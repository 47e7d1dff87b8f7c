/* cli/demo_text.c — free text for the demo dataset: resumes and notes.
 *
 * Resumes are what a later semantic search runs over, so they have to say
 * different things about different people in ordinary prose: each is 2-4
 * paragraphs (summary, experience, certifications, availability) of
 * sentences drawn without repetition from template pools, with the
 * candidate's own role, skills, cities, past employers, years and the
 * certifications and achievements of their industry filled in. Templates
 * are plain strings with {placeholders}; a placeholder's value may itself
 * contain placeholders (an achievement mentions {n} or {city2}) and is
 * expanded in turn. Some templates carry commas, double quotes and the
 * paragraph breaks are newlines, so a resume always needs CSV quoting and
 * sometimes quote doubling.
 *
 * Word counts are kept, not hoped for: the composer counts words as it
 * appends and stops between sentences inside [80, 250] (a sentence that
 * would overflow 250 is skipped). No template expands past ~35 words and
 * every pool holds well over 100 words, so both bounds always hold; the
 * unit test checks them on every generated resume.
 *
 * Nothing here formats through the C library (no printf, no locale): the
 * output must be byte-identical everywhere.
 */
#include "cli/demo_internal.h"

#include <assert.h>
#include <string.h>

#define LIST(a) {a, sizeof a / sizeof a[0]}

/* ---- small vocabularies used only by templates ------------------------ */

static const char *const adjectives[] = {
    "Reliable", "Detail-oriented", "Dependable", "Safety-minded", "Experienced",
    "Hard-working", "Versatile", "Motivated", "Results-driven", "Self-directed",
};
static const char *const soft_skills[] = {
    "punctual and dependable", "safety-conscious", "quick to learn new equipment",
    "good with customers", "organized under pressure", "a clear communicator",
    "calm in a crisis", "a steady hand on short-staffed shifts",
};
static const char *const quotes[] = {
    "one of the most dependable people on the team", "always the first to volunteer for overtime",
    "calm under pressure, even on the worst days", "safety-first, every single shift",
    "a natural trainer", "someone who never missed a deadline", "picks things up fast",
    "someone I would rehire tomorrow",
};
static const char *const languages[] = {
    "Spanish", "Polish", "Vietnamese", "Tagalog", "Arabic", "Mandarin", "French", "Hindi",
    "Korean", "Russian",
};
static const char *const checks[] = {
    "background check", "10-panel drug screen", "DOT physical", "TB test", "credit check",
};
static const char *const unavailable[] = {
    "on Sundays", "before 7 a.m.", "during the first week of December",
    "on Tuesday and Thursday evenings (night classes)", "for overnight travel",
};
static const char *const notices[] = {
    "two weeks'", "one week's", "30 days'", "three days'",
};
static const char *const weekdays[] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
};
static const char *const hours[] = {
    "9 a.m.", "10:30 a.m.", "1 p.m.", "2:15 p.m.", "3:30 p.m.", "11 a.m.",
};
static const char *const feedback[] = {
    "great attitude, a bit light on {skill2}", "liked the answers on {skill1}",
    "wants someone who can start Monday", "strong resume, weak interview",
    "overqualified, worried about retention", "solid on {skill1}, rate is high",
};

/* ---- resume templates ------------------------------------------------- */

static const char *const summary_tpl[] = {
    "{adj} {role} with {years} of experience in {field}.",
    "{first} is {role_a} with {years} in {field}, mostly in the {city} area.",
    "Brings {years} of hands-on experience and a strong background in {skill1}, {skill2} and {skill3}.",
    "Core strengths include {skill1}, {skill2}, and {skill3}.",
    "Currently based in {city}, {state}, and open to {shift}.",
    "Known for being {soft}, with a solid track record in {skill1}.",
    "Looking for a long-term {role} position within commuting distance of {city}.",
    "Has mostly worked {shift} for {tenure}.",
    "Comfortable working alone or as part of a crew of {n} or more.",
    "Motivated by steady hours, fair pay and a team that takes {skill1} seriously.",
    "Coworkers describe {first} as {soft}.",
};
static const char *const entry_tpl[] = {
    "Entry-level candidate looking to start a career in {field}.",
    "{first} recently finished a {field} training program in {city} and is eager to work as {role_a}.",
    "No paid experience yet, but completed hands-on training in {skill1} and {skill2}.",
    "Core strengths include {skill1}, {skill2}, and {skill3}.",
    "Currently based in {city}, {state}, and open to {shift}.",
    "Known for being {soft} and quick to learn.",
    "Looking for a first {role} position within commuting distance of {city}.",
    "Volunteered for {tenure} at a local nonprofit, helping with {skill2}.",
    "Comfortable working alone or as part of a team of {n} or more.",
    "Eager to earn {cert} within the first year on the job.",
};
static const char *const experience_tpl[] = {
    "Most recently worked at {employer} in {city2}, where {first} {achievement}.",
    "At {employer}, {first} {achievement}.",
    "Spent {tenure} at {employer} as {role_a}, focusing on {skill1} and {skill2}.",
    "Previously held a position with {employer2} working {shift}, handling {skill2} and {skill3} every day.",
    "Before moving to {city}, worked for {employer2} in {city2}.",
    "Promoted to lead {role} at {employer} after {tenure}.",
    "Has covered {n} different client sites through staffing agencies since {year}.",
    "During a seasonal peak at {employer2}, averaged {n} hours of overtime a week.",
    "Left {employer2} in {year} after the {city2} location closed.",
    "Day-to-day experience spans {skill1}, {skill3} and {skill2}.",
    "A supervisor at {employer} described {first} as \"{quote}.\"",
    "While at {employer2}, {first} {achievement}.",
};
static const char *const certs_tpl[] = {
    "Holds {cert} (renewed in {year}).",
    "Certifications: {cert}; {cert2}.",
    "Completed {cert} in {year}.",
    "Working toward {cert2}, expected within the year.",
    "Proficient in {skill1}; also familiar with {skill4}.",
    "Additional skills: {skills_all}.",
    "Passed a {check} in {year}.",
    "Has trained {n} coworkers on {skill2}.",
    "Keeps up with {field} practices through evening classes at a {city} community college.",
    "Comfortable with {skill3}, {skill1} and the paperwork that comes with them.",
};
static const char *const availability_tpl[] = {
    "Available to start within {n} days; prefers {shift}.",
    "Has reliable transportation and can commute to {city2} or anywhere in the {city} area.",
    "Open to temp-to-hire or direct-hire roles at ${rate}/hr or more.",
    "References available on request, including a former supervisor from {employer}.",
    "Speaks {language} and English.",
    "Not available {unavail}.",
    "Prefers assignments near {city} but will relocate for the right \"long-term\" opportunity.",
    "Interested in growing into {next_role_a} role.",
    "Can give {notice} notice to the current employer.",
    "Best reached by text after 5 p.m.; voicemail is checked daily.",
};

/* ---- note templates, by stage ----------------------------------------- */

static const char *const note_general[] = {
    "Strong match on {skill1}.",
    "Candidate prefers {shift}.",
    "Rate expectation ${rate}/hr.",
    "Left voicemail, will follow up tomorrow.",
    "Client asked for a second interview, tentatively {weekday}.",
    "Resume updated with recent {skill2} experience.",
    "Good fit, but the commute to {city} is long.",
    "Client feedback: \"{feedback}\"",
    "Needs to give {notice} notice at current job.",
    "Background check and drug screen ordered.",
};
static const char *const note_submitted[] = {
    "Submitted to hiring manager, awaiting feedback.", "Sent profile, client reviewing.",
};
static const char *const note_interview[] = {
    "Interview scheduled for {weekday} at {hour}.", "Phone screen went well; onsite next.",
};
static const char *const note_offer[] = {
    "Offer extended at ${rate}/hr, waiting on answer.", "Verbal offer, paperwork sent.",
};
static const char *const note_rejected[] = {
    "Client passed: not enough {skill1} experience.", "Client filled the role internally.",
    "Failed the {skill1} skills test.",
};
static const char *const note_withdrawn[] = {
    "Withdrew, accepted another offer.", "Withdrew, pay rate too low.",
    "No longer available for {shift}.",
};
static const char *const note_placed[] = {
    "Offer accepted, start date confirmed.", "Placed; background check cleared.",
};

static const demo_list note_by_stage[6] = {
    LIST(note_submitted), LIST(note_interview), LIST(note_offer),
    LIST(note_rejected), LIST(note_withdrawn), LIST(note_placed),
};

/* ---- formatting ------------------------------------------------------- */

void demo_put_u64(lh_buf *out, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    lh_buf_append(out, tmp + i, sizeof tmp - i);
}

void demo_put_cents(lh_buf *out, uint64_t cents)
{
    demo_put_u64(out, cents / 100);
    char frac[3] = {'.', (char)('0' + cents % 100 / 10), (char)('0' + cents % 10)};
    lh_buf_append(out, frac, 3);
}

const char *demo_article(const char *word)
{
    if (!strncmp(word, "HVAC", 4) || !strncmp(word, "LPN", 3) || !strncmp(word, "RN", 2))
        return "an";
    return strchr("AEIOUaeiou", word[0]) && word[0] ? "an" : "a";
}

/* Latin-1 supplement U+00C0..U+00FF folded to ASCII ("" drops it). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
};

/* The Latin Extended-A letters the name lists use (and their neighbours). */
static const char *fold_ext_a(unsigned cp)
{
    switch (cp) {
    case 0x104: case 0x105: return "a";
    case 0x106: case 0x107: case 0x10C: case 0x10D: return "c";
    case 0x118: case 0x119: case 0x11A: case 0x11B: return "e";
    case 0x141: case 0x142: return "l";
    case 0x143: case 0x144: case 0x147: case 0x148: return "n";
    case 0x150: case 0x151: return "o";
    case 0x158: case 0x159: return "r";
    case 0x15A: case 0x15B: case 0x160: case 0x161: return "s";
    case 0x170: case 0x171: return "u";
    case 0x179: case 0x17A: case 0x17B: case 0x17C: case 0x17D: case 0x17E: return "z";
    default: return "";
    }
}

void demo_ascii_fold(lh_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z') lh_buf_putc(out, (char)(c - 'A' + 'a'));
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                lh_buf_putc(out, (char)c);
            p++;
            continue;
        }
        if ((c & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            unsigned cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
            if (cp >= 0xC0 && cp <= 0xFF) lh_buf_puts(out, latin1_fold[cp - 0xC0]);
            else if (cp >= 0x100 && cp <= 0x17F) lh_buf_puts(out, fold_ext_a(cp));
            p += 2;
            continue;
        }
        /* Anything longer (or malformed) is dropped whole. */
        p++;
        while ((*p & 0xC0) == 0x80) p++;
    }
}

/* ---- template expansion ----------------------------------------------- */

static void put_tenure(lh_buf *out, unsigned years, demo_rng *r)
{
    if (years < 2) {
        lh_buf_puts(out, demo_below(r, 2) ? "about a year" : "several months");
        return;
    }
    unsigned top = years < 12 ? years : 12;
    demo_put_u64(out, 2 + demo_below(r, top - 1));
    lh_buf_puts(out, " years");
}

static void put_skills_all(lh_buf *out, const demo_vars *v)
{
    for (size_t i = 0; i < v->nskills; i++) {
        if (i) lh_buf_puts(out, i + 1 == v->nskills ? " and " : ", ");
        lh_buf_puts(out, v->skills[i]);
    }
}

static void expand(lh_buf *out, const char *tpl, const demo_vars *v, demo_rng *r, int depth);

/* Expand one {key}. Unknown keys are a bug in a template: assert, and in
 * release builds emit the key so the mistake is visible in the data. */
static void expand_key(lh_buf *out, const char *k, size_t n, const demo_vars *v, demo_rng *r,
                       int depth)
{
    const demo_track *t = &demo_tracks[v->track];
#define IS(s) (n == sizeof(s) - 1 && !memcmp(k, s, n))
    if (IS("first")) lh_buf_puts(out, v->first);
    else if (IS("role")) lh_buf_puts(out, v->role);
    else if (IS("role_a")) {
        lh_buf_puts(out, demo_article(v->role));
        lh_buf_putc(out, ' ');
        lh_buf_puts(out, v->role);
    } else if (IS("next_role_a")) {
        lh_buf_puts(out, demo_article(v->next_role));
        lh_buf_putc(out, ' ');
        lh_buf_puts(out, v->next_role);
    } else if (IS("field")) lh_buf_puts(out, t->field);
    else if (IS("years")) {
        demo_put_u64(out, v->years);
        lh_buf_puts(out, v->years == 1 ? " year" : " years");
    }
    else if (IS("city")) lh_buf_puts(out, v->city);
    else if (IS("state")) lh_buf_puts(out, v->state);
    else if (IS("city2")) lh_buf_puts(out, v->city2);
    else if (IS("employer")) lh_buf_puts(out, v->employer);
    else if (IS("employer2")) lh_buf_puts(out, v->employer2);
    else if (n == 6 && !memcmp(k, "skill", 5) && k[5] >= '1' && k[5] <= '4')
        lh_buf_puts(out, v->skills[(size_t)(k[5] - '1') % v->nskills]);
    else if (IS("skills_all")) put_skills_all(out, v);
    else if (IS("cert") || IS("cert2")) expand(out, demo_pick(r, t->certs), v, r, depth + 1);
    else if (IS("achievement")) expand(out, demo_pick(r, t->achievements), v, r, depth + 1);
    else if (IS("shift")) lh_buf_puts(out, demo_pick(r, t->shifts));
    else if (IS("adj")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(adjectives)));
    else if (IS("soft")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(soft_skills)));
    else if (IS("quote")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(quotes)));
    else if (IS("language")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(languages)));
    else if (IS("check")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(checks)));
    else if (IS("unavail")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(unavailable)));
    else if (IS("notice")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(notices)));
    else if (IS("weekday")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(weekdays)));
    else if (IS("hour")) lh_buf_puts(out, demo_pick(r, (demo_list)LIST(hours)));
    else if (IS("feedback")) expand(out, demo_pick(r, (demo_list)LIST(feedback)), v, r, depth + 1);
    else if (IS("n")) demo_put_u64(out, 2 + demo_below(r, 11));
    else if (IS("pct")) demo_put_u64(out, 5 + demo_below(r, 36));
    else if (IS("year")) demo_put_u64(out, v->year_now - demo_below(r, 10));
    else if (IS("tenure")) put_tenure(out, v->years, r);
    else if (IS("rate")) demo_put_cents(out, v->rate_cents);
    else {
        assert(!"unknown demo template key");
        lh_buf_append(out, k, n);
    }
#undef IS
}

static void expand(lh_buf *out, const char *tpl, const demo_vars *v, demo_rng *r, int depth)
{
    assert(depth < 4);
    const char *p = tpl;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            lh_buf_puts(out, p);
            return;
        }
        lh_buf_append(out, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        assert(close);
        expand_key(out, open + 1, (size_t)(close - open - 1), v, r, depth);
        p = close + 1;
    }
}

static size_t count_words(const char *s, size_t n)
{
    size_t words = 0;
    int in = 0;
    for (size_t i = 0; i < n; i++) {
        int space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t';
        if (!space && !in) words++;
        in = !space;
    }
    return words;
}

/* ---- resumes ---------------------------------------------------------- */

void demo_resume(lh_buf *out, const demo_vars *v, demo_rng *r)
{
    const demo_list pools[4] = {
        v->years ? (demo_list)LIST(summary_tpl) : (demo_list)LIST(entry_tpl),
        LIST(experience_tpl), LIST(certs_tpl), LIST(availability_tpl),
    };
    unsigned npara = 2 + demo_below(r, 3);
    size_t target = DEMO_RESUME_MIN_WORDS + demo_below(r, 136); /* 80..215 */
    const char *sep = demo_pct(r, 80) ? "\n\n" : "\n";
    size_t words = 0;

    for (unsigned p = 0; p < npara; p++) {
        /* This paragraph's templates, shuffled: no sentence twice. */
        uint8_t order[16];
        size_t n = pools[p].n;
        assert(n <= sizeof order);
        for (size_t i = 0; i < n; i++) order[i] = (uint8_t)i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = demo_below(r, i + 1);
            uint8_t t = order[i]; order[i] = order[j]; order[j] = t;
        }
        size_t goal = target * (p + 1) / npara;
        if (p) lh_buf_puts(out, sep);
        size_t sentences = 0;
        for (size_t i = 0; i < n; i++) {
            if (sentences && words >= goal) break;
            size_t mark = out->len;
            if (sentences) lh_buf_putc(out, ' ');
            expand(out, pools[p].v[order[i]], v, r, 0);
            size_t w = count_words(out->data + mark, out->len - mark);
            if (words + w > DEMO_RESUME_MAX_WORDS) { /* would overflow: try a shorter one */
                out->len = mark;
                out->data[mark] = '\0';
                continue;
            }
            words += w;
            sentences++;
        }
        assert(sentences > 0);
    }
    assert(words >= DEMO_RESUME_MIN_WORDS && words <= DEMO_RESUME_MAX_WORDS);
}

/* ---- notes ------------------------------------------------------------ */

void demo_note(lh_buf *out, int stage, const demo_vars *v, demo_rng *r)
{
    assert(stage >= 0 && stage < 6);
    int decisive = stage == 2 || stage == 5;
    if (demo_pct(r, decisive ? 10 : 30)) return;           /* no note */
    demo_list pool = demo_pct(r, 55) ? note_by_stage[stage] : (demo_list)LIST(note_general);
    expand(out, demo_pick(r, pool), v, r, 0);
    if (demo_pct(r, 15)) {                                 /* a second remark */
        lh_buf_putc(out, ' ');
        expand(out, demo_pick(r, (demo_list)LIST(note_general)), v, r, 0);
    }
}

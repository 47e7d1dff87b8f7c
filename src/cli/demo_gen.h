/* cli/demo_gen.h — the deterministic staffing demo dataset.
 *
 * `lakehouse demo`, the tests and the benchmarks all need the same
 * realistic data: a staffing agency's candidates, clients and their
 * contacts, job orders, submissions of candidates to job orders,
 * placements, and weekly timesheets. This module writes it as seven CSV
 * files into a directory. It does no I/O beyond those files and knows
 * nothing about datasets or the server; loading them is the caller's job.
 *
 * Guarantees:
 *  - Determinism. The same (scale, seed) produces byte-identical files on
 *    any machine and in any process: the generator has its own PRNG
 *    (splitmix64, one stream per row), does all arithmetic in integers
 *    (money is integer cents printed as "1234.56"), and formats nothing
 *    through the C library's locale-sensitive paths.
 *  - Size. Scale 1.0 is exactly 2,469,278 rows (see lh_demo_row_counts).
 *  - Shape. RFC 4180 CSV: UTF-8, a header row, '\n' line ends, a field is
 *    quoted only when it contains a comma, a double quote, CR or LF, and
 *    quotes inside it are doubled. Every record has the header's field
 *    count. An empty field means NULL.
 *  - Integrity. Ids are 1..N in file order; every foreign key references an
 *    existing row; dates lie in 2021-01-01..2026-06-30. Events follow
 *    each other in time the way they would in the agency's system (a
 *    candidate exists before being submitted, a placement starts after its
 *    submission, a timesheet's week ends on or after the start).
 *    Plausible, not audited: a candidate is occasionally submitted twice
 *    to one job order (~0.5% of submissions) or holds two overlapping
 *    placements (~3% of placed candidates).
 *
 * Tables, in dependency order, and the rules a test can rely on:
 *   candidates   candidate_id, first_name, last_name, email, phone, city,
 *                state, skills, years_experience, desired_rate, status,
 *                created_at, resume_text
 *       email is unique, lower-case ASCII ("jose.obrien4821@example.com");
 *       skills is 3-8 distinct names joined by ';'; years_experience is an
 *       integer 0-35; status is active|placed|inactive, and "placed"
 *       exactly when the candidate has an active placement; resume_text
 *       is 2-4 newline-separated paragraphs of 80-250 words.
 *   clients      client_id, name, industry, city, state, account_manager,
 *                created_at
 *   contacts     contact_id, client_id, first_name, last_name, title,
 *                email, phone
 *   job_orders   job_order_id, client_id, contact_id, title,
 *                required_skills, city, state, pay_rate, bill_rate,
 *                openings, status, opened_at, closed_at
 *       contact_id is a contact of client_id; bill_rate > pay_rate with a
 *       markup (bill-pay)/pay of 20%-60%; openings 1-20; status is
 *       open|filled|closed|on_hold and closed_at is empty exactly when the
 *       status is open or on_hold.
 *   submissions  submission_id, job_order_id, candidate_id, submitted_at,
 *                stage, recruiter, notes
 *       stage is submitted|interview|offer|rejected|withdrawn|placed, and
 *       "placed" exactly for the submissions that have a placement.
 *   placements   placement_id, submission_id, job_order_id, candidate_id,
 *                start_date, end_date, pay_rate, bill_rate, status
 *       submission_id is unique; job_order_id and candidate_id are that
 *       submission's; status is active|completed|terminated and end_date
 *       is empty exactly when active; the same markup rule as job orders.
 *   timesheets   timesheet_id, placement_id, week_ending, regular_hours,
 *                overtime_hours, approved, approved_at
 *       one per placement and week; week_ending is a Sunday on or after
 *       the placement's start_date; regular_hours 32.00-40.00,
 *       overtime_hours 0.00-15.00; approved is true|false and approved_at
 *       is empty exactly when false. Rows are in week order.
 *   Dates are YYYY-MM-DD, timestamps "YYYY-MM-DD HH:MM:SS".
 *
 * Deliberately messy columns (legacy data, for schema inference to cope
 * with), chosen by id so tests can find them; nothing else is messy:
 *   candidates.phone         normally "+1-312-555-0147"; "N/A" when
 *                            candidate_id % 101 == 7, empty when
 *                            % 103 == 13, else "(312) 555-0147" when
 *                            % 53 == 21.
 *   candidates.desired_rate  normally "28.50"; empty when
 *                            candidate_id % 67 == 29.
 *   contacts.phone           "+1-312-555-0147 x204" (an extension) when
 *                            contact_id % 11 == 4.
 *   Legitimately empty (NULL) fields: job_orders.closed_at,
 *   placements.end_date, timesheets.approved_at as described above, and
 *   submissions.notes (often empty).
 *
 * Thread-safety: none needed; lh_demo_generate keeps all state on its own
 * stack and heap, so concurrent calls into different directories are fine.
 */
#ifndef LH_CLI_DEMO_GEN_H
#define LH_CLI_DEMO_GEN_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define LH_DEMO_NTABLES   7
#define LH_DEMO_SCALE_MAX 100.0
#define LH_DEMO_SEED      20210101u   /* the seed `lakehouse demo` uses unless told otherwise */

typedef struct lh_demo_table {
    const char *name;   /* "candidates", ...; static storage */
    uint64_t    rows;   /* data rows, not counting the header */
    uint64_t    bytes;  /* file size, header included */
    char        path[1024];
} lh_demo_table;

typedef struct lh_demo_result {
    lh_demo_table tables[LH_DEMO_NTABLES]; /* in dependency order */
    size_t        n;                       /* tables written: 7 on success */
    uint64_t      total_rows;
} lh_demo_result;

/* Name of table i (0..6) in dependency order: candidates, clients,
 * contacts, job_orders, submissions, placements, timesheets. NULL when
 * out of range. */
const char *lh_demo_table_name(size_t i);

/* Row counts at `scale` without generating anything, in the order above:
 * each base count (50,000; 1,500; 7,500; 15,000; 250,000; 30,000;
 * 2,115,278) times scale, rounded to nearest (halves away from zero),
 * at least 1. Returns the total (2,469,278 at scale 1), or 0 with counts
 * zeroed when scale is not in (0, 100]. */
uint64_t lh_demo_row_counts(double scale, uint64_t counts[LH_DEMO_NTABLES]);

/* Write DIR/<table>.csv for all seven tables, replacing existing files.
 * Each file is written as <table>.csv.tmp and renamed into place when
 * complete, so a file with the final name is never partial; on failure the
 * tables already finished stay, the current one is removed.
 *
 * dir must be an existing directory. out may be NULL; when given it is
 * filled with what was written (on failure: the tables completed so far).
 * Errors: LH_EINVAL "invalid_scale" (scale not in (0, 100]),
 * LH_ENOTFOUND "dir_not_found", LH_EINVAL "not_a_directory" or
 * "path_too_long", LH_EIO "demo_write_failed". */
int lh_demo_generate(const char *dir, double scale, uint64_t seed, lh_demo_result *out,
                     lh_err *err);

#endif

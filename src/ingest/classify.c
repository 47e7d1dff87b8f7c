/* ingest/classify.c — which columns of a new dataset hold personal data.
 *
 * ADR-013 asks for a sensitivity classification on every dataset,
 * auto-detected where possible. A staffing agency's exports are full of
 * candidates' emails, phone numbers, SSNs, addresses and names, usually
 * under telling column names, sometimes not ("contact", "col7"). So two
 * signals, either of which is enough:
 *
 *   - the column name: split into lower-case words (snake_case, camelCase,
 *     spaces and punctuation all split), then matched against word lists
 *     ("email", "e_mail", "phone", "mobile", "ssn", "zip", "first_name",
 *     ...). Words, not substrings, so "business" is not "sin" and
 *     "description" is not "ip";
 *   - the values, for text columns only: over a sample (the first rows
 *     of the file: 10,000, fewer for very wide files but never under
 *     1,000), the share of non-empty values that *entirely* match an
 *     email, phone (NANP or international +NN...) or SSN pattern. A kind
 *     is reported at >= 80%. Full matches are what count, so a résumé
 *     text that mentions an email address is free text, not an email
 *     column.
 *
 * The name decides first (it states intent); values are consulted only for
 * VARCHAR columns the name said nothing about. All text columns are judged
 * by one query (per 4,096 columns) over the unpivoted sample, so the
 * query's size does not grow with the number of pattern tests: 3,333 text
 * columns take about half a second.
 */
#include "ingest/convert.h"

#include "core/buf.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAMPLE_ROWS     10000     /* rows sampled from the head of the file */
#define MIN_SAMPLE_ROWS 1000      /* ... at least, however wide the file */
#define SAMPLE_VALUES   2000000   /* ... and about this many values per query */
#define BATCH_COLS      4096      /* text columns per query */
#define MIN_SHARE       0.8

/* RE2 patterns, matched with regexp_full_match against trim(value). */
#define RE_EMAIL "[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}"
#define RE_SSN   "[0-9]{3}-[0-9]{2}-[0-9]{4}"
/* NANP: optional +1, area code 2-9XX (in parentheses or not), 3 + 4 digits
 * with optional separators, optional extension. International: + country
 * code, then 6-20 digits, spaces, dots, dashes, parentheses; the digit
 * count is checked separately (8..15, E.164). */
#define RE_NANP  "(\\+?1[ .-]?)?(\\([2-9][0-9]{2}\\)|[2-9][0-9]{2})[ .-]?[0-9]{3}[ .-]?[0-9]{4}" \
                 "( ?(x|ext\\.?) ?[0-9]{1,6})?"
#define RE_INTL  "\\+[1-9][0-9 ().-]{5,22}[0-9]"

/* ---- names ---- */

/* Split a column name into lower-case ASCII words: "homePhone" -> home
 * phone, "E-Mail Address" -> e mail address. Writes "w1 w2 ... " (each word
 * followed by one space) into out. */
static void name_words(const char *name, lh_buf *out)
{
    int in_word = 0;
    char prev = 0;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        int digit = ch >= '0' && ch <= '9';
        if (!alpha && !digit) {
            if (in_word) lh_buf_putc(out, ' ');
            in_word = 0;
        } else {
            int upper = ch >= 'A' && ch <= 'Z';
            if (in_word && upper && prev >= 'a' && prev <= 'z') lh_buf_putc(out, ' ');  /* camelCase */
            lh_buf_putc(out, upper ? (char)(ch - 'A' + 'a') : ch);
            in_word = 1;
        }
        prev = ch;
    }
    if (in_word) lh_buf_putc(out, ' ');
}

/* Is any of the phrases (space-separated words, e.g. "first name") a run
 * of whole words in `words` ("w1 w2 ... ")? */
static int has_phrase(const char *words, const char *const *phrases)
{
    for (; *phrases; phrases++) {
        size_t n = strlen(*phrases);
        for (const char *p = words; (p = strstr(p, *phrases)) != NULL; p++) {
            int starts = p == words || p[-1] == ' ';
            if (starts && p[n] == ' ') return 1;
        }
    }
    return 0;
}

static const char *const EMAIL_WORDS[] = {"email", "e mail", "emailaddress", "mail address", NULL};
static const char *const PHONE_WORDS[] = {"phone", "telephone", "tel", "mobile", "cell", "cellphone",
                                          "fax", "phonenumber", "mobilephone", "msisdn", NULL};
static const char *const ID_WORDS[] = {"ssn", "sin", "nino", "social security", "socialsecurity",
                                       "national id", "nationalid", "national insurance", "tax id",
                                       "taxid", "tin", "passport", "drivers license", "driver license",
                                       "licence number", "license number", NULL};
static const char *const ADDRESS_WORDS[] = {"address", "street", "zip", "zipcode", "zip code",
                                            "postal", "postcode", "post code", "postalcode", "addr",
                                            "address1", "address2", NULL};
static const char *const NOT_POSTAL[] = {"ip", "mac", "email", "e mail", "web", "url", "ip address",
                                         "ipaddress", NULL};
static const char *const NAME_WORDS[] = {"first name", "firstname", "last name", "lastname", "full name",
                                         "fullname", "surname", "given name", "givenname", "family name",
                                         "familyname", "middle name", "middlename", "maiden name",
                                         "forename", "fname", "lname", "candidate name", "contact name", "employee name",
                                         "person name", "legal name", "preferred name", NULL};

static const char *kind_from_name(const char *name)
{
    lh_buf w = LH_BUF_INIT;
    name_words(name, &w);
    const char *words = w.data ? w.data : "";
    const char *kind = NULL;
    if (has_phrase(words, EMAIL_WORDS)) kind = "email";
    else if (has_phrase(words, ID_WORDS)) kind = "national_id";
    else if (has_phrase(words, PHONE_WORDS)) kind = "phone";
    else if (has_phrase(words, ADDRESS_WORDS) && !has_phrase(words, NOT_POSTAL)) kind = "postal_address";
    else if (has_phrase(words, NAME_WORDS)) kind = "person_name";
    lh_buf_free(&w);
    return kind;
}

/* ---- values ---- */

/* Columns idx[0..n) are VARCHAR: judge them from the sample in one query.
 * The sample is unpivoted to (column, value) rows so the query has four
 * pattern tests in all, not four per column (a query with thousands of
 * expressions spends its time in DuckDB's optimizer). Each column is
 * renamed to its batch position so the result names it by number. */
static int classify_values(lh_engine_conn *c, const char *path, const lh_column *cols, const size_t *idx,
                           size_t n, const char **kinds, lh_err *err)
{
    assert(n > 0);
    size_t rows = SAMPLE_VALUES / n;
    if (rows > SAMPLE_ROWS) rows = SAMPLE_ROWS;
    if (rows < MIN_SAMPLE_ROWS) rows = MIN_SAMPLE_ROWS;

    lh_buf sql = LH_BUF_INIT;
    /* Only values that could be an email, phone or id at all (<= 254 bytes,
     * the longest valid email) reach the regexes: long free text such as a
     * résumé can never fully match, and matching it dominated the cost. */
    /* Each regex runs only where a cheap test says it could match (CASE
     * evaluates its THEN on the rows its WHEN selected; AND would run
     * both sides on every row): an email has an "@", an SSN is 11
     * bytes, a phone has 8 (international) to 17 (+1, ten digits and a
     * six-digit extension) digits. Most values of a typical text column
     * fail all three, and the regexes were most of the time this took. */
    lh_buf_puts(&sql, "SELECT CAST(k AS BIGINT), count(v), "
                      "count_if(CASE WHEN contains(s, '@') THEN regexp_full_match(s, ");
    lh_sql_quote_literal(&sql, RE_EMAIL);
    lh_buf_puts(&sql, ") ELSE false END), count_if(CASE WHEN strlen(s) = 11 THEN regexp_full_match(s, ");
    lh_sql_quote_literal(&sql, RE_SSN);
    lh_buf_puts(&sql, ") ELSE false END), count_if(CASE WHEN d BETWEEN 8 AND 17 THEN regexp_full_match(s, ");
    lh_sql_quote_literal(&sql, RE_NANP);
    lh_buf_puts(&sql, ") OR (d <= 15 AND regexp_full_match(s, ");
    lh_sql_quote_literal(&sql, RE_INTL);
    /* The digit count d as length minus length without digits: translate()
     * is a plain character map, while regexp_replace(s, '[^0-9]', '', 'g')
     * restarts a search per removed character (measured: 35 us per
     * 84-character value, most of a 1M-row pull's classification). */
    lh_buf_puts(&sql, ")) ELSE false END) "
                      "FROM (SELECT k, v, s, length(s) - length(translate(s, '0123456789', '')) AS d FROM "
                      "(SELECT k, v, CASE WHEN strlen(v) <= 254 THEN v ELSE '' END AS s FROM "
                      "(SELECT k, nullif(trim(v), '') AS v FROM (UNPIVOT (SELECT ");
    for (size_t k = 0; k < n; k++) {
        if (k) lh_buf_puts(&sql, ", ");
        lh_sql_quote_ident(&sql, cols[idx[k]].name);
        lh_buf_printf(&sql, " AS \"%zu\"", k);
    }
    lh_buf_puts(&sql, " FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_printf(&sql, ") LIMIT %zu) ON COLUMNS(*) INTO NAME k VALUE v)))) GROUP BY k", rows);

    lh_engine_result *res = NULL;
    int rc = lh_engine_query(c, sql.data, &res, err);
    lh_buf_free(&sql);
    if (rc) return rc;
    for (lh_chunk *ch = NULL; rc == 0;) {
        if ((rc = lh_result_next(res, &ch, err)) != 0 || !ch) break;
        for (size_t r = 0; r < lh_chunk_rows(ch) && rc == 0; r++) {
            int64_t cnt[5] = {0, 0, 0, 0, 0};
            for (size_t j = 0; j < 5 && rc == 0; j++) rc = lh_chunk_int64(ch, j, r, &cnt[j], err);
            if (rc || cnt[0] < 0 || (size_t)cnt[0] >= n || cnt[1] == 0) continue;
            double total = (double)cnt[1];
            const char **kind = &kinds[idx[cnt[0]]];
            if (cnt[2] / total >= MIN_SHARE) *kind = "email";
            else if (cnt[3] / total >= MIN_SHARE) *kind = "national_id";
            else if (cnt[4] / total >= MIN_SHARE) *kind = "phone";
        }
        lh_chunk_free(ch);
    }
    lh_result_free(res);
    return rc;
}

int lh_ingest_classify(lh_engine_conn *c, const char *parquet_path, const lh_column *cols, size_t n,
                       const char **kinds, lh_err *err)
{
    assert(c && parquet_path && (cols || n == 0) && (kinds || n == 0));
    size_t *text = lh_xcalloc(n ? n : 1, sizeof *text), n_text = 0;
    for (size_t i = 0; i < n; i++) {
        kinds[i] = kind_from_name(cols[i].name);
        if (!kinds[i] && strcasecmp(cols[i].type, "VARCHAR") == 0) text[n_text++] = i;
    }
    int rc = 0;
    for (size_t at = 0; at < n_text && rc == 0; at += BATCH_COLS) {
        size_t m = n_text - at < BATCH_COLS ? n_text - at : BATCH_COLS;
        rc = classify_values(c, parquet_path, cols, text + at, m, kinds, err);
    }
    free(text);
    if (rc) {
        for (size_t i = 0; i < n; i++) kinds[i] = NULL;
        lh_err_prefix(err, "classifying %s", parquet_path);
    }
    return rc;
}

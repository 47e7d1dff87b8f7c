/* engine/scalar.c — formatting DuckDB's scalar storage formats as text.
 *
 * Each function turns one stored value (an integer of some width, days
 * since 1970, microseconds, a 16-byte UUID, a BIT string, ...) into
 * characters, in one of two forms:
 *
 *  - text: exactly what DuckDB 1.4.4's CAST(x AS VARCHAR) prints (the unit
 *    test checks this against DuckDB for every type): doubles in shortest
 *    round-trip form with DuckDB's exponent thresholds ("0.1", "1e+16"),
 *    DECIMALs with all their scale digits, dates with " (BC)", fractional
 *    seconds without trailing zeros, "infinity" for infinite dates;
 *  - ISO (JSON): ISO-8601 dates, times and durations ("2024-01-02T03:04:05Z",
 *    "P1Y2M3DT4H5M6.5S"), expanded years with a sign outside 0000-9999
 *    ("-000043-03-15", as JavaScript writes them), and JSON-safe numbers.
 *
 * Nothing here touches DuckDB objects: it is arithmetic on bytes, with
 * DuckDB's storage conventions written down where they are used. Exact
 * values stay exact: HUGEINT, UHUGEINT and DECIMAL go through 128-bit
 * integers, BIGNUM through byte-wise long division.
 */
#include "engine/engine_internal.h"
#include "core/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- integers and decimals ---- */

void lh__fmt_u128(lh_buf *out, unsigned __int128 v)
{
    char tmp[40];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    lh_buf_append(out, tmp + i, sizeof tmp - i);
}

void lh__fmt_i128(lh_buf *out, __int128 v)
{
    if (v < 0) {
        lh_buf_putc(out, '-');
        lh__fmt_u128(out, -(unsigned __int128)v);
    } else {
        lh__fmt_u128(out, (unsigned __int128)v);
    }
}

void lh__fmt_decimal(lh_buf *out, __int128 v, uint8_t scale)
{
    if (scale == 0) {
        lh__fmt_i128(out, v);
        return;
    }
    unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    unsigned __int128 pow10 = 1;
    for (uint8_t i = 0; i < scale; i++) pow10 *= 10;
    if (v < 0) lh_buf_putc(out, '-');
    lh__fmt_u128(out, mag / pow10);
    lh_buf_putc(out, '.');
    char frac[40];
    unsigned __int128 f = mag % pow10;
    for (int i = scale - 1; i >= 0; i--) {
        frac[i] = (char)('0' + (int)(f % 10));
        f /= 10;
    }
    lh_buf_append(out, frac, scale);
}

/* ---- floating point ---- */

/* Shortest digits that read back as the same value, in the layout DuckDB
 * (like Python's repr) uses: positional when the decimal exponent is in
 * [-4, 16), else d.ddde±XX; a positional value always has a fraction. */
void lh__fmt_double(lh_buf *out, double d, int is_float, int json)
{
    if (isnan(d)) {
        lh_buf_puts(out, json ? "\"NaN\"" : "nan");
        return;
    }
    if (isinf(d)) {
        lh_buf_puts(out, d < 0 ? (json ? "\"-Infinity\"" : "-inf") : (json ? "\"Infinity\"" : "inf"));
        return;
    }
    if (d == 0) {
        lh_buf_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char buf[48];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
    }
    /* buf is [-]D[.DDD]e[+-]X+ */
    const char *p = buf;
    int neg = *p == '-';
    if (neg) p++;
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.' && nd < sizeof digits - 1) digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int e = atoi(p + 1);
    if (neg) lh_buf_putc(out, '-');
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++) lh_buf_putc(out, (size_t)i < nd ? digits[i] : '0');
            lh_buf_putc(out, '.');
            if ((size_t)e + 1 < nd) lh_buf_append(out, digits + e + 1, nd - (size_t)e - 1);
            else lh_buf_putc(out, '0');
        } else {
            lh_buf_puts(out, "0.");
            for (int i = 0; i < -e - 1; i++) lh_buf_putc(out, '0');
            lh_buf_append(out, digits, nd);
        }
    } else {
        lh_buf_putc(out, digits[0]);
        if (nd > 1) {
            lh_buf_putc(out, '.');
            lh_buf_append(out, digits + 1, nd - 1);
        }
        lh_buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', abs(e));
    }
}

/* ---- dates and times ---- */

/* DuckDB's infinities: DATE ±(INT32_MAX), timestamps ±(INT64_MAX). */
#define DATE_PINF INT32_MAX
#define DATE_NINF (-INT32_MAX)
#define TS_PINF   INT64_MAX
#define TS_NINF   (-INT64_MAX)

/* Proleptic Gregorian civil date of a day number (days since 1970-01-01);
 * y is astronomical (0 = 1 BC). H. Hinnant's days_from_civil inverse. */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static void put_civil(lh_buf *out, int64_t days, int iso)
{
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    if (iso) {
        if (y >= 0 && y <= 9999) lh_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
        else lh_buf_printf(out, "%c%06lld-%02d-%02d", y < 0 ? '-' : '+', (long long)(y < 0 ? -y : y), m, d);
    } else if (y <= 0) {
        lh_buf_printf(out, "%04lld-%02d-%02d (BC)", (long long)(1 - y), m, d);
    } else {
        lh_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
    }
}

void lh__fmt_date(lh_buf *out, int32_t days, int iso)
{
    if (days == DATE_PINF) lh_buf_puts(out, "infinity");
    else if (days == DATE_NINF) lh_buf_puts(out, "-infinity");
    else put_civil(out, days, iso);
}

/* Fraction digits of `frac` (of `digits` places) without trailing zeros. */
static void put_fraction(lh_buf *out, int64_t frac, int digits)
{
    if (frac == 0 || digits == 0) return;
    char tmp[16];
    for (int i = digits - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    int n = digits;
    while (n > 0 && tmp[n - 1] == '0') n--;
    lh_buf_putc(out, '.');
    lh_buf_append(out, tmp, (size_t)n);
}

static int64_t pow10i(int n)
{
    int64_t p = 1;
    while (n-- > 0) p *= 10;
    return p;
}

/* HH:MM:SS[.fff] from a non-negative count of 10^-digits seconds. */
static void put_clock(lh_buf *out, int64_t units, int digits)
{
    int64_t per_sec = pow10i(digits);
    int64_t secs = units / per_sec, frac = units % per_sec;
    lh_buf_printf(out, "%02lld:%02lld:%02lld", (long long)(secs / 3600), (long long)(secs / 60 % 60),
                  (long long)(secs % 60));
    put_fraction(out, frac, digits);
}

void lh__fmt_time(lh_buf *out, int64_t units, int digits)
{
    if (units < 0) { /* not produced by DuckDB; keep the text honest */
        lh_buf_putc(out, '-');
        units = -units;
    }
    put_clock(out, units, digits);
}

/* UTC offset in seconds: "+HH[:MM[:SS]]" as text, "+HH:MM[:SS]" as ISO. */
static void put_offset(lh_buf *out, int32_t off, int iso)
{
    lh_buf_putc(out, off < 0 ? '-' : '+');
    if (off < 0) off = -off;
    int h = off / 3600, m = off / 60 % 60, s = off % 60;
    lh_buf_printf(out, "%02d", h);
    if (iso || m || s) lh_buf_printf(out, ":%02d", m);
    if (s) lh_buf_printf(out, ":%02d", s);
}

void lh__fmt_time_tz(lh_buf *out, uint64_t bits, int iso)
{
    /* DuckDB packs TIMETZ as micros << 24 | (MAX_OFFSET - offset_seconds),
     * MAX_OFFSET = 16 h - 1 s, so the offset field is never negative. */
    const int32_t max_offset = 16 * 60 * 60 - 1;
    int64_t micros = (int64_t)(bits >> 24);
    int32_t offset = max_offset - (int32_t)(bits & 0xFFFFFF);
    put_clock(out, micros, 6);
    put_offset(out, offset, iso);
}

void lh__fmt_timestamp(lh_buf *out, int64_t v, int64_t units_per_sec, int tz, int iso)
{
    if (v == TS_PINF) {
        lh_buf_puts(out, "infinity");
        return;
    }
    if (v == TS_NINF) {
        lh_buf_puts(out, "-infinity");
        return;
    }
    int digits = units_per_sec == 1 ? 0 : units_per_sec == 1000 ? 3 : units_per_sec == 1000000 ? 6 : 9;
    int64_t per_day = 86400 * units_per_sec;
    int64_t days = v / per_day, rem = v % per_day;
    if (rem < 0) {
        rem += per_day;
        days--;
    }
    put_civil(out, days, iso);
    lh_buf_putc(out, iso ? 'T' : ' ');
    put_clock(out, rem, digits);
    if (tz) lh_buf_puts(out, iso ? "Z" : "+00");
}

/* ---- intervals ---- */

/* "N unit(s)", space-separated from what this value already printed
 * (everything after `start` in out). */
static void put_part(lh_buf *out, size_t start, long long v, const char *unit)
{
    if (out->len > start) lh_buf_putc(out, ' ');
    lh_buf_printf(out, "%lld %s%s", v, unit, v == 1 || v == -1 ? "" : "s");
}

void lh__fmt_interval(lh_buf *out, int32_t months, int32_t days, int64_t micros, int iso)
{
    int32_t years = months / 12, mon = months % 12;
    uint64_t m = micros < 0 ? -(uint64_t)micros : (uint64_t)micros;
    uint64_t secs = m / 1000000u, frac = m % 1000000u;
    if (iso) {
        lh_buf_putc(out, 'P');
        if (years) lh_buf_printf(out, "%dY", years);
        if (mon) lh_buf_printf(out, "%dM", mon);
        if (days) lh_buf_printf(out, "%dD", days);
        if (micros || (!months && !days)) {
            /* ISO has no negative durations; each part carries the sign. */
            const char *sign = micros < 0 ? "-" : "";
            unsigned long long h = secs / 3600, mi = secs / 60 % 60, s = secs % 60;
            lh_buf_putc(out, 'T');
            if (h) lh_buf_printf(out, "%s%lluH", sign, h);
            if (mi) lh_buf_printf(out, "%s%lluM", sign, mi);
            if (s || frac || (!h && !mi)) {
                lh_buf_printf(out, "%s%llu", sign, s);
                put_fraction(out, (int64_t)frac, 6);
                lh_buf_putc(out, 'S');
            }
        }
        return;
    }
    /* DuckDB: "1 year 2 months 3 days 04:05:06.789", "-1 day", "00:00:00". */
    size_t start = out->len;
    if (years) put_part(out, start, years, "year");
    if (mon) put_part(out, start, mon, "month");
    if (days) put_part(out, start, days, "day");
    if (micros) {
        if (out->len > start) lh_buf_putc(out, ' ');
        if (micros < 0) lh_buf_putc(out, '-');
        lh_buf_printf(out, "%02llu:%02llu:%02llu", (unsigned long long)(secs / 3600),
                      (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
        put_fraction(out, (int64_t)frac, 6);
    } else if (out->len == start) {
        lh_buf_puts(out, "00:00:00");
    }
}

/* ---- UUID, BLOB, BIT, BIGNUM ---- */

void lh__fmt_uuid(lh_buf *out, uint64_t lower, int64_t upper)
{
    /* Stored as a HUGEINT with the top bit flipped so that signed order is
     * byte order; the 16 bytes are upper then lower, big-endian. */
    uint64_t hi = (uint64_t)upper ^ (UINT64_C(1) << 63);
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lower >> (56 - 8 * i));
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) lh_buf_putc(out, '-');
        lh_buf_putc(out, hex[b[i] >> 4]);
        lh_buf_putc(out, hex[b[i] & 15]);
    }
}

void lh__fmt_blob_text(lh_buf *out, const unsigned char *p, size_t n)
{
    /* DuckDB: printable ASCII stays, except the quote characters and the
     * backslash, which are escaped like every other byte as \xHH. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 32 && c <= 126 && c != '\\' && c != '\'' && c != '"') lh_buf_putc(out, (char)c);
        else lh_buf_printf(out, "\\x%02X", c);
    }
}

void lh__fmt_base64(lh_buf *out, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    lh_buf_reserve(out, (n + 2) / 3 * 4);
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        lh_buf_append(out, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
        lh_buf_append(out, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
        lh_buf_append(out, q, 4);
    }
}

void lh__fmt_bit(lh_buf *out, const unsigned char *p, size_t n)
{
    /* Byte 0 counts the padding bits at the start of byte 1; bits are
     * stored most significant first. */
    if (n < 1) return;
    size_t total = (n - 1) * 8;
    for (size_t i = p[0]; i < total; i++)
        lh_buf_putc(out, (p[1 + i / 8] >> (7 - i % 8)) & 1 ? '1' : '0');
}

void lh__fmt_bignum(lh_buf *out, const unsigned char *p, size_t n)
{
    /* Three header bytes (top bit set = non-negative, low 23 bits = data
     * length), then the magnitude big-endian; a negative number has every
     * byte, header included, inverted. */
    if (n < 4) {
        lh_buf_putc(out, '0');
        return;
    }
    int neg = !(p[0] & 0x80);
    size_t len = n - 3;
    unsigned char *mag = lh_xmalloc(len);
    for (size_t i = 0; i < len; i++) mag[i] = neg ? (unsigned char)~p[3 + i] : p[3 + i];
    /* Repeated division by 10^9 yields base-10^9 limbs, least significant first. */
    size_t cap = len * 8 / 29 + 2, nl = 0;
    uint32_t *limbs = lh_xmalloc(cap * sizeof *limbs);
    size_t start = 0;
    while (start < len && mag[start] == 0) start++;
    while (start < len) {
        uint64_t rem = 0;
        for (size_t i = start; i < len; i++) {
            uint64_t cur = rem << 8 | mag[i];
            mag[i] = (unsigned char)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        if (nl == cap) limbs = lh_xrealloc(limbs, (cap *= 2) * sizeof *limbs);
        limbs[nl++] = (uint32_t)rem;
        while (start < len && mag[start] == 0) start++;
    }
    if (nl == 0) {
        lh_buf_putc(out, '0');
    } else {
        if (neg) lh_buf_putc(out, '-');
        lh_buf_printf(out, "%u", limbs[nl - 1]);
        for (size_t i = nl - 1; i-- > 0;) lh_buf_printf(out, "%09u", limbs[i]);
    }
    free(limbs);
    free(mag);
}

/* ---- JSON strings ---- */

void lh__fmt_json_string(lh_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    lh_buf_reserve(out, n + 2);
    lh_buf_putc(out, '"');
    size_t run = 0; /* start of the pending run of bytes copied as-is */
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t adv = 1;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c < 0x20) {
            snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
            esc = ubuf;
        } else if (c >= 0x80) {
            adv = lh_utf8_seq_len(p + i, n - i);
            if (adv == 0) { /* not UTF-8: keep the output valid JSON */
                esc = "\\ufffd";
                adv = 1;
            }
        }
        if (esc) {
            lh_buf_append(out, s + run, i - run);
            lh_buf_puts(out, esc);
            run = i + adv;
        }
        i += adv;
    }
    lh_buf_append(out, s + run, n - run);
    lh_buf_putc(out, '"');
}

/* tests/unit/test_clock.c — timestamps (core/clock.c): the one ISO-8601
 * parser (time travel's as_of, S3 listings' LastModified) and the
 * formatter, with the forms that must parse and hostile input that must not.
 */
#include "core/clock.h"
#include "testing.h"

#include <stdint.h>
#include <string.h>

static int64_t parsed(const char *s)
{
    int64_t us = INT64_MIN;
    return lh_time_parse_us(s, &us) == 0 ? us : INT64_MIN;
}

static void test_forms(void)
{
    /* 2026-11-28T05:49:37.250Z, as S3 lists it */
    CHECK_INT(parsed("2026-11-28T05:49:37.250Z"), 1795844977250000LL);
    CHECK_INT(parsed("2026-11-28t05:49:37.25z"), 1795844977250000LL);
    CHECK_INT(parsed("2026-11-28 05:49:37.250000Z"), 1795844977250000LL);
    CHECK_INT(parsed("2026-11-28T06:49:37.250+01:00"), 1795844977250000LL);
    CHECK_INT(parsed("2026-11-28T00:19:37.250-05:30"), 1795844977250000LL);
    CHECK_INT(parsed("2026-11-28T05:49:37.2500009Z"), 1795844977250000LL); /* past microseconds: cut */
    CHECK_INT(parsed("2026-11-28"), 1795824000000000LL);
    CHECK_INT(parsed("1970-01-01T00:00:00Z"), 0);
    CHECK_INT(parsed("2024-02-29T00:00:00Z"), 1709164800000000LL);
}

static void test_refused(void)
{
    const char *bad[] = {
        "", "garbage", "2026-11-28T05:49:37", /* no zone */ "2026-11-28T05:49:37.Z", "2026-02-30",
        "2025-02-29T00:00:00Z", "2026-13-01", "2026-00-10", "2026-11-28T24:00:00Z", "2026-11-28T05:60:00Z",
        "2026-11-28T05:49:37+25:00", "2026-11-28T05:49:37+01", "2026-11-28T05:49:37Zjunk", "26-11-28",
        "2026-11-28X05:49:37Z", "2026-1-28", "-2026-11-28",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t us = 42;
        CHECK_MSG(lh_time_parse_us(bad[i], &us) != 0, "\"%s\" parsed", bad[i]);
        CHECK_INT(us, 42);  /* untouched on refusal */
    }
    int64_t us;
    CHECK(lh_time_parse_us(NULL, &us) != 0);
}

static void test_round_trip(void)
{
    const int64_t t[] = {0, 1795844977250000LL, 1795844977000001LL, -1, -1000001};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char s[40];
        lh_time_format_us(t[i], s, sizeof s);
        CHECK_MSG(parsed(s) == t[i], "%s", s);
    }
}

int main(void)
{
    RUN(test_forms);
    RUN(test_refused);
    RUN(test_round_trip);
    return TEST_SUMMARY();
}

/* core/clock.c — clocks (see clock.h). */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

int64_t lh_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t lh_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void lh_time_format_us(int64_t epoch_us, char *out, size_t outsz)
{
    time_t sec = (time_t)(epoch_us / 1000000);
    long usec = (long)(epoch_us % 1000000);
    if (usec < 0) { usec += 1000000; sec -= 1; }
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

int lh_time_parse_us(const char *s, int64_t *out)
{
    int Y, M, D, h = 0, m = 0, sec = 0, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10) return -1;
    const char *p = s + n;
    int64_t frac_us = 0, off_s = 0;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ') return -1;
        p++;
        int k = 0;
        if (sscanf(p, "%2d:%2d:%2d%n", &h, &m, &sec, &k) != 3 || k != 8) return -1;
        p += k;
        if (*p == '.') {
            p++;
            int digits = 0;
            int64_t scale = 100000;
            while (*p >= '0' && *p <= '9') {
                if (digits < 6) frac_us += (*p - '0') * scale;
                scale /= 10;
                digits++;
                p++;
            }
            if (!digits) return -1;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om, k2 = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k2) != 2 || k2 != 5 || oh > 23 || om > 59) return -1;
            off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
            p += 1 + k2;
        } else {
            return -1;
        }
        if (*p) return -1;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return -1;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != D || tm.tm_mon != M - 1) return -1;  /* 2026-02-30 */
    *out = ((int64_t)t - off_s) * 1000000 + frac_us;
    return 0;
}

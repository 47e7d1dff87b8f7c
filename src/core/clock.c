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

/* core/log.c — leveled logging (see log.h).
 *
 * A line is formatted into a local buffer and written with one write(2) so
 * lines from concurrent request threads never interleave.
 */
#include "core/log.h"
#include "core/clock.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static lh_log_level g_level = LH_LOG_INFO;
static int g_json = 0;

void lh_log_set_level(lh_log_level lvl) { g_level = lvl; }
void lh_log_set_json(int json) { g_json = json; }

int lh_log_level_parse(const char *s)
{
    if (!strcmp(s, "debug")) return LH_LOG_DEBUG;
    if (!strcmp(s, "info")) return LH_LOG_INFO;
    if (!strcmp(s, "warn")) return LH_LOG_WARN;
    if (!strcmp(s, "error")) return LH_LOG_ERROR;
    return -1;
}

static const char *level_name(lh_log_level l)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    return names[l];
}

void lh_log(lh_log_level lvl, const char *fmt, ...)
{
    if (lvl < g_level) return;
    char ts[40], msg[4096], line[4400];
    lh_time_format_us(lh_now_us(), ts, sizeof ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n;
    if (g_json) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "ts", ts, "level", level_name(lvl), "msg", msg);
        size_t len = o ? json_dumpb(o, line, sizeof line - 1, JSON_COMPACT) : 0;
        json_decref(o);
        if (len == 0 || len >= sizeof line - 1) return;
        line[len] = '\n';
        n = (int)len + 1;
    } else {
        n = snprintf(line, sizeof line, "%s %-5s %s\n", ts, level_name(lvl), msg);
    }
    if (n < 0) return;
    if ((size_t)n >= sizeof line) { n = sizeof line - 1; line[n - 1] = '\n'; }
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

/* core/log.h — leveled logging to stderr.
 *
 * One line per event, "2026-…Z level message key=value…" in text form or a
 * JSON object per line (log.format = "json") for log shippers. The level
 * and format are process-wide and set once at start. Never log secrets:
 * callers redact before formatting (see storage/secrets.h).
 */
#ifndef LH_CORE_LOG_H
#define LH_CORE_LOG_H

typedef enum { LH_LOG_DEBUG = 0, LH_LOG_INFO, LH_LOG_WARN, LH_LOG_ERROR } lh_log_level;

void lh_log_set_level(lh_log_level lvl);
void lh_log_set_json(int json);
/* Parse "debug|info|warn|error"; returns -1 if unknown. */
int  lh_log_level_parse(const char *s);

void lh_log(lh_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lh_debug(...) lh_log(LH_LOG_DEBUG, __VA_ARGS__)
#define lh_info(...)  lh_log(LH_LOG_INFO, __VA_ARGS__)
#define lh_warn(...)  lh_log(LH_LOG_WARN, __VA_ARGS__)
#define lh_error(...) lh_log(LH_LOG_ERROR, __VA_ARGS__)

#endif

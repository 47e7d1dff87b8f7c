/* core/clock.h — wall and monotonic clocks, and RFC 3339 formatting.
 *
 * Wall time (lh_now_us) is for timestamps people read and object names
 * (batch_{epoch_us}); monotonic time (lh_mono_us) is for durations and
 * deadlines, which must not jump when the wall clock is set.
 */
#ifndef LH_CORE_CLOCK_H
#define LH_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t lh_now_us(void);
int64_t lh_mono_us(void);

/* Format epoch microseconds as "2026-03-01T12:00:00.123456Z" into out. */
void lh_time_format_us(int64_t epoch_us, char *out, size_t outsz);

/* Parse an RFC 3339 timestamp ("2026-03-01T00:00:00Z", with optional
 * fraction and a Z or ±HH:MM offset; a space may replace the T) or a bare
 * date ("2026-03-01", midnight UTC) into epoch microseconds. Returns 0, or
 * -1 when s is not one of those forms or names an impossible date. */
int lh_time_parse_us(const char *s, int64_t *out);

#endif

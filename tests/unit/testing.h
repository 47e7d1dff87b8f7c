/* tests/unit/testing.h — the smallest test harness that reports well.
 *
 * CHECK* macros record a failure with file:line and the values involved and
 * keep going, so one run shows every broken assertion. A test file's main()
 * calls RUN(fn) for each test and returns TEST_SUMMARY(), which prints
 * "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef LH_TESTING_H
#define LH_TESTING_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_checks, t_failed_checks, t_tests_failed, t_tests_passed;
static int t_cur_failed;

#define CHECK(cond) do { t_checks++; if (!(cond)) { t_failed_checks++; t_cur_failed = 1; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_MSG(cond, ...) do { t_checks++; if (!(cond)) { t_failed_checks++; t_cur_failed = 1; \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); t_checks++; \
    if (_a != _b) { t_failed_checks++; t_cur_failed = 1; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, _b); } } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); t_checks++; \
    if (!_a || !_b || strcmp(_a, _b) != 0) { t_failed_checks++; t_cur_failed = 1; \
    fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
            _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)

#define RUN(fn) do { t_cur_failed = 0; fn(); \
    if (t_cur_failed) { t_tests_failed++; fprintf(stderr, "FAIL %s\n", #fn); } \
    else { t_tests_passed++; fprintf(stderr, "ok   %s\n", #fn); } } while (0)

#define TEST_SUMMARY() (printf("%d passed, %d failed\n", t_tests_passed, t_tests_failed), \
    t_tests_failed ? 1 : 0)

#endif

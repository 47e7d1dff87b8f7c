/* tests/unit/test_key.c — object key and prefix validation (storage/key.c).
 *
 * Every refusal rule, with hostile input, and the keys that must pass:
 * unicode, spaces, deep paths, the exact length limit.
 */
#include "storage/objstore.h"
#include "testing.h"

#include <stdlib.h>
#include <string.h>

/* Does msg contain needle? (NULL needle: don't care) */
static int contains(const char *msg, const char *needle)
{
    return !needle || strstr(msg, needle) != NULL;
}

/* Expect key to be refused with `status`/`code` and a message containing
 * `needle` (NULL = don't check). */
#define REFUSED(fn, key, want_status, want_code, needle) do { \
    lh_err _e; lh_err_clear(&_e); \
    int _rc = fn((key), &_e); \
    CHECK_INT(_rc, (want_status)); \
    CHECK_STR(_e.code, (want_code)); \
    CHECK_MSG(contains(_e.msg, (needle)), "message \"%s\" lacks \"%s\"", _e.msg, \
              (needle) ? (const char *)(needle) : ""); \
} while (0)

#define KEY_BAD(key, needle)    REFUSED(lh_key_validate, key, LH_EINVAL, "invalid_key", needle)
#define PREFIX_BAD(key, needle) REFUSED(lh_prefix_validate, key, LH_EINVAL, "invalid_key", needle)

#define KEY_OK(key) do { lh_err _e; lh_err_clear(&_e); int _rc = lh_key_validate((key), &_e); \
    CHECK_MSG(_rc == 0, "key refused: %s", _e.msg); } while (0)
#define PREFIX_OK(key) do { lh_err _e; lh_err_clear(&_e); int _rc = lh_prefix_validate((key), &_e); \
    CHECK_MSG(_rc == 0, "prefix refused: %s", _e.msg); } while (0)

static void test_accepts(void)
{
    KEY_OK("a");
    KEY_OK("datasets/people/data/000000000001-0b1c.parquet");
    KEY_OK("_catalog/people/v000000000001.parquet");
    KEY_OK("with space/and more spaces .txt");
    KEY_OK("unicode/café/日本語/emoji-😀.json");
    KEY_OK("a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z");
    KEY_OK("..a/b..");          /* dots inside a segment are fine */
    KEY_OK(".hidden/.x");
    KEY_OK("...");              /* three dots is an ordinary name */
    KEY_OK("lakehouse/.lakehouse");  /* reserved only as the first segment */
    KEY_OK(".lakehouse2/x");
    KEY_OK("x/.lakehouse/y");
    KEY_OK("\xef\xbf\xbd");     /* U+FFFD */
    KEY_OK("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last code point */
    KEY_OK("~!@#$%^&*()_+=-`'\"{}[]|:;<>,?");

    char max[LH_KEY_MAX + 1];
    memset(max, 'k', LH_KEY_MAX);
    for (int i = 100; i < LH_KEY_MAX; i += 100) max[i] = '/';
    max[LH_KEY_MAX] = '\0';
    KEY_OK(max);
}

static void test_empty_and_length(void)
{
    KEY_BAD("", "empty");
    {
        lh_err e;
        CHECK_INT(lh_key_validate(NULL, &e), LH_EINVAL);
        CHECK_STR(e.code, "invalid_key");
    }
    char *big = malloc(LH_KEY_MAX + 2);
    memset(big, 'a', LH_KEY_MAX + 1);
    big[LH_KEY_MAX + 1] = '\0';
    KEY_BAD(big, "1025 bytes");
    PREFIX_BAD(big, "limit is 1024");
    /* the message shortens the echoed key */
    lh_err e;
    lh_key_validate(big, &e);
    CHECK(strlen(e.msg) < 400);
    CHECK(strstr(e.msg, "...") != NULL);
    free(big);
    /* NULL err is allowed: the status is still returned */
    CHECK_INT(lh_key_validate("", NULL), LH_EINVAL);
    CHECK_INT(lh_key_validate("a//b", NULL), LH_EINVAL);
}

static void test_segments(void)
{
    KEY_BAD("/etc/passwd", "starts with \"/\"");
    KEY_BAD("/", "starts with");
    KEY_BAD("a//b", "empty segment");
    KEY_BAD("a/", "ends with \"/\"");
    KEY_BAD("a/b/", "ends with");
    KEY_BAD(".", "\".\"");
    KEY_BAD("..", "\"..\"");
    KEY_BAD("../x", "\"..\"");
    KEY_BAD("a/../../x", "segment \"..\" at byte 2");
    KEY_BAD("a/./b", "segment \".\"");
    KEY_BAD("a/..", "\"..\"");
    KEY_BAD("a/.", "\".\"");
    KEY_BAD("//", "starts with");
}

static void test_bytes(void)
{
    KEY_BAD("a\\b", "backslash");
    KEY_BAD("..\\..\\windows", "backslash");
    KEY_BAD("a\nb", "control character 0x0a at byte 1");
    KEY_BAD("\tx", "0x09");
    KEY_BAD("x\x1f", "0x1f");
    KEY_BAD("x\x7f", "0x7f");
    KEY_BAD("a\rb", "0x0d");
    /* invalid UTF-8 */
    KEY_BAD("\x80", "not valid UTF-8");             /* lone continuation byte */
    KEY_BAD("a\xc3", "not valid UTF-8 at byte 1");  /* truncated sequence */
    KEY_BAD("\xc0\xaf", "UTF-8");                   /* overlong "/" */
    KEY_BAD("\xc1\xbf", "UTF-8");                   /* overlong */
    KEY_BAD("\xe0\x80\xaf", "UTF-8");               /* overlong 3-byte "/" */
    KEY_BAD("\xf0\x80\x80\xaf", "UTF-8");           /* overlong 4-byte "/" */
    KEY_BAD("\xed\xa0\x80", "UTF-8");               /* surrogate U+D800 */
    KEY_BAD("\xed\xbf\xbf", "UTF-8");               /* surrogate U+DFFF */
    KEY_BAD("\xf4\x90\x80\x80", "UTF-8");           /* U+110000 */
    KEY_BAD("\xf5\x80\x80\x80", "UTF-8");
    KEY_BAD("\xff", "UTF-8");
    KEY_BAD("\xe2\x82", "UTF-8");                   /* truncated 3-byte */
    KEY_BAD("\xe2\x28\xa1", "UTF-8");               /* bad continuation */
}

static void test_echo_is_escaped(void)
{
    lh_err e;
    CHECK_INT(lh_key_validate("evil\x1b[31mred\n", &e), LH_EINVAL);
    /* no raw control characters reach the message */
    for (const char *p = e.msg; *p; p++) CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    CHECK(strstr(e.msg, "\\x1b") != NULL);
    CHECK_INT(lh_key_validate("bad\xff/utf", &e), LH_EINVAL);
    CHECK(strstr(e.msg, "\\xff") != NULL);
    CHECK_INT(lh_key_validate("q\"uote/\\", &e), LH_EINVAL);
    CHECK(strstr(e.msg, "\"q\\\"uote/\\\\\"") != NULL);
    /* valid multibyte characters are echoed as they are */
    CHECK_INT(lh_key_validate("café//x", &e), LH_EINVAL);
    CHECK(strstr(e.msg, "\"café//x\"") != NULL);
}

static void test_reserved(void)
{
    REFUSED(lh_key_validate, ".lakehouse", LH_EINVAL, "reserved_key", "reserved");
    REFUSED(lh_key_validate, ".lakehouse/tmp/x.tmp", LH_EINVAL, "reserved_key", ".lakehouse/");
    REFUSED(lh_prefix_validate, ".lakehouse/", LH_EINVAL, "reserved_key", NULL);
    REFUSED(lh_prefix_validate, ".lakehouse/tmp/", LH_EINVAL, "reserved_key", NULL);
    /* an incomplete first segment is only a prefix of ".lakehouse…" names */
    PREFIX_OK(".lakehouse");
    PREFIX_OK(".lake");
}

static void test_prefixes(void)
{
    PREFIX_OK(NULL);
    PREFIX_OK("");
    PREFIX_OK("a");
    PREFIX_OK("a/");
    PREFIX_OK("datasets/people/");
    PREFIX_OK("datasets/peo");
    PREFIX_OK("a/.");      /* "." is an incomplete segment: prefix of ".x" */
    PREFIX_OK("a/..");
    PREFIX_OK("日本/");
    PREFIX_BAD("/", "starts with");
    PREFIX_BAD("/a", "starts with");
    PREFIX_BAD("a//", "empty segment");
    PREFIX_BAD("a//b", "empty segment");
    PREFIX_BAD("../", "\"..\"");
    PREFIX_BAD("a/./", "\".\"");
    PREFIX_BAD("a/../b", "\"..\"");
    PREFIX_BAD("a\\", "backslash");
    PREFIX_BAD("a\x01", "control");
    PREFIX_BAD("a\xc3", "UTF-8");  /* ends mid-character */
    /* the message says "prefix" */
    lh_err e;
    lh_prefix_validate("a//", &e);
    CHECK(strstr(e.msg, "prefix") != NULL);
}

int main(void)
{
    RUN(test_accepts);
    RUN(test_empty_and_length);
    RUN(test_segments);
    RUN(test_bytes);
    RUN(test_echo_is_escaped);
    RUN(test_reserved);
    RUN(test_prefixes);
    return TEST_SUMMARY();
}

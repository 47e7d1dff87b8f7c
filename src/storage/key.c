/* storage/key.c — what an object key may be.
 *
 * Every key passes through here before any backend sees it, and the local
 * backend maps a key straight onto a path under its root. So the rules are
 * the ones that make that mapping safe and unambiguous everywhere:
 *
 *   - 1..LH_KEY_MAX bytes of valid UTF-8 (no overlong forms, no surrogates,
 *     nothing above U+10FFFF), so a key is the same string on every system;
 *   - no control characters (0x00-0x1f, 0x7f): they break logs, terminals
 *     and HTTP headers, and NUL would silently truncate a path;
 *   - no backslash: a path separator on some systems, an escape on others;
 *   - "/"-separated segments, none empty, none "." or "..", no leading "/":
 *     this is what makes "nothing outside the bucket root is ever touched"
 *     a property of the key rather than of each backend;
 *   - the first segment ".lakehouse" is reserved: the local backend keeps
 *     its temp files there (code "reserved_key").
 *
 * A listing prefix follows the same rules for its complete segments (those
 * followed by "/"); it may be empty and may end in "/", and its last,
 * incomplete segment may be anything the byte rules allow ("." is a fine
 * prefix of ".profile").
 *
 * Error messages echo the key with control characters and invalid bytes
 * escaped as \xNN and long keys shortened, so a hostile key can never
 * garble a log line or a JSON error body.
 */
#include "storage/objstore.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

#define ECHO_MAX 160  /* key bytes echoed in a message before "..." */

/* Quote `s` for a message: "..." with \" \\ \xNN escapes, shortened. */
static void echo(const char *s, char *out, size_t outsz)
{
    size_t len = strlen(s), o = 0, i = 0;
    const unsigned char *p = (const unsigned char *)s;
    /* Worst case per input byte is 4 output bytes; keep room for
     * the closing quote, "..." and NUL. */
    if (outsz < 8) { if (outsz) out[0] = '\0'; return; }
    out[o++] = '"';
    while (i < len && i < ECHO_MAX && o + 10 < outsz) {
        size_t n = lh_utf8_seq_len(p + i, len - i);
        if (n == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '"' && p[i] != '\\') {
            out[o++] = (char)p[i++];
        } else if (n == 1 && (p[i] == '"' || p[i] == '\\')) {
            out[o++] = '\\';
            out[o++] = (char)p[i++];
        } else if (n > 1) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        } else {
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", p[i]);
            i++;
        }
    }
    out[o++] = '"';
    if (i < len) { memcpy(out + o, "...", 3); o += 3; }
    out[o] = '\0';
}

/* The byte-level rules shared by keys and prefixes. */
static int check_bytes(const char *what, const char *s, size_t len, lh_err *err)
{
    const unsigned char *p = (const unsigned char *)s;
    char q[ECHO_MAX * 4 + 16];
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            echo(s, q, sizeof q);
            return lh_err_set(err, LH_EINVAL, "invalid_key",
                              "invalid %s %s: control character 0x%02x at byte %zu; "
                              "keys may not contain control characters",
                              what, q, p[i], i);
        }
        if (p[i] == '\\') {
            echo(s, q, sizeof q);
            return lh_err_set(err, LH_EINVAL, "invalid_key",
                              "invalid %s %s: backslash at byte %zu; use \"/\" to "
                              "separate segments (a backslash is a separator on some "
                              "systems and an ordinary character on others)",
                              what, q, i);
        }
        size_t n = lh_utf8_seq_len(p + i, len - i);
        if (n == 0) {
            echo(s, q, sizeof q);
            return lh_err_set(err, LH_EINVAL, "invalid_key",
                              "invalid %s %s: not valid UTF-8 at byte %zu (byte 0x%02x)",
                              what, q, i, p[i]);
        }
        i += n;
    }
    return 0;
}

/* Check one complete segment s[0..n) that starts at byte `at`. */
static int check_segment(const char *what, const char *full, const char *s, size_t n,
                         size_t at, lh_err *err)
{
    char q[ECHO_MAX * 4 + 16];
    if (n == 0) {
        echo(full, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "invalid %s %s: empty segment (\"//\") at byte %zu", what, q, at);
    }
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        echo(full, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "invalid %s %s: segment \"%.*s\" at byte %zu; \".\" and \"..\" "
                          "are not allowed as segments", what, q, (int)n, s, at);
    }
    if (at == 0 && n == 10 && memcmp(s, ".lakehouse", 10) == 0) {
        echo(full, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "reserved_key",
                          "%s %s is under \".lakehouse/\", which is reserved for the "
                          "storage backend's own files; choose another first segment",
                          what, q);
    }
    return 0;
}

/* Rules common to keys and prefixes; `is_key` adds the whole-key rules. */
static int validate(const char *what, const char *s, int is_key, lh_err *err)
{
    char q[ECHO_MAX * 4 + 16];
    size_t len = strlen(s);
    if (len > LH_KEY_MAX) {
        echo(s, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "invalid %s %s: %zu bytes long; the limit is %d bytes",
                          what, q, len, LH_KEY_MAX);
    }
    if (s[0] == '/') {
        echo(s, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "invalid %s %s: starts with \"/\"; keys are relative to the "
                          "bucket, drop the leading slash", what, q);
    }
    int rc = check_bytes(what, s, len, err);
    if (rc) return rc;
    if (is_key && s[len - 1] == '/') {
        echo(s, q, sizeof q);
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "invalid %s %s: ends with \"/\", which names a folder, not an "
                          "object", what, q);
    }
    /* Complete segments: each one followed by '/'; a key's last segment is
     * complete too, a prefix's is not. */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '/') continue;
        if (i == len && !is_key) break;
        rc = check_segment(what, s, s + start, i - start, start, err);
        if (rc) return rc;
        start = i + 1;
    }
    return 0;
}

int lh_key_validate(const char *key, lh_err *err)
{
    if (!key)
        return lh_err_set(err, LH_EINVAL, "invalid_key", "object key is missing (NULL)");
    if (!key[0])
        return lh_err_set(err, LH_EINVAL, "invalid_key", "object key is empty");
    return validate("key", key, 1, err);
}

int lh_prefix_validate(const char *prefix, lh_err *err)
{
    if (!prefix || !prefix[0]) return 0;
    return validate("prefix", prefix, 0, err);
}

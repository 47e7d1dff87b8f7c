/* core/utf8.c — UTF-8 validation (see utf8.h); the ranges are table 3-7
 * of the Unicode standard. */
#include "core/utf8.h"
#include "core/buf.h"

#include <string.h>

size_t lh_utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  /* allowed range of the 2nd byte */
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c == 0xe0) { n = 3; lo = 0xa0; }   /* overlong */
    else if (c >= 0xe1 && c <= 0xec) n = 3;
    else if (c == 0xed) { n = 3; hi = 0x9f; }   /* no UTF-16 surrogates */
    else if (c >= 0xee && c <= 0xef) n = 3;
    else if (c == 0xf0) { n = 4; lo = 0x90; }   /* overlong */
    else if (c >= 0xf1 && c <= 0xf3) n = 4;
    else if (c == 0xf4) { n = 4; hi = 0x8f; }   /* <= U+10FFFF */
    else return 0;                               /* 0x80-0xc1, 0xf5-0xff */
    if (avail < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return n;
}

char *lh_utf8_sanitize(const char *s)
{
    size_t len = strlen(s);
    char *out = lh_xstrndup(s, len);
    for (size_t i = 0; i < len;) {
        size_t n = lh_utf8_seq_len((const unsigned char *)s + i, len - i);
        if (n == 0) { out[i++] = '?'; continue; }
        i += n;
    }
    return out;
}

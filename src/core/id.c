/* core/id.c — random identifiers (see id.h). */
#include "core/id.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

void lh_random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            /* getrandom cannot fail on Linux >= 3.17 once the pool is
             * initialised; treat failure as fatal rather than hand out
             * predictable ids. */
            perror("lakehouse: getrandom");
            __builtin_trap();
        }
        p += got;
        n -= (size_t)got;
    }
}

void lh_uuid4(char out[LH_UUID_STRLEN])
{
    uint8_t b[16];
    lh_random_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, LH_UUID_STRLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
             b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void lh_hex_id(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[32];
    if (nbytes > sizeof b) nbytes = sizeof b;
    lh_random_bytes(b, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

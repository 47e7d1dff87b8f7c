/* storage/sigv4.c — AWS Signature Version 4 (see sigv4.h).
 *
 * Written from the public description of the algorithm; OpenSSL provides
 * SHA-256 and HMAC, nothing else. The canonical forms here are the ones S3
 * expects: the path is not normalised (S3 keys may contain "//" or "./"),
 * and each path segment is encoded once, by the caller.
 */
#include "storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[d[i] >> 4];
        out[2 * i + 1] = HEX[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void lh_sha256_hex(const void *data, size_t n, char out[LH_SHA256_HEX_LEN])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    to_hex(md, sizeof md, out);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, size_t mlen,
                 unsigned char out[SHA256_DIGEST_LENGTH])
{
    unsigned int len = SHA256_DIGEST_LENGTH;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &len);
}

void lh_sigv4_uri_encode(lh_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char UP[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            lh_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', UP[c >> 4], UP[c & 15]};
            lh_buf_append(out, e, 3);
        }
    }
}

void lh_sigv4_amz_date(long long epoch_s, char out[17])
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- canonical query ---- */

typedef struct qparam { const char *k; size_t kn; const char *v; size_t vn; } qparam;

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int qparam_cmp(const void *pa, const void *pb)
{
    const qparam *a = pa, *b = pb;
    int c = cmp_bytes(a->k, a->kn, b->k, b->kn);
    return c ? c : cmp_bytes(a->v, a->vn, b->v, b->vn);
}

/* "b=2&a&c=" -> "a=&b=2&c=" : sorted by key then value, "=" always present. */
static void canonical_query(lh_buf *out, const char *q)
{
    if (!q || !*q) return;
    size_t cap = 1;
    for (const char *p = q; *p; p++) cap += *p == '&';
    qparam *ps = lh_xcalloc(cap, sizeof *ps);
    size_t n = 0;
    for (const char *p = q; *p;) {
        const char *end = strchr(p, '&');
        if (!end) end = p + strlen(p);
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            qparam *x = &ps[n++];
            x->k = p;
            x->kn = (size_t)((eq ? eq : end) - p);
            x->v = eq ? eq + 1 : end;
            x->vn = (size_t)(end - x->v);
        }
        p = *end ? end + 1 : end;
    }
    qsort(ps, n, sizeof *ps, qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i) lh_buf_putc(out, '&');
        lh_buf_append(out, ps[i].k, ps[i].kn);
        lh_buf_putc(out, '=');
        lh_buf_append(out, ps[i].v, ps[i].vn);
    }
    free(ps);
}

/* ---- canonical headers ---- */

typedef struct chdr { char *name; const char *value; size_t order; } chdr;

static int chdr_cmp(const void *pa, const void *pb)
{
    const chdr *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c) return c;
    return (a->order > b->order) - (a->order < b->order);  /* keep the caller's order for repeats */
}

/* Value trimmed, inner whitespace runs collapsed to one space. */
static void put_trimmed(lh_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t') v++;
    int space = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') { space = 1; continue; }
        if (space) lh_buf_putc(out, ' ');
        space = 0;
        lh_buf_putc(out, *v);
    }
}

static void canonical_headers(lh_buf *creq, lh_buf *signed_headers, const lh_sigv4_header *h, size_t n)
{
    chdr *hs = lh_xcalloc(n ? n : 1, sizeof *hs);
    for (size_t i = 0; i < n; i++) {
        hs[i].name = lh_xstrdup(h[i].name);
        for (char *p = hs[i].name; *p; p++) *p = (char)tolower((unsigned char)*p);
        hs[i].value = h[i].value ? h[i].value : "";
        hs[i].order = i;
    }
    qsort(hs, n, sizeof *hs, chdr_cmp);
    for (size_t i = 0; i < n; i++) {
        int repeat = i > 0 && !strcmp(hs[i].name, hs[i - 1].name);
        if (repeat) {
            lh_buf_putc(creq, ',');  /* repeated header: values joined with commas */
        } else {
            if (i) lh_buf_putc(creq, '\n');
            lh_buf_puts(creq, hs[i].name);
            lh_buf_putc(creq, ':');
            if (signed_headers->len) lh_buf_putc(signed_headers, ';');
            lh_buf_puts(signed_headers, hs[i].name);
        }
        put_trimmed(creq, hs[i].value);
    }
    if (n) lh_buf_putc(creq, '\n');
    for (size_t i = 0; i < n; i++) free(hs[i].name);
    free(hs);
}

/* ---- signing ---- */

static int date_ok(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i])) return 0;
    return 1;
}

int lh_sigv4_sign(const lh_sigv4_input *in, lh_sigv4_output *out, lh_err *err)
{
    if (!in->method || !in->canonical_uri || !in->payload_hash || !in->region || !in->service ||
        !in->access_key || !in->secret_key || (in->n_headers && !in->headers))
        return lh_err_set(err, LH_EINVAL, "sigv4_invalid", "SigV4: method, path, payload hash, region, "
                          "service and credentials are all required");
    if (!date_ok(in->amz_date))
        return lh_err_set(err, LH_EINVAL, "sigv4_invalid", "SigV4: the request date must look like "
                          "20150830T123600Z");
    char day[9];
    memcpy(day, in->amz_date, 8);
    day[8] = '\0';

    /* 1. canonical request */
    lh_buf *c = &out->canonical_request;
    lh_buf_printf(c, "%s\n%s\n", in->method, in->canonical_uri[0] ? in->canonical_uri : "/");
    canonical_query(c, in->query);
    lh_buf_putc(c, '\n');
    canonical_headers(c, &out->signed_headers, in->headers, in->n_headers);
    lh_buf_printf(c, "\n%s\n%s", out->signed_headers.data ? out->signed_headers.data : "", in->payload_hash);

    /* 2. string to sign */
    char creq_hash[LH_SHA256_HEX_LEN];
    lh_sha256_hex(c->data, c->len, creq_hash);
    lh_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", in->amz_date, day,
                  in->region, in->service, creq_hash);

    /* 3. signing key and signature */
    size_t sk = strlen(in->secret_key);
    unsigned char *k0 = lh_xmalloc(sk + 4);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, in->secret_key, sk);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(k0, sk + 4, day, 8, k1);
    OPENSSL_cleanse(k0, sk + 4);
    free(k0);
    hmac(k1, 32, in->region, strlen(in->region), k2);
    hmac(k2, 32, in->service, strlen(in->service), k3);
    hmac(k3, 32, "aws4_request", 12, k4);
    hmac(k4, 32, out->string_to_sign.data, out->string_to_sign.len, sig);
    to_hex(sig, 32, out->signature);
    OPENSSL_cleanse(k1, 32);
    OPENSSL_cleanse(k2, 32);
    OPENSSL_cleanse(k3, 32);
    OPENSSL_cleanse(k4, 32);

    lh_buf_printf(&out->authorization, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
                  "SignedHeaders=%s, Signature=%s", in->access_key, day, in->region, in->service,
                  out->signed_headers.data ? out->signed_headers.data : "", out->signature);
    return 0;
}

void lh_sigv4_output_free(lh_sigv4_output *out)
{
    lh_buf_free(&out->canonical_request);
    lh_buf_free(&out->string_to_sign);
    lh_buf_free(&out->signed_headers);
    lh_buf_free(&out->authorization);
}

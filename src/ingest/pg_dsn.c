/* ingest/pg_dsn.c — a PostgreSQL DSN shown without its password.
 *
 * A DSN travels into errors, logs and lineage, so everything this module
 * says about one goes through lh_pg_dsn_redact. libpq does the parsing
 * (PQconninfoParse understands both the URI and the key=value form, with
 * quoting and percent-encoding), so what is redacted is exactly what libpq
 * would have used as the password.
 *
 * key=value DSNs are re-rendered from the parsed options (libpq's option
 * order, not the caller's; values quoted where libpq needs it), with
 * password=***. URIs stay URIs: the password part of the userinfo
 * (postgresql://user:SECRET@host) and any password= query parameter are
 * replaced in place, finding the userinfo the way libpq does (up to the
 * first '@' before any '/'). The result is then parsed again and must give
 * the same options with password "***"; if it does not (a URI shape this
 * code did not foresee), the URI is rebuilt from the parsed options as
 * postgresql://?key=value&..., which libpq reads the same way. Either way
 * no byte of the password survives.
 *
 * libpq's parse errors quote the offending token, and that token can be
 * (part of) the password ("missing \"=\" after \"cret\""), so every quoted
 * fragment in such a message is replaced by "…" except a lone punctuation
 * character like "=".
 */
#include "ingest/pg.h"

#include "core/buf.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED "***"

/* libpq's error text with quoted fragments removed (see the top). */
static void sanitize_libpq_message(lh_buf *out, const char *msg)
{
    size_t start = out->len;
    for (const char *p = msg; p && *p;) {
        const char *q = strchr(p, '"');
        if (!q) {
            lh_buf_puts(out, p);
            break;
        }
        const char *e = strchr(q + 1, '"');
        if (!e) { /* an unbalanced quote: drop everything after it */
            lh_buf_append(out, p, (size_t)(q - p));
            lh_buf_puts(out, "\"…\"");
            break;
        }
        lh_buf_append(out, p, (size_t)(q - p));
        if (e - q == 2 && ispunct((unsigned char)q[1]))
            lh_buf_append(out, q, 3);
        else
            lh_buf_puts(out, "\"…\"");
        p = e + 1;
    }
    while (out->len > start && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' '))
        out->data[--out->len] = '\0';
}

static int invalid_dsn(lh_err *err, const char *libpq_msg)
{
    lh_buf m = LH_BUF_INIT;
    sanitize_libpq_message(&m, libpq_msg ? libpq_msg : "");
    int rc = lh_err_set(err, LH_EINVAL, "invalid_dsn",
                        "the PostgreSQL connection string cannot be parsed%s%s; give it as "
                        "postgresql://user:password@host:port/dbname or as host=... dbname=... user=...",
                        m.len ? ": " : "", m.len ? m.data : "");
    lh_buf_free(&m);
    return rc;
}

static size_t uri_prefix_len(const char *dsn)
{
    if (strncmp(dsn, "postgresql://", 13) == 0) return 13;
    if (strncmp(dsn, "postgres://", 11) == 0) return 11;
    return 0;
}

/* A value in key=value syntax: bare when libpq can read it back bare. */
static void put_kv_value(lh_buf *out, const char *v)
{
    int bare = *v != '\0';
    for (const char *p = v; *p && bare; p++)
        if (isspace((unsigned char)*p) || *p == '\'' || *p == '\\' || *p == '=') bare = 0;
    if (bare) {
        lh_buf_puts(out, v);
        return;
    }
    lh_buf_putc(out, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || *p == '\\') lh_buf_putc(out, '\\');
        lh_buf_putc(out, *p);
    }
    lh_buf_putc(out, '\'');
}

static void put_pct(lh_buf *out, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '*')
            lh_buf_putc(out, (char)*p);
        else
            lh_buf_printf(out, "%%%02X", *p);
    }
}

static void render_kv(lh_buf *out, const PQconninfoOption *opts)
{
    int first = 1;
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val) continue;
        if (!first) lh_buf_putc(out, ' ');
        first = 0;
        lh_buf_puts(out, o->keyword);
        lh_buf_putc(out, '=');
        put_kv_value(out, strcmp(o->keyword, "password") == 0 ? REDACTED : o->val);
    }
}

static void render_uri_from_options(lh_buf *out, const PQconninfoOption *opts)
{
    lh_buf_puts(out, "postgresql://");
    char sep = '?';
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val) continue;
        lh_buf_putc(out, sep);
        sep = '&';
        lh_buf_puts(out, o->keyword);
        lh_buf_putc(out, '=');
        put_pct(out, strcmp(o->keyword, "password") == 0 ? REDACTED : o->val);
    }
}

/* Does a query key (percent-encoded) spell "password"? */
static int key_is_password(const char *k, size_t n)
{
    char dec[16];
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        if (d + 1 >= sizeof dec) return 0;
        if (k[i] == '%' && i + 2 < n && isxdigit((unsigned char)k[i + 1]) && isxdigit((unsigned char)k[i + 2])) {
            char hex[3] = {k[i + 1], k[i + 2], 0};
            dec[d++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            dec[d++] = k[i];
        }
    }
    dec[d] = '\0';
    return strcmp(dec, "password") == 0;
}

/* The URI with the userinfo password and password= parameters replaced. */
static void redact_uri_in_place(lh_buf *out, const char *dsn, size_t prefix)
{
    const char *p = dsn + prefix, *q = p;
    lh_buf_append(out, dsn, prefix);
    while (*q && *q != '@' && *q != '/') q++;
    if (*q == '@') {
        const char *colon = memchr(p, ':', (size_t)(q - p));
        if (colon) {
            lh_buf_append(out, p, (size_t)(colon + 1 - p));
            lh_buf_puts(out, REDACTED);
        } else {
            lh_buf_append(out, p, (size_t)(q - p));
        }
        p = q;
    }
    const char *query = strchr(p, '?');
    if (!query) {
        lh_buf_puts(out, p);
        return;
    }
    lh_buf_append(out, p, (size_t)(query + 1 - p));
    for (const char *s = query + 1; *s;) {
        const char *amp = strchr(s, '&');
        const char *end = amp ? amp : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (eq && key_is_password(s, (size_t)(eq - s))) {
            lh_buf_append(out, s, (size_t)(eq + 1 - s));
            lh_buf_puts(out, REDACTED);
        } else {
            lh_buf_append(out, s, (size_t)(end - s));
        }
        if (!amp) break;
        lh_buf_putc(out, '&');
        s = amp + 1;
    }
}

/* Do `a` (the original options) and `b` (the redacted DSN's) agree, with
 * b's password "***" wherever a has one? */
static int same_but_password(const PQconninfoOption *a, const PQconninfoOption *b)
{
    for (; a->keyword && b->keyword; a++, b++) {
        if (strcmp(a->keyword, b->keyword) != 0) return 0;
        if (strcmp(a->keyword, "password") == 0) {
            if ((a->val == NULL) != (b->val == NULL)) return 0;
            if (b->val && strcmp(b->val, REDACTED) != 0) return 0;
            continue;
        }
        if ((a->val == NULL) != (b->val == NULL)) return 0;
        if (a->val && strcmp(a->val, b->val) != 0) return 0;
    }
    return !a->keyword && !b->keyword;
}

int lh_pg_dsn_redact(const char *dsn, lh_buf *out, lh_err *err)
{
    if (!dsn || !*dsn) return lh_err_set(err, LH_EINVAL, "invalid_dsn", "the PostgreSQL connection string is empty");
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &errmsg);
    if (!opts) {
        int rc = invalid_dsn(err, errmsg);
        PQfreemem(errmsg);
        return rc;
    }
    size_t prefix = uri_prefix_len(dsn);
    if (!prefix) {
        render_kv(out, opts);
        PQconninfoFree(opts);
        return 0;
    }
    lh_buf uri = LH_BUF_INIT;
    redact_uri_in_place(&uri, dsn, prefix);
    char *errmsg2 = NULL;
    PQconninfoOption *check = PQconninfoParse(uri.data, &errmsg2);
    if (check && same_but_password(opts, check)) {
        lh_buf_append(out, uri.data, uri.len);
    } else {
        render_uri_from_options(out, opts);
    }
    PQconninfoFree(check);
    PQfreemem(errmsg2);
    lh_buf_free(&uri);
    PQconninfoFree(opts);
    return 0;
}

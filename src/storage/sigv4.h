/* storage/sigv4.h — AWS Signature Version 4 request signing (private to
 * storage/; the S3 backend is its only user).
 *
 * SigV4 signs a request in three steps, each exposed so tests can compare
 * them with the published examples:
 *   1. the canonical request: method, URI-encoded path, sorted query,
 *      lower-cased sorted headers, the signed-header list, the payload hash;
 *   2. the string to sign: algorithm, timestamp, credential scope
 *      (date/region/service/aws4_request) and the SHA-256 of step 1;
 *   3. the signature: HMAC-SHA256 of step 2 under a key derived by chaining
 *      HMACs of "AWS4"+secret over date, region, service and "aws4_request".
 * The result is the Authorization header value.
 *
 * The caller supplies every header it wants signed (host and x-amz-date at
 * least; x-amz-content-sha256 and x-amz-security-token for S3) and the
 * payload hash: the hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" when the
 * body is streamed and TLS protects it. Paths and query values arrive
 * already URI-encoded (lh_sigv4_uri_encode), because what is signed must be
 * byte-identical to what is sent.
 *
 * Secrets: the secret key is read, never copied or logged; the output holds
 * only derived values.
 */
#ifndef LH_STORAGE_SIGV4_H
#define LH_STORAGE_SIGV4_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>

#define LH_SHA256_HEX_LEN 65  /* 64 hex digits + NUL */
#define LH_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define LH_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct lh_sigv4_header {
    const char *name;   /* any case; lower-cased when signed */
    const char *value;  /* trimmed, inner runs of spaces collapsed when signed */
} lh_sigv4_header;

typedef struct lh_sigv4_input {
    const char *method;          /* "GET", "PUT", ... */
    const char *canonical_uri;   /* URI-encoded absolute path, e.g. "/bucket/a%20b" */
    const char *query;           /* "k=v&k2" with keys/values URI-encoded, unsorted; NULL or "" = none */
    const lh_sigv4_header *headers;
    size_t      n_headers;
    const char *payload_hash;    /* hex SHA-256 of the body, or LH_SIGV4_UNSIGNED_PAYLOAD */
    const char *region;
    const char *service;         /* "s3" */
    const char *amz_date;        /* "YYYYMMDDTHHMMSSZ", the same value as the x-amz-date header */
    const char *access_key;
    const char *secret_key;
} lh_sigv4_input;

typedef struct lh_sigv4_output {
    lh_buf canonical_request;
    lh_buf string_to_sign;
    lh_buf signed_headers;       /* "host;x-amz-date;..." */
    char   signature[LH_SHA256_HEX_LEN];
    lh_buf authorization;        /* the Authorization header's value */
} lh_sigv4_output;

/* Sign. LH_EINVAL ("sigv4_invalid") if a required field is missing or the
 * date is malformed. `out` must be zero-initialised; free it with
 * lh_sigv4_output_free whatever the result. */
int  lh_sigv4_sign(const lh_sigv4_input *in, lh_sigv4_output *out, lh_err *err);
void lh_sigv4_output_free(lh_sigv4_output *out);

/* Append s[0..n) URI-encoded the way SigV4 wants it: unreserved characters
 * (A-Z a-z 0-9 - . _ ~) as they are, everything else %XX upper-case; '/'
 * kept when keep_slash (object key paths), encoded otherwise (query values). */
void lh_sigv4_uri_encode(lh_buf *out, const char *s, size_t n, int keep_slash);

/* Hex SHA-256 of a buffer. */
void lh_sha256_hex(const void *data, size_t n, char out[LH_SHA256_HEX_LEN]);

/* "YYYYMMDDTHHMMSSZ" for an epoch second, UTC. */
void lh_sigv4_amz_date(long long epoch_s, char out[17]);

#endif

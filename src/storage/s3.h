/* storage/s3.h — a bucket on any S3-compatible server (AWS, Ceph RGW, …).
 *
 * The backend behind lh_objstore for backend = "s3" buckets. Requests are
 * signed with our own SigV4 (sigv4.h), sent with libcurl over a pool of
 * reused connections, and answered XML is read with libxml2 (s3_xml.c).
 * See s3.c for the protocol choices (chunked range reads, multipart
 * writes, retries, conditional create and its lock-object fallback) and
 * docs/storage.md for the user's view.
 *
 * Credentials arrive here already resolved from a secret_ref; they are
 * copied, used for signing and wiped on free — never logged or put in an
 * error message (messages name the secret_ref instead).
 */
#ifndef LH_STORAGE_S3_H
#define LH_STORAGE_S3_H

#include "storage/objstore.h"

#include <stdint.h>

enum {
    LH_S3_CREATE_AUTO = 0,   /* probe the server; If-None-Match: * if it honours it, else the lock object */
    LH_S3_CREATE_LOCK = 1,   /* always use the lock object (tests, servers known to lack it) */
};

typedef struct lh_s3_opts {
    const char *name;            /* the bucket's name in this deployment (messages, journal) */
    const char *endpoint;        /* "http://127.0.0.1:7480"; NULL/"" = https://s3.REGION.amazonaws.com */
    const char *bucket;          /* the bucket's name on the server */
    const char *region;          /* signing region, "us-east-1" if NULL/"" */
    int         virtual_host;    /* 1: BUCKET.HOST/KEY, 0: HOST/BUCKET/KEY */
    const char *secret_ref;      /* named in errors about credentials */
    const char *access_key;
    const char *secret_key;
    const char *session_token;   /* NULL/"" = none */
    uint64_t    multipart_threshold;  /* streamed puts larger than this go multipart; 0 = 64 MiB */
    uint64_t    part_size;            /* multipart part size (>= 5 MiB); 0 = 16 MiB */
    int         parallel_parts;       /* parts in flight per upload; 0 = 4 */
    int         max_retries;          /* retries after the first attempt (-1 = default 4) */
    int64_t     timeout_ms;           /* connect timeout and stall window per request; 0 = 30000 */
    int64_t     retry_budget_ms;      /* no retry starts after this long on one operation; 0 = 20000 */
    int         create_mode;          /* LH_S3_CREATE_* */
} lh_s3_opts;

/* Open the bucket. Does not fail when the server is unreachable (the
 * bucket then reports bucket_unavailable per operation, as ADR-017 wants);
 * LH_EINVAL on missing bucket name or credentials. If the server answers,
 * checks whether it honours conditional create and logs which commit
 * method is in use. */
int lh_objstore_s3_new(const lh_s3_opts *opts, lh_objstore **out, lh_err *err);

/* How create-only puts are done: "if-none-match", "lock-object", or
 * "unknown" until the server has been reached. NULL if s is not S3. */
const char *lh_objstore_s3_create_method(lh_objstore *s);

#endif

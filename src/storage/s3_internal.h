/* storage/s3_internal.h — pieces of the S3 backend shared between its files
 * and its tests (private to storage/).
 *
 * s3_xml.c turns S3's XML answers into these structs with libxml2; s3.c
 * speaks HTTP. Kept apart so the parsers can be fed hostile documents in
 * unit tests without a server.
 */
#ifndef LH_STORAGE_S3_INTERNAL_H
#define LH_STORAGE_S3_INTERNAL_H

#include "core/buf.h"
#include "core/err.h"
#include "storage/objstore.h"
#include "storage/objstore_impl.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdatomic.h>

#include <stddef.h>
#include <stdint.h>

/* <Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error> */
typedef struct lh_s3_error_doc {
    char code[64];
    char message[256];
    char request_id[128];
} lh_s3_error_doc;

/* Fill from an error body; fields stay "" when absent or the body is not XML. */
void lh_s3_xml_error(const char *body, size_t n, lh_s3_error_doc *out);

/* ListObjectsV2 result into `out` (objects and common prefixes); *truncated
 * and *next_token (malloc'd, NULL when none). LH_EIO "s3_bad_response" if
 * the document is not a ListBucketResult. */
int  lh_s3_xml_list(const char *body, size_t n, lh_list *out, int *truncated, char **next_token, lh_err *err);

/* Text of the first element called `name` anywhere in the document
 * (UploadId, ETag, …): malloc'd, or NULL if absent or not XML. */
char *lh_s3_xml_text(const char *body, size_t n, const char *name);

/* Build the request URL and Host header for `key` (NULL = the bucket
 * itself) under path-style or virtual-host addressing. `canonical_path`
 * receives the URI-encoded path that is also signed. */
void lh_s3_build_url(const char *endpoint, const char *bucket, int virtual_host, const char *key,
                     const char *query, lh_buf *url, lh_buf *host, lh_buf *canonical_path);

/* ---- the store and its requests (s3.c, s3_request.c, s3_write.c) ---- */

#define LH_S3_PRIVATE_PREFIX ".lakehouse/"   /* the backend's own keys, hidden from lists */

enum { LH_S3_CM_UNKNOWN = 0, LH_S3_CM_INM = 1, LH_S3_CM_LOCK = 2 };

/* Probes (bucket health, the conditional-create check at open) get one
 * attempt within this time (or timeout_ms, if shorter): a dead endpoint
 * must not hold up start-up or GET /health for a whole retry budget. */
#define LH_S3_PROBE_TIMEOUT_MS 2000

typedef struct lh_s3_store {
    lh_objstore base;
    char   *endpoint;     /* scheme://host[:port], no trailing '/' */
    char   *bucket;
    char   *region;
    char   *secret_ref;
    char   *access_key;
    char   *secret_key;
    char   *session_token;
    int     virtual_host;
    uint64_t threshold, part_size;
    int     parallel, max_retries;
    int64_t timeout_ms, budget_ms;
    int     forced_lock;
    atomic_int create_method;
    pthread_mutex_t pool_mu;
    CURL  **pool;
    size_t  n_pool, cap_pool;
} lh_s3_store;

typedef struct lh_s3_call {
    /* request */
    const char *op;          /* "get", "put", … for messages */
    const char *method;
    const char *key;         /* NULL = the bucket */
    const char *query;       /* URI-encoded, NULL = none */
    const char *hdr_names[6];
    const char *hdr_values[6];
    size_t      n_hdrs;
    const void *body;
    size_t      body_len;
    int         quick;       /* a probe: one attempt, at most LH_S3_PROBE_TIMEOUT_MS */
    /* response */
    long     status;
    lh_buf   resp;
    char     etag[LH_ETAG_MAX];
    uint64_t content_length;
    uint64_t total_size;     /* from Content-Range, else UINT64_MAX */
    int64_t  mtime_us;
    char     request_id[128];
    /* transfer */
    size_t   sent;
} lh_s3_call;

void lh_s3_pool_close(lh_s3_store *s);
void lh_s3_call_add_header(lh_s3_call *c, const char *name, const char *value);
/* Send with retries (s3_request.c); 0 on a 2xx answer, else a mapped lh_err. */
int  lh_s3_perform(lh_s3_store *s, lh_s3_call *c, lh_err *err);
void lh_s3_call_free(lh_s3_call *c);

int  lh_s3_head(lh_objstore *st, const char *key, lh_obj_info *info, lh_err *err);
/* LH_S3_CM_INM or LH_S3_CM_LOCK once known (probing the server), or a
 * negative status. quick: probe with quick calls (see lh_s3_call). */
int  lh_s3_create_method(lh_s3_store *s, int quick, lh_err *err);
int  lh_s3_writer_open(lh_objstore *st, const char *key, int flags, lh_obj_writer **out, lh_err *err);

#endif

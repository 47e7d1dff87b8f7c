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

/* "2026-11-28T05:49:37.000Z" -> epoch microseconds; 0 if unparseable. */
int64_t lh_s3_parse_iso8601(const char *s);

/* Build the request URL and Host header for `key` (NULL = the bucket
 * itself) under path-style or virtual-host addressing. `canonical_path`
 * receives the URI-encoded path that is also signed. */
void lh_s3_build_url(const char *endpoint, const char *bucket, int virtual_host, const char *key,
                     const char *query, lh_buf *url, lh_buf *host, lh_buf *canonical_path);

#endif

/* storage/registry.h — the buckets of this deployment (ADR-017).
 *
 * Every object belongs to exactly one named bucket: `primary` (always
 * present), tenant buckets (`client_eu`), per-user buckets
 * (`profile:alice`), and optionally one shared rescue bucket. The registry
 * opens them from configuration, wraps each so its failures reach the
 * error journal, and implements the federation rules:
 *
 *   - Reads (get, head, list) that fail on their bucket for an operational
 *     reason (unreachable, I/O error, timeout) are retried on the rescue
 *     bucket; callers learn it through *rescue_used so the HTTP layer can
 *     say X-Lakehouse-Rescue-Used: true. "Not found" is an answer, not a
 *     failure, and is never redirected.
 *   - Writes never fall back: a write to an unreachable bucket fails with
 *     LH_EUNAVAIL and a message naming the bucket.
 *
 * A bucket whose backend this build cannot open is kept, reported
 * unreachable with the reason, and fails every operation, so one bad
 * tenant entry does not stop the server.
 *
 * Thread-safety: all functions may be called concurrently after open.
 * Ownership: stores returned by lh_registry_bucket belong to the registry.
 */
#ifndef LH_STORAGE_REGISTRY_H
#define LH_STORAGE_REGISTRY_H

#include "core/config.h"
#include "storage/cache.h"
#include "storage/error_journal.h"
#include "storage/objstore.h"
#include "storage/secrets.h"

#include <stdint.h>

typedef struct lh_registry lh_registry;

typedef struct lh_bucket_desc {
    const char *name;
    const char *backend;   /* "local" | "s3" */
    const char *location;  /* root directory, or endpoint/bucket */
    int         is_primary;
    int         is_rescue;
} lh_bucket_desc;

int  lh_registry_open(const lh_config *cfg, lh_registry **out, lh_err *err);
/* Flushes the error journal (best effort) and closes every bucket. */
void lh_registry_free(lh_registry *reg);

size_t                lh_registry_count(const lh_registry *reg);
const lh_bucket_desc *lh_registry_desc(const lh_registry *reg, size_t i);

/* The bucket called `name`, or NULL with LH_ENOTFOUND "bucket_not_found". */
lh_objstore *lh_registry_bucket(lh_registry *reg, const char *name, lh_err *err);
lh_objstore *lh_registry_primary(lh_registry *reg);

/* Reads with rescue fallback (see above). rescue_used may be NULL. */
int lh_registry_get(lh_registry *reg, const char *bucket, const char *key, lh_range range,
                    lh_obj_reader **out, lh_obj_info *info, int *rescue_used, lh_err *err);
int lh_registry_head(lh_registry *reg, const char *bucket, const char *key,
                     lh_obj_info *info, int *rescue_used, lh_err *err);
int lh_registry_list(lh_registry *reg, const char *bucket, const lh_list_opts *opts,
                     lh_list *out, int *rescue_used, lh_err *err);

/* Probe bucket i: 0 if reachable; latency in microseconds. */
int lh_registry_probe(lh_registry *reg, size_t i, int64_t *latency_us, lh_err *err);

lh_error_journal *lh_registry_errors(lh_registry *reg);

/* ---- local files for the query engine (storage/cache.h) ----
 * A local path holding bucket/key: the object's own file for a local
 * bucket; for any other backend a copy in the read cache, fetched now
 * (through the rescue-aware reads above) if missing or stale. */
int  lh_registry_local_path(lh_registry *reg, const char *bucket, const char *key, lh_buf *out, lh_err *err);
/* The same, and a cached copy stays until lh_registry_local_unpin (for a
 * reader that opens the file later, e.g. a query's scan; see cache.h).
 * Local buckets pin nothing; unpinning them is a no-op. */
int  lh_registry_local_path_pinned(lh_registry *reg, const char *bucket, const char *key, lh_buf *out,
                                   lh_err *err);
void lh_registry_local_unpin(lh_registry *reg, const char *bucket, const char *key);
/* Write-through after a put of the local file `path` as bucket/key:
 * a no-op for local buckets; never fails the caller (logged). */
void lh_registry_cache_offer(lh_registry *reg, const char *bucket, const char *key, const char *path,
                             const char *etag);
/* The local directories holding every bucket's objects under prefix
 * (absolute; a local bucket's own folder, else its copies in the read
 * cache), for an engine's lockdown. Returns the count; free each and
 * *out. */
size_t lh_registry_local_dirs(lh_registry *reg, const char *prefix, char ***out);
/* The cache directory, or NULL when every bucket is local (no cache). */
const char *lh_registry_cache_dir(lh_registry *reg);
/* 0 and the figures, or LH_ENOTFOUND when there is no cache. */
int  lh_registry_cache_stats(lh_registry *reg, lh_cache_stats *out);

/* Make operations in `mask` (LH_FAULT_*) on a bucket fail with `status`;
 * mask 0 turns it off. Every bucket sits behind a fault switch so the
 * federation rules (rescue reads, journaled failures, hard-failing writes)
 * can be tested without breaking a real disk or server. */
int lh_registry_inject_fault(lh_registry *reg, const char *bucket, int mask, int status, lh_err *err);

#endif

/* storage/cache.h — a local, size-bounded copy of objects from non-local
 * buckets, so the query engine (which reads files) can read S3 data.
 *
 * A cached object is the file DIR/BUCKET/KEY; its ETag is kept beside it
 * in DIR/.etag/BUCKET/KEY. Files arrive two ways: offered by the writer
 * right after a put (write-through — the ingest already has the Parquet
 * file on disk) and fetched on first use. A file found on disk from an
 * earlier run is checked once against the object's current ETag (HEAD)
 * before it is trusted; within a run objects are write-once, so a checked
 * file stays good. When the bucket cannot be reached for that check, the
 * cached copy is used (it was right when fetched) and the miss is counted.
 *
 * The total size is bounded: past max_bytes the least recently used files
 * are removed (never the one being returned, never a pinned one). A path
 * handed out by lh_cache_path may therefore be evicted later; callers that
 * keep paths (the query views) call lh_cache_pin_path before use, which
 * refetches if needed and keeps the file until lh_cache_unpin.
 *
 * The cache knows nothing of buckets beyond their names: the caller
 * supplies how to HEAD and fetch (the registry passes its rescue-aware
 * reads). Thread-safety: all functions may be called concurrently.
 */
#ifndef LH_STORAGE_CACHE_H
#define LH_STORAGE_CACHE_H

#include "core/buf.h"
#include "core/err.h"
#include "storage/objstore.h"

#include <stdint.h>

typedef struct lh_cache lh_cache;

typedef struct lh_cache_stats {
    uint64_t hits, misses, fills, evictions, validations, refetched_stale;
    uint64_t files, bytes, max_bytes;
    uint64_t pinned;   /* files held by readers now (exempt from eviction) */
} lh_cache_stats;

/* How the cache reaches the object: head fills info; fetch writes the
 * object into the local file `path` and fills info. */
typedef struct lh_cache_source {
    int (*head)(void *ctx, lh_obj_info *info, lh_err *err);
    int (*fetch)(void *ctx, const char *path, lh_obj_info *info, lh_err *err);
    void *ctx;
} lh_cache_source;

/* Open (creating DIR) and index what an earlier run left there. */
int  lh_cache_open(const char *dir, uint64_t max_bytes, lh_cache **out, lh_err *err);
void lh_cache_free(lh_cache *c);
const char *lh_cache_dir(const lh_cache *c);   /* absolute */

/* The local path of bucket/key in `out`, fetching it if missing or stale. */
int  lh_cache_path(lh_cache *c, const char *bucket, const char *key, const lh_cache_source *src,
                   lh_buf *out, lh_err *err);
/* As lh_cache_path, and the file is pinned: it is not evicted until a
 * matching lh_cache_unpin (pins count; the bound may be exceeded while
 * pins are held). A failed call pins nothing. */
int  lh_cache_pin_path(lh_cache *c, const char *bucket, const char *key, const lh_cache_source *src,
                       lh_buf *out, lh_err *err);
/* Release one pin of bucket/key, evicting down to the bound if it was the
 * last. Unknown keys are ignored. */
void lh_cache_unpin(lh_cache *c, const char *bucket, const char *key);
/* Write-through: copy the local file `path` (just stored as bucket/key
 * with `etag`) into the cache. Best effort; 0 or a negative status. */
int  lh_cache_offer(lh_cache *c, const char *bucket, const char *key, const char *path, const char *etag,
                    lh_err *err);
void lh_cache_stats_get(lh_cache *c, lh_cache_stats *out);

#endif

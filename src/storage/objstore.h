/* storage/objstore.h — the object-store interface every bucket speaks.
 *
 * Lakehouse keeps all state in buckets (ADR-001), so this is the narrowest
 * waist of the system: get (whole or a byte range), put (atomic, optionally
 * create-only), head, list (prefix, delimiter, pagination), delete. Each
 * backend (local filesystem now, S3 next) implements the vtable in
 * objstore_impl.h; callers see only this header.
 *
 * Guarantees every backend gives:
 *   - A put is atomic: readers see the old object or the whole new one,
 *     never a prefix. A create-only put (LH_PUT_CREATE_ONLY) fails with
 *     LH_EEXIST if the key exists, atomically against concurrent creators;
 *     the catalog's commit is built on this.
 *   - Keys are validated (lh_key_validate) before any backend sees them:
 *     "..", ".", empty segments, absolute paths, control characters and
 *     invalid UTF-8 are refused with LH_EINVAL, so nothing outside the
 *     bucket root is ever touched.
 *   - A bucket that cannot be reached at all fails with LH_EUNAVAIL (code
 *     "bucket_unavailable"); a missing key with LH_ENOTFOUND
 *     ("object_not_found").
 *
 * Ownership: lh_objstore_* functions never take ownership of arguments.
 * Readers, writers and lists returned through out-parameters belong to the
 * caller and are released with their own close/abort/free.
 * Thread-safety: an lh_objstore may be used from many threads at once;
 * a reader or writer from one thread at a time.
 */
#ifndef LH_STORAGE_OBJSTORE_H
#define LH_STORAGE_OBJSTORE_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define LH_KEY_MAX     1024   /* bytes, as S3 */
#define LH_ETAG_MAX    80

typedef struct lh_objstore   lh_objstore;
typedef struct lh_obj_reader lh_obj_reader;
typedef struct lh_obj_writer lh_obj_writer;

typedef struct lh_obj_info {
    uint64_t size;
    char     etag[LH_ETAG_MAX];  /* quoted, as S3 returns it */
    int64_t  mtime_us;           /* epoch microseconds */
} lh_obj_info;

/* Byte range for get: [offset, offset+length). length UINT64_MAX = to end. */
typedef struct lh_range {
    uint64_t offset;
    uint64_t length;
} lh_range;
#define LH_RANGE_ALL ((lh_range){0, UINT64_MAX})

enum { LH_PUT_CREATE_ONLY = 1 };

typedef struct lh_list_opts {
    const char *prefix;     /* NULL or "" = whole bucket */
    const char *delimiter;  /* NULL or "" = flat listing; usually "/" */
    const char *cursor;     /* NULL = from the start; else next_cursor of the previous page */
    size_t      max_keys;   /* 0 = 1000 */
} lh_list_opts;

typedef struct lh_list_entry {
    char       *key;
    lh_obj_info info;
} lh_list_entry;

typedef struct lh_list {
    lh_list_entry *objects;    /* sorted by key, bytewise */
    size_t         n_objects;
    char         **prefixes;   /* common prefixes when a delimiter was given */
    size_t         n_prefixes;
    char          *next_cursor; /* NULL when this is the last page */
} lh_list;

/* ---- keys ---- */

/* Check an object key; LH_EINVAL with code "invalid_key" and a message
 * naming the offending part. */
int lh_key_validate(const char *key, lh_err *err);
/* Check a listing prefix (may be empty, may end in "/"). */
int lh_prefix_validate(const char *prefix, lh_err *err);

/* ---- stores ---- */

/* A bucket on the local filesystem rooted at `root` (created if missing at
 * open). If the root later disappears the bucket reports LH_EUNAVAIL
 * rather than recreating it: a vanished mount must not be papered over. */
int  lh_objstore_local_new(const char *name, const char *root, lh_objstore **out, lh_err *err);

/* A wrapper that forwards to `inner` (which it does not own) but can be
 * told to fail, so fault paths are testable (SQLite's habit). READ: a get
 * succeeds but its reader fails after delivering its first piece. */
enum {
    LH_FAULT_GET = 1, LH_FAULT_PUT = 2, LH_FAULT_HEAD = 4, LH_FAULT_LIST = 8,
    LH_FAULT_DELETE = 16, LH_FAULT_PROBE = 32, LH_FAULT_READ = 64, LH_FAULT_ALL = 127,
};
int  lh_objstore_faulty_new(lh_objstore *inner, lh_objstore **out, lh_err *err);
/* Make the ops in `mask` fail with `status` (0 clears). */
void lh_objstore_faulty_set(lh_objstore *faulty, int mask, int status);

void        lh_objstore_free(lh_objstore *s);
const char *lh_objstore_name(const lh_objstore *s);     /* bucket name */
const char *lh_objstore_backend(const lh_objstore *s);  /* "local", "s3", "faulty" */
/* Local filesystem path of the bucket root, or NULL if not on local disk.
 * The query engine reads Parquet straight from here when it can. */
const char *lh_objstore_local_root(const lh_objstore *s);

/* ---- operations ---- */

int  lh_objstore_get(lh_objstore *s, const char *key, lh_range range,
                     lh_obj_reader **out, lh_obj_info *info, lh_err *err);
/* Read up to n bytes; returns bytes read, 0 at end, negative LH_E* on error. */
int64_t  lh_obj_reader_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err);
uint64_t lh_obj_reader_length(const lh_obj_reader *r);  /* bytes this reader yields */
void     lh_obj_reader_close(lh_obj_reader *r);

/* Whole object (or range) into memory; for small objects only. */
int  lh_objstore_get_buf(lh_objstore *s, const char *key, lh_range range,
                         lh_buf *out, lh_obj_info *info, lh_err *err);

/* Streamed put: open, write any number of times, then commit or abort.
 * Nothing is visible under `key` until commit returns 0. commit and abort
 * both free the writer. */
int  lh_objstore_writer_open(lh_objstore *s, const char *key, int flags,
                             lh_obj_writer **out, lh_err *err);
int  lh_obj_writer_write(lh_obj_writer *w, const void *data, size_t n, lh_err *err);
int  lh_obj_writer_commit(lh_obj_writer *w, lh_obj_info *info, lh_err *err);
void lh_obj_writer_abort(lh_obj_writer *w);

/* One-shot put of a buffer. */
int  lh_objstore_put(lh_objstore *s, const char *key, const void *data, size_t n,
                     int flags, lh_obj_info *info, lh_err *err);

/* Stream the local file `path` into `key` (put semantics as above). */
int  lh_objstore_put_file(lh_objstore *s, const char *key, const char *path, int flags,
                          lh_obj_info *info, lh_err *err);
/* Copy object `key` into the local file `path` (created or truncated;
 * removed again on failure). */
int  lh_objstore_get_file(lh_objstore *s, const char *key, const char *path, lh_obj_info *info,
                          lh_err *err);
/* Copy the rest of what reader r yields into the local file `path`
 * (created or truncated, mode 0600). r stays open: the caller closes it.
 * LH_FILE_FSYNC: the bytes are on disk before this returns — for files a
 * later run trusts, such as the read cache. On failure `path` is removed
 * and err names the file and the object (`bucket`, `key`: for messages). */
enum { LH_FILE_FSYNC = 1 };
int  lh_obj_reader_to_file(lh_obj_reader *r, const char *bucket, const char *key, const char *path, int flags,
                           lh_err *err);
/* The same for a local file `src` that holds object `key` of `bucket` (a
 * file just stored, offered to the read cache): copied into `path` with the
 * same flags and clean-up; *bytes (if not NULL) gets the size copied. */
int  lh_file_to_file(const char *src, const char *bucket, const char *key, const char *path, int flags,
                     uint64_t *bytes, lh_err *err);

int  lh_objstore_head(lh_objstore *s, const char *key, lh_obj_info *info, lh_err *err);
int  lh_objstore_list(lh_objstore *s, const lh_list_opts *opts, lh_list *out, lh_err *err);
void lh_list_free(lh_list *l);
/* Every page of a listing: cb(ctx, page) for each page until the last, or
 * until cb returns non-zero (which is returned). opts->cursor is ignored. */
int  lh_objstore_list_each(lh_objstore *s, const lh_list_opts *opts,
                           int (*cb)(void *ctx, const lh_list *page), void *ctx, lh_err *err);
int  lh_objstore_delete(lh_objstore *s, const char *key, lh_err *err);
/* Copy object `src` to `dst` in the same bucket (plain put semantics: dst
 * is replaced). Server-side where the backend can (S3 CopyObject, up to
 * 5 GiB), else streamed through this process. */
int  lh_objstore_copy(lh_objstore *s, const char *src, const char *dst, lh_obj_info *info, lh_err *err);
/* Is the bucket reachable? Cheap; used by health checks. */
int  lh_objstore_probe(lh_objstore *s, lh_err *err);

#endif

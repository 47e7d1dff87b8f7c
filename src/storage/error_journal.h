/* storage/error_journal.h — every failed bucket operation, findable in one
 * HTTP call (ADR-017).
 *
 * Operational failures that nobody can see are failures nobody fixes. Each
 * failed operation on any bucket (unreachable, I/O error, timeout, refused
 * credentials — not a client's own mistake such as a missing key or an
 * invalid name) becomes one JSON event
 *
 *   {"ts":"…Z","ts_us":…,"bucket":"…","op":"get","key":"…",
 *    "status":"unavailable","code":"bucket_unavailable","error":"…"}
 *
 * written through the append log (ADR-018) at
 * primary://_errors/bucket_errors/batch_{epoch_us}.jsonl. The journal
 * writes to the primary store directly, never through the journaling
 * wrapper, so a failing primary cannot recurse into itself; its events then
 * stay buffered (and visible in the ring) until a flush succeeds.
 *
 * Thread-safety: record may be called from any thread.
 */
#ifndef LH_STORAGE_ERROR_JOURNAL_H
#define LH_STORAGE_ERROR_JOURNAL_H

#include "storage/append_log.h"
#include "storage/objstore.h"

#include <stdint.h>

#define LH_ERROR_JOURNAL_PREFIX "_errors/bucket_errors/"

typedef struct lh_error_journal lh_error_journal;

int  lh_error_journal_new(lh_objstore *primary, const lh_append_log_opts *opts,
                          lh_error_journal **out, lh_err *err);
void lh_error_journal_free(lh_error_journal *j);

/* Does a failure with this status belong in the journal? */
int  lh_error_journal_worthy(int status);

/* Record a failure. Never fails: if the event cannot be buffered it is
 * counted as dropped in the append log's stats. */
void lh_error_journal_record(lh_error_journal *j, const char *bucket, const char *op,
                             const char *key, const lh_err *e);

/* The last recorded failure of a bucket, if any: returns 1 and fills msg/ts. */
int  lh_error_journal_last(lh_error_journal *j, const char *bucket, char *msg, size_t msgsz,
                           int64_t *ts_us);

lh_append_log *lh_error_journal_log(lh_error_journal *j);



/* Wrap `inner` (ownership passes to the wrapper) so that every failure
 * worth journaling is recorded under the bucket's name. Everything else
 * is forwarded untouched. */
int  lh_objstore_journaled_new(lh_objstore *inner, lh_error_journal *j, lh_objstore **out);
#endif

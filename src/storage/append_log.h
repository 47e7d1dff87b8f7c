/* storage/append_log.h — write-once batched journals (ADR-018).
 *
 * Object stores have no append: the only way to "add a line" to a JSONL
 * object is to rewrite all of it, which costs O(N) per event and O(N^2)
 * over a journal's life, and races with every other writer. So an append
 * log never rewrites anything. Events (one JSON object each) collect in an
 * in-memory buffer; a flush writes the whole buffer as ONE new immutable
 * object
 *
 *     PREFIX batch_{epoch_us:016}.jsonl      (one event per line)
 *
 * with a create-only put. The zero-padded timestamp makes bytewise key
 * order time order, and the timestamps this process uses only increase, so
 * listing PREFIX yields the journal in order. It is the LSM idea applied
 * to small events: bounded write amplification, append-only semantics.
 *
 * Many small batches make reads slow, so compact() merges all batches into
 * one object named after the newest input,
 *
 *     PREFIX batch_{newest input's epoch_us}-c{now:016}.jsonl
 *
 * which sorts exactly where its inputs were: after every older batch and
 * before any batch flushed later. Its first line is a header naming the
 * inputs, {"_compacted_from":["batch_….jsonl",…]}; the inputs are deleted
 * only once the merged object is durable. A crash in between leaves both,
 * and readers skip every batch that some header names, so each event is
 * read exactly once either way.
 *
 * A small ring of the newest events is kept in memory for O(1) "recent
 * events" endpoints (the bucket-error and HNSW-trial views).
 *
 * Ownership: the log does not own `store` (it must outlive the log) and
 * copies `prefix` and every appended string. lh_append_log_recent returns
 * copies the caller frees with lh_append_log_lines_free.
 *
 * Thread-safety: every function may be called from many threads at once.
 * Appends only take a short in-memory lock; flush does its storage I/O
 * without that lock (appends continue meanwhile); flushes are serialised
 * with each other so batches keep their order; compact and read are
 * serialised with each other. A read callback must not call flush,
 * compact or read on the same log (it may append).
 *
 * Durability: an event is persisted once a flush that contains it
 * returns 0. Buffered events are lost if the process dies; a failed flush
 * keeps them buffered (up to max_buffered, oldest dropped first and
 * counted in stats.dropped). One writer process per prefix: two processes
 * flushing to the same prefix never overwrite each other (create-only),
 * but their batches interleave by wall-clock time.
 */
#ifndef LH_STORAGE_APPEND_LOG_H
#define LH_STORAGE_APPEND_LOG_H

#include "storage/objstore.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lh_append_log lh_append_log;

typedef struct lh_append_log_opts {
    size_t  flush_events;       /* flush when this many events are buffered; 0 = 1000 */
    int64_t flush_interval_ms;  /* period of a background flush thread; 0 = no thread */
    size_t  ring_size;          /* recent events kept in memory; 0 = 1000 */
    size_t  max_buffered;       /* cap while flushes keep failing (oldest dropped);
                                 * 0 = 100000; must be >= flush_events */
} lh_append_log_opts;

/* Open a log writing under `prefix` (e.g. "_errors/bucket_errors/"; a
 * valid listing prefix, normally ending in "/"). opts NULL = defaults.
 * Reads the newest existing batch name (best-effort) so new batches sort
 * after it even if the wall clock moved back. */
int  lh_append_log_new(lh_objstore *store, const char *prefix, const lh_append_log_opts *opts,
                       lh_append_log **out, lh_err *err);
/* Stop the background thread, flush what is buffered (best-effort; a
 * failure is logged with the number of events lost) and free. NULL ok. */
void lh_append_log_free(lh_append_log *log);

/* Append one event: `json` must be a single JSON object with no newline
 * (LH_EINVAL "invalid_event" otherwise). The event goes into the buffer and
 * the ring; when flush_events are buffered this call flushes (unless a
 * flush is already running). A failed flush is not an append error: the
 * events stay buffered and stats.flush_failures counts it. */
int  lh_append_log_append(lh_append_log *log, const char *json, lh_err *err);

/* Append many events at once: `lines` holds len bytes of events, one per
 * line ('\n'-separated, a final '\n' optional), each checked as by
 * lh_append_log_append; if any fails nothing is appended (LH_EINVAL
 * "invalid_event" naming the line). With flags LH_APPEND_ENCODED the
 * caller vouches that every line was written by a JSON encoder (jansson's
 * json_dumps, DuckDB's to_json) and only the framing is checked (one line,
 * {...}): a full parse per event costs more than making it. They join the
 * buffer under one lock hold, so a flush takes all of them or none: a
 * caller that appends a whole operation's events this way and then
 * flushes gets them in one batch object (with any other events buffered
 * meanwhile), never split across two. *n_out (may be NULL) = events
 * appended. */
#define LH_APPEND_ENCODED 1
int  lh_append_log_append_lines(lh_append_log *log, const char *lines, size_t len, int flags, size_t *n_out,
                                lh_err *err);

/* Write every buffered event as one new batch object (create-only; on a
 * name collision the timestamp is bumped by 1 and the put retried).
 * Nothing buffered: returns 0 and writes nothing. On failure the events
 * are back at the front of the buffer for the next flush. */
int  lh_append_log_flush(lh_append_log *log, lh_err *err);

typedef struct lh_append_log_compact_result {
    size_t batches_merged;        /* input objects (0 when nothing was done) */
    size_t events;                /* events in the merged object */
    char   key[LH_KEY_MAX + 1];   /* the merged object's key ("" when none) */
} lh_append_log_compact_result;

/* Flush, then merge every batch under the prefix into one object (see the
 * top of this file) and delete the inputs once it is durable. Fewer than
 * two batches: no-op. A failed delete of an input is logged, not returned:
 * the merged header already makes readers skip it. res may be NULL. */
int  lh_append_log_compact(lh_append_log *log, lh_append_log_compact_result *res, lh_err *err);

/* Call cb for every event in order: persisted batches (skipping batches a
 * compacted header supersedes, and the header lines), then the events
 * still buffered. json_line is NUL-terminated (len excludes the NUL) and
 * valid only during the call. A non-zero return from cb stops the read and
 * is returned. LH_ECONFLICT "journal_changed" if a batch vanished while
 * being read (another process compacting): read again. */
int  lh_append_log_read(lh_append_log *log,
                        int (*cb)(void *ctx, const char *json_line, size_t len),
                        void *ctx, lh_err *err);

/* Copy up to `max` of the most recent events (oldest first, newest last)
 * from the ring into *out_lines; returns the count (0 sets *out_lines to
 * NULL). Free with lh_append_log_lines_free. */
size_t lh_append_log_recent(lh_append_log *log, size_t max, char ***out_lines);
void   lh_append_log_lines_free(char **lines, size_t n);

typedef struct lh_append_log_stats {
    uint64_t appended;        /* events accepted by append */
    uint64_t flushed_events;  /* events persisted by successful flushes */
    uint64_t flush_batches;   /* batch objects written */
    uint64_t flush_failures;  /* flushes that failed (events kept) */
    uint64_t dropped;         /* events dropped because max_buffered was reached */
    size_t   buffered;        /* events waiting for a flush (not counting one in flight) */
} lh_append_log_stats;

void lh_append_log_stats_get(lh_append_log *log, lh_append_log_stats *out);

#endif

/* storage/append_log.c — write-once batched journals (ADR-018).
 *
 * Why batches: object stores cannot append, and rewriting a growing JSONL
 * object per event is quadratic and racy. So events are buffered and each
 * flush creates one new immutable object "batch_{epoch_us:016}.jsonl"
 * (create-only, so nothing is ever overwritten, not even by a second
 * process). Key order is time order because the timestamp is zero-padded
 * and, within this process, strictly increasing (last_ts).
 *
 * What compact() preserves: every event exactly once, in the original
 * order, and the invariant that listing the prefix gives the journal in
 * order. The merged object is named "batch_{T}-c{now}.jsonl" where T is
 * the newest input's timestamp: '-' sorts before '.', so it lands right
 * after every older input and before anything flushed later (whose
 * timestamp is > T). Its first line names its inputs; inputs are deleted
 * only after the merged object is committed, and a reader skips any batch
 * named by a header it has seen, so a crash between the two steps loses
 * nothing and duplicates nothing. A later compaction merges leftovers too
 * (listing them in its own header) so they are eventually removed.
 *
 * Locks, always taken in this order (never the reverse):
 *   compact_mu  serialises compact and read, so a read never sees inputs
 *               vanish under it (within this process);
 *   flush_mu    serialises flushes, so batch timestamps follow buffer
 *               order, and lets read snapshot "persisted + buffered"
 *               without an event in flight between the two;
 *   mu          the buffer, the ring, the stats, the thread's stop flag.
 * Storage I/O happens under flush_mu/compact_mu but never under mu, so
 * appenders are never blocked by a slow bucket. An append that reaches
 * the threshold flushes only if no flush is running (trylock): the
 * running one, or the next, takes the events.
 */
#include "storage/append_log.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"

#include <jansson.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_TAG      "batch_"
#define TS_DIGITS      16
#define HEADER_KEY     "_compacted_from"
/* "batch_" + 16 + "-c" + 16 + ".jsonl" */
#define BATCH_NAME_MAX (6 + TS_DIGITS + 2 + TS_DIGITS + 6)
#define MAX_NAME_BUMPS 1000

/* ---- a FIFO of owned strings ---- */

typedef struct evq {
    char **v;
    size_t head, len, cap;
} evq;

static void evq_push(evq *q, char *s)
{
    if (q->head + q->len == q->cap) {
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, q->len * sizeof *q->v);
            q->head = 0;
        } else {
            q->cap = q->cap ? q->cap * 2 : 64;
            q->v = lh_xrealloc(q->v, q->cap * sizeof *q->v);
        }
    }
    q->v[q->head + q->len++] = s;
}

static void evq_drop_front(evq *q)
{
    assert(q->len > 0);
    free(q->v[q->head]);
    q->head++;
    q->len--;
    if (q->len == 0) q->head = 0;
}

static void evq_free(evq *q)
{
    for (size_t i = 0; i < q->len; i++) free(q->v[q->head + i]);
    free(q->v);
    memset(q, 0, sizeof *q);
}

/* Put `front` (taken by an earlier swap) back before the contents of q;
 * front is emptied. */
static void evq_prepend(evq *q, evq *front)
{
    size_t n = front->len + q->len;
    char **v = lh_xmalloc((n ? n : 1) * sizeof *v);
    memcpy(v, front->v + front->head, front->len * sizeof *v);
    if (q->len) memcpy(v + front->len, q->v + q->head, q->len * sizeof *v);
    free(q->v);
    free(front->v);
    memset(front, 0, sizeof *front);
    q->v = v;
    q->head = 0;
    q->len = q->cap = n;
}

/* ---- the log ---- */

struct lh_append_log {
    lh_objstore *store;
    char *prefix;
    lh_append_log_opts opts;

    pthread_mutex_t compact_mu;
    pthread_mutex_t flush_mu;
    int64_t last_ts;        /* newest batch timestamp used (flush_mu) */
    int     flush_failing;  /* last flush failed: log only transitions (flush_mu) */

    pthread_mutex_t mu;
    evq     buf;            /* events not yet flushed, oldest first */
    char  **ring;           /* ring_size slots, newest at ring_next-1 */
    size_t  ring_next, ring_len;
    lh_append_log_stats st;

    pthread_cond_t cv;      /* wakes the flush thread to stop */
    int       stop;
    int       has_thread;
    pthread_t thread;
};

/* A batch object name: "batch_" + 16 digits + ".jsonl" or + "-c" + 16 digits
 * + ".jsonl". Sets *ts and *compacted. */
static int parse_batch_name(const char *name, int64_t *ts, int *compacted)
{
    size_t n = strlen(name);
    if (strncmp(name, BATCH_TAG, 6) != 0) return 0;
    const char *p = name + 6;
    int64_t v = 0;
    for (int i = 0; i < TS_DIGITS; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        v = v * 10 + (p[i] - '0');
    }
    p += TS_DIGITS;
    *ts = v;
    if (!strcmp(p, ".jsonl")) {
        *compacted = 0;
        return 1;
    }
    if (n != BATCH_NAME_MAX || p[0] != '-' || p[1] != 'c') return 0;
    for (int i = 0; i < TS_DIGITS; i++)
        if (p[2 + i] < '0' || p[2 + i] > '9') return 0;
    if (strcmp(p + 2 + TS_DIGITS, ".jsonl") != 0) return 0;
    *compacted = 1;
    return 1;
}

/* Names (without the prefix) of every batch object, in key order. */
static int list_batches(lh_append_log *log, char ***out, size_t *nout, lh_err *err)
{
    *out = NULL;
    *nout = 0;
    lh_buf pfx = LH_BUF_INIT;
    lh_buf_printf(&pfx, "%s" BATCH_TAG, log->prefix);
    size_t plen = strlen(log->prefix), n = 0, cap = 0;
    char **v = NULL;
    char *cursor = NULL;
    int rc = 0;
    do {
        lh_list_opts o = {.prefix = pfx.data, .delimiter = "/", .cursor = cursor, .max_keys = 1000};
        lh_list l;
        rc = lh_objstore_list(log->store, &o, &l, err);
        free(cursor);
        cursor = NULL;
        if (rc) break;
        for (size_t i = 0; i < l.n_objects; i++) {
            const char *name = l.objects[i].key + plen;
            int64_t ts;
            int c;
            if (!parse_batch_name(name, &ts, &c)) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                v = lh_xrealloc(v, cap * sizeof *v);
            }
            v[n++] = lh_xstrdup(name);
        }
        if (l.next_cursor) cursor = lh_xstrdup(l.next_cursor);
        lh_list_free(&l);
    } while (cursor);
    lh_buf_free(&pfx);
    if (rc) {
        lh_append_log_lines_free(v, n);
        return rc;
    }
    *out = v;
    *nout = n;
    return 0;
}

static void batch_key(lh_append_log *log, const char *name, char *key, size_t keysz)
{
    snprintf(key, keysz, "%s%s", log->prefix, name);
}

/* ---- flush ---- */

/* Flush with flush_mu held. */
static int flush_locked(lh_append_log *log, lh_err *err)
{
    evq taken;
    pthread_mutex_lock(&log->mu);
    taken = log->buf;
    memset(&log->buf, 0, sizeof log->buf);
    pthread_mutex_unlock(&log->mu);
    if (taken.len == 0) {
        evq_free(&taken);
        return 0;
    }

    lh_buf body = LH_BUF_INIT;
    for (size_t i = 0; i < taken.len; i++) {
        lh_buf_puts(&body, taken.v[taken.head + i]);
        lh_buf_putc(&body, '\n');
    }
    int64_t ts = lh_now_us();
    if (ts <= log->last_ts) ts = log->last_ts + 1;
    char key[LH_KEY_MAX + 1];
    int rc = 0;
    lh_err e;
    for (int bump = 0; bump < MAX_NAME_BUMPS; bump++, ts++) {
        char name[BATCH_NAME_MAX + 1];
        snprintf(name, sizeof name, BATCH_TAG "%016lld.jsonl", (long long)ts);
        batch_key(log, name, key, sizeof key);
        rc = lh_objstore_put(log->store, key, body.data, body.len, LH_PUT_CREATE_ONLY, NULL, &e);
        if (rc != LH_EEXIST) break;
    }
    lh_buf_free(&body);

    pthread_mutex_lock(&log->mu);
    if (rc == 0) {
        log->last_ts = ts;
        log->st.flushed_events += taken.len;
        log->st.flush_batches++;
        evq_free(&taken);
    } else {
        /* Back in front of anything appended meanwhile, then enforce the cap
         * by dropping the oldest. */
        evq_prepend(&log->buf, &taken);
        while (log->buf.len > log->opts.max_buffered) {
            evq_drop_front(&log->buf);
            log->st.dropped++;
        }
        log->st.flush_failures++;
    }
    size_t kept = log->buf.len;
    pthread_mutex_unlock(&log->mu);

    if (rc == 0) {
        if (log->flush_failing)
            lh_info("journal %s: flushing works again", log->prefix);
        log->flush_failing = 0;
        return 0;
    }
    if (!log->flush_failing)
        lh_warn("journal %s: flush failed, %zu events kept in memory: %s",
                log->prefix, kept, e.msg);
    log->flush_failing = 1;
    if (err) *err = e;
    lh_err_prefix(err, "flushing journal \"%s\"", log->prefix);
    return rc;
}

int lh_append_log_flush(lh_append_log *log, lh_err *err)
{
    pthread_mutex_lock(&log->flush_mu);
    int rc = flush_locked(log, err);
    pthread_mutex_unlock(&log->flush_mu);
    return rc;
}

/* ---- append, ring, stats ---- */

/* Is json[0..len) one JSON object on one line? `what` names it in the
 * message ("journal event", "journal event 3 of the batch"). */
static int check_event(const char *json, size_t len, const char *what, lh_err *err)
{
    const char *nl = memchr(json, '\n', len);
    const char *cr = memchr(json, '\r', len);
    if (cr && (!nl || cr < nl)) nl = cr;
    if (nl)
        return lh_err_set(err, LH_EINVAL, "invalid_event",
                          "%s contains a line break at byte %zu; write it as "
                          "one line of JSON", what, (size_t)(nl - json));
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    if (!j)
        return lh_err_set(err, LH_EINVAL, "invalid_event",
                          "%s is not valid JSON: %s (at byte %d)", what, je.text,
                          je.position);
    int is_obj = json_is_object(j);
    json_decref(j);
    if (!is_obj)
        return lh_err_set(err, LH_EINVAL, "invalid_event",
                          "%s must be a JSON object ({...}), not another JSON value", what);
    return 0;
}

/* With mu held: `ev` (owned) joins the buffer and `copy` (owned) the ring;
 * returns the ring slot's previous string for the caller to free outside
 * the lock. */
static char *push_locked(lh_append_log *log, char *ev, char *copy)
{
    evq_push(&log->buf, ev);
    while (log->buf.len > log->opts.max_buffered) {
        evq_drop_front(&log->buf);
        log->st.dropped++;
    }
    char *evicted = NULL;
    if (copy) {
        evicted = log->ring[log->ring_next];
        log->ring[log->ring_next] = copy;
        log->ring_next = (log->ring_next + 1) % log->opts.ring_size;
        if (log->ring_len < log->opts.ring_size) log->ring_len++;
    }
    log->st.appended++;
    return evicted;
}

/* After an append: flush if the threshold is reached and no flush runs. */
static void maybe_flush(lh_append_log *log, int want_flush)
{
    if (want_flush && pthread_mutex_trylock(&log->flush_mu) == 0) {
        lh_err ignored;
        flush_locked(log, &ignored);  /* failures keep the events; see stats */
        pthread_mutex_unlock(&log->flush_mu);
    }
}

int lh_append_log_append(lh_append_log *log, const char *json, lh_err *err)
{
    if (!log || !json)
        return lh_err_set(err, LH_EINVAL, "invalid_event", "journal event is missing (NULL)");
    int rc = check_event(json, strlen(json), "journal event", err);
    if (rc) return rc;

    char *ev = lh_xstrdup(json);
    char *copy = lh_xstrdup(json);
    pthread_mutex_lock(&log->mu);
    char *evicted = push_locked(log, ev, copy);
    int want_flush = log->buf.len >= log->opts.flush_events;
    pthread_mutex_unlock(&log->mu);
    free(evicted);
    maybe_flush(log, want_flush);
    return 0;
}

/* The framing alone: one line that looks like an object. For lines that
 * come from a JSON encoder, whose output is valid by construction; a full
 * parse of each (jansson) was the larger part of journaling an upsert. */
static int check_framing(const char *json, size_t len, const char *what, lh_err *err)
{
    const char *cr = memchr(json, '\r', len);
    if (cr)
        return lh_err_set(err, LH_EINVAL, "invalid_event", "%s contains a line break at byte %zu; write it as "
                          "one line of JSON", what, (size_t)(cr - json));
    if (len < 2 || json[0] != '{' || json[len - 1] != '}')
        return lh_err_set(err, LH_EINVAL, "invalid_event", "%s must be a JSON object ({...}) on one line", what);
    return 0;
}

int lh_append_log_append_lines(lh_append_log *log, const char *lines, size_t len, int flags, size_t *n_out,
                               lh_err *err)
{
    if (n_out) *n_out = 0;
    if (!log || (!lines && len))
        return lh_err_set(err, LH_EINVAL, "invalid_event", "journal events are missing (NULL)");
    /* Check and copy every line first: all or nothing. */
    evq batch = {0};
    size_t n = 0;
    for (size_t at = 0; at < len;) {
        const char *line = lines + at;
        const char *end = memchr(line, '\n', len - at);
        size_t ll = end ? (size_t)(end - line) : len - at;
        at += ll + (end != NULL);
        char what[64];
        snprintf(what, sizeof what, "journal event %zu of the batch", n + 1);
        int rc = flags & LH_APPEND_ENCODED ? check_framing(line, ll, what, err) : check_event(line, ll, what, err);
        if (rc) { evq_free(&batch); return rc; }
        char *ev = lh_xmalloc(ll + 1);
        memcpy(ev, line, ll);
        ev[ll] = '\0';
        evq_push(&batch, ev);
        n++;
    }
    /* Only the newest ring_size events can stay in the ring: copy those. */
    size_t ring_from = n > log->opts.ring_size ? n - log->opts.ring_size : 0;
    char **copies = lh_xmalloc((n - ring_from ? n - ring_from : 1) * sizeof *copies);
    for (size_t i = ring_from; i < n; i++) copies[i - ring_from] = lh_xstrdup(batch.v[i]);
    char **evicted = lh_xmalloc((n ? n : 1) * sizeof *evicted);
    size_t n_evicted = 0;
    /* One lock hold: a flush swaps the whole buffer under this lock, so it
     * takes every line of the batch or none of them. */
    pthread_mutex_lock(&log->mu);
    for (size_t i = 0; i < n; i++) {
        char *old = push_locked(log, batch.v[i], i >= ring_from ? copies[i - ring_from] : NULL);
        if (old) evicted[n_evicted++] = old;
    }
    int want_flush = log->buf.len >= log->opts.flush_events;
    pthread_mutex_unlock(&log->mu);
    for (size_t i = 0; i < n_evicted; i++) free(evicted[i]);
    free(evicted);
    free(copies);
    free(batch.v);  /* the strings now belong to the buffer */
    maybe_flush(log, want_flush);
    if (n_out) *n_out = n;
    return 0;
}

size_t lh_append_log_recent(lh_append_log *log, size_t max, char ***out_lines)
{
    *out_lines = NULL;
    pthread_mutex_lock(&log->mu);
    size_t n = log->ring_len < max ? log->ring_len : max;
    char **v = n ? lh_xmalloc(n * sizeof *v) : NULL;
    size_t rs = log->opts.ring_size;
    for (size_t i = 0; i < n; i++) {
        /* newest is at ring_next-1; we want the n newest, oldest first */
        size_t idx = (log->ring_next + rs - n + i) % rs;
        v[i] = lh_xstrdup(log->ring[idx]);
    }
    pthread_mutex_unlock(&log->mu);
    *out_lines = v;
    return n;
}

void lh_append_log_lines_free(char **lines, size_t n)
{
    if (!lines) return;
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

void lh_append_log_stats_get(lh_append_log *log, lh_append_log_stats *out)
{
    pthread_mutex_lock(&log->mu);
    *out = log->st;
    out->buffered = log->buf.len;
    pthread_mutex_unlock(&log->mu);
}

/* ---- compacted headers ---- */

/* If line[0..len) is a compaction header, return its name array (a new
 * reference), else NULL. */
static json_t *header_names(const char *line, size_t len)
{
    if (len < 2 || line[0] != '{') return NULL;
    json_t *j = json_loadb(line, len, 0, NULL);
    if (!j) return NULL;
    json_t *a = json_object_get(j, HEADER_KEY);
    if (a && json_is_array(a)) json_incref(a);
    else a = NULL;
    json_decref(j);
    return a;
}

/* A sorted set of batch names. */
typedef struct nameset {
    char **v;
    size_t n, cap;
} nameset;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void nameset_add(nameset *s, const char *name)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = lh_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = lh_xstrdup(name);
}

static void nameset_seal(nameset *s)
{
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, str_cmp);
}

static int nameset_has(const nameset *s, const char *name)
{
    return s->n && bsearch(&name, s->v, s->n, sizeof *s->v, str_cmp) != NULL;
}

static void nameset_free(nameset *s)
{
    lh_append_log_lines_free(s->v, s->n);
    memset(s, 0, sizeof *s);
}

/* Read the first line of a compacted batch (streamed: the rest of the
 * object may be large) and add the names its header lists to `sup`. */
static int collect_superseded(lh_append_log *log, const char *name, nameset *sup, lh_err *err)
{
    char key[LH_KEY_MAX + 1];
    batch_key(log, name, key, sizeof key);
    lh_obj_reader *r;
    int rc = lh_objstore_get(log->store, key, LH_RANGE_ALL, &r, NULL, err);
    if (rc == LH_ENOTFOUND) return 0;  /* compacted away meanwhile: its inputs are gone too */
    if (rc) return rc;
    lh_buf line = LH_BUF_INIT;
    char chunk[8192];
    for (;;) {
        int64_t got = lh_obj_reader_read(r, chunk, sizeof chunk, err);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got == 0) break;
        char *nl = memchr(chunk, '\n', (size_t)got);
        lh_buf_append(&line, chunk, nl ? (size_t)(nl - chunk) : (size_t)got);
        if (nl) break;
    }
    lh_obj_reader_close(r);
    if (!rc) {
        json_t *a = header_names(line.data ? line.data : "", line.len);
        size_t i;
        json_t *it;
        json_array_foreach(a, i, it) {
            if (json_is_string(it)) nameset_add(sup, json_string_value(it));
        }
        json_decref(a);
    }
    lh_buf_free(&line);
    return rc;
}

/* List the batches and the set of those superseded by compacted headers. */
static int scan(lh_append_log *log, char ***names, size_t *n, nameset *sup, lh_err *err)
{
    memset(sup, 0, sizeof *sup);
    int rc = list_batches(log, names, n, err);
    if (rc) return rc;
    for (size_t i = 0; i < *n; i++) {
        int64_t ts;
        int compacted = 0;
        parse_batch_name((*names)[i], &ts, &compacted);
        if (compacted && (rc = collect_superseded(log, (*names)[i], sup, err))) break;
    }
    if (rc) {
        lh_append_log_lines_free(*names, *n);
        *names = NULL;
        *n = 0;
        nameset_free(sup);
        return rc;
    }
    nameset_seal(sup);
    return 0;
}

/* Call fn for each event line of batch `name` (skipping a compaction
 * header). The line is NUL-terminated in place. */
static int for_each_event(lh_append_log *log, const char *name, lh_buf *data,
                          int (*fn)(void *ctx, const char *line, size_t len), void *ctx,
                          lh_err *err)
{
    char key[LH_KEY_MAX + 1];
    batch_key(log, name, key, sizeof key);
    int rc = lh_objstore_get_buf(log->store, key, LH_RANGE_ALL, data, NULL, err);
    if (rc == LH_ENOTFOUND)
        return lh_err_set(err, LH_ECONFLICT, "journal_changed",
                          "journal \"%s\": batch %s vanished while being read (compacted by "
                          "another process?); read again", log->prefix, name);
    if (rc) return rc;
    int64_t ts;
    int compacted = 0;
    parse_batch_name(name, &ts, &compacted);
    char *p = data->data, *end = data->data + data->len;
    for (int first = 1; p < end; first = 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        size_t len = (size_t)(e - p);
        *e = '\0';  /* end is the buffer's own NUL */
        if (len > 0 && e[-1] == '\r') e[-1] = '\0', len--;
        int skip = len == 0;
        if (!skip && first && compacted) {
            json_t *a = header_names(p, len);
            skip = a != NULL;
            json_decref(a);
        }
        if (!skip && (rc = fn(ctx, p, len)) != 0) return rc;
        p = e + 1;
    }
    return 0;
}

/* ---- read ---- */

int lh_append_log_read(lh_append_log *log,
                       int (*cb)(void *ctx, const char *json_line, size_t len),
                       void *ctx, lh_err *err)
{
    if (!log || !cb)
        return lh_err_set(err, LH_EINVAL, "invalid_argument", "lh_append_log_read: NULL argument");
    pthread_mutex_lock(&log->compact_mu);
    /* Listing and the buffer snapshot happen with no flush in flight, so
     * every event is in exactly one of the two. */
    pthread_mutex_lock(&log->flush_mu);
    char **names;
    size_t n;
    nameset sup;
    int rc = scan(log, &names, &n, &sup, err);
    evq snap = {0};
    if (!rc) {
        pthread_mutex_lock(&log->mu);
        for (size_t i = 0; i < log->buf.len; i++)
            evq_push(&snap, lh_xstrdup(log->buf.v[log->buf.head + i]));
        pthread_mutex_unlock(&log->mu);
    }
    pthread_mutex_unlock(&log->flush_mu);

    lh_buf data = LH_BUF_INIT;
    for (size_t i = 0; !rc && i < n; i++) {
        if (nameset_has(&sup, names[i])) continue;
        rc = for_each_event(log, names[i], &data, cb, ctx, err);
    }
    for (size_t i = 0; !rc && i < snap.len; i++) {
        const char *ev = snap.v[snap.head + i];
        rc = cb(ctx, ev, strlen(ev));
    }
    lh_buf_free(&data);
    evq_free(&snap);
    nameset_free(&sup);
    lh_append_log_lines_free(names, n);
    pthread_mutex_unlock(&log->compact_mu);
    return rc;
}

/* ---- compact ---- */

typedef struct merge_ctx {
    lh_obj_writer *w;
    size_t events;
    lh_err *err;
} merge_ctx;

static int merge_line(void *ctx, const char *line, size_t len)
{
    merge_ctx *m = ctx;
    int rc = lh_obj_writer_write(m->w, line, len, m->err);
    if (!rc) rc = lh_obj_writer_write(m->w, "\n", 1, m->err);
    m->events++;
    return rc;
}

/* Write the merged object `name`: header, then every event of the live
 * (not superseded) inputs in order. */
static int write_merged(lh_append_log *log, const char *name, char **names, size_t n,
                        const nameset *sup, size_t *events, lh_err *err)
{
    char key[LH_KEY_MAX + 1];
    batch_key(log, name, key, sizeof key);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_string(names[i]));
    json_t *hdr = json_object();
    json_object_set_new(hdr, HEADER_KEY, arr);
    char *hs = json_dumps(hdr, JSON_COMPACT);
    json_decref(hdr);
    if (!hs) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "encoding a compaction header");

    lh_obj_writer *w;
    int rc = lh_objstore_writer_open(log->store, key, LH_PUT_CREATE_ONLY, &w, err);
    if (rc) {
        free(hs);
        return rc;
    }
    rc = lh_obj_writer_write(w, hs, strlen(hs), err);
    if (!rc) rc = lh_obj_writer_write(w, "\n", 1, err);
    free(hs);
    merge_ctx m = {w, 0, err};
    lh_buf data = LH_BUF_INIT;
    for (size_t i = 0; !rc && i < n; i++) {
        if (nameset_has(sup, names[i])) continue;
        rc = for_each_event(log, names[i], &data, merge_line, &m, err);
    }
    lh_buf_free(&data);
    if (rc) {
        lh_obj_writer_abort(w);
        return rc;
    }
    /* Durable before any input is deleted: the whole point. */
    rc = lh_obj_writer_commit(w, NULL, err);
    if (!rc) *events = m.events;
    return rc;
}

int lh_append_log_compact(lh_append_log *log, lh_append_log_compact_result *res, lh_err *err)
{
    lh_append_log_compact_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    if (!log)
        return lh_err_set(err, LH_EINVAL, "invalid_argument", "lh_append_log_compact: NULL log");
    pthread_mutex_lock(&log->compact_mu);
    int rc = lh_append_log_flush(log, err);
    char **names = NULL;
    size_t n = 0;
    nameset sup = {0};
    if (!rc) rc = scan(log, &names, &n, &sup, err);
    if (rc || n < 2) goto out;

    int64_t last_ts;
    int compacted;
    parse_batch_name(names[n - 1], &last_ts, &compacted);
    int64_t now = lh_now_us();
    char name[BATCH_NAME_MAX + 1];
    size_t events = 0;
    for (int attempt = 0; attempt < 5; attempt++, now++) {
        snprintf(name, sizeof name, BATCH_TAG "%016lld-c%016lld.jsonl",
                 (long long)last_ts, (long long)now);
        rc = write_merged(log, name, names, n, &sup, &events, err);
        if (rc != LH_EEXIST) break;
    }
    if (rc) {
        lh_err_prefix(err, "compacting journal \"%s\"", log->prefix);
        goto out;
    }
    /* The merged object is committed; now the inputs may go. A failure
     * here leaves inputs the header already supersedes. */
    for (size_t i = 0; i < n; i++) {
        char key[LH_KEY_MAX + 1];
        batch_key(log, names[i], key, sizeof key);
        lh_err de;
        int drc = lh_objstore_delete(log->store, key, &de);
        if (drc && drc != LH_ENOTFOUND)
            lh_warn("journal %s: compacted batch %s could not be deleted (readers skip "
                    "it): %s", log->prefix, names[i], de.msg);
    }
    res->batches_merged = n;
    res->events = events;
    batch_key(log, name, res->key, sizeof res->key);
out:
    nameset_free(&sup);
    lh_append_log_lines_free(names, n);
    pthread_mutex_unlock(&log->compact_mu);
    return rc;
}

/* ---- background flush thread ---- */

static void *flush_thread(void *arg)
{
    lh_append_log *log = arg;
    pthread_mutex_lock(&log->mu);
    while (!log->stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t ns = t.tv_nsec + (log->opts.flush_interval_ms % 1000) * 1000000;
        t.tv_sec += (time_t)(log->opts.flush_interval_ms / 1000 + ns / 1000000000);
        t.tv_nsec = (long)(ns % 1000000000);
        int r = 0;
        while (!log->stop && r != ETIMEDOUT) r = pthread_cond_timedwait(&log->cv, &log->mu, &t);
        if (log->stop) break;
        int pending = log->buf.len > 0;
        pthread_mutex_unlock(&log->mu);
        if (pending) {
            lh_err ignored;
            lh_append_log_flush(log, &ignored);  /* failures are logged and counted */
        }
        pthread_mutex_lock(&log->mu);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

/* ---- lifecycle ---- */

int lh_append_log_new(lh_objstore *store, const char *prefix, const lh_append_log_opts *opts,
                      lh_append_log **out, lh_err *err)
{
    if (out) *out = NULL;
    if (!store || !out)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "lh_append_log_new: store and out are required");
    if (!prefix) prefix = "";
    int rc = lh_prefix_validate(prefix, err);
    if (rc) return rc;
    if (strlen(prefix) + BATCH_NAME_MAX > LH_KEY_MAX)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "journal prefix \"%.80s...\" is too long to name batches under it",
                          prefix);
    lh_append_log_opts o = {0};
    if (opts) o = *opts;
    if (!o.flush_events) o.flush_events = 1000;
    if (!o.ring_size) o.ring_size = 1000;
    if (!o.max_buffered) o.max_buffered = 100000;
    if (o.flush_interval_ms < 0)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "journal flush_interval_ms must be >= 0 (0 = no background flush)");
    if (o.max_buffered < o.flush_events)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "journal max_buffered (%zu) must be at least flush_events (%zu)",
                          o.max_buffered, o.flush_events);

    lh_append_log *log = lh_xcalloc(1, sizeof *log);
    log->store = store;
    log->prefix = lh_xstrdup(prefix);
    log->opts = o;
    log->ring = lh_xcalloc(o.ring_size, sizeof *log->ring);
    pthread_mutex_init(&log->compact_mu, NULL);
    pthread_mutex_init(&log->flush_mu, NULL);
    pthread_mutex_init(&log->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&log->cv, &ca);
    pthread_condattr_destroy(&ca);

    /* New batches must sort after existing ones even if the clock went
     * back since they were written. Best-effort: a bucket that cannot be
     * listed now may come back; flush will report it then. */
    char **names;
    size_t n;
    lh_err ignored;
    if (list_batches(log, &names, &n, &ignored) == 0) {
        for (size_t i = 0; i < n; i++) {
            int64_t ts;
            int c;
            if (parse_batch_name(names[i], &ts, &c) && ts > log->last_ts) log->last_ts = ts;
        }
        lh_append_log_lines_free(names, n);
    }

    if (o.flush_interval_ms > 0) {
        int e = pthread_create(&log->thread, NULL, flush_thread, log);
        if (e) {
            lh_append_log_free(log);
            return lh_err_set(err, LH_EINTERNAL, "thread_failed",
                              "journal \"%s\": cannot start its flush thread: %s", prefix,
                              strerror(e));
        }
        log->has_thread = 1;
    }
    *out = log;
    return 0;
}

void lh_append_log_free(lh_append_log *log)
{
    if (!log) return;
    if (log->has_thread) {
        pthread_mutex_lock(&log->mu);
        log->stop = 1;
        pthread_cond_signal(&log->cv);
        pthread_mutex_unlock(&log->mu);
        pthread_join(log->thread, NULL);
    }
    lh_err e;
    if (lh_append_log_flush(log, &e) != 0) {
        lh_append_log_stats st;
        lh_append_log_stats_get(log, &st);
        lh_error("journal %s: %zu events lost at shutdown: %s", log->prefix, st.buffered, e.msg);
    }
    evq_free(&log->buf);
    for (size_t i = 0; i < log->opts.ring_size; i++) free(log->ring[i]);
    free(log->ring);
    pthread_cond_destroy(&log->cv);
    pthread_mutex_destroy(&log->mu);
    pthread_mutex_destroy(&log->flush_mu);
    pthread_mutex_destroy(&log->compact_mu);
    free(log->prefix);
    free(log);
}

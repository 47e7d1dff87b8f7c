/* tests/unit/test_append_log.c — write-once batched journals
 * (storage/append_log.c) over a local bucket.
 *
 * The properties ADR-018 promises: batches are new objects that are never
 * rewritten, named so key order is time order; compaction merges them
 * preserving order and survives a crash between writing the merged object
 * and deleting its inputs; a failed flush loses nothing; concurrent
 * appenders lose nothing; the ring returns the newest events.
 */
#include "storage/append_log.h"
#include "storage/objstore.h"
#include "core/clock.h"
#include "testing.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PFX "_errors/bucket_errors/"

static char g_tmp[64];
static char g_root[128];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static lh_objstore *fresh(void)
{
    strcpy(g_tmp, "/tmp/lh_alog_XXXXXX");
    if (!mkdtemp(g_tmp)) { perror("mkdtemp"); exit(1); }
    snprintf(g_root, sizeof g_root, "%s/bucket", g_tmp);
    lh_objstore *s = NULL;
    lh_err e;
    CHECK_INT(lh_objstore_local_new("primary", g_root, &s, &e), 0);
    return s;
}

static void done(lh_objstore *s)
{
    lh_objstore_free(s);
    nftw(g_tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static lh_append_log *open_log(lh_objstore *s, size_t flush_events, size_t ring, size_t max_buf)
{
    lh_append_log_opts o = {.flush_events = flush_events, .ring_size = ring,
                            .max_buffered = max_buf};
    lh_append_log *log = NULL;
    lh_err e;
    int rc = lh_append_log_new(s, PFX, &o, &log, &e);
    CHECK_MSG(rc == 0, "open: %s", e.msg);
    return log;
}

/* Keys under PFX, sorted (the listing is). */
typedef struct strs {
    char **v;
    size_t n;
} strs;

static void strs_add(strs *s, const char *x, size_t len)
{
    s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n] = malloc(len + 1);
    memcpy(s->v[s->n], x, len);
    s->v[s->n][len] = '\0';
    s->n++;
}

static void strs_free(strs *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static strs keys(lh_objstore *s)
{
    strs out = {0};
    lh_list l;
    lh_list_opts o = {.prefix = PFX, .max_keys = 100000};
    lh_err e;
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    for (size_t i = 0; i < l.n_objects; i++) strs_add(&out, l.objects[i].key, strlen(l.objects[i].key));
    lh_list_free(&l);
    return out;
}

static int collect(void *ctx, const char *line, size_t len)
{
    CHECK_INT(strlen(line), len);
    strs_add(ctx, line, len);
    return 0;
}

static strs read_all(lh_append_log *log)
{
    strs out = {0};
    lh_err e;
    int rc = lh_append_log_read(log, collect, &out, &e);
    CHECK_MSG(rc == 0, "read: %s", e.msg);
    return out;
}

static void append_i(lh_append_log *log, int i)
{
    char ev[64];
    snprintf(ev, sizeof ev, "{\"i\":%d}", i);
    lh_err e;
    CHECK_INT(lh_append_log_append(log, ev, &e), 0);
}

/* Events i = from..to-1 in order? */
static int is_seq(const strs *s, int from, int to)
{
    if (s->n != (size_t)(to - from)) return 0;
    for (int i = from; i < to; i++) {
        char ev[64];
        snprintf(ev, sizeof ev, "{\"i\":%d}", i);
        if (strcmp(s->v[i - from], ev) != 0) return 0;
    }
    return 1;
}

static lh_buf get(lh_objstore *s, const char *key)
{
    lh_buf b = LH_BUF_INIT;
    lh_err e;
    CHECK_INT(lh_objstore_get_buf(s, key, LH_RANGE_ALL, &b, NULL, &e), 0);
    return b;
}

/* ---- tests ---- */

static void test_flush_on_threshold(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 3, 0, 0);
    append_i(log, 0);
    append_i(log, 1);
    strs k = keys(s);
    CHECK_INT(k.n, 0);
    strs_free(&k);
    append_i(log, 2);  /* reaches flush_events */
    k = keys(s);
    CHECK_INT(k.n, 1);
    if (k.n == 1) {
        lh_buf b = get(s, k.v[0]);
        CHECK_STR(b.data, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
        lh_buf_free(&b);
    }
    strs_free(&k);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.appended, 3);
    CHECK_INT(st.flushed_events, 3);
    CHECK_INT(st.flush_batches, 1);
    CHECK_INT(st.flush_failures, 0);
    CHECK_INT(st.buffered, 0);
    lh_append_log_free(log);
    done(s);
}

static void test_explicit_flush(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    lh_err e;
    CHECK_INT(lh_append_log_flush(log, &e), 0);  /* nothing buffered: no-op */
    strs k = keys(s);
    CHECK_INT(k.n, 0);
    strs_free(&k);
    append_i(log, 0);
    append_i(log, 1);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    k = keys(s);
    CHECK_INT(k.n, 1);
    strs_free(&k);
    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 2));
    strs_free(&r);
    lh_append_log_free(log);
    done(s);
}

static void test_names_sort_in_time_order(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 1, 0, 0);  /* one batch per event */
    int64_t t0 = lh_now_us();
    for (int i = 0; i < 30; i++) append_i(log, i);
    int64_t t1 = lh_now_us();
    strs k = keys(s);
    CHECK_INT(k.n, 30);
    long long prev = -1;
    for (size_t i = 0; i < k.n; i++) {
        long long ts;
        char tail[16];
        CHECK_INT(strlen(k.v[i]), strlen(PFX) + strlen("batch_0000000000000000.jsonl"));
        CHECK_INT(sscanf(k.v[i], PFX "batch_%16lld%15s", &ts, tail), 2);
        CHECK_STR(tail, ".jsonl");
        CHECK(ts > prev);  /* strictly increasing, so no two collide */
        CHECK(ts >= t0 && ts <= t1 + 30);
        prev = ts;
        /* key order is event order */
        lh_buf b = get(s, k.v[i]);
        char want[64];
        snprintf(want, sizeof want, "{\"i\":%zu}\n", i);
        CHECK_STR(b.data, want);
        lh_buf_free(&b);
    }
    strs_free(&k);
    lh_append_log_free(log);
    done(s);
}

typedef struct seen {
    char key[256];
    char etag[LH_ETAG_MAX];
    ino_t ino;
    char *content;
} seen;

static void test_never_rewrites(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 2, 0, 0);
    seen rec[64];
    size_t nrec = 0;
    lh_err e;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 5; i++) append_i(log, round * 5 + i);
        CHECK_INT(lh_append_log_flush(log, &e), 0);
        strs k = keys(s);
        /* record every object we have not seen yet */
        for (size_t i = 0; i < k.n; i++) {
            int known = 0;
            for (size_t j = 0; j < nrec; j++) known |= !strcmp(rec[j].key, k.v[i]);
            if (known || nrec == 64) continue;
            seen *r = &rec[nrec++];
            snprintf(r->key, sizeof r->key, "%s", k.v[i]);
            lh_obj_info info;
            CHECK_INT(lh_objstore_head(s, k.v[i], &info, &e), 0);
            memcpy(r->etag, info.etag, sizeof r->etag);
            char path[512];
            snprintf(path, sizeof path, "%s/%s", g_root, k.v[i]);
            struct stat st;
            CHECK_INT(stat(path, &st), 0);
            r->ino = st.st_ino;
            lh_buf b = get(s, k.v[i]);
            r->content = lh_buf_detach(&b);
        }
        strs_free(&k);
        /* everything recorded so far is byte-for-byte, inode-for-inode unchanged */
        for (size_t j = 0; j < nrec; j++) {
            lh_obj_info info;
            CHECK_INT(lh_objstore_head(s, rec[j].key, &info, &e), 0);
            CHECK_STR(info.etag, rec[j].etag);
            lh_buf path = LH_BUF_INIT;
            lh_buf_printf(&path, "%s/%s", g_root, rec[j].key);
            struct stat st;
            CHECK_INT(stat(path.data, &st), 0);
            lh_buf_free(&path);
            CHECK_INT(st.st_ino, rec[j].ino);
            lh_buf b = get(s, rec[j].key);
            CHECK_STR(b.data, rec[j].content);
            lh_buf_free(&b);
        }
    }
    CHECK(nrec >= 12);  /* threshold flushes plus explicit ones */
    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 30));
    strs_free(&r);
    for (size_t j = 0; j < nrec; j++) free(rec[j].content);
    lh_append_log_free(log);
    done(s);
}

static void test_compact(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    lh_err e;
    lh_append_log_compact_result res;

    /* nothing, then one batch: no-op */
    CHECK_INT(lh_append_log_compact(log, &res, &e), 0);
    CHECK_INT(res.batches_merged, 0);
    CHECK_STR(res.key, "");
    append_i(log, 0);
    CHECK_INT(lh_append_log_compact(log, &res, &e), 0);  /* flushes, then 1 batch: no-op */
    CHECK_INT(res.batches_merged, 0);
    strs k = keys(s);
    CHECK_INT(k.n, 1);
    strs_free(&k);

    for (int b = 0; b < 4; b++) {
        for (int i = 0; i < 3; i++) append_i(log, 1 + b * 3 + i);
        CHECK_INT(lh_append_log_flush(log, &e), 0);
    }
    k = keys(s);
    CHECK_INT(k.n, 5);
    char last[256];
    snprintf(last, sizeof last, "%s", k.n ? k.v[k.n - 1] : "");
    strs inputs = k;

    append_i(log, 13);  /* buffered: compaction flushes it first */
    CHECK_INT(lh_append_log_compact(log, &res, &e), 0);
    CHECK_INT(res.batches_merged, 6);
    CHECK_INT(res.events, 14);
    k = keys(s);
    CHECK_INT(k.n, 1);
    if (k.n == 1) CHECK_STR(k.v[0], res.key);
    strs_free(&k);
    /* named after the newest input, so it sorts where the inputs were */
    long long ts_last, ts_c, ts_in;
    CHECK_INT(sscanf(res.key, PFX "batch_%16lld-c%16lld.jsonl", &ts_last, &ts_c), 2);
    CHECK(ts_c >= ts_last);
    CHECK(strcmp(res.key, last) > 0);  /* after the older inputs */
    /* the header names every input; inputs are gone */
    lh_buf b = get(s, res.key);
    char *nl = strchr(b.data, '\n');
    CHECK(nl != NULL);
    CHECK(strncmp(b.data, "{\"_compacted_from\":[\"batch_", 27) == 0);
    for (size_t i = 0; i < inputs.n; i++) {
        const char *name = inputs.v[i] + strlen(PFX);
        CHECK(strstr(b.data, name) != NULL && strstr(b.data, name) < nl);
        CHECK_INT(lh_objstore_head(s, inputs.v[i], NULL, &e), LH_ENOTFOUND);
    }
    /* the newest input (the flushed buffer) is the one the name carries */
    CHECK(strstr(b.data, "\"]}") < nl);
    lh_buf_free(&b);
    strs_free(&inputs);

    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 14));
    strs_free(&r);

    /* later batches sort after the compacted object */
    for (int i = 14; i < 20; i++) {
        append_i(log, i);
        if (i % 2) CHECK_INT(lh_append_log_flush(log, &e), 0);
    }
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    k = keys(s);
    CHECK_INT(k.n, 4);
    if (k.n) CHECK_STR(k.v[0], res.key);
    for (size_t i = 1; i < k.n; i++) {
        CHECK_INT(sscanf(k.v[i], PFX "batch_%16lld", &ts_in), 1);
        CHECK(ts_in > ts_last);
    }
    strs_free(&k);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 20));
    strs_free(&r);

    /* compacting again merges the compacted object with the new batches */
    char first_key[LH_KEY_MAX + 1];
    memcpy(first_key, res.key, sizeof first_key);
    CHECK_INT(lh_append_log_compact(log, &res, &e), 0);
    CHECK_INT(res.batches_merged, 4);
    CHECK_INT(res.events, 20);
    CHECK_INT(lh_objstore_head(s, first_key, NULL, &e), LH_ENOTFOUND);
    k = keys(s);
    CHECK_INT(k.n, 1);
    strs_free(&k);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 20));
    strs_free(&r);
    lh_append_log_free(log);

    /* a fresh log over the same prefix reads the same journal */
    log = open_log(s, 0, 0, 0);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 20));
    strs_free(&r);
    lh_append_log_free(log);
    done(s);
}

static void test_crash_between_merge_and_delete(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    lh_err e;
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 2; i++) append_i(log, b * 2 + i);
        CHECK_INT(lh_append_log_flush(log, &e), 0);
    }
    strs k = keys(s);
    CHECK_INT(k.n, 3);
    /* What compact() would have written, written by hand, and then the
     * "crash": the inputs stay. */
    lh_buf m = LH_BUF_INIT;
    lh_buf_puts(&m, "{\"_compacted_from\":[");
    for (size_t i = 0; i < k.n; i++)
        lh_buf_printf(&m, "%s\"%s\"", i ? "," : "", k.v[i] + strlen(PFX));
    lh_buf_puts(&m, "]}\n");
    for (int i = 0; i < 6; i++) lh_buf_printf(&m, "{\"i\":%d}\n", i);
    long long ts_last;
    CHECK_INT(sscanf(k.v[k.n - 1], PFX "batch_%16lld", &ts_last), 1);
    char merged[256];
    snprintf(merged, sizeof merged, PFX "batch_%016lld-c%016lld.jsonl", ts_last,
             (long long)lh_now_us());
    CHECK_INT(lh_objstore_put(s, merged, m.data, m.len, LH_PUT_CREATE_ONLY, NULL, &e), 0);
    lh_buf_free(&m);
    strs_free(&k);

    /* a later batch, after the crash */
    append_i(log, 6);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    k = keys(s);
    CHECK_INT(k.n, 5);  /* 3 inputs, merged, later */
    /* listing order: input1, input2, merged, input3 (merged sorts before
     * the input whose timestamp it carries), later */
    if (k.n == 5) CHECK_STR(k.v[2], merged);
    strs_free(&k);

    strs r = read_all(log);
    CHECK_MSG(is_seq(&r, 0, 7), "read %zu events", r.n);  /* each event exactly once */
    strs_free(&r);

    /* a fresh process (new log object) sees the same */
    lh_append_log *log2 = open_log(s, 0, 0, 0);
    r = read_all(log2);
    CHECK(is_seq(&r, 0, 7));
    strs_free(&r);
    lh_append_log_free(log2);

    /* the next compaction cleans the leftovers up */
    lh_append_log_compact_result res;
    CHECK_INT(lh_append_log_compact(log, &res, &e), 0);
    CHECK_INT(res.batches_merged, 5);
    CHECK_INT(res.events, 7);
    k = keys(s);
    CHECK_INT(k.n, 1);
    strs_free(&k);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 7));
    strs_free(&r);
    lh_append_log_free(log);
    done(s);
}

static void test_failed_flush_keeps_events(void)
{
    lh_objstore *inner = fresh();
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_faulty_new(inner, &s, &e), 0);
    lh_append_log *log = open_log(s, 3, 0, 0);

    append_i(log, 0);
    lh_objstore_faulty_set(s, LH_FAULT_PUT, LH_EIO);
    append_i(log, 1);
    append_i(log, 2);  /* threshold flush fails: not an append error */
    append_i(log, 3);
    CHECK_INT(lh_append_log_flush(log, &e), LH_EIO);
    CHECK_STR(e.code, "injected_fault");
    CHECK(strstr(e.msg, PFX) != NULL);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    CHECK(st.flush_failures >= 2);
    CHECK_INT(st.buffered, 4);
    CHECK_INT(st.flushed_events, 0);
    strs k = keys(inner);
    CHECK_INT(k.n, 0);
    strs_free(&k);
    /* still readable from the buffer */
    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 4));
    strs_free(&r);
    /* compaction reports the flush failure */
    lh_append_log_compact_result res;
    CHECK_INT(lh_append_log_compact(log, &res, &e), LH_EIO);

    lh_objstore_faulty_set(s, 0, 0);
    append_i(log, 4);  /* threshold reached again: this flush works */
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.buffered, 0);
    CHECK_INT(st.flushed_events, 5);
    k = keys(inner);
    CHECK_INT(k.n, 1);  /* all five in one batch, in order */
    if (k.n == 1) {
        lh_buf b = get(inner, k.v[0]);
        CHECK_STR(b.data, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n{\"i\":4}\n");
        lh_buf_free(&b);
    }
    strs_free(&k);
    lh_append_log_free(log);

    /* max_buffered: the oldest are dropped and counted */
    log = open_log(s, 2, 0, 4);
    lh_objstore_faulty_set(s, LH_FAULT_PUT, LH_EUNAVAIL);
    for (int i = 100; i < 110; i++) append_i(log, i);
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.buffered, 4);
    CHECK_INT(st.dropped, 6);
    lh_objstore_faulty_set(s, 0, 0);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    r = read_all(log);
    CHECK_INT(r.n, 9);  /* 5 from before + the newest 4 */
    if (r.n == 9) {
        CHECK_STR(r.v[4], "{\"i\":4}");
        CHECK_STR(r.v[5], "{\"i\":106}");
        CHECK_STR(r.v[8], "{\"i\":109}");
    }
    strs_free(&r);
    lh_append_log_free(log);

    /* a failed read surfaces the store's error */
    log = open_log(s, 0, 0, 0);
    lh_objstore_faulty_set(s, LH_FAULT_LIST, LH_EUNAVAIL);
    strs sink = {0};
    CHECK_INT(lh_append_log_read(log, collect, &sink, &e), LH_EUNAVAIL);
    strs_free(&sink);
    lh_objstore_faulty_set(s, 0, 0);
    lh_append_log_free(log);

    lh_objstore_free(s);
    done(inner);
}

#define THREADS 4
#define PER_THREAD 2500

typedef struct app_ctx {
    lh_append_log *log;
    int id;
    int errors;
} app_ctx;

static void *appender(void *arg)
{
    app_ctx *c = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char ev[64];
        snprintf(ev, sizeof ev, "{\"t\":%d,\"n\":%d}", c->id, i);
        lh_err e;
        if (lh_append_log_append(c->log, ev, &e) != 0) c->errors++;
        if (i % 500 == 250 && c->id == 0) {
            lh_append_log_compact_result res;
            if (lh_append_log_compact(c->log, &res, &e) != 0) c->errors++;
        }
    }
    return NULL;
}

typedef struct order_ctx {
    int next[THREADS];
    int bad;
    size_t total;
} order_ctx;

static int check_order(void *ctx, const char *line, size_t len)
{
    (void)len;
    order_ctx *o = ctx;
    int t, n;
    if (sscanf(line, "{\"t\":%d,\"n\":%d}", &t, &n) != 2 || t < 0 || t >= THREADS ||
        n != o->next[t]) {
        o->bad++;
    } else {
        o->next[t]++;
    }
    o->total++;
    return 0;
}

static void test_concurrent_appenders(void)
{
    lh_objstore *s = fresh();
    lh_append_log_opts opts = {.flush_events = 97, .flush_interval_ms = 3};
    lh_append_log *log;
    lh_err e;
    CHECK_INT(lh_append_log_new(s, PFX, &opts, &log, &e), 0);
    pthread_t th[THREADS];
    app_ctx c[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (app_ctx){.log = log, .id = i};
        pthread_create(&th[i], NULL, appender, &c[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(c[i].errors, 0);
    }
    /* before the final flush: persisted + buffered is already everything */
    order_ctx o = {0};
    CHECK_INT(lh_append_log_read(log, check_order, &o, &e), 0);
    CHECK_INT(o.total, THREADS * PER_THREAD);
    CHECK_INT(o.bad, 0);

    CHECK_INT(lh_append_log_flush(log, &e), 0);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.appended, THREADS * PER_THREAD);
    CHECK_INT(st.flushed_events, THREADS * PER_THREAD);
    CHECK_INT(st.buffered, 0);
    CHECK_INT(st.dropped, 0);
    lh_append_log_free(log);

    /* every event persisted exactly once, each thread's in its order */
    log = open_log(s, 0, 0, 0);
    memset(&o, 0, sizeof o);
    CHECK_INT(lh_append_log_read(log, check_order, &o, &e), 0);
    CHECK_INT(o.total, THREADS * PER_THREAD);
    CHECK_INT(o.bad, 0);
    for (int i = 0; i < THREADS; i++) CHECK_INT(o.next[i], PER_THREAD);
    lh_append_log_free(log);
    done(s);
}

static void test_ring(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 4, 5, 0);
    char **lines = (char **)1;
    CHECK_INT(lh_append_log_recent(log, 10, &lines), 0);
    CHECK(lines == NULL);
    for (int i = 0; i < 12; i++) append_i(log, i);
    size_t n = lh_append_log_recent(log, 3, &lines);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(lines[0], "{\"i\":9}");
        CHECK_STR(lines[2], "{\"i\":11}");  /* newest last */
    }
    lh_append_log_lines_free(lines, n);
    n = lh_append_log_recent(log, (size_t)-1, &lines);
    CHECK_INT(n, 5);  /* ring_size */
    if (n == 5) {
        CHECK_STR(lines[0], "{\"i\":7}");
        CHECK_STR(lines[4], "{\"i\":11}");
    }
    lh_append_log_lines_free(lines, n);
    CHECK_INT(lh_append_log_recent(log, 0, &lines), 0);
    lh_append_log_free(log);
    done(s);
}

static void test_invalid_events(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    const char *bad[] = {
        "", "{", "}", "[1,2]", "\"string\"", "42", "null", "{} {}", "{}\n", "{\"a\":1}\n{}",
        "{\r}", "{\"a\":}", "{'a':1}", "{\"bad\":\"\xff\"}", "{\"a\":1}x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lh_err e;
        CHECK_MSG(lh_append_log_append(log, bad[i], &e) == LH_EINVAL, "accepted #%zu", i);
        CHECK_STR(e.code, "invalid_event");
    }
    lh_err e;
    CHECK_INT(lh_append_log_append(log, NULL, &e), LH_EINVAL);
    CHECK_INT(lh_append_log_append(log, "{}", &e), 0);
    CHECK_INT(lh_append_log_append(log, " { \"a\" : [1, {\"b\": \"ü\\n\"}] } ", &e), 0);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.appended, 2);

    /* bad options and prefixes */
    lh_append_log *l2;
    lh_append_log_opts o = {.flush_events = 10, .max_buffered = 5};
    CHECK_INT(lh_append_log_new(s, PFX, &o, &l2, &e), LH_EINVAL);
    o = (lh_append_log_opts){.flush_interval_ms = -1};
    CHECK_INT(lh_append_log_new(s, PFX, &o, &l2, &e), LH_EINVAL);
    CHECK_INT(lh_append_log_new(s, "../x/", NULL, &l2, &e), LH_EINVAL);
    CHECK_INT(lh_append_log_new(s, ".lakehouse/j/", NULL, &l2, &e), LH_EINVAL);
    lh_append_log_free(log);
    done(s);
}

/* ---- many events at once ---- */

#define LINES_THREADS 3
#define LINES_BATCHES 40
#define LINES_PER     25

typedef struct lines_ctx {
    lh_append_log *log;
    int            id, errors;
} lines_ctx;

static void *lines_appender(void *arg)
{
    lines_ctx *c = arg;
    for (int b = 0; b < LINES_BATCHES; b++) {
        lh_buf lines = LH_BUF_INIT;
        for (int i = 0; i < LINES_PER; i++) lh_buf_printf(&lines, "{\"t\":%d,\"b\":%d,\"i\":%d}\n", c->id, b, i);
        lh_err e;
        size_t n = 0;
        if (lh_append_log_append_lines(c->log, lines.data, lines.len, b % 2 ? LH_APPEND_ENCODED : 0, &n, &e) ||
            n != LINES_PER)
            c->errors++;
        if (b % 3 == 0 && lh_append_log_flush(c->log, &e)) c->errors++;
        lh_buf_free(&lines);
    }
    return NULL;
}

/* Lines appended together are checked together (all or nothing), and land
 * in one batch object whatever other threads append and flush meanwhile. */
static void test_append_lines(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 7, 4, 0);  /* the threshold must not split a batch either */
    lh_err e;
    size_t n = 99;
    const char *good = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}";  /* final newline optional */
    CHECK_INT(lh_append_log_append_lines(log, good, strlen(good), 0, &n, &e), 0);
    CHECK_INT(n, 3);
    const char *bad[] = {"{\"a\":4}\n{\"a\":}\n{\"a\":6}\n", "{\"a\":4}\n\n", "{\"a\":4}\n[1]\n", "{\"a\":4\r}\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_MSG(lh_append_log_append_lines(log, bad[i], strlen(bad[i]), 0, &n, &e) == LH_EINVAL, "accepted #%zu", i);
        CHECK_STR(e.code, "invalid_event");
        CHECK_INT(n, 0);
    }
    CHECK(strstr(e.msg, "event 2 of the batch") != NULL || strstr(e.msg, "event 1 of the batch") != NULL);
    /* encoded lines: only the framing is checked, still all or nothing */
    const char *framing[] = {"{\"a\":4}\n[1]\n", "{\"a\":4}\n\n", "{\"a\":4}\n{\r}\n", "{\"a\":4}\nx{}\n"};
    for (size_t i = 0; i < sizeof framing / sizeof *framing; i++)
        CHECK_MSG(lh_append_log_append_lines(log, framing[i], strlen(framing[i]), LH_APPEND_ENCODED, &n, &e) ==
                      LH_EINVAL, "accepted encoded #%zu", i);
    lh_append_log_stats st;
    lh_append_log_stats_get(log, &st);
    CHECK_INT(st.appended, 3);
    /* more lines than the ring holds: the ring keeps the newest */
    lh_buf many = LH_BUF_INIT;
    for (int i = 0; i < 10; i++) lh_buf_printf(&many, "{\"m\":%d}\n", i);
    CHECK_INT(lh_append_log_append_lines(log, many.data, many.len, LH_APPEND_ENCODED, &n, &e), 0);
    lh_buf_free(&many);
    CHECK_INT(n, 10);
    char **recent;
    size_t nr = lh_append_log_recent(log, 10, &recent);
    CHECK_INT(nr, 4);
    if (nr == 4) { CHECK_STR(recent[0], "{\"m\":6}"); CHECK_STR(recent[3], "{\"m\":9}"); }
    lh_append_log_lines_free(recent, nr);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    strs all = read_all(log);
    CHECK_INT(all.n, 13);
    if (all.n == 13) { CHECK_STR(all.v[0], "{\"a\":1}"); CHECK_STR(all.v[12], "{\"m\":9}"); }
    strs_free(&all);
    lh_append_log_free(log);
    done(s);

    /* concurrent batches and flushes: no batch is ever split across objects */
    s = fresh();
    log = open_log(s, 10, 0, 0);
    pthread_t th[LINES_THREADS];
    lines_ctx c[LINES_THREADS];
    for (int i = 0; i < LINES_THREADS; i++) {
        c[i] = (lines_ctx){.log = log, .id = i};
        pthread_create(&th[i], NULL, lines_appender, &c[i]);
    }
    for (int i = 0; i < LINES_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(c[i].errors, 0);
    }
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    strs ks = keys(s);
    CHECK(ks.n > 1);
    int landed[LINES_THREADS][LINES_BATCHES] = {{0}}, split = 0, total = 0;
    for (size_t k = 0; k < ks.n; k++) {
        lh_buf body = get(s, ks.v[k]);
        int cnt[LINES_THREADS][LINES_BATCHES] = {{0}};
        for (char *line = body.data; line && *line;) {
            char *nl = strchr(line, '\n');
            int t, b, i;
            if (sscanf(line, "{\"t\":%d,\"b\":%d,\"i\":%d}", &t, &b, &i) == 3 && t >= 0 && t < LINES_THREADS &&
                b >= 0 && b < LINES_BATCHES) {
                cnt[t][b]++;
                total++;
            }
            line = nl ? nl + 1 : NULL;
        }
        for (int t = 0; t < LINES_THREADS; t++)
            for (int b = 0; b < LINES_BATCHES; b++) {
                if (cnt[t][b] && cnt[t][b] != LINES_PER) split++;
                landed[t][b] += cnt[t][b] > 0;
            }
        lh_buf_free(&body);
    }
    CHECK_INT(split, 0);
    CHECK_INT(total, LINES_THREADS * LINES_BATCHES * LINES_PER);
    int once = 1;
    for (int t = 0; t < LINES_THREADS; t++)
        for (int b = 0; b < LINES_BATCHES; b++) once &= landed[t][b] == 1;
    CHECK(once);
    strs_free(&ks);
    lh_append_log_free(log);
    done(s);
}

static int stop_after_two(void *ctx, const char *line, size_t len)
{
    (void)line; (void)len;
    return ++*(int *)ctx == 2 ? 99 : 0;
}

static void test_read_callback_and_buffer(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    lh_err e;
    append_i(log, 0);
    append_i(log, 1);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    append_i(log, 2);  /* buffered only */
    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 3));
    strs_free(&r);
    int count = 0;
    CHECK_INT(lh_append_log_read(log, stop_after_two, &count, &e), 99);
    CHECK_INT(count, 2);
    /* foreign objects under the prefix are ignored */
    CHECK_INT(lh_objstore_put(s, PFX "README.txt", "hi", 2, 0, NULL, &e), 0);
    CHECK_INT(lh_objstore_put(s, PFX "batch_nope.jsonl", "{}\n", 3, 0, NULL, &e), 0);
    CHECK_INT(lh_objstore_put(s, PFX "batch_0000000000000001.jsonl/x", "{}\n", 3, 0, NULL, &e), 0);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 3));
    strs_free(&r);
    lh_append_log_free(log);
    done(s);
}

static void test_free_flushes_and_clock(void)
{
    lh_objstore *s = fresh();
    lh_append_log *log = open_log(s, 0, 0, 0);
    append_i(log, 0);
    append_i(log, 1);
    lh_append_log_free(log);  /* best-effort final flush */
    log = open_log(s, 0, 0, 0);
    strs r = read_all(log);
    CHECK(is_seq(&r, 0, 2));
    strs_free(&r);
    lh_append_log_free(log);

    /* a batch from "the future" (the clock went back since): new batches
     * still sort after it */
    lh_err e;
    CHECK_INT(lh_objstore_put(s, PFX "batch_9000000000000000.jsonl", "{\"i\":2}\n", 8,
                              LH_PUT_CREATE_ONLY, NULL, &e), 0);
    log = open_log(s, 0, 0, 0);
    append_i(log, 3);
    CHECK_INT(lh_append_log_flush(log, &e), 0);
    strs k = keys(s);
    CHECK_INT(k.n, 3);
    if (k.n == 3) CHECK_STR(k.v[2], PFX "batch_9000000000000001.jsonl");
    strs_free(&k);
    r = read_all(log);
    CHECK(is_seq(&r, 0, 4));
    strs_free(&r);
    lh_append_log_free(log);
    done(s);
}

static void test_background_flush(void)
{
    lh_objstore *s = fresh();
    lh_append_log_opts o = {.flush_interval_ms = 10};
    lh_append_log *log;
    lh_err e;
    CHECK_INT(lh_append_log_new(s, PFX, &o, &log, &e), 0);
    append_i(log, 0);
    strs k = {0};
    for (int i = 0; i < 200 && k.n == 0; i++) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
        strs_free(&k);
        k = keys(s);
    }
    CHECK_INT(k.n, 1);
    strs_free(&k);
    lh_append_log_free(log);  /* stops the thread promptly */
    done(s);
}

int main(void)
{
    RUN(test_flush_on_threshold);
    RUN(test_explicit_flush);
    RUN(test_names_sort_in_time_order);
    RUN(test_never_rewrites);
    RUN(test_compact);
    RUN(test_crash_between_merge_and_delete);
    RUN(test_failed_flush_keeps_events);
    RUN(test_concurrent_appenders);
    RUN(test_ring);
    RUN(test_invalid_events);
    RUN(test_append_lines);
    RUN(test_read_callback_and_buffer);
    RUN(test_free_flushes_and_clock);
    RUN(test_background_flush);
    return TEST_SUMMARY();
}

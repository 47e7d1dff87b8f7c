/* tests/unit/test_cache.c — the read cache: LRU bound, write-through, ETag
 * validation after a restart, what happens when the source is down, and
 * pins (a pinned file outlives the bound until it is unpinned).
 * The "bucket" is a small in-memory table, so every outcome is controlled.
 */
#include "storage/cache.h"
#include "testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fake {
    const char *body;    /* NULL = object missing */
    const char *etag;
    int         down;    /* head/fetch fail with LH_EUNAVAIL */
    int         heads, fetches;
} fake;

static int f_head(void *ctx, lh_obj_info *info, lh_err *err)
{
    fake *f = ctx;
    f->heads++;
    if (f->down) return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable", "down");
    if (!f->body) return lh_err_set(err, LH_ENOTFOUND, "object_not_found", "missing");
    info->size = strlen(f->body);
    snprintf(info->etag, sizeof info->etag, "%s", f->etag);
    return 0;
}

static int f_fetch(void *ctx, const char *path, lh_obj_info *info, lh_err *err)
{
    fake *f = ctx;
    f->fetches++;
    int rc = f_head(ctx, info, err);
    f->heads--;
    if (rc) return rc;
    FILE *out = fopen(path, "wb");
    fputs(f->body, out);
    fclose(out);
    return 0;
}

static char dir[64];

static int get(lh_cache *c, const char *key, fake *f, char *content, size_t n)
{
    lh_cache_source src = {f_head, f_fetch, f};
    lh_buf p = LH_BUF_INIT;
    lh_err e;
    int rc = lh_cache_path(c, "b", key, &src, &p, &e);
    if (!rc && content) {
        FILE *in = fopen(p.data, "rb");
        size_t got = in ? fread(content, 1, n - 1, in) : 0;
        content[got] = '\0';
        if (in) fclose(in);
    }
    lh_buf_free(&p);
    return rc;
}

static char *body(char ch, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static void test_lru_bound(void)
{
    lh_cache *c;
    lh_err e;
    CHECK_INT(lh_cache_open(dir, 250, &c, &e), 0);
    char *ba = body('a', 100), *bb = body('b', 100), *bc = body('c', 100);
    fake a = {ba, "\"a\""}, b = {bb, "\"b\""}, cc = {bc, "\"c\""};
    char buf[200];
    CHECK_INT(get(c, "datasets/a", &a, buf, sizeof buf), 0);
    CHECK_STR(buf, ba);
    CHECK_INT(get(c, "datasets/b", &b, NULL, 0), 0);
    CHECK_INT(get(c, "datasets/a", &a, NULL, 0), 0);  /* a is now the most recent */
    CHECK_INT(a.fetches, 1);
    CHECK_INT(get(c, "datasets/c", &cc, NULL, 0), 0); /* over 250: b (least recent) goes */
    lh_cache_stats st;
    lh_cache_stats_get(c, &st);
    CHECK_INT(st.files, 2);
    CHECK_INT(st.bytes, 200);
    CHECK_INT(st.evictions, 1);
    CHECK_INT(st.hits, 1);
    CHECK_INT(st.misses, 3);
    CHECK_INT(get(c, "datasets/a", &a, NULL, 0), 0);
    CHECK_INT(a.fetches, 1);                          /* still cached */
    CHECK_INT(get(c, "datasets/b", &b, NULL, 0), 0);
    CHECK_INT(b.fetches, 2);                          /* evicted, fetched again */
    lh_cache_free(c);
    free(ba); free(bb); free(bc);
}

static void test_write_through_and_restart_validation(void)
{
    lh_cache *c;
    lh_err e;
    CHECK_INT(lh_cache_open(dir, 1 << 20, &c, &e), 0);
    char src[128];
    snprintf(src, sizeof src, "%s-src.parquet", dir);
    FILE *f = fopen(src, "w");
    fputs("written", f);
    fclose(f);
    CHECK_INT(lh_cache_offer(c, "b", "datasets/w", src, "\"w1\"", &e), 0);
    fake w = {"written", "\"w1\""};
    char buf[64];
    CHECK_INT(get(c, "datasets/w", &w, buf, sizeof buf), 0);
    CHECK_STR(buf, "written");
    CHECK_INT(w.fetches, 0);                          /* came from the writer */
    CHECK_INT(w.heads, 0);                            /* and needs no check in this run */
    fake keep = {"kept", "\"k1\""}, gone = {"gone", "\"g1\""}, down = {"old", "\"d1\""};
    CHECK_INT(get(c, "datasets/keep", &keep, NULL, 0), 0);
    CHECK_INT(get(c, "datasets/gone", &gone, NULL, 0), 0);
    CHECK_INT(get(c, "datasets/down", &down, NULL, 0), 0);
    lh_cache_stats st;
    lh_cache_stats_get(c, &st);
    CHECK_INT(st.fills, 1);
    lh_cache_free(c);

    /* "restart": the files are found again, each checked once by ETag */
    CHECK_INT(lh_cache_open(dir, 1 << 20, &c, &e), 0);
    w.body = "rewritten";
    w.etag = "\"w2\"";                                /* the object changed */
    CHECK_INT(get(c, "datasets/w", &w, buf, sizeof buf), 0);
    CHECK_STR(buf, "rewritten");
    CHECK_INT(w.fetches, 1);
    CHECK_INT(get(c, "datasets/keep", &keep, buf, sizeof buf), 0);
    CHECK_STR(buf, "kept");
    CHECK_INT(keep.fetches, 1);                       /* unchanged: no refetch */
    CHECK_INT(keep.heads, 1);
    CHECK_INT(get(c, "datasets/keep", &keep, NULL, 0), 0);
    CHECK_INT(keep.heads, 1);                         /* checked once per run */
    gone.body = NULL;
    CHECK_INT(get(c, "datasets/gone", &gone, NULL, 0), LH_ENOTFOUND);
    down.down = 1;
    CHECK_INT(get(c, "datasets/down", &down, buf, sizeof buf), 0);
    CHECK_STR(buf, "old");                            /* unreachable: the cached copy serves */
    lh_cache_stats_get(c, &st);
    CHECK_INT(st.refetched_stale, 1);
    CHECK_INT(st.validations, 4);
    /* a file never cached while the source is down: a clear failure */
    fake never = {"x", "\"x\"", 1};
    CHECK_INT(get(c, "datasets/never", &never, NULL, 0), LH_EUNAVAIL);
    lh_cache_free(c);
    unlink(src);
}

static void test_pins_hold_files_past_the_bound(void)
{
    lh_cache *c;
    lh_err e;
    CHECK_INT(lh_cache_open(dir, 150, &c, &e), 0);
    char *ba = body('a', 100), *bb = body('b', 100);
    fake a = {ba, "\"a\""}, b = {bb, "\"b\""};
    lh_cache_source sa = {f_head, f_fetch, &a}, sb = {f_head, f_fetch, &b};
    lh_buf pa = LH_BUF_INIT, pb = LH_BUF_INIT;
    CHECK_INT(lh_cache_pin_path(c, "b", "datasets/a", &sa, &pa, &e), 0);  /* a miss: fetched and pinned */
    CHECK_INT(lh_cache_pin_path(c, "b", "datasets/b", &sb, &pb, &e), 0);  /* over 150, yet a stays */
    struct stat st;
    CHECK(stat(pa.data, &st) == 0);
    CHECK(stat(pb.data, &st) == 0);
    lh_cache_stats s;
    lh_cache_stats_get(c, &s);
    CHECK_INT(s.files, 2);
    CHECK_INT(s.bytes, 200);
    CHECK_INT(s.pinned, 2);
    CHECK_INT(s.evictions, 0);
    /* a second pin of a (a hit) needs two unpins */
    CHECK_INT(lh_cache_pin_path(c, "b", "datasets/a", &sa, &pa, &e), 0);
    CHECK_INT(a.fetches, 1);
    lh_cache_unpin(c, "b", "datasets/a");
    lh_cache_stats_get(c, &s);
    CHECK_INT(s.files, 2);
    lh_cache_unpin(c, "b", "datasets/a");  /* last pin of a: back under the bound, a (LRU, unpinned) goes */
    lh_cache_stats_get(c, &s);
    CHECK_INT(s.files, 1);
    CHECK_INT(s.pinned, 1);
    CHECK_INT(s.evictions, 1);
    CHECK(stat(pa.data, &st) != 0);
    CHECK(stat(pb.data, &st) == 0);
    lh_cache_unpin(c, "b", "datasets/b");
    lh_cache_unpin(c, "b", "datasets/b");       /* extra unpins and unknown keys are ignored */
    lh_cache_unpin(c, "b", "datasets/nothing");
    lh_cache_stats_get(c, &s);
    CHECK_INT(s.pinned, 0);
    CHECK_INT(s.files, 1);
    /* a failed fetch pins nothing */
    fake gone = {NULL, NULL};
    lh_cache_source sg = {f_head, f_fetch, &gone};
    CHECK_INT(lh_cache_pin_path(c, "b", "datasets/gone", &sg, &pa, &e), LH_ENOTFOUND);
    lh_cache_stats_get(c, &s);
    CHECK_INT(s.pinned, 0);
    lh_buf_free(&pa);
    lh_buf_free(&pb);
    lh_cache_free(c);
    free(ba); free(bb);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lh-test-cache-%d", (int)getpid());
    RUN(test_lru_bound);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    RUN(test_write_through_and_restart_validation);
    if (system(cmd)) return 1;
    RUN(test_pins_hold_files_past_the_bound);
    if (system(cmd)) return 1;
    return TEST_SUMMARY();
}

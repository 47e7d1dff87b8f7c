/* tests/unit/test_objstore_local.c — the local filesystem bucket, through
 * the public objstore API (storage/objstore.c + local.c + faulty.c).
 *
 * Besides the happy paths: listing is checked against a naive reference
 * (every prefix/delimiter/page size combination), create-only is raced by
 * many threads, readers race a writer replacing a large object, refused
 * keys are fired at a bucket with a sentinel file beside its root, the
 * root is pulled out from under an open bucket, and copies to local files
 * and between keys break off half-way (a reader that fails, a file size
 * limit) and must leave nothing behind.
 */
#include "storage/objstore.h"
#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- fixtures ---- */

static char g_tmp[64];     /* /tmp/lh_objstore_XXXXXX */
static char g_root[128];   /* g_tmp/bucket */

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *path) { nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return; }
    fputs(content, f);
    fclose(f);
}

static int file_has(const char *path, const char *content)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(content) && memcmp(buf, content, n) == 0;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A fresh temp dir with a bucket root inside it; returns the store. */
static lh_objstore *fresh(void)
{
    strcpy(g_tmp, "/tmp/lh_objstore_XXXXXX");
    if (!mkdtemp(g_tmp)) { perror("mkdtemp"); exit(1); }
    snprintf(g_root, sizeof g_root, "%s/bucket", g_tmp);
    lh_objstore *s = NULL;
    lh_err e;
    int rc = lh_objstore_local_new("primary", g_root, &s, &e);
    CHECK_MSG(rc == 0, "open: %s", e.msg);
    return s;
}

static void done(lh_objstore *s)
{
    lh_objstore_free(s);
    rm_rf(g_tmp);
}

static int put_str(lh_objstore *s, const char *key, const char *v, int flags, lh_err *e)
{
    return lh_objstore_put(s, key, v, strlen(v), flags, NULL, e);
}

/* Object content as a string ("" + status via rc). */
static int get_str(lh_objstore *s, const char *key, lh_buf *b, lh_err *e)
{
    return lh_objstore_get_buf(s, key, LH_RANGE_ALL, b, NULL, e);
}

/* ---- basics ---- */

static void test_put_get_head(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    lh_buf b = LH_BUF_INIT;
    lh_obj_info pi, gi, hi;

    CHECK_STR(lh_objstore_name(s), "primary");
    CHECK_STR(lh_objstore_backend(s), "local");
    CHECK_STR(lh_objstore_local_root(s), g_root);

    int64_t t0 = (int64_t)time(NULL) * 1000000;
    CHECK_INT(lh_objstore_put(s, "a/b/c.txt", "hello", 5, 0, &pi, &e), 0);
    CHECK_INT(pi.size, 5);
    CHECK(pi.etag[0] == '"' && pi.etag[strlen(pi.etag) - 1] == '"');
    CHECK(pi.mtime_us >= t0 - 2000000 && pi.mtime_us <= t0 + 5000000);

    char path[256];
    snprintf(path, sizeof path, "%s/a/b/c.txt", g_root);
    CHECK(file_has(path, "hello"));  /* the layout is ROOT/KEY */

    CHECK_INT(lh_objstore_get_buf(s, "a/b/c.txt", LH_RANGE_ALL, &b, &gi, &e), 0);
    CHECK_INT(b.len, 5);
    CHECK_STR(b.data, "hello");
    CHECK_STR(gi.etag, pi.etag);
    CHECK_INT(lh_objstore_head(s, "a/b/c.txt", &hi, &e), 0);
    CHECK_INT(hi.size, 5);
    CHECK_STR(hi.etag, pi.etag);
    CHECK_INT(hi.mtime_us, pi.mtime_us);

    /* replace: new content, new etag */
    CHECK_INT(put_str(s, "a/b/c.txt", "hello, world", 0, &e), 0);
    CHECK_INT(get_str(s, "a/b/c.txt", &b, &e), 0);
    CHECK_STR(b.data, "hello, world");
    CHECK_INT(lh_objstore_head(s, "a/b/c.txt", &hi, &e), 0);
    CHECK(strcmp(hi.etag, pi.etag) != 0);
    CHECK_INT(hi.size, 12);

    /* empty object */
    CHECK_INT(lh_objstore_put(s, "empty", "", 0, 0, NULL, &e), 0);
    CHECK_INT(get_str(s, "empty", &b, &e), 0);
    CHECK_INT(b.len, 0);
    CHECK_INT(lh_objstore_put(s, "empty2", NULL, 0, 0, NULL, &e), 0);

    /* missing, folder-as-object, object-as-folder: not found */
    CHECK_INT(get_str(s, "nope", &b, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "object_not_found");
    CHECK(strstr(e.msg, "\"nope\"") && strstr(e.msg, "\"primary\""));
    CHECK_INT(get_str(s, "a", &b, &e), LH_ENOTFOUND);
    CHECK_INT(get_str(s, "a/b", &b, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_head(s, "a/b", &hi, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "object_not_found");
    CHECK_INT(get_str(s, "a/b/c.txt/d", &b, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_head(s, "a/b/c.txt/d", &hi, &e), LH_ENOTFOUND);

    /* streamed writer, several writes */
    lh_obj_writer *w;
    CHECK_INT(lh_objstore_writer_open(s, "stream/x", 0, &w, &e), 0);
    for (int i = 0; i < 100; i++) CHECK_INT(lh_obj_writer_write(w, "0123456789", 10, &e), 0);
    CHECK_INT(lh_obj_writer_commit(w, &pi, &e), 0);
    CHECK_INT(pi.size, 1000);
    CHECK_INT(get_str(s, "stream/x", &b, &e), 0);
    CHECK_INT(b.len, 1000);
    CHECK(memcmp(b.data + 990, "0123456789", 10) == 0);

    /* a segment longer than the filesystem allows */
    char longseg[300];
    memset(longseg, 'n', 299);
    longseg[299] = '\0';
    CHECK_INT(put_str(s, longseg, "x", 0, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_key");
    CHECK_INT(get_str(s, longseg, &b, &e), LH_EINVAL);

    /* a deep key */
    char deep[1024] = "";
    for (int i = 0; i < 200; i++) strcat(deep, "d/");
    strcat(deep, "leaf");
    CHECK_INT(put_str(s, deep, "deep", 0, &e), 0);
    CHECK_INT(get_str(s, deep, &b, &e), 0);
    CHECK_STR(b.data, "deep");
    CHECK_INT(lh_objstore_delete(s, deep, &e), 0);
    snprintf(path, sizeof path, "%s/d", g_root);
    CHECK(!exists(path));

    lh_buf_free(&b);
    done(s);
}

static void test_bad_args(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    lh_obj_writer *w = (lh_obj_writer *)1;
    CHECK_INT(lh_objstore_writer_open(s, "k", 4, &w, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_argument");
    CHECK(w == NULL);
    CHECK_INT(lh_objstore_put(NULL, "k", "x", 1, 0, NULL, &e), LH_EINVAL);
    CHECK_INT(lh_objstore_head(s, NULL, NULL, &e), LH_EINVAL);
    CHECK_INT(lh_objstore_get(s, "k", LH_RANGE_ALL, NULL, NULL, &e), LH_EINVAL);
    lh_list l;
    lh_list_opts o = {.prefix = "a//"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_key");
    o = (lh_list_opts){.delimiter = "\n"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_delimiter");
    o = (lh_list_opts){.cursor = "\x01"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_cursor");
    /* NULL opts = whole bucket */
    CHECK_INT(lh_objstore_list(s, NULL, &l, &e), 0);
    CHECK_INT(l.n_objects, 0);
    lh_list_free(&l);
    lh_list_free(NULL);
    lh_objstore_free(NULL);

    /* a relative root is made absolute */
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_INT(chdir(g_tmp), 0);
    lh_objstore *rel;
    CHECK_INT(lh_objstore_local_new("rel", "relroot/", &rel, &e), 0);
    char want[256];
    snprintf(want, sizeof want, "%s/relroot", g_tmp);
    CHECK_STR(lh_objstore_local_root(rel), want);
    lh_objstore_free(rel);
    CHECK_INT(chdir(cwd), 0);
    done(s);
}

static void test_range(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    lh_buf b = LH_BUF_INIT;
    char data[100];
    for (int i = 0; i < 100; i++) data[i] = (char)i;
    CHECK_INT(lh_objstore_put(s, "r", data, 100, 0, NULL, &e), 0);

    lh_obj_info info;
    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){10, 5}, &b, &info, &e), 0);
    CHECK_INT(b.len, 5);
    CHECK(memcmp(b.data, data + 10, 5) == 0);
    CHECK_INT(info.size, 100);  /* info describes the whole object */

    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){90, 100}, &b, NULL, &e), 0);
    CHECK_INT(b.len, 10);  /* clipped to the end */
    CHECK(memcmp(b.data, data + 90, 10) == 0);

    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){99, UINT64_MAX}, &b, NULL, &e), 0);
    CHECK_INT(b.len, 1);
    CHECK_INT((unsigned char)b.data[0], 99);

    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){0, 0}, &b, NULL, &e), 0);
    CHECK_INT(b.len, 0);

    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){100, 1}, &b, NULL, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_range");
    CHECK(strstr(e.msg, "100 bytes long") != NULL);
    CHECK_INT(lh_objstore_get_buf(s, "r", (lh_range){UINT64_MAX, 1}, &b, NULL, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_range");

    /* an empty object: offset 0 is fine, anything else is not */
    CHECK_INT(lh_objstore_put(s, "z", "", 0, 0, NULL, &e), 0);
    CHECK_INT(lh_objstore_get_buf(s, "z", (lh_range){0, 10}, &b, NULL, &e), 0);
    CHECK_INT(b.len, 0);
    CHECK_INT(lh_objstore_get_buf(s, "z", (lh_range){1, 10}, &b, NULL, &e), LH_EINVAL);

    /* the reader in small steps */
    lh_obj_reader *r;
    CHECK_INT(lh_objstore_get(s, "r", (lh_range){20, 30}, &r, NULL, &e), 0);
    CHECK_INT(lh_obj_reader_length(r), 30);
    char got[64];
    size_t total = 0;
    for (;;) {
        int64_t n = lh_obj_reader_read(r, got + total, 7, &e);
        CHECK(n >= 0);
        if (n <= 0) break;
        total += (size_t)n;
    }
    CHECK_INT(total, 30);
    CHECK(memcmp(got, data + 20, 30) == 0);
    CHECK_INT(lh_obj_reader_read(r, got, 7, &e), 0);
    lh_obj_reader_close(r);

    /* an open reader keeps reading the version it opened */
    CHECK_INT(lh_objstore_get(s, "r", LH_RANGE_ALL, &r, NULL, &e), 0);
    CHECK_INT(put_str(s, "r", "replaced", 0, &e), 0);
    char all[100];
    CHECK_INT(lh_obj_reader_read(r, all, 100, &e), 100);
    CHECK(memcmp(all, data, 100) == 0);
    lh_obj_reader_close(r);

    lh_buf_free(&b);
    done(s);
}

/* ---- listing ---- */

static const char *LIST_KEYS[] = {
    "a-c", "a.x", "a/b", "a/c/d", "a/c/e", "a/c-f", "a/c.g", "a/cz", "a0",
    "b/x/y/z", "b/x/y2", "b/x-", "b/x0", "c", "c-d/e-f/g", "c-d/h",
    "café/1", "caf/2", "日本/x", "z z/ y", "deep/1/2/3/4/5/6/7/8/9/file",
    "m/f00", "m/f01", "m/f02", "m/f03", "m/f04", "m/f05", "m/f06", "m/f07",
    "m/f08", "m/f09", "m/f10", "m/f11", "m/f12", "m/f13", "m/f14", "m/f15",
    "e", "ee", "ex/e/e", "ex-/e",
};
#define N_LIST_KEYS (sizeof LIST_KEYS / sizeof LIST_KEYS[0])

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct items {
    char **v;  /* "K:key" or "P:prefix" */
    size_t n;
} items;

static void items_add(items *it, char kind, const char *s, size_t len)
{
    it->v = realloc(it->v, (it->n + 1) * sizeof *it->v);
    char *x = malloc(len + 3);
    x[0] = kind;
    x[1] = ':';
    memcpy(x + 2, s, len);
    x[len + 2] = '\0';
    it->v[it->n++] = x;
}

static void items_free(items *it)
{
    for (size_t i = 0; i < it->n; i++) free(it->v[i]);
    free(it->v);
    it->v = NULL;
    it->n = 0;
}

/* S3 ListObjectsV2 semantics, computed naively from the sorted key set. */
static void reference(const char **sorted, size_t n, const char *prefix, const char *delim,
                      items *out)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    const char *last_cp = NULL;
    size_t last_cp_len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = sorted[i];
        if (plen && strncmp(k, prefix, plen) != 0) continue;
        const char *hit = delim ? strstr(k + plen, delim) : NULL;
        if (hit) {
            size_t len = (size_t)(hit - k) + strlen(delim);
            if (last_cp && last_cp_len == len && !strncmp(last_cp, k, len)) continue;
            items_add(out, 'P', k, len);
            last_cp = k;
            last_cp_len = len;
        } else {
            items_add(out, 'K', k, strlen(k));
        }
    }
}

/* Every page of a listing, merged into one item sequence; returns pages. */
static int list_all(lh_objstore *s, const char *prefix, const char *delim, size_t max,
                    items *out, lh_err *e)
{
    char *cursor = NULL;
    int pages = 0;
    for (;;) {
        lh_list l;
        lh_list_opts o = {.prefix = prefix, .delimiter = delim, .cursor = cursor, .max_keys = max};
        int rc = lh_objstore_list(s, &o, &l, e);
        free(cursor);
        cursor = NULL;
        if (rc) return rc;
        pages++;
        CHECK(l.n_objects + l.n_prefixes <= (max ? max : 1000));
        /* both arrays are sorted; merge them */
        size_t i = 0, j = 0;
        while (i < l.n_objects || j < l.n_prefixes) {
            if (j == l.n_prefixes ||
                (i < l.n_objects && strcmp(l.objects[i].key, l.prefixes[j]) < 0)) {
                items_add(out, 'K', l.objects[i].key, strlen(l.objects[i].key));
                i++;
            } else {
                items_add(out, 'P', l.prefixes[j], strlen(l.prefixes[j]));
                j++;
            }
        }
        for (size_t k = 1; k < l.n_objects; k++)
            CHECK(strcmp(l.objects[k - 1].key, l.objects[k].key) < 0);
        if (l.next_cursor) {
            CHECK(l.n_objects + l.n_prefixes == (max ? max : 1000));
            cursor = strdup(l.next_cursor);
        }
        lh_list_free(&l);
        if (!cursor || pages > 10000) break;
    }
    return 0;
}

static void test_list(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    for (size_t i = 0; i < N_LIST_KEYS; i++)
        CHECK_MSG(put_str(s, LIST_KEYS[i], LIST_KEYS[i], 0, &e) == 0, "%s: %s", LIST_KEYS[i], e.msg);
    /* things that are not objects */
    char p[512];
    snprintf(p, sizeof p, "%s/emptydir", g_root);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/emptydir/sub", g_root);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/onlylink", g_root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/onlylink/l", g_root);
    CHECK_INT(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/link", g_root);
    CHECK_INT(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/fifo", g_root);
    CHECK_INT(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/bad\\name", g_root);
    write_file(p, "x");
    snprintf(p, sizeof p, "%s/.lakehouse/tmp/stray.tmp", g_root);
    write_file(p, "x");

    const char *sorted[N_LIST_KEYS];
    memcpy(sorted, LIST_KEYS, sizeof sorted);
    qsort(sorted, N_LIST_KEYS, sizeof *sorted, cmp_str);

    /* the flat listing of everything: exactly the keys, sorted, with info */
    lh_list l;
    lh_list_opts o = {0};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    CHECK_INT(l.n_objects, N_LIST_KEYS);
    CHECK_INT(l.n_prefixes, 0);
    CHECK(l.next_cursor == NULL);
    for (size_t i = 0; i < l.n_objects && i < N_LIST_KEYS; i++) {
        CHECK_STR(l.objects[i].key, sorted[i]);
        CHECK_INT(l.objects[i].info.size, strlen(sorted[i]));
        lh_obj_info hi;
        lh_objstore_head(s, sorted[i], &hi, &e);
        CHECK_STR(l.objects[i].info.etag, hi.etag);
    }
    lh_list_free(&l);

    /* "/" delimiter at the top: empty folders and link-only folders are not prefixes */
    o = (lh_list_opts){.delimiter = "/"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    for (size_t i = 0; i < l.n_prefixes; i++) {
        CHECK(strcmp(l.prefixes[i], "emptydir/") != 0);
        CHECK(strcmp(l.prefixes[i], "onlylink/") != 0);
        CHECK(strcmp(l.prefixes[i], ".lakehouse/") != 0);
    }
    CHECK_INT(l.n_objects, 6);  /* a-c a.x a0 c e ee: not link, fifo, bad\\name */
    lh_list_free(&l);

    const char *prefixes[] = {NULL, "a", "a/", "a/c", "a/c/", "b/x", "c", "m/f1", "nope",
                              "deep/1/", "café", "caf", "e", "ex/", "ex", "日", "no/such/dir/"};
    const char *delims[] = {NULL, "/", "-", "/x", "e", "f1"};
    size_t maxes[] = {1, 2, 3, 1000};
    for (size_t pi = 0; pi < sizeof prefixes / sizeof *prefixes; pi++) {
        for (size_t di = 0; di < sizeof delims / sizeof *delims; di++) {
            items want = {0};
            reference(sorted, N_LIST_KEYS, prefixes[pi], delims[di], &want);
            for (size_t mi = 0; mi < sizeof maxes / sizeof *maxes; mi++) {
                items got = {0};
                int rc = list_all(s, prefixes[pi], delims[di], maxes[mi], &got, &e);
                CHECK_MSG(rc == 0, "list: %s", e.msg);
                int same = got.n == want.n;
                for (size_t k = 0; same && k < got.n; k++) same = !strcmp(got.v[k], want.v[k]);
                CHECK_MSG(same, "prefix=%s delim=%s max=%zu: got %zu items, want %zu (first diff "
                          "at %s)", prefixes[pi] ? prefixes[pi] : "(none)",
                          delims[di] ? delims[di] : "(none)", maxes[mi], got.n, want.n,
                          got.n ? got.v[0] : "-");
                items_free(&got);
            }
            /* page count: exactly ceil(n/max), i.e. no empty trailing page */
            for (size_t mi = 0; mi < 3; mi++) {
                size_t max = maxes[mi];
                char *cursor = NULL;
                size_t pages = 0;
                do {
                    lh_list_opts po = {.prefix = prefixes[pi], .delimiter = delims[di],
                                       .cursor = cursor, .max_keys = max};
                    lh_list pl;
                    if (lh_objstore_list(s, &po, &pl, &e)) break;
                    free(cursor);
                    cursor = pl.next_cursor ? strdup(pl.next_cursor) : NULL;
                    lh_list_free(&pl);
                    pages++;
                } while (cursor && pages < 1000);
                size_t expect = want.n ? (want.n + max - 1) / max : 1;
                CHECK_INT(pages, expect);
            }
            items_free(&want);
        }
    }

    /* a listing rooted in an object path component is just empty */
    o = (lh_list_opts){.prefix = "c/"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    CHECK_INT(l.n_objects + l.n_prefixes, 0);
    lh_list_free(&l);
    done(s);
}

static void test_list_many(void)
{
    /* a flat folder of 2500 objects, paged by the default size */
    lh_objstore *s = fresh();
    lh_err e;
    char k[64];
    for (int i = 0; i < 2500; i++) {
        snprintf(k, sizeof k, "flat/%05d", (i * 7919) % 2500);
        CHECK_INT(put_str(s, k, "x", 0, &e), 0);
    }
    items got = {0};
    CHECK_INT(list_all(s, "flat/", NULL, 0, &got, &e), 0);
    CHECK_INT(got.n, 2500);
    for (size_t i = 0; i < got.n; i++) {
        snprintf(k, sizeof k, "K:flat/%05zu", i);
        if (strcmp(got.v[i], k)) { CHECK_STR(got.v[i], k); break; }
    }
    items_free(&got);
    lh_list l;
    lh_list_opts o = {.prefix = "flat/"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    CHECK_INT(l.n_objects, 1000);  /* default max_keys */
    CHECK_STR(l.next_cursor, "flat/00999");
    lh_list_free(&l);
    done(s);
}

/* ---- delete ---- */

static void test_delete(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    char p[256];
    CHECK_INT(put_str(s, "x/y/z/obj", "1", 0, &e), 0);
    CHECK_INT(put_str(s, "x/keep", "2", 0, &e), 0);
    CHECK_INT(lh_objstore_delete(s, "x/y/z/obj", &e), 0);
    CHECK_INT(lh_objstore_head(s, "x/y/z/obj", NULL, &e), LH_ENOTFOUND);
    snprintf(p, sizeof p, "%s/x/y", g_root);
    CHECK(!exists(p));  /* emptied parents are removed ... */
    snprintf(p, sizeof p, "%s/x", g_root);
    CHECK(exists(p));   /* ... up to the first that is not empty */
    CHECK_INT(lh_objstore_delete(s, "x/keep", &e), 0);
    CHECK(!exists(p));
    CHECK(exists(g_root));  /* never the root */

    CHECK_INT(lh_objstore_delete(s, "x/keep", &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "object_not_found");
    CHECK_INT(put_str(s, "f/g", "1", 0, &e), 0);
    CHECK_INT(lh_objstore_delete(s, "f", &e), LH_ENOTFOUND);  /* a folder is no object */
    CHECK_INT(lh_objstore_delete(s, "f/g/h", &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_head(s, "f/g", NULL, &e), 0);
    done(s);
}

static void test_key_conflicts(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    CHECK_INT(put_str(s, "a", "file", 0, &e), 0);
    CHECK_INT(put_str(s, "a/b", "x", 0, &e), LH_EEXIST);
    CHECK_STR(e.code, "key_conflict");
    CHECK_MSG(strstr(e.msg, "\"a\" is an object") != NULL, "%s", e.msg);
    CHECK_INT(put_str(s, "a/b/c", "x", LH_PUT_CREATE_ONLY, &e), LH_EEXIST);
    CHECK_STR(e.code, "key_conflict");

    CHECK_INT(put_str(s, "d/e/f", "x", 0, &e), 0);
    CHECK_INT(put_str(s, "d/e", "x", 0, &e), LH_EEXIST);
    CHECK_STR(e.code, "key_conflict");
    CHECK_MSG(strstr(e.msg, "objects exist under \"d/e/\"") != NULL, "%s", e.msg);
    CHECK_INT(put_str(s, "d", "x", LH_PUT_CREATE_ONLY, &e), LH_EEXIST);
    CHECK_STR(e.code, "key_conflict");
    /* the failed puts left nothing behind */
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(get_str(s, "a", &b, &e), 0);
    CHECK_STR(b.data, "file");
    CHECK_INT(get_str(s, "d/e/f", &b, &e), 0);

    /* an empty folder left behind is not a conflict */
    char p[256];
    snprintf(p, sizeof p, "%s/leftover", g_root);
    CHECK_INT(mkdir(p, 0755), 0);
    CHECK_INT(put_str(s, "leftover", "now an object", 0, &e), 0);
    snprintf(p, sizeof p, "%s/leftover2", g_root);
    CHECK_INT(mkdir(p, 0755), 0);
    CHECK_INT(put_str(s, "leftover2", "x", LH_PUT_CREATE_ONLY, &e), 0);
    CHECK_INT(get_str(s, "leftover2", &b, &e), 0);
    lh_buf_free(&b);
    done(s);
}

/* ---- create-only ---- */

static void test_create_only(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    CHECK_INT(put_str(s, "_catalog/p/v000000000001.parquet", "one", LH_PUT_CREATE_ONLY, &e), 0);
    CHECK_INT(put_str(s, "_catalog/p/v000000000001.parquet", "two", LH_PUT_CREATE_ONLY, &e), LH_EEXIST);
    CHECK_STR(e.code, "object_exists");
    CHECK(strstr(e.msg, "\"_catalog/p/v000000000001.parquet\"") && strstr(e.msg, "\"primary\""));
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(get_str(s, "_catalog/p/v000000000001.parquet", &b, &e), 0);
    CHECK_STR(b.data, "one");
    lh_buf_free(&b);
    /* an ordinary put replaces */
    CHECK_INT(put_str(s, "_catalog/p/v000000000001.parquet", "three", 0, &e), 0);
    /* no staged files left */
    char p[256];
    snprintf(p, sizeof p, "%s/.lakehouse/tmp", g_root);
    DIR *d = opendir(p);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    CHECK_INT(n, 0);
    done(s);
}

#define RACERS 16

typedef struct race {
    lh_objstore *s;
    pthread_barrier_t *bar;
    const char *key;
    int id;
    int rc;
    char code[64];
} race;

static void *racer(void *arg)
{
    race *r = arg;
    char v[32];
    snprintf(v, sizeof v, "writer-%d", r->id);
    lh_err e;
    lh_err_clear(&e);
    pthread_barrier_wait(r->bar);
    r->rc = put_str(r->s, r->key, v, LH_PUT_CREATE_ONLY, &e);
    snprintf(r->code, sizeof r->code, "%s", e.code);
    return NULL;
}

static void test_create_only_race(void)
{
    lh_objstore *s = fresh();
    for (int round = 0; round < 20; round++) {
        char key[64];
        snprintf(key, sizeof key, "_catalog/ds%d/v000000000002.parquet", round);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, RACERS);
        pthread_t th[RACERS];
        race r[RACERS];
        for (int i = 0; i < RACERS; i++) {
            r[i] = (race){.s = s, .bar = &bar, .key = key, .id = i};
            pthread_create(&th[i], NULL, racer, &r[i]);
        }
        int winners = 0, winner = -1;
        for (int i = 0; i < RACERS; i++) {
            pthread_join(th[i], NULL);
            if (r[i].rc == 0) winners++, winner = i;
            else {
                CHECK_INT(r[i].rc, LH_EEXIST);
                CHECK_STR(r[i].code, "object_exists");
            }
        }
        pthread_barrier_destroy(&bar);
        CHECK_INT(winners, 1);
        lh_buf b = LH_BUF_INIT;
        lh_err e;
        CHECK_INT(get_str(s, key, &b, &e), 0);
        char want[32];
        snprintf(want, sizeof want, "writer-%d", winner);
        CHECK_STR(b.data, want);
        lh_buf_free(&b);
    }
    done(s);
}

/* ---- abort, atomicity ---- */

static void test_abort(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    lh_obj_writer *w;
    CHECK_INT(lh_objstore_writer_open(s, "new/dir/obj", 0, &w, &e), 0);
    CHECK_INT(lh_obj_writer_write(w, "partial", 7, &e), 0);
    /* nothing visible before commit */
    CHECK_INT(lh_objstore_head(s, "new/dir/obj", NULL, &e), LH_ENOTFOUND);
    lh_obj_writer_abort(w);
    CHECK_INT(lh_objstore_head(s, "new/dir/obj", NULL, &e), LH_ENOTFOUND);
    char p[256];
    snprintf(p, sizeof p, "%s/new", g_root);
    CHECK(!exists(p));
    lh_list l;
    CHECK_INT(lh_objstore_list(s, NULL, &l, &e), 0);
    CHECK_INT(l.n_objects, 0);
    lh_list_free(&l);
    snprintf(p, sizeof p, "%s/.lakehouse/tmp", g_root);
    DIR *d = opendir(p);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    CHECK_INT(n, 0);

    /* abort of a replacement keeps the old object */
    CHECK_INT(put_str(s, "keep", "old", 0, &e), 0);
    CHECK_INT(lh_objstore_writer_open(s, "keep", 0, &w, &e), 0);
    CHECK_INT(lh_obj_writer_write(w, "new!", 4, &e), 0);
    lh_obj_writer_abort(w);
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(get_str(s, "keep", &b, &e), 0);
    CHECK_STR(b.data, "old");
    lh_buf_free(&b);
    done(s);
}

#define BIG (2u << 20)

typedef struct replace_ctx {
    lh_objstore *s;
    atomic_int stop;
    atomic_int reads, torn, errors;
} replace_ctx;

static void *reader_thread(void *arg)
{
    replace_ctx *c = arg;
    lh_buf b = LH_BUF_INIT;
    while (!atomic_load(&c->stop)) {
        lh_err e;
        if (lh_objstore_get_buf(c->s, "big", LH_RANGE_ALL, &b, NULL, &e) != 0) {
            atomic_fetch_add(&c->errors, 1);
            continue;
        }
        int torn = b.len != BIG;
        for (size_t i = 1; !torn && i < b.len; i++) torn = b.data[i] != b.data[0];
        if (torn) atomic_fetch_add(&c->torn, 1);
        atomic_fetch_add(&c->reads, 1);
    }
    lh_buf_free(&b);
    return NULL;
}

static void test_readers_never_see_partial(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    char *data = malloc(BIG);
    memset(data, 'A', BIG);
    CHECK_INT(lh_objstore_put(s, "big", data, BIG, 0, NULL, &e), 0);
    replace_ctx c = {.s = s};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, reader_thread, &c);
    for (int round = 0; round < 30; round++) {
        memset(data, 'B' + round % 20, BIG);
        /* streamed in pieces, so a non-atomic put would expose prefixes */
        lh_obj_writer *w;
        CHECK_INT(lh_objstore_writer_open(s, "big", 0, &w, &e), 0);
        for (size_t off = 0; off < BIG; off += 65536)
            CHECK_INT(lh_obj_writer_write(w, data + off, 65536, &e), 0);
        CHECK_INT(lh_obj_writer_commit(w, NULL, &e), 0);
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(atomic_load(&c.reads) > 0);
    CHECK_INT(atomic_load(&c.torn), 0);
    CHECK_INT(atomic_load(&c.errors), 0);
    free(data);
    done(s);
}

/* A put into a folder while another thread keeps emptying and removing
 * it: the put must recreate the folder and succeed. */
typedef struct churn_ctx {
    lh_objstore *s;
    atomic_int stop;
    atomic_int failures;
} churn_ctx;

static void *churner(void *arg)
{
    churn_ctx *c = arg;
    while (!atomic_load(&c->stop)) {
        lh_err e;
        if (put_str(c->s, "shared/dir/churn", "x", 0, &e) != 0 ||
            lh_objstore_delete(c->s, "shared/dir/churn", &e) != 0) {
            atomic_fetch_add(&c->failures, 1);
            fprintf(stderr, "churn: %s: %s\n", e.code, e.msg);
        }
    }
    return NULL;
}

static void test_put_races_delete(void)
{
    lh_objstore *s = fresh();
    churn_ctx c = {.s = s};
    pthread_t th;
    pthread_create(&th, NULL, churner, &c);
    lh_err e;
    char key[64];
    int ok = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "shared/dir/k%03d", i);
        int rc = put_str(s, key, "v", 0, &e);
        CHECK_MSG(rc == 0, "%s: %s", key, e.msg);
        ok += rc == 0;
        rc = lh_objstore_delete(s, key, &e);
        CHECK_MSG(rc == 0, "delete %s: %s", key, e.msg);
    }
    atomic_store(&c.stop, 1);
    pthread_join(th, NULL);
    CHECK_INT(ok, 300);
    CHECK_INT(atomic_load(&c.failures), 0);
    done(s);
}

/* ---- safety ---- */

static void test_path_tricks(void)
{
    lh_objstore *s = fresh();
    char sentinel[256];
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", g_tmp);  /* beside the root */
    write_file(sentinel, "untouched");
    const char *evil[] = {
        "../sentinel", "a/../../sentinel", "./../sentinel", "..", ".", "a/./../..",
        "..\\sentinel", "a\\..\\..\\sentinel", "/tmp/sentinel", "//sentinel",
        ".lakehouse/../../sentinel", ".lakehouse/tmp/x", "a/\x00/../sentinel",
        "a//../sentinel", "sentinel/", "../", "..%2fsentinel/..", "\xc0\xae\xc0\xae/sentinel",
        "\xe0\x80\xae\xe0\x80\xae/sentinel", "a\n../sentinel", "",
    };
    char abs[300];
    snprintf(abs, sizeof abs, "%s", sentinel);
    for (size_t i = 0; i < sizeof evil / sizeof *evil + 1; i++) {
        const char *k = i < sizeof evil / sizeof *evil ? evil[i] : abs;
        lh_err e;
        lh_buf b = LH_BUF_INIT;
        CHECK_MSG(put_str(s, k, "pwned", 0, &e) == LH_EINVAL, "accepted evil key #%zu", i);
        CHECK_INT(put_str(s, k, "pwned", LH_PUT_CREATE_ONLY, &e), LH_EINVAL);
        CHECK_INT(get_str(s, k, &b, &e), LH_EINVAL);
        CHECK_INT(lh_objstore_head(s, k, NULL, &e), LH_EINVAL);
        CHECK_INT(lh_objstore_delete(s, k, &e), LH_EINVAL);
        lh_obj_writer *w;
        CHECK_INT(lh_objstore_writer_open(s, k, 0, &w, &e), LH_EINVAL);
        lh_buf_free(&b);
        CHECK_MSG(file_has(sentinel, "untouched"), "sentinel changed after key #%zu", i);
    }
    lh_err e;
    lh_list l;
    lh_list_opts o = {.prefix = "../"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    o = (lh_list_opts){.prefix = "/"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    o = (lh_list_opts){.prefix = ".lakehouse/"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), LH_EINVAL);
    CHECK_STR(e.code, "reserved_key");
    /* a prefix that merely starts like the private folder lists nothing of it */
    o = (lh_list_opts){.prefix = ".lake"};
    CHECK_INT(lh_objstore_list(s, &o, &l, &e), 0);
    CHECK_INT(l.n_objects + l.n_prefixes, 0);
    lh_list_free(&l);
    /* a symlink inside the root is not followed as an object */
    char p[256];
    snprintf(p, sizeof p, "%s/link", g_root);
    CHECK_INT(symlink(sentinel, p), 0);
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(get_str(s, "link", &b, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_head(s, "link", NULL, &e), LH_ENOTFOUND);
    CHECK_INT(lh_objstore_delete(s, "link", &e), LH_ENOTFOUND);
    lh_buf_free(&b);
    CHECK(file_has(sentinel, "untouched"));
    done(s);
}

static void check_unavail(lh_objstore *s, const char *why)
{
    lh_err e;
    lh_buf b = LH_BUF_INIT;
    lh_list l;
    lh_obj_writer *w;
    lh_obj_reader *r;
    int rcs[] = {
        put_str(s, "x/y", "v", 0, &e),
        put_str(s, "x", "v", LH_PUT_CREATE_ONLY, &e),
        get_str(s, "k", &b, &e),
        lh_objstore_get(s, "k", LH_RANGE_ALL, &r, NULL, &e),
        lh_objstore_head(s, "k", NULL, &e),
        lh_objstore_list(s, NULL, &l, &e),
        lh_objstore_delete(s, "k", &e),
        lh_objstore_writer_open(s, "k", 0, &w, &e),
        lh_objstore_probe(s, &e),
    };
    for (size_t i = 0; i < sizeof rcs / sizeof *rcs; i++)
        CHECK_MSG(rcs[i] == LH_EUNAVAIL, "op #%zu returned %d", i, rcs[i]);
    CHECK_STR(e.code, "bucket_unavailable");
    char want[256];
    snprintf(want, sizeof want, "bucket \"primary\" is unavailable: root %s %s", g_root, why);
    CHECK_STR(e.msg, want);
    lh_buf_free(&b);
}

static void test_root_removed(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    CHECK_INT(lh_objstore_probe(s, &e), 0);
    CHECK_INT(put_str(s, "k", "v", 0, &e), 0);

    /* a writer opened before the root vanished cannot commit into nowhere */
    lh_obj_writer *w;
    CHECK_INT(lh_objstore_writer_open(s, "late/key", 0, &w, &e), 0);
    CHECK_INT(lh_obj_writer_write(w, "v", 1, &e), 0);

    rm_rf(g_root);
    CHECK_INT(lh_obj_writer_commit(w, NULL, &e), LH_EUNAVAIL);
    check_unavail(s, "does not exist");
    CHECK(!exists(g_root));  /* never recreated */

    /* replaced by a file */
    write_file(g_root, "not a dir");
    check_unavail(s, "is not a directory");
    CHECK(file_has(g_root, "not a dir"));
    unlink(g_root);

    /* back again (a remount): works again */
    CHECK_INT(mkdir(g_root, 0755), 0);
    CHECK_INT(lh_objstore_probe(s, &e), 0);
    CHECK_INT(put_str(s, "again/k", "v", 0, &e), 0);  /* tmp/ is remade inside the root */
    CHECK_INT(lh_objstore_head(s, "again/k", NULL, &e), 0);
    done(s);

    /* opening a root under a file fails */
    strcpy(g_tmp, "/tmp/lh_objstore_XXXXXX");
    CHECK(mkdtemp(g_tmp) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/file", g_tmp);
    write_file(p, "x");
    strcat(p, "/bucket");
    lh_objstore *bad = (lh_objstore *)1;
    CHECK_INT(lh_objstore_local_new("b", p, &bad, &e), LH_EUNAVAIL);
    CHECK_STR(e.code, "bucket_unavailable");
    CHECK(bad == NULL);
    rm_rf(g_tmp);
}

static void test_stale_tmp_swept(void)
{
    lh_objstore *s = fresh();
    char old[256], young[256];
    snprintf(old, sizeof old, "%s/.lakehouse/tmp/old.tmp", g_root);
    snprintf(young, sizeof young, "%s/.lakehouse/tmp/young.tmp", g_root);
    write_file(old, "x");
    write_file(young, "x");
    struct timeval tv[2] = {{time(NULL) - 3 * 86400, 0}, {time(NULL) - 3 * 86400, 0}};
    CHECK_INT(utimes(old, tv), 0);
    lh_objstore_free(s);
    lh_err e;
    CHECK_INT(lh_objstore_local_new("primary", g_root, &s, &e), 0);
    CHECK(!exists(old));
    CHECK(exists(young));
    done(s);
}

/* ---- faulty ---- */

static void test_faulty(void)
{
    lh_objstore *inner = fresh();
    lh_objstore *f;
    lh_err e;
    CHECK_INT(lh_objstore_faulty_new(inner, &f, &e), 0);
    CHECK_STR(lh_objstore_backend(f), "faulty");
    CHECK_STR(lh_objstore_name(f), "primary");
    CHECK_STR(lh_objstore_local_root(f), g_root);
    CHECK_INT(put_str(f, "k", "v", 0, &e), 0);

    lh_objstore_faulty_set(f, LH_FAULT_PUT, LH_EIO);
    CHECK_INT(put_str(f, "k2", "v", 0, &e), LH_EIO);
    CHECK_STR(e.code, "injected_fault");
    CHECK(strstr(e.msg, "put") != NULL);
    lh_obj_writer *w;
    CHECK_INT(lh_objstore_writer_open(f, "k3", 0, &w, &e), LH_EIO);
    CHECK_INT(lh_objstore_head(f, "k2", NULL, &e), LH_ENOTFOUND);  /* nothing staged */
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(get_str(f, "k", &b, &e), 0);  /* other ops still work */
    CHECK_STR(b.data, "v");

    lh_objstore_faulty_set(f, LH_FAULT_GET | LH_FAULT_LIST, LH_EUNAVAIL);
    CHECK_INT(get_str(f, "k", &b, &e), LH_EUNAVAIL);
    CHECK_STR(e.code, "injected_fault");
    CHECK(strstr(e.msg, "get") != NULL);
    lh_list l;
    CHECK_INT(lh_objstore_list(f, NULL, &l, &e), LH_EUNAVAIL);
    CHECK(strstr(e.msg, "list") != NULL);
    CHECK_INT(put_str(f, "k2", "v", 0, &e), 0);  /* the new mask replaced the old */

    lh_objstore_faulty_set(f, LH_FAULT_ALL, LH_EIO);
    CHECK_INT(lh_objstore_head(f, "k", NULL, &e), LH_EIO);
    CHECK(strstr(e.msg, "head") != NULL);
    CHECK_INT(lh_objstore_delete(f, "k", &e), LH_EIO);
    CHECK(strstr(e.msg, "delete") != NULL);
    CHECK_INT(lh_objstore_probe(f, &e), LH_EIO);
    CHECK(strstr(e.msg, "probe") != NULL);
    /* validation still comes first */
    CHECK_INT(lh_objstore_head(f, "../x", NULL, &e), LH_EINVAL);
    /* the inner store is untouched by the wrapper's faults */
    CHECK_INT(lh_objstore_head(inner, "k", NULL, &e), 0);

    lh_objstore_faulty_set(f, 0, 0);
    CHECK_INT(lh_objstore_delete(f, "k", &e), 0);
    CHECK_INT(lh_objstore_probe(f, &e), 0);
    lh_buf_free(&b);
    lh_objstore_free(f);
    done(inner);
}

/* ---- copies to files and between keys ---- */

#define COPY_BIG (3u << 20)  /* several pieces of the 1 MiB copy loop */

static char *pattern(void)
{
    char *p = malloc(COPY_BIG);
    for (size_t i = 0; i < COPY_BIG; i++) p[i] = (char)(i * 7 + i / 4093);
    return p;
}

static int file_equals(const char *path, const char *want, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char *got = malloc(n + 1);
    size_t k = fread(got, 1, n + 1, f);
    fclose(f);
    int same = k == n && memcmp(got, want, n) == 0;
    free(got);
    return same;
}

static void test_copy_to_file(void)
{
    lh_objstore *s = fresh();
    lh_err e;
    char *data = pattern();
    CHECK_INT(lh_objstore_put(s, "big/obj", data, COPY_BIG, 0, NULL, &e), 0);
    char out[200], bad[200];
    snprintf(out, sizeof out, "%s/out.bin", g_tmp);
    snprintf(bad, sizeof bad, "%s/no-such-dir/out.bin", g_tmp);

    lh_obj_info info;
    CHECK_INT(lh_objstore_get_file(s, "big/obj", out, &info, &e), 0);
    CHECK_INT(info.size, COPY_BIG);
    CHECK(file_equals(out, data, COPY_BIG));
    CHECK_INT(lh_objstore_get_file(s, "big/none", out, NULL, &e), LH_ENOTFOUND);
    CHECK(file_equals(out, data, COPY_BIG));  /* a failed get touches no file */
    CHECK_INT(lh_objstore_get_file(s, "big/obj", bad, NULL, &e), LH_EIO);
    CHECK(strstr(e.msg, bad) && strstr(e.msg, "\"big/obj\"") && strstr(e.msg, "\"primary\""));

    /* a reader that breaks after its first piece: the half file goes */
    lh_objstore *f;
    CHECK_INT(lh_objstore_faulty_new(s, &f, &e), 0);
    lh_objstore_faulty_set(f, LH_FAULT_READ, LH_EIO);
    CHECK_INT(lh_objstore_get_file(f, "big/obj", out, NULL, &e), LH_EIO);
    CHECK_STR(e.code, "injected_fault");
    CHECK_MSG(strstr(e.msg, "reading \"big/obj\" of bucket \"primary\"") != NULL, "%s", e.msg);
    CHECK(!exists(out));
    lh_obj_reader *r;
    CHECK_INT(lh_objstore_get(f, "big/obj", LH_RANGE_ALL, &r, NULL, &e), 0);
    CHECK_INT(lh_obj_reader_to_file(r, "primary", "big/obj", out, LH_FILE_FSYNC, &e), LH_EIO);
    CHECK(!exists(out));
    lh_obj_reader_close(r);
    lh_objstore_faulty_set(f, 0, 0);
    CHECK_INT(lh_objstore_get(f, "big/obj", LH_RANGE_ALL, &r, NULL, &e), 0);
    CHECK_INT(lh_obj_reader_to_file(r, "primary", "big/obj", out, 8, &e), LH_EINVAL);  /* unknown flag */
    CHECK_INT(lh_obj_reader_to_file(r, "primary", "big/obj", out, LH_FILE_FSYNC, &e), 0);
    lh_obj_reader_close(r);
    CHECK(file_equals(out, data, COPY_BIG));
    lh_objstore_free(f);

    /* a disk that fills half-way (RLIMIT_FSIZE: write fails with EFBIG) */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1u << 20;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    unlink(out);
    CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc_file = lh_objstore_get_file(s, "big/obj", out, NULL, &e);
    lh_err fe = e;
    int rc_copy = lh_objstore_copy(s, "big/obj", "big/copy", NULL, &e);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK_INT(rc_file, LH_EIO);
    CHECK_MSG(strstr(fe.msg, "\"big/obj\" of bucket \"primary\"") != NULL, "%s", fe.msg);
    CHECK(!exists(out));
    CHECK(rc_copy < 0);
    CHECK_INT(lh_objstore_head(s, "big/copy", NULL, &e), LH_ENOTFOUND);

    /* a local file offered as the copy of an object (the read cache's write-through) */
    char copy2[200];
    snprintf(copy2, sizeof copy2, "%s/out2.bin", g_tmp);
    uint64_t bytes = 0;
    CHECK_INT(lh_objstore_get_file(s, "big/obj", out, NULL, &e), 0);
    CHECK_INT(lh_file_to_file(out, "primary", "big/obj", copy2, LH_FILE_FSYNC, &bytes, &e), 0);
    CHECK_INT(bytes, COPY_BIG);
    CHECK(file_equals(copy2, data, COPY_BIG));
    CHECK_INT(lh_file_to_file(bad, "primary", "big/obj", copy2, 0, NULL, &e), LH_EIO);  /* no source */
    CHECK_MSG(strstr(e.msg, bad) && strstr(e.msg, "\"big/obj\" of bucket \"primary\""), "%s", e.msg);
    CHECK(file_equals(copy2, data, COPY_BIG));  /* the failed open left the target alone */
    CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    signal(SIGXFSZ, SIG_IGN);
    unlink(copy2);
    int rc_ff = lh_file_to_file(out, "primary", "big/obj", copy2, 0, NULL, &e);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK_INT(rc_ff, LH_EIO);
    CHECK(!exists(copy2));  /* no prefix left behind */

    /* the copy itself, streamed through this process (local has no server-side copy) */
    CHECK_INT(lh_objstore_copy(s, "big/obj", "big/copy", &info, &e), 0);
    CHECK_INT(info.size, COPY_BIG);
    lh_buf b = LH_BUF_INIT;
    CHECK_INT(lh_objstore_get_buf(s, "big/copy", LH_RANGE_ALL, &b, NULL, &e), 0);
    CHECK(b.len == COPY_BIG && memcmp(b.data, data, COPY_BIG) == 0);
    lh_buf_free(&b);
    free(data);
    done(s);
}

int main(void)
{
    RUN(test_put_get_head);
    RUN(test_bad_args);
    RUN(test_range);
    RUN(test_list);
    RUN(test_list_many);
    RUN(test_delete);
    RUN(test_key_conflicts);
    RUN(test_create_only);
    RUN(test_create_only_race);
    RUN(test_abort);
    RUN(test_readers_never_see_partial);
    RUN(test_put_races_delete);
    RUN(test_path_tricks);
    RUN(test_root_removed);
    RUN(test_stale_tmp_swept);
    RUN(test_faulty);
    RUN(test_copy_to_file);
    return TEST_SUMMARY();
}

/* storage/cache.c — the local read cache for non-local buckets (see cache.h).
 *
 * The index is an array searched linearly under one mutex: a deployment
 * caches hundreds to a few thousand Parquet files, and every operation on
 * it is dwarfed by the I/O it guards. Downloads happen outside the lock
 * into DIR/.tmp/ and are renamed into place, so a reader never sees a
 * partial file; two threads missing the same object both fetch it and the
 * second rename wins (same bytes).
 *
 * Pins. A path is handed out before the reader opens the file (a query
 * view is bound, then scanned), and a fetch for another reader may evict
 * it in between. lh_cache_pin_path hands out a path whose file stays until
 * lh_cache_unpin: eviction passes over pinned files, so while pins are
 * held the cache may exceed max_bytes — by at most what the readers in
 * flight need — and is brought back under the bound as they unpin.
 */
#define _XOPEN_SOURCE 700
#include "storage/cache.h"

#include "core/id.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
    char    *rel;        /* "bucket/key" */
    uint64_t size;
    char     etag[LH_ETAG_MAX];
    uint64_t last_use;   /* logical clock */
    int      validated;  /* checked against the object's ETag in this run */
    int      pins;       /* readers that must find the file later: never evicted while > 0 */
} entry;

struct lh_cache {
    char           *dir;
    uint64_t        max_bytes;
    pthread_mutex_t mu;
    entry          *e;
    size_t          n, cap;
    uint64_t        clock, bytes;
    lh_cache_stats  st;
};

/* ---- files ---- */

static int mkdirs_for(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

static void path_of(const lh_cache *c, const char *rel, lh_buf *out)
{
    lh_buf_reset(out);
    lh_buf_printf(out, "%s/%s", c->dir, rel);
}

static void etag_path_of(const lh_cache *c, const char *rel, lh_buf *out)
{
    lh_buf_reset(out);
    lh_buf_printf(out, "%s/.etag/%s", c->dir, rel);
}

static void write_etag(const lh_cache *c, const char *rel, const char *etag)
{
    lh_buf p = LH_BUF_INIT;
    etag_path_of(c, rel, &p);
    mkdirs_for(p.data);
    FILE *f = fopen(p.data, "w");
    if (f) { fputs(etag, f); fclose(f); }
    lh_buf_free(&p);
}

static void remove_files(const lh_cache *c, const char *rel)
{
    lh_buf p = LH_BUF_INIT;
    path_of(c, rel, &p);
    unlink(p.data);
    etag_path_of(c, rel, &p);
    unlink(p.data);
    lh_buf_free(&p);
}

/* ---- index (callers hold mu) ---- */

static entry *find(lh_cache *c, const char *rel)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].rel, rel)) return &c->e[i];
    return NULL;
}

static void drop(lh_cache *c, entry *e)
{
    c->bytes -= e->size;
    free(e->rel);
    *e = c->e[--c->n];
}

static entry *upsert(lh_cache *c, const char *rel, uint64_t size, const char *etag)
{
    entry *e = find(c, rel);
    if (!e) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->e = lh_xrealloc(c->e, c->cap * sizeof *c->e);
        }
        e = &c->e[c->n++];
        memset(e, 0, sizeof *e);
        e->rel = lh_xstrdup(rel);
    } else {
        c->bytes -= e->size;
    }
    e->size = size;
    snprintf(e->etag, sizeof e->etag, "%s", etag ? etag : "");
    e->last_use = ++c->clock;
    c->bytes += size;
    return e;
}

/* Evict least recently used files until under the bound, sparing `keep`
 * and pinned files. */
static void evict(lh_cache *c, const char *keep)
{
    while (c->bytes > c->max_bytes && c->n > 0) {
        entry *lru = NULL;
        for (size_t i = 0; i < c->n; i++)
            if (!c->e[i].pins && (!keep || strcmp(c->e[i].rel, keep)) && (!lru || c->e[i].last_use < lru->last_use))
                lru = &c->e[i];
        if (!lru) break;
        remove_files(c, lru->rel);
        c->st.evictions++;
        drop(c, lru);
    }
}

/* ---- open ---- */

static lh_cache *scanning;  /* nftw has no context pointer; open is serialised by scan_mu */
static pthread_mutex_t scan_mu = PTHREAD_MUTEX_INITIALIZER;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    lh_cache *c = scanning;
    size_t dl = strlen(c->dir);
    const char *rel = path + dl + (path[dl] == '/');
    if (type != FTW_F || !strncmp(rel, ".etag/", 6) || !strncmp(rel, ".tmp/", 5)) return 0;
    lh_buf p = LH_BUF_INIT;
    etag_path_of(c, rel, &p);
    char etag[LH_ETAG_MAX] = "";
    FILE *f = fopen(p.data, "r");
    if (f) {
        if (!fgets(etag, sizeof etag, f)) etag[0] = '\0';
        fclose(f);
    }
    lh_buf_free(&p);
    if (!etag[0]) { unlink(path); return 0; }  /* no ETag: cannot be validated, drop it */
    entry *e = upsert(c, rel, (uint64_t)st->st_size, etag);
    e->last_use = (uint64_t)st->st_atime;  /* oldest first after a restart */
    return 0;
}

int lh_cache_open(const char *dir, uint64_t max_bytes, lh_cache **out, lh_err *err)
{
    *out = NULL;
    char abs[PATH_MAX];
    lh_buf d = LH_BUF_INIT;
    lh_buf_printf(&d, "%s/", dir);
    if (mkdirs_for(d.data) != 0 || !realpath(dir, abs)) {
        int e = errno;
        lh_buf_free(&d);
        return lh_err_set(err, LH_EIO, "cache_unavailable", "cannot create the cache directory %s: %s "
                          "(storage.cache_dir)", dir, strerror(e));
    }
    lh_buf_free(&d);
    lh_cache *c = lh_xcalloc(1, sizeof *c);
    c->dir = lh_xstrdup(abs);
    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_lock(&scan_mu);
    scanning = c;
    nftw(c->dir, scan_one, 16, FTW_PHYS);
    scanning = NULL;
    pthread_mutex_unlock(&scan_mu);
    /* re-number the clock in atime order so LRU keeps working */
    uint64_t maxu = 0;
    for (size_t i = 0; i < c->n; i++) if (c->e[i].last_use > maxu) maxu = c->e[i].last_use;
    c->clock = maxu;
    evict(c, NULL);
    if (c->n) lh_info("cache %s: %zu files (%llu bytes) from an earlier run, each checked on first use",
                      c->dir, c->n, (unsigned long long)c->bytes);
    *out = c;
    return 0;
}

void lh_cache_free(lh_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->e[i].rel);
    free(c->e);
    pthread_mutex_destroy(&c->mu);
    free(c->dir);
    free(c);
}

const char *lh_cache_dir(const lh_cache *c) { return c ? c->dir : NULL; }

/* ---- use ---- */

static void tmp_path(const lh_cache *c, lh_buf *out)
{
    char hex[33];
    lh_hex_id(hex, 16);
    lh_buf_reset(out);
    lh_buf_printf(out, "%s/.tmp/%s", c->dir, hex);
    mkdirs_for(out->data);
}

/* Move a finished temp file into place and index it (pinned if pin). */
static int install(lh_cache *c, const char *rel, const char *tmp, uint64_t size, const char *etag, int pin,
                   lh_err *err)
{
    lh_buf dst = LH_BUF_INIT;
    path_of(c, rel, &dst);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    if (mkdirs_for(dst.data) != 0 || rename(tmp, dst.data) != 0) {
        rc = lh_err_set(err, LH_EIO, "cache_io", "cache: cannot place %s: %s", dst.data, strerror(errno));
        unlink(tmp);
    } else {
        write_etag(c, rel, etag);
        entry *e = upsert(c, rel, size, etag);
        e->validated = 1;
        if (pin) e->pins++;
        evict(c, rel);
    }
    pthread_mutex_unlock(&c->mu);
    lh_buf_free(&dst);
    return rc;
}

static int cache_path(lh_cache *c, const char *bucket, const char *key, const lh_cache_source *src, int pin,
                      lh_buf *out, lh_err *err)
{
    lh_buf rel = LH_BUF_INIT;
    lh_buf_printf(&rel, "%s/%s", bucket, key);
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, rel.data);
    int validated = e && e->validated;
    char etag[LH_ETAG_MAX] = "";
    if (e) {
        e->last_use = ++c->clock;
        snprintf(etag, sizeof etag, "%s", e->etag);
    }
    pthread_mutex_unlock(&c->mu);

    int rc = 0;
    if (e && !validated) {
        /* from an earlier run: trust it only if the object is unchanged */
        lh_obj_info info;
        lh_err he;
        int hrc = src->head(src->ctx, &info, &he);
        pthread_mutex_lock(&c->mu);
        e = find(c, rel.data);
        c->st.validations++;
        if (e && hrc == 0 && !strcmp(info.etag, etag)) {
            e->validated = 1;
        } else if (e && hrc == 0) {
            c->st.refetched_stale++;
            remove_files(c, e->rel);
            drop(c, e);
            e = NULL;
        } else if (e && hrc == LH_ENOTFOUND) {
            remove_files(c, e->rel);
            drop(c, e);
            e = NULL;
        } else if (e) {
            /* trusted for this run, as for a match: checking again on
             * every use would cost each query the bucket's whole retry
             * budget while it is down (data objects are never rewritten) */
            e->validated = 1;
            lh_warn("cache: %s could not be checked (%s); using the cached copy", rel.data, he.msg);
        }
        pthread_mutex_unlock(&c->mu);
    }
    lh_buf p = LH_BUF_INIT;
    path_of(c, rel.data, &p);
    struct stat st;
    int hit = 0;
    if (e) {
        /* present and indexed, checked under the lock so that the pin
         * lands before any eviction can remove the file */
        pthread_mutex_lock(&c->mu);
        e = find(c, rel.data);
        if (e && stat(p.data, &st) == 0) {
            hit = 1;
            c->st.hits++;
            if (pin) e->pins++;
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (!hit) {
        pthread_mutex_lock(&c->mu);
        c->st.misses++;
        if ((e = find(c, rel.data)) && !e->pins) drop(c, e);  /* file vanished under us */
        pthread_mutex_unlock(&c->mu);
        lh_buf tmp = LH_BUF_INIT;
        tmp_path(c, &tmp);
        lh_obj_info info;
        rc = src->fetch(src->ctx, tmp.data, &info, err);
        if (rc) unlink(tmp.data);
        else rc = install(c, rel.data, tmp.data, info.size, info.etag, pin, err);
        lh_buf_free(&tmp);
    }
    if (!rc) {
        lh_buf_reset(out);
        lh_buf_append(out, p.data, p.len);
    }
    lh_buf_free(&p);
    lh_buf_free(&rel);
    return rc;
}

int lh_cache_offer(lh_cache *c, const char *bucket, const char *key, const char *path, const char *etag,
                   lh_err *err)
{
    if (!etag || !etag[0]) return 0;  /* cannot be validated later: let first use fetch it */
    lh_buf tmp = LH_BUF_INIT;
    tmp_path(c, &tmp);
    uint64_t size = 0;
    /* fsynced like a fill: a later run trusts the file by its ETag alone */
    int rc = lh_file_to_file(path, bucket, key, tmp.data, LH_FILE_FSYNC, &size, err);
    lh_buf rel = LH_BUF_INIT;
    lh_buf_printf(&rel, "%s/%s", bucket, key);
    if (!rc) rc = install(c, rel.data, tmp.data, size, etag, 0, err);
    if (!rc) {
        pthread_mutex_lock(&c->mu);
        c->st.fills++;
        pthread_mutex_unlock(&c->mu);
    }
    lh_buf_free(&rel);
    lh_buf_free(&tmp);
    return rc;
}

int lh_cache_path(lh_cache *c, const char *bucket, const char *key, const lh_cache_source *src,
                  lh_buf *out, lh_err *err)
{
    return cache_path(c, bucket, key, src, 0, out, err);
}

int lh_cache_pin_path(lh_cache *c, const char *bucket, const char *key, const lh_cache_source *src,
                      lh_buf *out, lh_err *err)
{
    return cache_path(c, bucket, key, src, 1, out, err);
}

void lh_cache_unpin(lh_cache *c, const char *bucket, const char *key)
{
    lh_buf rel = LH_BUF_INIT;
    lh_buf_printf(&rel, "%s/%s", bucket, key);
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, rel.data);
    if (e && e->pins > 0 && --e->pins == 0) evict(c, NULL);
    pthread_mutex_unlock(&c->mu);
    lh_buf_free(&rel);
}

void lh_cache_stats_get(lh_cache *c, lh_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    out->pinned = 0;
    for (size_t i = 0; i < c->n; i++) out->pinned += c->e[i].pins > 0;
    out->files = c->n;
    out->bytes = c->bytes;
    out->max_bytes = c->max_bytes;
    pthread_mutex_unlock(&c->mu);
}

/* storage/registry.c — bucket registry and rescue fallback (see registry.h). */
#include "storage/registry.h"
#include "storage/objstore_impl.h"
#include "storage/s3.h"
#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct bucket {
    lh_bucket_desc desc;
    char          *location;
    lh_objstore   *raw;     /* the backend itself (journal writes go here) */
    lh_objstore   *faulty;  /* raw behind a fault-injection switch, off unless a test sets it */
    lh_objstore   *store;   /* faulty, wrapped by the journaling layer (owns faulty) */
} bucket;

struct lh_registry {
    bucket           *b;
    size_t            n;
    bucket           *rescue;  /* NULL when none is configured */
    lh_error_journal *journal;
    lh_secrets       *secrets;
    lh_cache         *cache;   /* NULL when every bucket is local */
};

/* ---- a bucket this build cannot open: fails every operation ---- */

typedef struct dead_store {
    lh_objstore base;
    char        reason[512];
} dead_store;

static int dead_fail(lh_objstore *s, lh_err *err)
{
    dead_store *d = (dead_store *)s;
    return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable", "bucket \"%s\" is unavailable: %s",
                      s->name, d->reason);
}

static int dead_get(lh_objstore *s, const char *k, lh_range r, lh_obj_reader **o, lh_obj_info *i, lh_err *e)
{ (void)k; (void)r; (void)o; (void)i; return dead_fail(s, e); }
static int dead_wopen(lh_objstore *s, const char *k, int f, lh_obj_writer **o, lh_err *e)
{ (void)k; (void)f; (void)o; return dead_fail(s, e); }
static int dead_head(lh_objstore *s, const char *k, lh_obj_info *i, lh_err *e)
{ (void)k; (void)i; return dead_fail(s, e); }
static int dead_list(lh_objstore *s, const lh_list_opts *o, lh_list *l, lh_err *e)
{ (void)o; (void)l; return dead_fail(s, e); }
static int dead_del(lh_objstore *s, const char *k, lh_err *e) { (void)k; return dead_fail(s, e); }
static int dead_probe(lh_objstore *s, lh_err *e) { return dead_fail(s, e); }
static const char *dead_root(const lh_objstore *s) { (void)s; return NULL; }
static void dead_destroy(lh_objstore *s) { free(s->name); free(s); }

static const lh_objstore_ops DEAD_OPS = {
    "unavailable", dead_get, dead_wopen, dead_head, dead_list, dead_del, dead_probe, dead_root, dead_destroy,
};

static lh_objstore *dead_new(const char *name, const char *reason)
{
    dead_store *d = lh_xcalloc(1, sizeof *d);
    d->base.ops = &DEAD_OPS;
    d->base.name = lh_xstrdup(name);
    snprintf(d->reason, sizeof d->reason, "%.*s", (int)sizeof d->reason - 1, reason);
    return &d->base;
}

/* ---- open ---- */

static int open_backend(const lh_bucket_cfg *bc, const lh_secrets *sec, lh_objstore **out, lh_err *err)
{
    if (!strcmp(bc->backend, "local"))
        return lh_objstore_local_new(bc->name, bc->root, out, err);
    if (bc->secret_ref[0] && !lh_secrets_has(sec, bc->secret_ref))
        return lh_err_set(err, LH_EINVAL, "secret_ref_unknown",
                          "bucket \"%s\" names secret_ref \"%s\", which the secrets file does not define",
                          bc->name, bc->secret_ref);
    const char *ref = bc->secret_ref;
    lh_s3_opts o = {
        .name = bc->name, .endpoint = bc->endpoint, .bucket = bc->bucket, .region = bc->region,
        .virtual_host = !strcmp(bc->addressing, "virtual"), .secret_ref = ref,
        .access_key = ref[0] ? lh_secrets_get(sec, ref, "access_key_id") : NULL,
        .secret_key = ref[0] ? lh_secrets_get(sec, ref, "secret_access_key") : NULL,
        .session_token = ref[0] ? lh_secrets_get(sec, ref, "session_token") : NULL,
        .multipart_threshold = (uint64_t)bc->multipart_threshold, .part_size = (uint64_t)bc->part_size,
        .parallel_parts = (int)bc->parallel_parts, .max_retries = (int)bc->max_retries,
        .timeout_ms = bc->timeout_ms, .retry_budget_ms = bc->retry_budget_ms,
        .create_mode = !strcmp(bc->conditional_create, "lock") ? LH_S3_CREATE_LOCK : LH_S3_CREATE_AUTO,
    };
    lh_err e;
    if (lh_objstore_s3_new(&o, out, &e) == 0) return 0;
    /* Keep the bucket visible and failing with the reason: one bad tenant
     * entry must not stop the server. */
    *out = dead_new(bc->name, e.msg);
    lh_warn("bucket %s: %s; the bucket will report unavailable", bc->name, e.msg);
    return 0;
}

int lh_registry_open(const lh_config *cfg, lh_registry **out, lh_err *err)
{
    *out = NULL;
    lh_registry *reg = lh_xcalloc(1, sizeof *reg);
    int need_secrets = 0;
    for (size_t i = 0; i < cfg->n_buckets; i++) need_secrets |= cfg->buckets[i].secret_ref[0] != '\0';
    if (need_secrets) {
        int rc = lh_secrets_open(cfg->storage_secrets_file, &reg->secrets, err);
        if (rc) { free(reg); return rc; }
    } else {
        reg->secrets = lh_secrets_empty();
    }

    /* primary first, so index 0 is always the primary */
    reg->b = lh_xcalloc(cfg->n_buckets, sizeof *reg->b);
    const lh_bucket_cfg *order[cfg->n_buckets];
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_buckets; i++)
        if (!strcmp(cfg->buckets[i].name, "primary")) order[k++] = &cfg->buckets[i];
    for (size_t i = 0; i < cfg->n_buckets; i++)
        if (strcmp(cfg->buckets[i].name, "primary")) order[k++] = &cfg->buckets[i];

    for (size_t i = 0; i < k; i++) {
        const lh_bucket_cfg *bc = order[i];
        bucket *b = &reg->b[reg->n];
        int rc = open_backend(bc, reg->secrets, &b->raw, err);
        if (rc) {
            lh_err_prefix(err, "opening bucket \"%s\"", bc->name);
            lh_registry_free(reg);
            return rc;
        }
        reg->n++;
        char loc[1200];
        if (!strcmp(bc->backend, "local")) snprintf(loc, sizeof loc, "%s", bc->root);
        else snprintf(loc, sizeof loc, "%s/%s", bc->endpoint[0] ? bc->endpoint : "(aws)", bc->bucket);
        b->location = lh_xstrdup(loc);
        b->desc.name = lh_objstore_name(b->raw);
        b->desc.backend = bc->backend;
        b->desc.location = b->location;
        b->desc.is_primary = i == 0;
        b->desc.is_rescue = cfg->storage_rescue_bucket[0] && !strcmp(cfg->storage_rescue_bucket, bc->name);
        if (b->desc.is_rescue) reg->rescue = b;
    }

    int any_remote = 0;
    for (size_t i = 0; i < reg->n; i++) any_remote |= lh_objstore_local_root(reg->b[i].raw) == NULL;
    if (any_remote) {
        lh_buf d = LH_BUF_INIT;
        const char *root = lh_objstore_local_root(reg->b[0].raw);
        const char *t = getenv("TMPDIR");
        if (cfg->storage_cache_dir[0]) lh_buf_puts(&d, cfg->storage_cache_dir);
        else if (root) lh_buf_printf(&d, "%s/.lakehouse/s3-cache", root);
        else lh_buf_printf(&d, "%s/lakehouse-s3-cache", t && *t ? t : "/tmp");
        int crc = lh_cache_open(d.data, (uint64_t)cfg->storage_cache_max_bytes, &reg->cache, err);
        lh_buf_free(&d);
        if (crc) { lh_registry_free(reg); return crc; }
    }

    lh_append_log_opts jo = {
        .flush_events = (size_t)cfg->storage_journal_flush_events,
        .flush_interval_ms = cfg->storage_journal_flush_interval_ms,
        .ring_size = (size_t)cfg->storage_journal_ring_size,
        .max_buffered = 100000,
    };
    int rc = lh_error_journal_new(reg->b[0].raw, &jo, &reg->journal, err);
    if (rc) { lh_registry_free(reg); return rc; }
    for (size_t i = 0; i < reg->n; i++) {
        lh_objstore_faulty_new(reg->b[i].raw, &reg->b[i].faulty, NULL);
        lh_objstore_journaled_new(reg->b[i].faulty, reg->journal, &reg->b[i].store);
    }
    *out = reg;
    return 0;
}

void lh_registry_free(lh_registry *reg)
{
    if (!reg) return;
    /* The journal writes to the primary's raw store: close it first. */
    if (reg->journal) {
        lh_err e;
        if (lh_append_log_flush(lh_error_journal_log(reg->journal), &e))
            lh_warn("error journal: final flush failed: %s", e.msg);
        lh_error_journal_free(reg->journal);
    }
    for (size_t i = 0; i < reg->n; i++) {
        lh_objstore_free(reg->b[i].store);  /* frees the faulty layer too */
        lh_objstore_free(reg->b[i].raw);
        free(reg->b[i].location);
    }
    free(reg->b);
    lh_cache_free(reg->cache);
    lh_secrets_free(reg->secrets);
    free(reg);
}

size_t lh_registry_count(const lh_registry *reg) { return reg->n; }

const lh_bucket_desc *lh_registry_desc(const lh_registry *reg, size_t i)
{
    return i < reg->n ? &reg->b[i].desc : NULL;
}

static bucket *find(lh_registry *reg, const char *name, lh_err *err)
{
    for (size_t i = 0; i < reg->n; i++)
        if (!strcmp(reg->b[i].desc.name, name)) return &reg->b[i];
    lh_err_set(err, LH_ENOTFOUND, "bucket_not_found", "no bucket named \"%s\" is configured "
               "(GET /storage/buckets lists them)", name);
    return NULL;
}

lh_objstore *lh_registry_bucket(lh_registry *reg, const char *name, lh_err *err)
{
    bucket *b = find(reg, name, err);
    return b ? b->store : NULL;
}

lh_objstore *lh_registry_primary(lh_registry *reg) { return reg->b[0].store; }

lh_error_journal *lh_registry_errors(lh_registry *reg) { return reg->journal; }

int lh_registry_inject_fault(lh_registry *reg, const char *bucket_name, int mask, int status, lh_err *err)
{
    bucket *b = find(reg, bucket_name, err);
    if (!b) return LH_ENOTFOUND;
    lh_objstore_faulty_set(b->faulty, mask, status);
    return 0;
}

/* Should a read that failed with `status` be retried on the rescue bucket? */
static int wants_rescue(lh_registry *reg, bucket *b, int status)
{
    return reg->rescue && reg->rescue != b &&
           (status == LH_EUNAVAIL || status == LH_EIO || status == LH_ETIMEOUT);
}

/* After a failed rescue attempt keep the original error, noting the rescue's. */
static void note_rescue_failed(lh_err *err, const lh_err *orig, const lh_err *rescue_err, const char *rescue)
{
    if (!err) return;
    *err = *orig;
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, " (rescue bucket \"%s\" could not serve it either: %s)",
             rescue, rescue_err->msg);
}

#define WITH_RESCUE(call_on)                                                            \
    do {                                                                                \
        if (rescue_used) *rescue_used = 0;                                              \
        bucket *b = find(reg, bucket_name, err);                                        \
        if (!b) return LH_ENOTFOUND;                                                    \
        lh_err first;                                                                   \
        int rc = call_on(b->store, &first);                                             \
        if (rc == 0) return 0;                                                          \
        if (!wants_rescue(reg, b, rc)) { if (err) *err = first; return rc; }            \
        lh_err second;                                                                  \
        int rc2 = call_on(reg->rescue->store, &second);                                 \
        if (rc2 == 0) {                                                                 \
            lh_info("bucket %s: read served by rescue bucket %s (%s)", bucket_name,     \
                    reg->rescue->desc.name, first.msg);                                 \
            if (rescue_used) *rescue_used = 1;                                          \
            return 0;                                                                   \
        }                                                                               \
        note_rescue_failed(err, &first, &second, reg->rescue->desc.name);               \
        return rc;                                                                      \
    } while (0)

int lh_registry_get(lh_registry *reg, const char *bucket_name, const char *key, lh_range range,
                    lh_obj_reader **out, lh_obj_info *info, int *rescue_used, lh_err *err)
{
#define CALL(store, e) lh_objstore_get(store, key, range, out, info, e)
    WITH_RESCUE(CALL);
#undef CALL
}

int lh_registry_head(lh_registry *reg, const char *bucket_name, const char *key,
                     lh_obj_info *info, int *rescue_used, lh_err *err)
{
#define CALL(store, e) lh_objstore_head(store, key, info, e)
    WITH_RESCUE(CALL);
#undef CALL
}

int lh_registry_list(lh_registry *reg, const char *bucket_name, const lh_list_opts *opts,
                     lh_list *out, int *rescue_used, lh_err *err)
{
#define CALL(store, e) lh_objstore_list(store, opts, out, e)
    WITH_RESCUE(CALL);
#undef CALL
}

int lh_registry_probe(lh_registry *reg, size_t i, int64_t *latency_us, lh_err *err)
{
    int64_t t0 = lh_mono_us();
    int rc = lh_objstore_probe(reg->b[i].store, err);
    *latency_us = lh_mono_us() - t0;
    return rc;
}

/* ---- local files ---- */

typedef struct cache_src {
    lh_registry *reg;
    const char  *bucket, *key;
} cache_src;

static int cs_head(void *ctx, lh_obj_info *info, lh_err *err)
{
    cache_src *c = ctx;
    return lh_registry_head(c->reg, c->bucket, c->key, info, NULL, err);
}

/* A cache fill is fsynced: the cache renames it into place and a later run
 * trusts it by its ETag alone, so it must not be a torn file after a crash. */
static int cs_fetch(void *ctx, const char *path, lh_obj_info *info, lh_err *err)
{
    cache_src *c = ctx;
    lh_obj_reader *r;
    int rc = lh_registry_get(c->reg, c->bucket, c->key, LH_RANGE_ALL, &r, info, NULL, err);
    if (rc) return rc;
    rc = lh_obj_reader_to_file(r, c->bucket, c->key, path, LH_FILE_FSYNC, err);
    lh_obj_reader_close(r);
    return rc;
}

static int local_path(lh_registry *reg, const char *bucket_name, const char *key, int pin, lh_buf *out,
                      lh_err *err)
{
    bucket *b = find(reg, bucket_name, err);
    if (!b) return LH_ENOTFOUND;
    int rc = lh_key_validate(key, err);
    if (rc) return rc;
    const char *root = lh_objstore_local_root(b->raw);
    if (root) {
        lh_buf_reset(out);
        lh_buf_printf(out, "%s/%s", root, key);
        return 0;
    }
    if (!reg->cache)
        return lh_err_set(err, LH_EINTERNAL, "cache_missing", "bucket \"%s\" is not local and no cache is open",
                          bucket_name);
    cache_src cs = {reg, bucket_name, key};
    lh_cache_source src = {cs_head, cs_fetch, &cs};
    return pin ? lh_cache_pin_path(reg->cache, bucket_name, key, &src, out, err)
               : lh_cache_path(reg->cache, bucket_name, key, &src, out, err);
}

int lh_registry_local_path(lh_registry *reg, const char *bucket_name, const char *key, lh_buf *out, lh_err *err)
{
    return local_path(reg, bucket_name, key, 0, out, err);
}

int lh_registry_local_path_pinned(lh_registry *reg, const char *bucket_name, const char *key, lh_buf *out,
                                  lh_err *err)
{
    return local_path(reg, bucket_name, key, 1, out, err);
}

void lh_registry_local_unpin(lh_registry *reg, const char *bucket_name, const char *key)
{
    bucket *b = find(reg, bucket_name, NULL);
    if (b && reg->cache && !lh_objstore_local_root(b->raw)) lh_cache_unpin(reg->cache, bucket_name, key);
}

void lh_registry_cache_offer(lh_registry *reg, const char *bucket_name, const char *key, const char *path,
                             const char *etag)
{
    bucket *b = find(reg, bucket_name, NULL);
    if (!b || !reg->cache || lh_objstore_local_root(b->raw)) return;
    lh_err e;
    if (lh_cache_offer(reg->cache, bucket_name, key, path, etag, &e))
        lh_warn("cache: %s/%s not cached on write (%s); it will be fetched on first use", bucket_name, key, e.msg);
}

size_t lh_registry_local_dirs(lh_registry *reg, const char *prefix, char ***out)
{
    size_t nb = lh_registry_count(reg), nd = 0;
    char **dirs = lh_xcalloc(nb + 1, sizeof *dirs);
    const char *cache = lh_registry_cache_dir(reg);
    for (size_t i = 0; i < nb; i++) {
        const char *bname = lh_registry_desc(reg, i)->name;
        lh_objstore *s = lh_registry_bucket(reg, bname, NULL);
        const char *root = s ? lh_objstore_local_root(s) : NULL;
        char abs[PATH_MAX];
        lh_buf d = LH_BUF_INIT;
        if (root && realpath(root, abs)) lh_buf_printf(&d, "%s/%s", abs, prefix);
        else if (!root && cache) lh_buf_printf(&d, "%s/%s/%s", cache, bname, prefix);
        else continue;
        dirs[nd++] = lh_buf_detach(&d);
    }
    *out = dirs;
    return nd;
}

const char *lh_registry_cache_dir(lh_registry *reg) { return lh_cache_dir(reg->cache); }

int lh_registry_cache_stats(lh_registry *reg, lh_cache_stats *out)
{
    if (!reg->cache) return LH_ENOTFOUND;
    lh_cache_stats_get(reg->cache, out);
    return 0;
}

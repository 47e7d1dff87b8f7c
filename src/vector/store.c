/* vector/store.c — where vector indexes live in the bucket.
 *
 * The index document is versioned like a catalog manifest: each change is
 * a new object _vectors/{index}/meta/v{K:012}.json created create-only, so
 * two writers racing for K cannot both win and a crash leaves either the
 * old document or the new one. Generation files are written before the
 * document that names them, so a document never names a missing file.
 */
#include "core/id.h"
#include "core/log.h"
#include "storage/objstore.h"
#include "vector/service_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lh__vkey_gen(lh_buf *out, const char *index, int64_t generation, const char *file)
{
    lh_buf_printf(out, "%s%s/g%06lld/%s", LH_VECTORS_PREFIX, index, (long long)generation, file);
}

int lh__vmeta_commit(lh_vectors *v, const char *index, int64_t version, json_t *doc, lh_err *err)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    lh_buf key = LH_BUF_INIT;
    lh_buf_printf(&key, "%s%s/meta/v%012lld.json", LH_VECTORS_PREFIX, index, (long long)version);
    int rc = lh_objstore_put(v->store, key.data, text, strlen(text), LH_PUT_CREATE_ONLY, NULL, err);
    if (rc == LH_EEXIST)
        rc = lh_err_set(err, LH_ECONFLICT, "concurrent_commit",
                        "index %s changed while this change was made (version %lld exists); retry", index,
                        (long long)version);
    lh_buf_free(&key);
    free(text);
    return rc;
}

typedef struct scan_ctx {
    char   **keys;
    size_t   n, cap;
} scan_ctx;

static int collect(void *ctx, const lh_list *page)
{
    scan_ctx *s = ctx;
    for (size_t i = 0; i < page->n_objects; i++) {
        const char *k = page->objects[i].key;
        if (!strstr(k, "/meta/v")) continue;
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->keys = lh_xrealloc(s->keys, s->cap * sizeof *s->keys);
        }
        s->keys[s->n++] = lh_xstrdup(k);
    }
    return 0;
}

/* Parse "_vectors/{name}/meta/v{K}.json" into name and K. */
static int parse_meta_key(const char *key, char *name, size_t namesz, int64_t *version)
{
    const char *p = key + strlen(LH_VECTORS_PREFIX);
    const char *slash = strchr(p, '/');
    if (!slash || (size_t)(slash - p) >= namesz || strncmp(slash, "/meta/v", 7)) return -1;
    memcpy(name, p, (size_t)(slash - p));
    name[slash - p] = 0;
    char *end = NULL;
    long long k = strtoll(slash + 7, &end, 10);
    if (!end || strcmp(end, ".json") || k <= 0) return -1;
    *version = k;
    return 0;
}

int lh__vmeta_scan(lh_vectors *v, int (*cb)(void *ctx, const char *name, int64_t version, json_t *doc), void *ctx,
                   lh_err *err)
{
    scan_ctx s = {0};
    lh_list_opts lo = {.prefix = LH_VECTORS_PREFIX};
    int rc = lh_objstore_list_each(v->store, &lo, collect, &s, err);
    /* Keys are sorted bytewise and versions are zero-padded, so the last
     * meta key of each index is its newest version. */
    for (size_t i = 0; !rc && i < s.n; i++) {
        char name[128], next[128];
        int64_t ver, nver;
        if (parse_meta_key(s.keys[i], name, sizeof name, &ver)) continue;
        if (i + 1 < s.n && !parse_meta_key(s.keys[i + 1], next, sizeof next, &nver) && !strcmp(name, next)) continue;
        lh_buf body = LH_BUF_INIT;
        lh_err e;
        if (lh_objstore_get_buf(v->store, s.keys[i], LH_RANGE_ALL, &body, NULL, &e)) {
            lh_warn("vectors: cannot read %s: %s", s.keys[i], e.msg);
        } else {
            json_error_t je;
            json_t *doc = json_loadb(body.data ? body.data : "", body.len, 0, &je);
            if (!doc || !json_is_object(doc))
                lh_warn("vectors: %s is not a JSON object (%s); index %s skipped", s.keys[i], je.text, name);
            else
                rc = cb(ctx, name, ver, doc);
            json_decref(doc);
        }
        lh_buf_free(&body);
    }
    for (size_t i = 0; i < s.n; i++) free(s.keys[i]);
    free(s.keys);
    return rc;
}

void lh__vscratch(lh_vectors *v, const char *suffix, lh_buf *out)
{
    char id[33];
    lh_hex_id(id, 8);
    lh_buf_printf(out, "%s/tmp-%s-%s", v->cache_dir, id, suffix);
}

int lh__vlocal_path(lh_vectors *v, const char *key, lh_buf *out, lh_err *err)
{
    return lh_registry_local_path(v->reg, lh_objstore_name(v->store), key, out, err);
}

static int collect_all(void *ctx, const lh_list *page)
{
    scan_ctx *s = ctx;
    for (size_t i = 0; i < page->n_objects; i++) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->keys = lh_xrealloc(s->keys, s->cap * sizeof *s->keys);
        }
        s->keys[s->n++] = lh_xstrdup(page->objects[i].key);
    }
    return 0;
}

int lh__vdelete_all(lh_vectors *v, const char *index, lh_err *err)
{
    lh_buf prefix = LH_BUF_INIT;
    lh_buf_printf(&prefix, "%s%s/", LH_VECTORS_PREFIX, index);
    scan_ctx s = {0};
    lh_list_opts lo = {.prefix = prefix.data};
    int rc = lh_objstore_list_each(v->store, &lo, collect_all, &s, err);
    /* Generation files sort before meta/ ("g" < "m"), and meta versions
     * oldest first: the newest document (the tombstone) goes last, so a
     * crash part-way leaves the index deleted, never resurrected. */
    for (size_t i = 0; !rc && i < s.n; i++) {
        rc = lh_objstore_delete(v->store, s.keys[i], err);
        if (rc == LH_ENOTFOUND) rc = 0;
    }
    for (size_t i = 0; i < s.n; i++) free(s.keys[i]);
    free(s.keys);
    lh_buf_free(&prefix);
    return rc;
}

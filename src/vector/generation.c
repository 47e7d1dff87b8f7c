/* vector/generation.c — loaded generations and the lazy loading of them.
 *
 * A generation in memory is its graph (mapped from the sidecar) and the
 * label → doc id table (read from embeddings.parquet, in file row order,
 * which is label order), with a hash from id back to label for filters.
 * Generations are reference-counted; the index holds one reference on its
 * active generation and every search holds one while it runs, so swapping
 * the active pointer never waits and never frees under a reader.
 */
#include "core/log.h"
#include "vector/service_impl.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

lh_vgen *lh__vgen_new(const char *index, int64_t generation, lh_hnsw *h, char **ids, size_t n)
{
    lh_vgen *g = lh_xcalloc(1, sizeof *g);
    atomic_init(&g->refs, 1);
    g->index = lh_xstrdup(index);
    g->generation = generation;
    g->h = h;
    g->ids = ids;
    g->n = n;
    g->nslots = 16;
    while (g->nslots < n * 2) g->nslots *= 2;
    g->slots = lh_xcalloc(g->nslots, sizeof *g->slots);
    for (size_t i = 0; i < n; i++) {
        size_t s = hash_id(ids[i]) & (g->nslots - 1);
        while (g->slots[s]) s = (s + 1) & (g->nslots - 1);
        g->slots[s] = (uint32_t)i + 1;
    }
    return g;
}

int lh__vids_unique(const char *const *ids, size_t n, lh_err *err)
{
    size_t nslots = 16;
    while (nslots < n * 2) nslots *= 2;
    uint32_t *slots = lh_xcalloc(nslots, sizeof *slots);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t s = hash_id(ids[i]) & (nslots - 1);
        for (; slots[s]; s = (s + 1) & (nslots - 1))
            if (!strcmp(ids[slots[s] - 1], ids[i])) {
                rc = lh_err_set(err, LH_EINVAL, "duplicate_id",
                                "id \"%.100s\" appears more than once (rows %u and %zu): ids must be unique", ids[i],
                                slots[s], i + 1);
                break;
            }
        slots[s] = (uint32_t)i + 1;
    }
    free(slots);
    return rc;
}

int64_t lh__vgen_label(const lh_vgen *g, const char *id)
{
    size_t s = hash_id(id) & (g->nslots - 1);
    while (g->slots[s]) {
        uint32_t l = g->slots[s] - 1;
        if (!strcmp(g->ids[l], id)) return l;
        s = (s + 1) & (g->nslots - 1);
    }
    return -1;
}

lh_vgen *lh__vgen_ref(lh_vgen *g)
{
    if (g) atomic_fetch_add(&g->refs, 1);
    return g;
}

void lh__vgen_unref(lh_vgen *g)
{
    if (!g || atomic_fetch_sub(&g->refs, 1) != 1) return;
    lh_hnsw_free(g->h);
    for (size_t i = 0; i < g->n; i++) free(g->ids[i]);
    free(g->ids);
    free(g->slots);
    free(g->index);
    free(g);
}

lh_vidx *lh__vidx_find(lh_vectors *v, const char *name, lh_err *err)
{
    lh_vidx *found = NULL;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n && !found; i++)
        if (!strcmp(v->idx[i]->name, name)) found = v->idx[i];
    pthread_mutex_unlock(&v->mu);
    if (!found) lh_err_set(err, LH_ENOTFOUND, "index_not_found", "no vector index named \"%s\"", name);
    return found;
}

json_t *lh__vmeta_generation(json_t *doc, int64_t generation)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(doc, "generations"), i, g)
        if (json_integer_value(json_object_get(g, "generation")) == generation) return g;
    return NULL;
}

/* The ids of a generation, in label order. */
static int read_ids(lh_vectors *v, const char *path, size_t expect, char ***out, lh_err *err)
{
    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(v->engine, &c, err);
    if (rc) return rc;
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT doc_id FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_puts(&sql, ", file_row_number = true) ORDER BY file_row_number");
    lh_engine_result *res = NULL;
    char **ids = lh_xcalloc(expect ? expect : 1, sizeof *ids);
    size_t n = 0;
    rc = lh_engine_query(c, sql.data, &res, err);
    lh_buf txt = LH_BUF_INIT;
    while (!rc) {
        lh_chunk *ch = NULL;
        if ((rc = lh_result_next(res, &ch, err)) || !ch) break;
        for (size_t r = 0; r < lh_chunk_rows(ch) && !rc; r++) {
            if (n == expect) {
                rc = lh_err_set(err, LH_EINTERNAL, "generation_mismatch", "%s holds more rows than the graph (%zu)",
                                path, expect);
                break;
            }
            lh_buf_reset(&txt);
            lh_chunk_text(ch, 0, r, &txt);
            ids[n++] = lh_xstrdup(txt.data ? txt.data : "");
        }
        lh_chunk_free(ch);
    }
    if (!rc && n != expect)
        rc = lh_err_set(err, LH_EINTERNAL, "generation_mismatch", "%s holds %zu rows, the graph %zu", path, n, expect);
    lh_buf_free(&txt);
    lh_result_free(res);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    if (rc) {
        for (size_t i = 0; i < n; i++) free(ids[i]);
        free(ids);
        return rc;
    }
    *out = ids;
    return 0;
}

int lh__vgen_load(lh_vectors *v, const char *index, int64_t generation, lh_vgen **out, lh_err *err)
{
    *out = NULL;
    lh_buf key = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_hnsw *h = NULL;
    char **ids = NULL;
    lh__vkey_gen(&key, index, generation, "hnsw.bin");
    int rc = lh__vlocal_path(v, key.data, &path, err);
    if (!rc) rc = lh_hnsw_load(path.data, &h, err);
    if (!rc) {
        lh_buf_reset(&key);
        lh_buf_reset(&path);
        lh__vkey_gen(&key, index, generation, "embeddings.parquet");
        rc = lh__vlocal_path(v, key.data, &path, err);
        if (!rc) rc = read_ids(v, path.data, lh_hnsw_count(h), &ids, err);
    }
    if (rc) {
        /* A bad file in the bucket is the server's problem, not the caller's. */
        if (err->status == LH_EINVAL) err->status = LH_EIO;
        lh_err_prefix(err, "loading generation %lld of index %s", (long long)generation, index);
        lh_hnsw_free(h);
    } else {
        *out = lh__vgen_new(index, generation, h, ids, lh_hnsw_count(h));
        atomic_fetch_add(&v->loads, 1);
        lh_info("vectors: loaded %s generation %lld (%zu vectors)", index, (long long)generation, lh_hnsw_count(h));
    }
    lh_buf_free(&key);
    lh_buf_free(&path);
    return rc;
}

int lh__vidx_active(lh_vectors *v, lh_vidx *ix, lh_vgen **out, lh_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&ix->mu);
    if (json_is_true(json_object_get(ix->meta, "deleted"))) {
        pthread_mutex_unlock(&ix->mu);
        return lh_err_set(err, LH_ENOTFOUND, "index_not_found", "no vector index named \"%s\"", ix->name);
    }
    if (ix->active) {
        *out = lh__vgen_ref(ix->active);
        pthread_mutex_unlock(&ix->mu);
        atomic_fetch_add(&v->hits, 1);
        atomic_fetch_add(&(*out)->hits, 1);
        return 0;
    }
    int64_t want = json_integer_value(json_object_get(ix->meta, "active_generation"));
    pthread_mutex_unlock(&ix->mu);
    if (want <= 0)
        return lh_err_set(err, LH_EUNAVAIL, "index_building", "index %s has no generation yet (it is being built)",
                          ix->name);
    atomic_fetch_add(&v->misses, 1);
    lh_vgen *g = NULL;
    int rc = lh__vgen_load(v, ix->name, want, &g, err);
    if (rc) return rc;
    pthread_mutex_lock(&ix->mu);
    /* Another thread may have loaded it, or a swap happened meanwhile:
     * keep whatever is installed if it is at least as new. */
    if (!ix->active && json_integer_value(json_object_get(ix->meta, "active_generation")) == want) {
        ix->active = g;
        g = NULL;
    }
    *out = ix->active ? lh__vgen_ref(ix->active) : NULL;
    pthread_mutex_unlock(&ix->mu);
    if (g && !*out) {
        *out = g;  /* superseded while loading: serve this search from it */
        return 0;
    }
    lh__vgen_unref(g);
    if (*out) atomic_fetch_add(&(*out)->hits, 1);
    return 0;
}

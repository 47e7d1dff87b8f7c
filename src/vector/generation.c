/* vector/generation.c — loaded generations and the lazy loading of them.
 *
 * A generation in memory is its graph (mapped from the sidecar) and the
 * label → doc id table (read from embeddings.parquet, in file row order,
 * which is label order), with a hash from id back to label for filters.
 * Generations are reference-counted; the index holds one reference on its
 * active generation and every search holds one while it runs, so swapping
 * the active pointer never waits and never frees under a reader. A lazy
 * load is single-flight (lh__vidx_active): one search loads, the searches
 * that miss meanwhile wait for it and share its outcome.
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

void lh__vrows_free(lh_vrows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->ids) free(r->ids[i]);
        if (r->texts) free(r->texts[i]);
        if (r->hashes) free(r->hashes[i]);
    }
    free(r->ids);
    free(r->chunk_ids);
    free(r->texts);
    free(r->hashes);
    free(r->vectors);
    memset(r, 0, sizeof *r);
}

void lh__vrows_from(lh_vrows *r, lh_embeddings *e)
{
    *r = (lh_vrows){.n = e->n, .dim = e->dim, .ids = e->ids, .chunk_ids = e->chunk_ids, .texts = e->texts,
                    .hashes = e->hashes, .vectors = e->vectors};
    memset(e, 0, sizeof *e);
}

lh_vgen *lh__vgen_new(const char *index, int64_t generation, lh_hnsw *h, lh_vrows *rows)
{
    lh_vgen *g = lh_xcalloc(1, sizeof *g);
    atomic_init(&g->refs, 1);
    g->index = lh_xstrdup(index);
    g->generation = generation;
    g->h = h;
    g->n = rows->n;
    g->ids = rows->ids;
    g->chunk_ids = rows->chunk_ids;
    g->texts = rows->texts;
    rows->ids = NULL;
    rows->chunk_ids = NULL;
    rows->texts = NULL;
    lh__vrows_free(rows);
    g->nslots = 16;
    while (g->nslots < g->n * 2) g->nslots *= 2;
    g->slots = lh_xcalloc(g->nslots, sizeof *g->slots);
    for (size_t i = 0; i < g->n; i++) {
        size_t s = hash_id(g->ids[i]) & (g->nslots - 1);
        while (g->slots[s]) s = (s + 1) & (g->nslots - 1);
        g->slots[s] = (uint32_t)i + 1;
    }
    return g;
}

int lh__vids_unique(const lh_vrows *rows, lh_err *err)
{
    size_t n = rows->n, nslots = 16;
    while (nslots < n * 2) nslots *= 2;
    uint32_t *slots = lh_xcalloc(nslots, sizeof *slots);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int32_t ci = rows->chunk_ids ? rows->chunk_ids[i] : 0;
        size_t s = hash_id(rows->ids[i]) & (nslots - 1);
        for (; slots[s]; s = (s + 1) & (nslots - 1)) {
            uint32_t j = slots[s] - 1;
            if (!strcmp(rows->ids[j], rows->ids[i]) && (rows->chunk_ids ? rows->chunk_ids[j] : 0) == ci) {
                rc = lh_err_set(err, LH_EINVAL, "duplicate_id",
                                "id \"%.100s\" appears more than once (rows %u and %zu): ids must be unique",
                                rows->ids[i], j + 1, i + 1);
                break;
            }
        }
        if (!rc) slots[s] = (uint32_t)i + 1;
    }
    free(slots);
    return rc;
}

size_t lh__vgen_allow(const lh_vgen *g, const char *id, lh_bitset *b)
{
    size_t n = 0;
    for (size_t s = hash_id(id) & (g->nslots - 1); g->slots[s]; s = (s + 1) & (g->nslots - 1)) {
        uint32_t l = g->slots[s] - 1;
        if (!strcmp(g->ids[l], id)) {
            lh_bitset_set(b, l);
            n++;
        }
    }
    return n;
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
    for (size_t i = 0; i < g->n; i++) {
        free(g->ids[i]);
        if (g->texts) free(g->texts[i]);
    }
    free(g->ids);
    free(g->chunk_ids);
    free(g->texts);
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

/* The ids, chunk numbers and chunk texts of a generation, in label order. */
static int read_rows(lh_vectors *v, const char *path, size_t expect, lh_vrows *out, lh_err *err)
{
    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(v->engine, &c, err);
    if (rc) return rc;
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT doc_id, chunk_id, chunk_text FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_puts(&sql, ", file_row_number = true) ORDER BY file_row_number");
    lh_engine_result *res = NULL;
    lh_vrows r = {0};
    size_t cap = expect ? expect : 1;
    r.ids = lh_xcalloc(cap, sizeof *r.ids);
    r.chunk_ids = lh_xcalloc(cap, sizeof *r.chunk_ids);
    r.texts = lh_xcalloc(cap, sizeof *r.texts);
    int any_text = 0;
    rc = lh_engine_query(c, sql.data, &res, err);
    lh_buf txt = LH_BUF_INIT;
    while (!rc) {
        lh_chunk *ch = NULL;
        if ((rc = lh_result_next(res, &ch, err)) || !ch) break;
        for (size_t i = 0; i < lh_chunk_rows(ch) && !rc; i++) {
            if (r.n == expect) {
                rc = lh_err_set(err, LH_EINTERNAL, "generation_mismatch", "%s holds more rows than the graph (%zu)",
                                path, expect);
                break;
            }
            lh_buf_reset(&txt);
            lh_chunk_text(ch, 0, i, &txt);
            r.ids[r.n] = lh_xstrdup(txt.data ? txt.data : "");
            int64_t ci = 0;
            if (!lh_chunk_is_null(ch, 1, i)) lh_chunk_int64(ch, 1, i, &ci, NULL);
            r.chunk_ids[r.n] = (int32_t)ci;
            if (!lh_chunk_is_null(ch, 2, i)) {
                lh_buf_reset(&txt);
                lh_chunk_text(ch, 2, i, &txt);
                r.texts[r.n] = lh_xstrdup(txt.data ? txt.data : "");
                any_text = 1;
            }
            r.n++;
        }
        lh_chunk_free(ch);
    }
    if (!rc && r.n != expect)
        rc = lh_err_set(err, LH_EINTERNAL, "generation_mismatch", "%s holds %zu rows, the graph %zu", path, r.n, expect);
    lh_buf_free(&txt);
    lh_result_free(res);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    if (!rc && !any_text) {  /* vectors given directly: no chunks to keep */
        free(r.texts);
        r.texts = NULL;
        free(r.chunk_ids);
        r.chunk_ids = NULL;
    }
    if (rc) lh__vrows_free(&r);
    else *out = r;
    return rc;
}

int lh__vgen_load(lh_vectors *v, const char *index, int64_t generation, lh_vgen **out, lh_err *err)
{
    *out = NULL;
    lh_buf key = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_hnsw *h = NULL;
    lh_vrows rows = {0};
    lh__vkey_gen(&key, index, generation, "hnsw.bin");
    int rc = lh__vlocal_path(v, key.data, &path, err);
    if (!rc) rc = lh_hnsw_load(path.data, &h, err);
    if (!rc) {
        lh_buf_reset(&key);
        lh_buf_reset(&path);
        lh__vkey_gen(&key, index, generation, "embeddings.parquet");
        rc = lh__vlocal_path(v, key.data, &path, err);
        if (!rc) rc = read_rows(v, path.data, lh_hnsw_count(h), &rows, err);
    }
    if (rc) {
        /* A bad or missing file of a generation the index document names
         * is the server's problem, not the caller's (a 5xx, not 400/404). */
        if (err->status == LH_EINVAL || err->status == LH_ENOTFOUND) err->status = LH_EIO;
        lh_err_prefix(err, "loading generation %lld of index %s", (long long)generation, index);
        lh_hnsw_free(h);
    } else {
        *out = lh__vgen_new(index, generation, h, &rows);
        atomic_fetch_add(&v->loads, 1);
        lh_info("vectors: loaded %s generation %lld (%zu vectors)", index, (long long)generation, lh_hnsw_count(h));
    }
    lh_buf_free(&key);
    lh_buf_free(&path);
    return rc;
}

static void vload_free(lh_vload *f)
{
    if (!f) return;
    lh__vgen_unref(f->gen);
    pthread_cond_destroy(&f->cv);
    free(f);
}

/* The first search to miss loads the generation with ix->mu released; the
 * ones that miss while it runs join its lh_vload and sleep on its condition
 * variable (which releases mu too), so N concurrent first searches cost one
 * load, not N racing ones of which N-1 are thrown away. The load leaves
 * ix->loading before it wakes anyone, so a failure is shared by the
 * searches that waited for it and nobody else: the next search retries. */
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
    if (want <= 0) {
        pthread_mutex_unlock(&ix->mu);
        return lh_err_set(err, LH_EUNAVAIL, "index_building", "index %s has no generation yet (it is being built)",
                          ix->name);
    }
    atomic_fetch_add(&v->misses, 1);
    lh_vload *f = ix->loading;
    if (f && f->generation == want) {
        f->users++;
        while (!f->done) pthread_cond_wait(&f->cv, &ix->mu);
    } else {
        /* Nobody is loading this generation (an older load still running
         * after a swap keeps its own waiters). */
        f = lh_xcalloc(1, sizeof *f);
        f->generation = want;
        f->users = 1;
        pthread_cond_init(&f->cv, NULL);
        ix->loading = f;
        pthread_mutex_unlock(&ix->mu);
        lh_vgen *g = NULL;
        int rc = lh__vgen_load(v, ix->name, want, &g, err);
        pthread_mutex_lock(&ix->mu);
        if (ix->loading == f) ix->loading = NULL;
        f->done = 1;
        f->rc = rc;
        f->gen = g;
        if (rc) f->err = *err;
        /* A swap may have happened meanwhile: install only if this is
         * still the generation wanted and none is installed. */
        if (!rc && !ix->active && json_integer_value(json_object_get(ix->meta, "active_generation")) == want)
            ix->active = lh__vgen_ref(g);
        pthread_cond_broadcast(&f->cv);
    }
    int rc = f->rc;
    if (rc) *err = f->err;
    /* the installed generation (newer, if a swap won the race), else the
     * one loaded here: a search superseded while loading is served from it */
    else *out = lh__vgen_ref(ix->active ? ix->active : f->gen);
    lh_vload *last = --f->users == 0 ? f : NULL;
    pthread_mutex_unlock(&ix->mu);
    vload_free(last);
    if (*out) atomic_fetch_add(&(*out)->hits, 1);
    return rc;
}

/* vector/service.c — the index table: open, create, rebuild, activate,
 * list, delete.
 *
 * Every change to an index is one new version of its document (store.c),
 * made under the index's write lock, so changes from this process are
 * serialised and a second process racing for the same version gets a 409.
 * Builds run outside the table lock: while an index builds, searches keep
 * using its active generation. A name being created holds a placeholder
 * entry ("state": "building") so a second create of it is refused at once.
 */
#include "core/clock.h"
#include "core/log.h"
#include "vector/service_impl.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static lh_vidx *vidx_new(const char *name)
{
    lh_vidx *ix = lh_xcalloc(1, sizeof *ix);
    ix->name = lh_xstrdup(name);
    pthread_mutex_init(&ix->mu, NULL);
    pthread_mutex_init(&ix->write_mu, NULL);
    return ix;
}

static void vidx_free(lh_vidx *ix)
{
    assert(!ix->loading);  /* no search runs while the service is freed */
    lh__vgen_unref(ix->active);
    json_decref(ix->meta);
    pthread_mutex_destroy(&ix->mu);
    pthread_mutex_destroy(&ix->write_mu);
    free(ix->name);
    free(ix);
}

/* Any entry by name, deleted ones included (caller holds v->mu). */
static lh_vidx *find_any(lh_vectors *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->idx[i]->name, name)) return v->idx[i];
    return NULL;
}

static lh_vidx *add_entry(lh_vectors *v, const char *name)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->idx = lh_xrealloc(v->idx, v->cap * sizeof *v->idx);
    }
    lh_vidx *ix = vidx_new(name);
    v->idx[v->n++] = ix;
    return ix;
}

static int is_live(const lh_vidx *ix)
{
    return ix->meta && !json_is_true(json_object_get(ix->meta, "deleted"));
}

static int on_scanned(void *ctx, const char *name, int64_t version, json_t *doc)
{
    lh_vectors *v = ctx;
    lh_vidx *ix = add_entry(v, name);
    ix->meta = json_incref(doc);
    ix->meta_version = version;
    return 0;
}

int lh_vectors_open(const lh_vectors_opts *o, lh_vectors **out, lh_err *err)
{
    *out = NULL;
    lh_vectors *v = lh_xcalloc(1, sizeof *v);
    v->cat = o->cat;
    v->reg = lh_catalog_registry(o->cat);
    v->store = lh_registry_primary(v->reg);
    v->engine = lh_catalog_engine(o->cat);
    v->query = o->query;
    v->jobs = o->jobs;
    v->cache_dir = lh_xstrdup(o->cache_dir);
    v->build_threads = o->build_threads > 0 ? o->build_threads : 1;
    v->max_vectors = o->max_vectors ? o->max_vectors : 10000000;
    v->embedder = o->embedder;
    pthread_mutex_init(&v->mu, NULL);
    int rc = lh__vmeta_scan(v, on_scanned, v, err);
    if (!rc) rc = lh_append_log_new(v->store, LH_VECTORS_PREFIX "_trials/", NULL, &v->trials, err);
    if (rc) {
        lh_vectors_free(v);
        return rc;
    }
    size_t live = 0;
    for (size_t i = 0; i < v->n; i++) live += is_live(v->idx[i]);
    lh_info("vectors: %zu index(es) in the bucket", live);
    *out = v;
    return 0;
}

void lh_vectors_free(lh_vectors *v)
{
    if (!v) return;
    lh_append_log_free(v->trials);
    for (size_t i = 0; i < v->n; i++) vidx_free(v->idx[i]);
    free(v->idx);
    pthread_mutex_destroy(&v->mu);
    free(v->cache_dir);
    free(v);
}

/* A copy of the document with what this process knows about it. */
static json_t *describe(lh_vidx *ix)
{
    pthread_mutex_lock(&ix->mu);
    json_t *d = ix->meta ? json_deep_copy(ix->meta) : json_pack("{s:s}", "name", ix->name);
    json_object_set_new(d, "state", json_string(ix->building && !ix->meta ? "building" : "ready"));
    json_object_set_new(d, "building", json_boolean(ix->building));
    json_object_set_new(d, "loaded_generation",
                        ix->active ? json_integer(ix->active->generation) : json_null());
    pthread_mutex_unlock(&ix->mu);
    return d;
}

json_t *lh_vectors_list(lh_vectors *v)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&v->mu);
    lh_vidx **snap = lh_xcalloc(v->n ? v->n : 1, sizeof *snap);
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (is_live(v->idx[i]) || (v->idx[i]->building && !v->idx[i]->meta)) snap[n++] = v->idx[i];
    pthread_mutex_unlock(&v->mu);
    for (size_t i = 0; i < n; i++) {
        size_t m = i;
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(snap[j]->name, snap[m]->name) < 0) m = j;
        lh_vidx *t = snap[i];
        snap[i] = snap[m];
        snap[m] = t;
        json_array_append_new(arr, describe(snap[i]));
    }
    free(snap);
    return arr;
}

static lh_vidx *find_live(lh_vectors *v, const char *name, lh_err *err)
{
    pthread_mutex_lock(&v->mu);
    lh_vidx *ix = find_any(v, name);
    if (ix && !is_live(ix)) ix = NULL;
    pthread_mutex_unlock(&v->mu);
    if (!ix) lh_err_set(err, LH_ENOTFOUND, "index_not_found", "no vector index named \"%s\"", name);
    return ix;
}

int lh_vectors_get(lh_vectors *v, const char *name, json_t **out, lh_err *err)
{
    *out = NULL;
    lh_vidx *ix = find_live(v, name, err);
    if (!ix) return err->status;
    *out = describe(ix);
    return 0;
}

/* ---- create ---- */

/* Reserve `name` for a create: a fresh entry, or a deleted one reused (its
 * meta_version continues the numbering). */
static int reserve(lh_vectors *v, const char *name, lh_vidx **out, lh_err *err)
{
    *out = NULL;
    lh_err ne;
    if (lh_dataset_name_validate(name, &ne))
        return lh_err_set(err, LH_EINVAL, "invalid_index_name",
                          "index name \"%.80s\" is invalid: use lower-case letters, digits and '_', starting with a "
                          "letter, at most 63 characters",
                          name ? name : "");
    pthread_mutex_lock(&v->mu);
    lh_vidx *ix = find_any(v, name);
    int rc = 0;
    if (ix && (is_live(ix) || ix->building))
        rc = lh_err_set(err, LH_EEXIST, "index_exists", "a vector index named \"%s\" already exists", name);
    else {
        if (!ix) ix = add_entry(v, name);
        pthread_mutex_lock(&ix->mu);
        json_decref(ix->meta);
        ix->meta = NULL;
        ix->building = 1;
        pthread_mutex_unlock(&ix->mu);
        *out = ix;
    }
    pthread_mutex_unlock(&v->mu);
    return rc;
}

static void unreserve(lh_vidx *ix)
{
    pthread_mutex_lock(&ix->mu);
    ix->building = 0;
    pthread_mutex_unlock(&ix->mu);
}

/* Commit a new document for ix and install it (and gen, when given, as the
 * active generation). Caller holds ix->write_mu. doc is stolen. */
static int commit_doc(lh_vectors *v, lh_vidx *ix, json_t *doc, lh_vgen *gen, lh_err *err)
{
    int64_t ver = ix->meta_version + 1;
    char at[40];
    lh_time_format_us(lh_now_us(), at, sizeof at);
    json_object_set_new(doc, "version", json_integer(ver));
    json_object_set_new(doc, "updated_at", json_string(at));
    int rc = lh__vmeta_commit(v, ix->name, ver, doc, err);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    pthread_mutex_lock(&ix->mu);
    json_decref(ix->meta);
    ix->meta = doc;
    ix->meta_version = ver;
    lh_vgen *old = NULL;
    if (gen) {
        old = ix->active;
        ix->active = lh__vgen_ref(gen);
    }
    pthread_mutex_unlock(&ix->mu);
    lh__vgen_unref(old);
    return 0;
}

static json_t *new_doc(const lh_vindex_spec *s, uint32_t dim)
{
    char at[40];
    lh_time_format_us(lh_now_us(), at, sizeof at);
    json_t *d = json_pack("{s:s,s:s,s:s,s:i,s:{s:s,s:s},s:b,s:I,s:[]}", "name", s->name, "created_at", at, "metric",
                          lh_metric_name(s->metric), "dimensions", (int)dim, "model", "name",
                          s->model ? s->model : "user", "version", s->model_version ? s->model_version : "1",
                          "deleted", 0, "active_generation", (json_int_t)0, "generations");
    json_object_set_new(d, "source", json_string(s->n_text_columns ? "text" : s->dataset ? "dataset" : "vectors"));
    if (s->dataset) {
        json_object_set_new(d, "dataset", json_string(s->dataset));
        json_object_set_new(d, "id_column", json_string(s->id_column));
    }
    if (s->vector_column) json_object_set_new(d, "vector_column", json_string(s->vector_column));
    if (s->n_text_columns) {
        json_t *cols = json_array();
        for (size_t i = 0; i < s->n_text_columns; i++) json_array_append_new(cols, json_string(s->text_columns[i]));
        json_object_set_new(d, "text_columns", cols);
        json_object_set_new(d, "chunking", json_pack("{s:i,s:i}", "size", s->chunk_size, "overlap", s->chunk_overlap));
        json_object_set_new(d, "profile", s->profile ? json_string(s->profile) : json_null());
    }
    return d;
}

/* Record in a generation entry what embedded it (text indexes), and make
 * the document's top-level model and dimensions those of the active one. */
static void entry_model(json_t *entry, json_t *stats, const char *profile)
{
    if (!stats) return;
    json_object_set_new(entry, "model", json_pack("{s:O,s:O}", "name", json_object_get(stats, "model"), "version",
                                                  json_object_get(stats, "model_version")));
    json_object_set_new(entry, "profile", profile ? json_string(profile) : json_null());
    json_object_del(stats, "model");
    json_object_del(stats, "model_version");
    json_object_set(entry, "embedding", stats);
}

static void doc_follow_active(json_t *doc)
{
    json_t *g = lh__vmeta_generation(doc, json_integer_value(json_object_get(doc, "active_generation")));
    if (!g) return;
    if (json_object_get(g, "model")) json_object_set(doc, "model", json_object_get(g, "model"));
    if (json_object_get(g, "dimensions")) json_object_set(doc, "dimensions", json_object_get(g, "dimensions"));
    if (json_object_get(g, "profile")) json_object_set(doc, "profile", json_object_get(g, "profile"));
}

/* Build generation 1 from rows (taken) and commit the first document. */
static int create_common(lh_vectors *v, lh_job *job, lh_vidx *ix, const lh_vindex_spec *s, lh_vrows *rows,
                         json_t *stats, json_t **out, lh_err *err)
{
    pthread_mutex_lock(&ix->write_mu);
    lh_vgen *g = NULL;
    json_t *entry = NULL;
    int64_t gen = 1;
    uint32_t dim = rows->dim;
    int rc = lh__vbuild_generation(v, job, s->name, gen, s->metric, &s->hnsw, rows, &g, &entry, err);
    if (!rc) {
        json_t *doc = new_doc(s, dim);
        entry_model(entry, stats, s->profile);
        json_array_append_new(json_object_get(doc, "generations"), entry);
        json_object_set_new(doc, "active_generation", json_integer(gen));
        doc_follow_active(doc);
        rc = commit_doc(v, ix, doc, g, err);
    }
    lh__vgen_unref(g);
    unreserve(ix);
    pthread_mutex_unlock(&ix->write_mu);
    if (!rc && out) *out = describe(ix);
    return rc;
}

static int check_spec(const lh_vindex_spec *s, lh_err *err)
{
    if (s->hnsw.m < 2 || s->hnsw.m > 128)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "hnsw.m must be 2..128, not %d", s->hnsw.m);
    if (s->hnsw.ef_construction < 1 || s->hnsw.ef_construction > 4096)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "hnsw.ef_construction must be 1..4096, not %d",
                          s->hnsw.ef_construction);
    if (s->hnsw.ef_search < 1 || s->hnsw.ef_search > 4096)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "hnsw.ef_search must be 1..4096, not %d",
                          s->hnsw.ef_search);
    return 0;
}

int lh_vectors_create(lh_vectors *v, const lh_vindex_spec *s, json_t **out, lh_err *err)
{
    *out = NULL;
    if (check_spec(s, err)) return err->status;
    if (s->n == 0 || s->dim == 0)
        return lh_err_set(err, LH_EINVAL, "no_vectors", "an index needs at least one vector");
    if (s->n > v->max_vectors)
        return lh_err_set(err, LH_ETOOBIG, "too_many_vectors", "%zu vectors: the limit is %zu (vectors.max_vectors)",
                          s->n, v->max_vectors);
    for (size_t i = 0; i < s->n; i++)
        if (lh_vec_check(s->vectors + i * s->dim, s->dim, s->metric, err)) {
            lh_err_prefix(err, "vector %zu (id %s)", i, s->ids[i]);
            return err->status;
        }
    lh_vidx *ix;
    if (reserve(v, s->name, &ix, err)) return err->status;
    lh_vrows rows = {.n = s->n, .dim = s->dim};
    rows.ids = lh_xcalloc(s->n, sizeof *rows.ids);
    for (size_t i = 0; i < s->n; i++) rows.ids[i] = lh_xstrdup(s->ids[i]);
    rows.vectors = lh_xmalloc(s->n * s->dim * sizeof *rows.vectors);
    memcpy(rows.vectors, s->vectors, s->n * s->dim * sizeof *rows.vectors);
    return create_common(v, NULL, ix, s, &rows, NULL, out, err);
}

/* ---- create from a dataset, rebuild: jobs ---- */

typedef struct build_job {
    lh_vectors    *v;
    lh_vidx       *ix;
    lh_vindex_spec spec;
    char          *strs[7];
    char         **cols;
    int            create;     /* first generation; else a rebuild */
    int            activate;
    int            new_profile;
} build_job;

static void build_job_free(void *p)
{
    build_job *j = p;
    for (size_t i = 0; i < sizeof j->strs / sizeof j->strs[0]; i++) free(j->strs[i]);
    for (size_t i = 0; j->cols && i < j->spec.n_text_columns; i++) free(j->cols[i]);
    free(j->cols);
    free(j);
}

static const char *keep(build_job *j, int slot, const char *s)
{
    free(j->strs[slot]);
    j->strs[slot] = s ? lh_xstrdup(s) : NULL;
    return j->strs[slot];
}

static int next_generation(json_t *doc)
{
    int64_t m = 0;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(doc, "generations"), i, g) {
        int64_t x = json_integer_value(json_object_get(g, "generation"));
        if (x > m) m = x;
    }
    return (int)(m + 1);
}

/* Text source of a text index document (strings point into doc). */
static void text_src_of(json_t *doc, const char *profile, const char **cols, lh_vtext_src *t)
{
    json_t *tc = json_object_get(doc, "text_columns"), *ch = json_object_get(doc, "chunking");
    size_t n = json_array_size(tc);
    for (size_t i = 0; i < n && i < 64; i++) cols[i] = json_string_value(json_array_get(tc, i));
    *t = (lh_vtext_src){.dataset = json_string_value(json_object_get(doc, "dataset")),
                        .id_column = json_string_value(json_object_get(doc, "id_column")),
                        .profile = profile,
                        .columns = cols,
                        .n_columns = n < 64 ? n : 64,
                        .chunk_size = (int)json_integer_value(json_object_get(ch, "size")),
                        .chunk_overlap = (int)json_integer_value(json_object_get(ch, "overlap"))};
}

/* The rows a rebuild starts from: the dataset again (re-embedding only
 * changed documents of a text index), or the active generation's file. */
static int rebuild_source(lh_vectors *v, lh_job *job, lh_vidx *ix, json_t *doc, const char *profile,
                          lh_vrows *rows, json_t **stats, lh_err *err)
{
    *stats = NULL;
    int64_t active = json_integer_value(json_object_get(doc, "active_generation"));
    lh_buf key = LH_BUF_INIT, path = LH_BUF_INIT, sql = LH_BUF_INIT;
    lh__vkey_gen(&key, ix->name, active, "embeddings.parquet");
    int rc = 0;
    const char *ds = json_string_value(json_object_get(doc, "dataset"));
    if (json_object_get(doc, "text_columns")) {
        const char *cols[64];
        lh_vtext_src t;
        text_src_of(doc, profile, cols, &t);
        lh_err ignored;
        if (!lh__vlocal_path(v, key.data, &path, &ignored)) t.prev_embeddings = path.data;
        rc = lh__vtext_rows(v, job, &t, rows, stats, err);
    } else if (ds) {
        lh_embeddings e;
        rc = lh__vread_dataset(v, ds, json_string_value(json_object_get(doc, "id_column")),
                               json_string_value(json_object_get(doc, "vector_column")), &e, err);
        if (!rc) lh__vrows_from(rows, &e);
    } else {
        rc = lh__vlocal_path(v, key.data, &path, err);
        if (!rc) {
            lh_buf_puts(&sql, "SELECT doc_id, vector FROM read_parquet(");
            lh_sql_quote_literal(&sql, path.data);
            lh_buf_puts(&sql, ", file_row_number = true) ORDER BY file_row_number");
            lh_engine_conn *c = NULL;
            lh_embeddings e;
            rc = lh_engine_connect(v->engine, &c, err);
            if (!rc) rc = lh_embeddings_read(c, sql.data, v->max_vectors, &e, err);
            lh_engine_conn_free(c);
            if (!rc) lh__vrows_from(rows, &e);
        }
    }
    lh_buf_free(&key);
    lh_buf_free(&path);
    lh_buf_free(&sql);
    return rc;
}

static int run_build_job(lh_job *job, void *arg, json_t **result, lh_err *err)
{
    build_job *j = arg;
    lh_vectors *v = j->v;
    lh_vrows rows = {0};
    json_t *stats = NULL;
    int rc;
    if (j->create) {
        if (j->spec.n_text_columns) {
            lh_vtext_src t = {.dataset = j->spec.dataset, .id_column = j->spec.id_column, .profile = j->spec.profile,
                              .columns = (const char *const *)j->cols, .n_columns = j->spec.n_text_columns,
                              .chunk_size = j->spec.chunk_size, .chunk_overlap = j->spec.chunk_overlap};
            rc = lh__vtext_rows(v, job, &t, &rows, &stats, err);
            if (!rc) {
                j->spec.model = keep(j, 4, json_string_value(json_object_get(stats, "model")));
                j->spec.model_version = keep(j, 5, json_string_value(json_object_get(stats, "model_version")));
            }
        } else {
            lh_job_progress(job, "reading dataset", 0, -1, 0);
            lh_embeddings e;
            rc = lh__vread_dataset(v, j->spec.dataset, j->spec.id_column, j->spec.vector_column, &e, err);
            if (!rc) lh__vrows_from(&rows, &e);
        }
        if (rc) {
            unreserve(j->ix);
            json_decref(stats);
            return rc;
        }
        rc = create_common(v, job, j->ix, &j->spec, &rows, stats, result, err);
        if (!rc && stats) json_object_set(*result, "embedding", stats);
        json_decref(stats);
        return rc;
    }
    pthread_mutex_lock(&j->ix->write_mu);
    pthread_mutex_lock(&j->ix->mu);
    json_t *doc = json_deep_copy(j->ix->meta);
    pthread_mutex_unlock(&j->ix->mu);
    const char *profile = j->new_profile ? j->spec.profile : json_string_value(json_object_get(doc, "profile"));
    lh_job_progress(job, "reading vectors", 0, -1, 0);
    rc = rebuild_source(v, job, j->ix, doc, profile, &rows, &stats, err);
    uint32_t dim = (uint32_t)json_integer_value(json_object_get(doc, "dimensions"));
    if (!rc && rows.dim != dim && !stats)
        rc = lh_err_set(err, LH_EINVAL, "dimension_mismatch", "the source now has %u-dimensional vectors, the index %u",
                        rows.dim, dim);
    lh_metric metric = LH_METRIC_COSINE;
    if (!rc) rc = lh_metric_parse(json_string_value(json_object_get(doc, "metric")), &metric, err);
    if (!rc) {
        int gen = next_generation(doc);
        lh_vgen *g = NULL;
        json_t *entry = NULL;
        rc = lh__vbuild_generation(v, job, j->ix->name, gen, metric, &j->spec.hnsw, &rows, &g, &entry, err);
        if (!rc) {
            entry_model(entry, stats, profile);
            json_array_append_new(json_object_get(doc, "generations"), entry);
            if (j->activate) json_object_set_new(doc, "active_generation", json_integer(gen));
            doc_follow_active(doc);
            rc = commit_doc(v, j->ix, json_incref(doc), j->activate ? g : NULL, err);
        }
        lh__vgen_unref(g);
        if (!rc) {
            *result = json_pack("{s:s,s:i,s:b}", "index", j->ix->name, "generation", gen, "active", j->activate);
            if (stats) json_object_set(*result, "embedding", stats);
        }
    }
    lh__vrows_free(&rows);
    json_decref(stats);
    json_decref(doc);
    pthread_mutex_lock(&j->ix->mu);
    j->ix->building = 0;
    pthread_mutex_unlock(&j->ix->mu);
    pthread_mutex_unlock(&j->ix->write_mu);
    return rc;
}

int lh_vectors_create_from_dataset(lh_vectors *v, const lh_vindex_spec *s, char *job_id, lh_err *err)
{
    if (check_spec(s, err)) return err->status;
    if (!s->dataset || !s->id_column || (!s->vector_column == !s->n_text_columns))
        return lh_err_set(err, LH_EINVAL, "missing_parameter", "an index over a dataset needs dataset, "
                          "id_column and either vector_column or text_columns");
    if (s->n_text_columns > 64)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter", "at most 64 text_columns");
    if (s->n_text_columns) {
        if (s->chunk_size < 1 || s->chunk_size > 100000 || s->chunk_overlap < 0 || s->chunk_overlap >= s->chunk_size)
            return lh_err_set(err, LH_EINVAL, "invalid_parameter",
                              "chunking.size must be 1..100000 words and chunking.overlap 0..size-1 (got %d, %d)",
                              s->chunk_size, s->chunk_overlap);
        if (!v->embedder.embed)
            return lh_err_set(err, LH_EUNAVAIL, "embedder_unavailable", "no embedding model is available in this server");
        char model[128], version[64];
        int dims;
        if (v->embedder.describe(v->embedder.ctx, s->profile, model, sizeof model, version, sizeof version, &dims, err))
            return err->status;
        /* one probe now, so an unreachable provider is a clear error of this
         * call rather than of the job (nothing is created) */
        float *probe = lh_xmalloc((size_t)dims * sizeof *probe);
        const char *t = "";
        int prc = v->embedder.embed(v->embedder.ctx, s->profile, &t, 1, probe, err);
        free(probe);
        if (prc) return prc;
    }
    lh_dataset *ds = lh_catalog_get(v->cat, s->dataset, err);
    if (!ds) return err->status;
    lh_dataset_unref(ds);
    lh_vidx *ix;
    if (reserve(v, s->name, &ix, err)) return err->status;
    build_job *j = lh_xcalloc(1, sizeof *j);
    j->v = v;
    j->ix = ix;
    j->create = 1;
    j->spec = *s;
    j->spec.name = keep(j, 0, s->name);
    j->spec.dataset = keep(j, 1, s->dataset);
    j->spec.id_column = keep(j, 2, s->id_column);
    j->spec.vector_column = keep(j, 3, s->vector_column);
    j->spec.model = keep(j, 4, s->model);
    j->spec.model_version = keep(j, 5, s->model_version);
    j->spec.profile = keep(j, 6, s->profile);
    if (s->n_text_columns) {
        j->cols = lh_xcalloc(s->n_text_columns, sizeof *j->cols);
        for (size_t i = 0; i < s->n_text_columns; i++) j->cols[i] = lh_xstrdup(s->text_columns[i]);
        j->spec.text_columns = (const char *const *)j->cols;
    }
    if (lh_jobs_start(v->jobs, "vector_index", run_build_job, j, build_job_free, job_id, err)) {
        unreserve(ix);
        build_job_free(j);
        return err->status;
    }
    return 0;
}

int lh_vectors_rebuild(lh_vectors *v, const char *name, const lh_hnsw_params *hnsw, const char *profile,
                       int activate, char *job_id, lh_err *err)
{
    lh_vindex_spec s = {.name = name, .hnsw = *hnsw};
    if (check_spec(&s, err)) return err->status;
    lh_vidx *ix = find_live(v, name, err);
    if (!ix) return err->status;
    pthread_mutex_lock(&ix->mu);
    int busy = ix->building, text = json_object_get(ix->meta, "text_columns") != NULL;
    if (!busy && (!profile || text)) ix->building = 1;
    pthread_mutex_unlock(&ix->mu);
    if (busy) return lh_err_set(err, LH_ECONFLICT, "index_busy", "index %s is already being built", name);
    if (profile && !text)
        return lh_err_set(err, LH_EINVAL, "invalid_parameter",
                          "profile applies to text indexes; index %s holds vectors given directly or a vector column",
                          name);
    build_job *j = lh_xcalloc(1, sizeof *j);
    j->v = v;
    j->ix = ix;
    j->spec = s;
    j->spec.name = keep(j, 0, name);
    j->activate = activate;
    if (profile) {
        j->new_profile = 1;
        j->spec.profile = keep(j, 6, profile);
    }
    if (lh_jobs_start(v->jobs, "vector_generation", run_build_job, j, build_job_free, job_id, err)) {
        unreserve(ix);
        build_job_free(j);
        return err->status;
    }
    return 0;
}

int lh_vectors_activate(lh_vectors *v, const char *name, int64_t generation, json_t **out, lh_err *err)
{
    *out = NULL;
    lh_vidx *ix = find_live(v, name, err);
    if (!ix) return err->status;
    pthread_mutex_lock(&ix->write_mu);
    pthread_mutex_lock(&ix->mu);
    json_t *doc = json_deep_copy(ix->meta);
    pthread_mutex_unlock(&ix->mu);
    int rc = 0;
    lh_vgen *g = NULL;
    if (!lh__vmeta_generation(doc, generation))
        rc = lh_err_set(err, LH_ENOTFOUND, "generation_not_found", "index %s has no generation %lld", name,
                        (long long)generation);
    if (!rc) rc = lh__vgen_load(v, name, generation, &g, err);
    if (!rc) {
        json_object_set_new(doc, "active_generation", json_integer(generation));
        doc_follow_active(doc);
        rc = commit_doc(v, ix, json_incref(doc), g, err);
    }
    lh__vgen_unref(g);
    json_decref(doc);
    pthread_mutex_unlock(&ix->write_mu);
    if (!rc) *out = describe(ix);
    return rc;
}

int lh_vectors_delete(lh_vectors *v, const char *name, lh_err *err)
{
    lh_vidx *ix = find_live(v, name, err);
    if (!ix) return err->status;
    pthread_mutex_lock(&ix->write_mu);
    pthread_mutex_lock(&ix->mu);
    int busy = ix->building;
    pthread_mutex_unlock(&ix->mu);
    int rc = 0;
    if (busy) rc = lh_err_set(err, LH_ECONFLICT, "index_busy", "index %s is being built; delete it afterwards", name);
    if (!rc) {
        json_t *tomb = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
        rc = commit_doc(v, ix, tomb, NULL, err);
    }
    if (!rc) {
        pthread_mutex_lock(&ix->mu);
        lh_vgen *old = ix->active;
        ix->active = NULL;
        pthread_mutex_unlock(&ix->mu);
        lh__vgen_unref(old);
        lh_err e;
        if (lh__vdelete_all(v, name, &e))
            lh_warn("vectors: index %s is deleted but some of its objects remain: %s", name, e.msg);
    }
    pthread_mutex_unlock(&ix->write_mu);
    return rc;
}

json_t *lh_vectors_cache_stats(lh_vectors *v)
{
    json_t *loaded = json_array();
    uint64_t bytes = 0;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n; i++) {
        lh_vidx *ix = v->idx[i];
        pthread_mutex_lock(&ix->mu);
        lh_vgen *g = ix->active;
        if (g) {
            size_t b = lh_hnsw_memory_bytes(g->h);
            bytes += b;
            json_array_append_new(
                loaded, json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:I,s:i}", "index", ix->name, "generation",
                                  (json_int_t)g->generation, "vectors", (json_int_t)g->n, "bytes", (json_int_t)b,
                                  "hot_bytes", (json_int_t)lh_hnsw_hot_bytes(g->h), "mapped", lh_hnsw_is_mapped(g->h),
                                  "hits", (json_int_t)atomic_load(&g->hits), "readers",
                                  atomic_load(&g->refs) - 1));
        }
        pthread_mutex_unlock(&ix->mu);
    }
    pthread_mutex_unlock(&v->mu);
    return json_pack("{s:o,s:I,s:I,s:I,s:I}", "loaded", loaded, "bytes", (json_int_t)bytes, "hits",
                     (json_int_t)atomic_load(&v->hits), "loads", (json_int_t)atomic_load(&v->loads), "misses",
                     (json_int_t)atomic_load(&v->misses));
}

/* vector/service_impl.h — what the index service's files share, and nobody
 * else: the in-memory index and generation structs, the bucket layout
 * helpers (store.c), generation loading (generation.c) and building
 * (build.c). search.c and trials.c sit on top of them.
 */
#ifndef LH_VECTOR_SERVICE_IMPL_H
#define LH_VECTOR_SERVICE_IMPL_H

#include "core/buf.h"
#include "storage/append_log.h"
#include "vector/service.h"

#include <pthread.h>
#include <stdatomic.h>

/* Rows of a generation, label order; every array owned (NULL when absent). */
typedef struct lh_vrows {
    size_t   n;
    uint32_t dim;
    char   **ids;        /* doc ids */
    int32_t *chunk_ids;
    char   **texts;      /* chunk texts */
    char   **hashes;     /* content hash of the chunk's document */
    float   *vectors;
} lh_vrows;

void lh__vrows_free(lh_vrows *r);
/* Move an engine read into rows (e is left empty). */
void lh__vrows_from(lh_vrows *r, lh_embeddings *e);

/* One loaded generation: the graph and the label → id table. */
typedef struct lh_vgen {
    atomic_int     refs;
    char          *index;
    int64_t        generation;
    lh_hnsw       *h;
    char         **ids;       /* label → doc id */
    int32_t       *chunk_ids; /* label → chunk number, or NULL */
    char         **texts;     /* label → chunk text, or NULL */
    size_t         n;
    uint32_t      *slots;     /* open-addressing id → label+1 (0 empty) */
    size_t         nslots;
    atomic_ullong  hits;
} lh_vgen;

lh_vgen *lh__vgen_ref(lh_vgen *g);
void     lh__vgen_unref(lh_vgen *g);
/* Take ownership of h and of rows' ids, chunk_ids and texts (the rest of
 * rows is freed) and index the ids. */
lh_vgen *lh__vgen_new(const char *index, int64_t generation, lh_hnsw *h, lh_vrows *rows);
/* LH_EINVAL "duplicate_id" naming the first (id, chunk) given twice. */
int      lh__vids_unique(const lh_vrows *rows, lh_err *err);
/* Allow every label of doc id in b; returns how many. */
size_t   lh__vgen_allow(const lh_vgen *g, const char *id, lh_bitset *b);

/* A load of a generation in flight (generation.c): the first search of a
 * generation not in memory loads it, later ones wait here and share the
 * outcome. Lives until its loader and every waiter have taken the result;
 * guarded by the index's mu. */
typedef struct lh_vload {
    int64_t        generation;
    int            done, rc;
    lh_err         err;        /* the failure, when rc != 0 */
    lh_vgen       *gen;        /* referenced, when rc == 0 */
    int            users;      /* loader + waiters */
    pthread_cond_t cv;         /* signalled when done */
} lh_vload;

typedef struct lh_vidx {
    char           *name;
    json_t         *meta;          /* newest committed document (owned) */
    int64_t         meta_version;
    lh_vgen        *active;        /* NULL until loaded */
    lh_vload       *loading;       /* the load new searches join, or NULL */
    pthread_mutex_t mu;            /* meta, meta_version, active, loading */
    pthread_mutex_t write_mu;      /* one build/commit at a time per index */
    int             building;      /* a job holds this index */
} lh_vidx;

struct lh_vectors {
    lh_catalog       *cat;
    lh_registry      *reg;
    lh_objstore      *store;       /* the primary bucket */
    lh_engine        *engine;
    lh_query_service *query;
    lh_jobs          *jobs;
    char             *cache_dir;
    int               build_threads;
    size_t            max_vectors;
    lh_vembedder      embedder;
    pthread_mutex_t   mu;          /* the index table */
    lh_vidx         **idx;
    size_t            n, cap;
    lh_append_log    *trials;
    atomic_ullong     hits, loads, misses;
};

/* ---- store.c: the bucket layout ---- */

/* "_vectors/{index}/g{N:06}/{file}" */
void lh__vkey_gen(lh_buf *out, const char *index, int64_t generation, const char *file);
/* Commit doc as meta version `version` of index (create-only):
 * LH_ECONFLICT "concurrent_commit" when that version exists. */
int  lh__vmeta_commit(lh_vectors *v, const char *index, int64_t version, json_t *doc, lh_err *err);
/* Newest meta version of every index in the bucket: cb(name, version, doc). */
int  lh__vmeta_scan(lh_vectors *v, int (*cb)(void *ctx, const char *name, int64_t version, json_t *doc), void *ctx,
                    lh_err *err);
/* Local path of an object for mmap / DuckDB: the registry's (the object
 * itself on a local bucket, else its copy in the read cache). */
int  lh__vlocal_path(lh_vectors *v, const char *key, lh_buf *out, lh_err *err);
/* Delete every object under _vectors/{index}/ (meta last, newest last). */
int  lh__vdelete_all(lh_vectors *v, const char *index, lh_err *err);
/* Scratch file path unique to this process: {cache_dir}/tmp-{id}-{suffix}. */
void lh__vscratch(lh_vectors *v, const char *suffix, lh_buf *out);

/* ---- generation.c ---- */

/* The index by name (not referenced: indexes live until the service is
 * freed; deleted ones are unlinked but kept). NULL + LH_ENOTFOUND. */
lh_vidx *lh__vidx_find(lh_vectors *v, const char *name, lh_err *err);
/* The active generation, referenced; loaded on first use, once however
 * many searches ask for it meanwhile (a failed load is not remembered: the
 * next search tries again). */
int      lh__vidx_active(lh_vectors *v, lh_vidx *ix, lh_vgen **out, lh_err *err);
/* The generation entry {generation, ...} of doc, or NULL. */
json_t  *lh__vmeta_generation(json_t *doc, int64_t generation);
/* Load generation `generation` of index from the bucket. */
int      lh__vgen_load(lh_vectors *v, const char *index, int64_t generation, lh_vgen **out, lh_err *err);

/* ---- build.c ---- */

/* Build a graph over rows, write generation `generation` of `index`
 * (embeddings + sidecar) and return the loaded generation and its meta
 * entry. Takes rows (left empty). */
int lh__vbuild_generation(lh_vectors *v, lh_job *job, const char *index, int64_t generation, lh_metric metric,
                          const lh_hnsw_params *p, lh_vrows *rows, lh_vgen **gen_out, json_t **entry_out,
                          lh_err *err);
/* Check that dataset has the columns need[] (roles[] name them in the
 * error) and append "(SELECT ...) AS _lh_v" to from: the dataset's rows
 * as lh_catalog_dataset_sql reads them (merge-on-read over deltas). */
int lh__vdataset_scan(lh_vectors *v, const char *dataset, const char *const *need, const char *const *roles,
                      size_t n_need, lh_buf *from, lh_err *err);
/* Read (id, vector) of a dataset column through the internal engine. */
int lh__vread_dataset(lh_vectors *v, const char *dataset, const char *id_column, const char *vector_column,
                      lh_embeddings *out, lh_err *err);
/* ---- text.c: text indexes ---- */

typedef struct lh_vtext_src {
    const char        *dataset, *id_column, *profile;
    const char *const *columns;
    size_t             n_columns;
    int                chunk_size, chunk_overlap;
    const char        *model, *model_version;   /* the profile's, for the content hash */
    const char        *prev_embeddings;         /* local path of the previous generation's file, or NULL */
} lh_vtext_src;

/* Read the documents, chunk them, reuse the previous generation's vectors
 * for documents whose content hash is unchanged and embed the rest.
 * *stats gets {documents, reused_documents, embedded_documents, chunks,
 * embedded_chunks, empty_documents}. */
int lh__vtext_rows(lh_vectors *v, lh_job *job, const lh_vtext_src *src, lh_vrows *out, json_t **stats, lh_err *err);
/* Split text into chunks of size words overlapping by overlap words
 * (whitespace-separated; joined by single spaces); an empty text gives
 * none. Returns the count; *out holds that many new strings. */
size_t lh__vchunk(const char *text, int size, int overlap, char ***out);

/* Parameters as JSON and back (missing members keep the defaults). */
json_t *lh__vparams_json(const lh_hnsw_params *p);
void    lh__vparams_from_json(json_t *o, lh_hnsw_params *p);

#endif

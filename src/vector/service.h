/* vector/service.h — the vector index service (ADR-008, ADR-014).
 *
 * An index is a named set of vectors with an HNSW graph over them. It
 * either stands alone (vectors given by the user) or belongs to a dataset
 * (a column of vectors, an id column); it records its metric, dimensions,
 * model name and version, and when it was created.
 *
 * Storage, in the primary bucket:
 *   _vectors/{index}/meta/v{K:012}.json          the index document, one
 *       version per change, committed create-only like catalog manifests
 *       (two writers cannot both commit K); the newest one is the truth
 *   _vectors/{index}/g{N:06}/embeddings.parquet  doc_id, chunk_id,
 *       chunk_text, vector FLOAT[d]   (row i = label i of the graph)
 *   _vectors/{index}/g{N:06}/hnsw.bin            the graph sidecar
 *
 * Generations coexist: a rebuild writes generation N+1 beside N and
 * commits a document naming it active. In memory each generation is
 * reference-counted: a search takes a reference on the active one, so a
 * swap never waits for readers and searches in flight finish on the old
 * generation, which is released when its last reader lets go. Generations
 * load lazily (the sidecar is mapped, the ids read from the Parquet file)
 * on first use; lh_vectors_cache_stats says what is loaded.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef LH_VECTOR_SERVICE_H
#define LH_VECTOR_SERVICE_H

#include "catalog/catalog.h"
#include "core/jobs.h"
#include "query/query.h"
#include "vector/vector.h"

#include <jansson.h>

#define LH_VECTORS_PREFIX "_vectors/"

typedef struct lh_vectors lh_vectors;

/* How the service turns text into vectors. The AI layer sits beside this
 * one (both layer 5), so the application wires an embedder in rather than
 * vector/ linking to ai/. profile NULL or "" = the default profile. */
typedef struct lh_vembedder {
    void *ctx;
    int (*describe)(void *ctx, const char *profile, char *model, size_t model_sz, char *version, size_t version_sz,
                    int *dims, lh_err *err);
    int (*embed)(void *ctx, const char *profile, const char *const *texts, size_t n, float *out, lh_err *err);
} lh_vembedder;

typedef struct lh_vectors_opts {
    lh_catalog       *cat;
    lh_query_service *query;       /* filters run here, sandboxed */
    lh_jobs          *jobs;
    const char       *cache_dir;   /* scratch files of builds (then stored in the bucket) */
    int               build_threads;
    size_t            max_vectors;     /* per index; larger sources are refused */
    lh_vembedder      embedder;        /* embed == NULL: text indexes unavailable */
} lh_vectors_opts;

int  lh_vectors_open(const lh_vectors_opts *opts, lh_vectors **out, lh_err *err);
void lh_vectors_free(lh_vectors *v);

/* What to create. `name` follows dataset naming ([a-z][a-z0-9_]*). */
typedef struct lh_vindex_spec {
    const char    *name;
    lh_metric      metric;
    lh_hnsw_params hnsw;
    const char    *model;          /* NULL: "user" (vectors given by the caller) */
    const char    *model_version;  /* NULL: "1" */
    /* from a dataset (else from vectors below): a column of vectors, or
     * text columns chunked by words and embedded with a profile */
    const char    *dataset;
    const char    *vector_column;
    const char    *id_column;
    const char *const *text_columns;
    size_t         n_text_columns;
    int            chunk_size;     /* words per chunk; 0 = 96 */
    int            chunk_overlap;  /* words shared by neighbouring chunks; < chunk_size */
    const char    *profile;
    /* from the caller: n ids and n × dim vectors */
    size_t              n;
    uint32_t            dim;
    const char *const  *ids;
    const float        *vectors;
} lh_vindex_spec;

/* Create from the caller's vectors, synchronously: the index document
 * (*out) on success. LH_EEXIST "index_exists" when the name is taken. */
int lh_vectors_create(lh_vectors *v, const lh_vindex_spec *spec, json_t **out, lh_err *err);
/* Create from a dataset column as a background job; its id in job_id
 * (33 bytes). The dataset and columns are checked before the job starts. */
int lh_vectors_create_from_dataset(lh_vectors *v, const lh_vindex_spec *spec, char *job_id, lh_err *err);

/* Build a new generation with new HNSW parameters (a job): from the
 * dataset again for a dataset index (so new rows are picked up; a text
 * index re-embeds only documents whose text changed, unless the profile
 * changes the model), from the active generation's vectors otherwise;
 * activated when built unless activate is 0. profile: NULL keeps the
 * index's profile (text indexes only). */
int lh_vectors_rebuild(lh_vectors *v, const char *name, const lh_hnsw_params *hnsw, const char *profile,
                       int activate, char *job_id, lh_err *err);
/* Make an existing generation the active one. */
int lh_vectors_activate(lh_vectors *v, const char *name, int64_t generation, json_t **out, lh_err *err);

/* [index documents], sorted by name; one index document. */
json_t *lh_vectors_list(lh_vectors *v);
int     lh_vectors_get(lh_vectors *v, const char *name, json_t **out, lh_err *err);
/* Drop the index and its generations' objects. */
int     lh_vectors_delete(lh_vectors *v, const char *name, lh_err *err);

typedef struct lh_vsearch {
    const float *vector;      /* or NULL with query */
    uint32_t     dim;
    const char  *query;       /* text, embedded with the index's profile */
    int          rows;        /* join the dataset rows back: 1 yes, 0 no, -1 default (dataset indexes) */
    int          k;
    int          ef;          /* 0: the generation's ef_search */
    const char  *filter;      /* SQL predicate on the dataset's columns, or NULL */
    int          exact;       /* brute force instead of the graph */
} lh_vsearch;

/* {"index", "generation", "results": [{"id", "score", "distance", "chunk_id"?,
 * "chunk_text"?, "row"?}], "took_ms", ...} best first. score is higher-is-better (cosine similarity, inner product,
 * or -distance for l2). */
int lh_vectors_search(lh_vectors *v, const char *name, const lh_vsearch *q, json_t **out, lh_err *err);

/* {"loaded": [{index, generation, vectors, bytes, hot_bytes, mapped, hits, readers}],
 *  "bytes", "hits", "loads", "misses"} */
json_t *lh_vectors_cache_stats(lh_vectors *v);

/* ---- the trial system (trials.c) ---- */

/* Sample n query vectors from an index's active generation (stored vectors
 * plus small gaussian noise, so a query is never its own answer) and store
 * them with their exact top-k ids as eval set `eval`. */
int lh_vectors_eval_autogen(lh_vectors *v, const char *eval, const char *index, int n, int k, uint64_t seed,
                            json_t **out, lh_err *err);

typedef struct lh_vtrial_req {
    const char    *index;
    const char    *eval;
    lh_hnsw_params hnsw;
    const int     *ef_search;  /* values to sweep */
    size_t         n_ef;
} lh_vtrial_req;

/* Build the index's vectors with the given parameters (a job), measure build
 * time, memory, recall@1/@10 and latency p50/p99 per ef_search against the
 * eval set, and append the trial to the trial journal. */
int lh_vectors_trial(lh_vectors *v, const lh_vtrial_req *req, char *job_id, lh_err *err);
/* Trials of an index, oldest first. */
int lh_vectors_trials(lh_vectors *v, const char *index, json_t **out, lh_err *err);
/* The fastest (p50) trial point whose recall@10 >= target. */
int lh_vectors_trial_best(lh_vectors *v, const char *index, double target, json_t **out, lh_err *err);

#endif

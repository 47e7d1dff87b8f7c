/* vector/vector.h — vector index structures: distance kernels, exact (flat)
 * search, SQ8 scalar quantization and the HNSW graph with its sidecar file.
 *
 * This layer knows nothing of DuckDB, the catalog or HTTP: it takes float
 * matrices and returns (label, distance) hits. The index service above it
 * maps labels to document ids, keeps generations and serves requests.
 *
 * Distances: lower is better everywhere.
 *   cosine: 1 - dot(a/|a|, b/|b|)   (vectors are L2-normalised on insert)
 *   ip:     -dot(a, b)
 *   l2:     squared Euclidean distance
 *
 * Kernels pick an AVX-512, AVX2+FMA or scalar body at run time
 * (__builtin_cpu_supports); lh_vector_force_isa lets tests run each path.
 *
 * Ownership: every lh_x_new/lh_x_load has its lh_x_free. Hits are written
 * into caller-provided arrays of at least k entries.
 *
 * Thread-safety: kernels, flat search and lh_hnsw_search are safe to call
 * from many threads at once. An lh_hnsw serialises writers (insert,
 * mark_deleted) against searchers with an internal reader/writer lock, so
 * any mix of calls from any threads is safe; searches never block each
 * other. lh_vector_force_isa is for tests and must not race with searches.
 */
#ifndef LH_VECTOR_VECTOR_H
#define LH_VECTOR_VECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* ---- metrics ------------------------------------------------------------ */

typedef enum { LH_METRIC_COSINE = 0, LH_METRIC_IP = 1, LH_METRIC_L2 = 2 } lh_metric;

/* "cosine", "ip" (also "dot", "inner_product"), "l2" (also "euclidean").
 * Unknown names are LH_EINVAL with code "unknown_metric". */
int lh_metric_parse(const char *name, lh_metric *out, lh_err *err);
const char *lh_metric_name(lh_metric m);

/* One search result: the vector's label and its distance (lower = closer). */
typedef struct lh_vhit {
    uint32_t label;
    float    dist;
} lh_vhit;

/* ---- kernels ------------------------------------------------------------ */

typedef enum {
    LH_ISA_AUTO = 0,   /* best the CPU supports */
    LH_ISA_SCALAR = 1,
    LH_ISA_AVX2 = 2,   /* AVX2 + FMA */
    LH_ISA_AVX512 = 3, /* AVX-512 F + BW */
} lh_isa;

float   lh_vec_dot(const float *a, const float *b, size_t dim);
float   lh_vec_l2sq(const float *a, const float *b, size_t dim);
/* Dot product of two SQ8 code vectors, which stay in [-127, 127]: exact
 * in that range (undefined for -128). */
int32_t lh_vec_dot_i8_sq8(const int8_t *a, const int8_t *b, size_t dim);
/* Distance of the given metric between two vectors. For cosine both must
 * already be L2-normalised (this is 1 - dot). */
float lh_vec_distance(lh_metric m, const float *a, const float *b, size_t dim);

/* Name of the kernel path in use: "avx512", "avx2" or "scalar". */
const char *lh_vector_isa(void);
/* Whether this CPU can run the given path (AUTO and SCALAR: always). */
bool lh_vector_isa_supported(lh_isa isa);
/* Switch every kernel to one path (AUTO restores the best). LH_EINVAL with
 * code "isa_unsupported" when the CPU lacks it. Tests only. */
int lh_vector_force_isa(lh_isa isa, lh_err *err);

/* LH_EINVAL ("bad_vector") when any component is NaN or infinite, or when
 * normalising for cosine would divide by zero (all-zero vector). */
int lh_vec_check(const float *v, size_t dim, lh_metric m, lh_err *err);
/* Scale v to unit L2 norm in place; returns the old norm (0: left alone). */
float lh_vec_normalize(float *v, size_t dim);

/* ---- allow bitmap ----------------------------------------------------- */

/* A set of labels: bit i set = label i allowed. Labels past nbits are not
 * allowed. words holds (nbits + 63) / 64 entries. */
typedef struct lh_bitset {
    uint64_t *words;
    size_t    nbits;
} lh_bitset;

int    lh_bitset_init(lh_bitset *b, size_t nbits, lh_err *err); /* all clear */
void   lh_bitset_release(lh_bitset *b);                          /* frees words */
size_t lh_bitset_count(const lh_bitset *b);

static inline void lh_bitset_set(lh_bitset *b, size_t i) {
    if (i < b->nbits) b->words[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void lh_bitset_clear(lh_bitset *b, size_t i) {
    if (i < b->nbits) b->words[i >> 6] &= ~((uint64_t)1 << (i & 63));
}
static inline bool lh_bitset_test(const lh_bitset *b, size_t i) {
    return i < b->nbits && (b->words[i >> 6] >> (i & 63)) & 1;
}

/* ---- flat (exact) search ---------------------------------------------- */

/* Exact top-k over n row-major vectors (label = row index). For cosine the
 * rows must already be L2-normalised; the query is normalised here. allow
 * may be NULL (all rows). threads <= 1 scans on the calling thread.
 * out gets min(k, eligible rows) hits best first, count in *n_out.
 * Errors: dim 0, k <= 0, NaN/Inf in q -> LH_EINVAL. */
int lh_flat_search(const float *base, size_t n, size_t dim, lh_metric m,
                   const float *q, int k, const lh_bitset *allow, int threads,
                   lh_vhit *out, int *n_out, lh_err *err);

/* ---- SQ8 scalar quantizer -------------------------------------------- */

/* Codes are int8 in [-127, 127]: x[i] ~ center[i] + scale * code[i]. The
 * per-dimension center is the middle of the trained min/max; one learned
 * scale covers all dimensions (from a high quantile of |x - center|), which
 * keeps every distance an int8 dot product plus a per-vector correction. */
typedef struct lh_sq8 lh_sq8;

/* Train on n sample vectors (already normalised for cosine). */
int  lh_sq8_train(const float *sample, size_t n, size_t dim, lh_metric m,
                  lh_sq8 **out, lh_err *err);
void lh_sq8_free(lh_sq8 *q);
size_t lh_sq8_dim(const lh_sq8 *q);
/* Encode one vector: dim codes plus its correction term (aux). */
void lh_sq8_encode(const lh_sq8 *q, const float *v, int8_t *codes, float *aux);
void lh_sq8_decode(const lh_sq8 *q, const int8_t *codes, float *v);
/* Approximate distance between a query prepared by lh_sq8_encode_query and
 * an encoded vector, on the same scale as lh_vec_distance. */
typedef struct lh_sq8_query {
    int8_t *codes;   /* dim entries, owned by the caller's buffer */
    float   base;    /* query-only term */
} lh_sq8_query;
void  lh_sq8_encode_query(const lh_sq8 *q, const float *v, int8_t *codes_buf,
                          lh_sq8_query *out);
float lh_sq8_distance(const lh_sq8 *q, const lh_sq8_query *qq, const int8_t *codes,
                      float aux);

/* Exact top-k over n encoded vectors (codes row-major, aux per row) in the
 * quantized domain; same contract as lh_flat_search. */
int lh_sq8_flat_search(const lh_sq8 *sq, const int8_t *codes, const float *aux,
                       size_t n, const float *q, int k, const lh_bitset *allow,
                       int threads, lh_vhit *out, int *n_out, lh_err *err);

/* ---- HNSW --------------------------------------------------------------- */

typedef struct lh_hnsw_params {
    int      m;               /* links per node on upper levels (level 0: 2m); default 16 */
    int      ef_construction; /* default 80 */
    int      ef_search;       /* default 30, overridable per query */
    int      threads;         /* build threads; default 1 */
    uint64_t seed;            /* level assignment RNG seed; default 42 */
    bool     sq8;             /* traverse on SQ8 codes, re-rank on f32 */
} lh_hnsw_params;

/* The defaults above (m 16, ef_construction 80, ef_search 30, 1 thread). */
lh_hnsw_params lh_hnsw_params_default(void);

typedef struct lh_hnsw lh_hnsw;

/* Build from n row-major vectors with labels 0..n-1 (n may be 0). The
 * vectors are copied (normalised for cosine). Errors: dim 0, bad params,
 * NaN/Inf in any vector (message names the row) -> LH_EINVAL. */
int  lh_hnsw_build(const float *vectors, size_t n, size_t dim, lh_metric m,
                   const lh_hnsw_params *params, lh_hnsw **out, lh_err *err);
void lh_hnsw_free(lh_hnsw *h);

/* Add one vector; its label (the next unused one) goes to *label. On an
 * index loaded from a sidecar, the first insert copies it into RAM. */
int lh_hnsw_insert(lh_hnsw *h, const float *v, uint32_t *label, lh_err *err);
/* Tombstone a label: never returned again, still used for navigation.
 * LH_ENOTFOUND for a label that does not exist; deleting twice is fine. */
int lh_hnsw_mark_deleted(lh_hnsw *h, uint32_t label, lh_err *err);
bool lh_hnsw_is_deleted(const lh_hnsw *h, uint32_t label);

/* Top-k search. ef <= 0 uses params.ef_search; ef is raised to k. allow may
 * be NULL. When few labels are allowed the search is exact over them, so
 * selective filters stay correct. out holds k entries; *n_out may be < k
 * when fewer vectors are eligible. Errors: k <= 0, NaN/Inf in q. */
int lh_hnsw_search(const lh_hnsw *h, const float *q, int k, int ef,
                   const lh_bitset *allow, lh_vhit *out, int *n_out, lh_err *err);

/* Exact top-k over every live label (or the allowed ones; allow may be
 * NULL), scored on the f32 vectors: the ground truth the graph search is
 * measured against, and what a caller asking for exact results gets. */
int lh_hnsw_search_exact(const lh_hnsw *h, const float *q, int k, const lh_bitset *allow, lh_vhit *out,
                         int *n_out, lh_err *err);

size_t         lh_hnsw_count(const lh_hnsw *h);   /* labels ever added, deleted included */
size_t         lh_hnsw_deleted(const lh_hnsw *h); /* tombstoned labels */
size_t         lh_hnsw_dim(const lh_hnsw *h);
lh_metric      lh_hnsw_metric(const lh_hnsw *h);
lh_hnsw_params lh_hnsw_get_params(const lh_hnsw *h);
/* Bytes the index holds (RAM or mapped): graph, codes, f32 vectors. */
size_t lh_hnsw_memory_bytes(const lh_hnsw *h);
/* Bytes a search walks through: graph plus the traversal vectors (the SQ8
 * codes when sq8 is on; f32 then only serves the final re-rank). */
size_t lh_hnsw_hot_bytes(const lh_hnsw *h);
/* Whether the index is a read-only mapping of a sidecar (until an insert). */
bool lh_hnsw_is_mapped(const lh_hnsw *h);

/* The f32 vector of a label as stored (normalised for cosine), or NULL. */
const float *lh_hnsw_vector(const lh_hnsw *h, uint32_t label);

/* Sidecar file. save writes a temp file, fsyncs it and renames it over
 * path. load maps the file and uses it in place; a truncated, corrupt
 * (checksum) or foreign (magic, version) file is refused with LH_EINVAL
 * and code "bad_sidecar"; a missing one with LH_ENOTFOUND. */
int lh_hnsw_save(const lh_hnsw *h, const char *path, lh_err *err);
int lh_hnsw_load(const char *path, lh_hnsw **out, lh_err *err);

#endif

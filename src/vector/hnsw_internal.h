/* vector/hnsw_internal.h — the HNSW index's in-memory layout, shared by the
 * graph code (hnsw.c) and the sidecar code (hnsw_file.c).
 *
 * Every array is flat and position-independent (ids, not pointers), so a
 * sidecar file is these arrays written one after another and a load maps
 * them back in place. Per node (id = label):
 *   l0 block   [u32 count][u32 links[m0]][payload]       stride l0_stride
 *              payload = sq8 ? [f32 aux][i8 codes[dim]] : [f32 vec[dim]]
 *   vecs       f32 vectors (sq8 only; otherwise the payload is the vector)
 *   levels     u8 top level of the node
 *   upper_off  u32 index into upper, for nodes with level > 0
 *   upper      per level 1..L: [u32 count][u32 links[m]]
 * Level 0 keeps each node's links next to the vector the search reads
 * right after following them: one node, one contiguous run of cache lines.
 */
#ifndef LH_VECTOR_HNSW_INTERNAL_H
#define LH_VECTOR_HNSW_INTERNAL_H

#include "vector/vector_internal.h"

#include <pthread.h>

/* Per-search scratch, pooled: the visited set is a tag array with an epoch
 * (bumping the epoch clears it in O(1)), plus the heaps and query buffers. */
typedef struct lh_visited {
    uint16_t *tag;
    size_t    cap;
    uint16_t  epoch;
    lh_vhit  *cand; /* min-heap of candidates to expand */
    size_t    cand_cap;
    lh_vhit  *res;  /* max-heap (lh_topk) of the ef best */
    size_t    res_cap;
    float    *qf;   /* query copy (normalised) */
    int8_t   *qc;   /* query SQ8 codes */
    uint32_t *nb;   /* neighbour list copy / unvisited list */
} lh_visited;

struct lh_hnsw {
    size_t         dim;
    lh_metric      metric;
    lh_hnsw_params p;
    int            m0;

    size_t    count, cap;
    size_t    l0_stride;
    uint8_t  *l0;
    float    *vecs;
    uint8_t  *levels;
    uint32_t *upper_off;
    uint32_t *upper;
    size_t    upper_len, upper_cap;
    uint32_t  entry;
    int       max_level;
    lh_sq8   *sq;

    uint64_t *deleted; /* always in RAM: (cap + 63) / 64 words */
    size_t    n_deleted;

    pthread_rwlock_t rw;      /* writers (insert, delete) vs searchers */
    pthread_mutex_t  ep_lock; /* entry point / max level during build */
    uint8_t         *locks;   /* per-node spin locks, parallel build only */

    pthread_mutex_t vis_lock;
    lh_visited    **vis_pool;
    int             vis_n, vis_cap;

    void  *map; /* non-NULL: arrays point into this read-only mapping */
    size_t map_len;
};

static inline uint32_t *lh_hnsw_l0_links(const lh_hnsw *h, uint32_t id) {
    return (uint32_t *)(h->l0 + (size_t)id * h->l0_stride);
}
static inline uint8_t *lh_hnsw_payload(const lh_hnsw *h, uint32_t id) {
    return h->l0 + (size_t)id * h->l0_stride + 4 + 4 * (size_t)h->m0;
}
static inline const float *lh_hnsw_vec(const lh_hnsw *h, uint32_t id) {
    return h->sq ? h->vecs + (size_t)id * h->dim : (const float *)lh_hnsw_payload(h, id);
}
static inline uint32_t *lh_hnsw_upper_links(const lh_hnsw *h, uint32_t id, int level) {
    return h->upper + h->upper_off[id] + (size_t)(level - 1) * (size_t)(h->p.m + 1);
}

/* Allocate an empty index shell (locks, pools) around the given shape. */
int  lh_hnsw_shell(size_t dim, lh_metric m, const lh_hnsw_params *p, lh_hnsw **out, lh_err *err);
/* Copy a mapped index into RAM with room for `cap` nodes (insert on load). */
int  lh_hnsw_materialize(lh_hnsw *h, size_t cap, lh_err *err);
/* Release the mapping of a loaded index. */
void lh_hnsw_unmap(lh_hnsw *h);
/* Byte size of the l0 block for this shape. */
size_t lh_hnsw_stride(size_t dim, int m0, bool sq8);

#endif

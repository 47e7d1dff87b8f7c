/* vector/hnsw.c — the HNSW graph: build, insert, tombstones and search.
 *
 * Hierarchical Navigable Small World (Malkov & Yashunin): every node sits
 * on level 0 and, with probability 1/m per level, on the levels above; a
 * search descends greedily through the sparse upper levels and runs a
 * best-first search with a bounded result set (ef) on level 0. Neighbours
 * are chosen with the paper's heuristic (keep a candidate only if it is
 * closer to the new node than to any neighbour already kept), which keeps
 * long links across clusters and is what makes clustered data searchable.
 *
 * Where the time goes, and what this file does about it:
 * - Distances dominate, and with 768-d vectors a distance is a memory
 *   read. With sq8 on, build and traversal read one int8 code per
 *   dimension (a quarter of f32) and the final ef candidates are re-ranked
 *   on f32, so recall is that of the f32 graph while the walk moves 4x
 *   fewer bytes.
 * - A node's level-0 links and its code share one contiguous block, and
 *   the unvisited neighbours of a node are prefetched before any of them
 *   is scored, so their cache misses overlap.
 * - The visited set is a per-search tag array with an epoch (no clearing),
 *   taken from a pool so concurrent searches never share one.
 * - The parallel build takes node ids from an atomic counter and guards
 *   each node's link lists with a one-byte spin lock; the global lock is
 *   held only by an insert that raises the top level (rare: 1 in m^L).
 * Levels come from a hash of (seed, id), so the level structure does not
 * depend on thread timing.
 *
 * Concurrency: searches take h->rw for reading and never write shared
 * state except through the scratch pool (its own mutex). insert and
 * mark_deleted take it for writing.
 */
#include "vector/hnsw_internal.h"

#include <immintrin.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define HNSW_MAX_LEVEL 31

lh_hnsw_params lh_hnsw_params_default(void) {
    return (lh_hnsw_params){.m = 16, .ef_construction = 80, .ef_search = 30, .threads = 1, .seed = 42, .sq8 = false};
}

size_t lh_hnsw_stride(size_t dim, int m0, bool sq8) {
    size_t s = 4 + 4 * (size_t)m0 + (sq8 ? 4 + dim : 4 * dim);
    return (s + 3) & ~(size_t)3;
}

static int check_params(size_t dim, const lh_hnsw_params *p, lh_err *err) {
    if (dim == 0 || dim > 65536)
        return lh_err_set(err, LH_EINVAL, "bad_dimension", "vector dimension must be 1..65536 (got %zu)", dim);
    if (p->m < 2 || p->m > 256)
        return lh_err_set(err, LH_EINVAL, "bad_hnsw_params", "hnsw m must be 2..256 (got %d)", p->m);
    if (p->ef_construction < 1 || p->ef_construction > 100000)
        return lh_err_set(err, LH_EINVAL, "bad_hnsw_params", "hnsw ef_construction must be 1..100000 (got %d)",
                          p->ef_construction);
    if (p->ef_search < 1 || p->ef_search > 100000)
        return lh_err_set(err, LH_EINVAL, "bad_hnsw_params", "hnsw ef_search must be 1..100000 (got %d)", p->ef_search);
    if (p->threads < 1 || p->threads > 256)
        return lh_err_set(err, LH_EINVAL, "bad_hnsw_params", "hnsw threads must be 1..256 (got %d)", p->threads);
    return 0;
}

/* ---- small pieces -------------------------------------------------------- */

/* Held for a few hundred nanoseconds, so spin; but yield after a while so
 * a holder that lost its CPU (an oversubscribed machine) can finish. */
static inline void node_lock(const lh_hnsw *h, uint32_t id) {
    uint8_t *l = &h->locks[id];
    int spins = 0;
    while (__atomic_test_and_set(l, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
            if (++spins < 256) _mm_pause();
            else sched_yield();
        }
}
static inline void node_unlock(const lh_hnsw *h, uint32_t id) { __atomic_clear(&h->locks[id], __ATOMIC_RELEASE); }

static inline bool is_deleted(const lh_hnsw *h, uint32_t id) { return (h->deleted[id >> 6] >> (id & 63)) & 1; }

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int level_of(const lh_hnsw *h, uint32_t id) {
    double u = (double)(splitmix64(h->p.seed * 0x100000001b3ull + id) >> 11) * 0x1.0p-53;
    if (u <= 0) u = 0x1.0p-53;
    int l = (int)(-log(u) / log((double)h->p.m));
    return l > HNSW_MAX_LEVEL ? HNSW_MAX_LEVEL : l;
}

/* Distance of a query (f32 or its SQ8 code) to stored nodes. */
typedef struct qctx {
    const lh_hnsw *h;
    const float   *qf;
    const int8_t  *qc; /* non-NULL: score on codes */
    float          base, sgn, s2m;
    float (*dot)(const float *, const float *, size_t);
    float (*l2sq)(const float *, const float *, size_t);
    int32_t (*doti8)(const int8_t *, const int8_t *, size_t);
} qctx;

static inline float f32_dist(const qctx *c, const float *v) {
    switch (c->h->metric) {
    case LH_METRIC_COSINE: return 1.0f - c->dot(c->qf, v, c->h->dim);
    case LH_METRIC_IP: return -c->dot(c->qf, v, c->h->dim);
    default: return c->l2sq(c->qf, v, c->h->dim);
    }
}

static inline float qdist(const qctx *c, uint32_t id) {
    const uint8_t *pl = lh_hnsw_payload(c->h, id);
    if (c->qc) {
        float aux;
        memcpy(&aux, pl, sizeof aux);
        return c->base + c->sgn * aux + c->s2m * (float)c->doti8(c->qc, (const int8_t *)(pl + 4), c->h->dim);
    }
    return f32_dist(c, (const float *)pl);
}

static void ctx_init(qctx *c, const lh_hnsw *h) {
    memset(c, 0, sizeof *c);
    c->h = h;
    c->dot = lh_vk.dot;
    c->l2sq = lh_vk.l2sq;
    c->doti8 = lh_vk.dot_i8s;
    if (h->sq) {
        float s2 = h->sq->scale * h->sq->scale;
        c->sgn = h->metric == LH_METRIC_L2 ? 1.0f : -1.0f;
        c->s2m = h->metric == LH_METRIC_L2 ? -2.0f * s2 : -s2;
    }
}

/* The query is a stored node (build and insert). */
static void ctx_node(qctx *c, const lh_hnsw *h, uint32_t id) {
    ctx_init(c, h);
    c->qf = lh_hnsw_vec(h, id);
    if (h->sq) {
        const uint8_t *pl = lh_hnsw_payload(h, id);
        float aux;
        memcpy(&aux, pl, sizeof aux);
        c->qc = (const int8_t *)(pl + 4);
        c->base = lh_sq8_base(h->sq, c->qc, aux);
    }
}

static inline void prefetch_node(const lh_hnsw *h, uint32_t id, size_t lines) {
    const char *p = (const char *)lh_hnsw_payload(h, id);
    for (size_t i = 0; i < lines; i++) _mm_prefetch(p + 64 * i, _MM_HINT_T0);
}

/* ---- scratch pool -------------------------------------------------------- */

static void vis_free(lh_visited *v) {
    if (!v) return;
    free(v->tag);
    free(v->cand);
    free(v->res);
    free(v->qf);
    free(v->qc);
    free(v->nb);
    free(v);
}

static int grow_hits(lh_vhit **p, size_t *cap, size_t want) {
    if (*cap >= want) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < want) n *= 2;
    lh_vhit *q = realloc(*p, n * sizeof *q);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Take a scratch sized for the index as it is now (cap nodes, ef). */
static lh_visited *vis_take(const lh_hnsw *hc, size_t ef) {
    lh_hnsw *h = (lh_hnsw *)hc; /* the pool is the one mutable part */
    lh_visited *v = NULL;
    pthread_mutex_lock(&h->vis_lock);
    if (h->vis_n > 0) v = h->vis_pool[--h->vis_n];
    pthread_mutex_unlock(&h->vis_lock);
    if (!v) {
        v = calloc(1, sizeof *v);
        if (!v) return NULL;
        v->qf = malloc(h->dim * sizeof(float));
        v->qc = malloc(h->dim);
        v->nb = malloc(sizeof(uint32_t) * (size_t)(h->m0 + 1));
        if (!v->qf || !v->qc || !v->nb) {
            vis_free(v);
            return NULL;
        }
    }
    if (v->cap < h->cap) {
        free(v->tag);
        v->tag = calloc(h->cap, sizeof *v->tag);
        v->cap = v->tag ? h->cap : 0;
        v->epoch = 0;
        if (!v->tag) {
            vis_free(v);
            return NULL;
        }
    }
    if (grow_hits(&v->res, &v->res_cap, ef + 1) || grow_hits(&v->cand, &v->cand_cap, ef * 4 + 64)) {
        vis_free(v);
        return NULL;
    }
    if (++v->epoch == 0) { /* wrapped: clear once every 65535 searches */
        memset(v->tag, 0, v->cap * sizeof *v->tag);
        v->epoch = 1;
    }
    return v;
}

static void vis_give(const lh_hnsw *hc, lh_visited *v) {
    lh_hnsw *h = (lh_hnsw *)hc;
    pthread_mutex_lock(&h->vis_lock);
    if (h->vis_n == h->vis_cap) {
        int nc = h->vis_cap ? h->vis_cap * 2 : 8;
        lh_visited **p = realloc(h->vis_pool, sizeof *p * (size_t)nc);
        if (p) {
            h->vis_pool = p;
            h->vis_cap = nc;
        }
    }
    if (h->vis_n < h->vis_cap) {
        h->vis_pool[h->vis_n++] = v;
        v = NULL;
    }
    pthread_mutex_unlock(&h->vis_lock);
    vis_free(v);
}

static inline void vis_new_epoch(lh_visited *v) {
    if (++v->epoch == 0) {
        memset(v->tag, 0, v->cap * sizeof *v->tag);
        v->epoch = 1;
    }
}

/* ---- candidate min-heap ---------------------------------------------------- */

static inline int cand_push(lh_visited *v, size_t *n, uint32_t id, float d) {
    if (*n == v->cand_cap && grow_hits(&v->cand, &v->cand_cap, *n + 1)) return -1;
    lh_vhit *a = v->cand;
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (a[p].dist <= d) break;
        a[i] = a[p];
        i = p;
    }
    a[i] = (lh_vhit){id, d};
    return 0;
}

static inline lh_vhit cand_pop(lh_visited *v, size_t *n) {
    lh_vhit *a = v->cand, top = a[0], x = a[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && a[c + 1].dist < a[c].dist) c++;
        if (a[c].dist >= x.dist) break;
        a[i] = a[c];
        i = c;
    }
    if (*n) a[i] = x;
    return top;
}

/* ---- graph walks ----------------------------------------------------------- */

/* Neighbours of id on a level: a pointer into the graph, or (during the
 * parallel build, locked) a copy in buf taken under the node's lock. */
static inline const uint32_t *neighbours(const lh_hnsw *h, uint32_t id, int level, bool locked, uint32_t *buf,
                                         uint32_t *cnt) {
    const uint32_t *l = level == 0 ? lh_hnsw_l0_links(h, id) : lh_hnsw_upper_links(h, id, level);
    if (!locked) {
        *cnt = l[0];
        return l + 1;
    }
    node_lock(h, id);
    *cnt = l[0];
    memcpy(buf, l + 1, sizeof(uint32_t) * l[0]);
    node_unlock(h, id);
    return buf;
}

/* Greedy descent on one upper level: move to a closer neighbour until none. */
static void greedy(const lh_hnsw *h, const qctx *c, int level, bool locked, uint32_t *buf, uint32_t *cur,
                   float *curd) {
    bool changed = true;
    while (changed) {
        changed = false;
        uint32_t n;
        const uint32_t *nb = neighbours(h, *cur, level, locked, buf, &n);
        for (uint32_t i = 0; i < n; i++) {
            float d = qdist(c, nb[i]);
            if (d < *curd) {
                *curd = d;
                *cur = nb[i];
                changed = true;
            }
        }
    }
}

/* Best-first search on one level from ep: the ef closest eligible nodes end
 * up in the max-heap res. allow/deleted filter what may enter the result,
 * never what may be walked through. Returns the result count or -1 (OOM). */
static int search_layer(const lh_hnsw *h, const qctx *c, lh_visited *v, uint32_t ep, float epd, int level,
                        int ef, bool filter, const lh_bitset *allow, bool locked) {
    lh_topk res = {v->res, 0, ef};
    size_t ncand = 0;
    uint16_t ep_tag = v->epoch;
    uint32_t *buf = v->nb;
    size_t lines = (h->l0_stride - 4 - 4 * (size_t)h->m0 + 63) / 64;
    if (lines > 16) lines = 16;
    v->tag[ep] = ep_tag;
    if (!filter || (!is_deleted(h, ep) && (!allow || lh_bitset_test(allow, ep)))) lh_topk_push(&res, ep, epd);
    if (cand_push(v, &ncand, ep, epd)) return -1;
    uint32_t todo[512];
    while (ncand) {
        lh_vhit cur = v->cand[0];
        if (res.n >= ef && cur.dist > res.h[0].dist) break;
        cand_pop(v, &ncand);
        uint32_t n;
        const uint32_t *nb = neighbours(h, cur.label, level, locked, buf, &n);
        uint32_t nt = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = nb[i];
            if (v->tag[id] == ep_tag) continue;
            v->tag[id] = ep_tag;
            todo[nt++] = id;
            if (level == 0) _mm_prefetch((const char *)lh_hnsw_payload(h, id), _MM_HINT_T0);
        }
        for (uint32_t i = 0; i < nt; i++) {
            uint32_t id = todo[i];
            if (level == 0 && i + 1 < nt) prefetch_node(h, todo[i + 1], lines);
            float d = qdist(c, id);
            if (res.n < ef || d < res.h[0].dist) {
                if (cand_push(v, &ncand, id, d)) return -1;
                if (!filter || (!is_deleted(h, id) && (!allow || lh_bitset_test(allow, id))))
                    lh_topk_push(&res, id, d);
            }
        }
    }
    return res.n;
}

/* ---- neighbour selection and linking (build) ------------------------------ */

static inline float node_dist(const lh_hnsw *h, uint32_t a, uint32_t b) {
    if (h->sq) {
        const uint8_t *pa = lh_hnsw_payload(h, a), *pb = lh_hnsw_payload(h, b);
        float xa, xb;
        memcpy(&xa, pa, 4);
        memcpy(&xb, pb, 4);
        float s2 = h->sq->scale * h->sq->scale;
        float dot = (float)lh_vk.dot_i8s((const int8_t *)(pa + 4), (const int8_t *)(pb + 4), h->dim);
        if (h->metric == LH_METRIC_L2) return xa + xb - 2.0f * s2 * dot;
        return lh_sq8_base(h->sq, NULL, xa) - xb - s2 * dot;
    }
    return lh_vec_distance(h->metric, lh_hnsw_vec(h, a), lh_hnsw_vec(h, b), h->dim);
}

/* The paper's heuristic over cand (sorted by distance to the new node):
 * keep a candidate only if it is closer to the new node than to every kept
 * one. Writes at most max ids to out, returns how many. */
static uint32_t select_heuristic(const lh_hnsw *h, const lh_vhit *cand, int n, int max, uint32_t *out) {
    uint32_t k = 0;
    for (int i = 0; i < n && (int)k < max; i++) {
        bool good = true;
        for (uint32_t j = 0; j < k; j++)
            if (node_dist(h, cand[i].label, out[j]) < cand[i].dist) {
                good = false;
                break;
            }
        if (good) out[k++] = cand[i].label;
    }
    return k;
}

static int hit_cmp(const void *a, const void *b) {
    const lh_vhit *x = a, *y = b;
    return (x->dist > y->dist) - (x->dist < y->dist);
}

/* Link new node q into level `level` next to the nodes in res (sorted). */
static void connect(lh_hnsw *h, uint32_t q, int level, const lh_vhit *res, int nres, bool locked) {
    int mmax = level == 0 ? h->m0 : h->p.m;
    uint32_t sel[257];
    uint32_t ns = select_heuristic(h, res, nres, h->p.m, sel);
    uint32_t *ql = level == 0 ? lh_hnsw_l0_links(h, q) : lh_hnsw_upper_links(h, q, level);
    if (locked) node_lock(h, q);
    memcpy(ql + 1, sel, sizeof(uint32_t) * ns);
    ql[0] = ns;
    if (locked) node_unlock(h, q);
    lh_vhit cand[513];
    uint32_t out[513];
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t e = sel[i];
        uint32_t *el = level == 0 ? lh_hnsw_l0_links(h, e) : lh_hnsw_upper_links(h, e, level);
        if (locked) node_lock(h, e);
        uint32_t cnt = el[0];
        bool present = false;
        for (uint32_t j = 0; j < cnt; j++) present |= el[1 + j] == q;
        if (!present) {
            if ((int)cnt < mmax) {
                el[1 + cnt] = q;
                el[0] = cnt + 1;
            } else {
                /* Full: re-select e's neighbours among the old ones and q. */
                int nc = 0;
                cand[nc++] = (lh_vhit){q, node_dist(h, e, q)};
                for (uint32_t j = 0; j < cnt; j++) cand[nc++] = (lh_vhit){el[1 + j], node_dist(h, e, el[1 + j])};
                qsort(cand, (size_t)nc, sizeof *cand, hit_cmp);
                uint32_t k = select_heuristic(h, cand, nc, mmax, out);
                memcpy(el + 1, out, sizeof(uint32_t) * k);
                el[0] = k;
            }
        }
        if (locked) node_unlock(h, e);
    }
}

/* Insert node id (payload, level and upper storage in place) into the
 * graph. locked: other inserts run concurrently (parallel build). */
static int insert_node(lh_hnsw *h, uint32_t id, bool locked) {
    int L = h->levels[id];
    if (locked) pthread_mutex_lock(&h->ep_lock);
    uint32_t ep = h->entry;
    int maxl = h->max_level;
    bool hold = L > maxl;
    if (locked && !hold) pthread_mutex_unlock(&h->ep_lock);
    if (maxl < 0) { /* first node */
        h->entry = id;
        h->max_level = L;
        if (locked) pthread_mutex_unlock(&h->ep_lock);
        return 0;
    }
    lh_visited *v = vis_take(h, (size_t)h->p.ef_construction);
    if (!v) {
        if (locked && hold) pthread_mutex_unlock(&h->ep_lock);
        return -1;
    }
    qctx c;
    ctx_node(&c, h, id);
    uint32_t cur = ep;
    float curd = qdist(&c, cur);
    for (int l = maxl; l > L; l--) greedy(h, &c, l, locked, v->nb, &cur, &curd);
    int rc = 0;
    for (int l = (L < maxl ? L : maxl); l >= 0; l--) {
        vis_new_epoch(v);
        int n = search_layer(h, &c, v, cur, curd, l, h->p.ef_construction, false, NULL, locked);
        if (n < 0) {
            rc = -1;
            break;
        }
        lh_topk res = {v->res, n, n};
        lh_topk_sort(&res);
        connect(h, id, l, v->res, n, locked);
        cur = v->res[0].label;
        curd = v->res[0].dist;
    }
    if (hold) {
        h->entry = id;
        h->max_level = L;
        if (locked) pthread_mutex_unlock(&h->ep_lock);
    }
    vis_give(h, v);
    return rc;
}

/* ---- construction ---------------------------------------------------------- */

int lh_hnsw_shell(size_t dim, lh_metric m, const lh_hnsw_params *p, lh_hnsw **out, lh_err *err) {
    *out = NULL;
    int rc = check_params(dim, p, err);
    if (rc) return rc;
    lh_hnsw *h = calloc(1, sizeof *h);
    if (!h) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for an HNSW index");
    h->dim = dim;
    h->metric = m;
    h->p = *p;
    h->m0 = 2 * p->m;
    h->l0_stride = lh_hnsw_stride(dim, h->m0, p->sq8);
    h->max_level = -1;
    pthread_rwlock_init(&h->rw, NULL);
    pthread_mutex_init(&h->ep_lock, NULL);
    pthread_mutex_init(&h->vis_lock, NULL);
    *out = h;
    return 0;
}

/* Make room for cap nodes (RAM index). New memory is zeroed. */
static int reserve(lh_hnsw *h, size_t cap, lh_err *err) {
    if (cap <= h->cap) return 0;
    uint8_t *l0 = realloc(h->l0, cap * h->l0_stride);
    if (l0) h->l0 = l0;
    float *vecs = h->p.sq8 ? realloc(h->vecs, cap * h->dim * sizeof(float)) : NULL;
    if (vecs) h->vecs = vecs;
    uint8_t *levels = realloc(h->levels, cap);
    if (levels) h->levels = levels;
    uint32_t *uo = realloc(h->upper_off, cap * sizeof *uo);
    if (uo) h->upper_off = uo;
    size_t ow = (h->cap + 63) / 64, nw = (cap + 63) / 64;
    uint64_t *del = realloc(h->deleted, nw * sizeof *del);
    if (del) h->deleted = del;
    if (!l0 || (h->p.sq8 && !vecs) || !levels || !uo || !del)
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for an HNSW index of %zu vectors", cap);
    memset(h->l0 + h->cap * h->l0_stride, 0, (cap - h->cap) * h->l0_stride);
    memset(h->levels + h->cap, 0, cap - h->cap);
    memset(h->upper_off + h->cap, 0, (cap - h->cap) * sizeof *uo);
    memset(h->deleted + ow, 0, (nw - ow) * sizeof *del);
    h->cap = cap;
    return 0;
}

static int upper_reserve(lh_hnsw *h, size_t len, lh_err *err) {
    if (len <= h->upper_cap) return 0;
    size_t nc = h->upper_cap ? h->upper_cap : 1024;
    while (nc < len) nc *= 2;
    uint32_t *u = realloc(h->upper, nc * sizeof *u);
    if (!u) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for the HNSW upper levels");
    h->upper = u;
    h->upper_cap = nc;
    return 0;
}

/* Give node id its level and zeroed upper link storage. */
static int place_levels(lh_hnsw *h, uint32_t id, lh_err *err) {
    int L = level_of(h, id);
    h->levels[id] = (uint8_t)L;
    h->upper_off[id] = (uint32_t)h->upper_len;
    size_t need = (size_t)L * (size_t)(h->p.m + 1);
    if (h->upper_len + need > UINT32_MAX)
        return lh_err_set(err, LH_ETOOBIG, "index_too_big", "HNSW upper levels exceed 2^32 links");
    int rc = upper_reserve(h, h->upper_len + need, err);
    if (rc) return rc;
    memset(h->upper + h->upper_len, 0, need * sizeof(uint32_t));
    h->upper_len += need;
    return 0;
}

/* Store vector v as node id: copy (normalised for cosine) and encode. */
static void store_vector(lh_hnsw *h, uint32_t id, const float *v) {
    float *dst = h->sq ? h->vecs + (size_t)id * h->dim : (float *)lh_hnsw_payload(h, id);
    if (!h->sq && h->p.sq8) dst = h->vecs + (size_t)id * h->dim; /* before training */
    memcpy(dst, v, h->dim * sizeof(float));
    if (h->metric == LH_METRIC_COSINE) lh_vec_normalize(dst, h->dim);
    if (h->sq) {
        uint8_t *pl = lh_hnsw_payload(h, id);
        float aux;
        lh_sq8_encode(h->sq, dst, (int8_t *)(pl + 4), &aux);
        memcpy(pl, &aux, sizeof aux);
    }
}

typedef struct build_job {
    lh_hnsw     *h;
    const float *src;
    size_t       n;
    size_t       next; /* atomic */
    int          threads;
    int          failed;
    int          phase; /* 0: copy vectors, 1: encode, 2: link */
} build_job;

static void build_worker(void *arg, int t) {
    build_job *j = arg;
    lh_hnsw *h = j->h;
    if (j->phase < 2) {
        size_t lo = j->n * (size_t)t / (size_t)j->threads, hi = j->n * (size_t)(t + 1) / (size_t)j->threads;
        for (size_t i = lo; i < hi; i++) {
            if (j->phase == 0) {
                store_vector(h, (uint32_t)i, j->src + i * h->dim);
            } else {
                uint8_t *pl = lh_hnsw_payload(h, (uint32_t)i);
                float aux;
                lh_sq8_encode(h->sq, h->vecs + i * h->dim, (int8_t *)(pl + 4), &aux);
                memcpy(pl, &aux, sizeof aux);
            }
        }
        return;
    }
    for (;;) {
        size_t id = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (id >= j->n || __atomic_load_n(&j->failed, __ATOMIC_RELAXED)) break;
        if (insert_node(h, (uint32_t)id, j->threads > 1)) __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    }
}

int lh_hnsw_build(const float *vectors, size_t n, size_t dim, lh_metric m, const lh_hnsw_params *params,
                  lh_hnsw **out, lh_err *err) {
    *out = NULL;
    lh_hnsw_params p = params ? *params : lh_hnsw_params_default();
    int rc = check_params(dim, &p, err);
    if (rc) return rc;
    if (n > 0 && !vectors) return lh_err_set(err, LH_EINVAL, "bad_vector", "no vectors given for %zu rows", n);
    if (n >= UINT32_MAX) return lh_err_set(err, LH_ETOOBIG, "index_too_big", "an HNSW index holds < 2^32 vectors");
    if (p.sq8 && n == 0)
        return lh_err_set(err, LH_EINVAL, "empty_sample", "an sq8 index needs vectors at build time to train on");
    for (size_t i = 0; i < n; i++)
        if ((rc = lh_vec_check(vectors + i * dim, dim, m, err))) {
            lh_err_prefix(err, "vector %zu", i);
            return rc;
        }
    lh_hnsw *h;
    if ((rc = lh_hnsw_shell(dim, m, &p, &h, err))) return rc;
    if ((rc = reserve(h, n ? n : 16, err))) goto fail;
    int threads = p.threads;
    if ((size_t)threads > n / 256 + 1) threads = (int)(n / 256 + 1);
    build_job job = {.h = h, .src = vectors, .n = n, .threads = threads};
    if ((rc = lh_vec_parallel(threads, build_worker, &job, err))) goto fail;
    if (p.sq8) {
        /* Train on a strided sample of the stored (normalised) vectors. */
        size_t ns = n < 20000 ? n : 20000, stride = n / ns;
        float *sample = malloc(ns * dim * sizeof *sample);
        if (!sample) {
            rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for the SQ8 training sample");
            goto fail;
        }
        for (size_t i = 0; i < ns; i++) memcpy(sample + i * dim, h->vecs + i * stride * dim, dim * sizeof(float));
        rc = lh_sq8_train(sample, ns, dim, m, &h->sq, err);
        free(sample);
        if (rc) goto fail;
        job.phase = 1;
        if ((rc = lh_vec_parallel(threads, build_worker, &job, err))) goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = place_levels(h, (uint32_t)i, err))) goto fail;
    if (threads > 1 && !(h->locks = calloc(n, 1))) {
        rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for build locks");
        goto fail;
    }
    h->count = n;
    if (n > 0) {
        insert_node(h, 0, false); /* the first node only becomes the entry point */
        job.phase = 2;
        job.next = 1;
        if ((rc = lh_vec_parallel(threads, build_worker, &job, err))) goto fail;
        if (job.failed) {
            rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "out of memory while linking the HNSW graph");
            goto fail;
        }
    }
    free(h->locks);
    h->locks = NULL;
    *out = h;
    return 0;
fail:
    lh_hnsw_free(h);
    return rc;
}

void lh_hnsw_free(lh_hnsw *h) {
    if (!h) return;
    for (int i = 0; i < h->vis_n; i++) vis_free(h->vis_pool[i]);
    free(h->vis_pool);
    lh_sq8_free(h->sq);
    free(h->deleted);
    free(h->locks);
    if (h->map) {
        lh_hnsw_unmap(h);
    } else {
        free(h->l0);
        free(h->vecs);
        free(h->levels);
        free(h->upper_off);
        free(h->upper);
    }
    pthread_rwlock_destroy(&h->rw);
    pthread_mutex_destroy(&h->ep_lock);
    pthread_mutex_destroy(&h->vis_lock);
    free(h);
}

/* ---- updates ---------------------------------------------------------------- */

int lh_hnsw_insert(lh_hnsw *h, const float *v, uint32_t *label, lh_err *err) {
    if (!h) return lh_err_set(err, LH_EINVAL, "bad_index", "no index");
    int rc = lh_vec_check(v, h->dim, h->metric, err);
    if (rc) return rc;
    pthread_rwlock_wrlock(&h->rw);
    if (h->count >= UINT32_MAX - 1) {
        rc = lh_err_set(err, LH_ETOOBIG, "index_too_big", "an HNSW index holds < 2^32 vectors");
        goto out;
    }
    if (h->map && (rc = lh_hnsw_materialize(h, h->count * 2 + 16, err))) goto out;
    if (h->count == h->cap && (rc = reserve(h, h->cap * 2 + 16, err))) goto out;
    uint32_t id = (uint32_t)h->count;
    store_vector(h, id, v);
    if ((rc = place_levels(h, id, err))) goto out;
    h->count++;
    if (insert_node(h, id, false)) {
        /* The node is stored but unlinked: tombstone it so it is never a
         * half-visible result, and report the failure. */
        h->deleted[id >> 6] |= (uint64_t)1 << (id & 63);
        h->n_deleted++;
        rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "out of memory while linking vector %u", id);
        goto out;
    }
    if (label) *label = id;
out:
    pthread_rwlock_unlock(&h->rw);
    return rc;
}

int lh_hnsw_mark_deleted(lh_hnsw *h, uint32_t label, lh_err *err) {
    if (!h) return lh_err_set(err, LH_EINVAL, "bad_index", "no index");
    pthread_rwlock_wrlock(&h->rw);
    int rc = 0;
    if (label >= h->count) {
        rc = lh_err_set(err, LH_ENOTFOUND, "label_not_found", "label %u is not in the index (it holds %zu)", label,
                        h->count);
    } else if (!is_deleted(h, label)) {
        h->deleted[label >> 6] |= (uint64_t)1 << (label & 63);
        h->n_deleted++;
    }
    pthread_rwlock_unlock(&h->rw);
    return rc;
}

bool lh_hnsw_is_deleted(const lh_hnsw *h, uint32_t label) {
    if (!h) return false;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&h->rw);
    bool d = label < h->count && is_deleted(h, label);
    pthread_rwlock_unlock((pthread_rwlock_t *)&h->rw);
    return d;
}

/* ---- search ------------------------------------------------------------------ */

/* Word w of the labels a filtered search may return: allow (or all)
 * minus tombstones, clipped to count and to allow's nbits. */
static inline uint64_t eligible_word(const lh_hnsw *h, const lh_bitset *allow, size_t w) {
    uint64_t x = ~h->deleted[w];
    if ((w + 1) * 64 > h->count) x &= ((uint64_t)1 << (h->count % 64)) - 1;
    if (allow) {
        if (w * 64 >= allow->nbits) return 0;
        uint64_t a = allow->words[w];
        if ((w + 1) * 64 > allow->nbits) a &= ((uint64_t)1 << (allow->nbits % 64)) - 1;
        x &= a;
    }
    return x;
}

static size_t count_allowed(const lh_hnsw *h, const lh_bitset *allow) {
    size_t words = (h->count + 63) / 64, c = 0;
    for (size_t w = 0; w < words; w++) c += (size_t)__builtin_popcountll(eligible_word(h, allow, w));
    return c;
}

/* Exact top-k over the allowed, live labels, on f32. */
static void exact_allowed(const lh_hnsw *h, const qctx *c, const lh_bitset *allow, lh_topk *tk) {
    size_t words = (h->count + 63) / 64;
    for (size_t w = 0; w < words; w++) {
        uint64_t x = eligible_word(h, allow, w);
        while (x) {
            uint32_t id = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
            x &= x - 1;
            float d = f32_dist(c, lh_hnsw_vec(h, id));
            if (d < lh_topk_worst(tk)) lh_topk_push(tk, id, d);
        }
    }
}

int lh_hnsw_search(const lh_hnsw *h, const float *q, int k, int ef, const lh_bitset *allow, lh_vhit *out,
                   int *n_out, lh_err *err) {
    *n_out = 0;
    if (!h) return lh_err_set(err, LH_EINVAL, "bad_index", "no index");
    int rc = lh_vec_check_search(h->dim, k, q, h->metric, err);
    if (rc) return rc;
    if (ef <= 0) ef = h->p.ef_search;
    if (ef < k) ef = k;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&h->rw);
    if (h->count == 0) goto done;
    if ((size_t)ef > h->count) ef = (int)h->count; /* a huge k or ef costs no more than all nodes */
    bool filter = allow || h->n_deleted;
    int ef_eff = ef;
    bool exact = false;
    if (filter) {
        size_t allowed = count_allowed(h, allow);
        if (allowed == 0) goto done;
        /* Cost model: a filtered walk scores about 20*ef/s nodes to collect
         * ef eligible ones (s = allowed share); the exact path scores the
         * allowed ones. Below the crossing point exact is both cheaper and
         * always right, which is what keeps selective filters correct. */
        double s = (double)allowed / (double)h->count;
        exact = (double)allowed * (double)allowed < 20.0 * ef * (double)h->count || allowed <= (size_t)ef;
        if (!exact && s < 1.0) ef_eff = (int)(ef / (s > 0.25 ? s : 0.25));
    }
    lh_visited *v = vis_take(h, (size_t)ef_eff);
    if (!v) {
        rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for a search");
        goto done;
    }
    memcpy(v->qf, q, h->dim * sizeof(float));
    if (h->metric == LH_METRIC_COSINE) lh_vec_normalize(v->qf, h->dim);
    qctx c;
    ctx_init(&c, h);
    c.qf = v->qf;
    lh_topk tk = {out, 0, k};
    if (exact) {
        exact_allowed(h, &c, allow, &tk);
    } else {
        if (h->sq) {
            lh_sq8_query qq;
            lh_sq8_encode_query(h->sq, v->qf, v->qc, &qq);
            c.qc = v->qc;
            c.base = qq.base;
        }
        uint32_t cur = h->entry;
        float curd = qdist(&c, cur);
        for (int l = h->max_level; l > 0; l--) greedy(h, &c, l, false, v->nb, &cur, &curd);
        int n = search_layer(h, &c, v, cur, curd, 0, ef_eff, filter, allow, false);
        if (n < 0) {
            vis_give(h, v);
            rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for a search");
            goto done;
        }
        if (h->sq) {
            /* The walk's distances are estimates: re-rank the best of them
             * on f32. SQ8's error moves a true top-k hit some places down,
             * rarely past max(4k, k + 40) (measured on 768-d clustered
             * data); their vectors are prefetched first so the reads
             * overlap. */
            lh_topk all = {v->res, n, n};
            lh_topk_sort(&all);
            int nr = 4 * k > k + 40 ? 4 * k : k + 40;
            if (nr > n) nr = n;
            for (int i = 0; i < nr; i++) {
                const char *fv = (const char *)lh_hnsw_vec(h, v->res[i].label);
                _mm_prefetch(fv, _MM_HINT_T0);
                _mm_prefetch(fv + 64, _MM_HINT_T0);
            }
            for (int i = 0; i < nr; i++)
                lh_topk_push(&tk, v->res[i].label, f32_dist(&c, lh_hnsw_vec(h, v->res[i].label)));
        } else {
            for (int i = 0; i < n; i++) lh_topk_push(&tk, v->res[i].label, v->res[i].dist);
        }
    }
    lh_topk_sort(&tk);
    *n_out = tk.n;
    vis_give(h, v);
done:
    pthread_rwlock_unlock((pthread_rwlock_t *)&h->rw);
    return rc;
}

int lh_hnsw_search_exact(const lh_hnsw *h, const float *q, int k, const lh_bitset *allow, lh_vhit *out, int *n_out,
                         lh_err *err) {
    *n_out = 0;
    if (!h) return lh_err_set(err, LH_EINVAL, "bad_index", "no index");
    int rc = lh_vec_check_search(h->dim, k, q, h->metric, err);
    if (rc) return rc;
    float *qf = malloc(h->dim * sizeof *qf);
    if (!qf) return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory for a search");
    memcpy(qf, q, h->dim * sizeof *qf);
    if (h->metric == LH_METRIC_COSINE) lh_vec_normalize(qf, h->dim);
    pthread_rwlock_rdlock((pthread_rwlock_t *)&h->rw);
    qctx c;
    ctx_init(&c, h);
    c.qf = qf;
    lh_topk tk = {out, 0, k};
    exact_allowed(h, &c, allow, &tk);
    lh_topk_sort(&tk);
    *n_out = tk.n;
    pthread_rwlock_unlock((pthread_rwlock_t *)&h->rw);
    free(qf);
    return 0;
}

/* ---- accessors ------------------------------------------------------------- */

size_t lh_hnsw_count(const lh_hnsw *h) { return h ? h->count : 0; }
size_t lh_hnsw_deleted(const lh_hnsw *h) { return h ? h->n_deleted : 0; }
size_t lh_hnsw_dim(const lh_hnsw *h) { return h ? h->dim : 0; }
lh_metric lh_hnsw_metric(const lh_hnsw *h) { return h ? h->metric : LH_METRIC_COSINE; }
lh_hnsw_params lh_hnsw_get_params(const lh_hnsw *h) { return h ? h->p : lh_hnsw_params_default(); }
bool lh_hnsw_is_mapped(const lh_hnsw *h) { return h && h->map; }

size_t lh_hnsw_hot_bytes(const lh_hnsw *h) {
    if (!h) return 0;
    return h->count * (h->l0_stride + 1 + 4) + h->upper_len * 4;
}

size_t lh_hnsw_memory_bytes(const lh_hnsw *h) {
    if (!h) return 0;
    size_t b = lh_hnsw_hot_bytes(h) + (h->count + 63) / 64 * 8;
    if (h->sq) b += h->count * h->dim * sizeof(float) + h->dim * sizeof(float);
    return b;
}

const float *lh_hnsw_vector(const lh_hnsw *h, uint32_t label) {
    if (!h || label >= h->count) return NULL;
    return lh_hnsw_vec(h, label);
}

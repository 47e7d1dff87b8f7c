/* vector/hnsw_file.c — the HNSW sidecar file (hnsw.bin): save, load by
 * mmap, and the copy back into RAM when a loaded index takes an insert.
 *
 * Layout (little-endian, x86-64 native):
 *   [header, 512 bytes] then sections, each starting on a 64-byte boundary:
 *   SQ8 center (f32 x dim, sq8 only) | level-0 blocks (count x stride) |
 *   f32 vectors (sq8 only) | levels (u8) | upper offsets (u32) |
 *   upper links (u32) | tombstones (u64 words)
 * The sections are the in-memory arrays byte for byte, so loading is
 * mmap + pointer arithmetic: no parsing, no copy, pages come in on demand
 * and are shared between processes. Only the tombstone bitmap is copied
 * into RAM, so mark_deleted works on a loaded index; the first insert
 * copies the whole index into RAM (copy-on-write at index granularity).
 *
 * Integrity: the header carries magic, format version, an endianness
 * probe, the shape and parameters, every section's offset and length, the
 * file size, a CRC32C of the payload (SSE4.2 crc32 instruction, table
 * fallback) and a CRC32C of the header itself. A load checks all of them,
 * then checks the graph's ids are in range, so even a file with a forged
 * checksum cannot make a search read outside the mapping.
 *
 * Writes go to a temp file in the same folder, are fsynced, renamed over
 * the target and the folder is fsynced: a crash leaves the old file or the
 * new one, never a torn one.
 */
#include "vector/hnsw_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_BYTES  512
#define FMT_MAGIC  "LHHNSW\r\n"
#define FMT_VER    1
#define ENDIAN_TAG 0x01020304u

enum { S_CENTER, S_L0, S_VECS, S_LEVELS, S_UPOFF, S_UPPER, S_DELETED, S_COUNT };
static const char *const sec_name[S_COUNT] = {"sq8 center", "level-0 graph", "vectors", "levels",
                                              "upper offsets", "upper links", "tombstones"};

typedef struct file_hdr {
    char     magic[8];
    uint32_t version, header_bytes, endian, dim;
    uint32_t metric, m, ef_construction, ef_search;
    uint32_t sq8, entry;
    int32_t  max_level;
    uint32_t pad0;
    uint64_t seed, count, n_deleted, l0_stride, upper_len, file_bytes;
    float    sq_scale, sq_center_sq;
    struct {
        uint64_t off, len;
    } sec[S_COUNT];
    uint32_t payload_crc, header_crc;
} file_hdr;
_Static_assert(sizeof(file_hdr) <= HDR_BYTES, "sidecar header must fit its block");

/* ---- CRC32C -------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_soft(uint32_t crc, const uint8_t *p, size_t n) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc_table_init);
    while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
    }
    uint32_t c32 = (uint32_t)c;
    for (; n; n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

/* Running CRC32C (pass the previous result; start with 0). */
static uint32_t crc32c(uint32_t crc, const void *p, size_t n) {
    crc = ~crc;
    crc = __builtin_cpu_supports("sse4.2") ? crc_hw(crc, p, n) : crc_soft(crc, p, n);
    return ~crc;
}

/* ---- save ------------------------------------------------------------------ */

typedef struct wr {
    int      fd;
    uint64_t pos;
    uint32_t crc;
} wr;

static int wr_all(wr *w, const void *p, size_t n, bool crc) {
    const uint8_t *b = p;
    if (crc) w->crc = crc32c(w->crc, p, n);
    while (n) {
        ssize_t k = write(w->fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
        w->pos += (uint64_t)k;
    }
    return 0;
}

static int wr_pad(wr *w) {
    static const uint8_t zeros[64];
    size_t pad = (size_t)((64 - w->pos % 64) % 64);
    return pad ? wr_all(w, zeros, pad, true) : 0;
}

int lh_hnsw_save(const lh_hnsw *h, const char *path, lh_err *err) {
    if (!h || !path || !*path) return lh_err_set(err, LH_EINVAL, "bad_path", "no index or no sidecar path given");
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16), *dirc = strdup(path);
    if (!tmp || !dirc) {
        free(tmp);
        free(dirc);
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to save the index");
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int rc = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&h->rw);
    wr w = {.fd = mkstemp(tmp)};
    if (w.fd < 0) {
        rc = lh_err_set(err, LH_EIO, "io_error", "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    file_hdr hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, FMT_MAGIC, 8);
    hd.version = FMT_VER;
    hd.header_bytes = HDR_BYTES;
    hd.endian = ENDIAN_TAG;
    hd.dim = (uint32_t)h->dim;
    hd.metric = (uint32_t)h->metric;
    hd.m = (uint32_t)h->p.m;
    hd.ef_construction = (uint32_t)h->p.ef_construction;
    hd.ef_search = (uint32_t)h->p.ef_search;
    hd.sq8 = h->sq != NULL;
    hd.entry = h->entry;
    hd.max_level = h->max_level;
    hd.seed = h->p.seed;
    hd.count = h->count;
    hd.n_deleted = h->n_deleted;
    hd.l0_stride = h->l0_stride;
    hd.upper_len = h->upper_len;
    if (h->sq) {
        hd.sq_scale = h->sq->scale;
        hd.sq_center_sq = h->sq->center_sq;
    }
    const void *src[S_COUNT] = {h->sq ? h->sq->center : NULL, h->l0, h->vecs, h->levels,
                                h->upper_off, h->upper, h->deleted};
    uint64_t len[S_COUNT] = {h->sq ? h->dim * 4 : 0, h->count * h->l0_stride,
                             h->sq ? h->count * h->dim * 4 : 0, h->count, h->count * 4, h->upper_len * 4,
                             (h->count + 63) / 64 * 8};
    static const uint8_t zeros[HDR_BYTES];
    if (wr_all(&w, zeros, HDR_BYTES, false)) goto io;
    for (int s = 0; s < S_COUNT; s++) {
        if (wr_pad(&w)) goto io;
        hd.sec[s].off = w.pos;
        hd.sec[s].len = len[s];
        if (len[s] && wr_all(&w, src[s], len[s], true)) goto io;
    }
    hd.file_bytes = w.pos;
    hd.payload_crc = w.crc;
    hd.header_crc = crc32c(0, &hd, sizeof hd);
    if (pwrite(w.fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd) goto io;
    if (fsync(w.fd) != 0) goto io;
    if (close(w.fd) != 0) {
        w.fd = -1;
        goto io;
    }
    w.fd = -1;
    if (rename(tmp, path) != 0) goto io;
    int dfd = open(dirname(dirc), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    goto out;
io:
    rc = lh_err_set(err, LH_EIO, "io_error", "writing the index sidecar %s failed: %s", path, strerror(errno));
    if (w.fd >= 0) close(w.fd);
    unlink(tmp);
out:
    pthread_rwlock_unlock((pthread_rwlock_t *)&h->rw);
    free(tmp);
    free(dirc);
    return rc;
}

/* ---- load ------------------------------------------------------------------ */

static int bad(lh_err *err, const char *path, const char *why) {
    return lh_err_set(err, LH_EINVAL, "bad_sidecar", "%s is not a usable HNSW sidecar: %s; rebuild the index",
                      path, why);
}

/* The graph must only name nodes that exist: checked once at load so a
 * search never has to. */
static const char *check_graph(const lh_hnsw *h) {
    if (h->count && h->entry >= h->count) return "entry point out of range";
    if (h->max_level > 31 || (h->count && h->max_level < 0)) return "bad top level";
    for (size_t i = 0; i < h->count; i++) {
        const uint32_t *l = lh_hnsw_l0_links(h, (uint32_t)i);
        if (l[0] > (uint32_t)h->m0) return "level-0 link count out of range";
        for (uint32_t j = 0; j < l[0]; j++)
            if (l[1 + j] >= h->count) return "level-0 link out of range";
        int L = h->levels[i];
        if (L > h->max_level) return "node level above the top level";
        if (L == 0) continue;
        if ((uint64_t)h->upper_off[i] + (uint64_t)L * (uint64_t)(h->p.m + 1) > h->upper_len)
            return "upper links out of range";
        for (int lv = 1; lv <= L; lv++) {
            const uint32_t *u = lh_hnsw_upper_links(h, (uint32_t)i, lv);
            if (u[0] > (uint32_t)h->p.m) return "upper link count out of range";
            for (uint32_t j = 0; j < u[0]; j++)
                if (u[1 + j] >= h->count || h->levels[u[1 + j]] < lv) return "upper link out of range";
        }
    }
    return NULL;
}

int lh_hnsw_load(const char *path, lh_hnsw **out, lh_err *err) {
    *out = NULL;
    if (!path || !*path) return lh_err_set(err, LH_EINVAL, "bad_path", "no sidecar path given");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? lh_err_set(err, LH_ENOTFOUND, "sidecar_not_found", "no index sidecar at %s", path)
                               : lh_err_set(err, LH_EIO, "io_error", "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return lh_err_set(err, LH_EIO, "io_error", "cannot stat %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return bad(err, path, "not a regular file");
    }
    if (st.st_size < HDR_BYTES) {
        close(fd);
        return bad(err, path, "file is shorter than the header (truncated)");
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return lh_err_set(err, LH_EIO, "io_error", "cannot map %s: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    file_hdr hd;
    memcpy(&hd, map, sizeof hd);
    int rc = 0;
    lh_hnsw *h = NULL;
#define REFUSE(why)                  \
    do {                             \
        rc = bad(err, path, (why));  \
        goto fail;                   \
    } while (0)
    if (memcmp(hd.magic, FMT_MAGIC, 8) != 0) REFUSE("wrong magic (not written by lakehouse)");
    if (hd.endian != ENDIAN_TAG) REFUSE("written on a machine of the other byte order");
    if (hd.version != FMT_VER) {
        char why[96];
        snprintf(why, sizeof why, "format version %u, this build reads version %u", hd.version, FMT_VER);
        REFUSE(why);
    }
    uint32_t want = hd.header_crc;
    hd.header_crc = 0;
    if (crc32c(0, &hd, sizeof hd) != want) REFUSE("header checksum mismatch (corrupt)");
    if (hd.file_bytes != size) REFUSE(hd.file_bytes > size ? "file is truncated" : "file has trailing bytes");
    if (hd.metric > LH_METRIC_L2) REFUSE("unknown metric");
    if (hd.count >= UINT32_MAX) REFUSE("vector count out of range");
    lh_hnsw_params p = {.m = (int)hd.m, .ef_construction = (int)hd.ef_construction,
                        .ef_search = (int)hd.ef_search, .threads = 1, .seed = hd.seed, .sq8 = hd.sq8 != 0};
    lh_err perr;
    if (lh_hnsw_shell(hd.dim, (lh_metric)hd.metric, &p, &h, &perr)) REFUSE(perr.msg);
    uint64_t expect[S_COUNT] = {hd.sq8 ? (uint64_t)hd.dim * 4 : 0, hd.count * h->l0_stride,
                                hd.sq8 ? hd.count * hd.dim * 4 : 0, hd.count, hd.count * 4, hd.upper_len * 4,
                                (hd.count + 63) / 64 * 8};
    if (hd.l0_stride != h->l0_stride) REFUSE("level-0 stride does not match its parameters");
    uint64_t prev_end = HDR_BYTES;
    for (int s = 0; s < S_COUNT; s++) {
        if (hd.sec[s].len != expect[s] || hd.sec[s].off % 64 || hd.sec[s].off < prev_end ||
            hd.sec[s].off > size || hd.sec[s].len > size - hd.sec[s].off) {
            char why[96];
            snprintf(why, sizeof why, "section \"%s\" has a bad offset or length", sec_name[s]);
            REFUSE(why);
        }
        prev_end = hd.sec[s].off + hd.sec[s].len;
    }
    if (crc32c(0, (const uint8_t *)map + HDR_BYTES, size - HDR_BYTES) != hd.payload_crc)
        REFUSE("payload checksum mismatch (corrupt)");
    uint8_t *base = map;
    h->map = map;
    h->map_len = size;
    h->count = h->cap = hd.count;
    h->entry = hd.entry;
    h->max_level = hd.max_level;
    h->upper_len = h->upper_cap = hd.upper_len;
    h->l0 = base + hd.sec[S_L0].off;
    h->vecs = hd.sq8 ? (float *)(base + hd.sec[S_VECS].off) : NULL;
    h->levels = base + hd.sec[S_LEVELS].off;
    h->upper_off = (uint32_t *)(base + hd.sec[S_UPOFF].off);
    h->upper = (uint32_t *)(base + hd.sec[S_UPPER].off);
    size_t words = (hd.count + 63) / 64;
    h->deleted = calloc(words ? words : 1, 8);
    if (!h->deleted) {
        rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to load %s", path);
        goto fail;
    }
    memcpy(h->deleted, base + hd.sec[S_DELETED].off, words * 8);
    for (size_t w = 0; w < words; w++) h->n_deleted += (size_t)__builtin_popcountll(h->deleted[w]);
    if (h->n_deleted != hd.n_deleted) REFUSE("tombstone count does not match");
    if (hd.sq8) {
        h->sq = calloc(1, sizeof *h->sq);
        if (!h->sq) {
            rc = lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to load %s", path);
            goto fail;
        }
        *h->sq = (lh_sq8){.dim = hd.dim, .metric = (lh_metric)hd.metric, .scale = hd.sq_scale,
                          .center_sq = hd.sq_center_sq, .center = (float *)(base + hd.sec[S_CENTER].off)};
        if (!(hd.sq_scale > 0)) REFUSE("SQ8 step is not positive");
    }
    const char *why = check_graph(h);
    if (why) REFUSE(why);
#undef REFUSE
    *out = h;
    return 0;
fail:
    if (h) {
        if (!h->map) munmap(map, size);
        lh_hnsw_free(h);
    } else {
        munmap(map, size);
    }
    return rc;
}

void lh_hnsw_unmap(lh_hnsw *h) {
    if (h->map) munmap(h->map, h->map_len);
    h->map = NULL;
    h->map_len = 0;
}

/* ---- copy into RAM ------------------------------------------------------------ */

int lh_hnsw_materialize(lh_hnsw *h, size_t cap, lh_err *err) {
    if (!h->map) return 0;
    if (cap < h->count) cap = h->count;
    size_t words = (cap + 63) / 64, ucap = h->upper_len ? h->upper_len : 1024;
    uint8_t *l0 = calloc(cap, h->l0_stride);
    float *vecs = h->sq ? malloc(cap * h->dim * sizeof(float)) : NULL;
    uint8_t *levels = calloc(cap, 1);
    uint32_t *uo = calloc(cap, sizeof *uo);
    uint32_t *up = malloc(ucap * sizeof *up);
    uint64_t *del = calloc(words, 8);
    float *center = h->sq ? malloc(h->dim * sizeof(float)) : NULL;
    if (!l0 || (h->sq && (!vecs || !center)) || !levels || !uo || !up || !del) {
        free(l0), free(vecs), free(levels), free(uo), free(up), free(del), free(center);
        return lh_err_set(err, LH_ENOMEM, "out_of_memory", "no memory to copy the index into RAM for an insert");
    }
    memcpy(l0, h->l0, h->count * h->l0_stride);
    if (h->sq) {
        memcpy(vecs, h->vecs, h->count * h->dim * sizeof(float));
        memcpy(center, h->sq->center, h->dim * sizeof(float));
        h->sq->center = center;
        h->sq->owns = true;
    }
    memcpy(levels, h->levels, h->count);
    memcpy(uo, h->upper_off, h->count * sizeof *uo);
    memcpy(up, h->upper, h->upper_len * sizeof *up);
    memcpy(del, h->deleted, (h->count + 63) / 64 * 8);
    free(h->deleted);
    lh_hnsw_unmap(h);
    h->l0 = l0;
    h->vecs = vecs;
    h->levels = levels;
    h->upper_off = uo;
    h->upper = up;
    h->upper_cap = ucap;
    h->deleted = del;
    h->cap = cap;
    return 0;
}

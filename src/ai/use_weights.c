/* ai/use_weights.c — loading USE-lite's weights from the pinned npm files.
 *
 * model.json (a TensorFlow.js graph model) lists every tensor of the graph
 * in one weights group: name, shape and dtype, in the order their bytes
 * appear in the group's shard files concatenated (little-endian float32 or
 * int32, back to back, no alignment padding). We read the shards into one
 * buffer (28 MB; a few milliseconds) and point at the tensors we need,
 * found by a unique name suffix as the reference oracle does, each checked
 * for dtype and element count so a different model fails loudly at open
 * rather than computing garbage. The two scalars that shape the arithmetic
 * — the attention query scales and the epsilons — are read from the graph
 * too, not hard-coded.
 *
 * No conversion to a private format: reading the shards costs about what
 * mapping a converted file would, and one source of truth cannot go stale.
 */
#include "ai/use_internal.h"

#include "core/buf.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the USE-lite shards are little-endian; this loader reads them in place"
#endif

typedef struct tensor {
    const char *name;
    size_t      offset;   /* bytes into the blob */
    size_t      count;    /* elements */
    int         is_float;
} tensor;

typedef struct table {
    tensor     *t;
    size_t      n;
    const float *blob;
    const char *dir;
} table;

/* The one tensor whose name ends with `suffix`; NULL (err filled) when none
 * or several do. */
static const tensor *lookup(const table *tb, const char *suffix, lh_err *err)
{
    const tensor *hit = NULL;
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < tb->n; i++) {
        size_t nl = strlen(tb->t[i].name);
        if (nl < sl || strcmp(tb->t[i].name + nl - sl, suffix) != 0) continue;
        if (hit) {
            lh_err_set(err, LH_EINVAL, "model_invalid",
                       "%s/model.json: more than one tensor ends with \"%s\"; "
                       "this is not the USE-lite model (re-run scripts/setup.sh)", tb->dir, suffix);
            return NULL;
        }
        hit = &tb->t[i];
    }
    if (!hit)
        lh_err_set(err, LH_EINVAL, "model_invalid",
                   "%s/model.json has no tensor \"%s\"; this is not the USE-lite model "
                   "(re-run scripts/setup.sh)", tb->dir, suffix);
    return hit;
}

/* The tensor ending with `suffix`, checked to be float32 with `count`
 * elements. */
static int find(const table *tb, const char *suffix, size_t count, const float **out, lh_err *err)
{
    const tensor *hit = lookup(tb, suffix, err);
    if (!hit) return err ? err->status : LH_EINVAL;
    if (!hit->is_float || hit->count != count)
        return lh_err_set(err, LH_EINVAL, "model_invalid",
                          "%s/model.json: tensor \"%s\" has %zu %s elements, expected %zu float32",
                          tb->dir, hit->name, hit->count, hit->is_float ? "float32" : "int32", count);
    *out = tb->blob + hit->offset / sizeof(float);
    return 0;
}

static int read_file_into(const char *path, char *dst, size_t want, lh_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lh_err_set(err, LH_EUNAVAIL, "model_missing", "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size != want) {
        close(fd);
        return lh_err_set(err, LH_EINVAL, "model_invalid",
                          "%s is %lld bytes, model.json says %zu (re-run scripts/setup.sh)", path,
                          (long long)st.st_size, want);
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, dst + got, want - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            close(fd);
            return lh_err_set(err, LH_EIO, "model_unreadable", "reading %s: %s", path,
                              r == 0 ? "unexpected end of file" : strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

/* Read model.json's tensor list into tb (names point into the json). */
static int parse_manifest(json_t *root, const char *dir, table *tb, json_t **paths, lh_err *err)
{
    json_t *groups = json_object_get(root, "weightsManifest");
    json_t *g = json_array_get(groups, 0);
    json_t *weights = json_object_get(g, "weights");
    *paths = json_object_get(g, "paths");
    if (json_array_size(groups) != 1 || !json_is_array(weights) || !json_is_array(*paths) ||
        json_array_size(*paths) == 0)
        return lh_err_set(err, LH_EINVAL, "model_invalid",
                          "%s/model.json has no single weights group with paths and weights", dir);
    tb->n = json_array_size(weights);
    tb->t = lh_xcalloc(tb->n ? tb->n : 1, sizeof *tb->t);
    size_t off = 0;
    for (size_t i = 0; i < tb->n; i++) {
        json_t *w = json_array_get(weights, i);
        const char *name = json_string_value(json_object_get(w, "name"));
        const char *dtype = json_string_value(json_object_get(w, "dtype"));
        json_t *shape = json_object_get(w, "shape");
        if (!name || !dtype || !json_is_array(shape) ||
            (strcmp(dtype, "float32") != 0 && strcmp(dtype, "int32") != 0))
            return lh_err_set(err, LH_EINVAL, "model_invalid",
                              "%s/model.json: weight %zu lacks a name, a shape or a 4-byte dtype", dir, i);
        size_t count = 1;
        for (size_t k = 0; k < json_array_size(shape); k++) {
            json_int_t d = json_integer_value(json_array_get(shape, k));
            if (d < 0 || d > (1 << 24))
                return lh_err_set(err, LH_EINVAL, "model_invalid",
                                  "%s/model.json: tensor %s has a bad shape", dir, name);
            count *= (size_t)d;
        }
        tb->t[i] = (tensor){name, off, count, strcmp(dtype, "float32") == 0};
        off += 4 * count;
    }
    return 0;
}

int lh_use_weights_load(const char *dir, lh_use_weights *w, lh_err *err)
{
    memset(w, 0, sizeof *w);
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (access(path, F_OK) != 0)
            return lh_err_set(err, LH_EUNAVAIL, "model_missing", "cannot open %s: %s", path, strerror(errno));
        return lh_err_set(err, LH_EINVAL, "model_invalid", "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    table tb = {0};
    tb.dir = dir;
    json_t *paths = NULL;
    int rc = parse_manifest(root, dir, &tb, &paths, err);
    if (rc) goto out;

    /* Shard sizes are implied by the tensor list: all shards but the last
     * are the same size (TF.js splits at a fixed shard size), so read the
     * file sizes instead and require their sum to equal the tensors'. */
    size_t total = tb.n ? tb.t[tb.n - 1].offset + 4 * tb.t[tb.n - 1].count : 0;
    size_t np = json_array_size(paths), sum = 0;
    size_t *sizes = lh_xcalloc(np, sizeof *sizes);
    for (size_t i = 0; i < np && !rc; i++) {
        const char *p = json_string_value(json_array_get(paths, i));
        if (!p || !*p || strchr(p, '/') || strcmp(p, "..") == 0) {
            rc = lh_err_set(err, LH_EINVAL, "model_invalid", "%s: shard path %zu is not a plain file name",
                            path, i);
            break;
        }
        char sp[4096];
        snprintf(sp, sizeof sp, "%s/%s", dir, p);
        struct stat st;
        if (stat(sp, &st) != 0)
            rc = lh_err_set(err, LH_EUNAVAIL, "model_missing", "cannot open %s: %s", sp, strerror(errno));
        else
            sizes[i] = (size_t)st.st_size, sum += sizes[i];
    }
    if (!rc && sum != total)
        rc = lh_err_set(err, LH_EINVAL, "model_invalid",
                        "the shards in %s hold %zu bytes, model.json lists %zu (re-run scripts/setup.sh)",
                        dir, sum, total);
    if (!rc) {
        w->blob = lh_xmalloc(total ? total : 4);
        w->blob_len = total;
        size_t off = 0;
        for (size_t i = 0; i < np && !rc; i++) {
            char sp[4096];
            snprintf(sp, sizeof sp, "%s/%s", dir, json_string_value(json_array_get(paths, i)));
            rc = read_file_into(sp, (char *)w->blob + off, sizes[i], err);
            off += sizes[i];
        }
    }
    free(sizes);
    if (rc) goto out;
    tb.blob = w->blob;

    const float *inv = NULL, *scale0 = NULL, *scale1 = NULL, *ln_eps = NULL, *l2_eps = NULL;
    /* The table has spare rows past the vocabulary (8002 for 8000 pieces). */
    const tensor *emb = lookup(&tb, "module/Embeddings_en", err);
    if (!emb) {
        rc = LH_EINVAL;
        goto out;
    }
    w->n_emb = emb->count / 256;
    if (emb->count % 256 != 0 || w->n_emb < 8000) {
        rc = lh_err_set(err, LH_EINVAL, "model_invalid",
                        "%s/model.json: the embedding table is not 256 wide for 8000 pieces", dir);
        goto out;
    }
    rc = find(&tb, "module/Embeddings_en", w->n_emb * 256, &w->emb, err);
    if (!rc) rc = find(&tb, "AddTimingSignal/TimingSignal/ExpandDims_1", 128, &inv, err);
    if (!rc) rc = find(&tb, "Layer_0/TransformerLayer/MultiheadAttention/mul/y", 1, &scale0, err);
    if (!rc) rc = find(&tb, "Layer_1/TransformerLayer/MultiheadAttention/mul/y", 1, &scale1, err);
    if (!rc) rc = find(&tb, "layer_norm/Cast/x", 1, &ln_eps, err);
    if (!rc) rc = find(&tb, "l2_normalize/Maximum/y", 1, &l2_eps, err);
    if (!rc) rc = find(&tb, "hidden_layers/tanh_layer_0/weights", 512 * 512, &w->wt, err);
    if (!rc) rc = find(&tb, "hidden_layers/tanh_layer_0/bias", 512, &w->bt, err);
    for (int L = 0; L < 2 && !rc; L++) {
        lh_use_layer *ly = &w->layer[L];
        int din = L == 0 ? 256 : 512;
        *ly = (lh_use_layer){.din = din, .heads = 4, .dh = din / 4};
        char s[512];
        const char *P = "Encoder_en/KonaTransformer/Encode/";
#define T(field, cnt, ...) do { if (!rc) { snprintf(s, sizeof s, __VA_ARGS__); \
        rc = find(&tb, s, (size_t)(cnt), &ly->field, err); } } while (0)
        T(ln1_s, din, "%sLayer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", P, L);
        T(ln1_b, din, "%sLayer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", P, L);
        T(wqkv, din * 3 * din, "Encode/Layer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", L);
        T(bqkv, 3 * din, "%sLayer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", P, L);
        T(wo, din * 512, "Encode/Layer_%d/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", L);
        T(bo, 512, "%sLayer_%d/TransformerLayer/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", P, L);
        if (L == 0) {  /* layer 0 widens 256 → 512, so its residual is projected */
            T(wd, din * 512, "%sLayer_%d/TransformerLayer/dense/kernel/ConcatPartitions/concat", P, L);
            T(bd, 512, "%sLayer_%d/TransformerLayer/dense/bias/ConcatPartitions/concat", P, L);
        }
        T(ln2_s, 512, "%sLayer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", P, L);
        T(ln2_b, 512, "%sLayer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", P, L);
        T(w1, 512 * 1536, "TransformerStack/Layer_%d/TransformerLayer/FFN/conv1/Tensordot/Reshape_1", L);
        T(b1, 1536, "%sLayer_%d/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat", P, L);
        T(w2, 1536 * 512, "TransformerStack/Layer_%d/TransformerLayer/FFN/conv2/Tensordot/Reshape_1", L);
        T(b2, 512, "%sLayer_%d/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat", P, L);
#undef T
    }
    if (rc) goto out;
    w->layer[0].scale = *scale0;
    w->layer[1].scale = *scale1;
    w->ln_eps = *ln_eps;
    w->l2_eps = *l2_eps;

    /* The timing signal depends only on the position: one table for the
     * 128 positions a text can have, computed in double like the oracle. */
    w->timing = lh_xmalloc(sizeof(float) * LH_USE_MAX_TOKENS * 256);
    for (int p = 0; p < LH_USE_MAX_TOKENS; p++)
        for (int j = 0; j < 128; j++) {
            double a = (double)p * (double)inv[j];
            w->timing[p * 256 + j] = (float)sin(a);
            w->timing[p * 256 + 128 + j] = (float)cos(a);
        }
out:
    free(tb.t);
    json_decref(root);
    if (rc) lh_use_weights_free(w);
    return rc;
}

void lh_use_weights_free(lh_use_weights *w)
{
    if (!w) return;
    free(w->blob);
    free(w->timing);
    memset(w, 0, sizeof *w);
}

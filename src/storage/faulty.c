/* storage/faulty.c — a bucket that fails on request.
 *
 * Fault paths that only run when a disk fills or a network drops are the
 * ones that go untested (SQLite's lesson). This wrapper forwards every
 * operation to an inner store it does not own, except the operations named
 * in the current fault mask, which fail with the configured status, code
 * "injected_fault" and a message naming the operation. A put fails at
 * writer_open, before anything is staged. Readers and writers already
 * opened are the inner store's and keep working — except that a get made
 * while LH_FAULT_READ is set returns a reader that delivers its first
 * piece and then fails, as a connection dropped mid-object does, so the
 * clean-up of half-copied files is testable.
 *
 * The mask and status are atomics, so a test may flip faults while other
 * threads use the store. Setting both is not one atomic step: an
 * operation racing lh_objstore_faulty_set may see the new mask with the
 * old status (never a status of 0 for a masked op — see faulty_check).
 */
#include "storage/objstore.h"
#include "storage/objstore_impl.h"

#include "core/buf.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct faulty_store {
    lh_objstore base;
    lh_objstore *inner;
    atomic_int mask;
    atomic_int status;
} faulty_store;

static faulty_store *FS(lh_objstore *s) { return (faulty_store *)s; }

static int faulty_check(faulty_store *fs, int op, const char *opname, const char *key,
                        lh_err *err)
{
    if (!(atomic_load(&fs->mask) & op)) return 0;
    int st = atomic_load(&fs->status);
    if (st >= 0) st = LH_EIO;
    return lh_err_set(err, st, "injected_fault",
                      "injected fault: %s%s%s%s in bucket \"%s\" failed (fault injection is on "
                      "for this operation)", opname, key ? " of \"" : "", key ? key : "",
                      key ? "\"" : "", fs->base.name);
}

/* ---- a reader that breaks after its first piece (LH_FAULT_READ) ---- */

typedef struct broken_reader {
    lh_obj_reader  base;
    lh_obj_reader *inner;
    faulty_store  *fs;
    char          *key;
    uint64_t       delivered;
} broken_reader;

static int64_t br_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err)
{
    broken_reader *b = (broken_reader *)r;
    if (b->delivered) {
        int st = atomic_load(&b->fs->status);
        return lh_err_set(err, st < 0 ? st : LH_EIO, "injected_fault",
                          "injected fault: read of \"%s\" in bucket \"%s\" broke off after %llu bytes (fault "
                          "injection is on for reads)", b->key, b->fs->base.name, (unsigned long long)b->delivered);
    }
    int64_t got = lh_obj_reader_read(b->inner, buf, n, err);
    if (got > 0) b->delivered = (uint64_t)got;
    return got;
}

static void br_close(lh_obj_reader *r)
{
    broken_reader *b = (broken_reader *)r;
    lh_obj_reader_close(b->inner);
    free(b->key);
    free(b);
}

static const lh_obj_reader_ops broken_reader_ops = {br_read, br_close};

static int f_get(lh_objstore *s, const char *key, lh_range range,
                 lh_obj_reader **out, lh_obj_info *info, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_GET, "get", key, err);
    if (!rc) rc = FS(s)->inner->ops->get(FS(s)->inner, key, range, out, info, err);
    if (rc || !(atomic_load(&FS(s)->mask) & LH_FAULT_READ)) return rc;
    broken_reader *b = lh_xcalloc(1, sizeof *b);
    b->base.ops = &broken_reader_ops;
    b->base.length = (*out)->length;
    b->inner = *out;
    b->fs = FS(s);
    b->key = lh_xstrdup(key);
    *out = &b->base;
    return 0;
}

static int f_writer_open(lh_objstore *s, const char *key, int flags,
                         lh_obj_writer **out, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_PUT, "put", key, err);
    return rc ? rc : FS(s)->inner->ops->writer_open(FS(s)->inner, key, flags, out, err);
}

static int f_head(lh_objstore *s, const char *key, lh_obj_info *info, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_HEAD, "head", key, err);
    return rc ? rc : FS(s)->inner->ops->head(FS(s)->inner, key, info, err);
}

static int f_list(lh_objstore *s, const lh_list_opts *opts, lh_list *out, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_LIST, "list", NULL, err);
    return rc ? rc : FS(s)->inner->ops->list(FS(s)->inner, opts, out, err);
}

static int f_del(lh_objstore *s, const char *key, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_DELETE, "delete", key, err);
    return rc ? rc : FS(s)->inner->ops->del(FS(s)->inner, key, err);
}

static int f_probe(lh_objstore *s, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_PROBE, "probe", NULL, err);
    return rc ? rc : FS(s)->inner->ops->probe(FS(s)->inner, err);
}

static int f_copy(lh_objstore *s, const char *src, const char *dst, lh_obj_info *info, lh_err *err)
{
    int rc = faulty_check(FS(s), LH_FAULT_PUT, "copy", dst, err);
    return rc ? rc : lh_objstore_copy(FS(s)->inner, src, dst, info, err);
}

static const char *f_local_root(const lh_objstore *s)
{
    return lh_objstore_local_root(((const faulty_store *)s)->inner);
}

static void f_destroy(lh_objstore *s)
{
    free(s->name);
    free(s);
}

static const lh_objstore_ops faulty_ops = {
    .backend = "faulty",
    .get = f_get,
    .writer_open = f_writer_open,
    .head = f_head,
    .list = f_list,
    .del = f_del,
    .probe = f_probe,
    .local_root = f_local_root,
    .destroy = f_destroy,
    .copy = f_copy,
};

int lh_objstore_faulty_new(lh_objstore *inner, lh_objstore **out, lh_err *err)
{
    if (out) *out = NULL;
    if (!inner || !out)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "lh_objstore_faulty_new: inner store and out are required");
    faulty_store *fs = lh_xcalloc(1, sizeof *fs);
    fs->base.ops = &faulty_ops;
    fs->base.name = lh_xstrdup(inner->name);
    fs->inner = inner;
    atomic_init(&fs->mask, 0);
    atomic_init(&fs->status, 0);
    *out = &fs->base;
    return 0;
}

void lh_objstore_faulty_set(lh_objstore *faulty, int mask, int status)
{
    if (!faulty || faulty->ops != &faulty_ops) return;
    faulty_store *fs = FS(faulty);
    if (status == 0) mask = 0;  /* 0 clears */
    /* Status first, so an op that sees the new mask sees this status. */
    atomic_store(&fs->status, status);
    atomic_store(&fs->mask, mask & LH_FAULT_ALL);
}

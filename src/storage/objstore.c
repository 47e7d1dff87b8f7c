/* storage/objstore.c — the public door to every backend.
 *
 * The functions here do the checks that must not depend on which backend
 * is behind a bucket — key validation (storage/key.c), NULL arguments,
 * unknown flags — and then dispatch through s->ops. Backends may therefore
 * assume a valid key and non-NULL out-parameters (objstore_impl.h).
 *
 * Convention between this file and the backends: ops->destroy frees
 * everything the backend allocated, including s->name and the struct that
 * embeds the lh_objstore; readers and writers free themselves in
 * close/commit/abort.
 */
#include "storage/objstore.h"
#include "storage/objstore_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bad_arg(lh_err *err, const char *fn, const char *what)
{
    return lh_err_set(err, LH_EINVAL, "invalid_argument", "%s: %s", fn, what);
}

/* ---- store ---- */

void lh_objstore_free(lh_objstore *s)
{
    if (!s) return;
    assert(s->ops && s->ops->destroy);
    s->ops->destroy(s);
}

const char *lh_objstore_name(const lh_objstore *s) { return s ? s->name : NULL; }

const char *lh_objstore_backend(const lh_objstore *s) { return s ? s->ops->backend : NULL; }

const char *lh_objstore_local_root(const lh_objstore *s)
{
    if (!s || !s->ops->local_root) return NULL;
    return s->ops->local_root(s);
}

/* ---- get ---- */

int lh_objstore_get(lh_objstore *s, const char *key, lh_range range,
                    lh_obj_reader **out, lh_obj_info *info, lh_err *err)
{
    if (out) *out = NULL;
    if (!s) return bad_arg(err, "lh_objstore_get", "store is NULL");
    if (!out) return bad_arg(err, "lh_objstore_get", "out is NULL");
    int rc = lh_key_validate(key, err);
    if (rc) return rc;
    lh_obj_info tmp;
    rc = s->ops->get(s, key, range, out, info ? info : &tmp, err);
    assert(rc != 0 || *out != NULL);
    return rc;
}

int64_t lh_obj_reader_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err)
{
    if (!r || (!buf && n)) return bad_arg(err, "lh_obj_reader_read", "reader or buffer is NULL");
    if (n == 0) return 0;
    return r->ops->read(r, buf, n, err);
}

uint64_t lh_obj_reader_length(const lh_obj_reader *r) { return r ? r->length : 0; }

void lh_obj_reader_close(lh_obj_reader *r)
{
    if (r) r->ops->close(r);
}

int lh_objstore_get_buf(lh_objstore *s, const char *key, lh_range range,
                        lh_buf *out, lh_obj_info *info, lh_err *err)
{
    if (!out) return bad_arg(err, "lh_objstore_get_buf", "out is NULL");
    lh_buf_reset(out);
    lh_obj_reader *r;
    int rc = lh_objstore_get(s, key, range, &r, info, err);
    if (rc) return rc;
    uint64_t want = lh_obj_reader_length(r);
    if (want > (uint64_t)SIZE_MAX / 2) {
        lh_obj_reader_close(r);
        return lh_err_set(err, LH_ETOOBIG, "object_too_large",
                          "object \"%s\" in bucket \"%s\" is too large to read into memory",
                          key, lh_objstore_name(s));
    }
    lh_buf_reserve(out, (size_t)want);
    for (;;) {
        lh_buf_reserve(out, 64 * 1024);
        int64_t got = lh_obj_reader_read(r, out->data + out->len, out->cap - out->len - 1, err);
        if (got < 0) {
            lh_obj_reader_close(r);
            lh_buf_reset(out);
            return (int)got;
        }
        if (got == 0) break;
        out->len += (size_t)got;
        out->data[out->len] = '\0';
    }
    lh_obj_reader_close(r);
    return 0;
}

/* ---- put ---- */

int lh_objstore_writer_open(lh_objstore *s, const char *key, int flags,
                            lh_obj_writer **out, lh_err *err)
{
    if (out) *out = NULL;
    if (!s) return bad_arg(err, "lh_objstore_writer_open", "store is NULL");
    if (!out) return bad_arg(err, "lh_objstore_writer_open", "out is NULL");
    if (flags & ~LH_PUT_CREATE_ONLY)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "lh_objstore_writer_open: unknown flags 0x%x", (unsigned)flags);
    int rc = lh_key_validate(key, err);
    if (rc) return rc;
    rc = s->ops->writer_open(s, key, flags, out, err);
    assert(rc != 0 || *out != NULL);
    return rc;
}

int lh_obj_writer_write(lh_obj_writer *w, const void *data, size_t n, lh_err *err)
{
    if (!w || (!data && n)) return bad_arg(err, "lh_obj_writer_write", "writer or data is NULL");
    if (n == 0) return 0;
    return w->ops->write(w, data, n, err);
}

int lh_obj_writer_commit(lh_obj_writer *w, lh_obj_info *info, lh_err *err)
{
    if (!w) return bad_arg(err, "lh_obj_writer_commit", "writer is NULL");
    lh_obj_info tmp;
    return w->ops->commit(w, info ? info : &tmp, err);
}

void lh_obj_writer_abort(lh_obj_writer *w)
{
    if (w) w->ops->abort(w);
}

int lh_objstore_put(lh_objstore *s, const char *key, const void *data, size_t n,
                    int flags, lh_obj_info *info, lh_err *err)
{
    if (!data && n) return bad_arg(err, "lh_objstore_put", "data is NULL");
    lh_obj_writer *w;
    int rc = lh_objstore_writer_open(s, key, flags, &w, err);
    if (rc) return rc;
    rc = lh_obj_writer_write(w, data, n, err);
    if (rc) {
        lh_obj_writer_abort(w);
        return rc;
    }
    return lh_obj_writer_commit(w, info, err);
}

/* ---- head, list, delete, probe ---- */

int lh_objstore_head(lh_objstore *s, const char *key, lh_obj_info *info, lh_err *err)
{
    if (!s) return bad_arg(err, "lh_objstore_head", "store is NULL");
    int rc = lh_key_validate(key, err);
    if (rc) return rc;
    lh_obj_info tmp;
    return s->ops->head(s, key, info ? info : &tmp, err);
}

/* A delimiter is echoed into prefixes and cursors, so it obeys the byte
 * rules of keys (checked by validating it as a prefix), minus the segment
 * rules, which do not apply to it. */
static int delimiter_validate(const char *d, lh_err *err)
{
    size_t n = strlen(d);
    if (n > 64)
        return lh_err_set(err, LH_EINVAL, "invalid_delimiter",
                          "list delimiter is %zu bytes long; the limit is 64", n);
    /* "x" + d avoids the leading-"/" and segment rules for "/". */
    char tmp[80];
    tmp[0] = 'x';
    memcpy(tmp + 1, d, n + 1);
    for (char *p = tmp; *p; p++)
        if (*p == '/') *p = 'x';
    lh_err e;
    if (lh_prefix_validate(tmp, &e))
        return lh_err_set(err, LH_EINVAL, "invalid_delimiter",
                          "list delimiter must be printable UTF-8 without backslashes");
    return 0;
}

int lh_objstore_list(lh_objstore *s, const lh_list_opts *opts, lh_list *out, lh_err *err)
{
    if (out) memset(out, 0, sizeof *out);
    if (!s) return bad_arg(err, "lh_objstore_list", "store is NULL");
    if (!out) return bad_arg(err, "lh_objstore_list", "out is NULL");
    lh_list_opts o = {0};
    if (opts) o = *opts;
    if (o.prefix && !o.prefix[0]) o.prefix = NULL;
    if (o.delimiter && !o.delimiter[0]) o.delimiter = NULL;
    if (o.cursor && !o.cursor[0]) o.cursor = NULL;
    if (o.max_keys == 0) o.max_keys = 1000;
    int rc = lh_prefix_validate(o.prefix, err);
    if (rc) return rc;
    if (o.delimiter && (rc = delimiter_validate(o.delimiter, err))) return rc;
    if (o.cursor) {
        lh_err e;
        if (lh_prefix_validate(o.cursor, &e))
            return lh_err_set(err, LH_EINVAL, "invalid_cursor",
                              "list cursor is not one this bucket returned; pass the "
                              "next_cursor of the previous page unchanged");
    }
    rc = s->ops->list(s, &o, out, err);
    if (rc) lh_list_free(out);
    return rc;
}

void lh_list_free(lh_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n_objects; i++) free(l->objects[i].key);
    free(l->objects);
    for (size_t i = 0; i < l->n_prefixes; i++) free(l->prefixes[i]);
    free(l->prefixes);
    free(l->next_cursor);
    memset(l, 0, sizeof *l);
}

int lh_objstore_delete(lh_objstore *s, const char *key, lh_err *err)
{
    if (!s) return bad_arg(err, "lh_objstore_delete", "store is NULL");
    int rc = lh_key_validate(key, err);
    if (rc) return rc;
    return s->ops->del(s, key, err);
}

/* ---- streaming a reader somewhere ---- */

/* The one read loop behind every reader-to-file and reader-to-writer copy:
 * r's bytes, 1 MiB at a time, go to put(ctx, ...) until the end of the
 * object, a read error (prefixed with the object's name, which a backend's
 * reader may not know) or put's error, which is returned as it is. */
static int reader_pump(lh_obj_reader *r, const char *bucket, const char *key,
                       int (*put)(void *ctx, const void *data, size_t n, lh_err *err), void *ctx, lh_err *err)
{
    size_t cap = 1 << 20;
    char *buf = lh_xmalloc(cap);
    int rc = 0;
    for (;;) {
        int64_t n = lh_obj_reader_read(r, buf, cap, err);
        if (n < 0) {
            rc = (int)n;
            lh_err_prefix(err, "reading \"%s\" of bucket \"%s\"", key, bucket);
            break;
        }
        if (n == 0 || (rc = put(ctx, buf, (size_t)n, err))) break;
    }
    free(buf);
    return rc;
}

static int writer_put(void *w, const void *data, size_t n, lh_err *err)
{
    return lh_obj_writer_write(w, data, n, err);
}

typedef struct file_sink {
    int         fd;
    const char *bucket, *key, *path;
} file_sink;

static int file_fail(const file_sink *f, const char *what, lh_err *err)
{
    return lh_err_set(err, LH_EIO, "io_error", "%s %s (a copy of \"%s\" of bucket \"%s\"): %s", what, f->path,
                      f->key, f->bucket, strerror(errno));
}

static int file_put(void *ctx, const void *data, size_t n, lh_err *err)
{
    const file_sink *f = ctx;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(f->fd, (const char *)data + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return file_fail(f, "cannot write", err);
        off += (size_t)w;
    }
    return 0;
}

/* Either source into `path`: r's bytes (r != NULL) or the file src_fd's. */
static int copy_to_file(lh_obj_reader *r, int src_fd, const char *bucket, const char *key, const char *path,
                        int flags, uint64_t *bytes, lh_err *err)
{
    if (flags & ~LH_FILE_FSYNC)
        return lh_err_set(err, LH_EINVAL, "invalid_argument", "copying to %s: unknown flags 0x%x", path,
                          (unsigned)flags);
    file_sink f = {-1, bucket ? bucket : "?", key ? key : "?", path};
    f.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f.fd < 0) return file_fail(&f, "cannot create", err);
    int rc = 0;
    if (r) {
        rc = reader_pump(r, f.bucket, f.key, file_put, &f, err);
    } else {
        size_t cap = 1 << 20;
        char *buf = lh_xmalloc(cap);
        for (;;) {
            ssize_t n = read(src_fd, buf, cap);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) rc = lh_err_set(err, LH_EIO, "io_error", "cannot read the local copy of \"%s\" of bucket "
                                       "\"%s\": %s", f.key, f.bucket, strerror(errno));
            if (n <= 0 || (rc = file_put(&f, buf, (size_t)n, err))) break;
        }
        free(buf);
    }
    if (!rc && (flags & LH_FILE_FSYNC) && fsync(f.fd) != 0) rc = file_fail(&f, "cannot flush", err);
    struct stat st;
    if (!rc && bytes) *bytes = fstat(f.fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (close(f.fd) != 0 && !rc) rc = file_fail(&f, "cannot write", err);
    if (rc) unlink(path);  /* never leave a prefix of the object behind */
    return rc;
}

int lh_obj_reader_to_file(lh_obj_reader *r, const char *bucket, const char *key, const char *path, int flags,
                          lh_err *err)
{
    if (!r || !path) return bad_arg(err, "lh_obj_reader_to_file", "reader or path is NULL");
    return copy_to_file(r, -1, bucket, key, path, flags, NULL, err);
}

int lh_file_to_file(const char *src, const char *bucket, const char *key, const char *path, int flags,
                    uint64_t *bytes, lh_err *err)
{
    if (!src || !path) return bad_arg(err, "lh_file_to_file", "source or path is NULL");
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lh_err_set(err, LH_EIO, "io_error", "cannot open %s (a copy of \"%s\" of bucket \"%s\"): %s", src,
                          key ? key : "?", bucket ? bucket : "?", strerror(errno));
    int rc = copy_to_file(NULL, fd, bucket, key, path, flags, bytes, err);
    close(fd);
    return rc;
}

int lh_objstore_copy(lh_objstore *s, const char *src, const char *dst, lh_obj_info *info, lh_err *err)
{
    if (!s) return bad_arg(err, "lh_objstore_copy", "store is NULL");
    int rc = lh_key_validate(src, err);
    if (!rc) rc = lh_key_validate(dst, err);
    if (rc) return rc;
    lh_obj_info tmp;
    if (!info) info = &tmp;
    if (s->ops->copy) return s->ops->copy(s, src, dst, info, err);
    lh_obj_reader *r;
    if ((rc = lh_objstore_get(s, src, LH_RANGE_ALL, &r, NULL, err))) return rc;
    lh_obj_writer *w;
    if ((rc = lh_objstore_writer_open(s, dst, 0, &w, err))) { lh_obj_reader_close(r); return rc; }
    rc = reader_pump(r, s->name, src, writer_put, w, err);
    lh_obj_reader_close(r);
    if (rc) { lh_obj_writer_abort(w); return rc; }
    return lh_obj_writer_commit(w, info, err);
}

int lh_objstore_probe(lh_objstore *s, lh_err *err)
{
    if (!s) return bad_arg(err, "lh_objstore_probe", "store is NULL");
    return s->ops->probe(s, err);
}

/* ---- local files ---- */

int lh_objstore_put_file(lh_objstore *s, const char *key, const char *path, int flags,
                         lh_obj_info *info, lh_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lh_err_set(err, LH_EIO, "io_error", "cannot open %s to store it as %s: %s", path, key,
                          strerror(errno));
    lh_obj_writer *w;
    int rc = lh_objstore_writer_open(s, key, flags, &w, err);
    if (rc) { close(fd); return rc; }
    size_t cap = 1 << 20;
    char *buf = lh_xmalloc(cap);
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = lh_err_set(err, LH_EIO, "io_error", "reading %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        if ((rc = lh_obj_writer_write(w, buf, (size_t)n, err)) != 0) break;
    }
    free(buf);
    close(fd);
    if (rc) { lh_obj_writer_abort(w); return rc; }
    return lh_obj_writer_commit(w, info, err);
}

int lh_objstore_get_file(lh_objstore *s, const char *key, const char *path, lh_obj_info *info,
                         lh_err *err)
{
    lh_obj_reader *r;
    int rc = lh_objstore_get(s, key, LH_RANGE_ALL, &r, info, err);
    if (rc) return rc;
    rc = lh_obj_reader_to_file(r, lh_objstore_name(s), key, path, 0, err);
    lh_obj_reader_close(r);
    return rc;
}

int lh_objstore_list_each(lh_objstore *s, const lh_list_opts *opts,
                          int (*cb)(void *ctx, const lh_list *page), void *ctx, lh_err *err)
{
    lh_list_opts o = *opts;
    char *cursor = NULL;
    int rc = 0;
    do {
        o.cursor = cursor;
        lh_list l;
        rc = lh_objstore_list(s, &o, &l, err);
        free(cursor);
        cursor = NULL;
        if (rc) break;
        rc = cb(ctx, &l);
        if (!rc && l.next_cursor) cursor = lh_xstrdup(l.next_cursor);
        lh_list_free(&l);
    } while (cursor);
    return rc;
}

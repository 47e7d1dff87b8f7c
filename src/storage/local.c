/* storage/local.c — a bucket on the local filesystem.
 *
 * Layout: the object with key K is the regular file ROOT/K; the key's "/"
 * segments are real directories. The backend's own files live under
 * ROOT/.lakehouse/ (the key validator reserves that first segment), today
 * only tmp/, where puts stage their bytes. tmp/ is inside ROOT so a staged
 * file is on the same filesystem as its destination and rename(2) is
 * atomic.
 *
 * Put:    write ROOT/.lakehouse/tmp/<random>.tmp (O_CREAT|O_EXCL, 0644) →
 *         fsync(file) → mkdir -p the key's parents (fsync'ing the directory
 *         each new one was created in) → rename(tmp, dest), or for
 *         LH_PUT_CREATE_ONLY link(tmp, dest) + unlink(tmp), which fails
 *         atomically with EEXIST if dest exists → fsync(parent dir).
 *         A reader therefore sees the old file or the whole new one, and a
 *         create-only put has exactly one winner among concurrent creators.
 *         A concurrent delete may remove an empty parent between our mkdir
 *         and our rename (ENOENT); we recreate the parents and retry.
 * Get:    open + fstat; the reader preads, so it keeps reading the inode it
 *         opened even if the key is replaced meanwhile.
 * Delete: unlink, then rmdir the now-empty parents up to ROOT.
 * List:   a depth-first walk of the part of the tree that can match the
 *         prefix, visiting each directory's entries in key order (a
 *         directory "d" sorts as "d/"), so keys come out sorted bytewise
 *         without collecting the whole bucket; subtrees wholly at or
 *         before the cursor are skipped, and with a delimiter a subtree
 *         that falls in one common prefix is reduced to "does it hold any
 *         object?". Cost per page: every directory on the walk is read and
 *         sorted in full, so a flat directory of N objects costs O(N log N)
 *         per page. The cursor is the last key (or common prefix) returned
 *         — S3's start-after semantics.
 *
 * What the filesystem forces on us (S3 differs here):
 *   - "a" and "a/b" cannot both be objects: putting either when the other
 *     exists fails with LH_EEXIST, code "key_conflict".
 *   - A key segment longer than the filesystem's NAME_MAX (255) is refused
 *     with "invalid_key".
 *   - ETags are not MD5s: they are "<inode>-<size>-<mtime_ns>" in hex,
 *     quoted (nginx's idea). They change whenever the object is rewritten,
 *     which is all an ETag promises.
 *
 * Staged files of a crashed process stay in tmp/ (invisible to every
 * operation); opening the bucket removes those older than a day.
 *
 * The root is created at open if missing. If it later disappears (an
 * unmounted disk, a deleted directory) every operation fails LH_EUNAVAIL
 * "bucket_unavailable" and nothing recreates it: writing into an empty
 * directory where a mount should be would silently fork the bucket.
 *
 * Symlinks and other non-regular files under ROOT are never returned as
 * objects; the final path component is opened with O_NOFOLLOW. (Directory
 * symlinks planted inside ROOT by someone with write access to it are
 * still followed for intermediate components — keys cannot create them.)
 */
#include "storage/objstore.h"
#include "storage/objstore_impl.h"

#include "core/buf.h"
#include "core/id.h"
#include "core/log.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRIVATE_DIR   ".lakehouse"
#define PUBLISH_TRIES 8                          /* retries against concurrent rmdir */
#define STALE_TMP_US  (24LL * 3600 * 1000000)    /* temp files older than this are litter */

typedef struct local_store {
    lh_objstore base;
    char *root;    /* absolute, no trailing "/" */
    char *tmpdir;  /* root/.lakehouse/tmp */
} local_store;

static local_store *LS(lh_objstore *s) { return (local_store *)s; }

/* ---- helpers ---- */

static char *join(const char *root, const char *key)
{
    lh_buf b = LH_BUF_INIT;
    lh_buf_puts(&b, root);
    lh_buf_putc(&b, '/');
    lh_buf_puts(&b, key);
    return lh_buf_detach(&b);
}

/* root + "/" + key[0..n) */
static char *join_n(const char *root, const char *key, size_t n)
{
    lh_buf b = LH_BUF_INIT;
    lh_buf_puts(&b, root);
    if (n) {
        lh_buf_putc(&b, '/');
        lh_buf_append(&b, key, n);
    }
    return lh_buf_detach(&b);
}

static void fill_info(const struct stat *st, lh_obj_info *info)
{
    info->size = (uint64_t)st->st_size;
    int64_t ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    snprintf(info->etag, sizeof info->etag, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
             (uint64_t)st->st_ino, (uint64_t)st->st_size, (uint64_t)ns);
    info->mtime_us = ns / 1000;
}

/* Is the bucket root still there? LH_EUNAVAIL if not. */
static int root_check(local_store *ls, lh_err *err)
{
    struct stat st;
    if (stat(ls->root, &st) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                              "bucket \"%s\" is unavailable: root %s does not exist",
                              ls->base.name, ls->root);
        return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                          "bucket \"%s\" is unavailable: cannot reach root %s: %s",
                          ls->base.name, ls->root, strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                          "bucket \"%s\" is unavailable: root %s is not a directory",
                          ls->base.name, ls->root);
    return 0;
}

/* Map a failed system call on `key` to an lh_err. ENOENT-like errors are
 * first checked against the root, so a vanished bucket reads as
 * unavailable rather than as a missing object. */
static int fail_errno(local_store *ls, int e, const char *op, const char *key, lh_err *err)
{
    if (e == ENOENT || e == ENOTDIR || e == ESTALE) {
        int rc = root_check(ls, err);
        if (rc) return rc;
    }
    if (e == ENAMETOOLONG)
        return lh_err_set(err, LH_EINVAL, "invalid_key",
                          "key \"%s\" is too long for the local filesystem of bucket \"%s\" "
                          "(a segment is limited to %d bytes)", key, ls->base.name, NAME_MAX);
    return lh_err_set(err, LH_EIO, "io_error", "%s of \"%s\" in bucket \"%s\" failed: %s",
                      op, key, ls->base.name, strerror(e));
}

static int not_found(local_store *ls, const char *key, lh_err *err)
{
    return lh_err_set(err, LH_ENOTFOUND, "object_not_found",
                      "object \"%s\" does not exist in bucket \"%s\"", key, ls->base.name);
}

/* fsync a directory so an entry created or removed in it is durable. */
static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    /* Some filesystems refuse fsync on directories; that is not a failure
     * of the put. */
    if (rc == -EINVAL || rc == -EBADF) rc = 0;
    return rc;
}

/* The byte offset of the first segment of `key` (excluding the last) that
 * is an existing non-directory, or -1. Used to explain key conflicts. */
static ssize_t file_component(local_store *ls, const char *key)
{
    for (const char *p = strchr(key, '/'); p; p = strchr(p + 1, '/')) {
        char *path = join_n(ls->root, key, (size_t)(p - key));
        struct stat st;
        int r = lstat(path, &st);
        free(path);
        if (r == 0 && !S_ISDIR(st.st_mode)) return p - key;
        if (r != 0) return -1;
    }
    return -1;
}

static int conflict_parent(local_store *ls, const char *key, ssize_t at, lh_err *err)
{
    if (at < 0)
        return lh_err_set(err, LH_EEXIST, "key_conflict",
                          "cannot put \"%s\" in bucket \"%s\": a parent segment is an object, "
                          "and an object cannot also be a folder", key, ls->base.name);
    return lh_err_set(err, LH_EEXIST, "key_conflict",
                      "cannot put \"%s\" in bucket \"%s\": \"%.*s\" is an object, so it cannot "
                      "also be a folder of other objects on a local bucket; delete it or "
                      "choose another key", key, ls->base.name, (int)at, key);
}

static int conflict_dir(local_store *ls, const char *key, lh_err *err)
{
    return lh_err_set(err, LH_EEXIST, "key_conflict",
                      "cannot put \"%s\" in bucket \"%s\": objects exist under \"%s/\", so "
                      "\"%s\" cannot also be an object on a local bucket; choose another key",
                      key, ls->base.name, key, key);
}

/* mkdir -p the parents of `key` below the root (never the root itself),
 * fsync'ing the directory each new one was created in. */
static int make_parents(local_store *ls, const char *key, lh_err *err)
{
    for (int attempt = 0; attempt < PUBLISH_TRIES; attempt++) {
        int restart = 0;
        size_t prev = 0;  /* length of the parent of the current segment */
        for (const char *p = strchr(key, '/'); p && !restart; p = strchr(p + 1, '/')) {
            size_t n = (size_t)(p - key);
            char *path = join_n(ls->root, key, n);
            int rc = 0;
            if (mkdir(path, 0755) == 0) {
                char *parent = join_n(ls->root, key, prev);
                int frc = fsync_dir(parent);
                free(parent);
                if (frc == -ENOENT) {
                    /* a concurrent delete removed the parent meanwhile */
                    if ((rc = root_check(ls, err)) == 0) restart = 1;
                } else if (frc) {
                    rc = fail_errno(ls, -frc, "put (fsync of a new folder)", key, err);
                }
            } else {
                int e = errno;
                struct stat st;
                if (e == EEXIST) {
                    if (stat(path, &st) != 0) restart = 1;  /* removed meanwhile */
                    else if (!S_ISDIR(st.st_mode)) rc = conflict_parent(ls, key, (ssize_t)n, err);
                } else if (e == ENOENT) {
                    /* The root vanished, or a concurrent delete removed an
                     * empty parent we had just made: start over. */
                    if ((rc = root_check(ls, err)) == 0) restart = 1;
                } else if (e == ENOTDIR) {
                    rc = conflict_parent(ls, key, file_component(ls, key), err);
                } else {
                    rc = fail_errno(ls, e, "put (creating folders)", key, err);
                }
            }
            free(path);
            if (rc) return rc;
            prev = n;
        }
        if (!restart) return 0;
    }
    return lh_err_set(err, LH_EIO, "io_error",
                      "could not create the folders for \"%s\" in bucket \"%s\": they kept "
                      "disappearing (concurrent deletes?)", key, ls->base.name);
}

/* ---- reader ---- */

typedef struct local_reader {
    lh_obj_reader base;
    int fd;
    uint64_t pos, end;
} local_reader;

static int64_t reader_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err)
{
    local_reader *lr = (local_reader *)r;
    if (lr->pos >= lr->end) return 0;
    uint64_t left = lr->end - lr->pos;
    if (n > left) n = (size_t)left;
    if (n > (1u << 30)) n = 1u << 30;
    for (;;) {
        ssize_t got = pread(lr->fd, buf, n, (off_t)lr->pos);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            return lh_err_set(err, LH_EIO, "io_error", "reading object failed: %s",
                              strerror(errno));
        if (got == 0)  /* objects are never truncated in place */
            return lh_err_set(err, LH_EIO, "io_error",
                              "object ended at byte %" PRIu64 " before its recorded end %" PRIu64
                              " (modified outside lakehouse?)", lr->pos, lr->end);
        lr->pos += (uint64_t)got;
        return got;
    }
}

static void reader_close(lh_obj_reader *r)
{
    local_reader *lr = (local_reader *)r;
    close(lr->fd);
    free(lr);
}

static const lh_obj_reader_ops reader_ops = {reader_read, reader_close};

/* ---- get / head ---- */

static int local_get(lh_objstore *s, const char *key, lh_range range,
                     lh_obj_reader **out, lh_obj_info *info, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    char *path = join(ls->root, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int e = errno;
    free(path);
    if (fd < 0) {
        if (e == ENOENT || e == ENOTDIR || e == ELOOP) {
            rc = root_check(ls, err);
            return rc ? rc : not_found(ls, key, err);
        }
        return fail_errno(ls, e, "get", key, err);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return fail_errno(ls, e, "get", key, err);
    }
    if (!S_ISREG(st.st_mode)) {  /* "a" when "a/b" exists is a folder */
        close(fd);
        return not_found(ls, key, err);
    }
    fill_info(&st, info);
    uint64_t size = info->size;
    /* A range must start inside the object (offset 0 of an empty object is
     * allowed and yields nothing); its length is clipped to the end. */
    if (range.offset > size || (range.offset == size && size > 0)) {
        close(fd);
        return lh_err_set(err, LH_EINVAL, "invalid_range",
                          "range starts at byte %" PRIu64 " but object \"%s\" in bucket "
                          "\"%s\" is %" PRIu64 " bytes long", range.offset, key,
                          ls->base.name, size);
    }
    uint64_t len = size - range.offset;
    if (range.length < len) len = range.length;
    local_reader *r = lh_xcalloc(1, sizeof *r);
    r->base.ops = &reader_ops;
    r->base.length = len;
    r->fd = fd;
    r->pos = range.offset;
    r->end = range.offset + len;
    *out = &r->base;
    return 0;
}

static int local_head(lh_objstore *s, const char *key, lh_obj_info *info, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    char *path = join(ls->root, key);
    struct stat st;
    int r = lstat(path, &st);
    int e = errno;
    free(path);
    if (r != 0) {
        if (e == ENOENT || e == ENOTDIR) {
            rc = root_check(ls, err);
            return rc ? rc : not_found(ls, key, err);
        }
        return fail_errno(ls, e, "head", key, err);
    }
    if (!S_ISREG(st.st_mode)) return not_found(ls, key, err);
    fill_info(&st, info);
    return 0;
}

/* ---- writer ---- */

typedef struct local_writer {
    lh_obj_writer base;
    local_store *ls;
    char *key;
    char *tmp;    /* staged file path */
    int fd;
    int flags;
    int failed;   /* a write failed: commit must not publish */
} local_writer;

static void writer_free(local_writer *w)
{
    free(w->key);
    free(w->tmp);
    free(w);
}

static int writer_write(lh_obj_writer *base, const void *data, size_t n, lh_err *err)
{
    local_writer *w = (local_writer *)base;
    if (w->failed)
        return lh_err_set(err, LH_EIO, "io_error",
                          "put of \"%s\" in bucket \"%s\" already failed; abort the writer",
                          w->key, w->ls->base.name);
    const char *p = data;
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            w->failed = 1;
            return fail_errno(w->ls, errno, "put", w->key, err);
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void writer_abort(lh_obj_writer *base)
{
    local_writer *w = (local_writer *)base;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp) unlink(w->tmp);
    writer_free(w);
}

/* Make the staged file visible under its key: rename (replace) or link
 * (create-only). Retries when a concurrent delete removed a parent. */
static int publish(local_writer *w, const char *dest, lh_err *err)
{
    local_store *ls = w->ls;
    int create_only = w->flags & LH_PUT_CREATE_ONLY;
    for (int attempt = 0; attempt < PUBLISH_TRIES; attempt++) {
        int r = create_only ? link(w->tmp, dest) : rename(w->tmp, dest);
        if (r == 0) return 0;
        int e = errno;
        struct stat st;
        int rc;
        switch (e) {
        case ENOENT:
            if ((rc = root_check(ls, err))) return rc;
            if (stat(w->tmp, &st) != 0)
                return lh_err_set(err, LH_EIO, "io_error",
                                  "put of \"%s\" in bucket \"%s\" failed: its staged file %s "
                                  "vanished", w->key, ls->base.name, w->tmp);
            if ((rc = make_parents(ls, w->key, err))) return rc;
            continue;
        case ENOTDIR:
            return conflict_parent(ls, w->key, file_component(ls, w->key), err);
        case EEXIST:
        case EISDIR:
        case ENOTEMPTY:
            if (lstat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
                /* An empty folder left behind (by a racing delete) is no
                 * conflict; a non-empty one is. */
                if (rmdir(dest) == 0) continue;
                return conflict_dir(ls, w->key, err);
            }
            if (e == EEXIST && create_only)
                return lh_err_set(err, LH_EEXIST, "object_exists",
                                  "object \"%s\" already exists in bucket \"%s\" (create-only put)",
                                  w->key, ls->base.name);
            if (e == EEXIST) continue;  /* the directory went away meanwhile */
            return fail_errno(ls, e, "put", w->key, err);
        default:
            return fail_errno(ls, e, "put", w->key, err);
        }
    }
    return lh_err_set(err, LH_EIO, "io_error",
                      "put of \"%s\" in bucket \"%s\" failed: its folder kept disappearing "
                      "(concurrent deletes?)", w->key, ls->base.name);
}

static int writer_commit(lh_obj_writer *base, lh_obj_info *info, lh_err *err)
{
    local_writer *w = (local_writer *)base;
    local_store *ls = w->ls;
    int rc = 0;
    struct stat st;
    if (w->failed) {
        rc = lh_err_set(err, LH_EIO, "io_error",
                        "put of \"%s\" in bucket \"%s\" failed earlier; nothing was written",
                        w->key, ls->base.name);
        goto out_abort;
    }
    /* 1. the bytes are durable before the name points at them */
    if (fsync(w->fd) != 0 || fstat(w->fd, &st) != 0) {
        rc = fail_errno(ls, errno, "put", w->key, err);
        goto out_abort;
    }
    close(w->fd);
    w->fd = -1;

    /* 2. publish under the key */
    char *dest = join(ls->root, w->key);
    rc = publish(w, dest, err);
    if (rc) {
        free(dest);
        goto out_abort;
    }
    if (w->flags & LH_PUT_CREATE_ONLY) {
        if (unlink(w->tmp) != 0)
            lh_warn("storage: could not remove staged file %s: %s", w->tmp, strerror(errno));
    }
    free(w->tmp);
    w->tmp = NULL;

    /* 3. the name is durable */
    char *slash = strrchr(dest, '/');
    assert(slash && slash > dest);
    *slash = '\0';
    int frc = fsync_dir(dest);
    free(dest);
    /* ENOENT: a concurrent delete already removed the new object and then
     * its folder; the put itself happened (and was superseded). */
    if (frc == -ENOENT) frc = 0;
    if (frc) {
        /* The object is visible; only its durability is in doubt. Report
         * it — the caller must not treat the put as committed. */
        rc = fail_errno(ls, -frc, "put (fsync of its folder)", w->key, err);
        writer_free(w);
        return rc;
    }
    fill_info(&st, info);
    writer_free(w);
    return 0;

out_abort:
    writer_abort(base);
    return rc;
}

static const lh_obj_writer_ops writer_ops = {writer_write, writer_commit, writer_abort};

/* Create ROOT/.lakehouse/tmp if missing (never the root itself). */
static int ensure_tmpdir(local_store *ls, lh_err *err)
{
    char *priv = join(ls->root, PRIVATE_DIR);
    int rc = 0;
    if (mkdir(priv, 0755) != 0 && errno != EEXIST)
        rc = fail_errno(ls, errno, "mkdir", PRIVATE_DIR, err);
    if (!rc && mkdir(ls->tmpdir, 0755) != 0 && errno != EEXIST)
        rc = fail_errno(ls, errno, "mkdir", PRIVATE_DIR "/tmp", err);
    free(priv);
    return rc;
}

static int local_writer_open(lh_objstore *s, const char *key, int flags,
                             lh_obj_writer **out, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    /* A segment longer than NAME_MAX would only fail at commit; say so now. */
    for (const char *p = key; *p;) {
        size_t n = strcspn(p, "/");
        if (n > NAME_MAX) return fail_errno(ls, ENAMETOOLONG, "put", key, err);
        p += n;
        if (*p) p++;
    }
    char id[33];
    lh_buf b = LH_BUF_INIT;
    int fd = -1;
    for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
        lh_hex_id(id, 16);
        lh_buf_reset(&b);
        lh_buf_printf(&b, "%s/%s.tmp", ls->tmpdir, id);
        fd = open(b.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == ENOENT) {  /* tmp/ removed by hand: remake it */
            if ((rc = root_check(ls, err)) || (rc = ensure_tmpdir(ls, err))) {
                lh_buf_free(&b);
                return rc;
            }
        } else if (fd < 0 && errno != EEXIST) {
            rc = fail_errno(ls, errno, "put (staging)", key, err);
            lh_buf_free(&b);
            return rc;
        }
    }
    if (fd < 0) {
        lh_buf_free(&b);
        return lh_err_set(err, LH_EIO, "io_error",
                          "could not create a staged file for \"%s\" in bucket \"%s\"",
                          key, ls->base.name);
    }
    local_writer *w = lh_xcalloc(1, sizeof *w);
    w->base.ops = &writer_ops;
    w->ls = ls;
    w->key = lh_xstrdup(key);
    w->tmp = lh_buf_detach(&b);
    w->fd = fd;
    w->flags = flags;
    *out = &w->base;
    return 0;
}

/* ---- delete ---- */

static int local_del(lh_objstore *s, const char *key, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    char *path = join(ls->root, key);
    struct stat st;
    int r = lstat(path, &st);
    int e = r != 0 ? errno : 0;
    if (r != 0 || !S_ISREG(st.st_mode)) {  /* folders, symlinks: not objects */
        free(path);
        if ((rc = root_check(ls, err))) return rc;
        if (e != 0 && e != ENOENT && e != ENOTDIR) return fail_errno(ls, e, "delete", key, err);
        return not_found(ls, key, err);
    }
    if (unlink(path) != 0) {
        e = errno;
        free(path);
        if (e == ENOENT || e == ENOTDIR || e == EISDIR) {
            if ((rc = root_check(ls, err))) return rc;
            return not_found(ls, key, err);
        }
        return fail_errno(ls, e, "delete", key, err);
    }
    free(path);
    /* Remove parents that became empty, deepest first, up to (never
     * including) the root; stop at the first that is not empty. A racing
     * put that loses its parent recreates it (publish). */
    size_t n = strlen(key);
    for (;;) {
        while (n > 0 && key[n - 1] != '/') n--;
        if (n == 0) break;
        n--;  /* drop the '/' */
        char *dir = join_n(ls->root, key, n);
        r = rmdir(dir);
        free(dir);
        if (r != 0) break;
    }
    /* Make the unlink durable: fsync the deepest folder that remains. */
    char *dir = join_n(ls->root, key, n);
    if (fsync_dir(dir) != 0 && n > 0) {
        /* it may have just been removed by someone else; the root then */
        fsync_dir(ls->root);
    }
    free(dir);
    return 0;
}

/* ---- list ---- */

typedef struct ent {
    char  *sk;     /* sort key: the name, plus "/" for a directory */
    size_t nlen;   /* length of the name */
    int    is_dir;
} ent;

static int ent_cmp(const void *a, const void *b)
{
    return strcmp(((const ent *)a)->sk, ((const ent *)b)->sk);
}

static void ents_free(ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].sk);
    free(v);
}

/* Regular files and directories in `path` whose name starts with
 * `filter`, sorted in key order. A missing directory is empty. */
static int read_dir(local_store *ls, const char *path, const char *filter, int at_root,
                    int sorted, ent **out, size_t *nout, lh_err *err)
{
    *out = NULL;
    *nout = 0;
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) return root_check(ls, err);
        const char *rel = path + strlen(ls->root);
        return fail_errno(ls, e, "listing", *rel ? rel + 1 : "(bucket root)", err);
    }
    size_t flen = filter ? strlen(filter) : 0, n = 0, cap = 0;
    ent *v = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        if (at_root && !strcmp(name, PRIVATE_DIR)) continue;
        if (flen && strncmp(name, filter, flen) != 0) continue;
        int type = de->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
        }
        if (type != DT_REG && type != DT_DIR) continue;  /* symlinks, fifos, ... */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            v = lh_xrealloc(v, cap * sizeof *v);
        }
        size_t nl = strlen(name);
        v[n].nlen = nl;
        v[n].is_dir = type == DT_DIR;
        v[n].sk = lh_xmalloc(nl + 2);
        memcpy(v[n].sk, name, nl);
        v[n].sk[nl] = '/';
        v[n].sk[nl + v[n].is_dir] = '\0';
        n++;
    }
    closedir(d);
    if (sorted && n > 1) qsort(v, n, sizeof *v, ent_cmp);
    *out = v;
    *nout = n;
    return 0;
}

typedef struct walk {
    local_store *ls;
    const char  *prefix;   /* "" when none */
    size_t       plen;
    const char  *delim;    /* NULL when none */
    const char  *cursor;   /* NULL when none */
    size_t       max;
    lh_list     *out;
    size_t       cap_obj, cap_pfx;
    const char  *last_cp;  /* last common prefix emitted */
    const char  *last;     /* last item emitted (key or prefix) */
    int          done;     /* stop walking */
    int          more;     /* an item beyond max exists */
    lh_err      *err;
} walk;

/* Room for another item? If not, the page is full and there is more. */
static int page_full(walk *w)
{
    if (w->out->n_objects + w->out->n_prefixes < w->max) return 0;
    w->more = 1;
    w->done = 1;
    return 1;
}

static void emit_prefix(walk *w, char *cp)
{
    if (page_full(w)) {
        free(cp);
        return;
    }
    lh_list *o = w->out;
    if (o->n_prefixes == w->cap_pfx) {
        w->cap_pfx = w->cap_pfx ? w->cap_pfx * 2 : 16;
        o->prefixes = lh_xrealloc(o->prefixes, w->cap_pfx * sizeof *o->prefixes);
    }
    o->prefixes[o->n_prefixes++] = cp;
    w->last_cp = w->last = cp;
}

/* The common prefix of `s` (which starts with the listing prefix) under the
 * delimiter, if the delimiter occurs entirely within s after the prefix. */
static char *common_prefix(walk *w, const char *s)
{
    if (!w->delim) return NULL;
    assert(strncmp(s, w->prefix, w->plen) == 0);
    const char *hit = strstr(s + w->plen, w->delim);
    if (!hit) return NULL;
    return lh_xstrndup(s, (size_t)(hit - s) + strlen(w->delim));
}

/* Offer a common prefix: skip it if already emitted or at/before the
 * cursor. Takes ownership of cp. */
static void offer_prefix(walk *w, char *cp)
{
    if ((w->last_cp && !strcmp(cp, w->last_cp)) || (w->cursor && strcmp(cp, w->cursor) <= 0)) {
        free(cp);
        return;
    }
    emit_prefix(w, cp);
}

static void offer_key(walk *w, const char *key)
{
    if (w->cursor && strcmp(key, w->cursor) <= 0) return;
    if (lh_key_validate(key, NULL) != 0) return;  /* a name no key can have */
    char *cp = common_prefix(w, key);
    if (cp) {
        offer_prefix(w, cp);
        return;
    }
    char *path = join(w->ls->root, key);
    struct stat st;
    int r = lstat(path, &st);
    free(path);
    if (r != 0 || !S_ISREG(st.st_mode)) return;  /* removed meanwhile */
    if (page_full(w)) return;
    lh_list *o = w->out;
    if (o->n_objects == w->cap_obj) {
        w->cap_obj = w->cap_obj ? w->cap_obj * 2 : 16;
        o->objects = lh_xrealloc(o->objects, w->cap_obj * sizeof *o->objects);
    }
    lh_list_entry *e = &o->objects[o->n_objects++];
    e->key = lh_xstrdup(key);
    fill_info(&st, &e->info);
    w->last = e->key;
}

/* Does the folder with key prefix `dkey` ("a/b/") hold any object? */
static int has_object(walk *w, const char *dkey, int depth)
{
    if (depth > LH_KEY_MAX / 2) return 0;
    char *path = join(w->ls->root, dkey);
    ent *v;
    size_t n;
    lh_err ignored;
    int rc = read_dir(w->ls, path, NULL, 0, 0, &v, &n, &ignored);
    free(path);
    if (rc) return 0;
    int found = 0;
    lh_buf k = LH_BUF_INIT;
    for (size_t pass = 0; pass < 2 && !found; pass++) {  /* files first: cheaper */
        for (size_t i = 0; i < n && !found; i++) {
            if (v[i].is_dir != (int)pass) continue;
            lh_buf_reset(&k);
            lh_buf_puts(&k, dkey);
            lh_buf_puts(&k, v[i].sk);
            if (!pass) found = lh_key_validate(k.data, NULL) == 0;
            else if (k.len < LH_KEY_MAX) found = has_object(w, k.data, depth + 1);
        }
    }
    lh_buf_free(&k);
    ents_free(v, n);
    return found;
}

/* Walk the folder whose key prefix is `dkey` ("" for the root, else
 * "a/b/"), visiting entries whose name starts with `filter`, in key order. */
static int walk_dir(walk *w, const char *dkey, const char *filter)
{
    char *path = dkey[0] ? join(w->ls->root, dkey) : lh_xstrdup(w->ls->root);
    ent *v;
    size_t n;
    int rc = read_dir(w->ls, path, filter, dkey[0] == '\0', 1, &v, &n, w->err);
    free(path);
    if (rc) return rc;
    lh_buf k = LH_BUF_INIT;
    for (size_t i = 0; i < n && !w->done && !rc; i++) {
        lh_buf_reset(&k);
        lh_buf_puts(&k, dkey);
        lh_buf_puts(&k, v[i].sk);
        if (!v[i].is_dir) {
            offer_key(w, k.data);
            continue;
        }
        /* k is the folder's key prefix "…/name/"; every key inside is
         * longer than it. */
        if (k.len >= LH_KEY_MAX) continue;
        /* Wholly before the cursor: every key starting with k is < cursor. */
        if (w->cursor && strcmp(k.data, w->cursor) < 0 &&
            strncmp(w->cursor, k.data, k.len) != 0)
            continue;
        char *cp = common_prefix(w, k.data);
        if (cp) {
            /* The whole folder falls into one common prefix. */
            if ((w->last_cp && !strcmp(cp, w->last_cp)) ||
                (w->cursor && strcmp(cp, w->cursor) <= 0) || !has_object(w, k.data, 0)) {
                free(cp);
                continue;
            }
            offer_prefix(w, cp);
            continue;
        }
        rc = walk_dir(w, k.data, NULL);
    }
    lh_buf_free(&k);
    ents_free(v, n);
    return rc;
}

static int local_list(lh_objstore *s, const lh_list_opts *opts, lh_list *out, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    walk w = {0};
    w.ls = ls;
    w.prefix = opts->prefix ? opts->prefix : "";
    w.plen = strlen(w.prefix);
    w.delim = opts->delimiter;
    w.cursor = opts->cursor;
    w.max = opts->max_keys ? opts->max_keys : 1000;
    w.out = out;
    w.err = err;
    /* Start in the folder of the prefix's last complete segment; its
     * incomplete tail filters that folder's entries. */
    const char *slash = strrchr(w.prefix, '/');
    char *dkey = slash ? lh_xstrndup(w.prefix, (size_t)(slash - w.prefix) + 1) : lh_xstrdup("");
    const char *filter = slash ? slash + 1 : w.prefix;
    rc = walk_dir(&w, dkey, filter);
    free(dkey);
    if (rc) return rc;
    if (w.more) {
        assert(w.last);
        out->next_cursor = lh_xstrdup(w.last);
    }
    return 0;
}

/* ---- probe, root, destroy ---- */

static int local_probe(lh_objstore *s, lh_err *err)
{
    local_store *ls = LS(s);
    int rc = root_check(ls, err);
    if (rc) return rc;
    if (access(ls->root, R_OK | W_OK | X_OK) != 0)
        return lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                          "bucket \"%s\" is unavailable: root %s is not readable and writable "
                          "by this process: %s", ls->base.name, ls->root, strerror(errno));
    return 0;
}

static const char *local_root(const lh_objstore *s) { return ((const local_store *)s)->root; }

static void local_destroy(lh_objstore *s)
{
    local_store *ls = LS(s);
    free(ls->root);
    free(ls->tmpdir);
    free(ls->base.name);
    free(ls);
}

static const lh_objstore_ops local_ops = {
    .backend = "local",
    .get = local_get,
    .writer_open = local_writer_open,
    .head = local_head,
    .list = local_list,
    .del = local_del,
    .probe = local_probe,
    .local_root = local_root,
    .destroy = local_destroy,
};

/* mkdir -p for the root at open (the one time the root may be created). */
static int mkdir_p(const char *path)
{
    char *p = lh_xstrdup(path);
    int rc = 0;
    for (char *q = p + 1; ; q++) {
        if (*q != '/' && *q != '\0') continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *q = c;
        if (!c) break;
    }
    free(p);
    return rc;
}

/* Remove staged files left by crashed processes (older than a day, so a
 * slow put in another process sharing the root is never disturbed). */
static void sweep_tmp(local_store *ls)
{
    DIR *d = opendir(ls->tmpdir);
    if (!d) return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".tmp") != 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
        if (S_ISREG(st.st_mode) && now_us - m > STALE_TMP_US)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

int lh_objstore_local_new(const char *name, const char *root, lh_objstore **out, lh_err *err)
{
    if (out) *out = NULL;
    if (!name || !name[0] || !root || !root[0] || !out)
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "lh_objstore_local_new: bucket name and root are required");
    lh_buf b = LH_BUF_INIT;
    if (root[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return lh_err_set(err, LH_EIO, "io_error",
                              "bucket \"%s\": cannot resolve relative root %s: %s",
                              name, root, strerror(errno));
        lh_buf_puts(&b, cwd);
        if (strcmp(cwd, "/") != 0) lh_buf_putc(&b, '/');
    }
    lh_buf_puts(&b, root);
    while (b.len > 1 && b.data[b.len - 1] == '/') b.data[--b.len] = '\0';
    if (b.len + 1 + LH_KEY_MAX + 64 >= PATH_MAX) {
        lh_buf_free(&b);
        return lh_err_set(err, LH_EINVAL, "invalid_argument",
                          "bucket \"%s\": root %s is too long to hold keys of %d bytes",
                          name, root, LH_KEY_MAX);
    }
    local_store *ls = lh_xcalloc(1, sizeof *ls);
    ls->base.ops = &local_ops;
    ls->base.name = lh_xstrdup(name);
    ls->root = lh_buf_detach(&b);
    ls->tmpdir = join(ls->root, PRIVATE_DIR "/tmp");
    int e = mkdir_p(ls->root);
    int rc = 0;
    if (e)
        rc = lh_err_set(err, LH_EUNAVAIL, "bucket_unavailable",
                        "bucket \"%s\" is unavailable: cannot create root %s: %s",
                        name, ls->root, strerror(-e));
    if (!rc) rc = root_check(ls, err);
    if (!rc) rc = ensure_tmpdir(ls, err);
    if (rc) {
        local_destroy(&ls->base);
        return rc;
    }
    sweep_tmp(ls);
    *out = &ls->base;
    return 0;
}

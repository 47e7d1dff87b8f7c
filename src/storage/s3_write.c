/* storage/s3_write.c — puts on S3: single PUTs, create-only puts (with
 * If-None-Match: * or the lock-object fallback), and streamed multipart
 * uploads with parallel parts (see s3.c for the design).
 */
#include "storage/s3_internal.h"
#include "storage/sigv4.h"

#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 10000

static lh_s3_store *S3(lh_objstore *s) { return (lh_s3_store *)s; }

/* ---- single put, create-only ---- */

static int put_single_q(lh_s3_store *s, const char *key, const void *data, size_t n, int create_only,
                        int quick, lh_obj_info *info, lh_err *err)
{
    lh_s3_call c = {.op = "put", .method = "PUT", .key = key, .body = data, .body_len = n, .quick = quick};
    if (create_only) lh_s3_call_add_header(&c, "if-none-match", "*");
    int rc = lh_s3_perform(s, &c, err);
    if (!rc && info) {
        info->size = n;
        snprintf(info->etag, sizeof info->etag, "%s", c.etag);
        info->mtime_us = lh_now_us();
    }
    lh_s3_call_free(&c);
    return rc;
}

static int put_single(lh_s3_store *s, const char *key, const void *data, size_t n, int create_only,
                      lh_obj_info *info, lh_err *err)
{
    return put_single_q(s, key, data, n, create_only, 0, info, err);
}

/* Does the server honour If-None-Match: * ? Decided once per store. */
int lh_s3_create_method(lh_s3_store *s, int quick, lh_err *err)
{
    int m = atomic_load(&s->create_method);
    if (m != LH_S3_CM_UNKNOWN) return m;
    char hex[33], key[80];
    lh_hex_id(hex, 8);
    snprintf(key, sizeof key, LH_S3_PRIVATE_PREFIX "probe/create-%s", hex);
    int rc = put_single_q(s, key, "1", 1, 1, quick, NULL, err);
    if (rc) return rc;  /* unreachable: decide later */
    lh_err e2;
    int rc2 = put_single_q(s, key, "2", 1, 1, quick, NULL, &e2);
    lh_err e3;
    lh_s3_call d = {.op = "delete", .method = "DELETE", .key = key, .quick = quick};
    if (lh_s3_perform(s, &d, &e3)) lh_warn("bucket %s: could not remove probe object %s: %s", s->base.name, key, e3.msg);
    lh_s3_call_free(&d);
    if (rc2 == LH_EEXIST) {
        m = LH_S3_CM_INM;
        lh_info("bucket %s: the server honours If-None-Match: *; commits are conditional puts", s->base.name);
    } else if (rc2 == 0 || rc2 == LH_EINVAL || rc2 == LH_EIO) {
        m = LH_S3_CM_LOCK;
        lh_warn("bucket %s: the S3 server at %s does not honour If-None-Match: * (%s); create-only puts use "
                "lock objects under %slocks/ instead (see docs/storage.md)", s->base.name, s->endpoint,
                rc2 == 0 ? "a second conditional put succeeded" : e2.msg, LH_S3_PRIVATE_PREFIX);
    } else {
        if (err) *err = e2;
        return rc2;
    }
    atomic_store(&s->create_method, m);
    return m;
}

static int put_with_lock(lh_s3_store *s, const char *key, const void *data, size_t n, lh_obj_info *info, lh_err *err)
{
    lh_buf lock = LH_BUF_INIT;
    lh_buf_printf(&lock, LH_S3_PRIVATE_PREFIX "locks/%s", key);
    char token[33];
    lh_hex_id(token, 16);
    lh_obj_info tmp;
    int rc = lh_s3_head(&s->base, key, &tmp, err);
    if (rc == 0) rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                                 key, s->base.name);
    if (rc != LH_ENOTFOUND) goto out;
    if ((rc = put_single(s, lock.data, token, 32, 0, NULL, err))) goto out;
    lh_s3_call c = {.op = "get", .method = "GET", .key = lock.data};
    rc = lh_s3_perform(s, &c, err);
    int mine = !rc && c.resp.len == 32 && !memcmp(c.resp.data, token, 32);
    lh_s3_call_free(&c);
    if (rc) goto out;
    if (!mine) {
        rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" in bucket \"%s\" is being created by "
                        "another writer (its lock object is not ours)", key, s->base.name);
        goto out;
    }
    rc = lh_s3_head(&s->base, key, &tmp, err);
    if (rc == 0) rc = lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                                 key, s->base.name);
    if (rc == LH_ENOTFOUND) rc = put_single(s, key, data, n, 0, info, err);
    lh_err e;
    lh_s3_call d = {.op = "delete", .method = "DELETE", .key = lock.data};
    if (lh_s3_perform(s, &d, &e)) lh_warn("bucket %s: lock object %s not removed: %s", s->base.name, lock.data, e.msg);
    lh_s3_call_free(&d);
out:
    lh_buf_free(&lock);
    return rc;
}

static int put_create_only(lh_s3_store *s, const char *key, const void *data, size_t n, lh_obj_info *info,
                           lh_err *err)
{
    int m = lh_s3_create_method(s, 0, err);
    if (m < 0) return m;
    if (m == LH_S3_CM_INM) return put_single(s, key, data, n, 1, info, err);
    return put_with_lock(s, key, data, n, info, err);
}

/* ---- multipart ---- */

typedef struct s3_writer s3_writer;

typedef struct part_job {
    pthread_t  th;
    int        running;
    int        number;
    lh_buf     data;
    s3_writer *w;
    int        rc;
    lh_err     err;
} part_job;

struct s3_writer {
    lh_obj_writer base;
    lh_s3_store *s;
    char     *key;
    int       create_only;
    lh_buf    buf;
    uint64_t  total;
    char     *upload_id;
    int       n_parts;
    char    (*etags)[LH_ETAG_MAX];   /* index part-1 */
    int       cap_etags;
    part_job *jobs;                  /* s->parallel slots */
    int       failed;
    lh_err    fail;
};

static void *part_thread(void *arg)
{
    part_job *j = arg;
    s3_writer *w = j->w;
    lh_buf q = LH_BUF_INIT;
    lh_buf_printf(&q, "partNumber=%d&uploadId=", j->number);
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    lh_s3_call c = {.op = "put", .method = "PUT", .key = w->key, .query = q.data, .body = j->data.data,
                 .body_len = j->data.len};
    j->rc = lh_s3_perform(w->s, &c, &j->err);
    if (!j->rc) {
        if (!c.etag[0])
            j->rc = lh_err_set(&j->err, LH_EIO, "s3_bad_response", "bucket \"%s\": part %d of \"%s\" was "
                               "stored without an ETag", w->s->base.name, j->number, w->key);
        else snprintf(w->etags[j->number - 1], LH_ETAG_MAX, "%s", c.etag);
    }
    lh_s3_call_free(&c);
    lh_buf_free(&q);
    lh_buf_free(&j->data);
    return NULL;
}

static void join_job(s3_writer *w, part_job *j)
{
    if (!j->running) return;
    pthread_join(j->th, NULL);
    j->running = 0;
    if (j->rc && !w->failed) {
        w->failed = j->rc;
        w->fail = j->err;
    }
}

static int start_multipart(s3_writer *w, lh_err *err)
{
    if (w->create_only) {
        /* Too big for one conditional PUT: check first. Not atomic against
         * a concurrent creator — data objects have unique names; the
         * catalog's manifests, which need atomicity, are small. */
        lh_obj_info tmp;
        int hrc = lh_s3_head(&w->s->base, w->key, &tmp, err);
        if (hrc == 0)
            return lh_err_set(err, LH_EEXIST, "object_exists", "object \"%s\" already exists in bucket \"%s\"",
                              w->key, w->s->base.name);
        if (hrc != LH_ENOTFOUND) return hrc;
    }
    lh_s3_call c = {.op = "put", .method = "POST", .key = w->key, .query = "uploads="};
    int rc = lh_s3_perform(w->s, &c, err);
    if (!rc) {
        w->upload_id = lh_s3_xml_text(c.resp.data, c.resp.len, "UploadId");
        if (!w->upload_id || !*w->upload_id) {
            free(w->upload_id);
            w->upload_id = NULL;
            rc = lh_err_set(err, LH_EIO, "s3_bad_response", "bucket \"%s\": starting the multipart upload of "
                            "\"%s\" returned no UploadId (request id %s)", w->s->base.name, w->key, c.request_id);
        }
    }
    lh_s3_call_free(&c);
    if (!rc) w->jobs = lh_xcalloc((size_t)w->s->parallel, sizeof *w->jobs);
    return rc;
}

/* Hand buf[0..n) to a worker as the next part. */
static int ship_part(s3_writer *w, size_t n, lh_err *err)
{
    if (w->n_parts == MAX_PARTS)
        return lh_err_set(err, LH_ETOOBIG, "object_too_large", "object \"%s\" needs more than %d parts of %" PRIu64
                          " bytes; raise buckets.%s.part_size", w->key, MAX_PARTS, w->s->part_size, w->s->base.name);
    int number = ++w->n_parts;
    if (number > w->cap_etags) {
        w->cap_etags = w->cap_etags ? w->cap_etags * 2 : 64;
        w->etags = lh_xrealloc(w->etags, (size_t)w->cap_etags * sizeof *w->etags);
    }
    w->etags[number - 1][0] = '\0';
    part_job *j = &w->jobs[(number - 1) % w->s->parallel];
    join_job(w, j);
    if (w->failed) {
        if (err) *err = w->fail;
        return w->failed;
    }
    j->number = number;
    j->w = w;
    j->rc = 0;
    lh_buf_free(&j->data);
    lh_buf_append(&j->data, w->buf.data, n);
    memmove(w->buf.data, w->buf.data + n, w->buf.len - n);
    w->buf.len -= n;
    if (pthread_create(&j->th, NULL, part_thread, j) != 0) {
        lh_buf_free(&j->data);
        return lh_err_set(err, LH_ENOMEM, "thread_failed", "could not start an upload thread");
    }
    j->running = 1;
    return 0;
}

static void abort_multipart(s3_writer *w)
{
    for (int i = 0; w->jobs && i < w->s->parallel; i++) join_job(w, &w->jobs[i]);
    if (!w->upload_id) return;
    lh_buf q = LH_BUF_INIT;
    lh_buf_puts(&q, "uploadId=");
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    lh_s3_call c = {.op = "put", .method = "DELETE", .key = w->key, .query = q.data};
    lh_err e;
    if (lh_s3_perform(w->s, &c, &e))
        lh_warn("bucket %s: aborting the multipart upload of %s failed (the server may keep its parts): %s",
                w->s->base.name, w->key, e.msg);
    lh_s3_call_free(&c);
    lh_buf_free(&q);
}

static void writer_free(s3_writer *w)
{
    if (w->jobs)
        for (int i = 0; i < w->s->parallel; i++) lh_buf_free(&w->jobs[i].data);
    free(w->jobs);
    free(w->etags);
    free(w->upload_id);
    lh_buf_free(&w->buf);
    free(w->key);
    free(w);
}

static int w_write(lh_obj_writer *ow, const void *data, size_t n, lh_err *err)
{
    s3_writer *w = (s3_writer *)ow;
    if (w->failed) {
        if (err) *err = w->fail;
        return w->failed;
    }
    lh_buf_append(&w->buf, data, n);
    w->total += n;
    int rc = 0;
    if (!w->upload_id && w->buf.len > w->s->threshold) rc = start_multipart(w, err);
    while (!rc && w->upload_id && w->buf.len >= w->s->part_size) rc = ship_part(w, (size_t)w->s->part_size, err);
    if (rc && !w->failed) { w->failed = rc; if (err) w->fail = *err; }
    return rc;
}

static int complete_multipart(s3_writer *w, lh_obj_info *info, lh_err *err)
{
    lh_buf x = LH_BUF_INIT, q = LH_BUF_INIT;
    lh_buf_puts(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < w->n_parts; i++)
        lh_buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, w->etags[i]);
    lh_buf_puts(&x, "</CompleteMultipartUpload>");
    lh_buf_puts(&q, "uploadId=");
    lh_sigv4_uri_encode(&q, w->upload_id, strlen(w->upload_id), 0);
    lh_s3_call c = {.op = "put", .method = "POST", .key = w->key, .query = q.data, .body = x.data, .body_len = x.len};
    int rc = lh_s3_perform(w->s, &c, err);
    if (!rc) {
        /* S3 may answer 200 and put the failure in the body. */
        lh_s3_error_doc d;
        lh_s3_xml_error(c.resp.data, c.resp.len, &d);
        char *root_etag = lh_s3_xml_text(c.resp.data, c.resp.len, "CompleteMultipartUploadResult");
        if (d.code[0] && !root_etag)
            rc = lh_err_set(err, LH_EIO, "s3_error", "bucket \"%s\": completing the upload of \"%s\" failed (S3 %s, "
                            "request id %s)", w->s->base.name, w->key, d.code,
                            d.request_id[0] ? d.request_id : c.request_id);
        free(root_etag);
    }
    lh_s3_call_free(&c);
    lh_buf_free(&x);
    lh_buf_free(&q);
    if (rc) return rc;
    /* Some servers (RGW) leave the ETag out of the answer: ask. */
    rc = lh_s3_head(&w->s->base, w->key, info, err);
    return rc;
}

static int w_commit(lh_obj_writer *ow, lh_obj_info *info, lh_err *err)
{
    s3_writer *w = (s3_writer *)ow;
    int rc = w->failed;
    if (rc && err) *err = w->fail;
    if (!rc && !w->upload_id) {
        rc = w->create_only ? put_create_only(w->s, w->key, w->buf.data, w->buf.len, info, err)
                            : put_single(w->s, w->key, w->buf.data, w->buf.len, 0, info, err);
    } else if (!rc) {
        if (w->buf.len) rc = ship_part(w, w->buf.len, err);
        for (int i = 0; i < w->s->parallel; i++) join_job(w, &w->jobs[i]);
        if (!rc && w->failed) { rc = w->failed; if (err) *err = w->fail; }
        if (!rc) rc = complete_multipart(w, info, err);
        if (!rc) info->size = w->total;
    }
    if (rc && w->upload_id) abort_multipart(w);
    writer_free(w);
    return rc;
}

static void w_abort(lh_obj_writer *ow)
{
    s3_writer *w = (s3_writer *)ow;
    abort_multipart(w);
    writer_free(w);
}

static const lh_obj_writer_ops WRITER_OPS = {w_write, w_commit, w_abort};

int lh_s3_writer_open(lh_objstore *st, const char *key, int flags, lh_obj_writer **out, lh_err *err)
{
    (void)err;
    s3_writer *w = lh_xcalloc(1, sizeof *w);
    w->base.ops = &WRITER_OPS;
    w->s = S3(st);
    w->key = lh_xstrdup(key);
    w->create_only = (flags & LH_PUT_CREATE_ONLY) != 0;
    *out = &w->base;
    return 0;
}

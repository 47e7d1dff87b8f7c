/* storage/journaled.c — an objstore wrapper that writes failures to the
 * error journal (see error_journal.h).
 *
 * Putting the journaling in a wrapper rather than in each backend means a
 * new backend (S3) is journaled without knowing the journal exists, and
 * every module that reaches a bucket through the registry is covered.
 * Readers and writers are wrapped too, because a stream can fail midway.
 */
#include "storage/error_journal.h"
#include "storage/objstore_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct jstore {
    lh_objstore       base;
    lh_objstore      *inner;
    lh_error_journal *j;
} jstore;

typedef struct jreader {
    lh_obj_reader  base;
    lh_obj_reader *inner;
    jstore        *s;
    char          *key;
} jreader;

typedef struct jwriter {
    lh_obj_writer  base;
    lh_obj_writer *inner;
    jstore        *s;
    char          *key;
} jwriter;

static int note(jstore *s, const char *op, const char *key, int rc, const lh_err *err)
{
    if (rc < 0 && lh_error_journal_worthy(rc)) {
        lh_err fallback;
        if (!err || err->status != rc) {
            lh_err_set(&fallback, rc, NULL, "%s failed", op);
            err = &fallback;
        }
        lh_error_journal_record(s->j, s->base.name, op, key, err);
    }
    return rc;
}

static int64_t jr_read(lh_obj_reader *r, void *buf, size_t n, lh_err *err)
{
    jreader *jr = (jreader *)r;
    int64_t got = lh_obj_reader_read(jr->inner, buf, n, err);
    if (got < 0) note(jr->s, "get", jr->key, (int)got, err);
    return got;
}

static void jr_close(lh_obj_reader *r)
{
    jreader *jr = (jreader *)r;
    lh_obj_reader_close(jr->inner);
    free(jr->key);
    free(jr);
}

static const lh_obj_reader_ops JR_OPS = {jr_read, jr_close};

static int jw_write(lh_obj_writer *w, const void *data, size_t n, lh_err *err)
{
    jwriter *jw = (jwriter *)w;
    return note(jw->s, "put", jw->key, lh_obj_writer_write(jw->inner, data, n, err), err);
}

static int jw_commit(lh_obj_writer *w, lh_obj_info *info, lh_err *err)
{
    jwriter *jw = (jwriter *)w;
    int rc = note(jw->s, "put", jw->key, lh_obj_writer_commit(jw->inner, info, err), err);
    free(jw->key);
    free(jw);
    return rc;
}

static void jw_abort(lh_obj_writer *w)
{
    jwriter *jw = (jwriter *)w;
    lh_obj_writer_abort(jw->inner);
    free(jw->key);
    free(jw);
}

static const lh_obj_writer_ops JW_OPS = {jw_write, jw_commit, jw_abort};

static int j_get(lh_objstore *st, const char *key, lh_range range, lh_obj_reader **out,
                 lh_obj_info *info, lh_err *err)
{
    jstore *s = (jstore *)st;
    lh_obj_reader *inner;
    int rc = note(s, "get", key, lh_objstore_get(s->inner, key, range, &inner, info, err), err);
    if (rc) return rc;
    jreader *jr = lh_xcalloc(1, sizeof *jr);
    jr->base.ops = &JR_OPS;
    jr->base.length = lh_obj_reader_length(inner);
    jr->inner = inner;
    jr->s = s;
    jr->key = lh_xstrdup(key);
    *out = &jr->base;
    return 0;
}

static int j_writer_open(lh_objstore *st, const char *key, int flags, lh_obj_writer **out, lh_err *err)
{
    jstore *s = (jstore *)st;
    lh_obj_writer *inner;
    int rc = note(s, "put", key, lh_objstore_writer_open(s->inner, key, flags, &inner, err), err);
    if (rc) return rc;
    jwriter *jw = lh_xcalloc(1, sizeof *jw);
    jw->base.ops = &JW_OPS;
    jw->inner = inner;
    jw->s = s;
    jw->key = lh_xstrdup(key);
    *out = &jw->base;
    return 0;
}

static int j_head(lh_objstore *st, const char *key, lh_obj_info *info, lh_err *err)
{
    jstore *s = (jstore *)st;
    return note(s, "head", key, lh_objstore_head(s->inner, key, info, err), err);
}

static int j_list(lh_objstore *st, const lh_list_opts *opts, lh_list *out, lh_err *err)
{
    jstore *s = (jstore *)st;
    return note(s, "list", opts && opts->prefix ? opts->prefix : "", lh_objstore_list(s->inner, opts, out, err), err);
}

static int j_del(lh_objstore *st, const char *key, lh_err *err)
{
    jstore *s = (jstore *)st;
    return note(s, "delete", key, lh_objstore_delete(s->inner, key, err), err);
}

static int j_probe(lh_objstore *st, lh_err *err)
{
    jstore *s = (jstore *)st;
    return note(s, "probe", "", lh_objstore_probe(s->inner, err), err);
}

static int j_copy(lh_objstore *st, const char *src, const char *dst, lh_obj_info *info, lh_err *err)
{
    jstore *s = (jstore *)st;
    return note(s, "copy", dst, lh_objstore_copy(s->inner, src, dst, info, err), err);
}

static const char *j_local_root(const lh_objstore *st)
{
    return lh_objstore_local_root(((const jstore *)st)->inner);
}

static void j_destroy(lh_objstore *st)
{
    jstore *s = (jstore *)st;
    lh_objstore_free(s->inner);
    free(s->base.name);
    free(s);
}

static const lh_objstore_ops J_OPS = {
    "journaled", j_get, j_writer_open, j_head, j_list, j_del, j_probe, j_local_root, j_destroy, j_copy,
};

int lh_objstore_journaled_new(lh_objstore *inner, lh_error_journal *j, lh_objstore **out)
{
    jstore *s = lh_xcalloc(1, sizeof *s);
    s->base.ops = &J_OPS;
    s->base.name = lh_xstrdup(lh_objstore_name(inner));
    s->inner = inner;
    s->j = j;
    *out = &s->base;
    return 0;
}

/* storage/objstore_impl.h — what a backend implements (private to storage/).
 *
 * objstore.c validates keys and arguments, then dispatches here; backends
 * may assume a valid key. Readers and writers are backend-allocated
 * structs that begin with the common header below.
 */
#ifndef LH_STORAGE_OBJSTORE_IMPL_H
#define LH_STORAGE_OBJSTORE_IMPL_H

#include "storage/objstore.h"

typedef struct lh_objstore_ops {
    const char *backend;
    int  (*get)(lh_objstore *s, const char *key, lh_range range,
                lh_obj_reader **out, lh_obj_info *info, lh_err *err);
    int  (*writer_open)(lh_objstore *s, const char *key, int flags,
                        lh_obj_writer **out, lh_err *err);
    int  (*head)(lh_objstore *s, const char *key, lh_obj_info *info, lh_err *err);
    int  (*list)(lh_objstore *s, const lh_list_opts *opts, lh_list *out, lh_err *err);
    int  (*del)(lh_objstore *s, const char *key, lh_err *err);
    int  (*probe)(lh_objstore *s, lh_err *err);
    const char *(*local_root)(const lh_objstore *s);
    void (*destroy)(lh_objstore *s);
    /* Optional server-side copy; NULL = objstore.c streams get → put. */
    int  (*copy)(lh_objstore *s, const char *src, const char *dst, lh_obj_info *info, lh_err *err);
} lh_objstore_ops;

struct lh_objstore {
    const lh_objstore_ops *ops;
    char *name;
};

typedef struct lh_obj_reader_ops {
    int64_t (*read)(lh_obj_reader *r, void *buf, size_t n, lh_err *err);
    void    (*close)(lh_obj_reader *r);
} lh_obj_reader_ops;

struct lh_obj_reader {
    const lh_obj_reader_ops *ops;
    uint64_t length;
};

typedef struct lh_obj_writer_ops {
    int  (*write)(lh_obj_writer *w, const void *data, size_t n, lh_err *err);
    int  (*commit)(lh_obj_writer *w, lh_obj_info *info, lh_err *err);
    void (*abort)(lh_obj_writer *w);
} lh_obj_writer_ops;

struct lh_obj_writer {
    const lh_obj_writer_ops *ops;
};

#endif

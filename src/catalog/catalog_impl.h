/* catalog/catalog_impl.h — what the catalog's files share (private). */
#ifndef LH_CATALOG_IMPL_H
#define LH_CATALOG_IMPL_H

#include "catalog/catalog.h"
#include "storage/append_log.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct cat_entry {
    char       *name;
    lh_dataset *ds;       /* newest version, possibly a tombstone */
} cat_entry;

typedef struct cat_listener {
    lh_catalog_listener fn;
    void               *ctx;
} cat_listener;

typedef struct root_cache {
    char *bucket;
    char *abs_root;       /* realpath of the local root */
} root_cache;

struct lh_catalog {
    lh_registry     *reg;
    lh_engine       *engine;
    char            *scratch;
    pthread_rwlock_t lock;      /* guards entries */
    cat_entry       *entries;
    size_t           n_entries;
    pthread_mutex_t  commit_mu; /* one commit at a time */
    cat_listener     listeners[8];
    int              n_listeners;
    lh_append_log   *journal;
    atomic_ullong    manifest_reads;  /* cat_manifest_read calls (a cost counter) */
    pthread_mutex_t  roots_mu;
    root_cache      *roots;
    size_t           n_roots;
};

/* dataset.c */
lh_dataset *cat_dataset_new(json_t *manifest /* stolen */);
/* Is manifest file entry f a delta? (lh_dataset_file_is_delta on a
 * manifest still being built) */
int  cat_file_is_delta(const json_t *f);

/* manifest_io.c */
void cat_manifest_key(lh_buf *out, const char *name, int64_t version);
/* Encode manifest as a one-row Parquet object and create it (create-only). */
int  cat_manifest_write(lh_catalog *cat, const json_t *manifest, lh_err *err);
/* Read the manifest object at key. */
int  cat_manifest_read(lh_catalog *cat, const char *key, json_t **out, lh_err *err);
/* Versions present under _catalog/{name}/, ascending. */
int  cat_manifest_versions(lh_catalog *cat, const char *name, int64_t **out, size_t *n, lh_err *err);
/* A fresh scratch file path (not created). */
void cat_scratch_path(lh_catalog *cat, const char *suffix, lh_buf *out);

#endif

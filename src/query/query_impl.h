/* query/query_impl.h — shared by the query service's files (private). */
#ifndef LH_QUERY_IMPL_H
#define LH_QUERY_IMPL_H

#include "query/query.h"

#include <pthread.h>
#include <stdatomic.h>

struct lh_query_service {
    lh_catalog     *cat;
    lh_engine      *engine;
    lh_engine_conn *ddl;      /* view maintenance, serialised by ddl_mu */
    pthread_mutex_t ddl_mu;
    /* Datasets whose view could not be made at start because their files
     * could not be fetched (a bucket down): made on first use instead.
     * view_mu serialises making views (commits and first uses), so an
     * older version can never replace a newer one. */
    pthread_mutex_t view_mu;
    json_t         *deferred; /* object used as a set of names, under view_mu */
    atomic_int      n_deferred; /* its size, read without the lock: 0 (the usual case)
                                 * lets a query skip view_mu altogether */
    char           *own;      /* this engine's directory inside the scratch area */
    char           *spill;    /* own/spill: DuckDB's temp directory */
    char           *exports;  /* own/exports: Parquet results, streamed then deleted */
};

/* The view (or, temp, a connection-local view) that reads ds. */
int lh_query_view_sql(lh_query_service *q, const lh_dataset *ds, int temp, lh_buf *sql, lh_err *err);
/* Cached copies of S3 files a query run holds pinned (storage/cache.h)
 * until it ends, so no other reader's fetch can evict them mid-query. */
typedef struct lh_query_pins {
    char  **bucket, **key;
    size_t  n, cap;
} lh_query_pins;

/* Make the cached copies of the S3 files of the datasets in `names` (a
 * JSON array of names; NULL = every dataset) present, fetching evicted
 * ones, and pin them into `pins` (service.c). Errors: the fetch's
 * (LH_EUNAVAIL "bucket_unavailable", ...), prefixed with the dataset. */
int  lh_query_ensure_files(lh_query_service *q, json_t *names, lh_query_pins *pins, lh_err *err);
/* The same for one dataset version (time travel reads old versions). */
int  lh_query_ensure_dataset(lh_query_service *q, const lh_dataset *ds, lh_query_pins *pins, lh_err *err);
void lh_query_pins_release(lh_query_service *q, lh_query_pins *pins);

#endif

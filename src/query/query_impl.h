/* query/query_impl.h — shared by the query service's files (private). */
#ifndef LH_QUERY_IMPL_H
#define LH_QUERY_IMPL_H

#include "query/query.h"

#include <pthread.h>

struct lh_query_service {
    lh_catalog     *cat;
    lh_engine      *engine;
    lh_engine_conn *ddl;      /* view maintenance, serialised by ddl_mu */
    pthread_mutex_t ddl_mu;
    char           *own;      /* this engine's directory inside the scratch area */
    char           *spill;    /* own/spill: DuckDB's temp directory */
    char           *exports;  /* own/exports: Parquet results, streamed then deleted */
};

/* The view (or, temp, a connection-local view) that reads ds. */
int lh_query_view_sql(lh_query_service *q, const lh_dataset *ds, int temp, lh_buf *sql, lh_err *err);
/* Re-fetch cached copies of S3 files that the views name (service.c). */
void lh_query_ensure_files(lh_query_service *q);

#endif

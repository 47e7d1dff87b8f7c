/* query/query.h — the read-only SQL service.
 *
 * User SQL runs on its own engine, separate from the one that writes:
 * every dataset is a view over its Parquet files, re-created on each
 * commit (CREATE OR REPLACE VIEW is atomic, and files are immutable, so a
 * query sees the dataset's old version or its new one, never a mix), and
 * before the first user statement the engine is locked down: only the
 * buckets' data directories are readable, external access is off, and the
 * configuration cannot be changed from SQL.
 *
 * A request must be one read statement (SELECT, EXPLAIN, DESCRIBE, SHOW,
 * PRAGMA reads); anything that writes, attaches, installs, copies or sets
 * is refused before it runs. Results stream chunk by chunk in the chosen
 * format under a row limit, a byte limit and a timeout; the first chunk is
 * computed before the response starts, so errors that DuckDB finds while
 * binding or starting the query come back as a proper 4xx.
 *
 * A Parquet result is written by the query engine itself (COPY of the
 * validated SELECT) into the engine's own export directory, then streamed
 * and deleted. That directory and the engine's spill directory are
 * readable from SQL (DuckDB allows its temp directory); staged uploads,
 * manifests and journals are not.
 *
 * Thread-safety: queries may run concurrently (each has its own
 * connection); a lh_query_run is used by one thread at a time.
 */
#ifndef LH_QUERY_QUERY_H
#define LH_QUERY_QUERY_H

#include "catalog/catalog.h"

#include <stdint.h>

typedef struct lh_query_service lh_query_service;
typedef struct lh_query_run     lh_query_run;

typedef struct lh_query_opts {
    lh_catalog *cat;
    int64_t     threads;
    const char *memory_limit;
    const char *temp_dir;
} lh_query_opts;

int  lh_query_open(const lh_query_opts *opts, lh_query_service **out, lh_err *err);
void lh_query_free(lh_query_service *q);

typedef enum lh_qformat { LH_QFMT_JSON, LH_QFMT_NDJSON, LH_QFMT_CSV, LH_QFMT_PARQUET } lh_qformat;

int lh_qformat_parse(const char *s, lh_qformat *out, lh_err *err);

typedef struct lh_query_req {
    const char *sql;
    lh_qformat  format;
    int64_t     limit;       /* rows; > 0 */
    int64_t     timeout_ms;  /* > 0 */
    int64_t     max_bytes;   /* output bytes; > 0 */
    /* Time travel (0 = now): every dataset the SELECT names is read as it
     * was at as_of_us (the version current then), or at version
     * as_of_version. Errors: LH_ENOTFOUND "version_not_found" when a named
     * dataset has no such version; LH_EINVAL "invalid_parameter" when the
     * statement is not a SELECT. */
    int64_t     as_of_us;
    int64_t     as_of_version;
} lh_query_req;

/* Check, start and run the query up to its first chunk. Errors:
 * LH_EINVAL "sql_error" (DuckDB's message, with position),
 * LH_EPERM "read_only" (not a read), LH_EINVAL "one_statement",
 * LH_ETIMEOUT "query_timeout". */
int  lh_query_start(lh_query_service *q, const lh_query_req *req, lh_query_run **out, lh_err *err);
/* Encoded output: bytes written to buf, 0 at the end. An error after the
 * output began is written into the output itself (a final "error" member
 * in JSON, a last {"error":…} line in NDJSON) and the stream ends; a CSV
 * stream is cut short (returns < 0). */
int64_t     lh_query_read(lh_query_run *run, char *buf, size_t max);
const char *lh_query_content_type(const lh_query_run *run);
void        lh_query_run_free(lh_query_run *run);

#endif

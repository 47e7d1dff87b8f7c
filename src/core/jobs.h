/* core/jobs.h — background jobs with progress (large ingests, later index
 * builds).
 *
 * A job is a function run on its own thread; it reports progress (rows,
 * bytes, a free-form phase) through lh_job_progress and ends with a JSON
 * result or an error. The registry keeps every running job and the most
 * recent finished ones, so GET /jobs/{id} can answer after the fact.
 *
 * Ownership: the registry owns jobs; lh_jobs_status returns a new JSON
 * document the caller releases. Thread-safety: all functions may be called
 * from any thread. lh_jobs_free waits for running jobs to finish.
 */
#ifndef LH_CORE_JOBS_H
#define LH_CORE_JOBS_H

#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

typedef struct lh_jobs lh_jobs;
typedef struct lh_job  lh_job;

/* The job body: fill *result (a new reference) or return an error. */
typedef int (*lh_job_fn)(lh_job *job, void *arg, json_t **result, lh_err *err);

lh_jobs *lh_jobs_new(size_t max_finished_kept);
void     lh_jobs_free(lh_jobs *jobs);

/* Start fn(arg) on a new thread; free_arg(arg) runs when it ends. The id
 * (a short hex string) is copied to id_out (at least 33 bytes). */
int  lh_jobs_start(lh_jobs *jobs, const char *kind, lh_job_fn fn, void *arg, void (*free_arg)(void *),
                   char *id_out, lh_err *err);

/* Progress, from inside the job. A negative count leaves that figure as
 * it was; total_bytes 0 = unknown. */
void lh_job_progress(lh_job *job, const char *phase, int64_t rows, int64_t bytes, int64_t total_bytes);

/* The expected row count when the source knows it (a table's statistics):
 * the status then carries total_rows and eta_s. */
void lh_job_expect_rows(lh_job *job, int64_t total_rows);

/* {id, kind, state, phase, rows, bytes, total_bytes, rows_per_s, bytes_per_s,
 *  created_at, started_at, finished_at, elapsed_s, result | error};
 * NULL with LH_ENOTFOUND "job_not_found". */
json_t *lh_jobs_status(lh_jobs *jobs, const char *id, lh_err *err);
/* All known jobs, newest first. */
json_t *lh_jobs_list(lh_jobs *jobs);

#endif

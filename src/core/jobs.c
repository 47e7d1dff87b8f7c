/* core/jobs.c — background jobs (see jobs.h).
 *
 * Jobs are few and long (an ingest of a large file), so a thread each is
 * the simplest model that keeps request threads free; the registry is a
 * list under one mutex. Finished jobs beyond the retention count are
 * forgotten oldest first; running jobs are never dropped.
 */
#include "core/jobs.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/id.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED };

struct lh_job {
    lh_jobs   *jobs;
    char       id[33];
    char      *kind;
    int        state;
    char       phase[64];
    int64_t    rows, bytes, total_bytes, total_rows;
    int64_t    created_us, started_mono, finished_mono, finished_us;
    json_t    *result;
    lh_err     err;
    lh_job_fn  fn;
    void      *arg;
    void     (*free_arg)(void *);
    pthread_t  thread;
    lh_job    *next;   /* newest first */
};

struct lh_jobs {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    lh_job         *head;
    size_t          max_finished;
    int             running;
};

lh_jobs *lh_jobs_new(size_t max_finished_kept)
{
    lh_jobs *j = lh_xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->max_finished = max_finished_kept;
    return j;
}

static void job_free(lh_job *job)
{
    json_decref(job->result);
    free(job->kind);
    free(job);
}

void lh_jobs_free(lh_jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    while (j->running > 0) pthread_cond_wait(&j->cv, &j->mu);
    pthread_mutex_unlock(&j->mu);
    for (lh_job *job = j->head, *next; job; job = next) {
        next = job->next;
        job_free(job);
    }
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* Forget finished jobs past the retention count (mu held). */
static void trim(lh_jobs *j)
{
    size_t finished = 0;
    lh_job **pp = &j->head;
    while (*pp) {
        lh_job *job = *pp;
        if (job->state != JOB_RUNNING && ++finished > j->max_finished) {
            *pp = job->next;
            job_free(job);
            continue;
        }
        pp = &job->next;
    }
}

static void *job_main(void *p)
{
    lh_job *job = p;
    json_t *result = NULL;
    lh_err err;
    lh_err_clear(&err);
    int rc = job->fn(job, job->arg, &result, &err);
    if (job->free_arg) job->free_arg(job->arg);
    lh_jobs *j = job->jobs;
    pthread_mutex_lock(&j->mu);
    job->finished_mono = lh_mono_us();
    job->finished_us = lh_now_us();
    if (rc) {
        job->state = JOB_FAILED;
        job->err = err;
        json_decref(result);
    } else {
        job->state = JOB_SUCCEEDED;
        job->result = result;
    }
    j->running--;
    trim(j);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int lh_jobs_start(lh_jobs *j, const char *kind, lh_job_fn fn, void *arg, void (*free_arg)(void *),
                  char *id_out, lh_err *err)
{
    lh_job *job = lh_xcalloc(1, sizeof *job);
    job->jobs = j;
    lh_hex_id(job->id, 16);
    job->kind = lh_xstrdup(kind);
    job->state = JOB_RUNNING;
    snprintf(job->phase, sizeof job->phase, "starting");
    job->created_us = lh_now_us();
    job->started_mono = lh_mono_us();
    job->fn = fn;
    job->arg = arg;
    job->free_arg = free_arg;
    pthread_mutex_lock(&j->mu);
    job->next = j->head;
    j->head = job;
    j->running++;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int prc = pthread_create(&job->thread, &attr, job_main, job);
    pthread_attr_destroy(&attr);
    if (prc != 0) {
        j->head = job->next;
        j->running--;
        pthread_mutex_unlock(&j->mu);
        job_free(job);
        return lh_err_set(err, LH_EUNAVAIL, "job_start_failed", "could not start a background job");
    }
    snprintf(id_out, 33, "%s", job->id);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

void lh_job_progress(lh_job *job, const char *phase, int64_t rows, int64_t bytes, int64_t total_bytes)
{
    pthread_mutex_lock(&job->jobs->mu);
    if (phase) snprintf(job->phase, sizeof job->phase, "%s", phase);
    if (rows >= 0) job->rows = rows;
    if (bytes >= 0) job->bytes = bytes;
    if (total_bytes >= 0) job->total_bytes = total_bytes;
    pthread_mutex_unlock(&job->jobs->mu);
}

void lh_job_expect_rows(lh_job *job, int64_t total_rows)
{
    pthread_mutex_lock(&job->jobs->mu);
    job->total_rows = total_rows;
    pthread_mutex_unlock(&job->jobs->mu);
}

static json_t *status_locked(const lh_job *job)
{
    static const char *states[] = {"running", "succeeded", "failed"};
    int64_t end = job->state == JOB_RUNNING ? lh_mono_us() : job->finished_mono;
    double secs = (double)(end - job->started_mono) / 1e6;
    char created[40], finished[40];
    lh_time_format_us(job->created_us, created, sizeof created);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:f,s:s,s:f,s:f}", "id", job->id, "kind", job->kind, "state",
                          states[job->state], "phase", job->phase, "rows", (json_int_t)job->rows, "bytes",
                          (json_int_t)job->bytes, "elapsed_s", secs, "created_at", created,
                          "rows_per_s", secs > 0 ? (double)job->rows / secs : 0.0,
                          "bytes_per_s", secs > 0 ? (double)job->bytes / secs : 0.0);
    if (job->total_bytes) json_object_set_new(o, "total_bytes", json_integer(job->total_bytes));
    if (job->total_rows > 0) {
        json_object_set_new(o, "total_rows", json_integer(job->total_rows));
        double rate = secs > 0 ? (double)job->rows / secs : 0;
        if (job->state == JOB_RUNNING && rate > 0 && job->total_rows > job->rows)
            json_object_set_new(o, "eta_s", json_real((double)(job->total_rows - job->rows) / rate));
    }
    if (job->state != JOB_RUNNING) {
        lh_time_format_us(job->finished_us, finished, sizeof finished);
        json_object_set_new(o, "finished_at", json_string(finished));
    }
    if (job->state == JOB_SUCCEEDED && job->result) json_object_set(o, "result", job->result);
    if (job->state == JOB_FAILED)
        json_object_set_new(o, "error", json_pack("{s:s,s:s,s:i}", "code", job->err.code, "message", job->err.msg,
                                                  "status", lh_err_http_status(job->err.status)));
    return o;
}

json_t *lh_jobs_status(lh_jobs *j, const char *id, lh_err *err)
{
    pthread_mutex_lock(&j->mu);
    for (lh_job *job = j->head; job; job = job->next)
        if (!strcmp(job->id, id)) {
            json_t *o = status_locked(job);
            pthread_mutex_unlock(&j->mu);
            return o;
        }
    pthread_mutex_unlock(&j->mu);
    lh_err_set(err, LH_ENOTFOUND, "job_not_found", "no job with id \"%.40s\" (finished jobs are kept for a while)", id);
    return NULL;
}

json_t *lh_jobs_list(lh_jobs *j)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&j->mu);
    for (lh_job *job = j->head; job; job = job->next) json_array_append_new(arr, status_locked(job));
    pthread_mutex_unlock(&j->mu);
    return arr;
}

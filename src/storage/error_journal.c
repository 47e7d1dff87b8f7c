/* storage/error_journal.c — bucket failures into the append log (see
 * error_journal.h). Besides the log, it keeps each bucket's last failure
 * in a small table so health checks can report it without a scan. */
#include "storage/error_journal.h"
#include "core/clock.h"
#include "core/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct last_error {
    char   *bucket;
    char    msg[LH_ERR_MSG_MAX];
    int64_t ts_us;
} last_error;

struct lh_error_journal {
    lh_append_log  *log;
    pthread_mutex_t mu;
    last_error     *last;
    size_t          n_last;
};

int lh_error_journal_new(lh_objstore *primary, const lh_append_log_opts *opts,
                         lh_error_journal **out, lh_err *err)
{
    *out = NULL;
    lh_error_journal *j = lh_xcalloc(1, sizeof *j);
    int rc = lh_append_log_new(primary, LH_ERROR_JOURNAL_PREFIX, opts, &j->log, err);
    if (rc) { free(j); return rc; }
    pthread_mutex_init(&j->mu, NULL);
    *out = j;
    return 0;
}

void lh_error_journal_free(lh_error_journal *j)
{
    if (!j) return;
    lh_append_log_free(j->log);
    for (size_t i = 0; i < j->n_last; i++) free(j->last[i].bucket);
    free(j->last);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

int lh_error_journal_worthy(int status)
{
    switch (status) {
    case LH_EUNAVAIL: case LH_EIO: case LH_ETIMEOUT: case LH_EPERM:
    case LH_ENOMEM: case LH_EINTERNAL:
        return 1;
    default:
        return 0;
    }
}

static void remember(lh_error_journal *j, const char *bucket, const char *msg, int64_t ts)
{
    pthread_mutex_lock(&j->mu);
    last_error *le = NULL;
    for (size_t i = 0; i < j->n_last; i++)
        if (!strcmp(j->last[i].bucket, bucket)) le = &j->last[i];
    if (!le) {
        j->last = lh_xrealloc(j->last, (j->n_last + 1) * sizeof *j->last);
        le = &j->last[j->n_last++];
        le->bucket = lh_xstrdup(bucket);
    }
    snprintf(le->msg, sizeof le->msg, "%s", msg);
    le->ts_us = ts;
    pthread_mutex_unlock(&j->mu);
}

void lh_error_journal_record(lh_error_journal *j, const char *bucket, const char *op,
                             const char *key, const lh_err *e)
{
    int64_t now = lh_now_us();
    char ts[40];
    lh_time_format_us(now, ts, sizeof ts);
    json_t *ev = json_pack("{s:s,s:I,s:s,s:s,s:s?,s:s,s:s,s:s}", "ts", ts, "ts_us", (json_int_t)now,
                           "bucket", bucket, "op", op, "key", key, "status", lh_status_name(e->status),
                           "code", e->code, "error", e->msg);
    char *line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    remember(j, bucket, e->msg, now);
    lh_warn("bucket %s: %s %s failed: %s", bucket, op, key ? key : "", e->msg);
    if (!line) return;
    lh_err aerr;
    if (lh_append_log_append(j->log, line, &aerr))
        lh_warn("error journal: could not record event: %s", aerr.msg);
    free(line);
}

int lh_error_journal_last(lh_error_journal *j, const char *bucket, char *msg, size_t msgsz, int64_t *ts_us)
{
    int found = 0;
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_last; i++)
        if (!strcmp(j->last[i].bucket, bucket)) {
            snprintf(msg, msgsz, "%s", j->last[i].msg);
            *ts_us = j->last[i].ts_us;
            found = 1;
        }
    pthread_mutex_unlock(&j->mu);
    return found;
}

lh_append_log *lh_error_journal_log(lh_error_journal *j) { return j->log; }

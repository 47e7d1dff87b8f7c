/* gateway/metrics.c — Prometheus counters and histograms (see metrics.h).
 *
 * The series set is small and bounded (routes × methods × statuses), so a
 * linear array under one mutex is simpler and fast enough; the lock is held
 * for a few comparisons per request.
 */
#include "gateway/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const double BOUNDS[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof BOUNDS / sizeof BOUNDS[0])

typedef struct counter {
    char         *route, *method;
    int           status;
    unsigned long n;
} counter;

typedef struct histo {
    char         *route;
    unsigned long buckets[NB + 1];  /* last is +Inf */
    unsigned long count;
    double        sum;
} histo;

struct lh_metrics {
    pthread_mutex_t mu;
    counter        *c;
    size_t          nc;
    histo          *h;
    size_t          nh;
    atomic_long     inflight;
};

lh_metrics *lh_metrics_new(void)
{
    lh_metrics *m = lh_xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    atomic_init(&m->inflight, 0);
    return m;
}

void lh_metrics_free(lh_metrics *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nc; i++) { free(m->c[i].route); free(m->c[i].method); }
    for (size_t i = 0; i < m->nh; i++) free(m->h[i].route);
    free(m->c);
    free(m->h);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void lh_metrics_inflight(lh_metrics *m, int delta) { atomic_fetch_add(&m->inflight, delta); }
long lh_metrics_inflight_now(lh_metrics *m) { return atomic_load(&m->inflight); }

void lh_metrics_observe(lh_metrics *m, const char *route, const char *method, int status, double seconds)
{
    pthread_mutex_lock(&m->mu);
    counter *c = NULL;
    for (size_t i = 0; i < m->nc && !c; i++)
        if (m->c[i].status == status && !strcmp(m->c[i].route, route) && !strcmp(m->c[i].method, method))
            c = &m->c[i];
    if (!c) {
        m->c = lh_xrealloc(m->c, (m->nc + 1) * sizeof *m->c);
        c = &m->c[m->nc++];
        c->route = lh_xstrdup(route);
        c->method = lh_xstrdup(method);
        c->status = status;
        c->n = 0;
    }
    c->n++;
    histo *h = NULL;
    for (size_t i = 0; i < m->nh && !h; i++)
        if (!strcmp(m->h[i].route, route)) h = &m->h[i];
    if (!h) {
        m->h = lh_xrealloc(m->h, (m->nh + 1) * sizeof *m->h);
        h = &m->h[m->nh++];
        memset(h, 0, sizeof *h);
        h->route = lh_xstrdup(route);
    }
    size_t b = 0;
    while (b < NB && seconds > BOUNDS[b]) b++;
    h->buckets[b]++;
    h->count++;
    h->sum += seconds;
    pthread_mutex_unlock(&m->mu);
}

/* Label values are route patterns and methods we chose ourselves; they
 * hold no quotes or backslashes, but escape anyway to stay valid. */
static void put_label(lh_buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') lh_buf_putc(out, '\\');
        if (*v == '\n') { lh_buf_puts(out, "\\n"); continue; }
        lh_buf_putc(out, *v);
    }
}

void lh_metrics_render(lh_metrics *m, lh_buf *out)
{
    pthread_mutex_lock(&m->mu);
    lh_buf_puts(out, "# HELP lakehouse_http_requests_total HTTP requests by route pattern, method and status.\n"
                     "# TYPE lakehouse_http_requests_total counter\n");
    for (size_t i = 0; i < m->nc; i++) {
        lh_buf_puts(out, "lakehouse_http_requests_total{route=\"");
        put_label(out, m->c[i].route);
        lh_buf_puts(out, "\",method=\"");
        put_label(out, m->c[i].method);
        lh_buf_printf(out, "\",status=\"%d\"} %lu\n", m->c[i].status, m->c[i].n);
    }
    lh_buf_puts(out, "# HELP lakehouse_http_request_duration_seconds HTTP request latency by route pattern.\n"
                     "# TYPE lakehouse_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->nh; i++) {
        unsigned long cum = 0;
        for (size_t b = 0; b <= NB; b++) {
            cum += m->h[i].buckets[b];
            lh_buf_puts(out, "lakehouse_http_request_duration_seconds_bucket{route=\"");
            put_label(out, m->h[i].route);
            if (b < NB) lh_buf_printf(out, "\",le=\"%g\"} %lu\n", BOUNDS[b], cum);
            else lh_buf_printf(out, "\",le=\"+Inf\"} %lu\n", cum);
        }
        lh_buf_puts(out, "lakehouse_http_request_duration_seconds_sum{route=\"");
        put_label(out, m->h[i].route);
        lh_buf_printf(out, "\"} %.6f\n", m->h[i].sum);
        lh_buf_puts(out, "lakehouse_http_request_duration_seconds_count{route=\"");
        put_label(out, m->h[i].route);
        lh_buf_printf(out, "\"} %lu\n", m->h[i].count);
    }
    pthread_mutex_unlock(&m->mu);
    lh_buf_printf(out, "# HELP lakehouse_http_requests_in_flight Requests being served now.\n"
                       "# TYPE lakehouse_http_requests_in_flight gauge\n"
                       "lakehouse_http_requests_in_flight %ld\n", lh_metrics_inflight_now(m));
}

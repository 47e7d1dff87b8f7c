/* tables/journal.c — reading the mutation journal, and one record's state
 * at a point in time (ADR-012).
 *
 * Events are read through the append log (storage/append_log.c), which
 * yields every event exactly once in order, whether or not its batches have
 * been compacted, and never rewrites one. Filters are applied while
 * streaming, so memory holds only the events returned.
 *
 * A record as of a time is read from the dataset version current then
 * (the same snapshot time travel queries use), not replayed from events:
 * rows that arrived by file ingest are journaled per ingest, not per row,
 * so only the snapshot knows them. The record's field events up to then
 * come with it as its history.
 */
#include "tables/tables_impl.h"
#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct read_ctx {
    const lh_journal_filter *f;
    json_t                  *out;
    int                      truncated;
} read_ctx;

static int str_match(const char *want, json_t *have)
{
    return !want || (json_is_string(have) && !strcmp(want, json_string_value(have)));
}

static int on_event(void *ctx, const char *line, size_t len)
{
    read_ctx *rc = ctx;
    const lh_journal_filter *f = rc->f;
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (!json_is_object(ev)) { json_decref(ev); return 0; }
    int64_t ts = json_integer_value(json_object_get(ev, "ts_us"));
    int keep = str_match(f->dataset, json_object_get(ev, "dataset")) && str_match(f->key, json_object_get(ev, "key")) &&
               str_match(f->field, json_object_get(ev, "field")) && str_match(f->actor, json_object_get(ev, "actor")) &&
               str_match(f->op, json_object_get(ev, "op")) && (!f->since_us || ts >= f->since_us) &&
               (!f->until_us || ts <= f->until_us);
    if (keep) {
        if ((int64_t)json_array_size(rc->out) >= f->limit) {
            rc->truncated = 1;
            json_decref(ev);
            return 1;  /* stop reading */
        }
        json_array_append(rc->out, ev);
    }
    json_decref(ev);
    return 0;
}

int lh_tables_journal_events(lh_tables *t, const lh_journal_filter *f, json_t **out, lh_err *err)
{
    *out = NULL;
    read_ctx rc = {.f = f, .out = json_array()};
    int r = lh_append_log_read(lh_catalog_journal(t->cat), on_event, &rc, err);
    if (r < 0) { json_decref(rc.out); return r; }
    *out = json_pack("{s:o,s:I,s:b}", "events", rc.out, "count", (json_int_t)json_array_size(rc.out), "truncated",
                     rc.truncated);
    return 0;
}

int lh_tables_record(lh_tables *t, const char *dataset, const char *key, int64_t as_of_us, json_t **out, lh_err *err)
{
    *out = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    lh_dataset *now = lh_catalog_get(t->cat, dataset, err);
    if (!now) return LH_ENOTFOUND;
    lh_dataset *ds = NULL;
    if (as_of_us) {
        rc = lh_catalog_version_at(t->cat, dataset, as_of_us, &ds, err);
        lh_dataset_unref(now);
    } else {
        ds = now;
    }
    if (rc) return rc;
    json_t *pk = lh_dataset_primary_key(ds);
    if (!json_array_size(pk)) {
        lh_dataset_unref(ds);
        return lh_err_set(err, LH_EINVAL, "no_primary_key", "dataset \"%s\" had no primary key at that version, so "
                          "its records have no key", dataset);
    }
    lh_buf sql = LH_BUF_INIT, text = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(to_json(_lh_r) AS VARCHAR) FROM (");
    rc = lh_catalog_dataset_sql(t->cat, ds, &sql, err);
    lh_buf_puts(&sql, ") AS _lh_r WHERE ");
    lh_catalog_key_text(&sql, pk, "_lh_r");
    lh_buf_puts(&sql, " = $1 LIMIT 1");
    lh_engine_conn *c = NULL;
    lh_engine_stmt *st = NULL;
    lh_engine_result *res = NULL;
    json_t *record = NULL;
    if (!rc) rc = lh_engine_connect(lh_catalog_engine(t->cat), &c, err);
    if (!rc) rc = lh_engine_prepare(c, sql.data, &st, err);
    if (!rc) rc = lh_stmt_bind_text(st, 1, key, err);
    if (!rc) rc = lh_stmt_query(st, &res, err);
    while (!rc && !record) {
        lh_chunk *ch = NULL;
        rc = lh_result_next(res, &ch, err);
        if (rc || !ch) break;
        if (lh_chunk_rows(ch) && lh_chunk_text(ch, 0, 0, &text)) record = json_loadb(text.data, text.len, 0, NULL);
        lh_chunk_free(ch);
    }
    lh_result_free(res);
    lh_stmt_free(st);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    lh_buf_free(&text);
    json_t *hist = NULL;
    if (!rc) {
        lh_journal_filter f = {.dataset = dataset, .key = key, .until_us = as_of_us, .limit = 10000};
        rc = lh_tables_journal_events(t, &f, &hist, err);
    }
    if (rc) { json_decref(record); lh_dataset_unref(ds); return rc; }
    char ts[40];
    lh_time_format_us(as_of_us ? as_of_us : lh_now_us(), ts, sizeof ts);
    *out = json_pack("{s:s,s:s,s:s,s:I,s:b,s:o,s:O}", "dataset", dataset, "key", key, "as_of", ts, "version",
                     (json_int_t)ds->version, "exists", record != NULL, "record", record ? record : json_null(),
                     "history", json_object_get(hist, "events"));
    json_decref(hist);
    lh_dataset_unref(ds);
    return 0;
}

/* tables/write.c — one write: staged rows → delta file → commit → journal.
 *
 * The order is the commit protocol's. With the typed, key-unique request
 * rows in {prefix}_new:
 *
 *   1. {prefix}_old  = the current merged rows of those keys (semi-join);
 *   2. {prefix}_delta = the complete new state of each key: an upsert's
 *      columns that the request left out come from _old, so a delta row
 *      alone decides its key when read; a delete is the key with NULLs;
 *   3. the delta is written as Parquet and stored create-only under
 *      datasets/{name}/delta/ (nothing reads it yet);
 *   4. the manifest (base files + deltas + this one) is committed against
 *      the version the rows were read from — a concurrent commit makes
 *      this fail with 409 and the delta object is deleted again;
 *   5. the journal: ONE batch object holding the commit's
 *      dataset_committed event followed by the field events (old and new
 *      value of every changed field), appended as one unit and flushed
 *      (lh_catalog_commit_journaled); then the dataset is compacted if it
 *      crossed a threshold.
 *
 * Crashes. Before 4: the dataset stays at its previous version, the delta
 * is an orphan, and the journal holds nothing of the write (events are
 * only written after the commit, so the journal never names a version
 * that did not commit). After the batch is stored: the write and all its
 * events are durable, and the caller is answered only then. Between 4 and
 * the batch put (one object write) a kill loses the write's events, all of
 * them together, never some: a batch is the unit, so a write is either
 * wholly in the journal or not at all. A failed batch put is not a crash:
 * the append log keeps the events buffered and the next flush writes them.
 *
 * LH_FAULT_TABLES_CRASH=after_delta makes the process SIGKILL itself
 * between 3 and 4: the crash test uses it to show the dataset stays at its
 * previous version and the delta is an orphan.
 */
#include "tables/tables_impl.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

#include <assert.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tab_drop_work(lh_engine_conn *c, const char *prefix)
{
    static const char *suffix[] = {"in", "new", "old", "delta"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        lh_buf sql = LH_BUF_INIT;
        lh_buf_printf(&sql, "DROP TABLE IF EXISTS %s_%s", prefix, suffix[i]);
        lh_err e;
        if (lh_engine_exec(c, sql.data, &e)) lh_warn("tables: dropping work table %s_%s: %s", prefix, suffix[i], e.msg);
        lh_buf_free(&sql);
    }
}

/* Steps 1 and 2: _old and _delta (with _lh_ins marking new keys). */
static int build_delta(lh_catalog *cat, const tab_write_req *w, int64_t seq, lh_err *err)
{
    json_t *pk = lh_dataset_primary_key(w->cur);
    lh_column *cols;
    size_t nc = lh_dataset_columns(w->cur, &cols);
    lh_buf sql = LH_BUF_INIT;
    lh_buf keys = LH_BUF_INIT;
    lh_buf_printf(&keys, "%s_new", w->prefix);
    lh_buf_printf(&sql, "CREATE TABLE %s_old AS ", w->prefix);
    int rc = lh_catalog_dataset_sql_keys(cat, w->cur, keys.data, &sql, err);
    lh_buf_free(&keys);
    if (!rc) rc = lh_engine_exec(w->conn, sql.data, err);
    lh_buf_reset(&sql);
    lh_buf_printf(&sql, "CREATE TABLE %s_delta AS SELECT ", w->prefix);
    for (size_t i = 0; i < nc; i++) {
        const char *src = w->op == TAB_DELETE ? "_lh_o" : "_lh_n";
        if (i) lh_buf_puts(&sql, ", ");
        if (tab_is_key(pk, cols[i].name)) {
            lh_buf_printf(&sql, "%s.", src);
            lh_sql_quote_ident(&sql, cols[i].name);
        } else if (w->op == TAB_DELETE) {
            lh_buf_printf(&sql, "CAST(NULL AS %s)", cols[i].type);
        } else {
            lh_buf_printf(&sql, "CASE WHEN _lh_n._lh_s%zu THEN _lh_n.", i);
            lh_sql_quote_ident(&sql, cols[i].name);
            lh_buf_puts(&sql, " ELSE _lh_o.");
            lh_sql_quote_ident(&sql, cols[i].name);
            lh_buf_puts(&sql, " END");
        }
        lh_buf_puts(&sql, " AS ");
        lh_sql_quote_ident(&sql, cols[i].name);
    }
    if (w->op == TAB_DELETE) {
        /* only keys that exist get a tombstone */
        lh_buf_printf(&sql, ", %" PRId64 "::BIGINT AS _lh_seq, 'delete' AS _lh_op, false AS _lh_ins FROM %s_old AS _lh_o",
                      seq, w->prefix);
    } else {
        lh_buf_printf(&sql, ", %" PRId64 "::BIGINT AS _lh_seq, 'upsert' AS _lh_op, _lh_o.", seq);
        lh_sql_quote_ident(&sql, json_string_value(json_array_get(pk, 0)));
        lh_buf_printf(&sql, " IS NULL AS _lh_ins FROM %s_new AS _lh_n LEFT JOIN %s_old AS _lh_o ON ", w->prefix,
                      w->prefix);
        lh_catalog_key_join(&sql, pk, "_lh_n", "_lh_o");
    }
    if (!rc) rc = lh_engine_exec(w->conn, sql.data, err);
    lh_buf_free(&sql);
    lh_columns_free(cols, nc);
    return rc;
}

/* s as a JSON string ("…", escaped by jansson); caller frees. */
static char *json_quoted(const char *s)
{
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return t ? t : lh_xstrdup("null");
}

/* The value of column `col` of alias `q` as JSON text (VARCHAR, NULL for
 * NULL). Integers and booleans print as JSON already; the rest go through
 * to_json, which writes a non-finite float as a bare NaN/Infinity (not
 * JSON). Such a value of a float column becomes a string spelled as the
 * engine's JSON encoder spells it ("NaN", "Infinity", "-Infinity"); a
 * nested value holding one becomes its to_json text as a string (so its
 * floats read the same). Only a type with a FLOAT or DOUBLE in it can hold
 * one, so only those pay for the text test, and a string like "a,NaN]" in
 * a VARCHAR[] stays a list. */
static void value_text(lh_buf *sql, const lh_column *col, const char *q)
{
    static const char *plain[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                  "UBIGINT", "BOOLEAN"};
    lh_buf v = LH_BUF_INIT;
    lh_buf_printf(&v, "%s.", q);
    lh_sql_quote_ident(&v, col->name);
    int is_plain = 0;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) is_plain |= !strcmp(col->type, plain[i]);
    int has_float = strstr(col->type, "FLOAT") || strstr(col->type, "DOUBLE");
    if (is_plain)
        lh_buf_printf(sql, "CAST(%s AS VARCHAR)", v.data);
    else if (!strcmp(col->type, "FLOAT") || !strcmp(col->type, "DOUBLE"))
        lh_buf_printf(sql, "CASE WHEN isnan(%s) THEN '\"NaN\"' WHEN isinf(%s) THEN CASE WHEN %s > 0 THEN "
                      "'\"Infinity\"' ELSE '\"-Infinity\"' END ELSE CAST(to_json(%s) AS VARCHAR) END", v.data, v.data,
                      v.data, v.data);
    else if (has_float)  /* a nested type that may hold such a float (json_valid accepts them) */
        lh_buf_printf(sql, "CAST(CASE WHEN regexp_matches(CAST(to_json(%s) AS VARCHAR), '[\\[,:](-?Infinity|NaN)"
                      "[,\\]}]') THEN to_json(CAST(to_json(%s) AS VARCHAR)) ELSE to_json(%s) END AS VARCHAR)", v.data,
                      v.data, v.data);
    else
        lh_buf_printf(sql, "CAST(to_json(%s) AS VARCHAR)", v.data);
    lh_buf_free(&v);
}

/* Step 5: one event per changed field, each a whole journal line, made
 * by DuckDB in one query: a join of the delta with the old rows, where
 * every row carries a list of its fields' event texts (NULL for a field
 * that has none) that UNNEST turns into one row per event. The parts of a
 * line that are the same for the whole write are encoded once here by
 * jansson; the values by DuckDB. This process then only copies text:
 * building ~45,000 events per 10,000-row upsert as jansson objects,
 * encoding them and parsing them again was most of an upsert's time.
 * Called by the catalog right after the commit; the lines share the
 * commit event's batch. Fields in the order readers have always seen:
 * ts, ts_us, type, op, dataset, key, field, old_value, new_value, actor,
 * source, workspace_id, version. */
static int build_events(void *ctx, const lh_dataset *committed, lh_buf *lines, lh_err *err)
{
    const tab_write_req *w = ctx;
    json_t *pk = lh_dataset_primary_key(w->cur);
    lh_column *cols;
    size_t nc = lh_dataset_columns(w->cur, &cols);
    char ts[40];
    int64_t now = lh_now_us();
    lh_time_format_us(now, ts, sizeof ts);
    const char *actor = w->who && w->who->actor ? w->who->actor : "anonymous";
    const char *source = w->who && w->who->source ? w->who->source : "api";
    const char *ws = w->who ? w->who->workspace_id : NULL;

    /* head: {"ts":…,"ts_us":…,"type":"field_changed","op":   tail: ,"actor":…,"version":N} */
    lh_buf head = LH_BUF_INIT, tail = LH_BUF_INIT, tmp = LH_BUF_INIT;
    json_t *hj = json_pack("{s:s,s:I,s:s}", "ts", ts, "ts_us", (json_int_t)now, "type", "field_changed");
    char *hs = json_dumps(hj, JSON_COMPACT);
    json_decref(hj);
    hs[strlen(hs) - 1] = '\0';  /* drop the closing brace */
    lh_buf_printf(&tmp, "%s,\"op\":", hs);
    free(hs);
    lh_sql_quote_literal(&head, tmp.data);
    json_t *tj = json_pack("{s:s,s:s,s:s?,s:I}", "actor", actor, "source", source, "workspace_id", ws, "version",
                           (json_int_t)committed->version);
    char *tls = json_dumps(tj, JSON_COMPACT);
    json_decref(tj);
    lh_buf_reset(&tmp);
    lh_buf_printf(&tmp, ",%s", tls + 1);  /* drop the opening brace */
    free(tls);
    lh_sql_quote_literal(&tail, tmp.data);
    lh_buf_reset(&tmp);

    lh_buf sql = LH_BUF_INIT;
    char *dsq = json_quoted(committed->name);
    lh_buf_printf(&tmp, ",\"dataset\":%s,\"key\":", dsq);
    free(dsq);
    lh_buf_printf(&sql, "SELECT %s || _lh_e.op || ", head.data);
    lh_sql_quote_literal(&sql, tmp.data);
    lh_buf_puts(&sql, " || _lh_e.k || _lh_u.f || ");
    lh_buf_puts(&sql, tail.data);
    lh_buf_puts(&sql, " FROM (SELECT CAST(to_json(");
    lh_catalog_key_text(&sql, pk, "_lh_d");
    lh_buf_puts(&sql, ") AS VARCHAR) AS k, CASE WHEN _lh_d._lh_op = 'delete' THEN '\"delete\"' WHEN _lh_d._lh_ins "
                "THEN '\"insert\"' ELSE '\"update\"' END AS op, [");
    for (size_t i = 0; i < nc; i++) {
        lh_buf o = LH_BUF_INIT, d = LH_BUF_INIT, f = LH_BUF_INIT;
        lh_buf_puts(&o, "_lh_o.");
        lh_sql_quote_ident(&o, cols[i].name);
        lh_buf_puts(&d, "_lh_d.");
        lh_sql_quote_ident(&d, cols[i].name);
        /* inserts: the fields they set; updates: what changed; deletes:
         * every field that had a value */
        lh_buf_printf(&sql, "%sCASE WHEN (CASE WHEN _lh_d._lh_op = 'delete' THEN %s IS NOT NULL WHEN _lh_d._lh_ins "
                      "THEN %s IS NOT NULL ELSE %s IS DISTINCT FROM %s END) THEN ", i ? ", " : "", o.data, d.data,
                      o.data, d.data);
        char *fs = json_quoted(cols[i].name);
        lh_buf_printf(&f, ",\"field\":%s,\"old_value\":", fs);
        free(fs);
        lh_sql_quote_literal(&sql, f.data);
        lh_buf_puts(&sql, " || coalesce(");
        value_text(&sql, &cols[i], "_lh_o");
        lh_buf_puts(&sql, ", 'null') || ',\"new_value\":' || CASE WHEN _lh_d._lh_op = 'delete' THEN 'null' ELSE "
                    "coalesce(");
        value_text(&sql, &cols[i], "_lh_d");
        lh_buf_puts(&sql, ", 'null') END END");
        lh_buf_free(&o);
        lh_buf_free(&d);
        lh_buf_free(&f);
    }
    lh_buf_printf(&sql, "] AS fs FROM %s_delta AS _lh_d LEFT JOIN %s_old AS _lh_o ON ", w->prefix, w->prefix);
    lh_catalog_key_join(&sql, pk, "_lh_d", "_lh_o");
    lh_buf_puts(&sql, ") AS _lh_e, UNNEST(_lh_e.fs) AS _lh_u(f) WHERE _lh_u.f IS NOT NULL");
    lh_columns_free(cols, nc);
    lh_buf_free(&head);
    lh_buf_free(&tail);
    lh_buf_free(&tmp);

    lh_engine_result *res = NULL;
    int rc = lh_engine_query(w->conn, sql.data, &res, err);
    lh_buf_free(&sql);
    while (!rc) {
        lh_chunk *ch = NULL;
        rc = lh_result_next(res, &ch, err);
        if (rc || !ch) break;
        for (size_t r = 0; r < lh_chunk_rows(ch); r++)
            if (lh_chunk_text(ch, 0, r, lines)) lh_buf_putc(lines, '\n');
        lh_chunk_free(ch);
    }
    lh_result_free(res);
    return rc;
}

static int64_t delta_bytes(const lh_dataset *ds)
{
    int64_t b = 0;
    json_t *files = json_object_get(ds->manifest, "files");
    for (size_t i = 0; i < lh_dataset_n_files(ds); i++)
        if (lh_dataset_file_is_delta(ds, i)) b += json_integer_value(json_object_get(json_array_get(files, i), "bytes"));
    return b;
}

int tab_write(lh_tables *t, const tab_write_req *w, json_t **result, lh_err *err)
{
    *result = NULL;
    lh_catalog *cat = t->cat;
    lh_dataset *cur = w->cur;
    int64_t seq = cur->version + 1;
    int64_t t0 = lh_mono_us(), t_stored = 0, t_committed = 0;
    int rc = build_delta(cat, w, seq, err);
    int64_t counts[2] = {0, 0};  /* delta rows, of which inserts */
    lh_buf sql = LH_BUF_INIT;
    if (!rc) {
        lh_buf_printf(&sql, "SELECT count(*)::VARCHAR || ' ' || count_if(_lh_ins)::VARCHAR FROM %s_delta", w->prefix);
        rc = tab_query_ints(w->conn, sql.data, counts, 2, err);
    }
    int64_t n_delta = counts[0], inserted = counts[1];
    const char *op_name = w->op == TAB_DELETE ? "delete" : "upsert";
    if (!rc && n_delta == 0) {
        /* a delete of keys that do not exist: nothing to commit */
        lh_buf_free(&sql);
        *result = json_pack("{s:s,s:I,s:s,s:I,s:i,s:i,s:i,s:I,s:I,s:I,s:n,s:i,s:b}", "dataset", cur->name, "version",
                            (json_int_t)cur->version, "op", op_name, "rows", (json_int_t)w->rows_in, "inserted", 0,
                            "updated", 0, "deleted", 0, "missing", (json_int_t)w->rows_in, "row_count",
                            (json_int_t)lh_dataset_row_count(cur), "deltas", (json_int_t)lh_dataset_n_deltas(cur),
                            "delta", "events", 0, "compacted", 0);
        return 0;
    }

    /* step 3: the delta object */
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf key = LH_BUF_INIT, path = LH_BUF_INIT;
    lh_buf_printf(&key, "%s%s/%s/%012" PRId64 "-%s.parquet", LH_DATASETS_PREFIX, cur->name, LH_DELTA_DIR, seq, id);
    lh_buf_printf(&path, "%s/delta-%s.parquet", lh_catalog_scratch_dir(cat), id);
    lh_column *cols;
    size_t nc = lh_dataset_columns(cur, &cols);
    lh_buf_reset(&sql);
    lh_buf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < nc; i++) {
        lh_sql_quote_ident(&sql, cols[i].name);
        lh_buf_puts(&sql, ", ");
    }
    lh_columns_free(cols, nc);
    lh_buf_printf(&sql, "_lh_seq, _lh_op FROM %s_delta", w->prefix);
    lh_objstore *store = lh_registry_bucket(lh_catalog_registry(cat), lh_dataset_bucket(cur), err);
    int stored = 0;
    if (!rc && !store) rc = LH_ENOTFOUND;
    if (!rc) rc = lh_parquet_write(w->conn, sql.data, path.data, NULL, err);
    struct stat st;
    int64_t bytes = !rc && stat(path.data, &st) == 0 ? (int64_t)st.st_size : 0;
    if (!rc) rc = lh_objstore_put_file(store, key.data, path.data, LH_PUT_CREATE_ONLY, NULL, err);
    unlink(path.data);
    stored = rc == 0;
    t_stored = lh_mono_us();
    const char *fault = getenv("LH_FAULT_TABLES_CRASH");
    if (stored && fault && !strcmp(fault, "after_delta")) {
        lh_warn("tables: LH_FAULT_TABLES_CRASH=after_delta: killing the process before the commit");
        raise(SIGKILL);
    }

    /* steps 4 and 5: the commit, then its journal batch (the commit event
     * and the field events together, made by build_events) */
    lh_dataset *committed = NULL;
    lh_commit_journal journal = {.fn = build_events, .ctx = (void *)w};
    int64_t row_count = lh_dataset_row_count(cur) + (w->op == TAB_DELETE ? -n_delta : inserted);
    if (!rc) {
        json_t *m = json_deep_copy(cur->manifest);
        json_t *files = json_object_get(m, "files");
        json_array_append_new(files, json_pack("{s:s,s:I,s:I,s:s,s:I,s:s}", "key", key.data, "rows",
                                               (json_int_t)n_delta, "bytes", (json_int_t)bytes, "kind", "delta",
                                               "seq", (json_int_t)seq, "op", op_name));
        json_object_set_new(m, "row_count", json_integer(row_count));
        int64_t now = lh_now_us();
        char ts[40];
        lh_time_format_us(now, ts, sizeof ts);
        json_object_set_new(m, "data_updated_at", json_string(ts));
        json_object_set_new(m, "data_updated_at_us", json_integer(now));
        json_object_set_new(m, "change", json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "kind", op_name, "actor",
                                                   w->who && w->who->actor ? w->who->actor : "anonymous", "source",
                                                   w->who && w->who->source ? w->who->source : "api", "rows",
                                                   (json_int_t)n_delta, "inserted", (json_int_t)inserted, "updated",
                                                   (json_int_t)(w->op == TAB_DELETE ? 0 : n_delta - inserted)));
        rc = lh_catalog_commit_journaled(cat, cur->name, cur->version, m, &journal, &committed, err);
    }
    t_committed = lh_mono_us();
    if (rc && stored) {
        lh_err derr;
        if (lh_objstore_delete(store, key.data, &derr))
            lh_warn("tables %s: could not remove uncommitted delta %s: %s", cur->name, key.data, derr.msg);
    }

    size_t n_events = journal.events;
    lh_debug("tables %s: %s of %" PRId64 " rows: delta built and stored %.1f ms, committed and %zu events "
             "journaled %.1f ms", cur->name, op_name, n_delta, (double)(t_stored - t0) / 1000.0, n_events,
             (double)(t_committed - t_stored) / 1000.0);
    /* then maybe compaction */
    if (!rc) {
        int64_t n_deltas = (int64_t)lh_dataset_n_deltas(committed);
        *result = json_pack("{s:s,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:s,s:I,s:I},s:I,s:b}", "dataset",
                            cur->name, "version", (json_int_t)committed->version, "op", op_name, "rows",
                            (json_int_t)w->rows_in, "inserted", (json_int_t)inserted, "updated",
                            (json_int_t)(w->op == TAB_DELETE ? 0 : n_delta - inserted), "deleted",
                            (json_int_t)(w->op == TAB_DELETE ? n_delta : 0), "missing",
                            (json_int_t)(w->op == TAB_DELETE ? w->rows_in - n_delta : 0), "row_count",
                            (json_int_t)lh_dataset_row_count(committed), "deltas", (json_int_t)n_deltas, "delta",
                            "key", key.data, "rows", (json_int_t)n_delta, "bytes", (json_int_t)bytes, "events",
                            (json_int_t)n_events, "compacted", 0);
        if ((t->auto_deltas > 0 && n_deltas >= t->auto_deltas) ||
            (t->auto_bytes > 0 && delta_bytes(committed) >= t->auto_bytes)) {
            json_t *cres = NULL;
            lh_err cerr;
            lh_tables_actor sys = {.actor = "system", .source = "auto_compaction"};
            if (tab_compact_claimed(t, cur->name, &sys, &cres, &cerr)) {
                lh_warn("tables %s: automatic compaction failed: %s", cur->name, cerr.msg);
                json_object_set_new(*result, "compaction_error", json_string(cerr.msg));
            } else {
                json_object_set_new(*result, "compacted", json_true());
                json_object_set_new(*result, "compaction", cres);
            }
        }
        lh_dataset_unref(committed);
    }
    lh_buf_free(&sql);
    lh_buf_free(&key);
    lh_buf_free(&path);
    return rc;
}

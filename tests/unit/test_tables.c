/* Unit tests: tables/ — merge-on-read against an in-memory model (the
 * property test), conflicts, bad input, compaction and vacuum.
 *
 * The property test runs random interleavings of upserts (partial rows,
 * keys repeated within a request, new and existing keys, NULLs), deletes
 * by key (present and absent keys), deletes by predicate and compactions
 * (explicit, and automatic every few deltas) against a plain array model,
 * and compares the dataset's merged rows and row count with the model
 * after every few operations. LH_PROPTEST_SEED fixes the seed and
 * LH_PROPTEST_OPS the number of writes; a failure prints the seed.
 */
#include "testing.h"
#include "catalog/catalog.h"
#include "core/config.h"
#include "core/clock.h"
#include "tables/tables.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* On tmpfs when there is one: the test makes hundreds of commits, each a
 * few fsync'ed objects, and the disk's fsync latency would dominate. */
static char tmpdir[64];
static lh_config *cfg;
static lh_registry *reg;
static lh_engine *eng;
static lh_catalog *cat;

#define NKEYS 100

typedef struct rec {
    int     present;
    int     a_null, b_null;
    char    a[16];
    int64_t b;
} rec;

static rec model[NKEYS];
static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static int rnd_n(int n) { return (int)(rnd() % (uint64_t)n); }

static lh_tables *open_tables(int64_t auto_deltas)
{
    lh_tables_opts o = {.cat = cat, .auto_compact_deltas = auto_deltas, .retention_hours = 168, .threads = 1};
    lh_tables *t = NULL;
    lh_err e;
    if (lh_tables_open(&o, &t, &e)) fprintf(stderr, "tables open: %s\n", e.msg);
    return t;
}

/* Create dataset `name` (id BIGINT key, a VARCHAR, b BIGINT) with keys
 * 0..n-1 (even n only... every key: a = "s<id>", b = id). */
static void create_dataset(const char *name, int n, int with_pk)
{
    lh_engine_conn *c;
    lh_err e;
    char path[700], sql[300], key[200];
    snprintf(path, sizeof path, "%s/scratch/base.parquet", tmpdir);
    snprintf(sql, sizeof sql, "SELECT range::BIGINT AS id, 's' || range AS a, range::BIGINT AS b FROM range(%d)", n);
    snprintf(key, sizeof key, "datasets/%s/data/000000000001-base.parquet", name);
    CHECK_INT(lh_engine_connect(eng, &c, &e), 0);
    CHECK_INT(lh_parquet_write(c, sql, path, NULL, &e), 0);
    lh_engine_conn_free(c);
    CHECK_INT(lh_objstore_put_file(lh_registry_primary(reg), key, path, 0, NULL, &e), 0);
    unlink(path);
    json_t *m = json_pack("{s:[{s:s,s:i,s:i}],s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "files", "key", key, "rows", n,
                          "bytes", 0, "columns", "name", "id", "type", "BIGINT", "name", "a", "type", "VARCHAR",
                          "name", "b", "type", "BIGINT");
    if (with_pk) json_object_set_new(m, "primary_key", json_pack("[s]", "id"));
    CHECK_INT(lh_catalog_commit(cat, name, 0, m, NULL, &e), 0);
}

/* The dataset's merged rows as "id|a|b;" text, ordered by id. */
static void actual_rows(const char *name, lh_buf *out, int64_t *row_count)
{
    lh_err e;
    lh_dataset *ds = lh_catalog_get(cat, name, &e);
    if (!ds) { CHECK(0); return; }
    *row_count = lh_dataset_row_count(ds);
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT coalesce(string_agg(id || '|' || coalesce(a, '~') || '|' || coalesce(b::VARCHAR, '~'), "
                "';' ORDER BY id), '') FROM (");
    CHECK_INT(lh_catalog_dataset_sql(cat, ds, &sql, &e), 0);
    lh_buf_puts(&sql, ")");
    lh_engine_conn *c;
    lh_engine_connect(eng, &c, &e);
    int rc = lh_engine_query_text(c, sql.data, out, &e);
    if (rc) fprintf(stderr, "merged query: %s\n", e.msg);
    CHECK_INT(rc, 0);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    lh_dataset_unref(ds);
}

static void model_rows(lh_buf *out, int64_t *count)
{
    *count = 0;
    for (int k = 0; k < NKEYS; k++) {
        if (!model[k].present) continue;
        if (*count) lh_buf_putc(out, ';');
        lh_buf_printf(out, "%d|%s|", k, model[k].a_null ? "~" : model[k].a);
        if (model[k].b_null) lh_buf_puts(out, "~");
        else lh_buf_printf(out, "%" PRId64, model[k].b);
        (*count)++;
    }
}

static int compare(const char *name, uint64_t seed, int op)
{
    lh_buf a = LH_BUF_INIT, m = LH_BUF_INIT;
    int64_t rc_actual = -1, rc_model = 0;
    actual_rows(name, &a, &rc_actual);
    model_rows(&m, &rc_model);
    int ok = !strcmp(a.data ? a.data : "", m.data ? m.data : "") && rc_actual == rc_model;
    if (!ok)
        fprintf(stderr, "property test diverged after write %d (seed %" PRIu64 ", rerun with LH_PROPTEST_SEED=%" PRIu64
                ")\n  actual (%" PRId64 " rows): %.2000s\n  model  (%" PRId64 " rows): %.2000s\n", op, seed, seed,
                rc_actual, a.data ? a.data : "", rc_model, m.data ? m.data : "");
    lh_buf_free(&a);
    lh_buf_free(&m);
    return ok;
}

static void op_upsert(lh_tables *t, const char *name, int *row_ops)
{
    int n = 1 + rnd_n(20);
    json_t *rows = json_array();
    int keys[20], set_a[20], set_b[20], a_null[20], b_null[20];
    char av[20][16];
    int64_t bv[20];
    for (int i = 0; i < n; i++) {
        keys[i] = rnd_n(NKEYS);
        if (i && rnd_n(4) == 0) keys[i] = keys[rnd_n(i)];  /* a key repeated within the request */
        json_t *row = json_pack("{s:i}", "id", keys[i]);
        set_a[i] = rnd_n(3) != 0;
        set_b[i] = rnd_n(3) != 0;
        a_null[i] = rnd_n(8) == 0;
        b_null[i] = rnd_n(8) == 0;
        snprintf(av[i], sizeof av[i], "v%d", rnd_n(1000));
        bv[i] = rnd_n(200) - 50;
        if (set_a[i]) json_object_set_new(row, "a", a_null[i] ? json_null() : json_string(av[i]));
        if (set_b[i]) json_object_set_new(row, "b", b_null[i] ? json_null() : json_integer(bv[i]));
        json_array_append_new(rows, row);
    }
    json_t *res = NULL;
    lh_err e;
    lh_tables_actor who = {.actor = "proptest"};
    int rc = lh_tables_upsert_json(t, name, rows, &who, &res, &e);
    if (rc) fprintf(stderr, "upsert: %s\n", e.msg);
    CHECK_INT(rc, 0);
    json_decref(res);
    json_decref(rows);
    /* the model: the last row of each key wins, then applies to the record */
    for (int i = 0; i < n; i++) {
        int last = 1;
        for (int j = i + 1; j < n; j++) last &= keys[j] != keys[i];
        if (!last) continue;
        rec *r = &model[keys[i]];
        if (!r->present) { memset(r, 0, sizeof *r); r->present = 1; r->a_null = r->b_null = 1; }
        if (set_a[i]) { r->a_null = a_null[i]; snprintf(r->a, sizeof r->a, "%s", av[i]); }
        if (set_b[i]) { r->b_null = b_null[i]; r->b = bv[i]; }
        (*row_ops)++;
    }
}

static void op_delete_keys(lh_tables *t, const char *name, int *row_ops)
{
    int n = 1 + rnd_n(8);
    json_t *keys = json_array();
    for (int i = 0; i < n; i++) {
        int k = rnd_n(NKEYS);
        json_array_append_new(keys, rnd_n(2) ? json_integer(k) : json_pack("{s:i}", "id", k));
        model[k].present = 0;
        (*row_ops)++;
    }
    json_t *res = NULL;
    lh_err e;
    int rc = lh_tables_delete_keys(t, name, keys, NULL, &res, &e);
    if (rc) fprintf(stderr, "delete: %s\n", e.msg);
    CHECK_INT(rc, 0);
    json_decref(res);
    json_decref(keys);
}

static void op_delete_where(lh_tables *t, const char *name, int *row_ops)
{
    char pred[100];
    int kind = rnd_n(3), x = kind == 0 ? 100 + rnd_n(60) : kind == 1 ? rnd_n(1000) : rnd_n(13);
    if (kind == 0) snprintf(pred, sizeof pred, "b > %d", x);  /* b is -50..149 after upserts */
    else if (kind == 1) snprintf(pred, sizeof pred, "a = 'v%d' OR a IS NULL AND id = %d", x, x % NKEYS);
    else snprintf(pred, sizeof pred, "id %% 13 = %d -- a comment", x);
    for (int k = 0; k < NKEYS; k++) {
        rec *r = &model[k];
        if (!r->present) continue;
        char av[16];
        snprintf(av, sizeof av, "v%d", x);
        int hit = kind == 0 ? (!r->b_null && r->b > x)
                : kind == 1 ? ((!r->a_null && !strcmp(r->a, av)) || (r->a_null && k == x % NKEYS))
                : k % 13 == x;
        if (hit) { r->present = 0; (*row_ops)++; }
    }
    json_t *res = NULL;
    lh_err e;
    int rc = lh_tables_delete_where(t, name, pred, NULL, &res, &e);
    if (rc) fprintf(stderr, "delete where %s: %s\n", pred, e.msg);
    CHECK_INT(rc, 0);
    json_decref(res);
}

static void test_property_merge_on_read(void)
{
    const char *s = getenv("LH_PROPTEST_SEED"), *o = getenv("LH_PROPTEST_OPS");
    uint64_t seed = s ? strtoull(s, NULL, 10) : ((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16));
    if (!seed) seed = 1;
    rng_state = seed;
    int ops = o ? atoi(o) : 150;
    printf("property test: seed %" PRIu64 ", %d writes\n", seed, ops);
    lh_tables *t = open_tables(7);  /* automatic compaction every 7 deltas */
    if (!t) { CHECK(0); return; }
    create_dataset("prop", 40, 1);
    for (int k = 0; k < NKEYS; k++) {
        memset(&model[k], 0, sizeof model[k]);
        if (k < 40) { model[k].present = 1; snprintf(model[k].a, sizeof model[k].a, "s%d", k); model[k].b = k; }
    }
    int row_ops = 0, failed = 0;
    int64_t t0 = lh_mono_us();
    for (int op = 1; op <= ops && !failed; op++) {
        int r = rnd_n(20);
        if (r < 11) op_upsert(t, "prop", &row_ops);
        else if (r < 16) op_delete_keys(t, "prop", &row_ops);
        else if (r < 19) op_delete_where(t, "prop", &row_ops);
        else {
            json_t *res = NULL;
            lh_err e;
            CHECK_INT(lh_tables_compact(t, "prop", NULL, &res, &e), 0);
            json_decref(res);
        }
        if (op % 3 == 0 || op == ops) failed = !compare("prop", seed, op);
    }
    CHECK_MSG(!failed, "seed %" PRIu64, seed);
    printf("property test: %d row-level operations in %d writes, %.1f s\n", row_ops, ops,
           (double)(lh_mono_us() - t0) / 1e6);
    lh_tables_free(t);
}

static void test_bad_input_and_conflicts(void)
{
    lh_tables *t = open_tables(0);
    if (!t) { CHECK(0); return; }
    create_dataset("nokey", 3, 0);
    create_dataset("bad", 3, 1);
    lh_err e;
    json_t *res = NULL;
    json_t *rows = json_pack("[{s:i,s:s}]", "id", 1, "a", "x");
    CHECK_INT(lh_tables_upsert_json(t, "nokey", rows, NULL, &res, &e), LH_EINVAL);
    CHECK_STR(e.code, "no_primary_key");
    CHECK_INT(lh_tables_upsert_json(t, "missing", rows, NULL, &res, &e), LH_ENOTFOUND);
    CHECK_STR(e.code, "dataset_not_found");
    json_decref(rows);

    struct { const char *json, *code; } cases[] = {
        {"[]", "invalid_rows"},
        {"[1]", "invalid_rows"},
        {"[{\"id\": 1, \"zzz\": 2}]", "unknown_column"},
        {"[{\"id\": 1, \"b\": \"seven\"}]", "type_mismatch"},
        {"[{\"id\": 1, \"b\": 1.5}]", "type_mismatch"},
        {"[{\"id\": 1, \"a\": 5}]", "type_mismatch"},
        {"[{\"a\": \"no key\"}]", "missing_key"},
        {"[{\"id\": null, \"a\": \"x\"}]", "missing_key"},
        {"[{\"id\": 99999999999999999999}]", "invalid_json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        if (!r) { CHECK_STR("invalid_json", cases[i].code); continue; }
        int rc = lh_tables_upsert_json(t, "bad", r, NULL, &res, &e);
        CHECK_MSG(rc == LH_EINVAL && !strcmp(e.code, cases[i].code), "%s: rc %d code %s", cases[i].json, rc, e.code);
        json_decref(r);
    }
    /* the message names the column */
    json_t *r = json_pack("[{s:i,s:s}]", "id", 1, "b", "seven");
    lh_tables_upsert_json(t, "bad", r, NULL, &res, &e);
    CHECK(strstr(e.msg, "\"b\"") != NULL);
    json_decref(r);

    struct { const char *pred, *code; } preds[] = {
        {"", "invalid_predicate"},
        {"nosuchcolumn = 1", "invalid_predicate"},
        {"1=1; DROP TABLE x", "invalid_predicate"},
        {"true) UNION SELECT '1' FROM (SELECT 1", "invalid_predicate"},
        {"id IN (SELECT 1 FROM read_csv('/etc/passwd'))", "invalid_predicate"},
        {"DELETE FROM x", "invalid_predicate"},
        {"'not a boolean'", "invalid_predicate"},
    };
    for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++) {
        int rc = lh_tables_delete_where(t, "bad", preds[i].pred, NULL, &res, &e);
        CHECK_MSG(rc == LH_EINVAL && !strcmp(e.code, preds[i].code), "%s: rc %d code %s (%s)", preds[i].pred, rc,
                  e.code, e.msg);
    }
    json_t *keys = json_loads("[[1,2]]", 0, NULL);
    CHECK_INT(lh_tables_delete_keys(t, "bad", keys, NULL, &res, &e), LH_EINVAL);
    CHECK_STR(e.code, "invalid_keys");
    json_decref(keys);
    keys = json_loads("[\"abc\"]", 0, NULL);
    CHECK_INT(lh_tables_delete_keys(t, "bad", keys, NULL, &res, &e), LH_EINVAL);
    CHECK_STR(e.code, "type_mismatch");
    json_decref(keys);

    /* nothing above committed anything */
    lh_dataset *ds = lh_catalog_get(cat, "bad", &e);
    CHECK_INT(ds->version, 1);
    lh_dataset_unref(ds);

    /* another process commits first: 409 and the delta object is removed */
    CHECK_INT(lh_objstore_put(lh_registry_primary(reg), "_catalog/bad/v000000000002.parquet", "x", 1, 0, NULL, &e), 0);
    rows = json_pack("[{s:i,s:s}]", "id", 1, "a", "lost?");
    CHECK_INT(lh_tables_upsert_json(t, "bad", rows, NULL, &res, &e), LH_ECONFLICT);
    CHECK_STR(e.code, "concurrent_commit");
    json_decref(rows);
    json_t *orph;
    CHECK_INT(lh_catalog_orphans(cat, &orph, &e), 0);
    CHECK_INT(json_integer_value(json_object_get(orph, "count")), 0);
    json_decref(orph);
    lh_tables_free(t);
}

static void test_compact_vacuum_time_travel(void)
{
    lh_tables *t = open_tables(0);
    if (!t) { CHECK(0); return; }
    create_dataset("tt", 10, 1);
    lh_err e;
    json_t *res = NULL;
    json_t *rows = json_pack("[{s:i,s:s},{s:i,s:s}]", "id", 1, "a", "one", "id", 100, "a", "new");
    CHECK_INT(lh_tables_upsert_json(t, "tt", rows, NULL, &res, &e), 0);
    CHECK_INT(json_integer_value(json_object_get(res, "inserted")), 1);
    CHECK_INT(json_integer_value(json_object_get(res, "updated")), 1);
    CHECK_INT(json_integer_value(json_object_get(res, "row_count")), 11);
    json_decref(res);
    json_decref(rows);
    int64_t between = lh_now_us();
    usleep(2000);
    json_t *keys = json_loads("[1, 2, 5000]", 0, NULL);
    CHECK_INT(lh_tables_delete_keys(t, "tt", keys, NULL, &res, &e), 0);
    CHECK_INT(json_integer_value(json_object_get(res, "deleted")), 2);
    CHECK_INT(json_integer_value(json_object_get(res, "missing")), 1);
    json_decref(res);
    json_decref(keys);
    CHECK_INT(lh_tables_compact(t, "tt", NULL, &res, &e), 0);
    CHECK(json_is_true(json_object_get(res, "compacted")));
    CHECK_INT(json_integer_value(json_object_get(res, "rows")), 9);
    CHECK_INT(json_integer_value(json_object_get(res, "deltas_merged")), 2);
    json_decref(res);
    lh_dataset *ds = lh_catalog_get(cat, "tt", &e);
    CHECK_INT(ds->version, 4);
    CHECK_INT(lh_dataset_n_files(ds), 1);
    CHECK_INT(lh_dataset_n_deltas(ds), 0);
    CHECK_INT(lh_dataset_row_count(ds), 9);
    lh_dataset_unref(ds);
    /* compacting again: nothing to do */
    CHECK_INT(lh_tables_compact(t, "tt", NULL, &res, &e), 0);
    CHECK(json_is_false(json_object_get(res, "compacted")));
    json_decref(res);

    /* the record as it was between the upsert and the delete */
    CHECK_INT(lh_tables_record(t, "tt", "1", between, &res, &e), 0);
    CHECK(json_is_true(json_object_get(res, "exists")));
    CHECK_STR(json_string_value(json_object_get(json_object_get(res, "record"), "a")), "one");
    CHECK_INT(json_integer_value(json_object_get(res, "version")), 2);
    json_decref(res);
    CHECK_INT(lh_tables_record(t, "tt", "1", 0, &res, &e), 0);
    CHECK(json_is_false(json_object_get(res, "exists")));
    json_t *hist = json_object_get(res, "history");
    CHECK(json_array_size(hist) >= 2);  /* the update of a, then the deletes */
    json_decref(res);
    lh_dataset *old;
    CHECK_INT(lh_catalog_version_at(cat, "tt", between, &old, &e), 0);
    CHECK_INT(old->version, 2);
    lh_dataset_unref(old);
    CHECK_INT(lh_catalog_version_at(cat, "tt", 1000, &old, &e), LH_ENOTFOUND);

    /* vacuum: the default retention keeps everything; 0 removes what only old versions use */
    CHECK_INT(lh_tables_vacuum(t, "tt", -1, &res, &e), 0);
    CHECK_INT(json_integer_value(json_object_get(res, "deleted_count")), 0);
    json_decref(res);
    uint64_t reads = lh_catalog_manifest_reads(cat);
    CHECK_INT(lh_tables_vacuum(t, "tt", 0, &res, &e), 0);
    CHECK_INT(lh_catalog_manifest_reads(cat) - reads, 4);  /* each of the 4 versions read once */
    CHECK_INT(json_integer_value(json_object_get(res, "deleted_count")), 3);  /* base + 2 deltas */
    CHECK_INT(json_integer_value(json_object_get(res, "kept")), 1);
    json_decref(res);
    lh_buf b = LH_BUF_INIT;
    int64_t n;
    actual_rows("tt", &b, &n);
    CHECK_INT(n, 9);
    lh_buf_free(&b);
    lh_tables_free(t);
}

/* Objects under _journal/events/ now. */
static size_t journal_batches(void)
{
    lh_list_opts o = {.prefix = LH_JOURNAL_PREFIX};
    lh_list l;
    lh_err e;
    if (lh_objstore_list(lh_registry_primary(reg), &o, &l, &e)) { CHECK(0); return 0; }
    size_t n = l.n_objects;
    CHECK(l.next_cursor == NULL);
    lh_list_free(&l);
    return n;
}

/* The field event of `key`/`field` among ev (NULL when absent). */
static json_t *field_event(json_t *ev, const char *key, const char *field)
{
    size_t i;
    json_t *x;
    json_array_foreach(ev, i, x)
        if (!strcmp(json_string_value(json_object_get(x, "type")) ?: "", "field_changed") &&
            !strcmp(json_string_value(json_object_get(x, "key")) ?: "", key) &&
            !strcmp(json_string_value(json_object_get(x, "field")) ?: "", field))
            return x;
    return NULL;
}

/* What a write journals: one batch object holding the version's commit
 * event and its field events (old and new values as JSON, after the
 * commit, with the committed version), and nothing for unchanged fields. */
static void test_journal_events_of_a_write(void)
{
    lh_tables *t = open_tables(0);
    if (!t) { CHECK(0); return; }
    create_dataset("jv", 3, 1);
    lh_err e;
    json_t *res = NULL, *ev = NULL;
    size_t batches = journal_batches();
    /* update a of key 1 (b untouched, to a different value than it had), insert key 7 without a */
    json_t *rows = json_loads("[{\"id\": 1, \"a\": \"x\\\"y\\nz\\u00e9\", \"b\": 1}, {\"id\": 7, \"b\": 5}]", 0, NULL);
    lh_tables_actor who = {.actor = "ann", .source = "test", .workspace_id = "ws1"};
    CHECK_INT(lh_tables_upsert_json(t, "jv", rows, &who, &res, &e), 0);
    json_decref(rows);
    CHECK_INT(json_integer_value(json_object_get(res, "events")), 3);
    json_decref(res);
    CHECK_INT(journal_batches(), batches + 1);
    lh_dataset *ds = lh_catalog_get(cat, "jv", &e);
    int64_t committed_us = json_integer_value(json_object_get(ds->manifest, "committed_at_us"));
    CHECK_INT(ds->version, 2);
    lh_dataset_unref(ds);

    lh_journal_filter f = {.dataset = "jv", .limit = 1000};
    CHECK_INT(lh_tables_journal_events(t, &f, &res, &e), 0);
    ev = json_object_get(res, "events");
    CHECK_INT(json_array_size(ev), 5);  /* create commit, upsert commit, 3 field events */
    json_t *c = json_array_get(ev, 1);
    CHECK_STR(json_string_value(json_object_get(c, "type")), "dataset_committed");
    CHECK_INT(json_integer_value(json_object_get(c, "version")), 2);
    json_t *x = field_event(ev, "1", "a");
    CHECK(x != NULL);
    if (x) {
        CHECK_STR(json_string_value(json_object_get(x, "op")), "update");
        CHECK_STR(json_string_value(json_object_get(x, "old_value")), "s1");
        CHECK_STR(json_string_value(json_object_get(x, "new_value")), "x\"y\nz\xc3\xa9");
        CHECK_STR(json_string_value(json_object_get(x, "actor")), "ann");
        CHECK_STR(json_string_value(json_object_get(x, "source")), "test");
        CHECK_STR(json_string_value(json_object_get(x, "workspace_id")), "ws1");
        CHECK_STR(json_string_value(json_object_get(x, "dataset")), "jv");
        CHECK_INT(json_integer_value(json_object_get(x, "version")), 2);
        CHECK(json_integer_value(json_object_get(x, "ts_us")) >= committed_us);
        CHECK(json_is_string(json_object_get(x, "ts")));
    }
    CHECK(field_event(ev, "1", "b") == NULL);  /* set to the value it had: no event */
    CHECK(field_event(ev, "7", "a") == NULL);  /* an insert journals only what it sets */
    x = field_event(ev, "7", "b");
    CHECK(x && json_is_null(json_object_get(x, "old_value")));
    CHECK(x && json_integer_value(json_object_get(x, "new_value")) == 5 && json_is_integer(json_object_get(x, "new_value")));
    CHECK(x && !strcmp(json_string_value(json_object_get(x, "op")) ?: "", "insert"));
    x = field_event(ev, "7", "id");
    CHECK(x && json_integer_value(json_object_get(x, "new_value")) == 7);
    json_decref(res);

    /* a delete journals every field that had a value, new value null */
    json_t *keys = json_loads("[2]", 0, NULL);
    CHECK_INT(lh_tables_delete_keys(t, "jv", keys, NULL, &res, &e), 0);
    json_decref(keys);
    CHECK_INT(json_integer_value(json_object_get(res, "events")), 3);
    json_decref(res);
    CHECK_INT(journal_batches(), batches + 2);
    f.key = "2";
    CHECK_INT(lh_tables_journal_events(t, &f, &res, &e), 0);
    ev = json_object_get(res, "events");
    CHECK_INT(json_array_size(ev), 3);
    x = field_event(ev, "2", "b");
    CHECK(x && json_integer_value(json_object_get(x, "old_value")) == 2 && json_is_null(json_object_get(x, "new_value")));
    CHECK(x && !strcmp(json_string_value(json_object_get(x, "op")) ?: "", "delete"));
    CHECK(x && !strcmp(json_string_value(json_object_get(x, "actor")) ?: "", "anonymous"));
    CHECK(x && json_is_null(json_object_get(x, "workspace_id")));
    x = field_event(ev, "2", "a");
    CHECK(x && !strcmp(json_string_value(json_object_get(x, "old_value")) ?: "", "s2"));
    json_decref(res);
    /* a delete of a key that does not exist commits nothing and journals nothing */
    keys = json_loads("[12345]", 0, NULL);
    CHECK_INT(lh_tables_delete_keys(t, "jv", keys, NULL, &res, &e), 0);
    json_decref(keys);
    json_decref(res);
    CHECK_INT(journal_batches(), batches + 2);
    lh_tables_free(t);
}

/* Values that DuckDB's JSON writer cannot write as JSON (NaN, infinities,
 * also inside a list) still make valid events: as strings, spelled as the
 * engine's JSON encoder spells them. A line that was not JSON would be
 * skipped by readers, so the count shows it. A string list whose text only
 * looks like one (['a,NaN]']) stays a list. */
static void test_journal_odd_values(void)
{
    lh_tables *t = open_tables(0);
    if (!t) { CHECK(0); return; }
    lh_engine_conn *c;
    lh_err e;
    char path[700], key[200];
    snprintf(path, sizeof path, "%s/scratch/odd.parquet", tmpdir);
    snprintf(key, sizeof key, "datasets/odd/data/000000000001-base.parquet");
    CHECK_INT(lh_engine_connect(eng, &c, &e), 0);
    CHECK_INT(lh_parquet_write(c, "SELECT 1::BIGINT AS id, 1.5::DOUBLE AS x, [1.5]::DOUBLE[] AS l, true AS f, "
                               "['b']::VARCHAR[] AS s", path,
                               NULL, &e), 0);
    CHECK_INT(lh_objstore_put_file(lh_registry_primary(reg), key, path, 0, NULL, &e), 0);
    json_t *m = json_pack("{s:[{s:s,s:i,s:i}],s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:[s]}", "files",
                          "key", key, "rows", 1, "bytes", 0, "columns", "name", "id", "type", "BIGINT", "name", "x",
                          "type", "DOUBLE", "name", "l", "type", "DOUBLE[]", "name", "f", "type", "BOOLEAN", "name", "s",
                          "type", "VARCHAR[]", "primary_key", "id");
    CHECK_INT(lh_catalog_commit(cat, "odd", 0, m, NULL, &e), 0);
    CHECK_INT(lh_parquet_write(c, "SELECT 1::BIGINT AS id, 'nan'::DOUBLE AS x, [2.5, '-inf'::DOUBLE]::DOUBLE[] AS l, "
                               "false AS f, ['a,NaN]']::VARCHAR[] AS s", path, NULL, &e), 0);
    lh_engine_conn_free(c);
    json_t *res = NULL;
    CHECK_INT(lh_tables_upsert_parquet(t, "odd", path, NULL, &res, &e), 0);
    CHECK_INT(json_integer_value(json_object_get(res, "events")), 4);
    json_decref(res);
    unlink(path);
    lh_journal_filter f = {.dataset = "odd", .limit = 100};
    CHECK_INT(lh_tables_journal_events(t, &f, &res, &e), 0);
    json_t *ev = json_object_get(res, "events");
    CHECK_INT(json_array_size(ev), 6);  /* 2 commits + 4 field events */
    json_t *x = field_event(ev, "1", "x");
    CHECK(x && json_real_value(json_object_get(x, "old_value")) == 1.5);
    CHECK(x && json_is_string(json_object_get(x, "new_value")) &&
          !strcmp(json_string_value(json_object_get(x, "new_value")), "NaN"));
    x = field_event(ev, "1", "l");
    CHECK(x && json_is_array(json_object_get(x, "old_value")));
    CHECK(x && json_is_string(json_object_get(x, "new_value")) &&
          strstr(json_string_value(json_object_get(x, "new_value")), "2.5") != NULL &&
          strstr(json_string_value(json_object_get(x, "new_value")), "-Infinity") != NULL);
    x = field_event(ev, "1", "s");
    json_t *sv = x ? json_object_get(x, "new_value") : NULL;
    CHECK(json_is_array(sv) && json_array_size(sv) == 1 && !strcmp(json_string_value(json_array_get(sv, 0)), "a,NaN]"));
    x = field_event(ev, "1", "f");
    CHECK(x && json_is_true(json_object_get(x, "old_value")) && json_is_false(json_object_get(x, "new_value")));
    json_decref(res);
    lh_tables_free(t);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/lh-test-tables-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(tmpdir)) return 1;
    if (chdir(tmpdir)) return 1;
    lh_err e;
    if (lh_config_load(NULL, &cfg, &e)) return 1;
    char root[600], scratch[600];
    snprintf(root, sizeof root, "%s/data", tmpdir);
    snprintf(scratch, sizeof scratch, "%s/scratch", tmpdir);
    lh_config_set(cfg, "buckets.primary.root", root, LH_SRC_FLAG, &e);
    lh_engine_opts eo = {.threads = 1};
    if (lh_registry_open(cfg, &reg, &e) || lh_engine_open(&eo, &eng, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return 1;
    }
    lh_catalog_opts co = {.reg = reg, .engine = eng, .scratch_dir = scratch};
    if (lh_catalog_open(&co, &cat, &e)) { fprintf(stderr, "catalog: %s\n", e.msg); return 1; }
    RUN(test_property_merge_on_read);
    RUN(test_bad_input_and_conflicts);
    RUN(test_compact_vacuum_time_travel);
    RUN(test_journal_events_of_a_write);
    RUN(test_journal_odd_values);
    lh_catalog_free(cat);
    lh_engine_free(eng);
    lh_registry_free(reg);
    lh_config_free(cfg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}

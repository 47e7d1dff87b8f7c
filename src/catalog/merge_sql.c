/* catalog/merge_sql.c — the SQL that reads a dataset: plain or merge-on-read.
 *
 * ADR-009 keeps updates out of the base files: an upsert or delete writes a
 * small delta Parquet file (the dataset's columns plus _lh_seq, the
 * manifest version that wrote it, and _lh_op, 'upsert' or 'delete') and the
 * manifest lists it beside the base files. Reading merges them:
 *
 *   latest = the newest delta row of every key (row_number over _lh_seq)
 *   rows   = base rows whose key has no delta row      (anti-join)
 *          ∪ latest rows that are upserts              (deletes drop out)
 *
 * This is correct for any interleaving because a delta row carries the
 * whole record (an upsert of some columns is completed from the current
 * state when it is written), so the newest one alone decides a key.
 * Compaction writes exactly this SELECT into new base files. A write
 * reads the current rows of only the keys it touches
 * (lh_catalog_dataset_sql_keys): the same SELECT with every file
 * semi-joined to those keys first, so the window sorts only their delta
 * rows instead of every delta row of the dataset. Key SQL (as text, as a
 * join) is built here for every module, so a key reads the same
 * everywhere.
 *
 * The key check (no NULL, no duplicate) guards the invariant the anti-join
 * relies on: base files never hold a key twice.
 */
#include "catalog/catalog_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int files_list(lh_catalog *cat, const lh_dataset *ds, int deltas, lh_buf *sql, size_t *count, lh_err *err)
{
    *count = 0;
    lh_buf_puts(sql, "[");
    for (size_t i = 0; i < lh_dataset_n_files(ds); i++) {
        if (lh_dataset_file_is_delta(ds, i) != deltas) continue;
        lh_buf path = LH_BUF_INIT;
        int rc = lh_catalog_file_path(cat, ds, i, &path, err);
        if (rc) { lh_buf_free(&path); return rc; }
        if (*count) lh_buf_puts(sql, ", ");
        lh_sql_quote_literal(sql, path.data);
        lh_buf_free(&path);
        (*count)++;
    }
    lh_buf_puts(sql, "]");
    return 0;
}

static void column_list(lh_buf *sql, const lh_column *cols, size_t n, const char *qual)
{
    for (size_t i = 0; i < n; i++) {
        if (i) lh_buf_puts(sql, ", ");
        if (qual) lh_buf_printf(sql, "%s.", qual);
        lh_sql_quote_ident(sql, cols[i].name);
    }
}

/* `q.` or nothing */
static void qualify(lh_buf *sql, const char *q)
{
    if (q) lh_buf_printf(sql, "%s.", q);
}

void lh_catalog_key_text(lh_buf *sql, const json_t *pk, const char *q)
{
    size_t i;
    json_t *k;
    if (json_array_size(pk) == 1) {
        lh_buf_puts(sql, "CAST(");
        qualify(sql, q);
        lh_sql_quote_ident(sql, json_string_value(json_array_get(pk, 0)));
        lh_buf_puts(sql, " AS VARCHAR)");
        return;
    }
    lh_buf_puts(sql, "CAST(to_json([");
    json_array_foreach(pk, i, k) {
        lh_buf_puts(sql, i ? ", CAST(" : "CAST(");
        qualify(sql, q);
        lh_sql_quote_ident(sql, json_string_value(k));
        lh_buf_puts(sql, " AS VARCHAR)");
    }
    lh_buf_puts(sql, "]) AS VARCHAR)");
}

void lh_catalog_key_join(lh_buf *sql, const json_t *pk, const char *a, const char *b)
{
    size_t i;
    json_t *k;
    json_array_foreach(pk, i, k) {
        lh_buf_printf(sql, "%s%s.", i ? " AND " : "", a);
        lh_sql_quote_ident(sql, json_string_value(k));
        lh_buf_printf(sql, " = %s.", b);
        lh_sql_quote_ident(sql, json_string_value(k));
    }
}

/* `SEMI JOIN keys AS _lh_k ON q.k = _lh_k.k ...` when keys is given. */
static void keys_filter(lh_buf *sql, const json_t *pk, const char *keys, const char *q)
{
    if (!keys) return;
    lh_buf_printf(sql, " SEMI JOIN %s AS _lh_k ON ", keys);
    lh_catalog_key_join(sql, pk, q, "_lh_k");
}

/* The dataset's rows; with `keys`, only those whose key is in that
 * relation, the filter applied to every file before the merge's window
 * (which otherwise sorts every delta row). */
static int dataset_sql(lh_catalog *cat, const lh_dataset *ds, const char *keys, lh_buf *sql, lh_err *err)
{
    lh_column *cols;
    size_t nc = lh_dataset_columns(ds, &cols);
    size_t n_files = lh_dataset_n_files(ds), n_deltas = lh_dataset_n_deltas(ds);
    json_t *pk = lh_dataset_primary_key(ds);
    int rc = 0;
    if (n_files == 0) {
        /* no files: an empty relation with the dataset's columns */
        lh_buf_puts(sql, "SELECT ");
        for (size_t i = 0; i < nc; i++) {
            lh_buf_printf(sql, "%sNULL::%s AS ", i ? ", " : "", cols[i].type);
            lh_sql_quote_ident(sql, cols[i].name);
        }
        if (nc == 0) lh_buf_puts(sql, "NULL AS empty");
        lh_buf_puts(sql, " WHERE false");
    } else if (n_deltas == 0) {
        size_t n;
        lh_buf_puts(sql, keys ? "SELECT _lh_b.* FROM read_parquet(" : "SELECT * FROM read_parquet(");
        rc = files_list(cat, ds, 0, sql, &n, err);
        lh_buf_puts(sql, keys ? ") AS _lh_b" : ")");
        keys_filter(sql, pk, keys, "_lh_b");
    } else {
        if (json_array_size(pk) == 0) {
            lh_columns_free(cols, nc);
            return lh_err_set(err, LH_EINTERNAL, "manifest_corrupt",
                              "dataset \"%s\" version %" PRId64 " has delta files but no primary key", ds->name,
                              ds->version);
        }
        lh_buf_puts(sql, "SELECT * FROM (WITH _lh_d AS (SELECT _lh_x.* FROM read_parquet(");
        size_t n_base;
        rc = files_list(cat, ds, 1, sql, &n_base, err);
        lh_buf_puts(sql, ") AS _lh_x");
        keys_filter(sql, pk, keys, "_lh_x");
        lh_buf_puts(sql, " QUALIFY row_number() OVER (PARTITION BY ");
        size_t k;
        json_t *kc;
        json_array_foreach(pk, k, kc) {
            if (k) lh_buf_puts(sql, ", ");
            lh_buf_puts(sql, "_lh_x.");
            lh_sql_quote_ident(sql, json_string_value(kc));
        }
        lh_buf_puts(sql, " ORDER BY _lh_x._lh_seq DESC) = 1) ");
        size_t mark = sql->len;
        if (!rc) {
            lh_buf_puts(sql, "SELECT ");
            column_list(sql, cols, nc, "_lh_b");
            lh_buf_puts(sql, " FROM read_parquet(");
            rc = files_list(cat, ds, 0, sql, &n_base, err);
            lh_buf_puts(sql, ") AS _lh_b");
            keys_filter(sql, pk, keys, "_lh_b");
            lh_buf_puts(sql, " ANTI JOIN _lh_d ON ");
            lh_catalog_key_join(sql, pk, "_lh_b", "_lh_d");
            lh_buf_puts(sql, " UNION ALL ");
            if (n_base == 0) {  /* every base row was compacted away: deltas only */
                sql->len = mark;
                sql->data[mark] = '\0';
            }
        }
        lh_buf_puts(sql, "SELECT ");
        column_list(sql, cols, nc, NULL);
        lh_buf_puts(sql, " FROM _lh_d WHERE _lh_op = 'upsert')");
    }
    lh_columns_free(cols, nc);
    return rc;
}

int lh_catalog_dataset_sql(lh_catalog *cat, const lh_dataset *ds, lh_buf *sql, lh_err *err)
{
    return dataset_sql(cat, ds, NULL, sql, err);
}

int lh_catalog_dataset_sql_keys(lh_catalog *cat, const lh_dataset *ds, const char *keys, lh_buf *sql, lh_err *err)
{
    if (!json_array_size(lh_dataset_primary_key(ds)))
        return lh_err_set(err, LH_EINVAL, "no_primary_key", "dataset \"%s\" has no primary key", ds->name);
    return dataset_sql(cat, ds, keys, sql, err);
}

int lh_catalog_check_keys(lh_catalog *cat, const char *from_sql, const json_t *keys, const char *dataset,
                          lh_err *err)
{
    lh_buf sql = LH_BUF_INIT, klist = LH_BUF_INIT, out = LH_BUF_INIT, nulls = LH_BUF_INIT;
    size_t i;
    json_t *kc;
    lh_catalog_key_text(&klist, keys, NULL);
    json_array_foreach(keys, i, kc) {
        if (i) lh_buf_puts(&nulls, " OR ");
        lh_sql_quote_ident(&nulls, json_string_value(kc));
        lh_buf_puts(&nulls, " IS NULL");
    }
    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(cat->engine, &c, err);
    if (!rc) {
        lh_buf_printf(&sql, "SELECT count(*) FROM (%s) WHERE %s", from_sql, nulls.data);
        rc = lh_engine_query_text(c, sql.data, &out, err);
        if (!rc && strcmp(out.data, "0"))
            rc = lh_err_set(err, LH_EINVAL, "null_key", "%s row(s) of dataset \"%s\" have a NULL primary key "
                            "column; every key column must have a value", out.data, dataset);
    }
    if (!rc) {
        lh_buf_reset(&sql);
        lh_buf_reset(&out);
        lh_buf_printf(&sql, "SELECT count(*)::VARCHAR || '|' || coalesce(string_agg(k, ', ' ORDER BY k) "
                      "FILTER (WHERE rn <= 10), '') FROM (SELECT k, row_number() OVER (ORDER BY k) AS rn FROM "
                      "(SELECT %s AS k FROM (%s) GROUP BY ALL HAVING count(*) > 1))", klist.data, from_sql);
        rc = lh_engine_query_text(c, sql.data, &out, err);
        if (!rc && strncmp(out.data, "0|", 2)) {
            char *bar = strchr(out.data, '|');
            *bar = '\0';
            rc = lh_err_set(err, LH_EINVAL, "duplicate_key", "dataset \"%s\" holds %s duplicated primary key "
                            "value(s): %.600s%s; a primary key must be unique", dataset, out.data, bar + 1,
                            strtoll(out.data, NULL, 10) > 10 ? ", ..." : "");
        }
    }
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    lh_buf_free(&klist);
    lh_buf_free(&out);
    lh_buf_free(&nulls);
    return rc;
}

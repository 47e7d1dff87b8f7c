/* tables/input.c — turning a request into typed, key-unique staged rows.
 *
 * JSON rows are checked in C first, where the message can name the row
 * and the column: unknown columns, missing or NULL keys, and JSON types
 * that cannot be the column's type (a string for a BIGINT). They are then
 * appended as text into a work table and cast by DuckDB with TRY_CAST, so
 * what DuckDB cannot read (an impossible date, 300 for a TINYINT) is named
 * too, before anything is written. A key given twice: the last row wins.
 *
 * Delete keys go the same way (key columns only). A delete predicate is
 * user SQL: it runs on the tables service's locked-down engine (which can
 * read dataset files and nothing else), must parse as a plain SELECT with
 * our WHERE around it, and yields the keys to delete, which are then
 * staged like keys given by value.
 */
#include "tables/tables_impl.h"
#include "core/clock.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- type families for JSON values ---- */

typedef enum { FAM_INT, FAM_NUM, FAM_BOOL, FAM_STR, FAM_NESTED, FAM_TEXTUAL } family;

static family type_family(const char *t)
{
    static const char *ints[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                 "UINTEGER", "UBIGINT", "UHUGEINT"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) if (!strcmp(t, ints[i])) return FAM_INT;
    if (!strcmp(t, "FLOAT") || !strcmp(t, "DOUBLE") || !strncmp(t, "DECIMAL", 7)) return FAM_NUM;
    if (!strcmp(t, "BOOLEAN")) return FAM_BOOL;
    if (!strcmp(t, "VARCHAR")) return FAM_STR;
    size_t n = strlen(t);
    if ((n && t[n - 1] == ']') || !strncmp(t, "STRUCT", 6) || !strncmp(t, "MAP", 3) || !strncmp(t, "UNION", 5))
        return FAM_NESTED;
    return FAM_TEXTUAL;  /* DATE, TIMESTAMP, TIME, UUID, INTERVAL, BLOB, JSON...: written as strings */
}

static const char *family_wants(family f)
{
    switch (f) {
    case FAM_INT: return "an integer";
    case FAM_NUM: return "a number";
    case FAM_BOOL: return "true or false";
    case FAM_NESTED: return "an array or object";
    default: return "a string";
    }
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int value_fits(family f, const json_t *v)
{
    switch (f) {
    case FAM_INT: return json_is_integer(v);
    case FAM_NUM: return json_is_number(v);
    case FAM_BOOL: return json_is_boolean(v);
    case FAM_NESTED: return json_is_array(v) || json_is_object(v);
    case FAM_STR: return json_is_string(v);
    default: return json_is_string(v);
    }
}

/* The text DuckDB casts from. */
static int append_value(lh_appender *a, family f, const json_t *v, lh_err *err)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_NULL: return lh_append_null(a, err);
    case JSON_STRING: return lh_append_text(a, json_string_value(v), err);
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return lh_append_text(a, num, err);
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        return lh_append_text(a, num, err);
    case JSON_TRUE: return lh_append_text(a, "true", err);
    case JSON_FALSE: return lh_append_text(a, "false", err);
    default: {
        (void)f;
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = lh_append_text(a, s ? s : "null", err);
        free(s);
        return rc;
    }
    }
}

/* CAST(<expr> AS type), through JSON for nested types. */
static void cast_expr(lh_buf *sql, const char *expr, const char *type, int try_)
{
    int nested = type_family(type) == FAM_NESTED;
    lh_buf_printf(sql, "%s(%s%s AS %s)", try_ ? "TRY_CAST" : "CAST", expr, nested ? "::JSON" : "", type);
}

/* Check every staged text column v<i> casts to its type; name the first
 * value that does not. `names`/`types` are the staged columns. */
static int check_casts(lh_engine_conn *c, const char *prefix, lh_column *cols, const size_t *idx, size_t n,
                       const char *what, lh_err *err)
{
    for (size_t j = 0; j < n; j++) {
        const lh_column *col = &cols[idx[j]];
        if (type_family(col->type) == FAM_STR) continue;
        lh_buf sql = LH_BUF_INIT, out = LH_BUF_INIT, v = LH_BUF_INIT;
        lh_buf_printf(&v, "v%zu", j);
        lh_buf_printf(&sql, "SELECT (_lh_ord + 1)::VARCHAR || ': ' || v%zu FROM %s_in WHERE v%zu IS NOT NULL AND ", j,
                      prefix, j);
        cast_expr(&sql, v.data, col->type, 1);
        lh_buf_puts(&sql, " IS NULL ORDER BY _lh_ord LIMIT 1");
        int rc = lh_engine_query_text(c, sql.data, &out, err);
        if (rc == LH_ENOTFOUND) rc = 0;  /* no row: every value casts */
        else if (!rc) {
            char *colon = strchr(out.data, ':');
            *colon = '\0';
            rc = lh_err_set(err, LH_EINVAL, "type_mismatch", "%s %s: value \"%.200s\" does not fit column \"%s\" (%s)",
                            what, out.data, colon + 2, col->name, col->type);
        }
        lh_buf_free(&sql);
        lh_buf_free(&out);
        lh_buf_free(&v);
        if (rc) return rc;
    }
    return 0;
}

/* ---- upsert of JSON rows ---- */

static int stage_rows(lh_engine_conn *c, const char *prefix, const lh_dataset *cur, const json_t *rows, lh_err *err)
{
    json_t *pk = lh_dataset_primary_key(cur);
    lh_column *cols;
    size_t nc = lh_dataset_columns(cur, &cols);
    family *fam = lh_xcalloc(nc ? nc : 1, sizeof *fam);
    for (size_t i = 0; i < nc; i++) fam[i] = type_family(cols[i].type);
    int rc = 0;
    /* validate shapes and JSON types */
    size_t r;
    json_t *row;
    json_array_foreach(rows, r, row) {
        if (!json_is_object(row)) {
            rc = lh_err_set(err, LH_EINVAL, "invalid_rows", "row %zu is %s; every row must be an object "
                            "{\"column\": value}", r + 1, json_kind(row));
            break;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)row, k, v) {
            size_t i = 0;
            while (i < nc && strcmp(cols[i].name, k)) i++;
            if (i == nc) {
                rc = lh_err_set(err, LH_EINVAL, "unknown_column", "row %zu: dataset \"%s\" has no column \"%.100s\"",
                                r + 1, cur->name, k);
                break;
            }
            if (!json_is_null(v) && !value_fits(fam[i], v)) {
                rc = lh_err_set(err, LH_EINVAL, "type_mismatch", "row %zu: column \"%s\" is %s and takes %s, got %s",
                                r + 1, k, cols[i].type, family_wants(fam[i]), json_kind(v));
                break;
            }
        }
        if (rc) break;
        size_t ki;
        json_t *kc;
        json_array_foreach(pk, ki, kc) {
            json_t *kv = json_object_get(row, json_string_value(kc));
            if (!kv || json_is_null(kv)) {
                rc = lh_err_set(err, LH_EINVAL, "missing_key", "row %zu has no value for primary key column \"%s\"",
                                r + 1, json_string_value(kc));
                break;
            }
        }
        if (rc) break;
    }
    lh_buf sql = LH_BUF_INIT;
    if (!rc) {
        lh_buf_printf(&sql, "CREATE TABLE %s_in (_lh_ord BIGINT", prefix);
        for (size_t i = 0; i < nc; i++) lh_buf_printf(&sql, ", v%zu VARCHAR, s%zu BOOLEAN", i, i);
        lh_buf_puts(&sql, ")");
        rc = lh_engine_exec(c, sql.data, err);
    }
    if (!rc) {
        lh_buf_reset(&sql);
        lh_buf_printf(&sql, "%s_in", prefix);
        lh_appender *a = NULL;
        rc = lh_appender_open(c, sql.data, &a, err);
        json_array_foreach(rows, r, row) {
            if (rc) break;
            rc = lh_append_int64(a, (int64_t)r, err);
            for (size_t i = 0; !rc && i < nc; i++) {
                json_t *v = json_object_get(row, cols[i].name);
                rc = v ? append_value(a, fam[i], v, err) : lh_append_null(a, err);
                if (!rc) rc = lh_append_bool(a, v != NULL, err);
            }
            if (!rc) rc = lh_append_end_row(a, err);
        }
        if (a) {
            int crc = lh_appender_close(a, rc ? NULL : err);
            if (!rc) rc = crc;
        }
    }
    if (!rc) {
        size_t *idx = lh_xcalloc(nc ? nc : 1, sizeof *idx);
        for (size_t i = 0; i < nc; i++) idx[i] = i;
        rc = check_casts(c, prefix, cols, idx, nc, "row", err);
        free(idx);
    }
    if (!rc) {
        lh_buf_reset(&sql);
        lh_buf_printf(&sql, "CREATE TABLE %s_new AS SELECT ", prefix);
        for (size_t i = 0; i < nc; i++) {
            char v[32];
            snprintf(v, sizeof v, "v%zu", i);
            cast_expr(&sql, v, cols[i].type, 0);
            lh_buf_puts(&sql, " AS ");
            lh_sql_quote_ident(&sql, cols[i].name);
            lh_buf_printf(&sql, ", s%zu AS _lh_s%zu, ", i, i);
        }
        lh_buf_printf(&sql, "_lh_ord FROM %s_in QUALIFY row_number() OVER (PARTITION BY ", prefix);
        size_t ki;
        json_t *kc;
        json_array_foreach(pk, ki, kc) {
            size_t i = 0;
            while (i < nc && strcmp(cols[i].name, json_string_value(kc))) i++;
            char v[32];
            snprintf(v, sizeof v, "v%zu", i);
            if (ki) lh_buf_puts(&sql, ", ");
            cast_expr(&sql, v, cols[i].type, 0);
        }
        lh_buf_puts(&sql, " ORDER BY _lh_ord DESC) = 1");
        rc = lh_engine_exec(c, sql.data, err);
    }
    lh_buf_free(&sql);
    free(fam);
    lh_columns_free(cols, nc);
    return rc;
}

/* ---- keys ---- */

/* Stage key texts (k<j> VARCHAR in key order) from a JSON keys array. */
static int stage_keys_json(lh_engine_conn *c, const char *prefix, const lh_dataset *cur, const json_t *keys,
                           lh_err *err)
{
    json_t *pk = lh_dataset_primary_key(cur);
    size_t nk = json_array_size(pk);
    lh_buf sql = LH_BUF_INIT;
    lh_buf_printf(&sql, "CREATE TABLE %s_in (_lh_ord BIGINT", prefix);
    for (size_t j = 0; j < nk; j++) lh_buf_printf(&sql, ", v%zu VARCHAR", j);
    lh_buf_puts(&sql, ")");
    int rc = lh_engine_exec(c, sql.data, err);
    lh_buf_reset(&sql);
    lh_buf_printf(&sql, "%s_in", prefix);
    lh_appender *a = NULL;
    if (!rc) rc = lh_appender_open(c, sql.data, &a, err);
    lh_buf_free(&sql);
    size_t r;
    json_t *key;
    json_array_foreach(keys, r, key) {
        if (rc) break;
        rc = lh_append_int64(a, (int64_t)r, err);
        for (size_t j = 0; !rc && j < nk; j++) {
            const char *kn = json_string_value(json_array_get(pk, j));
            json_t *v = json_is_object(key) ? json_object_get(key, kn)
                        : json_is_array(key) ? (json_array_size(key) == nk ? json_array_get(key, j) : NULL)
                        : nk == 1 ? key : NULL;
            if (!v || json_is_null(v) || json_is_object(v) || json_is_array(v)) {
                rc = lh_err_set(err, LH_EINVAL, "invalid_keys", "key %zu: give %s", r + 1,
                                nk == 1 ? "the key value (a string or number) or {\"column\": value}"
                                        : "an array of the key columns' values in key order, or an object "
                                          "{\"column\": value, ...}");
                break;
            }
            rc = append_value(a, FAM_TEXTUAL, v, err);
        }
        if (!rc) rc = lh_append_end_row(a, err);
    }
    if (a) {
        int crc = lh_appender_close(a, rc ? NULL : err);
        if (!rc) rc = crc;
    }
    return rc;
}

/* {prefix}_in (v<j> key texts) → {prefix}_new (typed, distinct keys). */
static int keys_to_new(lh_engine_conn *c, const char *prefix, const lh_dataset *cur, lh_err *err)
{
    json_t *pk = lh_dataset_primary_key(cur);
    lh_column *cols;
    size_t nc = lh_dataset_columns(cur, &cols);
    size_t nk = json_array_size(pk);
    size_t *idx = lh_xcalloc(nk ? nk : 1, sizeof *idx);
    for (size_t j = 0; j < nk; j++) {
        size_t i = 0;
        while (i < nc && strcmp(cols[i].name, json_string_value(json_array_get(pk, j)))) i++;
        idx[j] = i;
    }
    int rc = check_casts(c, prefix, cols, idx, nk, "key", err);
    if (!rc) {
        lh_buf sql = LH_BUF_INIT;
        lh_buf_printf(&sql, "CREATE TABLE %s_new AS SELECT DISTINCT ", prefix);
        for (size_t j = 0; j < nk; j++) {
            char v[32];
            snprintf(v, sizeof v, "v%zu", j);
            if (j) lh_buf_puts(&sql, ", ");
            cast_expr(&sql, v, cols[idx[j]].type, 0);
            lh_buf_puts(&sql, " AS ");
            lh_sql_quote_ident(&sql, cols[idx[j]].name);
        }
        lh_buf_printf(&sql, " FROM %s_in", prefix);
        rc = lh_engine_exec(c, sql.data, err);
        lh_buf_free(&sql);
    }
    free(idx);
    lh_columns_free(cols, nc);
    return rc;
}

/* Run the predicate in the sandbox and stage the matching keys as text. */
static int stage_keys_where(lh_tables *t, lh_engine_conn *c, const char *prefix, const lh_dataset *cur,
                            const char *pred, int64_t *n_out, lh_err *err)
{
    *n_out = 0;
    json_t *pk = lh_dataset_primary_key(cur);
    size_t nk = json_array_size(pk);
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT ");
    for (size_t j = 0; j < nk; j++) {
        lh_buf_printf(&sql, "%sCAST(_lh_t.", j ? ", " : "");
        lh_sql_quote_ident(&sql, json_string_value(json_array_get(pk, j)));
        lh_buf_puts(&sql, " AS VARCHAR)");
    }
    lh_buf_puts(&sql, " FROM (");
    int rc = lh_catalog_dataset_sql(t->cat, cur, &sql, err);
    /* newlines: a trailing -- comment in the predicate cannot swallow the ')' */
    lh_buf_printf(&sql, ") AS _lh_t WHERE (\n%s\n)", pred);
    lh_engine_conn *sc = NULL;
    if (!rc) rc = lh_engine_connect(t->sandbox, &sc, err);
    /* One plain SELECT (not a UNION or anything else smuggled in). */
    lh_stmt_list sl = {0};
    if (!rc) {
        int prc = lh_engine_prepare_all(sc, sql.data, &sl, err);
        if (prc || sl.n != 1 || sl.kinds[0] != LH_STMT_SELECT)
            rc = lh_err_set(err, LH_EINVAL, "invalid_predicate", "where must be a SQL boolean expression over the "
                            "dataset's columns, such as \"city = 'Denver' AND years > 3\"%s%.600s",
                            prc ? ": " : "", prc ? err->msg : "");
    }
    lh_stmt_list_free(&sl);
    if (!rc) {
        lh_buf chk = LH_BUF_INIT, ast = LH_BUF_INIT;
        lh_buf_puts(&chk, "SELECT json_extract_string(json_serialize_sql(");
        lh_sql_quote_literal(&chk, sql.data);
        lh_buf_puts(&chk, "), '$.statements[0].node.type')");
        rc = lh_engine_query_text(sc, chk.data, &ast, err);
        if (!rc && strcmp(ast.data, "SELECT_NODE"))
            rc = lh_err_set(err, LH_EINVAL, "invalid_predicate", "where must be one boolean expression, not a "
                            "query (got a %s)", ast.data);
        lh_buf_free(&chk);
        lh_buf_free(&ast);
    }
    /* stage the keys */
    lh_buf tbl = LH_BUF_INIT;
    if (!rc) {
        lh_buf_printf(&tbl, "CREATE TABLE %s_in (_lh_ord BIGINT", prefix);
        for (size_t j = 0; j < nk; j++) lh_buf_printf(&tbl, ", v%zu VARCHAR", j);
        lh_buf_puts(&tbl, ")");
        rc = lh_engine_exec(c, tbl.data, err);
        lh_buf_reset(&tbl);
        lh_buf_printf(&tbl, "%s_in", prefix);
    }
    lh_engine_result *res = NULL;
    lh_appender *a = NULL;
    if (!rc) {
        rc = lh_engine_query(sc, sql.data, &res, err);
        if (rc) {
            char msg[LH_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            rc = lh_err_set(err, LH_EINVAL, "invalid_predicate", "the where predicate failed: %.900s", msg);
        }
    }
    if (!rc) rc = lh_appender_open(c, tbl.data, &a, err);
    lh_buf v = LH_BUF_INIT;
    while (!rc) {
        lh_chunk *ch = NULL;
        rc = lh_result_next(res, &ch, err);
        if (rc || !ch) break;
        for (size_t r = 0; !rc && r < lh_chunk_rows(ch); r++) {
            rc = lh_append_int64(a, (*n_out)++, err);
            for (size_t j = 0; !rc && j < nk; j++) {
                lh_buf_reset(&v);
                rc = lh_chunk_text(ch, j, r, &v) ? lh_append_text(a, v.data ? v.data : "", err)
                                                 : lh_append_null(a, err);
            }
            if (!rc) rc = lh_append_end_row(a, err);
        }
        lh_chunk_free(ch);
    }
    lh_buf_free(&v);
    if (a) {
        int crc = lh_appender_close(a, rc ? NULL : err);
        if (!rc) rc = crc;
    }
    lh_result_free(res);
    lh_engine_conn_free(sc);
    lh_buf_free(&tbl);
    lh_buf_free(&sql);
    return rc;
}

/* ---- the entry points: claim, stage, write, clean up ---- */

typedef enum { IN_ROWS, IN_PARQUET, IN_KEYS, IN_WHERE } input_kind;

static int run_write(lh_tables *t, const char *dataset, input_kind kind, const void *input,
                     const lh_tables_actor *who, json_t **result, lh_err *err)
{
    *result = NULL;
    int rc = lh_dataset_name_validate(dataset, err);
    if (rc) return rc;
    rc = tab_claim(t, dataset, err);
    if (rc) return rc;
    lh_dataset *cur = NULL;
    lh_engine_conn *c = NULL;
    char prefix[48];
    tab_work_prefix(prefix);
    rc = tab_current(t, dataset, &cur, err);
    if (!rc) rc = lh_engine_connect(lh_catalog_engine(t->cat), &c, err);
    int64_t n_in = 0, t0 = lh_mono_us();
    if (!rc) {
        switch (kind) {
        case IN_ROWS:
            n_in = (int64_t)json_array_size(input);
            rc = stage_rows(c, prefix, cur, input, err);
            break;
        case IN_KEYS:
            n_in = (int64_t)json_array_size(input);
            rc = stage_keys_json(c, prefix, cur, input, err);
            if (!rc) rc = keys_to_new(c, prefix, cur, err);
            break;
        case IN_WHERE:
            rc = stage_keys_where(t, c, prefix, cur, input, &n_in, err);
            if (!rc) rc = keys_to_new(c, prefix, cur, err);
            break;
        case IN_PARQUET: {
            json_t *pk = lh_dataset_primary_key(cur);
            lh_column *cols;
            size_t nc = lh_dataset_columns(cur, &cols);
            lh_buf sql = LH_BUF_INIT, src = LH_BUF_INIT;
            lh_buf_puts(&src, "SELECT * FROM read_parquet(");
            lh_sql_quote_literal(&src, input);
            lh_buf_puts(&src, ")");
            lh_buf_printf(&sql, "SELECT count(*) FROM (%s)", src.data);
            rc = tab_query_ints(c, sql.data, &n_in, 1, err);
            /* keys: no NULLs (duplicates: the last row wins) */
            lh_buf_reset(&sql);
            lh_buf_printf(&sql, "SELECT count(*) FROM (%s) WHERE ", src.data);
            for (size_t j = 0; j < json_array_size(pk); j++) {
                if (j) lh_buf_puts(&sql, " OR ");
                lh_sql_quote_ident(&sql, json_string_value(json_array_get(pk, j)));
                lh_buf_puts(&sql, " IS NULL");
            }
            int64_t nulls = 0;
            if (!rc) rc = tab_query_ints(c, sql.data, &nulls, 1, err);
            if (!rc && nulls)
                rc = lh_err_set(err, LH_EINVAL, "missing_key", "%" PRId64 " row(s) of the file have no value for a "
                                "primary key column", nulls);
            lh_buf_reset(&sql);
            lh_buf_printf(&sql, "CREATE TABLE %s_new AS SELECT ", prefix);
            for (size_t i = 0; i < nc; i++) {
                lh_buf_printf(&sql, "CAST(");
                lh_sql_quote_ident(&sql, cols[i].name);
                lh_buf_printf(&sql, " AS %s) AS ", cols[i].type);
                lh_sql_quote_ident(&sql, cols[i].name);
                lh_buf_printf(&sql, ", true AS _lh_s%zu, ", i);
            }
            lh_buf_puts(&sql, "file_row_number AS _lh_ord FROM read_parquet(");
            lh_sql_quote_literal(&sql, input);
            lh_buf_puts(&sql, ", file_row_number = true) QUALIFY row_number() OVER (PARTITION BY ");
            for (size_t j = 0; j < json_array_size(pk); j++) {
                if (j) lh_buf_puts(&sql, ", ");
                lh_sql_quote_ident(&sql, json_string_value(json_array_get(pk, j)));
            }
            lh_buf_puts(&sql, " ORDER BY file_row_number DESC) = 1");
            if (!rc) rc = lh_engine_exec(c, sql.data, err);
            lh_buf_free(&sql);
            lh_buf_free(&src);
            lh_columns_free(cols, nc);
            break;
        }
        }
    }
    lh_debug("tables %s: request staged in %.1f ms", dataset, (double)(lh_mono_us() - t0) / 1000.0);
    if (!rc) {
        tab_write_req w = {.cur = cur, .conn = c, .prefix = prefix,
                           .op = kind == IN_ROWS || kind == IN_PARQUET ? TAB_UPSERT : TAB_DELETE,
                           .rows_in = n_in, .who = who};
        rc = tab_write(t, &w, result, err);
    }
    if (c) tab_drop_work(c, prefix);
    lh_engine_conn_free(c);
    lh_dataset_unref(cur);
    tab_release(t, dataset);
    return rc;
}

int lh_tables_upsert_json(lh_tables *t, const char *dataset, const json_t *rows, const lh_tables_actor *who,
                          json_t **result, lh_err *err)
{
    *result = NULL;
    if (!json_is_array(rows) || json_array_size(rows) == 0)
        return lh_err_set(err, LH_EINVAL, "invalid_rows", "give the rows as a non-empty JSON array of objects: "
                          "[{\"id\": 1, \"phone\": \"+1-555-0100\"}]");
    return run_write(t, dataset, IN_ROWS, rows, who, result, err);
}

int lh_tables_upsert_parquet(lh_tables *t, const char *dataset, const char *path, const lh_tables_actor *who,
                             json_t **result, lh_err *err)
{
    return run_write(t, dataset, IN_PARQUET, path, who, result, err);
}

int lh_tables_delete_keys(lh_tables *t, const char *dataset, const json_t *keys, const lh_tables_actor *who,
                          json_t **result, lh_err *err)
{
    *result = NULL;
    if (!json_is_array(keys) || json_array_size(keys) == 0)
        return lh_err_set(err, LH_EINVAL, "invalid_keys", "keys must be a non-empty array: {\"keys\": [1, 2]}");
    return run_write(t, dataset, IN_KEYS, keys, who, result, err);
}

int lh_tables_delete_where(lh_tables *t, const char *dataset, const char *predicate, const lh_tables_actor *who,
                           json_t **result, lh_err *err)
{
    *result = NULL;
    size_t n = predicate ? strlen(predicate) : 0;
    size_t blank = 0;
    while (blank < n && strchr(" \t\r\n", predicate[blank])) blank++;
    if (blank == n)
        return lh_err_set(err, LH_EINVAL, "invalid_predicate", "where must be a non-empty SQL boolean expression");
    if (n > 65536) return lh_err_set(err, LH_EINVAL, "invalid_predicate", "where is longer than 64 KiB");
    return run_write(t, dataset, IN_WHERE, predicate, who, result, err);
}

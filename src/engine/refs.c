/* engine/refs.c — which relations a piece of user SQL names, before it runs.
 *
 * The query service must know what a statement will read before DuckDB
 * binds it: binding a view over Parquet files already opens them, and with
 * an S3 bucket those files are copies in a bounded read cache that may have
 * been evicted. So the answer has to come from the parser alone. DuckDB's
 * json_serialize_sql gives its own AST of a SELECT without binding anything
 * (no catalog lookup, no file access); we walk it and collect
 *   - every BASE_TABLE (FROM items at any depth: joins, subqueries, CTE
 *     bodies, the target of DESCRIBE/SHOW/SUMMARIZE), and
 *   - every constant string argument of a table function, which is how
 *     table_info('people') and friends name a relation.
 * duckdb_get_table_names was measured first and rejected: it binds, so it
 * fails on a view whose Parquet file is missing (the very case that matters),
 * and it reports a view's underlying tables rather than the view.
 *
 * The list may hold too much (a CTE's name, a string that is no table) —
 * callers look names up and ignore the unknown. It must never hold too
 * little, so whatever the AST cannot show makes the answer incomplete:
 * statements DuckDB will not serialize (EXPLAIN, PRAGMA, writes) and the
 * table functions query() and query_table(), whose SQL or table names are
 * data rather than syntax.
 */
#include "engine/engine_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    json_t *names;     /* object used as a set: lower-case name -> true */
    int     complete;
} walk;

static void add_name(walk *w, const char *s)
{
    if (!s || !*s || strlen(s) > 255) return;  /* no table of ours is that long (datasets: 63) */
    char low[256];
    size_t i = 0;
    for (; s[i]; i++) low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    json_object_set_new(w->names, low, json_true());
}

/* Call fn on every object at or under node. */
static void visit(walk *w, json_t *node, void (*fn)(walk *, json_t *))
{
    if (json_is_object(node)) {
        fn(w, node);
        const char *k;
        json_t *v;
        json_object_foreach(node, k, v) visit(w, v, fn);
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) visit(w, v, fn);
    }
}

/* A VARCHAR constant (under a table function's arguments). */
static void on_constant(walk *w, json_t *obj)
{
    const char *cls = json_string_value(json_object_get(obj, "class"));
    json_t *v = json_object_get(obj, "value");
    if (!cls || strcmp(cls, "CONSTANT") || !json_is_object(v)) return;
    const char *id = json_string_value(json_object_get(json_object_get(v, "type"), "id"));
    if (id && !strcmp(id, "VARCHAR")) add_name(w, json_string_value(json_object_get(v, "value")));
}

/* A table reference: a named table or view, or a table function. */
static void on_table_ref(walk *w, json_t *obj)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (type && !strcmp(type, "BASE_TABLE")) {
        add_name(w, json_string_value(json_object_get(obj, "table_name")));
    } else if (type && !strcmp(type, "TABLE_FUNCTION")) {
        json_t *fn = json_object_get(obj, "function");
        const char *name = json_string_value(json_object_get(fn, "function_name"));
        if (name && (!strcmp(name, "query") || !strcmp(name, "query_table"))) w->complete = 0;
        visit(w, json_object_get(fn, "children"), on_constant);
    }
}

int lh_engine_sql_relations(lh_engine_conn *c, const char *sql, json_t **names, int *complete, lh_err *err)
{
    *names = NULL;
    *complete = 0;
    lh_buf q = LH_BUF_INIT, ast = LH_BUF_INIT;
    lh_buf_puts(&q, "SELECT json_serialize_sql(");
    lh_sql_quote_literal(&q, sql);
    lh_buf_puts(&q, ")");
    int rc = lh_engine_query_text(c, q.data, &ast, err);
    lh_buf_free(&q);
    if (rc) { lh_buf_free(&ast); return rc; }
    /* positions DuckDB does not know are 2^64-1, past jansson's integers */
    json_t *doc = json_loadb(ast.data ? ast.data : "", ast.len, JSON_DECODE_INT_AS_REAL, NULL);
    lh_buf_free(&ast);
    walk w = {json_object(), 1};
    if (!json_is_object(doc)) {
        w.complete = 0;
    } else if (json_is_true(json_object_get(doc, "error"))) {
        /* A syntax error reads nothing (preparing reports it); anything
         * else is a statement the serializer does not cover. */
        const char *et = json_string_value(json_object_get(doc, "error_type"));
        w.complete = et && !strcmp(et, "parser");
    } else {
        visit(&w, json_object_get(doc, "statements"), on_table_ref);
    }
    json_decref(doc);
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(w.names, k, v) json_array_append_new(arr, json_string(k));
    json_decref(w.names);
    *names = arr;
    *complete = w.complete;
    return 0;
}

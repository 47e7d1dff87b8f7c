/* engine/types.c — describing DuckDB logical types once, and spelling them.
 *
 * Rendering a value needs its full type: a DECIMAL's scale, an ENUM's
 * labels, a STRUCT's member names, a LIST's element type. Asking DuckDB for
 * each of those allocates a new logical type per call, so a result's column
 * types are turned into a plain tree (lh_type) once when the result opens;
 * every value of every chunk is then rendered from that tree.
 *
 * The tree also carries the type's SQL spelling, written to match what
 * DuckDB 1.4.4 itself prints in DESCRIBE (the C API has no type-to-string
 * call): "DECIMAL(18,3)", "INTEGER[]", "INTEGER[3]", "MAP(VARCHAR, BIGINT)",
 * "STRUCT(a INTEGER, \"b c\" VARCHAR)", "TIMESTAMP WITH TIME ZONE", and an
 * alias where the type has one ("JSON"). Struct member names are quoted
 * exactly when DuckDB quotes them: when they are not plain identifiers
 * ([A-Za-z_][A-Za-z0-9_]*) or are SQL keywords (the keyword list is read
 * from duckdb_keywords() when the engine opens). The unit test compares
 * these spellings against DESCRIBE for every type.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *base_name(duckdb_type id)
{
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN:      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:     return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:       return "BIGINT";
    case DUCKDB_TYPE_UTINYINT:     return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:    return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:     return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:      return "UBIGINT";
    case DUCKDB_TYPE_FLOAT:        return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:       return "DOUBLE";
    case DUCKDB_TYPE_TIMESTAMP:    return "TIMESTAMP";
    case DUCKDB_TYPE_DATE:         return "DATE";
    case DUCKDB_TYPE_TIME:         return "TIME";
    case DUCKDB_TYPE_INTERVAL:     return "INTERVAL";
    case DUCKDB_TYPE_HUGEINT:      return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT:     return "UHUGEINT";
    case DUCKDB_TYPE_VARCHAR:      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:         return "BLOB";
    case DUCKDB_TYPE_TIMESTAMP_S:  return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_UUID:         return "UUID";
    case DUCKDB_TYPE_BIT:          return "BIT";
    case DUCKDB_TYPE_TIME_TZ:      return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_BIGNUM:       return "BIGNUM";
    case DUCKDB_TYPE_TIME_NS:      return "TIME_NS";
    case DUCKDB_TYPE_SQLNULL:      return "\"NULL\"";
    default:                       return NULL;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_keyword(const lh_engine *e, const char *name)
{
    if (!e || !e->n_keywords) return 0;
    char low[128];
    size_t n = strlen(name);
    if (n >= sizeof low) return 0; /* no keyword is that long */
    for (size_t i = 0; i <= n; i++) low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    const char *key = low;
    return bsearch(&key, e->keywords, e->n_keywords, sizeof *e->keywords, cmp_str) != NULL;
}

/* Member name as DuckDB writes it inside STRUCT(...) / UNION(...). */
static void put_member_name(lh_buf *b, const lh_engine *e, const char *name)
{
    int quote = !*name || (name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && !quote; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            quote = 1;
    }
    if (!quote) quote = is_keyword(e, name);
    if (!quote) {
        lh_buf_puts(b, name);
        return;
    }
    lh_sql_quote_ident(b, name);
}

static char *dup_free(char *s)
{
    /* DuckDB hands out strings allocated with its allocator. */
    char *r = lh_xstrdup(s ? s : "");
    duckdb_free(s);
    return r;
}

void lh__type_build(const lh_engine *e, duckdb_logical_type lt, lh_type *t)
{
    memset(t, 0, sizeof *t);
    t->id = duckdb_get_type_id(lt);
    lh_buf sql = LH_BUF_INIT;
    switch (t->id) {
    case DUCKDB_TYPE_DECIMAL:
        t->width = duckdb_decimal_width(lt);
        t->scale = duckdb_decimal_scale(lt);
        t->storage = duckdb_decimal_internal_type(lt);
        lh_buf_printf(&sql, "DECIMAL(%u,%u)", (unsigned)t->width, (unsigned)t->scale);
        break;
    case DUCKDB_TYPE_ENUM: {
        t->storage = duckdb_enum_internal_type(lt);
        t->n = duckdb_enum_dictionary_size(lt);
        t->names = lh_xcalloc(t->n ? t->n : 1, sizeof *t->names);
        lh_buf_puts(&sql, "ENUM(");
        for (size_t i = 0; i < t->n; i++) {
            t->names[i] = dup_free(duckdb_enum_dictionary_value(lt, i));
            if (i) lh_buf_puts(&sql, ", ");
            lh_sql_quote_literal(&sql, t->names[i]);
        }
        lh_buf_putc(&sql, ')');
        break;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        int is_array = t->id == DUCKDB_TYPE_ARRAY;
        duckdb_logical_type ct = is_array ? duckdb_array_type_child_type(lt) : duckdb_list_type_child_type(lt);
        t->n = 1;
        t->kids = lh_xcalloc(1, sizeof *t->kids);
        lh__type_build(e, ct, &t->kids[0]);
        duckdb_destroy_logical_type(&ct);
        lh_buf_puts(&sql, t->kids[0].sql);
        if (is_array) {
            t->array_size = duckdb_array_type_array_size(lt);
            lh_buf_printf(&sql, "[%llu]", (unsigned long long)t->array_size);
        } else {
            lh_buf_puts(&sql, "[]");
        }
        break;
    }
    case DUCKDB_TYPE_MAP: {
        duckdb_logical_type k = duckdb_map_type_key_type(lt), v = duckdb_map_type_value_type(lt);
        t->n = 2;
        t->kids = lh_xcalloc(2, sizeof *t->kids);
        lh__type_build(e, k, &t->kids[0]);
        lh__type_build(e, v, &t->kids[1]);
        duckdb_destroy_logical_type(&k);
        duckdb_destroy_logical_type(&v);
        lh_buf_printf(&sql, "MAP(%s, %s)", t->kids[0].sql, t->kids[1].sql);
        break;
    }
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
        int is_union = t->id == DUCKDB_TYPE_UNION;
        t->n = is_union ? duckdb_union_type_member_count(lt) : duckdb_struct_type_child_count(lt);
        t->kids = lh_xcalloc(t->n ? t->n : 1, sizeof *t->kids);
        t->names = lh_xcalloc(t->n ? t->n : 1, sizeof *t->names);
        t->unnamed = !is_union && t->n > 0;
        for (size_t i = 0; i < t->n; i++) {
            t->names[i] = dup_free(is_union ? duckdb_union_type_member_name(lt, i)
                                            : duckdb_struct_type_child_name(lt, i));
            if (*t->names[i]) t->unnamed = 0;
            duckdb_logical_type ct = is_union ? duckdb_union_type_member_type(lt, i)
                                              : duckdb_struct_type_child_type(lt, i);
            lh__type_build(e, ct, &t->kids[i]);
            duckdb_destroy_logical_type(&ct);
        }
        lh_buf_puts(&sql, is_union ? "UNION(" : "STRUCT(");
        for (size_t i = 0; i < t->n; i++) {
            if (i) lh_buf_puts(&sql, ", ");
            if (!t->unnamed) {
                put_member_name(&sql, e, t->names[i]);
                lh_buf_putc(&sql, ' ');
            }
            lh_buf_puts(&sql, t->kids[i].sql);
        }
        lh_buf_putc(&sql, ')');
        break;
    }
    default: {
        const char *n = base_name(t->id);
        /* DuckDB 1.4.4's C API reports some types (TIME_NS) as INVALID. */
        lh_buf_puts(&sql, n ? n : "UNKNOWN");
    }
    }
    /* An alias (JSON is VARCHAR aliased) is what DESCRIBE prints. */
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias && *alias && t->id != DUCKDB_TYPE_ENUM) {
        lh_buf_reset(&sql);
        lh_buf_puts(&sql, alias);
        t->is_json = t->id == DUCKDB_TYPE_VARCHAR && strcasecmp(alias, "JSON") == 0;
    }
    duckdb_free(alias);
    t->sql = lh_buf_detach(&sql);
}

void lh__type_clear(lh_type *t)
{
    if (!t) return;
    if (t->kids) /* ENUMs have labels but no kids */
        for (size_t i = 0; i < t->n; i++) lh__type_clear(&t->kids[i]);
    if (t->names)
        for (size_t i = 0; i < t->n; i++) free(t->names[i]);
    free(t->kids);
    free(t->names);
    free(t->sql);
    memset(t, 0, sizeof *t);
}

int lh__type_is_nested(const lh_type *t)
{
    switch (t->id) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_UNION:
        return 1;
    default:
        return 0;
    }
}

lh_coltypes *lh__coltypes_from_result(const lh_engine *e, duckdb_result *res)
{
    lh_coltypes *ct = lh_xcalloc(1, sizeof *ct);
    atomic_init(&ct->refs, 1);
    ct->n = (size_t)duckdb_column_count(res);
    ct->cols = lh_xcalloc(ct->n ? ct->n : 1, sizeof *ct->cols);
    for (size_t i = 0; i < ct->n; i++) {
        duckdb_logical_type lt = duckdb_column_logical_type(res, i);
        lh__type_build(e, lt, &ct->cols[i]);
        duckdb_destroy_logical_type(&lt);
    }
    return ct;
}

void lh__coltypes_release(lh_coltypes *ct)
{
    if (!ct || atomic_fetch_sub(&ct->refs, 1) != 1) return;
    for (size_t i = 0; i < ct->n; i++) lh__type_clear(&ct->cols[i]);
    free(ct->cols);
    free(ct);
}

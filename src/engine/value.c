/* engine/value.c — reading one value out of a DuckDB vector, as JSON or text.
 *
 * Values are read straight from the chunk's vectors (the data-chunk API):
 * a scalar from the vector's data array at its row, a LIST or MAP through
 * its (offset, length) entry into the child vector, an ARRAY through
 * row * size into its child, a STRUCT member by member, a UNION through its
 * tag (member 0 of the underlying struct) to the active member. Chunks
 * from duckdb_fetch_chunk are flat, so row indexes need no selection
 * vectors.
 *
 * Two renderings, one walk:
 *  - JSON (lh_chunk_json): numbers stay numbers (DECIMAL, HUGEINT and
 *    BIGNUM exactly; NaN and infinities become strings because JSON has no
 *    such numbers), strings are escaped, BLOB is base64, temporal values
 *    are ISO-8601 strings, LIST/ARRAY are arrays, STRUCT is an object (an
 *    unnamed row(...) struct an array), MAP an object keyed by the keys'
 *    text, UNION its active member, ENUM its label.
 *  - text (lh_chunk_text): what CAST(x AS VARCHAR) prints, including the
 *    quoting DuckDB applies inside nested values: a non-nested element is
 *    put in single quotes (with \' and \\ escaped) when it is empty, starts
 *    or ends with white space, spells NULL, or contains one of "'(),:=[]{};
 *    struct keys are always quoted; nested elements, and JSON-typed
 *    elements of a LIST or ARRAY, are never quoted.
 */
#include "engine/engine_internal.h"

#include <stdlib.h>
#include <string.h>

static int row_valid(duckdb_vector v, idx_t row)
{
    return duckdb_validity_row_is_valid(duckdb_vector_get_validity(v), row);
}

/* The integer in an ENUM's or DECIMAL's storage type. */
static __int128 stored_int(duckdb_type storage, const void *data, idx_t row)
{
    switch (storage) {
    case DUCKDB_TYPE_UTINYINT:  return ((const uint8_t *)data)[row];
    case DUCKDB_TYPE_USMALLINT: return ((const uint16_t *)data)[row];
    case DUCKDB_TYPE_UINTEGER:  return ((const uint32_t *)data)[row];
    case DUCKDB_TYPE_SMALLINT:  return ((const int16_t *)data)[row];
    case DUCKDB_TYPE_INTEGER:   return ((const int32_t *)data)[row];
    case DUCKDB_TYPE_BIGINT:    return ((const int64_t *)data)[row];
    case DUCKDB_TYPE_HUGEINT:   return lh__hugeint((const duckdb_hugeint *)data + row);
    default:                    return 0;
    }
}

static void json_quote(lh_buf *out, int json)
{
    if (json) lh_buf_putc(out, '"');
}

/* A non-nested value. Temporal, UUID and BIT forms are plain ASCII without
 * quotes or backslashes, so in JSON they only need surrounding quotes. */
static void scalar_value(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out, int json)
{
    const void *data = duckdb_vector_get_data(v);
    switch (t->id) {
    case DUCKDB_TYPE_BOOLEAN:   lh_buf_puts(out, ((const bool *)data)[row] ? "true" : "false"); return;
    case DUCKDB_TYPE_TINYINT:   lh_buf_printf(out, "%d", ((const int8_t *)data)[row]); return;
    case DUCKDB_TYPE_SMALLINT:  lh_buf_printf(out, "%d", ((const int16_t *)data)[row]); return;
    case DUCKDB_TYPE_INTEGER:   lh_buf_printf(out, "%d", ((const int32_t *)data)[row]); return;
    case DUCKDB_TYPE_BIGINT:    lh_buf_printf(out, "%lld", (long long)((const int64_t *)data)[row]); return;
    case DUCKDB_TYPE_UTINYINT:  lh_buf_printf(out, "%u", ((const uint8_t *)data)[row]); return;
    case DUCKDB_TYPE_USMALLINT: lh_buf_printf(out, "%u", ((const uint16_t *)data)[row]); return;
    case DUCKDB_TYPE_UINTEGER:  lh_buf_printf(out, "%u", ((const uint32_t *)data)[row]); return;
    case DUCKDB_TYPE_UBIGINT:
        lh_buf_printf(out, "%llu", (unsigned long long)((const uint64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_HUGEINT: lh__fmt_i128(out, lh__hugeint((const duckdb_hugeint *)data + row)); return;
    case DUCKDB_TYPE_UHUGEINT: lh__fmt_u128(out, lh__uhugeint((const duckdb_uhugeint *)data + row)); return;
    case DUCKDB_TYPE_FLOAT:   lh__fmt_double(out, ((const float *)data)[row], 1, json); return;
    case DUCKDB_TYPE_DOUBLE:  lh__fmt_double(out, ((const double *)data)[row], 0, json); return;
    case DUCKDB_TYPE_DECIMAL: lh__fmt_decimal(out, stored_int(t->storage, data, row), t->scale); return;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_BIT:
    case DUCKDB_TYPE_BIGNUM: {
        duckdb_string_t *s = (duckdb_string_t *)data + row;
        const char *p = duckdb_string_t_data(s);
        size_t n = duckdb_string_t_length(*s);
        const unsigned char *u = (const unsigned char *)p;
        if (t->id == DUCKDB_TYPE_VARCHAR) {
            if (json) lh__fmt_json_string(out, p, n);
            else lh_buf_append(out, p, n);
        } else if (t->id == DUCKDB_TYPE_BLOB) {
            json_quote(out, json);
            if (json) lh__fmt_base64(out, u, n);
            else lh__fmt_blob_text(out, u, n);
            json_quote(out, json);
        } else if (t->id == DUCKDB_TYPE_BIT) {
            json_quote(out, json);
            lh__fmt_bit(out, u, n);
            json_quote(out, json);
        } else {
            lh__fmt_bignum(out, u, n);
        }
        return;
    }
    case DUCKDB_TYPE_ENUM: {
        __int128 idx = stored_int(t->storage, data, row);
        const char *label = idx >= 0 && (size_t)idx < t->n ? t->names[idx] : "";
        if (json) lh__fmt_json_string(out, label, strlen(label));
        else lh_buf_puts(out, label);
        return;
    }
    default:
        break;
    }
    /* Temporal types and UUID: a string in JSON. */
    json_quote(out, json);
    switch (t->id) {
    case DUCKDB_TYPE_DATE: lh__fmt_date(out, ((const duckdb_date *)data)[row].days, json); break;
    case DUCKDB_TYPE_TIME: lh__fmt_time(out, ((const duckdb_time *)data)[row].micros, 6); break;
    case DUCKDB_TYPE_TIME_NS: lh__fmt_time(out, ((const duckdb_time_ns *)data)[row].nanos, 9); break;
    case DUCKDB_TYPE_TIME_TZ: lh__fmt_time_tz(out, ((const duckdb_time_tz *)data)[row].bits, json); break;
    case DUCKDB_TYPE_TIMESTAMP:
        lh__fmt_timestamp(out, ((const duckdb_timestamp *)data)[row].micros, 1000000, 0, json);
        break;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        lh__fmt_timestamp(out, ((const duckdb_timestamp *)data)[row].micros, 1000000, 1, json);
        break;
    case DUCKDB_TYPE_TIMESTAMP_S:
        lh__fmt_timestamp(out, ((const duckdb_timestamp_s *)data)[row].seconds, 1, 0, json);
        break;
    case DUCKDB_TYPE_TIMESTAMP_MS:
        lh__fmt_timestamp(out, ((const duckdb_timestamp_ms *)data)[row].millis, 1000, 0, json);
        break;
    case DUCKDB_TYPE_TIMESTAMP_NS:
        lh__fmt_timestamp(out, ((const duckdb_timestamp_ns *)data)[row].nanos, 1000000000, 0, json);
        break;
    case DUCKDB_TYPE_INTERVAL: {
        const duckdb_interval *iv = (const duckdb_interval *)data + row;
        lh__fmt_interval(out, iv->months, iv->days, iv->micros, json);
        break;
    }
    case DUCKDB_TYPE_UUID: {
        const duckdb_hugeint *h = (const duckdb_hugeint *)data + row;
        lh__fmt_uuid(out, h->lower, h->upper);
        break;
    }
    default:
        /* A type DuckDB's C API cannot describe (it reports TIME_NS as
         * INVALID in 1.4.4): say so rather than guess at its bytes. */
        lh_buf_puts(out, "<unsupported type>");
        break;
    }
    json_quote(out, json);
}

/* ---- JSON ---- */

/* ---- nested layouts, shared by the JSON and text renderers ---- */

/* The child vector and the [off, off+len) slice of it that row of a LIST
 * or fixed-size ARRAY covers. */
static duckdb_vector seq_span(duckdb_vector v, const lh_type *t, idx_t row, uint64_t *off, uint64_t *len)
{
    if (t->id == DUCKDB_TYPE_LIST) {
        const duckdb_list_entry *e = (const duckdb_list_entry *)duckdb_vector_get_data(v) + row;
        *off = e->offset;
        *len = e->length;
        return duckdb_list_vector_get_child(v);
    }
    *len = t->array_size;
    *off = row * *len;
    return duckdb_array_vector_get_child(v);
}

/* A MAP is a LIST of STRUCT(key, value): the row's entry slice and the
 * key and value vectors. */
static const duckdb_list_entry *map_span(duckdb_vector v, idx_t row, duckdb_vector *keys, duckdb_vector *vals)
{
    duckdb_vector entries = duckdb_list_vector_get_child(v);
    *keys = duckdb_struct_vector_get_child(entries, 0);
    *vals = duckdb_struct_vector_get_child(entries, 1);
    return (const duckdb_list_entry *)duckdb_vector_get_data(v) + row;
}

/* The member vector a UNION row holds (its tag in *tag), or NULL for an
 * unknown tag. */
static duckdb_vector union_member(duckdb_vector v, const lh_type *t, idx_t row, size_t *tag)
{
    duckdb_vector tags = duckdb_struct_vector_get_child(v, 0);
    *tag = ((const uint8_t *)duckdb_vector_get_data(tags))[row];
    return *tag < t->n ? duckdb_struct_vector_get_child(v, (idx_t)*tag + 1) : NULL;
}

static void json_elem(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out)
{
    if (!row_valid(v, row)) lh_buf_puts(out, "null");
    else lh__json_value(v, t, row, out);
}

void lh__json_value(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out)
{
    switch (t->id) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        uint64_t off, len;
        duckdb_vector child = seq_span(v, t, row, &off, &len);
        lh_buf_putc(out, '[');
        for (uint64_t i = 0; i < len; i++) {
            if (i) lh_buf_putc(out, ',');
            json_elem(child, &t->kids[0], off + i, out);
        }
        lh_buf_putc(out, ']');
        return;
    }
    case DUCKDB_TYPE_STRUCT:
        lh_buf_putc(out, t->unnamed ? '[' : '{');
        for (size_t i = 0; i < t->n; i++) {
            if (i) lh_buf_putc(out, ',');
            if (!t->unnamed) {
                lh__fmt_json_string(out, t->names[i], strlen(t->names[i]));
                lh_buf_putc(out, ':');
            }
            json_elem(duckdb_struct_vector_get_child(v, i), &t->kids[i], row, out);
        }
        lh_buf_putc(out, t->unnamed ? ']' : '}');
        return;
    case DUCKDB_TYPE_MAP: {
        duckdb_vector keys, vals;
        const duckdb_list_entry *e = map_span(v, row, &keys, &vals);
        lh_buf key = LH_BUF_INIT;
        lh_buf_putc(out, '{');
        for (uint64_t i = 0; i < e->length; i++) {
            if (i) lh_buf_putc(out, ',');
            lh_buf_reset(&key);
            if (row_valid(keys, e->offset + i)) lh__text_value(keys, &t->kids[0], e->offset + i, &key);
            else lh_buf_puts(&key, "NULL");
            lh__fmt_json_string(out, key.data ? key.data : "", key.len);
            lh_buf_putc(out, ':');
            json_elem(vals, &t->kids[1], e->offset + i, out);
        }
        lh_buf_putc(out, '}');
        lh_buf_free(&key);
        return;
    }
    case DUCKDB_TYPE_UNION: {
        size_t tag;
        duckdb_vector member = union_member(v, t, row, &tag);
        if (!member) lh_buf_puts(out, "null");
        else json_elem(member, &t->kids[tag], row, out);
        return;
    }
    default:
        scalar_value(v, t, row, out, 1);
    }
}

/* ---- text ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Quote out[start..] in DuckDB's nested-value style if it needs it (or
 * always, for struct keys). */
static void quote_nested(lh_buf *out, size_t start, int always)
{
    const char *s = out->data ? out->data + start : "";
    size_t n = out->len - start;
    int need = always || n == 0 || is_space(s[0]) || (n >= 2 && is_space(s[n - 1])) ||
               (n == 4 && (s[0] | 32) == 'n' && (s[1] | 32) == 'u' && (s[2] | 32) == 'l' && (s[3] | 32) == 'l');
    for (size_t i = 0; i < n && !need; i++)
        need = strchr("\"'(),:=[]{}", s[i]) != NULL && s[i] != '\0';
    if (!need) return;
    char *copy = lh_xstrndup(s, n);
    out->len = start;
    lh_buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (copy[i] == '\'' || copy[i] == '\\') lh_buf_putc(out, '\\');
        lh_buf_putc(out, copy[i]);
    }
    lh_buf_putc(out, '\'');
    free(copy);
}

/* An element of a nested value: NULL spelled out, non-nested values quoted
 * when needed, nested ones as they are. DuckDB also leaves JSON elements
 * of a LIST or ARRAY unquoted (in_list), but not JSON in STRUCT or MAP. */
static void text_elem(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out, int in_list)
{
    if (!row_valid(v, row)) {
        lh_buf_puts(out, "NULL");
        return;
    }
    size_t start = out->len;
    lh__text_value(v, t, row, out);
    if (!lh__type_is_nested(t) && !(in_list && t->is_json)) quote_nested(out, start, 0);
}

void lh__text_value(duckdb_vector v, const lh_type *t, idx_t row, lh_buf *out)
{
    switch (t->id) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        uint64_t off, len;
        duckdb_vector child = seq_span(v, t, row, &off, &len);
        lh_buf_putc(out, '[');
        for (uint64_t i = 0; i < len; i++) {
            if (i) lh_buf_puts(out, ", ");
            text_elem(child, &t->kids[0], off + i, out, 1);
        }
        lh_buf_putc(out, ']');
        return;
    }
    case DUCKDB_TYPE_STRUCT:
        lh_buf_putc(out, t->unnamed ? '(' : '{');
        for (size_t i = 0; i < t->n; i++) {
            if (i) lh_buf_puts(out, ", ");
            if (!t->unnamed) {
                size_t start = out->len;
                lh_buf_puts(out, t->names[i]);
                quote_nested(out, start, 1);
                lh_buf_puts(out, ": ");
            }
            text_elem(duckdb_struct_vector_get_child(v, i), &t->kids[i], row, out, 0);
        }
        lh_buf_putc(out, t->unnamed ? ')' : '}');
        return;
    case DUCKDB_TYPE_MAP: {
        duckdb_vector keys, vals;
        const duckdb_list_entry *e = map_span(v, row, &keys, &vals);
        lh_buf_putc(out, '{');
        for (uint64_t i = 0; i < e->length; i++) {
            if (i) lh_buf_puts(out, ", ");
            text_elem(keys, &t->kids[0], e->offset + i, out, 0);
            lh_buf_putc(out, '=');
            text_elem(vals, &t->kids[1], e->offset + i, out, 0);
        }
        lh_buf_putc(out, '}');
        return;
    }
    case DUCKDB_TYPE_UNION: {
        size_t tag;
        duckdb_vector member = union_member(v, t, row, &tag);
        if (!member || !row_valid(member, row)) lh_buf_puts(out, "NULL");
        else lh__text_value(member, &t->kids[tag], row, out);
        return;
    }
    default:
        scalar_value(v, t, row, out, 0);
    }
}

/* ingest/convert_internal.h — private to the file converter; only
 * src/ingest/convert*.c include it. convert.h is the module's public door.
 *
 * The converter is split by concern:
 *   convert.c         the pipeline: empty-file check, the typing ladder
 *                     (sampled sniff, whole-file sniff, all text), the
 *                     projection, the Parquet write, the public API;
 *   convert_read.c    how each format is read through DuckDB: the CSV
 *                     header pass, the read_csv/read_json/read_parquet
 *                     expressions, and turning DuckDB's errors into
 *                     "malformed_file" messages that name the line;
 *   convert_headers.c header-name normalisation (pure string work);
 *   convert_schema.c  append compatibility: type widening rules and the
 *                     column-by-column mismatch report.
 */
#ifndef LH_INGEST_CONVERT_INTERNAL_H
#define LH_INGEST_CONVERT_INTERNAL_H

#include "ingest/convert.h"

#include <stddef.h>

/* ---- convert_headers.c ---- */

/* Normalise n raw column names (NULL counts as ""): trim ASCII and Unicode
 * whitespace at both ends, name an empty one column_N (N = 1-based
 * position), and make repeats unique with _2, _3, ... Repeats are judged
 * case-insensitively (ASCII letters), because DuckDB identifiers are: "name"
 * and "Name" could not both be columns of one table. The first occurrence
 * keeps its name; a generated name never collides with any other column's
 * name. Fills norm[0..n) with new strings (caller frees each) and appends
 * one lh_header_change per renamed column to *changes / *n_changes (the
 * caller frees them with ic_changes_free). */
void ic_normalize_names(const char *const *raw, size_t n, char **norm,
                        lh_header_change **changes, size_t *n_changes);
void ic_changes_free(lh_header_change *changes, size_t n);

/* ASCII case-insensitive equality (DuckDB folds only ASCII for identifiers). */
int ic_name_eq(const char *a, const char *b);

/* ---- convert_read.c ---- */

/* One typing attempt. CSV goes through all three; JSON through the first
 * two (read_json has no all-text mode); Parquet has real types already. */
typedef enum ic_pass {
    IC_PASS_SAMPLE,   /* DuckDB's sniffer on its default sample */
    IC_PASS_FULL,     /* the sniffer over the whole file (sample_size=-1) */
    IC_PASS_VARCHAR,  /* every column text (last resort, CSV only) */
} ic_pass;

/* A file opened for reading: the FROM-clause expression and, per source
 * column, the name DuckDB gives it, its type and our normalised name. */
typedef struct ic_source {
    lh_format         fmt;
    const char       *path;
    lh_buf            from;      /* e.g. read_csv('p', header=true, names=[...], ...) */
    size_t            n;
    char            **duck;      /* column names as the reader produces them */
    char            **type;      /* their SQL types */
    char            **norm;      /* the normalised names (the output's names) */
    lh_header_change *changes;
    size_t            n_changes;
} ic_source;

/* Open src->path (src->fmt, src->path set by the caller) for typing pass
 * `pass`: build src->from, learn the columns and normalise their names.
 * Errors: "malformed_file" with DuckDB's explanation and the line. */
int  ic_source_open(lh_engine_conn *c, ic_source *src, ic_pass pass, lh_err *err);
void ic_source_clear(ic_source *src);

/* The last typing pass worth trying for a format. */
ic_pass ic_last_pass(lh_format fmt);

/* Does this engine error say a value did not fit its sniffed type (so a
 * wider typing pass may succeed)? */
int ic_is_conversion_error(const lh_err *e);

/* Turn an engine error about reading the source into "malformed_file":
 * keep DuckDB's explanation and line, drop its option hints and the SQL,
 * show the file by its base name. For CSV, when DuckDB's sniffer could not
 * find a consistent dialect (which it reports without a line), re-read the
 * file strictly to learn which line breaks it. Always returns LH_EINVAL. */
int ic_malformed(lh_engine_conn *c, const ic_source *src, const lh_err *engine_err, lh_err *err);

/* ---- convert_schema.c ---- */

/* Can a column of type `from` be stored in a column of type `to` without
 * losing values? Equal types, lossless integer widening, any integer (or
 * FLOAT/DECIMAL) into DOUBLE, integers and decimals into a DECIMAL with
 * enough digits, anything into VARCHAR, DATE into TIMESTAMP. */
int ic_type_fits(const char *from, const char *to);

/* Match the source's columns against the dataset's (by normalised name,
 * exactly first and then ASCII case-insensitively) and check each type.
 * A VARCHAR column with no values at all (every row empty) fits any type:
 * the sniffer has nothing to go on, and NULL casts to anything. On success
 * fills map[i] (i over the target's columns) with the source column index
 * feeding it. Errors: LH_EINVAL "schema_mismatch", one line per problem. */
int ic_schema_match(lh_engine_conn *c, const ic_source *src, const lh_column *target,
                    size_t n_target, size_t *map, lh_err *err);

/* Append the SELECT list for the output: every source column under its
 * normalised name, or (map != NULL) the target's columns in order, cast to
 * the target's types where they differ. */
void ic_projection(lh_buf *out, const ic_source *src, const lh_column *target,
                   size_t n_target, const size_t *map);

/* The expression that reads source column i as the value to store: the
 * quoted column, or json_extract_string(...) for a JSON-typed one (mixed
 * JSON values are text, ADR-010). */
void ic_source_expr(lh_buf *out, const ic_source *src, size_t i);

#endif

/* ingest/convert.h — turning a staged file into a typed Parquet file.
 *
 * ADR-010: legacy data is messy, and ingest must never reject it for its
 * types. Columns get real types only when every value fits (integers,
 * decimals/doubles, booleans, dates, timestamps); a column holding "123",
 * "N/A" and "" is VARCHAR. Structural damage is different: a file that is
 * not valid in its format (bad quoting, ragged rows, invalid UTF-8, empty)
 * is refused with an error naming the line, and nothing is written.
 *
 * Header names are normalised and every change is reported back: names are
 * trimmed, an empty name becomes column_N (N = 1-based position), and a
 * repeated name gets _2, _3, ... so every column is addressable in SQL.
 *
 * On append the new file must fit the dataset's schema: the same column
 * names, each type equal or safely widened (INTEGER into BIGINT, any
 * integer into DOUBLE or DECIMAL, anything into VARCHAR). The output is
 * cast to the dataset's types so every file of a dataset shares one
 * schema. A mismatch is explained column by column (code
 * "schema_mismatch").
 */
#ifndef LH_INGEST_CONVERT_H
#define LH_INGEST_CONVERT_H

#include "engine/engine.h"

typedef enum lh_format { LH_FMT_CSV, LH_FMT_TSV, LH_FMT_JSON, LH_FMT_NDJSON, LH_FMT_PARQUET } lh_format;

/* "csv", "tsv", "json", "ndjson" (also "jsonl"), "parquet". */
int         lh_format_parse(const char *s, lh_format *out, lh_err *err);
/* From a file name's extension (.csv .tsv .tab .json .ndjson .jsonl .parquet). */
int         lh_format_from_filename(const char *name, lh_format *out, lh_err *err);
const char *lh_format_name(lh_format f);

typedef struct lh_header_change {
    char *original;    /* as written in the file ("" for an empty name) */
    char *normalized;
    char *reason;      /* "trimmed", "empty name", "duplicate name", ... */
} lh_header_change;

typedef struct lh_convert_result {
    int64_t           rows;
    lh_column        *cols;       /* the Parquet file's columns, in order */
    size_t            n_cols;
    lh_header_change *changes;
    size_t            n_changes;
} lh_convert_result;

/* Convert src_path (format fmt) into a zstd Parquet file at out_path using
 * the engine connection c (an internal, unlocked engine). target/n_target
 * is the dataset's schema for an append, or NULL/0 for a new dataset.
 * Errors: LH_EINVAL with codes "empty_file", "malformed_file" (message
 * carries the engine's text with the line), "schema_mismatch". On error
 * out_path does not exist. */
int  lh_ingest_convert(lh_engine_conn *c, const char *src_path, lh_format fmt,
                       const lh_column *target, size_t n_target, const char *out_path,
                       lh_convert_result *out, lh_err *err);
void lh_convert_result_free(lh_convert_result *r);

/* Sensitivity kinds found per column of a Parquet file: kinds[i] is NULL
 * (nothing found) or a static string "email", "phone", "national_id",
 * "postal_address", "person_name". Judged from the column name and a
 * sample of its values; the caller owns the kinds array (not the strings). */
int  lh_ingest_classify(lh_engine_conn *c, const char *parquet_path, const lh_column *cols, size_t n,
                        const char **kinds, lh_err *err);

#endif

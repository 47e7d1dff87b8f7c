/* core/toml.h — a strict TOML 1.0 parser.
 *
 * Parses a whole document into a tree of lh_toml_value. Strict means every
 * rule of TOML 1.0.0 is enforced (the toml-test suite's valid and invalid
 * cases are the judge): duplicate keys, redefined tables, extending inline
 * tables or static arrays, bad escapes, invalid UTF-8 and control
 * characters, leading zeros, out-of-range integers and impossible dates are
 * errors. Errors carry "file:line:col: message" (1-based line and column,
 * column counted in characters) with code "toml_syntax".
 *
 * Nesting deeper than 128 levels of tables and arrays (headers, dotted
 * keys, arrays and inline tables all count) is refused the same way, so
 * hostile input cannot exhaust the stack of any walk over the tree.
 *
 * Every value and every table entry records the line and column where it
 * was written, so the configuration layer can point at an unknown key or a
 * value of the wrong type in the user's file.
 *
 * Ownership: lh_toml_parse returns a tree the caller frees with
 * lh_toml_free; pointers into it are valid until then.
 */
#ifndef LH_CORE_TOML_H
#define LH_CORE_TOML_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum lh_toml_type {
    LH_TOML_STRING,
    LH_TOML_INTEGER,
    LH_TOML_FLOAT,
    LH_TOML_BOOL,
    LH_TOML_DATETIME,        /* offset date-time: 1979-05-27T07:32:00Z */
    LH_TOML_DATETIME_LOCAL,  /* 1979-05-27T07:32:00 */
    LH_TOML_DATE_LOCAL,      /* 1979-05-27 */
    LH_TOML_TIME_LOCAL,      /* 07:32:00 */
    LH_TOML_ARRAY,
    LH_TOML_TABLE,
} lh_toml_type;

typedef struct lh_toml_value lh_toml_value;

typedef struct lh_toml_entry {
    char          *key;      /* UTF-8, NUL-terminated; key_len bytes before the NUL */
    int            line, col; /* where the key was written */
    lh_toml_value *value;
    /* TOML allows "\u0000" in a quoted key (toml-test requires it), so a key
     * may hold NUL bytes: then strlen(key) < key_len. lh_toml_get compares
     * whole keys, so such a key never matches a C-string lookup. */
    size_t         key_len;
} lh_toml_entry;

struct lh_toml_value {
    lh_toml_type type;
    int          line, col;  /* where the value (or [table] header) starts */
    union {
        struct { char *s; size_t len; } str;  /* STRING; may hold NUL bytes, also NUL-terminated */
        int64_t i;                            /* INTEGER */
        double  f;                            /* FLOAT */
        int     b;                            /* BOOL: 0 or 1 */
        /* DATETIME*, DATE_LOCAL, TIME_LOCAL: the value as written, normalised
         * to RFC 3339 spelling ('T' separator, upper-case 'Z'), in str. */
        struct { lh_toml_value **items; size_t n; } arr;   /* ARRAY */
        struct { lh_toml_entry *entries; size_t n; } tab;  /* TABLE, in document order */
    } u;
};

/* Parse `len` bytes of `text`; `filename` is used in error messages. */
int  lh_toml_parse(const char *text, size_t len, const char *filename,
                   lh_toml_value **out, lh_err *err);
/* Read and parse a file. A missing file is LH_ENOTFOUND. */
int  lh_toml_parse_file(const char *path, lh_toml_value **out, lh_err *err);
void lh_toml_free(lh_toml_value *v);

/* Look up a key in a table (NULL if absent or `table` is not a table).
 * Linear in the table's size. */
const lh_toml_value *lh_toml_get(const lh_toml_value *table, const char *key);
const lh_toml_entry *lh_toml_get_entry(const lh_toml_value *table, const char *key);

/* "string", "integer", ... as used in error messages. */
const char *lh_toml_type_name(lh_toml_type t);

#endif

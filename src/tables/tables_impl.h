/* tables/tables_impl.h — what the files of tables/ share (private). */
#ifndef LH_TABLES_IMPL_H
#define LH_TABLES_IMPL_H

#include "tables/tables.h"

#include <pthread.h>

struct lh_tables {
    lh_catalog     *cat;
    lh_engine      *sandbox;      /* locked down: delete predicates */
    int64_t         auto_deltas, auto_bytes, retention_hours;
    pthread_mutex_t mu;           /* guards busy */
    char          **busy;         /* datasets being written */
    size_t          n_busy, cap_busy;
};

/* The single-writer gate: claim `dataset` for one write, or
 * LH_ECONFLICT "write_in_progress". */
int  tab_claim(lh_tables *t, const char *dataset, lh_err *err);
void tab_release(lh_tables *t, const char *dataset);

/* The current version of dataset, which must have a primary key. */
int  tab_current(lh_tables *t, const char *dataset, lh_dataset **out, lh_err *err);

/* Key SQL: lh_catalog_key_text / lh_catalog_key_join (catalog.h). */
/* Is column `name` part of pk? */
int  tab_is_key(const json_t *pk, const char *name);

/* Run `sql`, whose one value is `n` integers separated by a space
 * ("3" for a count(*), "3 1" for `count(*) || ' ' || count_if(...)`), into
 * out[0..n) (0 on failure). */
int  tab_query_ints(lh_engine_conn *c, const char *sql, int64_t *out, size_t n, lh_err *err);

/* A unique prefix for the work tables of one write ("_lh_w<hex>"). */
void tab_work_prefix(char out[48]);

/* ---- the write pipeline (write.c) ----
 * A staged write: `new_table` in the internal engine holds the typed rows
 * (upsert: every column plus _lh_s<i> BOOLEAN "was set" flags) or keys
 * (delete: the key columns), key-unique. tab_write turns it into a delta,
 * commits, journals, maybe compacts. Claims and current version are the
 * caller's; tab_write drops the work tables. */
typedef enum { TAB_UPSERT, TAB_DELETE } tab_op;

typedef struct tab_write_req {
    lh_dataset            *cur;
    lh_engine_conn        *conn;
    const char            *prefix;    /* work table prefix; new table is {prefix}_new */
    tab_op                 op;
    int64_t                rows_in;   /* rows or keys in the request */
    const lh_tables_actor *who;
} tab_write_req;

int tab_write(lh_tables *t, const tab_write_req *w, json_t **result, lh_err *err);
void tab_drop_work(lh_engine_conn *c, const char *prefix);

/* compact.c: compaction with the dataset already claimed. */
int tab_compact_claimed(lh_tables *t, const char *dataset, const lh_tables_actor *who, json_t **result,
                        lh_err *err);

#endif

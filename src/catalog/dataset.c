/* catalog/dataset.c — dataset snapshots: reference counting and accessors.
 *
 * A snapshot wraps one manifest document and never changes; commits make
 * new snapshots. Readers hold a reference for as long as they use one, so
 * a commit or delete never pulls a dataset out from under a query.
 */
#include "catalog/catalog_impl.h"
#include "core/buf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct ds_box {
    lh_dataset  pub;
    atomic_long refs;
} ds_box;

lh_dataset *cat_dataset_new(json_t *manifest)
{
    ds_box *b = lh_xcalloc(1, sizeof *b);
    b->pub.manifest = manifest;
    b->pub.name = json_string_value(json_object_get(manifest, "name"));
    b->pub.version = json_integer_value(json_object_get(manifest, "version"));
    b->pub.deleted = json_is_true(json_object_get(manifest, "deleted"));
    atomic_init(&b->refs, 1);
    return &b->pub;
}

lh_dataset *lh_dataset_ref(lh_dataset *ds)
{
    if (ds) atomic_fetch_add(&((ds_box *)ds)->refs, 1);
    return ds;
}

void lh_dataset_unref(lh_dataset *ds)
{
    if (!ds) return;
    ds_box *b = (ds_box *)ds;
    if (atomic_fetch_sub(&b->refs, 1) == 1) {
        json_decref(b->pub.manifest);
        free(b);
    }
}

int64_t lh_dataset_row_count(const lh_dataset *ds)
{
    return json_integer_value(json_object_get(ds->manifest, "row_count"));
}

size_t lh_dataset_n_files(const lh_dataset *ds)
{
    return json_array_size(json_object_get(ds->manifest, "files"));
}

const char *lh_dataset_file_key(const lh_dataset *ds, size_t i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(ds->manifest, "files"), i), "key"));
}

const char *lh_dataset_bucket(const lh_dataset *ds)
{
    const char *b = json_string_value(json_object_get(ds->manifest, "bucket"));
    return b ? b : "primary";
}

size_t lh_dataset_columns(const lh_dataset *ds, lh_column **out)
{
    json_t *cols = json_object_get(ds->manifest, "columns");
    size_t n = json_array_size(cols);
    *out = lh_xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cols, i);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        (*out)[i].name = lh_xstrdup(name ? name : "");
        (*out)[i].type = lh_xstrdup(type ? type : "VARCHAR");
    }
    return n;
}

void lh_columns_free(lh_column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) { free(cols[i].name); free(cols[i].type); }
    free(cols);
}

json_t *lh_dataset_primary_key(const lh_dataset *ds)
{
    json_t *pk = json_object_get(ds->manifest, "primary_key");
    return json_is_array(pk) ? pk : NULL;
}

int cat_file_is_delta(const json_t *f)
{
    const char *kind = json_string_value(json_object_get(f, "kind"));
    return kind && !strcmp(kind, "delta");
}

int lh_dataset_file_is_delta(const lh_dataset *ds, size_t i)
{
    return cat_file_is_delta(json_array_get(json_object_get(ds->manifest, "files"), i));
}

size_t lh_dataset_n_deltas(const lh_dataset *ds)
{
    size_t n = 0;
    for (size_t i = 0; i < lh_dataset_n_files(ds); i++) n += lh_dataset_file_is_delta(ds, i);
    return n;
}

int lh_dataset_stale(const lh_dataset *ds, int64_t now_us)
{
    json_t *sla = json_object_get(ds->manifest, "freshness_sla_hours");
    if (!json_is_number(sla) || json_number_value(sla) <= 0) return 0;
    int64_t at = json_integer_value(json_object_get(ds->manifest, "data_updated_at_us"));
    return now_us - at > (int64_t)(json_number_value(sla) * 3600.0 * 1e6);
}

int lh_dataset_name_validate(const char *name, lh_err *err)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n <= 63 && name[0] >= 'a' && name[0] <= 'z';
    for (size_t i = 0; ok && i < n; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_';
    if (ok && !strcmp(name, "lakehouse_journal"))
        return lh_err_set(err, LH_EINVAL, "invalid_dataset_name",
                          "dataset name \"lakehouse_journal\" is reserved: it is the view of the mutation journal");
    if (ok) return 0;
    return lh_err_set(err, LH_EINVAL, "invalid_dataset_name",
                      "dataset name \"%.80s\" is invalid: use lower-case letters, digits and '_', starting "
                      "with a letter, at most 63 characters (it becomes a SQL view name)", name ? name : "");
}

void lh_dataset_list_free(lh_dataset **l, size_t n)
{
    for (size_t i = 0; i < n; i++) lh_dataset_unref(l[i]);
    free(l);
}

/* gateway/routes_catalog.c — the /catalog routes: datasets, their metadata,
 * history, repair and search (ADR-002, ADR-013). */
#include "gateway/app.h"
#include "gateway/routes.h"
#include "core/clock.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *actor_of(lh_req *req)
{
    const char *a = lh_req_header(req, "X-Lakehouse-Actor");
    return a && *a ? a : "anonymous";
}

static json_t *summary(const lh_dataset *ds, int64_t now)
{
    json_t *m = ds->manifest;
    return json_pack("{s:s,s:I,s:I,s:I,s:O?,s:O?,s:O?,s:O?,s:b,s:O?,s:O?,s:s}", "name", ds->name, "version",
                     (json_int_t)ds->version, "row_count", (json_int_t)lh_dataset_row_count(ds), "columns",
                     (json_int_t)json_array_size(json_object_get(m, "columns")), "owner", json_object_get(m, "owner"),
                     "description", json_object_get(m, "description"), "tags", json_object_get(m, "tags"),
                     "sensitivity", json_object_get(m, "sensitivity"), "stale", lh_dataset_stale(ds, now),
                     "committed_at", json_object_get(m, "committed_at"), "data_updated_at",
                     json_object_get(m, "data_updated_at"), "bucket", lh_dataset_bucket(ds));
}

static json_t *detail(const lh_dataset *ds)
{
    json_t *o = json_deep_copy(ds->manifest);
    json_object_set_new(o, "stale", json_boolean(lh_dataset_stale(ds, lh_now_us())));
    return o;
}

static int get_datasets(lh_req *req, lh_resp *resp)
{
    lh_dataset **all;
    size_t n = lh_catalog_list(req->app->cat, &all);
    json_t *arr = json_array();
    int64_t now = lh_now_us();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, summary(all[i], now));
    lh_dataset_list_free(all, n);
    return lh_resp_json(resp, 200, json_pack("{s:o,s:I}", "datasets", arr, "count", (json_int_t)n));
}

static int get_dataset(lh_req *req, lh_resp *resp)
{
    lh_err e;
    lh_dataset *ds = lh_catalog_get(req->app->cat, lh_req_param(req, "name"), &e);
    if (!ds) return lh_resp_error(resp, &e);
    json_t *o = detail(ds);
    lh_dataset_unref(ds);
    return lh_resp_json(resp, 200, o);
}

/* ---- PATCH ---- */

static int bad(lh_resp *resp, const char *fmt, const char *arg)
{
    return lh_resp_errorf(resp, 400, "invalid_patch", fmt, arg);
}

/* Apply a patch document to manifest m; on error fills resp and returns -1. */
static int apply_patch(json_t *m, json_t *patch, lh_resp *resp)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (!strcmp(k, "version")) continue;
        if (!strcmp(k, "owner") || !strcmp(k, "description")) {
            if (!json_is_string(v)) return bad(resp, "%s must be a string", k), -1;
            json_object_set(m, k, v);
        } else if (!strcmp(k, "tags")) {
            size_t i;
            json_t *t;
            if (!json_is_array(v)) return bad(resp, "%s must be an array of strings", k), -1;
            json_array_foreach(v, i, t) if (!json_is_string(t) || !json_string_length(t))
                return bad(resp, "%s must be an array of non-empty strings", k), -1;
            json_object_set(m, k, v);
        } else if (!strcmp(k, "freshness_sla_hours")) {
            if (!json_is_null(v) && (!json_is_number(v) || json_number_value(v) <= 0 || !isfinite(json_number_value(v))))
                return bad(resp, "%s must be a positive number of hours, or null", k), -1;
            json_object_set(m, k, v);
        } else if (!strcmp(k, "columns")) {
            if (!json_is_object(v)) return bad(resp, "%s must be an object: {\"column\": {\"sensitivity\": \"pii\"|\"none\"}}", k), -1;
            const char *cname;
            json_t *cv;
            json_object_foreach(v, cname, cv) {
                json_t *col = NULL;
                size_t i;
                json_t *c;
                json_array_foreach(json_object_get(m, "columns"), i, c)
                    if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", cname)) col = c;
                if (!col) return lh_resp_errorf(resp, 400, "unknown_column", "dataset has no column \"%s\"", cname), -1;
                json_t *sens = json_object_get(cv, "sensitivity");
                const char *s = json_string_value(sens);
                if (!json_is_object(cv) || !s || (strcmp(s, "pii") && strcmp(s, "none")) || json_object_size(cv) > 2)
                    return bad(resp, "columns.%s must be {\"sensitivity\": \"pii\"|\"none\", \"pii_kind\"?: string}", cname), -1;
                json_t *kind = json_object_get(cv, "pii_kind");
                if (kind && !json_is_string(kind) && !json_is_null(kind))
                    return bad(resp, "columns.%s.pii_kind must be a string", cname), -1;
                if (!kind && json_object_size(cv) == 2) return bad(resp, "columns.%s has an unknown key", cname), -1;
                json_object_set_new(col, "sensitivity", json_string(s));
                json_object_set(col, "pii_kind", !strcmp(s, "none") ? json_null() : kind ? kind : json_object_get(col, "pii_kind"));
                json_object_set_new(col, "sensitivity_source", json_string("override"));
            }
            const char *agg = "internal";
            size_t i;
            json_t *c;
            json_array_foreach(json_object_get(m, "columns"), i, c)
                if (!strcmp(json_string_value(json_object_get(c, "sensitivity")) ?: "", "pii")) agg = "pii";
            json_object_set_new(m, "sensitivity", json_string(agg));
        } else if (!strcmp(k, "primary_key")) {
            size_t i;
            json_t *t;
            if (!json_is_array(v)) return bad(resp, "%s must be an array of column names, e.g. [\"id\"]", k), -1;
            json_array_foreach(v, i, t) {
                const char *cn = json_string_value(t);
                if (!cn || !*cn) return bad(resp, "%s must be an array of column names, e.g. [\"id\"]", k), -1;
                int found = 0;
                size_t j;
                json_t *c;
                json_array_foreach(json_object_get(m, "columns"), j, c)
                    found |= !strcmp(json_string_value(json_object_get(c, "name")) ?: "", cn);
                if (!found) return lh_resp_errorf(resp, 400, "unknown_column", "dataset has no column \"%s\"", cn), -1;
                for (size_t j2 = 0; j2 < i; j2++)
                    if (!strcmp(json_string_value(json_array_get(v, j2)), cn))
                        return bad(resp, "primary_key names column \"%s\" twice", cn), -1;
            }
            json_t *old_pk = json_object_get(m, "primary_key");
            if (old_pk && !json_equal(v, old_pk)) {
                size_t j;
                json_t *f;
                json_array_foreach(json_object_get(m, "files"), j, f)
                    if (!strcmp(json_string_value(json_object_get(f, "kind")) ?: "", "delta"))
                        return lh_resp_errorf(resp, 409, "deltas_pending", "the dataset has uncompacted updates keyed "
                                              "by its current primary key; POST /tables/{dataset}/compact first"), -1;
            }
            if (json_array_size(v)) json_object_set(m, k, v);
            else json_object_del(m, k);
        } else {
            return lh_resp_errorf(resp, 400, "invalid_patch", "unknown field \"%s\" (allowed: owner, description, tags, "
                                  "freshness_sla_hours, columns, primary_key, version)", k), -1;
        }
    }
    return 0;
}

static int patch_dataset(lh_req *req, lh_resp *resp)
{
    json_t *patch;
    if (lh_req_json(req, resp, &patch)) return 0;
    lh_err e;
    lh_dataset *ds = lh_catalog_get(req->app->cat, lh_req_param(req, "name"), &e);
    if (!ds) { json_decref(patch); return lh_resp_error(resp, &e); }
    json_t *ver = json_object_get(patch, "version");
    if (ver && (!json_is_integer(ver) || json_integer_value(ver) != ds->version)) {
        json_decref(patch);
        int r = lh_resp_errorf(resp, 409, "version_mismatch", "dataset \"%s\" is at version %lld, not the version the "
                               "patch names", ds->name, (long long)ds->version);
        lh_dataset_unref(ds);
        return r;
    }
    json_t *m = json_deep_copy(ds->manifest);
    if (apply_patch(m, patch, resp)) { json_decref(m); json_decref(patch); lh_dataset_unref(ds); return 0; }
    json_t *pk = json_object_get(patch, "primary_key");
    if (json_array_size(pk)) {
        /* refused, naming the offending keys, if the data holds duplicates or NULLs */
        lh_buf sql = LH_BUF_INIT;
        int rc = lh_catalog_dataset_sql(req->app->cat, ds, &sql, &e);
        if (!rc) rc = lh_catalog_check_keys(req->app->cat, sql.data, pk, ds->name, &e);
        lh_buf_free(&sql);
        if (rc) {
            json_decref(m);
            json_decref(patch);
            lh_dataset_unref(ds);
            return lh_resp_error(resp, &e);
        }
    }
    json_object_del(patch, "version");
    json_object_set_new(m, "change", json_pack("{s:s,s:s,s:O}", "kind", "patch", "actor", actor_of(req), "fields", patch));
    json_decref(patch);
    lh_dataset *committed;
    int rc = lh_catalog_commit(req->app->cat, ds->name, ds->version, m, &committed, &e);
    lh_dataset_unref(ds);
    if (rc) return lh_resp_error(resp, &e);
    json_t *o = detail(committed);
    lh_dataset_unref(committed);
    return lh_resp_json(resp, 200, o);
}

static int delete_dataset(lh_req *req, lh_resp *resp)
{
    lh_err e;
    lh_dataset *ds = lh_catalog_get(req->app->cat, lh_req_param(req, "name"), &e);
    if (!ds) return lh_resp_error(resp, &e);
    json_t *m = json_pack("{s:b,s:[],s:[],s:O?,s:{s:s,s:s,s:I}}", "deleted", 1, "files", "columns", "bucket",
                          json_object_get(ds->manifest, "bucket"), "change", "kind", "delete", "actor", actor_of(req),
                          "previous_version", (json_int_t)ds->version);
    lh_dataset *committed;
    int rc = lh_catalog_commit(req->app->cat, ds->name, ds->version, m, &committed, &e);
    lh_dataset_unref(ds);
    if (rc) return lh_resp_error(resp, &e);
    json_t *o = json_pack("{s:s,s:b,s:I}", "dataset", committed->name, "deleted", 1, "version", (json_int_t)committed->version);
    lh_dataset_unref(committed);
    return lh_resp_json(resp, 200, o);
}

static int get_versions(lh_req *req, lh_resp *resp)
{
    json_t *v;
    lh_err e;
    if (lh_catalog_versions(req->app->cat, lh_req_param(req, "name"), &v, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, json_pack("{s:s,s:o}", "dataset", lh_req_param(req, "name"), "versions", v));
}

static int post_resync(lh_req *req, lh_resp *resp)
{
    json_t *rep;
    lh_err e;
    if (lh_catalog_resync(req->app->cat, lh_req_param(req, "name"), actor_of(req), &rep, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, rep);
}

static int post_resync_missing(lh_req *req, lh_resp *resp)
{
    lh_dataset **all;
    size_t n = lh_catalog_list(req->app->cat, &all);
    json_t *arr = json_array();
    size_t repaired = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *rep;
        lh_err e;
        if (lh_catalog_resync(req->app->cat, all[i]->name, actor_of(req), &rep, &e))
            rep = json_pack("{s:s,s:s,s:s}", "dataset", all[i]->name, "error", e.msg, "code", e.code);
        else if (json_is_true(json_object_get(rep, "changed")))
            repaired++;
        json_array_append_new(arr, rep);
    }
    lh_dataset_list_free(all, n);
    return lh_resp_json(resp, 200, json_pack("{s:o,s:I,s:I}", "datasets", arr, "checked", (json_int_t)n, "repaired",
                                             (json_int_t)repaired));
}

static int get_orphans(lh_req *req, lh_resp *resp)
{
    json_t *o;
    lh_err e;
    if (lh_catalog_orphans(req->app->cat, &o, &e)) return lh_resp_error(resp, &e);
    return lh_resp_json(resp, 200, o);
}

static int contains_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

static int get_search(lh_req *req, lh_resp *resp)
{
    const char *q = lh_req_query(req, "q");
    if (!q || !*q) return lh_resp_errorf(resp, 400, "invalid_parameter", "q is required: /catalog/search?q=words");
    lh_dataset **all;
    size_t n = lh_catalog_list(req->app->cat, &all);
    json_t *arr = json_array();
    int64_t now = lh_now_us();
    for (size_t i = 0; i < n; i++) {
        json_t *m = all[i]->manifest, *on = json_array();
        if (contains_ci(all[i]->name, q)) json_array_append_new(on, json_string("name"));
        if (contains_ci(json_string_value(json_object_get(m, "description")), q))
            json_array_append_new(on, json_string("description"));
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(m, "tags"), k, t)
            if (contains_ci(json_string_value(t), q)) { json_array_append_new(on, json_string("tags")); break; }
        json_t *cols = json_array();
        json_array_foreach(json_object_get(m, "columns"), k, t) {
            const char *cn = json_string_value(json_object_get(t, "name"));
            if (contains_ci(cn, q)) json_array_append_new(cols, json_string(cn));
        }
        if (json_array_size(cols)) json_array_append_new(on, json_string("columns"));
        if (json_array_size(on)) {
            json_t *s = summary(all[i], now);
            json_object_set_new(s, "matched_on", on);
            json_object_set_new(s, "matched_columns", cols);
            json_array_append_new(arr, s);
        } else {
            json_decref(on);
            json_decref(cols);
        }
    }
    lh_dataset_list_free(all, n);
    return lh_resp_json(resp, 200, json_pack("{s:s,s:o}", "q", q, "results", arr));
}

const lh_route lh_routes_catalog[] = {
    {"GET", "/catalog/datasets", get_datasets, NULL, NULL, NULL},
    {"GET", "/catalog/datasets/{name}", get_dataset, NULL, NULL, NULL},
    {"PATCH", "/catalog/datasets/{name}", patch_dataset, NULL, NULL, NULL},
    {"DELETE", "/catalog/datasets/{name}", delete_dataset, NULL, NULL, NULL},
    {"GET", "/catalog/datasets/{name}/versions", get_versions, NULL, NULL, NULL},
    {"POST", "/catalog/datasets/{name}/resync", post_resync, NULL, NULL, NULL},
    {"POST", "/catalog/resync-missing", post_resync_missing, NULL, NULL, NULL},
    {"GET", "/catalog/orphans", get_orphans, NULL, NULL, NULL},
    {"GET", "/catalog/search", get_search, NULL, NULL, NULL},
};
const size_t lh_routes_catalog_n = sizeof lh_routes_catalog / sizeof lh_routes_catalog[0];

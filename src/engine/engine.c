/* engine/engine.c — opening DuckDB and checking it (see engine.h).
 *
 * Only the data-chunk API is used (duckdb_fetch_chunk, vectors, validity);
 * the row-at-a-time value API is compiled out (DUCKDB_API_NO_DEPRECATED).
 * Every result, chunk and config is destroyed on every path.
 */
#include "engine/engine.h"

#include <duckdb.h>
#include <stdint.h>
#include <string.h>

const char *lh_engine_library_version(void)
{
    return duckdb_library_version();
}

/* Settings every engine instance gets before it opens. */
static int offline_config(duckdb_config *cfg, lh_err *err)
{
    if (duckdb_create_config(cfg) == DuckDBError)
        return lh_err_set(err, LH_ENOMEM, "engine_config", "could not create a DuckDB configuration");
    static const char *const settings[][2] = {
        {"autoinstall_known_extensions", "false"},
        {"autoload_known_extensions", "false"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (duckdb_set_config(*cfg, settings[i][0], settings[i][1]) == DuckDBError) {
            duckdb_destroy_config(cfg);
            return lh_err_set(err, LH_EINTERNAL, "engine_config", "DuckDB refused setting %s = %s",
                              settings[i][0], settings[i][1]);
        }
    }
    return 0;
}

int lh_engine_selfcheck(lh_err *err)
{
    const char *v = duckdb_library_version();
    if (strcmp(v, LH_DUCKDB_VERSION) != 0)
        return lh_err_set(err, LH_EINTERNAL, "engine_version_mismatch",
                          "DuckDB library is %s but Lakehouse is built for %s; run scripts/setup.sh to "
                          "fetch the pinned library", v, LH_DUCKDB_VERSION);

    duckdb_config cfg;
    int rc = offline_config(&cfg, err);
    if (rc) return rc;
    duckdb_database db = NULL;
    char *open_err = NULL;
    if (duckdb_open_ext(NULL, &db, cfg, &open_err) == DuckDBError) {
        rc = lh_err_set(err, LH_EINTERNAL, "engine_open", "could not open DuckDB: %s",
                        open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        duckdb_destroy_config(&cfg);
        return rc;
    }
    duckdb_destroy_config(&cfg);

    duckdb_connection con = NULL;
    duckdb_result res;
    int have_res = 0;
    if (duckdb_connect(db, &con) == DuckDBError) {
        rc = lh_err_set(err, LH_EINTERNAL, "engine_open", "could not connect to DuckDB");
        goto out;
    }
    if (duckdb_query(con, "SELECT 42::INTEGER AS answer", &res) == DuckDBError) {
        have_res = 1;
        rc = lh_err_set(err, LH_EINTERNAL, "engine_query", "DuckDB self-check query failed: %s",
                        duckdb_result_error(&res));
        goto out;
    }
    have_res = 1;
    duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
    int32_t got = -1;
    if (chunk && duckdb_data_chunk_get_size(chunk) == 1) {
        duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, 0);
        uint64_t *validity = duckdb_vector_get_validity(vec);
        if (duckdb_validity_row_is_valid(validity, 0)) got = ((int32_t *)duckdb_vector_get_data(vec))[0];
    }
    if (chunk) duckdb_destroy_data_chunk(&chunk);
    if (got != 42)
        rc = lh_err_set(err, LH_EINTERNAL, "engine_selfcheck", "DuckDB self-check returned %d, expected 42", got);
out:
    if (have_res) duckdb_destroy_result(&res);
    if (con) duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

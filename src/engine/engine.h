/* engine/engine.h — the SQL engine (DuckDB), and the only door to it.
 *
 * Nothing outside engine/ includes duckdb.h: the rest of Lakehouse speaks
 * in lh_* types, so the engine can be configured, sandboxed and upgraded in
 * one place. This first slice opens an engine with the settings every
 * instance needs offline (no extension auto-install or auto-load, which
 * would otherwise stall on the network and write into $HOME), verifies the
 * library is the pinned version, and proves it answers a query through
 * the data-chunk API.
 */
#ifndef LH_ENGINE_ENGINE_H
#define LH_ENGINE_ENGINE_H

#include "core/err.h"

#include <stddef.h>

#define LH_DUCKDB_VERSION "v1.4.4"

/* The DuckDB library version string ("v1.4.4"). */
const char *lh_engine_library_version(void);

/* Open an in-memory engine with the offline settings, check the version
 * is LH_DUCKDB_VERSION (LH_EINTERNAL "engine_version_mismatch" if not),
 * and run SELECT 42. */
int lh_engine_selfcheck(lh_err *err);

#endif

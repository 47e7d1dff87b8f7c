/* gateway/routes.h — the route tables, one per area (routes_<area>.c). */
#ifndef LH_GATEWAY_ROUTES_H
#define LH_GATEWAY_ROUTES_H

#include "gateway/http.h"

#include <stddef.h>

extern const lh_route lh_routes_system[];
extern const size_t   lh_routes_system_n;
extern const lh_route lh_routes_storage[];
extern const size_t   lh_routes_storage_n;

extern const lh_route lh_routes_catalog[];
extern const size_t   lh_routes_catalog_n;
extern const lh_route lh_routes_ingest[];
extern const size_t   lh_routes_ingest_n;
extern const lh_route lh_routes_ingest_db[];
extern const size_t   lh_routes_ingest_db_n;
extern const lh_route lh_routes_query[];
extern const size_t   lh_routes_query_n;
extern const lh_route lh_routes_tables[];
extern const size_t   lh_routes_tables_n;
extern const lh_route lh_routes_journal[];
extern const size_t   lh_routes_journal_n;
extern const lh_route lh_routes_jobs[];
extern const size_t   lh_routes_jobs_n;
extern const lh_route lh_routes_vectors[];
extern const size_t   lh_routes_vectors_n;
extern const lh_route lh_routes_ai[];
extern const size_t   lh_routes_ai_n;

#endif

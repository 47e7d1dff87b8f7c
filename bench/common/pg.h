/* bench/common/pg.h — a throwaway PostgreSQL 15 for benchmarks: its own
 * cluster in a directory, a unix socket there and no TCP port, run as the
 * postgres user (initdb refuses root). */
#ifndef LH_BENCH_PG_H
#define LH_BENCH_PG_H

#include <libpq-fe.h>

/* Start a cluster in dir/pg; fills conninfo ("host=… dbname=postgres user=postgres").
 * Returns NULL (and prints why) if PostgreSQL is not installed or fails. */
PGconn *bench_pg_start(const char *dir, char *conninfo, size_t n);
void    bench_pg_stop(PGconn *pg, const char *dir);
/* Run SQL that returns no rows; exits on failure. */
void    bench_pg_exec(PGconn *pg, const char *sql);

#endif

/* bench/common/pg.c — see pg.h. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *pg_bin(void)
{
    const char *b = getenv("LH_PG_BIN");
    return b && *b ? b : "/usr/lib/postgresql/15/bin";
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

PGconn *bench_pg_start(const char *dir, char *conninfo, size_t n)
{
    char cmd[4096], pgdir[200], init[300];
    snprintf(init, sizeof init, "%s/initdb", pg_bin());
    if (access(init, X_OK) != 0) {
        fprintf(stderr, "bench: PostgreSQL 15 not found at %s (scripts/setup.sh installs it)\n", pg_bin());
        return NULL;
    }
    chmod(dir, 0755);
    snprintf(pgdir, sizeof pgdir, "%s/pg", dir);
    mkdir(pgdir, 0700);
    snprintf(cmd, sizeof cmd,
             "chown postgres %s && runuser -u postgres -- %s/initdb -D %s -A trust >/dev/null && "
             "runuser -u postgres -- %s/pg_ctl -D %s -l %s/log -w -o \"-c listen_addresses='' -k %s "
             "-c shared_buffers=1GB -c work_mem=256MB\" start >/dev/null",
             pgdir, pg_bin(), pgdir, pg_bin(), pgdir, pgdir, pgdir);
    if (sh(cmd)) {
        fprintf(stderr, "bench: could not start PostgreSQL in %s\n", pgdir);
        return NULL;
    }
    snprintf(conninfo, n, "host=%s dbname=postgres user=postgres", pgdir);
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "bench: %s\n", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

void bench_pg_stop(PGconn *pg, const char *dir)
{
    char cmd[2048];
    if (pg) PQfinish(pg);
    snprintf(cmd, sizeof cmd, "runuser -u postgres -- %s/pg_ctl -D %s/pg -m fast stop >/dev/null", pg_bin(), dir);
    sh(cmd);
}

void bench_pg_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench: postgres: %s\n", PQerrorMessage(pg));
        exit(1);
    }
    PQclear(r);
}

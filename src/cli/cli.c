/* cli/cli.c — subcommand dispatch, help and version. */
#include "cli/cli.h"
#include "core/config.h"
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#define LH_VERSION "0.1.0"

static const char USAGE[] =
    "Lakehouse — S3-compatible object storage as a governed analytics and AI platform.\n"
    "\n"
    "usage: lakehouse <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve            run the HTTP gateway (default 127.0.0.1:3100, data in ./data)\n"
    "  config check     validate the configuration and print the effective values\n"
    "  config defaults  print a lakehouse.toml documenting every key and its default\n"
    "  ingest FILE      load a CSV/TSV/JSON/NDJSON/Parquet file into a dataset\n"
    "  ingest-db        pull a PostgreSQL table or query into a dataset\n"
    "  sql \"SELECT…\"    run a read-only SQL statement over the datasets\n"
    "  search IDX \"…\"   search a text index by meaning\n"
    "  demo             generate and load the staffing demo data\n"
    "  version          print the version of lakehouse and its SQL engine\n"
    "  help             print this help\n"
    "\n"
    "Every command takes --help. Configuration: ./lakehouse.toml (or --config FILE),\n"
    "overridden by LAKEHOUSE_<SECTION>_<KEY> environment variables, overridden by flags.\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 invalid configuration\n";

static int cmd_version(void)
{
    printf("lakehouse %s (duckdb %s)\n", LH_VERSION, lh_engine_library_version());
    return LH_EXIT_OK;
}

int lh_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return LH_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(USAGE, stdout);
        return LH_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            puts("usage: lakehouse version\n\nPrint the version of lakehouse and of the DuckDB library it runs.");
            return LH_EXIT_OK;
        }
        return cmd_version();
    }
    if (!strcmp(cmd, "serve")) return lh_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "config")) return lh_cmd_config(argc - 1, argv + 1);
    if (!strcmp(cmd, "ingest")) return lh_cmd_ingest(argc - 1, argv + 1);
    if (!strcmp(cmd, "ingest-db")) return lh_cmd_ingest_db(argc - 1, argv + 1);
    if (!strcmp(cmd, "sql")) return lh_cmd_sql(argc - 1, argv + 1);
    if (!strcmp(cmd, "search")) return lh_cmd_search(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo")) return lh_cmd_demo(argc - 1, argv + 1);
    fprintf(stderr, "lakehouse: unknown command \"%s\"; run `lakehouse help`\n", cmd);
    return LH_EXIT_USAGE;
}

const char *lh_cli_version(void);
const char *lh_cli_version(void) { return LH_VERSION; }

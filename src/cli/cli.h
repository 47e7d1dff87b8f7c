/* cli/cli.h — the `lakehouse` command line.
 *
 * One binary is server and client (ADR-007): `lakehouse serve` runs the
 * gateway; the other subcommands inspect configuration or (later) talk to a
 * running server. Exit codes are a stable interface for scripts:
 *   0  success
 *   1  runtime failure (cannot listen, bucket unusable, engine check failed)
 *   2  usage error (unknown subcommand or flag, missing argument)
 *   3  invalid configuration (file, environment or flags)
 */
#ifndef LH_CLI_CLI_H
#define LH_CLI_CLI_H

#define LH_EXIT_OK      0
#define LH_EXIT_RUNTIME 1
#define LH_EXIT_USAGE   2
#define LH_EXIT_CONFIG  3

int lh_cli_main(int argc, char **argv);

/* Subcommands (cmd_*.c). argv[0] is the subcommand name. */
int lh_cmd_serve(int argc, char **argv);
int lh_cmd_config(int argc, char **argv);
int lh_cmd_ingest(int argc, char **argv);
int lh_cmd_sql(int argc, char **argv);
int lh_cmd_search(int argc, char **argv);
int lh_cmd_ingest_db(int argc, char **argv);
int lh_cmd_demo(int argc, char **argv);

/* Shared by subcommands: load configuration from --config (or the default
 * search), apply the common flags, validate. Prints the error and returns
 * an exit code on failure. */
typedef struct lh_config lh_config;
typedef struct lh_cli_flags {
    const char *config;
    const char *host;
    const char *port;
    const char *data_dir;
} lh_cli_flags;
int lh_cli_load_config(const lh_cli_flags *f, lh_config **out);

/* Parse the common flags (--config, --host, --port, --data-dir, --help).
 * Returns -1 to go on, or the exit code to return now (help printed:
 * LH_EXIT_OK; bad flag or stray argument: LH_EXIT_USAGE). */
int lh_cli_parse_flags(int argc, char **argv, const char *usage, lh_cli_flags *f);

#endif

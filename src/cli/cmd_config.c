/* cli/cmd_config.c — `lakehouse config check|defaults`.
 *
 * `check` loads the configuration exactly as `serve` would (file, then
 * environment, then flags), validates it, resolves every secret_ref, and
 * prints the effective values with their sources. Secret values are never
 * printed: only the fields a ref defines, as ***.
 */
#include "cli/cli.h"
#include "core/config.h"
#include "storage/secrets.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "usage: lakehouse config check [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR]\n"
    "       lakehouse config defaults\n"
    "\n"
    "check     validate the configuration as `serve` would load it and print the effective\n"
    "          values, each with its source (default, file, env, flag); secrets show as ***.\n"
    "          Exit 0 if valid, 3 if not (with file:line:col of the problem).\n"
    "defaults  print a lakehouse.toml documenting every key with its default.\n";

static int check(int argc, char **argv)
{
    lh_cli_flags f;
    int rc = lh_cli_parse_flags(argc, argv, USAGE, &f);
    if (rc >= 0) return rc;

    lh_config *cfg;
    rc = lh_cli_load_config(&f, &cfg);
    if (rc) return rc;

    lh_buf out = LH_BUF_INIT;
    lh_config_dump(cfg, &out);
    int need_secrets = 0;
    for (size_t i = 0; i < cfg->n_buckets; i++) need_secrets |= cfg->buckets[i].secret_ref[0] != '\0';
    if (need_secrets) {
        lh_secrets *sec;
        lh_err e;
        if (lh_secrets_open(cfg->storage_secrets_file, &sec, &e)) {
            fprintf(stderr, "lakehouse: %s\n", e.msg);
            lh_buf_free(&out);
            lh_config_free(cfg);
            return LH_EXIT_CONFIG;
        }
        lh_buf_printf(&out, "\n# secrets (%s; values hidden)\n", cfg->storage_secrets_file);
        for (size_t i = 0; i < cfg->n_buckets; i++) {
            const char *ref = cfg->buckets[i].secret_ref;
            if (!ref[0]) continue;
            if (!lh_secrets_has(sec, ref)) {
                fprintf(stderr, "lakehouse: bucket \"%s\" names secret_ref \"%s\", which %s does not define\n",
                        cfg->buckets[i].name, ref, cfg->storage_secrets_file);
                lh_secrets_free(sec);
                lh_buf_free(&out);
                lh_config_free(cfg);
                return LH_EXIT_CONFIG;
            }
            const char *names[16];
            size_t n = lh_secrets_fields(sec, ref, names, 16);
            lh_buf_printf(&out, "# [%s]", ref);
            for (size_t k = 0; k < n; k++) lh_buf_printf(&out, " %s = %s", names[k], LH_SECRET_REDACTED);
            lh_buf_putc(&out, '\n');
        }
        lh_secrets_free(sec);
    }
    fwrite(out.data, 1, out.len, stdout);
    lh_buf_free(&out);
    lh_config_free(cfg);
    return LH_EXIT_OK;
}

int lh_cmd_config(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? LH_EXIT_USAGE : LH_EXIT_OK;
    }
    if (!strcmp(argv[1], "check")) return check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "defaults")) {
        if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            fputs(USAGE, stdout);
            return LH_EXIT_OK;
        }
        lh_buf out = LH_BUF_INIT;
        lh_config_defaults_toml(&out);
        fwrite(out.data, 1, out.len, stdout);
        lh_buf_free(&out);
        return LH_EXIT_OK;
    }
    fprintf(stderr, "lakehouse config: unknown subcommand \"%s\"\n%s", argv[1], USAGE);
    return LH_EXIT_USAGE;
}

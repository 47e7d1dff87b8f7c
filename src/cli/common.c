/* cli/common.c — configuration loading shared by subcommands. */
#include "cli/cli.h"
#include "core/config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int lh_cli_load_config(const lh_cli_flags *f, lh_config **out)
{
    lh_config *cfg = NULL;
    lh_err e;
    if (lh_config_load(f->config, &cfg, &e)) {
        fprintf(stderr, "lakehouse: %s\n", e.msg);
        return LH_EXIT_CONFIG;
    }
    struct { const char *key, *val; } flags[] = {
        {"server.host", f->host}, {"server.port", f->port}, {"buckets.primary.root", f->data_dir},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!flags[i].val) continue;
        if (lh_config_set(cfg, flags[i].key, flags[i].val, LH_SRC_FLAG, &e)) {
            fprintf(stderr, "lakehouse: %s\n", e.msg);
            lh_config_free(cfg);
            return LH_EXIT_CONFIG;
        }
    }
    if (f->data_dir) {
        const lh_bucket_cfg *p = lh_config_bucket(cfg, "primary");
        if (p && strcmp(p->backend, "local") != 0) {
            fprintf(stderr, "lakehouse: --data-dir sets the primary bucket's root, but the primary bucket's "
                            "backend is \"%s\", not \"local\"\n", p->backend);
            lh_config_free(cfg);
            return LH_EXIT_CONFIG;
        }
    }
    if (lh_config_validate(cfg, &e)) {
        fprintf(stderr, "lakehouse: %s\n", e.msg);
        lh_config_free(cfg);
        return LH_EXIT_CONFIG;
    }
    *out = cfg;
    return LH_EXIT_OK;
}

int lh_cli_parse_flags(int argc, char **argv, const char *usage, lh_cli_flags *f)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},   {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    memset(f, 0, sizeof *f);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': f->config = optarg; break;
        case 'H': f->host = optarg; break;
        case 'p': f->port = optarg; break;
        case 'd': f->data_dir = optarg; break;
        case 'h': fputs(usage, stdout); return LH_EXIT_OK;
        default: fputs(usage, stderr); return LH_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lakehouse %s: unexpected argument \"%s\"\n%s", argv[0], argv[optind], usage);
        return LH_EXIT_USAGE;
    }
    return -1;
}

/* cli/common.c — configuration loading shared by subcommands. */
#include "cli/cli.h"
#include "core/config.h"

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

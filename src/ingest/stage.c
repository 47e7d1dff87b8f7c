/* ingest/stage.c — staging an upload to a local file, hashing as it goes.
 *
 * The file lives in the scratch directory; the lineage records the
 * upload's sha256 and size, computed in the same pass as the write so a
 * large body is read once.
 */
#include "ingest/ingest.h"
#include "core/id.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lh_stage {
    char       *path;
    int         fd;
    EVP_MD_CTX *md;
    uint64_t    bytes;
};

int lh_stage_open(const char *dir, const char *suffix, lh_stage **out, lh_err *err)
{
    *out = NULL;
    char id[LH_UUID_STRLEN];
    lh_uuid4(id);
    lh_buf p = LH_BUF_INIT;
    lh_buf_printf(&p, "%s/upload-%s%s", dir, id, suffix ? suffix : "");
    int fd = open(p.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int rc = lh_err_set(err, LH_EIO, "staging_failed", "cannot create staging file %s: %s", p.data, strerror(errno));
        lh_buf_free(&p);
        return rc;
    }
    lh_stage *s = lh_xcalloc(1, sizeof *s);
    s->path = lh_buf_detach(&p);
    s->fd = fd;
    s->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
    *out = s;
    return 0;
}

int lh_stage_write(lh_stage *s, const void *data, size_t n, lh_err *err)
{
    const char *p = data;
    EVP_DigestUpdate(s->md, data, n);
    while (n > 0) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            return lh_err_set(err, errno == ENOSPC ? LH_EUNAVAIL : LH_EIO, "staging_failed",
                              "writing staging file %s: %s", s->path, strerror(errno));
        p += w;
        n -= (size_t)w;
        s->bytes += (uint64_t)w;
    }
    return 0;
}

int lh_stage_finish(lh_stage *s, char sha256_hex[65], uint64_t *bytes, lh_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(s->md, md, &len);
    for (unsigned i = 0; i < len && i < 32; i++) snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
    sha256_hex[64] = '\0';
    *bytes = s->bytes;
    if (s->fd >= 0 && close(s->fd) != 0) {
        s->fd = -1;
        return lh_err_set(err, LH_EIO, "staging_failed", "closing staging file %s: %s", s->path, strerror(errno));
    }
    s->fd = -1;
    return 0;
}

const char *lh_stage_path(const lh_stage *s) { return s->path; }

void lh_stage_free(lh_stage *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    unlink(s->path);
    EVP_MD_CTX_free(s->md);
    free(s->path);
    free(s);
}

int lh_file_sha256(const char *path, char sha256_hex[65], uint64_t *bytes, lh_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lh_err_set(err, LH_ENOTFOUND, "file_not_found", "cannot open %s: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    size_t cap = 1 << 20;
    char *buf = lh_xmalloc(cap);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { rc = lh_err_set(err, LH_EIO, "io_error", "reading %s: %s", path, strerror(errno)); break; }
        if (n == 0) break;
        EVP_DigestUpdate(md, buf, (size_t)n);
        total += (uint64_t)n;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, d, &len);
    for (unsigned i = 0; i < len && i < 32; i++) snprintf(sha256_hex + 2 * i, 3, "%02x", d[i]);
    sha256_hex[64] = '\0';
    *bytes = total;
    EVP_MD_CTX_free(md);
    free(buf);
    close(fd);
    return rc;
}

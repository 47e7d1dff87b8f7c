/* storage/secrets.c — the file secrets provider (see secrets.h). */
#include "storage/secrets.h"
#include "core/buf.h"
#include "core/toml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct lh_secrets {
    lh_toml_value *root;  /* NULL for the empty provider */
};

lh_secrets *lh_secrets_empty(void)
{
    return lh_xcalloc(1, sizeof(lh_secrets));
}

int lh_secrets_open(const char *path, lh_secrets **out, lh_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return lh_err_set(err, LH_ENOTFOUND, "secrets_file_missing",
                              "secrets file %s does not exist; create it (mode 0600) with a [NAME] section "
                              "per secret_ref, or set storage.secrets_file", path);
        return lh_err_set(err, LH_EIO, "secrets_file_unreadable", "secrets file %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return lh_err_set(err, LH_EINVAL, "secrets_invalid", "secrets file %s is not a regular file", path);
    if (st.st_mode & 077)
        return lh_err_set(err, LH_EPERM, "secrets_file_mode",
                          "secrets file %s has mode %04o: it must be readable by its owner only; "
                          "run: chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
    lh_toml_value *root = NULL;
    int rc = lh_toml_parse_file(path, &root, err);
    if (rc) {
        if (err) snprintf(err->code, sizeof err->code, "secrets_invalid");
        return rc;
    }
    for (size_t i = 0; i < root->u.tab.n; i++) {
        const lh_toml_entry *e = &root->u.tab.entries[i];
        if (e->value->type != LH_TOML_TABLE) {
            lh_toml_free(root);
            return lh_err_set(err, LH_EINVAL, "secrets_invalid",
                              "%s:%d:%d: \"%s\" must be a [section] of string fields", path, e->line, e->col, e->key);
        }
        for (size_t j = 0; j < e->value->u.tab.n; j++) {
            const lh_toml_entry *f = &e->value->u.tab.entries[j];
            if (f->value->type != LH_TOML_STRING) {
                /* Name the field, never its value. */
                int line = f->line, col = f->col;
                char key[128], field[128];
                snprintf(key, sizeof key, "%s", e->key);
                snprintf(field, sizeof field, "%s", f->key);
                lh_toml_free(root);
                return lh_err_set(err, LH_EINVAL, "secrets_invalid", "%s:%d:%d: %s.%s must be a string",
                                  path, line, col, key, field);
            }
        }
    }
    lh_secrets *s = lh_xcalloc(1, sizeof *s);
    s->root = root;
    *out = s;
    return 0;
}

void lh_secrets_free(lh_secrets *s)
{
    if (!s) return;
    lh_toml_free(s->root);
    free(s);
}

int lh_secrets_has(const lh_secrets *s, const char *ref)
{
    return s->root && lh_toml_get(s->root, ref) != NULL;
}

const char *lh_secrets_get(const lh_secrets *s, const char *ref, const char *field)
{
    if (!s->root) return NULL;
    const lh_toml_value *sec = lh_toml_get(s->root, ref);
    const lh_toml_value *v = sec ? lh_toml_get(sec, field) : NULL;
    return v && v->type == LH_TOML_STRING ? v->u.str.s : NULL;
}

size_t lh_secrets_fields(const lh_secrets *s, const char *ref, const char **names, size_t max)
{
    if (!s->root) return 0;
    const lh_toml_value *sec = lh_toml_get(s->root, ref);
    if (!sec) return 0;
    size_t n = 0;
    for (size_t i = 0; i < sec->u.tab.n && n < max; i++) names[n++] = sec->u.tab.entries[i].key;
    return n;
}

/* core/buf.h — a growable byte buffer.
 *
 * The one way this codebase builds strings and bodies of unknown length.
 * data is always NUL-terminated (not counted in len) so it can be handed to
 * string functions. Allocation failure aborts: an out-of-memory process
 * cannot do anything useful for its caller, and checking every append would
 * bury the logic (the same choice Redis makes for its sds strings).
 */
#ifndef LH_CORE_BUF_H
#define LH_CORE_BUF_H

#include <stddef.h>

typedef struct lh_buf {
    char  *data;
    size_t len;
    size_t cap;
} lh_buf;

#define LH_BUF_INIT {NULL, 0, 0}

void  lh_buf_reserve(lh_buf *b, size_t extra);
void  lh_buf_append(lh_buf *b, const void *p, size_t n);
void  lh_buf_puts(lh_buf *b, const char *s);
void  lh_buf_putc(lh_buf *b, char c);
void  lh_buf_printf(lh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void  lh_buf_reset(lh_buf *b);        /* len = 0, keeps the allocation */
void  lh_buf_free(lh_buf *b);         /* releases; b is reusable after */
char *lh_buf_detach(lh_buf *b);       /* caller owns the returned string */

/* Allocation helpers that abort on out-of-memory (see above). */
void *lh_xmalloc(size_t n);
void *lh_xcalloc(size_t n, size_t size);
void *lh_xrealloc(void *p, size_t n);
char *lh_xstrdup(const char *s);
char *lh_xstrndup(const char *s, size_t n);

#endif

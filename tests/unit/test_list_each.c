/* Unit tests: lh_objstore_list_each walks every page, in order, and stops
 * when its callback says so. */
#include "testing.h"
#include "storage/objstore.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct seen {
    char   keys[16][32];
    size_t n, pages, stop_after;
} seen;

static int collect(void *ctx, const lh_list *page)
{
    seen *s = ctx;
    s->pages++;
    for (size_t i = 0; i < page->n_objects && s->n < 16; i++) snprintf(s->keys[s->n++], 32, "%s", page->objects[i].key);
    return s->stop_after && s->pages >= s->stop_after ? 42 : 0;
}

static void test_pages(void)
{
    char dir[] = "/tmp/lh-test-listeach-XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    lh_objstore *s;
    lh_err e;
    CHECK_INT(lh_objstore_local_new("t", dir, &s, &e), 0);
    const char *keys[] = {"a/1", "a/2", "a/3", "a/4", "a/5", "b/1"};
    for (size_t i = 0; i < 6; i++) CHECK_INT(lh_objstore_put(s, keys[i], "x", 1, 0, NULL, &e), 0);
    lh_list_opts o = {.prefix = "a/", .max_keys = 2, .cursor = "ignored"};
    seen all = {0};
    CHECK_INT(lh_objstore_list_each(s, &o, collect, &all, &e), 0);
    CHECK_INT(all.n, 5);
    CHECK_INT(all.pages, 3);
    for (size_t i = 0; i < all.n; i++) CHECK_STR(all.keys[i], keys[i]);
    seen some = {.stop_after = 2};
    CHECK_INT(lh_objstore_list_each(s, &o, collect, &some, &e), 42);
    CHECK_INT(some.n, 4);
    lh_objstore_free(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
}

int main(void)
{
    RUN(test_pages);
    return TEST_SUMMARY();
}

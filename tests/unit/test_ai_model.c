/* tests/unit/test_ai_model.c — the built-in USE-lite model: tokenizer quirks,
 * batching, truncation, threads, bad input.
 *
 * The model files come from scripts/setup.sh (third_party/use-lite, or
 * LH_MODEL_DIR). The quirk cases below are ids the model's own JavaScript
 * library (@energetic-ai/embeddings 0.2.0) printed for them; the shared
 * reference files are checked by test_ai_reference.c.
 */
#include "ai/ai.h"

#include "testing.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static lh_embed_model *model;

static int ids_equal(const char *text, const int32_t *want, size_t n_want)
{
    int32_t ids[LH_USE_MAX_TOKENS];
    size_t n = 0;
    lh_err err = {0};
    if (lh_embed_tokenize(model, text, ids, &n, &err) != 0) {
        fprintf(stderr, "tokenize failed: %s\n", err.msg);
        return 0;
    }
    if (n != n_want || (n && memcmp(ids, want, n * sizeof *ids) != 0)) {
        fprintf(stderr, "ids for \"%s\":", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

static void test_tokenizer_quirks(void)
{
    /* null scores count as 0, ":30" scores +30 */
    CHECK(ids_equal("a:b", (int32_t[]){11, 57, 151}, 3));
    CHECK(ids_equal("meet at 10:30", (int32_t[]){1333, 38, 320, 4177}, 4));
    CHECK(ids_equal("http://x.org :) :-(", (int32_t[]){290, 255, 152, 6, 1649, 658, 604, 24, 234}, 9));
    /* a duplicated piece takes its last id */
    CHECK(ids_equal("\xe2\x80\x9d" "5 \xe2\x80\x9d" "5x", (int32_t[]){30, 4464, 30, 4464, 152}, 5));
    /* tabs are unknown, not spaces; NBSP is a space after NFKC */
    CHECK(ids_equal("x\ty", (int32_t[]){649, 0, 48}, 3));
    CHECK(ids_equal("\xc2\xa0nbsp", (int32_t[]){30, 1107, 1436, 157}, 4));
    CHECK(ids_equal(" ", (int32_t[]){30, 30}, 2));
    CHECK(ids_equal("", NULL, 0));
    /* NFKC expands the ligature; astral math letters fold to ASCII */
    CHECK(ids_equal("\xef\xb7\xba", (int32_t[]){30, 0, 7952, 0, 30, 7940, 7952, 7952, 0, 30, 0, 7952, 7991, 0,
                                               30, 7994, 0, 7952, 7982}, 19));
    CHECK(ids_equal("\xf0\x9d\x94\x98\xf0\x9d\x94\xab\xf0\x9d\x94\xa6\xf0\x9d\x94\xa0\xf0\x9d\x94\xac\xf0\x9d\x94"
                    "\xa1\xf0\x9d\x94\xa2", (int32_t[]){4302, 6451}, 2));
    /* long text: the first 128 ids */
    char a300[301];
    memset(a300, 'A', 300);
    a300[300] = '\0';
    int32_t want[128];
    want[0] = 74;
    for (int i = 1; i < 128; i++) want[i] = 2969;
    CHECK(ids_equal(a300, want, 128));
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

static double norm(const float *v)
{
    double s = 0;
    for (int i = 0; i < 512; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Packing many texts into one batch must not change any of them. */
static void test_batch_invariance(void)
{
    static char long1[4000], long2[4000];
    strcpy(long1, "");
    for (int i = 0; i < 200; i++) strcat(long1, i % 3 ? "word " : "candidate ");
    strcpy(long2, long1);
    strcat(long1, "alpha beta gamma");   /* differs only past token 128 */
    strcat(long2, "completely different ending");
    const char *texts[] = {"the fox jumped over the lazy dog", "", "lorem ipsum", long1, "Chicago nurse, 5 years",
                           long2, "a", "résumé of a welder"};
    size_t n = sizeof texts / sizeof *texts;
    float *all = calloc(n * 512, sizeof(float)), *one = calloc(512, sizeof(float));
    lh_err err = {0};
    CHECK_INT(lh_embed_texts(model, texts, n, all, &err), 0);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(lh_embed_texts(model, &texts[i], 1, one, &err), 0);
        double d = max_diff(all + i * 512, one, 512);
        if (d > worst) worst = d;
        CHECK_MSG(fabs(norm(one) - 1.0) < 1e-5, "text %zu norm %f", i, norm(one));
    }
    CHECK_MSG(worst < 1e-6, "batched vs single max |diff| %.3g", worst);
    /* truncation: the two long texts share their first 128 tokens */
    CHECK(max_diff(all + 3 * 512, all + 5 * 512, 512) < 1e-6);
    /* the empty text has a vector of its own, not a copy of a neighbour */
    CHECK(max_diff(all + 1 * 512, all + 0 * 512, 512) > 1e-3);
    CHECK(max_diff(all + 1 * 512, all + 2 * 512, 512) > 1e-3);
    free(all);
    free(one);
}

static void test_many_texts_threads_and_batches(void)
{
    /* Enough texts for several batches on every thread. */
    size_t n = 700;
    char (*buf)[64] = calloc(n, 64);
    const char **texts = calloc(n, sizeof *texts);
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], 64, "text number %zu about %s", i, i % 2 ? "nursing in Chicago" : "welding");
        texts[i] = buf[i];
    }
    float *all = calloc(n * 512, sizeof(float)), one[512];
    lh_err err = {0};
    CHECK_INT(lh_embed_texts(model, texts, n, all, &err), 0);
    double worst = 0;
    for (size_t i = 0; i < n; i += 97) {
        CHECK_INT(lh_embed_texts(model, &texts[i], 1, one, &err), 0);
        double d = max_diff(all + i * 512, one, 512);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-6, "max |diff| %.3g", worst);
    free(buf);
    free(texts);
    free(all);
}

typedef struct par { const char *const *texts; size_t n; float *out; int rc; } par;

static void *par_run(void *a)
{
    par *p = a;
    p->rc = lh_embed_texts(model, p->texts, p->n, p->out, NULL);
    return NULL;
}

static void test_concurrent_callers(void)
{
    const char *texts[] = {"registered nurse", "forklift operator", "java developer", "", "accountant"};
    size_t n = 5;
    float ref[5 * 512], out[4][5 * 512];
    CHECK_INT(lh_embed_texts(model, texts, n, ref, NULL), 0);
    pthread_t t[4];
    par ps[4];
    for (int i = 0; i < 4; i++) {
        ps[i] = (par){texts, n, out[i], -1};
        pthread_create(&t[i], NULL, par_run, &ps[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(ps[i].rc, 0);
        CHECK(max_diff(out[i], ref, n * 512) < 1e-6);
    }
}

static void test_invalid_utf8(void)
{
    const char *texts[] = {"fine", "bad \xff byte", "also fine"};
    float out[3 * 512];
    lh_err err = {0};
    CHECK_INT(lh_embed_texts(model, texts, 3, out, &err), LH_EINVAL);
    CHECK_STR(err.code, "invalid_utf8");
    CHECK_MSG(strstr(err.msg, "texts[1]") && strstr(err.msg, "byte 4"), "%s", err.msg);
    /* overlong and surrogate encodings are refused too */
    const char *bad[] = {"\xc0\xaf", "\xed\xa0\x80", "trunc \xe2\x82"};
    for (int i = 0; i < 3; i++) {
        lh_err e = {0};
        CHECK_INT(lh_embed_texts(model, &bad[i], 1, out, &e), LH_EINVAL);
        CHECK_STR(e.code, "invalid_utf8");
    }
    int32_t ids[128];
    size_t nid;
    CHECK_INT(lh_embed_tokenize(model, "\xff", ids, &nid, &err), LH_EINVAL);
    CHECK_INT(lh_embed_texts(model, texts, 0, out, &err), 0);  /* nothing to do is fine */
}

static void test_missing_model(void)
{
    lh_embed_model *m = NULL;
    lh_err err = {0};
    CHECK_INT(lh_embed_model_open("/nonexistent/use-lite", 1, &m, &err), LH_EUNAVAIL);
    CHECK(m == NULL);
    CHECK_STR(err.code, "model_missing");
    CHECK_MSG(strstr(err.msg, "scripts/setup.sh") && strstr(err.msg, "ai.model_dir"), "%s", err.msg);
}

static void test_accessors(void)
{
    CHECK_STR(lh_embed_model_name(model), "use-lite");
    CHECK_STR(lh_embed_model_version(model), "0.2.0");
    CHECK_INT(lh_embed_model_dims(model), 512);
    /* 10 tokens: the dense layers dominate, ~9.3 MFLOP per token */
    double f = lh_embed_flops(10);
    CHECK(f > 9.3e7 && f < 9.4e7);
}

int main(void)
{
    char dir[4096];
    const char *md = getenv("LH_MODEL_DIR"), *src = getenv("LH_SOURCE_DIR");
    if (md && *md) snprintf(dir, sizeof dir, "%s", md);
    else snprintf(dir, sizeof dir, "%s/third_party/use-lite", src && *src ? src : ".");
    lh_err err = {0};
    if (lh_embed_model_open(dir, 2, &model, &err) != 0) {
        fprintf(stderr, "cannot open the model: %s\n", err.msg);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_accessors);
    RUN(test_tokenizer_quirks);
    RUN(test_batch_invariance);
    RUN(test_many_texts_threads_and_batches);
    RUN(test_concurrent_callers);
    RUN(test_invalid_utf8);
    RUN(test_missing_model);
    lh_embed_model_free(model);
    return TEST_SUMMARY();
}

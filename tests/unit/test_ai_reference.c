/* tests/unit/test_ai_reference.c — the built-in model against the shared references.
 *
 * ../shared/reference/use-lite (LH_SHARED_DIR) holds what the model's own
 * JavaScript library produces: token ids for tricky sentences (accents,
 * ligatures, emoji, CJK, tabs, the empty string) and 512-d vectors. Our
 * tokenizer must give the same ids exactly and our forward pass the same
 * vectors within 1e-5. Without the shared folder the test says so and exits
 * 77 (skipped).
 */
#include "ai/ai.h"

#include "testing.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static lh_embed_model *model;
static char shared_dir[4096];

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

static void test_tokenizer_reference(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/reference/use-lite/tokenizer_sentences.json", shared_dir);
    json_t *sents = json_load_file(p, 0, NULL);
    snprintf(p, sizeof p, "%s/reference/use-lite/tokenizer_expected_ids.txt", shared_dir);
    FILE *f = fopen(p, "r");
    CHECK(sents && f);
    if (!sents || !f) return;
    char line[65536];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *want = json_loads(line, 0, NULL);
        CHECK(json_is_array(want));
        int32_t w[4096];
        size_t nw = json_array_size(want);
        for (size_t k = 0; k < nw && k < 4096; k++) w[k] = (int32_t)json_integer_value(json_array_get(want, k));
        if (nw > LH_USE_MAX_TOKENS) nw = LH_USE_MAX_TOKENS;
        const char *s = json_string_value(json_array_get(sents, i));
        CHECK_MSG(s && ids_equal(s, w, nw), "sentence %zu", i);
        json_decref(want);
        i++;
    }
    CHECK_INT(i, json_array_size(sents));
    CHECK(i >= 10);
    fclose(f);
    json_decref(sents);
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

static void test_reference_vectors(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/reference/use-lite/reference_vectors.json", shared_dir);
    json_t *ref = json_load_file(p, 0, NULL);
    CHECK(ref);
    if (!ref) return;
    json_t *sents = json_object_get(ref, "sents"), *emb = json_object_get(ref, "emb");
    size_t n = json_array_size(sents);
    CHECK(n >= 2 && json_array_size(emb) == n);
    const char *texts[16];
    for (size_t i = 0; i < n && i < 16; i++) texts[i] = json_string_value(json_array_get(sents, i));
    float *out = calloc(n * 512, sizeof(float));
    lh_err err = {0};
    CHECK_INT(lh_embed_texts(model, texts, n, out, &err), 0);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(emb, i);
        CHECK_INT(json_array_size(v), 512);
        float want[512];
        for (size_t k = 0; k < 512; k++) want[k] = (float)json_number_value(json_array_get(v, k));
        double d = max_diff(out + i * 512, want, 512);
        if (d > worst) worst = d;
        /* the ids the reference used are ours too */
        json_t *jids = json_array_get(json_object_get(ref, "ids"), i);
        int32_t wids[128];
        size_t nw = json_array_size(jids);
        for (size_t k = 0; k < nw && k < 128; k++) wids[k] = (int32_t)json_integer_value(json_array_get(jids, k));
        CHECK(ids_equal(texts[i], wids, nw));
    }
    printf("reference vectors: max |diff| = %.3g over %zu texts\n", worst, n);
    CHECK_MSG(worst <= 1e-5, "max |diff| %.3g > 1e-5", worst);
    free(out);
    json_decref(ref);
}

int main(void)
{
    const char *sh = getenv("LH_SHARED_DIR");
    snprintf(shared_dir, sizeof shared_dir, "%s", sh && *sh ? sh : "../shared");
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/reference/use-lite/reference_vectors.json", shared_dir);
    if (stat(p, &st) != 0) {
        printf("skip: %s is absent (the shared reference files are not here)\n", p);
        return 77;
    }
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
    RUN(test_tokenizer_reference);
    RUN(test_reference_vectors);
    lh_embed_model_free(model);
    return TEST_SUMMARY();
}

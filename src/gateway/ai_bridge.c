/* gateway/ai_bridge.c — what joins the vector index service and the AI
 * service, which sit side by side in layer 5 and so cannot call each
 * other: an embedder for text indexes built on the AI profiles. */
#include "gateway/ai_bridge.h"

#include <stdio.h>

static int describe(void *ctx, const char *profile, char *model, size_t model_sz, char *version, size_t version_sz,
                    int *dims, lh_err *err)
{
    lh_ai *ai = ctx;
    const lh_ai_profile *p = lh_ai_profile_find(ai, profile, err);
    if (!p) return err->status;
    /* no readiness probe here: it would cost an Ollama round trip on every
     * text search, and embed reports an unreachable provider itself */
    snprintf(model, model_sz, "%s", p->model);
    snprintf(version, version_sz, "%s", p->version ? p->version : "");
    *dims = p->dims;
    return 0;
}

static int embed(void *ctx, const char *profile, const char *const *texts, size_t n, float *out, lh_err *err)
{
    lh_ai *ai = ctx;
    const lh_ai_profile *p = lh_ai_profile_find(ai, profile, err);
    if (!p) return err->status;
    return lh_ai_embed(ai, p, texts, n, out, err);
}

lh_vembedder lh_ai_bridge_embedder(lh_ai *ai)
{
    return (lh_vembedder){.ctx = ai, .describe = describe, .embed = embed};
}

/* The vector index service as RAG's retriever: search by question text,
 * keep what a citation needs. ctx is the index service. */
static int retrieve(void *ctx, const char *index, const char *question, int k, const char *filter, json_t **passages,
                    lh_err *err)
{
    lh_vectors *v = ctx;
    *passages = NULL;
    json_t *doc = NULL, *res = NULL;
    int rc = lh_vectors_get(v, index, &doc, err);
    lh_vsearch q = {.query = question, .k = k, .filter = filter, .rows = 0};
    if (!rc) rc = lh_vectors_search(v, index, &q, &res, err);
    if (!rc) {
        json_t *out = json_array(), *h;
        size_t i;
        json_array_foreach(json_object_get(res, "results"), i, h) {
            json_t *p = json_pack("{s:O,s:O?,s:O?,s:O,s:O?,s:O}", "id", json_object_get(h, "id"), "chunk_id",
                                  json_object_get(h, "chunk_id"), "text", json_object_get(h, "chunk_text"), "score",
                                  json_object_get(h, "score"), "dataset", json_object_get(doc, "dataset"),
                                  "generation", json_object_get(res, "generation"));
            json_array_append_new(out, p);
        }
        *passages = out;
    }
    json_decref(doc);
    json_decref(res);
    return rc;
}

lh_ai_retriever lh_ai_bridge_retriever(void) { return retrieve; }

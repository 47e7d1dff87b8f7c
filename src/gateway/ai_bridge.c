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
    int rc = lh_ai_profile_ready(ai, p, err);
    if (rc) return rc;
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

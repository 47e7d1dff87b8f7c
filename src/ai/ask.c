/* ai/ask.c — questions answered from the platform's own data (RAG).
 *
 * Retrieve the k passages nearest the question (through the caller's
 * retriever: the vector index service), number them, and when a generation
 * model is configured ask it to answer from those passages only, citing
 * them as [n]. Every passage is returned with its citation (dataset, doc
 * id, chunk) whether or not an answer was generated, so a caller without
 * a generator — or whose generator is down — still gets the evidence.
 */
#include "ai/ai.h"
#include "ai/ollama_internal.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

static const char SYSTEM[] =
    "You answer questions for the staff of a staffing agency using only the numbered passages you are given. "
    "Cite the passages you use as [1], [2], ... If the passages do not contain the answer, say that you do not "
    "know. Be brief.";

int lh_ai_ask(lh_ai *ai, const lh_ai_ask_req *req, lh_ai_retriever retrieve, void *ctx, json_t **out, lh_err *err)
{
    *out = NULL;
    if (!req->question || !*req->question)
        return lh_err_set(err, LH_EINVAL, "missing_parameter", "question is required");
    if (req->k < 1 || req->k > 50) return lh_err_set(err, LH_EINVAL, "invalid_parameter", "k must be 1..50");
    json_t *passages = NULL;
    int rc = retrieve(ctx, req->index, req->question, req->k, req->filter, &passages, err);
    if (rc) return rc;
    lh_buf prompt = LH_BUF_INIT;
    size_t i;
    json_t *p;
    json_array_foreach(passages, i, p) {
        json_object_set_new(p, "n", json_integer((json_int_t)i + 1));
        lh_buf_printf(&prompt, "[%zu] (%s, id %s) %s\n\n", i + 1,
                      json_string_value(json_object_get(p, "dataset")) ?: "vectors",
                      json_string_value(json_object_get(p, "id")) ?: "?",
                      json_string_value(json_object_get(p, "text")) ?: "");
    }
    lh_buf_printf(&prompt, "Question: %s\n", req->question);
    json_t *o = json_pack("{s:s,s:s,s:O}", "question", req->question, "index", req->index, "passages", passages);
    char *answer = NULL;
    const char *model = NULL;
    lh_err ge;
    memset(&ge, 0, sizeof ge);
    if (!json_array_size(passages)) {
        json_object_set_new(o, "answer", json_null());
        json_object_set_new(o, "generated", json_false());
        json_object_set_new(o, "note", json_string("no passage matched; nothing to answer from"));
    } else if (lh__ai_generate(ai, SYSTEM, prompt.data, &answer, &model, &ge)) {
        json_object_set_new(o, "answer", json_null());
        json_object_set_new(o, "generated", json_false());
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "generation_error",
                            json_pack("{s:s,s:s,s:i}", "code", ge.code, "message", ge.msg, "status",
                                      lh_err_http_status(ge.status)));
    } else if (!model) {
        json_object_set_new(o, "answer", json_null());
        json_object_set_new(o, "generated", json_false());
        json_object_set_new(o, "note", json_string("no generation model is configured (ai.generate_model): "
                                                   "these are the passages an answer would be grounded in"));
    } else {
        json_object_set_new(o, "answer", json_string(answer));
        json_object_set_new(o, "generated", json_true());
        json_object_set_new(o, "model", json_string(model));
    }
    free(answer);
    json_decref(passages);
    lh_buf_free(&prompt);
    *out = o;
    return 0;
}

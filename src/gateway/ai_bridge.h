/* gateway/ai_bridge.h — the AI service seen by the vector index service. */
#ifndef LH_GATEWAY_AI_BRIDGE_H
#define LH_GATEWAY_AI_BRIDGE_H

#include "ai/ai.h"
#include "vector/service.h"

/* An embedder over ai's profiles (ai must outlive its users). */
lh_vembedder lh_ai_bridge_embedder(lh_ai *ai);

/* RAG's retriever over the index service (pass the lh_vectors as ctx). */
lh_ai_retriever lh_ai_bridge_retriever(void);

#endif

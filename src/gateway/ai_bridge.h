/* gateway/ai_bridge.h — the AI service seen by the vector index service. */
#ifndef LH_GATEWAY_AI_BRIDGE_H
#define LH_GATEWAY_AI_BRIDGE_H

#include "ai/ai.h"
#include "vector/service.h"

/* An embedder over ai's profiles (ai must outlive its users). */
lh_vembedder lh_ai_bridge_embedder(lh_ai *ai);

#endif

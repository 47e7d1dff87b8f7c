# scripts/pins.sh — every artefact fetched from npm, pinned by sha256.
# One line per file: "npm-spec member-path destination sha256".
# Destinations are relative to third_party/ ($tp, set by setup.sh).
LH_PINS=(
  "@duckdb/node-bindings-linux-x64@1.4.4-r.4 libduckdb.so $tp/duckdb/lib/libduckdb.so 1ef33048e12235115ac0d277a0aaccbb560e33248144f488b5ac005cd9ba81b5"
  "duckdb@1.4.4 src/duckdb/src/include/duckdb.h $tp/duckdb/include/duckdb.h cbe6a827284375c5a646b8f27dbd3a00808ce8738b5bbb49c190cb1e08540281"
)

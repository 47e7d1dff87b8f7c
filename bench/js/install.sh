#!/usr/bin/env bash
# bench/js/install.sh — install the USE-lite JavaScript library for bench_embed.
#
# npm ci into third_party/bench-js/ (git-ignored) from package.json and
# package-lock.json beside this script; the lock pins every package by its
# integrity hash. A second run with the same lock does nothing. Benchmarks
# only: the product never needs Node.js.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="${LH_BENCH_JS_DIR:-$here/../../third_party/bench-js}"
mkdir -p "$dest"
if [ -f "$dest/.installed" ] && cmp -s "$here/package-lock.json" "$dest/.installed"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
echo "bench-js: npm ci in $dest"
(cd "$dest" && npm ci --silent --no-audit --no-fund >/dev/null)
cp "$here/package-lock.json" "$dest/.installed"

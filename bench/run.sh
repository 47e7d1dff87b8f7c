#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — run every benchmark and print its figures.
# Each bench/bench_*.c is built with the project; each bench/*.sh is a
# scripted benchmark. They print their own figures; this runs them in turn.
set -euo pipefail
build=${1:-build}
export LH_BINARY=${LH_BINARY:-$(cd "$build" && pwd)/lakehouse}
here=$(cd "$(dirname "$0")" && pwd)
ran=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"; "$b"; ran=$((ran + 1))
done
for s in "$here"/bench_*.sh; do
  [ -f "$s" ] || continue
  echo "== $(basename "$s")"; bash "$s" "$build"; ran=$((ran + 1))
done
echo "bench: $ran benchmark(s) run"

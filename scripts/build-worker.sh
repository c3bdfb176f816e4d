#!/usr/bin/env bash
# wrangler's [build] command. Tests build once and then start many `wrangler dev`s with
# SKIP_WORKER_BUILD=1, which brings each start from ~17 s to ~3 s.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
if [ -n "${SKIP_WORKER_BUILD:-}" ] && [ -f build/index.js ] && [ -f build/index_bg.wasm ]; then
  exit 0
fi
# DOORWARD_NO_WASM_OPT=1 (set by scripts/test.sh) skips binaryen's size pass: the same code,
# a larger file, and a build about a minute shorter. Benchmarks and deploys use the full build.
if [ -n "${DOORWARD_NO_WASM_OPT:-}" ]; then
  exec worker-build --release --no-opt
fi
worker-build --release
# worker-build keeps the wasm names section (about 250 KB, 13% of the bundle) for readable
# stack traces. The deployed bundle drops it: a smaller module compiles and starts faster.
# DOORWARD_KEEP_NAMES=1 keeps it (CPU profiles under bench/ need the names).
if [ -z "${DOORWARD_KEEP_NAMES:-}" ]; then
  "$WASM_OPT_BIN" build/index_bg.wasm --strip-debug \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types \
    --enable-exception-handling -o build/index_bg.stripped.wasm
  mv build/index_bg.stripped.wasm build/index_bg.wasm
fi

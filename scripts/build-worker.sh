#!/usr/bin/env bash
# wrangler's [build] command, and the one build every script uses. A build whose inputs (the
# crate's sources, manifest and lockfile, and the build flavour) match the last one is
# skipped, so a restart with unchanged sources starts in seconds. Tests build once and then
# start many `wrangler dev`s with SKIP_WORKER_BUILD=1, which skips even the check.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
if [ -n "${SKIP_WORKER_BUILD:-}" ] && [ -f build/index.js ] && [ -f build/index_bg.wasm ]; then
  exit 0
fi
# The flavour: DOORWARD_NO_WASM_OPT=1 (tests, local development) skips binaryen's size pass —
# the same code, a larger file, a build about a minute shorter; the full build (benchmarks,
# deploys) runs it and drops the names section unless DOORWARD_KEEP_NAMES=1.
flavour="release${DOORWARD_NO_WASM_OPT:+-noopt}${DOORWARD_KEEP_NAMES:+-names}"
stamp() {
  { echo "$flavour"; find src Cargo.toml Cargo.lock -type f -print0 | sort -z | xargs -0 sha256sum; } \
    | sha256sum | cut -d' ' -f1
}
wanted=$(stamp)
if [ -f build/index.js ] && [ -f build/index_bg.wasm ] && [ "$(cat build/.inputs 2>/dev/null)" = "$wanted" ]; then
  echo "build-worker: sources unchanged since the last $flavour build; skipping"
  exit 0
fi
rm -f build/.inputs
if [ -n "${DOORWARD_NO_WASM_OPT:-}" ]; then
  worker-build --release --no-opt
else
  worker-build --release
  # worker-build keeps the wasm names section (about 250 KB, 13% of the bundle) for readable
  # stack traces. The deployed bundle drops it: a smaller module compiles and starts faster.
  if [ -z "${DOORWARD_KEEP_NAMES:-}" ]; then
    "$WASM_OPT_BIN" build/index_bg.wasm --strip-debug \
      --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
      --enable-bulk-memory --enable-multivalue --enable-reference-types \
      --enable-exception-handling -o build/index_bg.stripped.wasm
    mv build/index_bg.stripped.wasm build/index_bg.wasm
  fi
fi
# The main module is the project's own entry (src/entry.js: the synchronous hot path first,
# then the generated entry), so the generated one moves aside to build/doorward.js.
mv build/index.js build/doorward.js
for export in hotAnswer hotWords; do
  if ! grep -q "prototype\.$export *=" build/doorward.js; then
    echo "build-worker: the generated entry no longer carries the $export export (src/entry.js needs it)" >&2
    exit 1
  fi
done
cp src/entry.js build/index.js
echo "$wanted" > build/.inputs

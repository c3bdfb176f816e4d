#!/usr/bin/env bash
# Runs the whole test suite: native unit tests of the protocol code, then the black-box tests
# that start the real worker under `wrangler dev` (each on its own port and fresh state).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/bootstrap.sh
DOORWARD_NO_WASM_OPT=1 bash scripts/build-worker.sh
export SKIP_WORKER_BUILD=1
cargo test --lib --tests "$@"
# The console and hosted pages in a real browser: Debian's Chromium, driven by playwright-core
# (which downloads no browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  apt-get update && apt-get install -y --no-install-recommends chromium
fi
node --test tests/browser/*.test.mjs
# The production bundle against the platform's limits (a dry-run deploy of the full release
# build; no Cloudflare account needed).
env -u SKIP_WORKER_BUILD -u DOORWARD_NO_WASM_OPT bash scripts/check-bundle.sh

#!/usr/bin/env bash
# Foundation benchmarks (issue 2): cold start of `wrangler dev` to the first discovery 200, and
# discovery / JWKS / healthz requests per second on loopback with wrk. Not a test: it prints a
# table and writes it to bench/results/foundation-<date>.md (gitignored).
#
#   bash bench/foundation.sh                      # 5 cold starts, 3 rounds of wrk -t2 -c16 -d10s
#   RUNS=3 ROUNDS=1 WRK_ARGS="-t2 -c16 -d5s" bash bench/foundation.sh
#   bash bench/foundation.sh --skip-cold          # or --skip-load
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# PATH with the project's Node 22 and wrangler first; wrangler kept offline.
source "$ROOT/scripts/env.sh"
cd "$ROOT"

if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ]; then
  echo "bench: build/index.js is missing; build the worker first: bash scripts/build-worker.sh" >&2
  exit 1
fi
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
  else
    sudo apt-get install -y wrk || { sudo apt-get update && sudo apt-get install -y wrk; }
  fi
fi
exec python3 bench/foundation.py "$@"

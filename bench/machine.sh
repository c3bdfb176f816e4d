#!/usr/bin/env bash
# Machine-to-machine benchmarks (issue 5): client_credentials with RS256 and with ES256 access
# tokens, an AK/SK account's client_credentials, and introspection — requests/s, p50/p99 and
# server CPU per request — plus /healthz as the runtime's floor, all in one `wrangler dev`.
# Not a test: prints a table and writes it to bench/results/machine-<date>.md (gitignored).
#
#   bash bench/machine.sh                              # 3 rounds of wrk -t2 -c16 -d10s per target
#   ROUNDS=1 WRK_ARGS="-t2 -c16 -d5s" bash bench/machine.sh   # quick look
#
# Expects the full-optimisation build in build/ (bash scripts/build-worker.sh, without
# DOORWARD_NO_WASM_OPT); it does not build.
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
exec python3 bench/machine/machine.py "$@"

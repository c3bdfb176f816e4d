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
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

bench_needs_build
bench_needs_wrk
exec python3 bench/machine/machine.py "$@"

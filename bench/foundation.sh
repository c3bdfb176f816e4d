#!/usr/bin/env bash
# Foundation benchmarks (issue 2): cold start of `wrangler dev` to the first discovery 200, and
# discovery / JWKS / healthz requests per second on loopback with wrk. Not a test: it prints a
# table and writes it to bench/results/foundation-<date>.md (gitignored).
#
#   bash bench/foundation.sh                      # 5 cold starts, 3 rounds of wrk -t2 -c16 -d10s
#   RUNS=3 ROUNDS=1 WRK_ARGS="-t2 -c16 -d5s" bash bench/foundation.sh
#   bash bench/foundation.sh --skip-cold          # or --skip-load
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

bench_needs_build
bench_needs_wrk
exec python3 bench/foundation.py "$@"

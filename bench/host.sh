#!/usr/bin/env bash
# Doorward on a faithful benchmark host (issue 13): the built worker on Miniflare's API (one
# workerd, no `wrangler dev` proxy), through the assets router and straight to the worker,
# beside node-oidc-provider (the reference), a JavaScript and a workers-rs hello world, the
# same two making one Durable Object round trip per request, and a JavaScript worker answering
# Doorward's documents from memory, alone and in Doorward's configuration (the floors), the same build
# logging each machine token (AUDIT_TOKEN_TALLY_SECS=0, the before of the audit tally), all in
# one run, and sign-ins (SSO and password, itemised by step) against the reference. Not a test:
# prints tables (req/s, CPU ms per request, p50; sign-ins/s, CPU per sign-in) and writes them to
# bench/results/host-<date>.md (gitignored).
#
#   bash bench/host.sh                                  # 3 rounds of wrk -t2 -c16 -d5s + sign-ins, ~10 minutes
#   bash bench/host.sh --signin-only --no-wrangler      # the sign-ins only, ~4 minutes
#   ROUNDS=1 WRK_ARGS="-t2 -c16 -d3s" bash bench/host.sh  # quick look
#   bash bench/host.sh --wrangler-load                  # also load `wrangler dev` (a third column)
#   bash bench/host.sh --no-wrangler                    # skip the side-by-side checks under wrangler dev
#
# Expects the full release build in build/ (bash scripts/build-worker.sh); it does not build
# Doorward. It installs what only the benchmark needs: wrk (Debian), bench/node_modules
# (npm ci --prefix bench: the pinned node-oidc-provider) and the workers-rs floors
# (bench/floors/rust-hello and rust-do, worker-build --release, rebuilt when their sources change).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

bench_needs_build
bench_needs_wrk
if [ ! -f bench/node_modules/oidc-provider/package.json ] \
   || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: installing the reference (npm ci --prefix bench)" >&2
  npm ci --prefix bench --no-audit --no-fund
fi
bench_needs_floor rust-hello
bench_needs_floor rust-do
exec python3 bench/host/run.py "$@"

#!/usr/bin/env bash
# Cold start on the faithful benchmark host (issue 13): from just before `new Miniflare(...)`
# to the first answer, each start a fresh Node process and workerd, configured as bench/host.sh
# configures them (bench/host/workers.mjs). Doorward's build/ (and --alt-build's) first
# `/healthz` on fresh state, first discovery and first client_credentials token over a state
# prepared once; the JavaScript and workers-rs hello worlds as floors; interleaved, the order
# rotated each run; medians and min/max; the wasm sizes and the wasm compile in Node. Not a
# test: prints a table and writes it to bench/results/coldstart-<date>.md (gitignored).
#
#   bash bench/coldstart.sh                     # 10 runs, ~3 minutes
#   bash bench/coldstart.sh --runs 3            # quick look
#   bash bench/coldstart.sh --alt-build /tmp/other/build --alt-label "names kept"
#
# Expects the full release build in build/ (bash scripts/build-worker.sh); it does not build
# Doorward. It builds the workers-rs hello world floor (bench/floors/rust-hello, worker-build
# --release) when its sources changed, as bench/host.sh does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

bench_needs_build
bench_needs_floor rust-hello
exec python3 bench/host/coldstart.py "$@"

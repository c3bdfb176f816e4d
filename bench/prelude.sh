# Sourced by the benchmark scripts: the project's PATH (Node 22 and wrangler first, wrangler kept
# offline), the working directory at the project root, and the checks and installs each script
# needs before it measures anything.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT"

# The benchmarks measure the build in build/; they never build Doorward themselves.
bench_needs_build() {
  if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ]; then
    echo "bench: build/index.js is missing; build the worker first: bash scripts/build-worker.sh" >&2
    exit 1
  fi
}

# wrk, from Debian, when it is not installed.
bench_needs_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "bench: installing wrk (Debian package)" >&2
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
    else
      sudo apt-get install -y wrk || { sudo apt-get update && sudo apt-get install -y wrk; }
    fi
  fi
}

# A workers-rs floor (bench/floors/NAME), built with worker-build when its sources changed.
bench_needs_floor() {
  local floor="bench/floors/$1"
  if [ ! -f "$floor/build/index_bg.wasm" ] \
     || [ -n "$(find "$floor/src" "$floor/Cargo.toml" "$floor/Cargo.lock" -newer "$floor/build/index_bg.wasm")" ]; then
    echo "bench: building the workers-rs floor ($floor, worker-build --release)" >&2
    (cd "$floor" && worker-build --release)
  fi
}

#!/usr/bin/env bash
# Installs everything Doorward needs on a fresh Debian machine, from the package registries
# only. Each step skips itself when already done, so it is cheap to run every time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

if ! command -v cargo >/dev/null; then
  echo "bootstrap: cargo is missing; install Rust with rustup first" >&2
  exit 1
fi
rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' \
  || rustup target add wasm32-unknown-unknown
# worker-build turns the crate into a Worker (build/index.js + build/index_bg.wasm).
if ! worker-build --version 2>/dev/null | grep -q '0.8.7'; then
  cargo install worker-build --version 0.8.7
fi
# Must match the wasm-bindgen library pinned in Cargo.toml; worker-build would otherwise try
# to download it from outside the registries. (`--locked` fails against the registry mirror.)
if ! "$WASM_BINDGEN_BIN" --version 2>/dev/null | grep -q '0.2.130'; then
  cargo install wasm-bindgen-cli --version 0.2.130
fi
# wrangler, Node 22 for it, and binaryen's wasm-opt, pinned in package-lock.json.
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

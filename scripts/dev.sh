#!/usr/bin/env bash
# Runs Doorward locally: `wrangler dev` on the embedded KV and Durable Objects, state kept in
# .wrangler/state. On first run it writes a local MASTER_KEY and ADMIN_TOKEN to .dev.vars and
# prints the token once.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/bootstrap.sh
if [ ! -f .dev.vars ]; then
  master=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  token=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  umask 077
  printf 'MASTER_KEY="%s"\nADMIN_TOKEN="%s"\n' "$master" "$token" > .dev.vars
  echo "Doorward: wrote .dev.vars. Your admin token (shown once): $token"
fi
# The quick build for local work (no binaryen pass; DOORWARD_RELEASE=1 for the deployed one).
# It is skipped when the sources are unchanged, and wrangler rebuilds when src/ changes.
if [ -z "${DOORWARD_RELEASE:-}" ]; then
  export DOORWARD_NO_WASM_OPT=1
fi
exec wrangler dev --ip "${HOST:-127.0.0.1}" --port "${PORT:-8787}" "$@"

#!/usr/bin/env bash
# Deploys Doorward to Cloudflare: the production environment of wrangler.toml (or
# DOORWARD_ENV). Checks first that you are signed in, that wrangler.toml no longer holds the
# example domain or the placeholder KV id, and that the secrets are set; then builds the full
# release, checks the bundle against the platform's limits and runs `wrangler deploy`.
# See README.md, "Deploy to Cloudflare".
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/bootstrap.sh
env_name="${DOORWARD_ENV:-production}"
fail() { echo "deploy: $*" >&2; exit 1; }

if wrangler whoami 2>&1 | grep -qi 'not authenticated'; then
  fail "not signed in to Cloudflare: run 'wrangler login' (or set CLOUDFLARE_API_TOKEN)"
fi
section=$(awk -v env="[env.$env_name" 'index($0, env) == 1 {on=1} on {print}' wrangler.toml)
[ -n "$section" ] || fail "wrangler.toml has no [env.$env_name]"
if grep -q 'id.example.com\|example.com"' <<<"$section"; then
  fail "wrangler.toml [env.$env_name] still routes the example domain: set your base domain and zone"
fi
if grep -q '00000000000000000000000000000000' <<<"$section"; then
  fail "wrangler.toml [env.$env_name] still has the placeholder KV id: wrangler kv namespace create DOORWARD_KV --env $env_name"
fi
if grep -q 'DURABLE_OBJECT_JURISDICTIONS' <<<"$section"; then
  fail "wrangler.toml [env.$env_name] sets DURABLE_OBJECT_JURISDICTIONS: that local stand-in would keep pinned pools' data outside their jurisdiction"
fi
secrets=$(wrangler secret list --env "$env_name" 2>/dev/null || true)
missing=()
for s in MASTER_KEY ADMIN_TOKEN; do
  grep -q "\"$s\"" <<<"$secrets" || missing+=("$s")
done
if [ ${#missing[@]} -gt 0 ]; then
  fail "secrets not set for $env_name: ${missing[*]} (e.g. head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | wrangler secret put MASTER_KEY --env $env_name)"
fi
bash scripts/build-worker.sh
bash scripts/check-bundle.sh
exec wrangler deploy --env "$env_name"

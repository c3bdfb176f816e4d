#!/usr/bin/env bash
# Checks that the production bundle fits the platform: builds it as `wrangler deploy` would
# (`--dry-run --outdir`, the production environment), then fails when
#   - the compressed upload exceeds the free plan's 3 MiB Worker size limit, or
#   - compiling its wasm eagerly (no lazy compilation) takes more than 200 ms in V8 (Node 22,
#     the engine workerd embeds) —
#     half the platform's 400 ms startup-time limit, which also covers the module's global
#     scope; a bundle near that would be at risk on a slower edge machine.
# Run by scripts/test.sh (and so by CI); needs no Cloudflare account.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wrangler deploy --dry-run --outdir "$out" --env production > "$out/deploy.log" 2>&1 \
  || { cat "$out/deploy.log" >&2; echo "check-bundle: the dry-run deploy failed" >&2; exit 1; }
max_gzip=$((3 * 1024 * 1024))
max_compile_ms=200
node --no-wasm-lazy-compilation --no-wasm-native-module-cache-enabled - "$out" "$max_gzip" "$max_compile_ms" <<'JS'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const [dir, maxGzip, maxMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const files = fs.readdirSync(dir).filter((f) => /\.(js|wasm)$/.test(f));
let raw = 0, gz = 0, wasm = null;
for (const f of files) {
  const b = fs.readFileSync(path.join(dir, f));
  raw += b.length;
  gz += zlib.gzipSync(b, { level: 9 }).length;
  if (f.endsWith('.wasm')) wasm = b;
}
const times = [];
for (let i = 0; i < 5; i++) {
  const t = process.hrtime.bigint();
  new WebAssembly.Module(wasm);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
const ms = times[2];
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`check-bundle: ${files.join(', ')}: ${kib(raw)} raw, ${kib(gz)} gzipped (limit ${kib(maxGzip)}); wasm compile ${ms.toFixed(1)} ms median of 5 (limit ${maxMs} ms)`);
let bad = false;
if (gz > maxGzip) { console.error('check-bundle: the compressed bundle is over the free plan limit'); bad = true; }
if (ms > maxMs) { console.error('check-bundle: compiling the wasm is slow enough to risk the startup-time limit'); bad = true; }
process.exit(bad ? 1 : 0);
JS

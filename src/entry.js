// The Worker's main module (copied to build/index.js by scripts/build-worker.sh, beside the
// generated build/doorward.js and build/index_bg.wasm). A GET first goes to the wasm export
// `hotAnswer` (src/http/hot_routes.rs): /healthz, and discovery and JWKS from the isolate's
// memory, answered synchronously, without the generated entry's proxies, Promise and
// conversions. When it declines (undefined), the request goes to the generated
// `#[event(fetch)]` entry unchanged, as do every other method and the cron trigger.
//
// Panic recovery stays the generated entry's: a panic or trap marks the isolate
// (`__worker_init_state.criticalError`, set by the panic hook or, for a trap, here as the
// generated wrapper does), and the next construction of the generated entry re-initialises
// the wasm instance. A marked isolate never takes the fast path, and a request whose fast
// path trapped is served by the generated entry, after that re-initialisation.

import { WorkerEntrypoint } from "cloudflare:workers";
import Generated from "./doorward.js";

// The Durable Object classes (and whatever else the crate exports), as generated.
export * from "./doorward.js";

// worker-build puts each exported wasm function on the generated entry's prototype; the
// class proxy only traps construction, so this is the plain wasm-bindgen export.
// scripts/build-worker.sh fails the build when it is missing.
const hotAnswer = Generated.prototype.hotAnswer;
const initState = globalThis.__worker_init_state;

function fast(request) {
  if (request.method !== "GET" || initState.criticalError) return undefined;
  try {
    return hotAnswer(request.url, request.headers.get("If-None-Match"));
  } catch (e) {
    console.error("hot path:", e);
    if (e instanceof WebAssembly.RuntimeError) initState.criticalError = true;
    return undefined;
  }
}

export default class Doorward extends WorkerEntrypoint {
  fetch(request) {
    return fast(request) ?? new Generated(this.ctx, this.env).fetch(request);
  }

  scheduled(controller) {
    return new Generated(this.ctx, this.env).scheduled(controller);
  }
}

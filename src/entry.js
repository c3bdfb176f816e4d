// The Worker's main module (copied to build/index.js by scripts/build-worker.sh, beside the
// generated build/doorward.js and build/index_bg.wasm). A GET whose URL names `/healthz` or a
// `/.well-known/` document first goes to the wasm export `hotAnswer` (src/http/hot_routes.rs):
// /healthz, and discovery and JWKS from the isolate's memory, answered synchronously, without
// the generated entry's proxies, Promise and conversions; a repeat of an answer it gave is
// given from here while the isolate's version, read from the wasm's memory, is unchanged.
// When it declines (undefined), the request goes to the generated `#[event(fetch)]` entry
// unchanged, as do every other method and the cron trigger.
//
// Panic recovery stays the generated entry's: a panic or trap marks the isolate
// (`__worker_init_state.criticalError`, set by the panic hook or, for a trap, here as the
// generated wrapper does), and the next construction of the generated entry re-initialises
// the wasm instance. A marked isolate never takes the fast path, and a request whose fast
// path trapped is served by the generated entry, after that re-initialisation.
//
// The Durable Object classes workerd instantiates are declared here too: workerd serves JS
// RPC only on classes that extend `DurableObject`, and the worker calls its objects by RPC
// (`store::rpc`: `stub.command(text)`, cheaper than a `fetch` with its Request and Response).
// Each delegates to the generated class, whose proxy keeps the panic recovery: a marked
// isolate re-initialises the wasm instance at the next call and rebuilds the instance.

import { DurableObject } from "cloudflare:workers";
import Generated, * as generated from "./doorward.js";

// Whatever else the crate exports, as generated; the names declared below take precedence.
export * from "./doorward.js";

function commandObject(Inner) {
  return class extends DurableObject {
    constructor(ctx, env) {
      super(ctx, env);
      this.inner = new Inner(ctx, env);
    }

    // A JSON command in, the JSON answer's text out (`command_entry!` in src/objects/mod.rs).
    command(text) {
      return this.inner.command(text);
    }

    // The same command POSTed, as the previous release's workers send it during a deploy.
    fetch(request) {
      return this.inner.fetch(request);
    }

    alarm() {
      return this.inner.alarm();
    }
  };
}

export const AuditLog = commandObject(generated.AuditLog);
export const ClientRegistry = commandObject(generated.ClientRegistry);
export const GrantStore = commandObject(generated.GrantStore);
export const KeyVault = commandObject(generated.KeyVault);
export const UserDirectory = commandObject(generated.UserDirectory);

// worker-build puts each exported wasm function on the generated entry's prototype; the
// class proxy only traps construction, so these are the plain wasm-bindgen exports.
// scripts/build-worker.sh fails the build when one is missing.
const hotAnswer = Generated.prototype.hotAnswer;
const hotWords = Generated.prototype.hotWords;
const initState = globalThis.__worker_init_state;

// The hot answers given, by URL and If-None-Match: each `[init, body, untilMs, version]` as
// `hotAnswer` gave it, given again while the clock is before `untilMs` and the isolate's
// version is still `version` — so a repeat costs the Response and a read of the wasm's
// memory, not a trip into the wasm with the URL and its parse there.
// Bounded like the wasm's own table: a full map is emptied, and refills from the wasm. A
// re-initialised wasm instance has a new memory and starts its version again, so its
// predecessor's answers go, and its words are looked up anew.
const kept = new Map();
const MAX_KEPT = 2000;
let keptFor = -1;

// The isolate's version and the count of repeats given here, as two words of the wasm's
// memory (`store::isolate_version`): `hotWords()` says where. A growing memory detaches its
// old buffer (the view's length drops to 0), so the view is renewed when that happens.
let memory;
let words;
let versionAt;
let repeatsAt;

function fast(request) {
  if (request.method !== "GET" || initState.criticalError) return undefined;
  const url = request.url;
  // Only `/healthz` and `/.well-known/` documents are ever hot (`hot_routes::from_memory`):
  // any other GET — an authorization, a page — goes on without its URL's trip into the
  // wasm, its parse there, a look at the wasm's memory or in `kept`. A URL that only looks
  // like one (in its query) is declined there, as before.
  if (!url.includes("/.well-known/") && !url.includes("/healthz")) return undefined;
  try {
    if (keptFor !== initState.instanceId) {
      kept.clear();
      [memory, versionAt, repeatsAt] = hotWords();
      words = new Uint32Array(memory.buffer);
      keptFor = initState.instanceId;
    } else if (words.length === 0) {
      words = new Uint32Array(memory.buffer);
    }
    const ifNoneMatch = request.headers.get("If-None-Match");
    const key = ifNoneMatch === null ? url : `${url}\n${ifNoneMatch}`;
    const answer = kept.get(key);
    if (answer !== undefined && Date.now() < answer[2] && words[versionAt] === answer[3]) {
      words[repeatsAt]++;
      return new Response(answer[1], answer[0]);
    }
    const fresh = hotAnswer(url, ifNoneMatch);
    if (fresh === undefined) {
      if (answer !== undefined) kept.delete(key);
      return undefined;
    }
    if (kept.size >= MAX_KEPT) kept.clear();
    kept.set(key, fresh);
    return new Response(fresh[1], fresh[0]);
  } catch (e) {
    console.error("hot path:", e);
    if (e instanceof WebAssembly.RuntimeError) initState.criticalError = true;
    return undefined;
  }
}

// The entry is a plain object, not a `WorkerEntrypoint` class: workerd constructs a class
// entry anew for every request, which cost the hot routes about a sixth of their CPU
// (bench/README.md); `env` and `ctx` come as arguments instead, and go to the generated
// entry as its constructor takes them.
export default {
  fetch(request, env, ctx) {
    return fast(request) ?? new Generated(ctx, env).fetch(request);
  },

  scheduled(controller, env, ctx) {
    return new Generated(ctx, env).scheduled(controller);
  },
};

// The workers-rs Durable Object floor's main module (bench/host/host.mjs loads it beside
// worker-build's build/index.js, which it imports). workerd serves JS RPC only on classes that
// extend `DurableObject`, and the `KvStore` class wasm-bindgen generates does not; so the class
// the runtime sees is this one, which extends it and delegates the two entry points the floor
// uses, `fetch` (the stub's fetch) and `call` (the RPC method, `#[wasm_bindgen] impl KvStore` in
// src/lib.rs), to the generated one. The worker's fetch handler is the generated default.
import { DurableObject } from "cloudflare:workers";
import Generated, { KvStore as GeneratedKvStore } from "./index.js";

export default Generated;

export class KvStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.inner = new GeneratedKvStore(ctx, env);
  }

  fetch(request) {
    return this.inner.fetch(request);
  }

  call(text) {
    return this.inner.call(text);
  }
}

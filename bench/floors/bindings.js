// A floor for bench/coldstart.sh: Doorward's configuration (wrangler.toml's KV, Durable Object
// classes, assets with run_worker_first and vars, as bench/host/workers.mjs builds it) around
// the JavaScript hello world instead of Doorward's module, so that a start's cost splits into
// what the configuration costs the host and what Doorward's module costs. Its Durable Object
// classes (Doorward's names) are empty; it answers what Doorward's /healthz answers.
import { DurableObject } from "cloudflare:workers";

export class AuditLog extends DurableObject {}
export class ClientRegistry extends DurableObject {}
export class GrantStore extends DurableObject {}
export class KeyVault extends DurableObject {}
export class UserDirectory extends DurableObject {}

export default {
  fetch() {
    return new Response('{"status":"ok"}', { headers: { "Content-Type": "application/json" } });
  },
};

// The document floor (bench/floors/document.js) inside Doorward's configuration (wrangler.toml's
// KV, Durable Object classes, assets with run_worker_first and vars, as bench/host/workers.mjs
// builds it, reached on the same direct socket as Doorward): what the same bytes and headers
// cost a JavaScript worker configured as Doorward is. Against document.js alone, the
// configuration's own cost per request; against Doorward, its module's. bench/host/run.py hands
// it Doorward's /healthz, discovery and JWKS answers.
import document from "./document.js";

export { AuditLog, ClientRegistry, GrantStore, KeyVault, UserDirectory } from "./bindings.js";

export default document;

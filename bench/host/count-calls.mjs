// A counting wrapper around the built worker, for `host.mjs --count-calls` (never in a measured
// run): it hands Doorward an `env` whose Durable Object namespaces, KV namespace and assets
// binding record every call, and answers each request with the list in an `x-bench-calls`
// header: ["GRANTS ia get", "DIRECTORY pool-default begin_sign_in", "KV get sub:bench", ...].
// Durable Object calls are named by object (the shard's kind prefix) and command (`op`); calls
// the worker makes after its response (its `waitUntil` work: the audit log's appends) are
// awaited before the header is written and marked "(after the response)".
// The worker's own code is the built build/index.js (its entry, hot path included), unchanged;
// its Durable Object classes are re-exported as they are.

import { WorkerEntrypoint } from "cloudflare:workers";
import Doorward from "./index.js";

export { AuditLog, ClientRegistry, GrantStore, KeyVault, UserDirectory } from "./index.js";

const DURABLE = new Set(["GRANTS", "DIRECTORY", "KEYS", "AUDIT", "CLIENTS"]);

// A proxy that forwards everything (methods bound to the real binding, so the runtime's
// native methods keep their receiver) and lets `wrap` replace some methods.
function forward(target, wrap) {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop);
      if (prop === "constructor" || typeof v !== "function") return v;
      return wrap(prop, v.bind(t)) || v.bind(t);
    },
  });
}

function objectLabel(name) {
  // GrantStore shards are "{kind}.{one character}" (records minted before the compact layout:
  // "{kind}-{two characters}"): the kind is what matters here.
  const shard = /^([a-z]+)(\..|-..)$/.exec(name);
  return shard ? shard[1] : name;
}

function countingEnv(env, log) {
  return new Proxy(env, {
    get(t, prop) {
      const v = Reflect.get(t, prop);
      if (typeof prop !== "string" || v === null || typeof v !== "object") return v;
      if (DURABLE.has(prop)) {
        return forward(v, (m, fn) => m === "getByName" && ((name) => {
          const stub = fn(name);
          return new Proxy(stub, {
            get(t, sm) {
              // JS RPC (`store::rpc::call`): the command's JSON text. Not through `forward`:
              // any property of an RPC method (`bind` too) is another remote name.
              if (sm === "command") {
                return (text) => {
                  let op = "?";
                  try {
                    op = JSON.parse(text).op;
                  } catch {}
                  log.push(`${prop} ${objectLabel(name)} ${op}`);
                  return t.command(text);
                };
              }
              // The same command POSTed to `fetch` (builds from before the RPC entry).
              if (sm === "fetch") {
                return async (req, init) => {
                  let op = "?";
                  try {
                    op = JSON.parse(await req.clone().text()).op;
                  } catch {}
                  log.push(`${prop} ${objectLabel(name)} ${op}`);
                  return t.fetch(req, init);
                };
              }
              const v = Reflect.get(t, sm);
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
        }));
      }
      if (prop === "DOORWARD_KV") {
        return forward(v, (m, fn) => ["get", "getWithMetadata", "put", "delete", "list"].includes(m) && ((key, ...rest) => {
          log.push(`KV ${m} ${typeof key === "string" ? key.replace(/:.*/, ":…") : "(list)"}`);
          return fn(key, ...rest);
        }));
      }
      if (prop === "ASSETS") {
        return forward(v, (m, fn) => m === "fetch" && ((req, init) => {
          log.push(`ASSETS ${new URL(req.url ?? req).pathname}`);
          return fn(req, init);
        }));
      }
      return v;
    },
  });
}

export default class CountedDoorward extends WorkerEntrypoint {
  async fetch(request) {
    const log = [];
    const after = [];
    const ctx = new Proxy(this.ctx, {
      get(t, prop) {
        if (prop === "waitUntil") return (p) => { after.push(p); t.waitUntil(p); };
        const v = Reflect.get(t, prop);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    const env = countingEnv(this.env, log);
    // The entry is a plain object `{ fetch, scheduled }`; builds before it exported a
    // `WorkerEntrypoint` class.
    const resp = typeof Doorward === "function"
      ? await new Doorward(ctx, env).fetch(request)
      : await Doorward.fetch(request, env, ctx);
    const before = log.length;
    await Promise.allSettled(after);
    const calls = log.map((c, i) => (i < before ? c : `${c} (after the response)`));
    const out = new Response(resp.body, resp);
    out.headers.set("x-bench-calls", JSON.stringify(calls));
    return out;
  }
}

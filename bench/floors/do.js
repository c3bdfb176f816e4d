// The runtime's Durable Object floor: bench/floors/rust-do in JavaScript. Each request is one call
// to a SQLite-backed Durable Object over its stub's fetch (a JSON command in, a JSON answer out,
// one SELECT on a table the constructor creates), the shape of Doorward's `store::rpc::call` into
// a `GrantStore` shard, without the wasm and the `worker` crate.
//
//   GET /do     one fixed object (warm once the first request started it)
//   GET /do/N   one of N objects at random per request (64: warm soon; 4096: mostly starting)
//   otherwise   what Doorward's /healthz answers
import { DurableObject } from "cloudflare:workers";

// Absent, as a never-revoked token's jti is absent from its revocation shard.
const KEY = "rev:floor-jti";

export class KvStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  async fetch(request) {
    const cmd = JSON.parse(await request.text());
    if (cmd.op !== "get") return new Response(`bad command: ${cmd.op}`, { status: 400 });
    const row = this.sql.exec("SELECT value FROM kv WHERE key = ?", cmd.key).toArray()[0];
    return Response.json(row ? JSON.parse(row.value) : null);
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    let name;
    if (pathname === "/do") {
      name = "rev-warm";
    } else if (pathname.startsWith("/do/")) {
      const n = Number(pathname.slice(4));
      if (!Number.isInteger(n) || n <= 0) return new Response("not found", { status: 404 });
      name = `rev-${n}-${Math.floor(Math.random() * n)}`;
    } else {
      return Response.json({ status: "ok" });
    }
    const stub = env.KV.getByName(name);
    const cmd = { op: "get", key: KEY, now: Math.floor(Date.now() / 1000) };
    const resp = await stub.fetch("https://object/rpc", { method: "POST", body: JSON.stringify(cmd) });
    const text = await resp.text();
    if (resp.status !== 200) throw new Error(`${name}: ${resp.status} ${text}`);
    return Response.json({ value: JSON.parse(text) });
  },
};

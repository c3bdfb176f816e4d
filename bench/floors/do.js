// The runtime's Durable Object floor: bench/floors/rust-do in JavaScript. Each request is one call
// to a SQLite-backed Durable Object (a JSON command in, a JSON answer out), the shape of
// Doorward's `store::rpc::call` into a `GrantStore` shard, without the wasm and the `worker`
// crate. A read is one SELECT on a table the constructor creates; a write is one INSERT OR
// REPLACE of an interaction-sized record (one SQLite commit: an fsync on this host), the shape of
// a GrantStore `put`, as each step of a sign-in makes. The call goes over the stub's fetch (a
// Request and a Response) or by JS RPC (the object's `call(text)` method, a string each way),
// which is where Doorward's object calls are moving.
//
//   GET /do       one fixed object, over the stub's fetch (warm once the first request started it)
//   GET /do/N     one of N objects at random per request (64: warm soon; 4096: mostly starting)
//   GET /rpc      the same read as /do, by RPC
//   GET /rpc/N    the same read as /do/N, by RPC
//   GET /write/N  one write to one of N objects at random, by RPC (answers {"value": true})
//   otherwise     what Doorward's /healthz answers
import { DurableObject } from "cloudflare:workers";

// Absent, as a never-revoked token's jti is absent from its revocation shard.
const KEY = "rev:floor-jti";
// How long a written record lives (an interaction's ten minutes).
const RECORD_SECS = 600;
// Keys written cycle through this many (`ia:0` … `ia:4999`), so every table stays bounded.
const WRITE_KEYS = 5000;
// Writes made by this isolate, for the next key.
let writes = 0;

export class KvStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // The read's table, and the write's: GrantStore's `records`, with its expiry index.
    this.sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    );
    this.sql.exec("CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at)");
  }

  // One command, as GrantStore runs `get` and `put`: its answer (null: absent; true: written).
  run(cmd) {
    switch (cmd.op) {
      case "get": {
        const row = this.sql.exec("SELECT value FROM kv WHERE key = ?", cmd.key).toArray()[0];
        return row ? JSON.parse(row.value) : null;
      }
      case "put":
        this.sql.exec(
          "INSERT OR REPLACE INTO records (key, value, expires_at) VALUES (?, ?, ?)",
          cmd.key,
          JSON.stringify(cmd.value),
          cmd.expires_at,
        );
        return true;
      default:
        throw new Error(`bad command: ${cmd.op}`);
    }
  }

  // The stub's fetch: the command is the request's body, the answer the response's.
  async fetch(request) {
    let answer;
    try {
      answer = this.run(JSON.parse(await request.text()));
    } catch (e) {
      return new Response(String(e.message), { status: 400 });
    }
    return Response.json(answer);
  }

  // JS RPC: the command's JSON text in, the answer's out.
  call(text) {
    return JSON.stringify(this.run(JSON.parse(text)));
  }
}

// A record the size and shape of Doorward's interaction (a pending authorization request):
// about 200 bytes of JSON.
function interaction(now) {
  return {
    client_id: "Zmxvb3ItY2xpZW50LWlk",
    request: { redirect_uri: "https://app.example.com/callback", scope: "openid", state: "af0ifjsldkj3" },
    csrf: "Y3NyZi1mbG9vci10b2tlbg",
    user_id: null,
    expires_at: now + RECORD_SECS,
  };
}

// The object a route names: "" the fixed one (or none), "/N" one of N at random.
function objectName(rest, kind, fixed) {
  if (rest === "") return fixed;
  const n = rest.startsWith("/") ? Number(rest.slice(1)) : NaN;
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return `${kind}-${n}-${Math.floor(Math.random() * n)}`;
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const now = Math.floor(Date.now() / 1000);
    // The route is the first segment ("/do"), the rest ("", "/64") names the object.
    const slash = pathname.indexOf("/", 1);
    const route = slash < 0 ? pathname : pathname.slice(0, slash);
    const rest = slash < 0 ? "" : pathname.slice(slash);
    let name, cmd, rpc;
    switch (route) {
      case "/do":
      case "/rpc":
        name = objectName(rest, "rev", "rev-warm");
        cmd = { op: "get", key: KEY, now };
        rpc = route === "/rpc";
        break;
      case "/write":
        name = objectName(rest, "ia");
        cmd = { op: "put", key: `ia:${writes}`, value: interaction(now), expires_at: now + RECORD_SECS };
        writes = (writes + 1) % WRITE_KEYS;
        rpc = true;
        break;
      default:
        return Response.json({ status: "ok" });
    }
    if (name === undefined) return new Response("not found", { status: 404 });
    const stub = env.KV.getByName(name);
    let text;
    if (rpc) {
      text = await stub.call(JSON.stringify(cmd));
    } else {
      const resp = await stub.fetch("https://object/rpc", { method: "POST", body: JSON.stringify(cmd) });
      text = await resp.text();
      if (resp.status !== 200) throw new Error(`${name}: ${resp.status} ${text}`);
    }
    return Response.json({ value: JSON.parse(text) });
  },
};

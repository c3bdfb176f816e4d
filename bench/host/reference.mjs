// The reference: node-oidc-provider (bench/package.json pins the version) configured like a
// Doorward application, in its own Node process on loopback so its CPU can be read from /proc.
//
//   node bench/host/reference.mjs            # prints one JSON line {"ready": ...} when listening
//
// - one confidential client per access-token algorithm (client_secret_basic), both allowed
//   client_credentials and authorization_code;
// - RS256 and ES256 signing keys (RS256 first: the default for ID tokens);
// - client_credentials with a resource indicator (RFC 8707) and JWT access tokens, signed with
//   the client's algorithm; a second resource with opaque access tokens, because this provider
//   refuses to introspect JWT access tokens (`rejectStructuredTokens`): introspection is
//   measured on an opaque client_credentials token of the same client;
// - introspection enabled; a minimal login interaction that checks a password with
//   PBKDF2-SHA256 (100,000 rounds, as Doorward) for the sign-in benchmarks; consent is given
//   once (loadExistingGrant), like a Doorward application with skip_consent, so a signed-in
//   user's next authorization goes straight back to the client;
// - the provider's in-memory adapter with a store large enough for a whole run (its default
//   keeps 1,000 entries).
//
// The caller passes nothing: secrets and keys are generated at start and printed in the ready
// line (the benchmark is loopback only). PORT=0 (default) picks a free port.

import crypto from "node:crypto";
import http from "node:http";
import { promisify } from "node:util";

import Provider from "oidc-provider";
import MemoryAdapter from "oidc-provider/lib/adapters/memory_adapter.js";
import LRU from "oidc-provider/lib/helpers/lru.js";

const pbkdf2 = promisify(crypto.pbkdf2);
const ROUNDS = 100_000;
const RESOURCE = "https://api.example.com/orders";
const OPAQUE_RESOURCE = "https://api.example.com/opaque";
const CALLBACK = "https://rp.example/callback";
const b64 = (n) => crypto.randomBytes(n).toString("base64url");

function jwk(type, options, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: "jwk" }), alg, use: "sig", kid: b64(8) };
}

const keys = [jwk("rsa", { modulusLength: 2048 }, "RS256"), jwk("ec", { namedCurve: "P-256" }, "ES256")];
const clients = {
  RS256: { client_id: `bench-rs256-${b64(6)}`, client_secret: b64(32) },
  ES256: { client_id: `bench-es256-${b64(6)}`, client_secret: b64(32) },
};
const algOf = Object.fromEntries(Object.entries(clients).map(([alg, c]) => [c.client_id, alg]));

// One user: the password is checked like Doorward checks it (PBKDF2-SHA256, 100,000 rounds).
const USER = { id: "user-1", login: "bench", password: "bench password 1" };
const salt = crypto.randomBytes(16);
const hash = await pbkdf2(USER.password, salt, ROUNDS, 32, "sha256");

// One signature in this process, as the provider makes it (Node's crypto.sign on a KeyObject),
// CPU ms per signature over 200: the reference's counterpart of Doorward's debug sign probe.
function signCost(jwkKey, alg) {
  const key = crypto.createPrivateKey({ key: jwkKey, format: "jwk" });
  const data = Buffer.from("x".repeat(500));
  const opts = alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key;
  for (let i = 0; i < 20; i++) crypto.sign("sha256", data, opts);
  const t0 = process.cpuUsage();
  for (let i = 0; i < 200; i++) crypto.sign("sha256", data, opts);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / 200;
}
const signing = { RS256: signCost(keys[0], "RS256"), ES256: signCost(keys[1], "ES256") };

// One password hash in this process (PBKDF2-SHA256, 100,000 rounds), CPU ms over 5: the
// reference's counterpart of Doorward's debug hash probe.
function hashCost() {
  crypto.pbkdf2Sync(USER.password, salt, ROUNDS, 32, "sha256");
  const t0 = process.cpuUsage();
  for (let i = 0; i < 5; i++) crypto.pbkdf2Sync(USER.password, salt, ROUNDS, 32, "sha256");
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / 5;
}
const hashing = hashCost();

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), "127.0.0.1", resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

// The provider's own in-memory adapter, with room for a whole benchmark run: its default store
// keeps 1,000 entries, and the sign-in runs make tens of thousands (sessions, interactions,
// grants, codes, tokens), which would evict the parked interactions and the tokens the
// introspection target holds.
const store = new LRU({ maxSize: 5_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: Object.values(clients).map((c) => ({
    ...c,
    grant_types: ["client_credentials", "authorization_code"],
    response_types: ["code"],
    redirect_uris: [CALLBACK],
    token_endpoint_auth_method: "client_secret_basic",
  })),
  jwks: { keys },
  cookies: { keys: [b64(32)] },
  scopes: ["openid", "profile", "email", "orders:read", "orders:write"],
  claims: { openid: ["sub"], profile: ["name"], email: ["email", "email_verified"] },
  findAccount: async (_ctx, id) =>
    id === USER.id ? { accountId: id, claims: async () => ({ sub: id, name: "Bench", email: "bench@example.com", email_verified: true }) } : undefined,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // Consent is given once: the first authorization of a signed-in user gets a grant for what
  // the client asks for (like a Doorward application with skip_consent); later ones find that
  // grant through the session, as the provider's default loadExistingGrant does, so an SSO
  // sign-in of an already consented user goes straight back to the client.
  loadExistingGrant: async (ctx) => {
    const { client, session } = ctx.oidc;
    if (!session?.accountId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope("openid profile email");
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: async (_ctx, resource, client) => {
        if (resource === RESOURCE) {
          return {
            scope: "orders:read orders:write",
            audience: RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: algOf[client.clientId] || "RS256" } },
          };
        }
        if (resource === OPAQUE_RESOURCE) {
          return { scope: "orders:read orders:write", audience: OPAQUE_RESOURCE, accessTokenTTL: 3600, accessTokenFormat: "opaque" };
        }
        throw new Provider.errors.InvalidTarget();
      },
    },
  },
  ttl: { ClientCredentials: 3600, AccessToken: 3600 },
});
provider.on("server_error", (_ctx, err) => console.error("server_error", err));

const page = (uid, error = "") => `<!doctype html><title>Sign in</title>${error ? `<p>${error}</p>` : ""}
<form method="post" action="/interaction/${uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`;

async function readForm(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

// The login interaction: a plain HTTP handler in front of the provider's own routes.
async function interaction(req, res, uid, action) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    if (action === "login" && req.method === "POST") {
      const form = await readForm(req);
      const candidate = await pbkdf2(form.get("password") || "", salt, ROUNDS, 32, "sha256");
      if (form.get("login") !== USER.login || !crypto.timingSafeEqual(candidate, hash)) {
        res.writeHead(401, { "Content-Type": "text/html; charset=utf-8" });
        return res.end(page(uid, "Wrong login or password"));
      }
      return await provider.interactionFinished(req, res, { login: { accountId: USER.id } }, { mergeWithLastSubmission: false });
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page(uid));
  } catch (err) {
    res.writeHead(400, { "Content-Type": "text/plain" });
    res.end(String(err?.message || err));
  }
}

const callback = provider.callback();
server.on("request", (req, res) => {
  const m = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(req.url.split("?")[0]);
  if (m) return void interaction(req, res, m[1], m[2]);
  if (req.url === "/healthz") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return void res.end('{"status":"ok"}');
  }
  callback(req, res);
});

console.log(JSON.stringify({ ready: { issuer, pid: process.pid, clients, resource: RESOURCE, opaque_resource: OPAQUE_RESOURCE, user: USER, callback: CALLBACK, signing, hashing } }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

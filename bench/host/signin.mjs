// The sign-in load driver for bench/host/run.py: whole OpenID Connect sign-ins (wrk cannot
// chain requests), against Doorward and against node-oidc-provider, over keep-alive
// connections on loopback. Node's own `http` client, one socket per simulated browser.
//
//   node bench/host/signin.mjs                 # commands as JSON lines on stdin, answers on stdout
//   node bench/host/signin.mjs CMD_JSON...     # the same commands from argv, then exit (profiles;
//                                              # with --wait, a line on stdin between commands)
//
// A command names a target (`{kind: "doorward" | "node", issuer, client_id, client_secret,
// redirect_uri, login, password}`) and one of:
//   check    one fresh and one SSO sign-in, every answer checked (tokens, userinfo, cookies)
//   prepare  sets up what the next `run` needs (SSO sessions, parked interactions, codes), so
//            that the caller can read the servers' CPU around `run` alone
//   run      flow "sso" (authorize → code → token, the browser holding an SSO session) or
//            "fresh" (authorize → login page → password → code → token → userinfo) on
//            `concurrency` browsers for `seconds`; or a step (`step`) `count` times on one
//            browser, with what `prepare` left
//   trace    one fresh and one SSO sign-in, answering each request's `x-bench-calls` header
//            (the Durable Object, KV and assets calls the counting host saw)
// Each answer is one JSON line: {ok: true, ...} or {ok: false, error}.

import crypto from "node:crypto";
import http from "node:http";
import readline from "node:readline";

const b64 = (buf) => Buffer.from(buf).toString("base64url");

// ---------------------------------------------------------------- a browser

class Browser {
  constructor() {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.jar = new Map(); // name -> {value, path}
  }

  cookieHeader(pathname) {
    const out = [];
    for (const [name, c] of this.jar) {
      if (pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)) {
        out.push(`${name}=${c.value}`);
      }
    }
    return out.join("; ");
  }

  store(setCookie, pathname) {
    for (const line of setCookie || []) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = pathname.slice(0, pathname.lastIndexOf("/")) || "/";
      let gone = false;
      for (const a of attrs) {
        const [k, v = ""] = a.trim().split("=");
        const key = k.toLowerCase();
        if (key === "path") path = v || "/";
        if (key === "max-age" && Number(v) <= 0) gone = true;
        if (key === "expires" && Date.parse(v) <= Date.now()) gone = true;
      }
      if (gone || value === "") this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
  }

  forget(prefix) {
    for (const name of [...this.jar.keys()]) if (name.startsWith(prefix)) this.jar.delete(name);
  }

  // One request; the answer's body is read whole. Redirects are not followed.
  request(method, url, { form, headers = {}, cookies = true } = {}) {
    const u = new URL(url);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const h = { ...headers };
    if (body !== undefined) {
      h["content-type"] = "application/x-www-form-urlencoded";
      h["content-length"] = Buffer.byteLength(body);
    }
    const cookie = cookies ? this.cookieHeader(u.pathname) : "";
    if (cookie) h.cookie = cookie;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: this.agent },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            if (cookies) this.store(res.headers["set-cookie"], u.pathname);
            resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------- the flows

function pkce() {
  const verifier = b64(crypto.randomBytes(32));
  return { verifier, challenge: b64(crypto.createHash("sha256").update(verifier).digest()) };
}

function expect(cond, what, res) {
  if (!cond) {
    const detail = res ? ` (${res.status} ${res.headers?.location || ""} ${String(res.text || "").slice(0, 200)})` : "";
    throw new Error(`${what}${detail}`);
  }
}

function authorizeUrl(t, challenge) {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: t.client_id,
    redirect_uri: t.redirect_uri,
    scope: "openid",
    state: b64(crypto.randomBytes(9)),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `${t.issuer}/auth?${q}`;
}

const basic = (t) => `Basic ${Buffer.from(`${encodeURIComponent(t.client_id)}:${encodeURIComponent(t.client_secret)}`).toString("base64")}`;

// The code in a redirect to the client's callback.
function codeOf(res, t) {
  const loc = res.headers.location || "";
  if (res.status !== 303 && res.status !== 302) return null;
  if (!loc.startsWith(t.redirect_uri)) return null;
  return new URL(loc).searchParams.get("code");
}

// Every step of a sign-in, for both servers. Each takes (browser, target, state) and returns
// the next state; `trace` collects the answers when set.
const steps = {
  // GET /auth without a session: parks the request and sends the browser to the login page.
  async authorize(b, t, s, trace) {
    const p = pkce();
    const res = await b.request("GET", authorizeUrl(t, p.challenge));
    trace?.("authorize", res);
    expect(res.status === 303 || res.status === 302, "authorize: redirect to the login page", res);
    const page = new URL(res.headers.location, t.issuer).href;
    expect(page.includes("/interaction/"), "authorize: redirect to the login page", res);
    return { ...s, pkce: p, page };
  },
  // GET the login page.
  async login_page(b, t, s, trace) {
    const res = await b.request("GET", s.page);
    trace?.("login_page", res);
    expect(res.status === 200 && res.text.includes("password"), "login page", res);
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.text)?.[1];
    return { ...s, csrf };
  },
  // POST the password. Doorward answers with the code; node-oidc-provider with its resume URL.
  async login(b, t, s, trace) {
    const form = { login: t.login, password: t.password };
    if (t.kind === "doorward") {
      // The CSRF token is the page's; it is also the interaction cookie's value.
      form.csrf = s.csrf ?? b.jar.get("dw_interaction")?.value ?? "";
    }
    const res = await b.request("POST", `${s.page}/login`, { form });
    trace?.("login", res);
    if (t.kind === "doorward") {
      const code = codeOf(res, t);
      expect(code, "login: redirect to the client with a code", res);
      return { ...s, code };
    }
    expect(res.status === 303 || res.status === 302, "login: redirect to resume", res);
    return { ...s, resume: new URL(res.headers.location, t.issuer).href };
  },
  // node-oidc-provider only: GET /auth/{uid} resumes the authorization and answers the code.
  async resume(b, t, s, trace) {
    const res = await b.request("GET", s.resume);
    trace?.("resume", res);
    const code = codeOf(res, t);
    expect(code, "resume: redirect to the client with a code", res);
    return { ...s, code };
  },
  // GET /auth holding an SSO session: straight back to the client with a code.
  async sso_authorize(b, t, s, trace) {
    const p = pkce();
    const res = await b.request("GET", authorizeUrl(t, p.challenge));
    trace?.("sso_authorize", res);
    const code = codeOf(res, t);
    expect(code, "SSO authorize: redirect to the client with a code", res);
    return { ...s, pkce: p, code };
  },
  // POST /token with the code (the client's own request: no browser cookies).
  async token(b, t, s, trace) {
    const res = await b.request("POST", `${t.issuer}/token`, {
      form: { grant_type: "authorization_code", code: s.code, redirect_uri: t.redirect_uri, code_verifier: s.pkce.verifier },
      headers: { authorization: basic(t) },
      cookies: false,
    });
    trace?.("token", res);
    expect(res.status === 200, "token", res);
    const tok = JSON.parse(res.text);
    expect(tok.access_token && tok.id_token, "token: access_token and id_token", res);
    return { ...s, tokens: tok };
  },
  // GET /me with the access token.
  async userinfo(b, t, s, trace) {
    const res = await b.request("GET", `${t.issuer}/me`, {
      headers: { authorization: `Bearer ${s.tokens.access_token}` },
      cookies: false,
    });
    trace?.("userinfo", res);
    expect(res.status === 200 && JSON.parse(res.text).sub, "userinfo", res);
    return { ...s, userinfo: JSON.parse(res.text) };
  },
};

const FRESH = {
  doorward: ["authorize", "login_page", "login", "token", "userinfo"],
  node: ["authorize", "login_page", "login", "resume", "token", "userinfo"],
};
const SSO = ["sso_authorize", "token"];

// A fresh sign-in starts without an SSO session (a new browser, or one signed out).
async function fresh(b, t, trace) {
  b.jar.clear();
  let s = {};
  for (const name of FRESH[t.kind]) s = await steps[name](b, t, s, trace);
  return s;
}

async function sso(b, t, trace) {
  let s = {};
  for (const name of SSO) s = await steps[name](b, t, s, trace);
  return s;
}

// ---------------------------------------------------------------- commands

let prepared = null; // what `prepare` left for `run`

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function summary(lat, failed, errors, secs, requests, cpu0) {
  lat.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  return {
    done: lat.length,
    failed,
    errors: [...new Set(errors)].slice(0, 3),
    secs,
    rate: lat.length / secs,
    p50: percentile(lat, 0.5),
    p90: percentile(lat, 0.9),
    p99: percentile(lat, 0.99),
    requests,
    driver_cpu_ms: (cpu.user + cpu.system) / 1000,
  };
}

async function check(t) {
  const b = new Browser();
  try {
    const seen = [];
    const f = await fresh(b, t, (name, res) => seen.push(`${name} ${res.status}`));
    const session = [...b.jar.keys()].find((k) => (t.kind === "doorward" ? k.startsWith("dw_session_") : k === "_session"));
    expect(session, `fresh sign-in: an SSO session cookie (cookies: ${[...b.jar.keys()].join(", ")})`);
    const payload = JSON.parse(Buffer.from(f.tokens.id_token.split(".")[1], "base64url"));
    expect(payload.sub === f.userinfo.sub, "id_token sub equals userinfo sub");
    const s = await sso(b, t, (name, res) => seen.push(`${name} ${res.status}`));
    const p2 = JSON.parse(Buffer.from(s.tokens.id_token.split(".")[1], "base64url"));
    expect(p2.sub === payload.sub, "SSO sign-in: same user");
    const header = JSON.parse(Buffer.from(f.tokens.id_token.split(".")[0], "base64url"));
    const at = f.tokens.access_token.split(".").length === 3
      ? `JWT ${JSON.parse(Buffer.from(f.tokens.access_token.split(".")[0], "base64url")).alg}`
      : "opaque";
    return {
      steps: seen,
      session_cookie: session,
      id_token_alg: header.alg,
      access_token: at,
      token_members: Object.keys(f.tokens).sort(),
      id_token_claims: Object.keys(payload).sort(),
    };
  } finally {
    b.close();
  }
}

async function trace(t) {
  const b = new Browser();
  try {
    await fresh(b, t); // warms the isolate's caches (application, pool, keys)
    await sso(b, t);
    const out = { fresh: [], sso: [] };
    let into = out.fresh;
    const rec = (name, res) => into.push({ step: name, status: res.status, calls: JSON.parse(res.headers["x-bench-calls"] || "null") });
    await fresh(b, t, rec);
    into = out.sso;
    await sso(b, t, rec);
    return out;
  } finally {
    b.close();
  }
}

// What a step needs before it can run `count` times, made ahead of the measured run.
async function prepare(t, cmd) {
  if (prepared) for (const b of prepared.browsers) b.close();
  prepared = null;
  const browsers = [];
  const count = cmd.count || 1;
  if (cmd.flow === "sso") {
    for (let i = 0; i < (cmd.concurrency || 1); i++) {
      const b = new Browser();
      await fresh(b, t);
      browsers.push(b);
    }
    prepared = { browsers };
    return { browsers: browsers.length };
  }
  if (cmd.flow === "fresh") {
    for (let i = 0; i < (cmd.concurrency || 1); i++) browsers.push(new Browser());
    prepared = { browsers };
    return { browsers: browsers.length };
  }
  // Steps: one browser; `items` are the states the step starts from (one per run, or shared).
  const b = new Browser();
  browsers.push(b);
  const items = [];
  const order = FRESH[t.kind];
  switch (cmd.step) {
    case "authorize":
      break; // needs nothing: every run parks a new request
    case "sso_authorize":
      await fresh(b, t); // the session every run presents
      break;
    case "login_page":
    case "userinfo": {
      // One page (or one access token), read `count` times.
      const s = cmd.step === "login_page" ? await steps.authorize(b, t, {}) : await fresh(b, t);
      items.push(s);
      break;
    }
    case "login":
    case "resume": {
      // `count` parked requests, each in its own cookie jar (node-oidc-provider keys its
      // interaction cookies by path, Doorward's is one name: keep a jar per item).
      const upto = order.indexOf(cmd.step);
      for (let i = 0; i < count; i++) {
        b.jar.clear();
        let s = {};
        for (const name of order.slice(0, upto)) if (name !== "login_page") s = await steps[name](b, t, s);
        items.push({ ...s, jar: new Map(b.jar) });
      }
      break;
    }
    case "token": {
      await fresh(b, t);
      for (let i = 0; i < count; i++) items.push(await steps.sso_authorize(b, t, {}));
      break;
    }
    default:
      throw new Error(`unknown step ${cmd.step}`);
  }
  prepared = { browsers, items, step: cmd.step, count };
  return { items: items.length };
}

async function run(t, cmd) {
  if (!prepared) throw new Error("run without prepare");
  const cpu0 = process.cpuUsage();
  const lat = [];
  const errors = [];
  let failed = 0;
  let requests = 0;
  const t0 = performance.now();
  if (cmd.flow) {
    const flow = cmd.flow === "sso" ? sso : fresh;
    const perFlow = cmd.flow === "sso" ? SSO.length : FRESH[t.kind].length;
    const deadline = t0 + cmd.seconds * 1000;
    await Promise.all(prepared.browsers.map(async (b) => {
      while (performance.now() < deadline) {
        const s0 = performance.now();
        try {
          await flow(b, t);
          lat.push(performance.now() - s0);
        } catch (e) {
          failed++;
          errors.push(String(e.message || e));
        }
        requests += perFlow;
      }
    }));
  } else {
    const { browsers: [b], items, step, count } = prepared;
    for (let i = 0; i < count; i++) {
      let s = items.length === 1 ? items[0] : items[i] || {};
      if (s.jar) b.jar = new Map(s.jar);
      const s0 = performance.now();
      try {
        s = await steps[step](b, t, s);
        lat.push(performance.now() - s0);
      } catch (e) {
        failed++;
        errors.push(String(e.message || e));
      }
      requests++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const out = summary(lat, failed, errors, secs, requests, cpu0);
  for (const b of prepared.browsers) b.close();
  prepared = null;
  return out;
}

async function handle(cmd) {
  try {
    const t = cmd.target;
    let result;
    if (cmd.cmd === "check") result = await check(t);
    else if (cmd.cmd === "trace") result = await trace(t);
    else if (cmd.cmd === "prepare") result = await prepare(t, cmd);
    else if (cmd.cmd === "run") result = await run(t, cmd);
    else throw new Error(`unknown command ${cmd.cmd}`);
    return { ok: true, ...result };
  } catch (e) {
    return { ok: false, error: String(e.stack || e) };
  }
}

if (process.argv.length > 2) {
  const wait = process.argv.includes("--wait");
  const cmds = process.argv.slice(2).filter((a) => a !== "--wait");
  const lines = wait ? readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]() : null;
  let code = 0;
  for (const [i, arg] of cmds.entries()) {
    if (wait && i > 0) await lines.next();
    const res = await handle(JSON.parse(arg));
    console.log(JSON.stringify(res));
    if (!res.ok) code = 1;
  }
  process.exit(code);
} else {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    console.log(JSON.stringify(await handle(JSON.parse(line))));
  }
}

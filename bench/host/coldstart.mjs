// One cold start on the benchmark host (bench/coldstart.sh runs one fresh Node process per
// start): a worker configured as bench/host/host.mjs configures it (bench/host/workers.mjs),
// timed from just before `new Miniflare(...)` to its first answer on its own socket.
//
//   node bench/host/coldstart.mjs start --variant doorward|bindings|hello-js|rust-hello [--root REPO]
//        [--build DIR] [--state DIR --master-key K --admin-token T] [--request JSON]
//   node bench/host/coldstart.mjs prepare --state DIR [--root REPO] [--build DIR]
//   node --no-wasm-lazy-compilation bench/host/coldstart.mjs compile FILE.wasm...
//
// start    prints one JSON line: t_ready (ms from t0 to `await mf.ready`), t_first (t0 to the
//          first answer of the request, default `GET /healthz`, which must be 200), t_second
//          (the same request again, once warm), workerd's utime+stime at ready and at the first
//          answer, and t0 itself (ms since Node started: Node and the imports, not counted).
//          Doorward is reached on its `direct` socket (straight to the user worker); its state
//          is a fresh directory unless --state (with the MASTER_KEY and ADMIN_TOKEN it was
//          prepared under) is given. `bindings`: Doorward's configuration around the JavaScript
//          hello world (bench/floors/bindings.js); the floors: bench/floors/hello.js, rust-hello.
// prepare  starts Doorward on DIR, creates a resource and a client_credentials application
//          (RS256 access tokens) through the admin API, fetches its discovery document, its
//          JWKS and one token (so the KV records and the KeyVault object's keys exist on disk),
//          stops, and prints what a start over that state needs (keys, paths, credentials).
// compile  WebAssembly.compile of each file's bytes, 5 times: the median and the runs, in ms.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { Miniflare } from "miniflare";

import { BENCH, doorwardOptions, helloJsOptions, miniflareOptions, rustHelloOptions } from "./workers.mjs";

const mode = process.argv[2];
function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const root = path.resolve(arg("--root", path.dirname(BENCH)));
const TICK_MS = 10; // USER_HZ is 100 on Linux: /proc/PID/stat counts 10 ms ticks.

// The workerd children of this process: /proc/self/task/*/children (one read per thread of
// Node, no scan of /proc), so that reading workerd's CPU costs next to nothing at ready.
function workerdPid() {
  const pids = [];
  for (const tid of fs.readdirSync("/proc/self/task")) {
    let children = "";
    try {
      children = fs.readFileSync(`/proc/self/task/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const pid of children.split(" ").filter(Boolean)) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).startsWith("workerd")) pids.push(Number(pid));
      } catch {}
    }
  }
  if (pids.length !== 1) throw new Error(`expected one workerd child, found ${pids.join(",") || "none"}`);
  return pids[0];
}

// utime+stime (all threads) in ms, and the two parts.
function cpu(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(f[11]) * TICK_MS, kernel = Number(f[12]) * TICK_MS;
  return { total: user + kernel, user, kernel };
}

// One request on a new connection (node:http, no agent): [status, body text].
function send(origin, { method = "GET", path: p = "/healthz", headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(p, origin), { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve([res.statusCode, Buffer.concat(chunks).toString()]));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

// Node's own HTTP client code run once before t0 (against a throwaway local server), so that
// the first request to the worker does not pay for loading and compiling it.
async function warmClient() {
  const server = http.createServer((_, res) => res.end("ok"));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  for (let i = 0; i < 3; i++) await send(origin, { method: i ? "POST" : "GET", path: "/", body: i ? "x=1" : undefined });
  await new Promise((r) => server.close(r));
}

function variantOptions(variant, stateDir) {
  if (variant === "doorward") {
    const d = doorwardOptions({
      root, stateDir, build: arg("--build"), masterKey: arg("--master-key"), adminToken: arg("--admin-token"),
    });
    return { options: d.options, socket: d.sockets.direct };
  }
  if (variant === "bindings") {
    // Doorward's configuration around the JavaScript hello world (bench/floors/bindings.js).
    const d = doorwardOptions({ root, stateDir, script: path.join(BENCH, "floors", "bindings.js") });
    return { options: d.options, socket: d.sockets.direct };
  }
  if (variant === "hello-js") return helloJsOptions();
  if (variant === "rust-hello") return rustHelloOptions();
  throw new Error(`unknown variant ${variant}`);
}

async function start() {
  const variant = arg("--variant");
  const request = JSON.parse(arg("--request", '{"method": "GET", "path": "/healthz"}'));
  const given = arg("--state");
  const stateDir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), "doorward-cold-"));
  const { options, socket } = variantOptions(variant, stateDir);
  const converted = miniflareOptions(options);
  await warmClient();

  const t0 = performance.now();
  const mf = new Miniflare(converted);
  await mf.ready;
  const tReady = performance.now();
  const pid = workerdPid();
  const cpuReady = cpu(pid);
  const origin = (await mf.unsafeGetDirectURL(socket)).origin;
  const tSend = performance.now();
  const [status, body] = await send(origin, request);
  const tFirst = performance.now();
  const cpuFirst = cpu(pid);
  const expect = request.expect ?? 200;
  if (status !== expect) throw new Error(`${request.path}: ${status} ${body.slice(0, 300)}`);
  const t2 = performance.now();
  const [status2, body2] = await send(origin, request);
  const tSecond = performance.now() - t2;
  const cpuSecond = cpu(pid);
  if (status2 !== expect) throw new Error(`${request.path}, again: ${status2} ${body2.slice(0, 300)}`);
  await mf.dispose();
  if (!given) fs.rmSync(stateDir, { recursive: true, force: true });
  console.log(JSON.stringify({
    cold: {
      variant, path: request.path, status,
      t0_since_node_start: t0, t_ready: tReady - t0, t_send: tSend - t0, t_first: tFirst - t0, t_second: tSecond,
      cpu_ready: cpuReady, cpu_first: cpuFirst, cpu_second: cpuSecond.total - cpuFirst.total,
      body_bytes: body.length,
    },
  }));
}

// The admin API, JSON in and out.
async function admin(origin, token, method, p, payload) {
  const res = await fetch(new URL(p, origin), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function prepare() {
  const stateDir = path.resolve(arg("--state"));
  fs.mkdirSync(stateDir, { recursive: true });
  const d = doorwardOptions({ root, stateDir, build: arg("--build") });
  const mf = new Miniflare(miniflareOptions(d.options));
  try {
    await mf.ready;
    const origin = (await mf.unsafeGetDirectURL(d.sockets.direct)).origin;
    const resource = "https://api.example.com/orders";
    await admin(origin, d.admin_token, "POST", "/api/v1/resources", { code: "orders", uri: resource, actions: ["read"] });
    const app = await admin(origin, d.admin_token, "POST", "/api/v1/applications", {
      name: "Cold start", subdomain: "cold-start", redirect_uris: ["https://rp.example/callback"],
      grant_types: ["client_credentials"], permissions: ["orders:read"], access_token_signed_response_alg: "RS256",
    });
    const issuerPath = new URL(app.issuer).pathname;
    const discovery = `${issuerPath}/.well-known/openid-configuration`;
    const jwks = `${issuerPath}/.well-known/jwks.json`;
    const basic = "Basic " + Buffer.from(`${encodeURIComponent(app.client_id)}:${encodeURIComponent(app.client_secret)}`).toString("base64");
    const token = {
      method: "POST", path: `${issuerPath}/token`,
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: "orders:read" }).toString(),
    };
    for (const req of [{ path: discovery }, { path: jwks }, token]) {
      const [status, body] = await send(origin, req);
      if (status !== 200) throw new Error(`prepare: ${req.path}: ${status} ${body.slice(0, 300)}`);
      if (req === token && !JSON.parse(body).access_token) throw new Error(`prepare: no token: ${body}`);
    }
    console.log(JSON.stringify({
      prepared: {
        state: stateDir, master_key: d.master_key, admin_token: d.admin_token,
        requests: { discovery: { method: "GET", path: discovery }, jwks: { method: "GET", path: jwks }, token },
      },
    }));
  } finally {
    await mf.dispose();
  }
}

// WebAssembly.compile of the bytes, as scripts/check-bundle.sh times it (run under
// --no-wasm-lazy-compilation for an eager compile of every function, or without it).
async function compile() {
  const out = {};
  for (const file of process.argv.slice(3).filter((a) => !a.startsWith("--"))) {
    const bytes = fs.readFileSync(file);
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await WebAssembly.compile(bytes);
      runs.push(performance.now() - t);
    }
    out[file] = { median: [...runs].sort((a, b) => a - b)[2], runs };
  }
  console.log(JSON.stringify({ compile: out }));
}

const modes = { start, prepare, compile };
if (!modes[mode]) {
  console.error("usage: coldstart.mjs start|prepare|compile ...");
  process.exit(2);
}
await modes[mode]();
process.exit(0);

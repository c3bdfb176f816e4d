// A CPU profile of one worker in workerd while a load runs, through the V8 inspector
// (host.mjs --inspect PORT). Used by `bash bench/host.sh --profile TARGET`; never during the
// measured runs (an attached profiler slows the isolate down).
//
//   node bench/host/profile.mjs --inspect PORT --worker core:user:doorward --out FILE.cpuprofile \
//        [--interval-us 100] [--after-first-line] -- wrk ARGS...
//
// Starts the sampling profiler, runs the command after `--` (its output passes through), stops,
// writes the .cpuprofile (open it in Chrome DevTools) and prints the functions with the most
// self time and the most total time, as a markdown table. With --after-first-line the command
// starts first and the profiler only once it has printed its first line (the sign-in driver's
// `prepare`); the command is then sent a newline on stdin to go on.
//
//   node bench/host/profile.mjs --analyze FILE.cpuprofile    # the same tables from a saved profile

import { spawn } from "node:child_process";
import fs from "node:fs";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const port = Number(arg("--inspect"));
const worker = arg("--worker", "core:user:doorward");
const out = arg("--out");
const interval = Number(arg("--interval-us", 100));
const top = Number(arg("--top", 25));
const afterFirstLine = process.argv.slice(0, process.argv.indexOf("--")).includes("--after-first-line");
const cmd = process.argv.slice(process.argv.indexOf("--") + 1);
const analyze = arg("--analyze");

let profile;
let code = 0;
if (analyze) {
  profile = JSON.parse(fs.readFileSync(analyze, "utf8"));
} else {
  ({ profile, code } = await record());
}

async function record() {
const ws = new WebSocket(`ws://127.0.0.1:${port}/${worker}`);
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = () => reject(new Error(`cannot attach to ${worker} on inspector port ${port}`));
});
let nextId = 1;
const pending = new Map();
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) reject(new Error(JSON.stringify(msg.error)));
    else resolve(msg.result);
  }
};
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval });
let code;
if (afterFirstLine) {
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let buf = "";
  let started = false;
  child.stdout.on("data", async (chunk) => {
    process.stdout.write(chunk);
    buf += chunk;
    if (!started && buf.includes("\n")) {
      started = true;
      await send("Profiler.start");
      child.stdin.write("\n");
    }
  });
  code = await exited;
} else {
  await send("Profiler.start");
  code = await new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", resolve);
  });
}
const { profile: recorded } = await send("Profiler.stop");
ws.close();
if (out) fs.writeFileSync(out, JSON.stringify(recorded));
return { profile: recorded, code };
}

// Self time per node from the samples; total time per node = self + children's totals.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, i) => self.set(id, (self.get(id) || 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
const total = new Map();
function totalOf(n) {
  if (total.has(n.id)) return total.get(n.id);
  let t = self.get(n.id) || 0;
  for (const c of n.children || []) t += totalOf(byId.get(c));
  total.set(n.id, t);
  return t;
}
const rootNode = profile.nodes[0];
totalOf(rootNode);

const key = (n) => {
  const f = n.callFrame;
  const name = f.functionName || "(anonymous)";
  const where = f.url ? ` ${f.url.split("/").pop()}:${f.lineNumber + 1}` : "";
  return `${name}${where}`;
};
const selfBy = new Map();
const totalBy = new Map();
// Inclusive time per function, counted once per stack (recursion does not double it).
function walk(n, onStack) {
  const k = key(n);
  selfBy.set(k, (selfBy.get(k) || 0) + (self.get(n.id) || 0));
  if (!onStack.has(k)) totalBy.set(k, (totalBy.get(k) || 0) + total.get(n.id));
  const next = new Set(onStack).add(k);
  for (const c of n.children || []) walk(byId.get(c), next);
}
walk(rootNode, new Set());

// Each sample's part, from its whole stack: the password hash (WebCrypto deriveBits), signatures
// and key imports (WebCrypto sign, verify, importKey), the Durable Objects' own code, and the
// rest of the worker. Durable Objects run in the worker's isolate here. Rust inlines most async
// fns, so an object's code is found by the future that polls it: every `future_to_promise`
// closure (one per event handler: the worker's fetch, each object class's fetch) is classed by
// what runs under it anywhere in the profile — doorward::http for the worker, doorward::objects
// or SQL for an object — plus the objects' own exports (constructors, first polls).
const RANK = { worker: 1, object: 2, crypto: 3, hash: 4 };
const PART_LABEL = {
  hash: "password hash (WebCrypto deriveBits)",
  crypto: "signatures and key imports (WebCrypto sign / verify / importKey)",
  object: "Durable Objects' own code (GrantStore, UserDirectory, KeyVault: commands, SQLite, their Response)",
  worker: "the worker (everything else in the isolate: routing, Rust, wasm-bindgen glue, the objects' stubs)",
};
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parentOf.set(c, n.id);
const F2P = /future_to_promise::\{\{closure\}\}::\{\{closure\}\}::(h[0-9a-f]{16})/;
const OBJECT_FRAME = /grantstore_|userdirectory_|keyvault_|doorward::objects::|worker::sql::/;
const handler = new Map(); // future_to_promise hash -> {http, object}
for (const id of self.keys()) {
  const seen = { http: false, object: false };
  const hashes = [];
  for (let cur = id; cur !== undefined; cur = parentOf.get(cur)) {
    const name = byId.get(cur).callFrame.functionName;
    const m = F2P.exec(name);
    if (m) {
      hashes.push(m[1]);
      break; // the innermost handler future only
    }
    if (/doorward::http::/.test(name)) seen.http = true;
    if (OBJECT_FRAME.test(name)) seen.object = true;
  }
  for (const h of hashes) {
    const e = handler.get(h) || { http: false, object: false };
    e.http ||= seen.http;
    e.object ||= seen.object;
    handler.set(h, e);
  }
}
function classify(name) {
  if (name === "deriveBits") return "hash";
  if (name === "sign" || name === "verify" || name === "importKey") return "crypto";
  if (OBJECT_FRAME.test(name)) return "object";
  const m = F2P.exec(name);
  if (m) {
    const e = handler.get(m[1]);
    if (e && e.object && !e.http) return "object";
  }
  return "worker";
}
const partOf = new Map();
function part(id) {
  if (partOf.has(id)) return partOf.get(id);
  const n = byId.get(id);
  const name = n.callFrame.functionName;
  let p;
  if (["(idle)", "(program)", "(garbage collector)", "(root)"].includes(name)) p = name;
  else {
    const up = parentOf.has(id) ? part(parentOf.get(id)) : null;
    const own = classify(name);
    p = RANK[up] && RANK[up] > RANK[own] ? up : own;
  }
  partOf.set(id, p);
  return p;
}
const byPart = new Map();
for (const [id, t] of self) {
  const p = part(id);
  byPart.set(p, (byPart.get(p) || 0) + t);
}

const all = [...self.values()].reduce((a, b) => a + b, 0);
const idle = ["(idle)", "(program)", "(garbage collector)"].map((k) => [k, selfBy.get(k) || 0]);
const busy = all - (selfBy.get("(idle)") || 0);
const pct = (t) => `${((100 * t) / busy).toFixed(1)}%`;
const rows = (m) =>
  [...m.entries()]
    .filter(([k]) => k !== "(idle)" && k !== "(root)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
const esc = (s) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
const lines = [
  `Profile of ${analyze ? analyze.split("/").pop() : worker}: ${(all / 1e6).toFixed(1)} s sampled every ${interval} µs, ` +
    `${(busy / 1e6).toFixed(2)} s not idle; ${idle.map(([k, t]) => `${k} ${(t / 1e6).toFixed(2)} s`).join(", ")}. ` +
    `Percentages are of the non-idle time. Native work (the SQLite of a Durable Object, KV, the ` +
    `HTTP stack, WebCrypto's own C++) appears as "(program)" or under the JS/wasm frame that called it. ` +
    `With the inspector attached every console message and runtime warning becomes an inspector event: ` +
    `\`text\` on a form body carries the "Called .text() on an HTTP body which does not appear to be text" ` +
    `warning, which costs next to nothing unprofiled (a JavaScript worker reading the same form with ` +
    `text() and with arrayBuffer(): within 0.01 ms per request of each other on this host).`,
  "",
  "| self | function |",
  "|---:|---|",
  ...rows(selfBy).map(([k, t]) => `| ${pct(t)} | ${esc(k)} |`),
  "",
  "| total | function |",
  "|---:|---|",
  ...rows(totalBy).map(([k, t]) => `| ${pct(t)} | ${esc(k)} |`),
  "",
  "| part (by the whole stack of each sample) | share | seconds |",
  "|---|---:|---:|",
  ...["hash", "crypto", "object", "worker", "(program)", "(garbage collector)"]
    .filter((k) => byPart.get(k))
    .map((k) => `| ${PART_LABEL[k] || k} | ${pct(byPart.get(k))} | ${(byPart.get(k) / 1e6).toFixed(3)} |`),
];
if (process.env.PROFILE_PARTS_JSON) {
  fs.writeFileSync(process.env.PROFILE_PARTS_JSON, JSON.stringify({
    busy_s: busy / 1e6,
    parts: Object.fromEntries([...byPart].filter(([k]) => k !== "(idle)").map(([k, t]) => [k, t / 1e6])),
  }));
}
console.log(lines.join("\n"));
process.exit(code ?? 1);

// The benchmark host: the built worker on Miniflare's API — one workerd, the same KV, SQLite
// Durable Object and assets code as `wrangler dev`, without its proxy workerd, entry worker,
// trace collector or per-request log relay — plus the four floors, each in its own workerd.
//
//   node bench/host/host.mjs --state DIR [--root REPO] [--no-floors] [--inspect PORT] [--count-calls]
//                            [--alt-build DIR]
//
// Prints one JSON line {"ready": {...}} with every socket and workerd PID, then serves until
// stdin closes or SIGTERM/SIGINT arrives (then disposes every Miniflare and exits).
//
// Doorward is configured from wrangler.toml by wrangler's own unstable_getMiniflareWorkerOptions
// (KV, the three SQLite-backed Durable Object classes, assets with run_worker_first, vars), plus
// what `.dev.vars` gives it under `wrangler dev`: MASTER_KEY (32 random bytes, base64url) and
// ADMIN_TOKEN, generated here, and ENABLE_DEBUG_API=true for the setup probes. State lives on
// disk under DIR/v3 as with `wrangler dev --persist-to DIR`.
//
// Two sockets reach Doorward:
//   router  Doorward's own direct socket. For a worker with [assets] Miniflare points it at the
//           assets proxy → router workers, which (run_worker_first) call the user worker: the
//           same chain as the entry worker of `wrangler dev` takes.
//   direct  a direct socket declared on a second, trivial worker with serviceName "doorward":
//           workerd routes it to Doorward's user worker itself; the trivial worker never runs.
// --count-calls runs Doorward behind bench/host/count-calls.mjs, which answers every request with
// the Durable Object, KV and assets calls it made (for counting round trips; never measured).
// The floors: bench/floors/hello.js (JavaScript) and bench/floors/rust-hello (workers-rs), each
// a worker without assets on its own direct socket in its own Miniflare (own workerd process);
// and the Durable Object floors bench/floors/do.js and bench/floors/rust-do, the same but each
// request one call to a SQLite-backed object of the worker, in that worker's workerd (a read over
// the stub's fetch or by JS RPC, or a write by RPC).

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

// No network: the `Request.cf` placeholder instead of a lookup (as scripts/env.sh sets it).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCH = path.dirname(HERE);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const root = path.resolve(arg("--root", path.dirname(BENCH)));
const state = path.resolve(arg("--state", fs.mkdtempSync("/tmp/doorward-host-")));
const floors = !process.argv.includes("--no-floors");
// --inspect PORT: Doorward's workerd also serves the V8 inspector there (for bench/host/profile.mjs;
// never during the measured runs).
const inspectPort = arg("--inspect") ? Number(arg("--inspect")) : undefined;
const countCalls = process.argv.includes("--count-calls");
const HOST = "127.0.0.1";
const b64 = (n) => crypto.randomBytes(n).toString("base64url");

// The workerd processes this Node started (children named workerd), for /proc CPU accounting.
function workerdChildren() {
  const out = new Set();
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === process.pid && comm.startsWith("workerd")) out.add(Number(pid));
  }
  return out;
}

const log = new Log(LogLevel.WARN);
const instances = [];

// Starts one Miniflare and returns it with the PID of the workerd it spawned.
async function start(options) {
  const before = workerdChildren();
  // The options in the shape wrangler itself builds, converted as wrangler converts them.
  const mf = new Miniflare(convertV4MiniflareOptions({ host: HOST, port: 0, log, logRequests: false, ...options }));
  instances.push(mf);
  await mf.ready;
  const pids = [...workerdChildren()].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.join(",") || "none"}`);
  return { mf, pid: pids[0] };
}

// A build directory as modules: index.js (Doorward's entry, src/entry.js; worker-build's own
// output in the floors and in builds from before that entry), the generated doorward.js it
// imports when present, and index_bg.wasm (what wrangler's CompiledWasm rule makes of it);
// `wrapper`, a module that imports "./index.js", becomes the main module (count-calls.mjs, the
// workers-rs Durable Object floor's entry.js).
function workerBuildModules(main, wrapper) {
  const dir = path.dirname(main);
  const generated = path.join(dir, "doorward.js");
  return {
    modulesRoot: dir,
    modules: [
      // A wrapper first (the main module), beside index.js so that it can import "./index.js".
      ...(wrapper ? [{ type: "ESModule", path: path.join(dir, "__bench_wrapper.mjs"), contents: fs.readFileSync(wrapper, "utf8") }] : []),
      { type: "ESModule", path: main },
      ...(fs.existsSync(generated) ? [{ type: "ESModule", path: generated }] : []),
      { type: "CompiledWasm", path: path.join(dir, "index_bg.wasm") },
    ],
  };
}

async function socket(mf, worker) {
  return (await mf.unsafeGetDirectURL(worker)).origin;
}

const ready = { host_pid: process.pid, state };

// Doorward: as configured by wrangler.toml, and (`extra` bindings) a variant of the same build.
async function startDoorward({ stateDir, extra = {}, calls = false, inspect = false, build }) {
  const config = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml"));
  const { workerOptions } = config;
  // `build`: another build directory of the same crate (the same wrangler.toml bindings).
  const main = build ? path.join(path.resolve(build), "index.js") : config.main;
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: build the worker first`);
  const adminToken = b64(32);
  const { modulesRules: _rules, ...bindingOptions } = workerOptions;
  const doorward = {
    ...bindingOptions,
    name: "doorward",
    ...workerBuildModules(main, calls ? path.join(HERE, "count-calls.mjs") : undefined),
    bindings: {
      ...workerOptions.bindings,
      ENABLE_DEBUG_API: "true",
      MASTER_KEY: b64(32),
      ADMIN_TOKEN: adminToken,
      ...extra,
    },
    unsafeDirectSockets: [{ host: HOST, port: 0 }],
  };
  const direct = {
    name: "doorward-direct",
    modules: true,
    script: 'export default { fetch() { return new Response("not reached", { status: 500 }); } };',
    compatibilityDate: workerOptions.compatibilityDate,
    unsafeDirectSockets: [{ host: HOST, port: 0, serviceName: "doorward" }],
  };
  const { mf, pid } = await start({
    rootPath: root,
    resourcePersistencePath: path.join(stateDir, "v3"),
    ...(inspect && inspectPort !== undefined ? { inspectorPort: inspectPort } : {}),
    workers: [doorward, direct],
  });
  return {
    pid,
    router: await socket(mf, "doorward"),
    direct: await socket(mf, "doorward-direct"),
    admin_token: adminToken,
    wasm: path.join(path.dirname(main), "index_bg.wasm"),
  };
}

ready.doorward = await startDoorward({ stateDir: state, calls: countCalls, inspect: true });
// --alt-build DIR: a second build (e.g. other compiler settings) beside the first, same run.
const altBuild = arg("--alt-build");
if (altBuild) {
  const altState = path.join(state, "alt-build");
  fs.mkdirSync(altState, { recursive: true });
  ready.doorward_alt = await startDoorward({ stateDir: altState, build: altBuild });
}
if (floors) {
  // The same build logging every machine token by itself (AUDIT_TOKEN_TALLY_SECS=0), as the
  // builds before the tally did: the before/after of the tally in one run.
  const variantState = path.join(state, "log-each");
  fs.mkdirSync(variantState, { recursive: true });
  ready.doorward_log_each = await startDoorward({
    stateDir: variantState,
    extra: { AUDIT_TOKEN_TALLY_SECS: "0" },
  });
}

if (floors) {
  const hello = await start({
    workers: [{
      name: "hello-js",
      modules: true,
      scriptPath: path.join(BENCH, "floors", "hello.js"),
      compatibilityDate: "2025-09-01",
      unsafeDirectSockets: [{ host: HOST, port: 0 }],
    }],
  });
  ready.hello_js = { pid: hello.pid, url: await socket(hello.mf, "hello-js") };

  const rustMain = path.join(BENCH, "floors", "rust-hello", "build", "index.js");
  if (!fs.existsSync(rustMain)) throw new Error(`${rustMain} is missing: bench/host.sh builds it`);
  const rust = await start({
    rootPath: path.dirname(rustMain),
    workers: [{
      name: "rust-hello",
      ...workerBuildModules(rustMain),
      compatibilityDate: "2025-09-01",
      unsafeDirectSockets: [{ host: HOST, port: 0 }],
    }],
  });
  ready.rust_hello = { pid: rust.pid, url: await socket(rust.mf, "rust-hello") };

  // The Durable Object floors: each request one round trip to a SQLite-backed object of the
  // same worker, in the same workerd (as Doorward's objects run in its own), the objects'
  // SQLite files on disk under the state directory as Doorward's are.
  const kv = { KV: { className: "KvStore", useSQLite: true } };
  const doJs = await start({
    resourcePersistencePath: path.join(state, "floor-do-js", "v3"),
    workers: [{
      name: "do-js",
      modules: true,
      scriptPath: path.join(BENCH, "floors", "do.js"),
      compatibilityDate: "2025-09-01",
      durableObjects: kv,
      unsafeDirectSockets: [{ host: HOST, port: 0 }],
    }],
  });
  ready.do_js = { pid: doJs.pid, url: await socket(doJs.mf, "do-js") };

  // workers-rs: its main module is bench/floors/rust-do/entry.js, which wraps the generated
  // object class in one that extends DurableObject (workerd serves JS RPC only on those).
  const doMain = path.join(BENCH, "floors", "rust-do", "build", "index.js");
  if (!fs.existsSync(doMain)) throw new Error(`${doMain} is missing: bench/host.sh builds it`);
  const doRust = await start({
    rootPath: path.dirname(doMain),
    resourcePersistencePath: path.join(state, "floor-do-rust", "v3"),
    workers: [{
      name: "do-rust",
      ...workerBuildModules(doMain, path.join(BENCH, "floors", "rust-do", "entry.js")),
      compatibilityDate: "2025-09-01",
      durableObjects: kv,
      unsafeDirectSockets: [{ host: HOST, port: 0 }],
    }],
  });
  ready.do_rust = { pid: doRust.pid, url: await socket(doRust.mf, "do-rust") };
}

console.log(JSON.stringify({ ready }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(instances.map((mf) => mf.dispose()));
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();

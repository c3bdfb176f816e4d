// The benchmark host's Miniflare configuration, shared by bench/host/host.mjs (the load host)
// and bench/host/coldstart.mjs (one start, timed): Doorward as wrangler.toml configures it, the
// hello-world floors and the Durable Object floors, each as the options of one Miniflare (one
// workerd process), converted as wrangler converts them.
//
// Doorward is configured from wrangler.toml by wrangler's own unstable_getMiniflareWorkerOptions
// (KV, the SQLite-backed Durable Object classes, assets with run_worker_first, vars), plus what
// `.dev.vars` gives it under `wrangler dev`: MASTER_KEY (32 random bytes, base64url) and
// ADMIN_TOKEN, generated unless given (a start over persisted state needs the MASTER_KEY its
// keys were encrypted under), and ENABLE_DEBUG_API=true for the setup probes. State lives on
// disk under STATE/v3 as with `wrangler dev --persist-to STATE`.
//
// Two sockets reach Doorward:
//   router  Doorward's own direct socket. For a worker with [assets] Miniflare points it at the
//           assets proxy → router workers, which (run_worker_first) call the user worker: the
//           same chain as the entry worker of `wrangler dev` takes.
//   direct  a direct socket declared on a second, trivial worker with serviceName "doorward":
//           workerd routes it to Doorward's user worker itself; the trivial worker never runs.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { convertV4MiniflareOptions, Log, LogLevel } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

// No network: the `Request.cf` placeholder instead of a lookup (as scripts/env.sh sets it).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BENCH = path.dirname(HERE);
export const HOST = "127.0.0.1";
export const b64 = (n) => crypto.randomBytes(n).toString("base64url");

const log = new Log(LogLevel.WARN);

// The workerd processes this Node started (children named workerd), for /proc CPU accounting.
export function workerdChildren() {
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

// The options of one Miniflare in the shape wrangler itself builds, converted as wrangler
// converts them (every socket on 127.0.0.1, ports chosen by the system).
export function miniflareOptions(options) {
  return convertV4MiniflareOptions({ host: HOST, port: 0, log, logRequests: false, ...options });
}

// A build directory as modules: index.js (Doorward's entry, src/entry.js; worker-build's own
// output in the floors and in builds from before that entry), the generated doorward.js it
// imports when present, and index_bg.wasm (what wrangler's CompiledWasm rule makes of it);
// `wrapper`, a module that imports "./index.js", becomes the main module (count-calls.mjs, the
// workers-rs Durable Object floor's entry.js).
export function workerBuildModules(main, wrapper) {
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

// JavaScript modules as Miniflare takes them, the first the main one.
function scriptModules(paths) {
  return { modulesRoot: path.dirname(paths[0]), modules: paths.map((p) => ({ type: "ESModule", path: p })) };
}

// Doorward as configured by wrangler.toml under `root`, its state under `stateDir`: the
// Miniflare options (not yet converted) and what a client needs to know. `build`: another
// build directory of the same crate (the same wrangler.toml bindings); `extra`: bindings of a
// variant; `calls`: behind bench/host/count-calls.mjs; `inspectorPort`: the V8 inspector;
// `script`: a JavaScript module (or a list: the main one and those it imports) in place of the build
// (bench/floors/bindings.js: the configuration's own cost at start, for bench/coldstart.sh;
// bench/floors/configured.js: its cost per request, for bench/host/host.mjs).
export function doorwardOptions({ root, stateDir, build, extra = {}, calls = false, inspectorPort,
                                  masterKey = b64(32), adminToken = b64(32), script }) {
  const config = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml"));
  const { workerOptions } = config;
  const main = build ? path.join(path.resolve(build), "index.js") : config.main;
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: build the worker first`);
  const { modulesRules: _rules, ...bindingOptions } = workerOptions;
  const doorward = {
    ...bindingOptions,
    name: "doorward",
    ...(script
      ? scriptModules([script].flat())
      : workerBuildModules(main, calls ? path.join(HERE, "count-calls.mjs") : undefined)),
    bindings: {
      ...workerOptions.bindings,
      ENABLE_DEBUG_API: "true",
      MASTER_KEY: masterKey,
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
  return {
    options: {
      rootPath: root,
      resourcePersistencePath: path.join(stateDir, "v3"),
      ...(inspectorPort !== undefined ? { inspectorPort } : {}),
      workers: [doorward, direct],
    },
    sockets: { router: "doorward", direct: "doorward-direct" },
    admin_token: adminToken,
    master_key: masterKey,
    wasm: path.join(path.dirname(main), "index_bg.wasm"),
  };
}

// The floors, each a worker without assets on its own direct socket (its `socket`): answering
// what Doorward's /healthz answers, bench/floors/hello.js (JavaScript) and
// bench/floors/rust-hello (workers-rs, built by bench/host.sh); answering Doorward's documents
// from memory, bench/floors/document.js (JavaScript). A JavaScript floor is one module worker.
function jsFloorOptions(file, name) {
  const script = path.join(BENCH, "floors", file);
  return {
    options: {
      workers: [{
        name,
        modules: true,
        scriptPath: script,
        compatibilityDate: "2025-09-01",
        unsafeDirectSockets: [{ host: HOST, port: 0 }],
      }],
    },
    socket: name,
    script,
  };
}

export function helloJsOptions() {
  return jsFloorOptions("hello.js", "hello-js");
}

export function documentJsOptions() {
  return jsFloorOptions("document.js", "document-js");
}

export function rustHelloOptions() {
  const main = path.join(BENCH, "floors", "rust-hello", "build", "index.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: bench/host.sh builds it`);
  return {
    options: {
      rootPath: path.dirname(main),
      workers: [{
        name: "rust-hello",
        ...workerBuildModules(main),
        compatibilityDate: "2025-09-01",
        unsafeDirectSockets: [{ host: HOST, port: 0 }],
      }],
    },
    socket: "rust-hello",
    wasm: path.join(path.dirname(main), "index_bg.wasm"),
  };
}

// The Durable Object floors: each request one round trip to a SQLite-backed object of the
// same worker, in the same workerd (as Doorward's objects run in its own), the objects'
// SQLite files on disk under `stateDir` as Doorward's are.
const kv = { KV: { className: "KvStore", useSQLite: true } };

export function doJsOptions(stateDir) {
  return {
    options: {
      resourcePersistencePath: path.join(stateDir, "v3"),
      workers: [{
        name: "do-js",
        modules: true,
        scriptPath: path.join(BENCH, "floors", "do.js"),
        compatibilityDate: "2025-09-01",
        durableObjects: kv,
        unsafeDirectSockets: [{ host: HOST, port: 0 }],
      }],
    },
    socket: "do-js",
  };
}

// workers-rs: its main module is bench/floors/rust-do/entry.js, which wraps the generated
// object class in one that extends DurableObject (workerd serves JS RPC only on those).
export function doRustOptions(stateDir) {
  const main = path.join(BENCH, "floors", "rust-do", "build", "index.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: bench/host.sh builds it`);
  return {
    options: {
      rootPath: path.dirname(main),
      resourcePersistencePath: path.join(stateDir, "v3"),
      workers: [{
        name: "do-rust",
        ...workerBuildModules(main, path.join(BENCH, "floors", "rust-do", "entry.js")),
        compatibilityDate: "2025-09-01",
        durableObjects: kv,
        unsafeDirectSockets: [{ host: HOST, port: 0 }],
      }],
    },
    socket: "do-rust",
  };
}

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
// Doorward is configured from wrangler.toml (plus MASTER_KEY, ADMIN_TOKEN and ENABLE_DEBUG_API,
// as `.dev.vars` gives them under `wrangler dev`) and reached on two sockets: `router`, through
// the assets router as `wrangler dev`'s entry worker calls it, and `direct`, straight to the user
// worker. --count-calls runs Doorward behind bench/host/count-calls.mjs, which answers every
// request with the Durable Object, KV and assets calls it made (for counting round trips; never
// measured). The floors: bench/floors/hello.js (JavaScript), bench/floors/rust-hello
// (workers-rs) and bench/floors/document.js (JavaScript, a document kept in memory), each a
// worker without assets on its own direct socket in its own Miniflare (own workerd process);
// and the Durable Object floors bench/floors/do.js and bench/floors/rust-do,
// the same but each request one call to a SQLite-backed object of the worker, in that worker's
// workerd (a read over the stub's fetch or by JS RPC, or a write by RPC).
//
// Every worker's configuration is bench/host/workers.mjs, shared with bench/host/coldstart.mjs.

import fs from "node:fs";
import path from "node:path";

import { Miniflare } from "miniflare";

import {
  BENCH,
  doJsOptions,
  doorwardOptions,
  doRustOptions,
  documentJsOptions,
  helloJsOptions,
  miniflareOptions,
  rustHelloOptions,
  workerdChildren,
} from "./workers.mjs";

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

const instances = [];

// Starts one Miniflare and returns it with the PID of the workerd it spawned.
async function start(options) {
  const before = workerdChildren();
  const mf = new Miniflare(miniflareOptions(options));
  instances.push(mf);
  await mf.ready;
  const pids = [...workerdChildren()].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.join(",") || "none"}`);
  return { mf, pid: pids[0] };
}

async function socket(mf, worker) {
  return (await mf.unsafeGetDirectURL(worker)).origin;
}

const ready = { host_pid: process.pid, state };

// Doorward: as configured by wrangler.toml, and (`extra` bindings) a variant of the same build;
// `build`: another build directory of the same crate (the same wrangler.toml bindings).
// `script`: a JavaScript module in Doorward's place, in the same configuration (a floor).
async function startDoorward({ stateDir, extra = {}, calls = false, inspect = false, build, script }) {
  const d = doorwardOptions({ root, stateDir, build, extra, calls, script,
                              inspectorPort: inspect ? inspectPort : undefined });
  const { mf, pid } = await start(d.options);
  return {
    pid,
    router: await socket(mf, d.sockets.router),
    direct: await socket(mf, d.sockets.direct),
    admin_token: d.admin_token,
    wasm: d.wasm,
  };
}

// A floor: its own Miniflare (own workerd), reached on its own direct socket.
async function startFloor({ options, socket: name }) {
  const { mf, pid } = await start(options);
  return { pid, url: await socket(mf, name) };
}

ready.doorward = await startDoorward({ stateDir: state, calls: countCalls, inspect: true });
// --alt-build DIR: a second build (e.g. other compiler settings) beside the first, same run.
const altBuild = arg("--alt-build");
// Beside it, a twin of the first build started and set up as the second is: the first instance
// also serves the faithfulness checks, the probes and the router's column, and an A/A run (the
// same build as both, 2026-12-04) found it 0.002–0.005 ms dearer per request than the second
// for that, so the before/after is read between the twin and the alternative.
if (altBuild) {
  for (const [key, dir, build] of [["doorward_twin", "twin", undefined], ["doorward_alt", "alt-build", altBuild]]) {
    const instanceState = path.join(state, dir);
    fs.mkdirSync(instanceState, { recursive: true });
    ready[key] = await startDoorward({ stateDir: instanceState, build });
  }
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
  ready.hello_js = await startFloor(helloJsOptions());
  ready.rust_hello = await startFloor(rustHelloOptions());
  ready.document_js = await startFloor(documentJsOptions());
  // The same document floor in Doorward's configuration, on the same two sockets.
  const configuredState = path.join(state, "floor-configured");
  fs.mkdirSync(configuredState, { recursive: true });
  ready.configured_js = await startDoorward({
    stateDir: configuredState,
    // Its modules listed: configured.js and the two it imports.
    script: ["configured.js", "document.js", "bindings.js"].map((f) => path.join(BENCH, "floors", f)),
  });
  // The Durable Object floors, their SQLite files under the run's state directory.
  ready.do_js = await startFloor(doJsOptions(path.join(state, "floor-do-js")));
  ready.do_rust = await startFloor(doRustOptions(path.join(state, "floor-do-rust")));
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

#!/usr/bin/env python3
"""Cold start on the faithful benchmark host (issue 13): from a fresh workerd to the first answer.

Run through bench/coldstart.sh (it builds the workers-rs floor and checks the build). Standard
library only. Every start is a fresh Node process, bench/host/coldstart.mjs, which configures
its worker exactly as bench/host/host.mjs does (bench/host/workers.mjs: Miniflare's API, the
wrangler.toml bindings, a socket straight on the worker) and times, from t0 just before
`new Miniflare(...)`:

  t_ready   `await mf.ready` (workerd spawned, its config loaded, its sockets listening);
  t_first   the first answer (200) to the start's request on the worker's direct socket;
  t_second  the same request again (warm), for contrast;

and reads workerd's utime+stime (all threads, /proc/PID/stat) at ready and at the first answer.

Starts, interleaved, their order rotated each run: Doorward's build/ (and --alt-build's),
first `GET /healthz` on fresh state; the same build over a state directory prepared once
beforehand (an application created through the admin API, its discovery, JWKS and one token
fetched, so its KV records and its KeyVault object's keys are on disk; each start gets a fresh
copy), first the application's discovery document, and first a client_credentials token (KV,
the client secret, the KeyVault Durable Object's key, a signature); the JavaScript and the
workers-rs hello worlds (bench/floors), first `GET /healthz`. Also the wasm sizes (raw and gzip -9)
and WebAssembly.compile of each wasm in Node (median of 5, eager as scripts/check-bundle.sh
compiles it, and lazy).
"""

import argparse
import datetime
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "machine"))
import machine  # noqa: E402  (bench/machine/machine.py: load_before_run)
ROOT = os.path.dirname(BENCH)
NODE = os.path.join(ROOT, "node_modules", ".bin", "node")
SCRIPT = os.path.join(HERE, "coldstart.mjs")
FLOORS = os.path.join(BENCH, "floors")
CLK_TCK = os.sysconf("SC_CLK_TCK")
JS_COL, RUST_COL = "JS hello world", "workers-rs hello world"
BIND_COL = "Doorward's configuration, JS hello world"


def node(args, timeout=120, node_flags=()):
    """Runs coldstart.mjs in a fresh Node process; returns its one JSON line, parsed."""
    env = dict(os.environ, NODE_ENV="production")
    p = subprocess.run([NODE, *node_flags, SCRIPT, *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    line = next((l for l in p.stdout.splitlines() if l.startswith("{")), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError(f"coldstart.mjs {' '.join(args[:3])} failed ({p.returncode}):\n"
                           f"{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    return json.loads(line)


def busy_ticks():
    """The machine's busy time so far (all CPUs, /proc/stat, USER_HZ ticks): user, nice, system,
    irq, softirq, steal."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def children_seconds():
    """CPU of this script's reaped children and theirs (Node, and the workerd it reaps)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sizes(path):
    with open(path, "rb") as f:
        data = f.read()
    return len(data), len(gzip.compress(data, compresslevel=9))


def kib(n):
    return f"{n / 1024:,.0f}"


def med(xs):
    return statistics.median(xs)


def spread(xs, digits=0):
    return f"{med(xs):,.{digits}f} ({min(xs):,.{digits}f}–{max(xs):,.{digits}f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 10)))
    ap.add_argument("--alt-build", help="a second build directory of the crate, started beside build/")
    ap.add_argument("--alt-label", default="alt build")
    args = ap.parse_args()

    load_start = machine.load_before_run()
    began = time.monotonic()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")

    builds = [("Doorward", os.path.join(ROOT, "build"))]
    if args.alt_build:
        builds.append((f"Doorward, {args.alt_label}", os.path.abspath(args.alt_build)))
    for label, d in builds:
        for f in ("index.js", "index_bg.wasm"):
            if not os.path.isfile(os.path.join(d, f)):
                raise SystemExit(f"coldstart: {d}/{f} is missing ({label}); build the worker first")

    # What each variant loads: (column, [modules], wasm or None).
    rust_build = os.path.join(FLOORS, "rust-hello", "build")
    wasm = {label: os.path.join(d, "index_bg.wasm") for label, d in builds}
    wasm[RUST_COL] = os.path.join(rust_build, "index_bg.wasm")
    js_modules = {label: [os.path.join(d, f) for f in ("index.js", "doorward.js") if os.path.isfile(os.path.join(d, f))]
                  for label, d in builds}
    js_modules[RUST_COL] = [os.path.join(rust_build, "index.js")]
    js_modules[JS_COL] = [os.path.join(FLOORS, "hello.js")]
    js_modules[BIND_COL] = [os.path.join(FLOORS, "bindings.js")]

    scratch = tempfile.mkdtemp(prefix="doorward-coldstart-")
    try:
        # The persisted state, prepared once per build (with that build).
        prepared = {}
        for label, d in builds:
            state = os.path.join(scratch, f"prepared-{len(prepared)}")
            prepared[label] = node(["prepare", "--root", ROOT, "--build", d, "--state", state])["prepared"]
            print(f"prepared {label}: {prepared[label]['requests']['discovery']['path']}", flush=True)

        # The wasm compile in Node, as check-bundle.sh times it (no native module cache, so the
        # five compiles are five compiles), eager and lazy.
        files = list(wasm.values())
        cache = ["--no-wasm-native-module-cache-enabled"]
        eager = node(["compile", *files], node_flags=["--no-wasm-lazy-compilation", *cache])["compile"]
        lazy = node(["compile", *files], node_flags=cache)["compile"]
        compiles = {col: (eager[f], lazy[f]) for col, f in wasm.items()}

        # The starts: (row key, column, first request's label, coldstart.mjs arguments, state to copy).
        plan = []
        for label, d in builds:
            base = ["--variant", "doorward", "--root", ROOT, "--build", d]
            p = prepared[label]
            keys = ["--master-key", p["master_key"], "--admin-token", p["admin_token"]]
            plan.append((label, "healthz", base, None))
            for what in ("discovery", "token"):
                plan.append((label, what, base + keys + ["--request", json.dumps(p["requests"][what])], p["state"]))
        plan.append((BIND_COL, "healthz", ["--variant", "bindings", "--root", ROOT], None))
        plan.append((JS_COL, "healthz", ["--variant", "hello-js", "--root", ROOT], None))
        plan.append((RUST_COL, "healthz", ["--variant", "rust-hello", "--root", ROOT], None))

        results = {(col, what): [] for col, what, _, _ in plan}
        loads = []
        for r in range(args.runs):
            loads.append(float(open("/proc/loadavg").read().split()[0]))
            order = plan[r % len(plan):] + plan[:r % len(plan)]
            print(f"run {r + 1}/{args.runs} (load average {loads[-1]:.2f}):", flush=True)
            for col, what, cmd, state in order:
                extra = []
                if state:
                    copy = os.path.join(scratch, "state")
                    shutil.rmtree(copy, ignore_errors=True)
                    shutil.copytree(state, copy)
                    extra = ["--state", copy]
                own, b0, c0, w0 = time.process_time(), busy_ticks(), children_seconds(), time.monotonic()
                res = node(["start", *cmd, *extra])["cold"]
                # Other processes' CPU during the start: the machine's busy time less this
                # start's own (Node, workerd) and this script's.
                others = ((busy_ticks() - b0) / CLK_TCK - (children_seconds() - c0)
                          - (time.process_time() - own))
                res["others_cores"] = max(0.0, others) / (time.monotonic() - w0)
                results[(col, what)].append(res)
                print(f"  {col:<42} {what:<9} ready {res['t_ready']:7.1f}  first {res['t_first']:7.1f} ms"
                      f"  (workerd CPU {res['cpu_first']['total']:4d} ms)  second {res['t_second']:5.1f} ms"
                      f"  others {res['others_cores']:.2f} cores",
                      flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = render(results, builds, wasm, js_modules, compiles, args, load_start, loads,
                    time.monotonic() - began, prepared)
    print("\n" + report, flush=True)
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"coldstart-{stamp}.md")
    with open(out, "w") as f:
        f.write(report)
        f.write("\n\n<details><summary>Every start (JSON)</summary>\n\n```json\n")
        json.dump([{"column": c, "first": w, "runs": runs} for (c, w), runs in results.items()], f, indent=1)
        f.write("\n```\n</details>\n")
    print(f"written to {os.path.relpath(out, ROOT)}", flush=True)


FIRST = {
    "healthz": "`GET /healthz`, fresh state",
    "discovery": "discovery, stored application",
    "token": "client_credentials token, stored application",
}


def render(results, builds, wasm, js_modules, compiles, args, load_start, loads, secs, prepared):
    def parts(col, what):
        runs = results[(col, what)]
        return {
            "ready": [x["t_ready"] for x in runs],
            "after": [x["t_first"] - x["t_ready"] for x in runs],
            "first": [x["t_first"] for x in runs],
            "second": [x["t_second"] for x in runs],
            "cpu_ready": [x["cpu_ready"]["total"] for x in runs],
            "cpu_first": [x["cpu_first"]["total"] for x in runs],
        }

    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    others = [x["others_cores"] for runs in results.values() for x in runs]
    lines = [f"# Cold start on the benchmark host, {datetime.datetime.now():%Y-%m-%d %H:%M}", "",
             f"Commit `{rev}`; {args.runs} runs, each starting every variant once in a fresh Node process "
             f"(order rotated each run), {secs / 60:.1f} minutes. Load average {' '.join(load_start)} before; "
             f"at each run's start {min(loads):.2f}–{max(loads):.2f}; other processes used "
             f"{statistics.mean(others):.2f} cores on average during the starts (max {max(others):.2f}; "
             f"{sum(o > 0.25 for o in others)} of {len(others)} starts above 0.25 cores). ms, median (min–max) over the runs; "
             "t0 just before `new Miniflare(...)`; the first request on the worker's own direct socket; "
             "workerd CPU = utime+stime of its process at that moment (10 ms ticks).", ""]
    for label, d in builds:
        lines.append(f"- {label}: `{os.path.relpath(d, ROOT) if d.startswith(ROOT) else d}`, "
                     f"application `{prepared[label]['requests']['discovery']['path'].split('/.well-known')[0]}`")
    lines += ["", "| variant | first request | spawn → ready | ready → first answer | total (t0 → first answer) "
              "| workerd CPU at ready | at first answer | second request (warm) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for (col, what) in results:
        p = parts(col, what)
        lines.append(f"| {col} | {FIRST[what] if col.startswith('Doorward') else '`GET /healthz`, no state'} | "
                     f"{spread(p['ready'])} | {spread(p['after'], 1)} | **{spread(p['first'])}** | "
                     f"{spread(p['cpu_ready'])} | {spread(p['cpu_first'])} | {spread(p['second'], 2)} |")

    js, rust, bind = parts(JS_COL, "healthz"), parts(RUST_COL, "healthz"), parts(BIND_COL, "healthz")
    lines += ["", "Doorward against the floors (differences of the medians, ms): what Doorward's own module "
              "costs at start beyond the runtime's (JavaScript floor) and beyond a workers-rs module's "
              "(workers-rs floor); and beyond its own configuration around the JavaScript hello world "
              "(config floor: what is left is the module alone).", "",
              "| variant, first request | total − JS floor | total − workers-rs floor | total − config floor "
              "| ready − JS / − workers-rs / − config | ready → first − JS / − workers-rs "
              "| workerd CPU at first answer − JS / − workers-rs / − config | total ÷ JS, ÷ workers-rs |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (col, what) in results:
        if col not in dict(builds):
            continue
        p = parts(col, what)
        d = {k: med(p[k]) for k in ("ready", "after", "first", "cpu_first")}
        f = lambda k, floor: d[k] - med(floor[k])  # noqa: E731
        lines.append(f"| {col}, {FIRST[what]} | {f('first', js):+,.0f} | {f('first', rust):+,.0f} | "
                     f"{f('first', bind):+,.0f} | "
                     f"{f('ready', js):+,.0f} / {f('ready', rust):+,.0f} / {f('ready', bind):+,.0f} | "
                     f"{f('after', js):+,.1f} / {f('after', rust):+,.1f} | "
                     f"{f('cpu_first', js):+,.0f} / {f('cpu_first', rust):+,.0f} / {f('cpu_first', bind):+,.0f} | "
                     f"{d['first'] / med(js['first']):.2f}×, {d['first'] / med(rust['first']):.2f}× |")
    if len(builds) == 2:
        (a, _), (b, _) = builds
        lines += ["", f"{a} − {b} (medians, ms):", "",
                  "| first request | spawn → ready | ready → first answer | total | workerd CPU at first answer |",
                  "|---|---:|---:|---:|---:|"]
        for what in FIRST:
            pa, pb = parts(a, what), parts(b, what)
            lines.append(f"| {FIRST[what]} | {med(pa['ready']) - med(pb['ready']):+,.1f} | "
                         f"{med(pa['after']) - med(pb['after']):+,.1f} | {med(pa['first']) - med(pb['first']):+,.1f} | "
                         f"{med(pa['cpu_first']) - med(pb['cpu_first']):+,.0f} |")

    lines += ["", "Sizes and the wasm compile in Node (`WebAssembly.compile` of the bytes, median of 5, "
              "no native module cache; eager = `--no-wasm-lazy-compilation`, as scripts/check-bundle.sh; "
              "lazy = V8's default, functions compiled on first call):", "",
              "| variant | wasm KiB raw | wasm KiB gzip -9 | JS modules KiB raw / gzip | compile eager ms | compile lazy ms |",
              "|---|---:|---:|---:|---:|---:|"]
    cols = [label for label, _ in builds] + [BIND_COL, JS_COL, RUST_COL]
    for col in cols:
        js_raw = sum(sizes(p)[0] for p in js_modules[col])
        js_gz = sum(sizes(p)[1] for p in js_modules[col])
        if col in wasm:
            raw, gz = sizes(wasm[col])
            e, l = compiles[col]
            lines.append(f"| {col} | {kib(raw)} | {kib(gz)} | {js_raw / 1024:,.1f} / {js_gz / 1024:,.1f} | "
                         f"{e['median']:.1f} | {l['median']:.1f} |")
        else:
            lines.append(f"| {col} | — | — | {js_raw / 1024:,.1f} / {js_gz / 1024:,.1f} | — | — |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Machine-to-machine benchmarks (issue 5), run through bench/machine.sh.

One `wrangler dev` (own free port, fresh --persist-to, SKIP_WORKER_BUILD=1) with two
applications ticking client_credentials — access tokens signed RS256 and ES256 — and an AK/SK
account. wrk (`--latency`, a Lua script for the POST body) drives, interleaved, ROUNDS times:

  healthz        GET /healthz: the runtime's and wrangler's proxy floor
  cc_rs256       POST {issuer}/token grant_type=client_credentials, the application's own secret
  cc_es256       the same against the ES256 application
  cc_aksk_rs256  the same with an access key / secret key (one more Durable Object read)
  introspection  POST {issuer}/token/introspection of an RS256 access token of that client

Server CPU per request: utime+stime of the worker's processes (from /proc/<pid>/stat) before
and after each wrk run, divided by the requests wrk completed. Shown for `workerd` alone and for
the whole `wrangler dev` process group (workerd + wrangler's Node supervisor/proxy).

Also the cost of one signature per algorithm inside workerd, from outside: the admin debug
probe `POST /api/v1/debug/sign {alg, count}` (ENABLE_DEBUG_API) timed with count=N and count=0,
the difference divided by N (a Worker's own clock does not advance while it computes).

Reuses the Worker class and wrk output patterns of bench/foundation.py. Standard library only.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import foundation  # noqa: E402  (bench/foundation.py: Worker, wrk, git_rev)

LUA = os.path.join(HERE, "post.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")
BASELINE = {"name": "node-oidc-provider 9.13.3", "cc_rs256_rps": 950, "cpu_ms": 1.5}
GOALS = {"cc_rs256": 1.3, "cc_es256": 4.0}  # × the baseline's RS256 req/s
WRK_REQUESTS = re.compile(r"(\d+) requests in")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def basic(user, secret):
    raw = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def post_form(url, form, auth):
    """Returns (status, parsed JSON or text)."""
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Authorization", auth)
    try:
        with OPENER.open(req, timeout=10) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def group_cpu_ticks(pgid):
    """(workerd ticks, whole process group ticks): utime+stime of live processes in `pgid`."""
    workerd = total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) != pgid:  # field 5: pgrp
            continue
        ticks = int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
        total += ticks
        if comm.startswith("workerd"):
            workerd += ticks
    return workerd, total


def start_worker(state_dir):
    """foundation.Worker with the debug probes on: its command line is fixed, so the one extra
    `--var` is appended on the way to Popen rather than by copying the class."""
    real_popen = foundation.subprocess.Popen

    def popen(cmd, *a, **kw):
        return real_popen([*cmd, "--var", "ENABLE_DEBUG_API:true"], *a, **kw)

    foundation.subprocess.Popen = popen
    try:
        return foundation.Worker(state_dir)
    finally:
        foundation.subprocess.Popen = real_popen


def signing_cost(w, alg, count=200, rounds=3):
    """(wall ms, workerd CPU ms) per signature, medians over `rounds`."""
    def timed(n):
        before = group_cpu_ticks(w.proc.pid)[0]
        t0 = time.perf_counter()
        status, body = w.admin("POST", "/api/v1/debug/sign", {"alg": alg, "count": n})
        wall = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"debug/sign {alg}: {status} {body} (is ENABLE_DEBUG_API honoured?)")
        return wall, group_cpu_ticks(w.proc.pid)[0] - before

    timed(count)  # warm-up: creates the pool's key for alg
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = timed(0)
        w1, c1 = timed(count)
        walls.append((w1 - w0) * 1000 / count)
        cpus.append((c1 - c0) * 1000 / CLK_TCK / count)
    return statistics.median(walls), statistics.median(cpus)


def setup(w):
    """Resource, the two applications, an AK/SK account; returns the wrk targets."""
    status, body = w.admin("POST", "/api/v1/resources", {
        "code": "orders", "uri": "https://api.example.com/orders", "actions": ["read", "write"]})
    if status != 201:
        raise RuntimeError(f"creating the resource: {status} {body}")
    apps = {}
    for alg in ("RS256", "ES256"):
        sub = f"bench-cc-{alg.lower()}"
        status, app = w.admin("POST", "/api/v1/applications", {
            "name": f"Bench {alg}", "subdomain": sub,
            "grant_types": ["client_credentials"], "permissions": ["orders:read"],
            "access_token_signed_response_alg": alg})
        if status != 201:
            raise RuntimeError(f"creating the {alg} application: {status} {app}")
        apps[alg] = app
    status, acct = w.admin("POST", "/api/v1/access-accounts", {
        "description": "bench", "permissions": ["orders:read"]})
    if status != 201:
        raise RuntimeError(f"creating the access account: {status} {acct}")

    cc = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "orders:read"})
    rs, es = apps["RS256"], apps["ES256"]
    targets = {
        "healthz": (w.origin + "/healthz", None, None),
        "cc_rs256": (rs["issuer"] + "/token", cc, basic(rs["client_id"], rs["client_secret"])),
        "cc_es256": (es["issuer"] + "/token", cc, basic(es["client_id"], es["client_secret"])),
        "cc_aksk_rs256": (rs["issuer"] + "/token", cc, basic(acct["access_key"], acct["secret_key"])),
    }
    # Warm up (first use creates the pool's keys) and check every target answers 200 with what
    # it should: a benchmark of errors is meaningless.
    for name in ("cc_rs256", "cc_es256", "cc_aksk_rs256"):
        url, body, auth = targets[name]
        for _ in range(20):
            status, tok = post_form(url, dict(urllib.parse.parse_qsl(body)), auth)
            if status != 200 or "access_token" not in tok:
                raise RuntimeError(f"{name}: {status} {tok}")
        alg = json.loads(base64.urlsafe_b64decode(tok["access_token"].split(".")[0] + "=="))["alg"]
        want = "ES256" if name == "cc_es256" else "RS256"
        if alg != want:
            raise RuntimeError(f"{name}: access token signed {alg}, expected {want}")
        if name == "cc_rs256":
            rs_token = tok["access_token"]
    intro = urllib.parse.urlencode({"token": rs_token, "token_type_hint": "access_token"})
    intro_auth = basic(rs["client_id"], rs["client_secret"])
    for _ in range(20):
        status, res = post_form(rs["issuer"] + "/token/introspection", {"token": rs_token}, intro_auth)
        if status != 200 or res.get("active") is not True:
            raise RuntimeError(f"introspection: {status} {res}")
    targets["introspection"] = (rs["issuer"] + "/token/introspection", intro, intro_auth)
    return targets


def wrk(url, args):
    """foundation.wrk's figures plus the request count (for CPU per request)."""
    out = subprocess.run(["wrk", *args, "--latency", url], capture_output=True, text=True, check=True).stdout
    m = foundation.WRK_RPS.search(out)
    n = WRK_REQUESTS.search(out)
    if not m or not n:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = foundation.WRK_NON2XX.search(out)
    errs = foundation.WRK_ERRORS.search(out)
    return {
        "rps": float(m.group(1)),
        "requests": int(n.group(1)),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errs.group(1).strip() if errs else "",
        "p50": (foundation.WRK_P50.search(out) or [None, "?"])[1],
        "p99": (foundation.WRK_P99.search(out) or [None, "?"])[1],
    }


def run_one(w, url, body, auth, wrk_args):
    args = list(wrk_args)
    env_backup = {k: os.environ.get(k) for k in ("WRK_BODY", "WRK_AUTH")}
    if body is not None:
        os.environ["WRK_BODY"] = body
        os.environ["WRK_AUTH"] = auth or ""
        args += ["-s", LUA]
    try:
        before = group_cpu_ticks(w.proc.pid)
        res = wrk(url, args)
        after = group_cpu_ticks(w.proc.pid)
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    requests = max(1, res["requests"])
    res["cpu_ms_workerd"] = (after[0] - before[0]) * 1000 / CLK_TCK / requests
    res["cpu_ms_group"] = (after[1] - before[1]) * 1000 / CLK_TCK / requests
    return res


def load_before_run():
    """The load average before a run (1, 5 and 15 minutes, as /proc/loadavg gives them),
    printed, with a warning above 0.5: other work on this 2-core machine skews every figure."""
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load average before the run: {' '.join(load)}", flush=True)
    if float(load[0]) > 0.5:
        print(f"warning: load average {load[0]} > 0.5; other work (a cargo build?) will skew "
              "the figures", file=sys.stderr, flush=True)
    return load


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    ap.add_argument("--wrk", default=os.environ.get("WRK_ARGS", "-t2 -c16 -d10s"))
    args = ap.parse_args()
    wrk_args = args.wrk.split()

    load_before_run()
    wasm = os.path.join(ROOT, "build", "index_bg.wasm")
    wasm_kb = os.path.getsize(wasm) / 1024
    scratch = tempfile.mkdtemp(prefix="doorward-bench-machine-")
    results, signing = {}, {}
    try:
        w = start_worker(scratch)
        try:
            w.wait_for("/healthz")
            targets = setup(w)
            for alg in ("RS256", "ES256"):
                signing[alg] = signing_cost(w, alg)
                print(f"  one {alg} signature in workerd: {signing[alg][0]:.3f} ms wall, "
                      f"{signing[alg][1]:.3f} ms CPU", flush=True)
            results = {k: [] for k in targets}
            print(f"wrk {' '.join(wrk_args)}, {args.rounds} rounds, interleaved:", flush=True)
            for r in range(args.rounds):
                for name, (url, body, auth) in targets.items():
                    res = run_one(w, url, body, auth, wrk_args)
                    results[name].append(res)
                    print(f"  round {r + 1} {name:14}: {res['rps']:8.0f} req/s  p50 {res['p50']:>8}  "
                          f"p99 {res['p99']:>8}  cpu/req workerd {res['cpu_ms_workerd']:.3f} ms, "
                          f"group {res['cpu_ms_group']:.3f} ms"
                          + (f"  NON-2xx {res['non2xx']}" if res["non2xx"] else "")
                          + (f"  socket errors {res['socket_errors']}" if res["socket_errors"] else ""),
                          flush=True)
        finally:
            w.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    base = BASELINE["cc_rs256_rps"]
    labels = {
        "healthz": "GET /healthz (the runtime's floor)",
        "cc_rs256": "client_credentials, RS256 access token",
        "cc_es256": "client_credentials, ES256 access token",
        "cc_aksk_rs256": "client_credentials with an AK/SK account, RS256",
        "introspection": "introspection of an RS256 access token",
    }
    lines = [
        f"# Doorward machine-to-machine benchmark, {datetime.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"commit `{foundation.git_rev()}`, build/index_bg.wasm {wasm_kb:,.0f} KiB, {os.cpu_count()} CPUs, "
        f"`wrangler dev` on loopback (path-style issuers), wrk `{' '.join(wrk_args)} --latency` on the "
        f"same machine; median of {args.rounds} interleaved rounds; load average {load1:.2f} at start.",
        "",
    ]
    if load1 > 0.5:
        lines += [f"⚠ The machine was busy (load average {load1:.2f} > 0.5): these figures are not "
                  "representative; rerun on an idle machine.", ""]
    lines += [
        f"| endpoint | req/s | p50 | p99 | server CPU/req (workerd) | (whole wrangler dev) "
        f"| × {BASELINE['name']} RS256 ({base:,} req/s) | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        # p50/p99 of the median round (by req/s), so the three figures come from one run.
        mid = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        cpu_w = statistics.median(r["cpu_ms_workerd"] for r in runs)
        cpu_g = statistics.median(r["cpu_ms_group"] for r in runs)
        bad = sum(r["non2xx"] for r in runs)
        note = f" ⚠ {bad} non-2xx" if bad else ""
        ratio = "—" if name == "healthz" else f"{rps / base:.2f}×"
        goal = ""
        if name in GOALS:
            need = GOALS[name] * base
            goal = f"≥ {GOALS[name]}× ({need:,.0f}): {'met' if rps >= need else 'NOT met'}"
        lines.append(f"| {labels[name]}{note} | {rps:,.0f} | {mid['p50']} | {mid['p99']} | {cpu_w:.2f} ms | "
                     f"{cpu_g:.2f} ms | {ratio} | {goal} |")
    if signing:
        lines += ["", "| one signature inside workerd (debug probe, 200 in a row) | wall | workerd CPU "
                  "| ceiling on one core (1000 / wall) |", "|---|---:|---:|---:|"]
        for alg, (wall, cpu) in signing.items():
            lines.append(f"| {alg} | {wall:.3f} ms | {cpu:.3f} ms | {1000 / wall:,.0f} /s |")
    lines += [
        "",
        f"Baseline: {BASELINE['name']} serves about {base:,} client_credentials req/s with RS256 on this "
        f"2-core machine kind, at {BASELINE['cpu_ms']} ms of server CPU per request. CPU per request is "
        "utime+stime from /proc over the run divided by the requests completed (10 ms tick resolution); "
        "\"whole wrangler dev\" adds wrangler's Node supervisor and proxy, which production Workers do "
        "not have. wrk shares the 2 cores with the server.",
        "",
        "Raw req/s per round: " + "; ".join(
            f"{k} " + ", ".join(f"{r['rps']:.0f}" for r in v) for k, v in results.items()),
    ]
    report = "\n".join(lines) + "\n"
    print()
    print(report)
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"machine-{datetime.date.today().isoformat()}.md")
    with open(out, "w") as f:
        f.write(report)
    print(f"written to {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(1)

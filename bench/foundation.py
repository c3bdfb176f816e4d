#!/usr/bin/env python3
"""Foundation benchmarks (issue 2): cold start of `wrangler dev` to the first discovery 200, and
discovery / JWKS / healthz requests per second on loopback (load from `wrk`).

Run through bench/foundation.sh, which checks the build and installs wrk. Standard library only.
Every worker it starts runs in its own process group on a free port with a fresh --persist-to
directory, and is stopped (the whole group) before the script moves on.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = {
    "name": "node-oidc-provider 9.13.3",
    "start_ms": (410, 470),
    "discovery_rps": 3900,
    "jwks_rps": 4500,
}
# No proxies: everything is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def b64(n):
    return base64.urlsafe_b64encode(os.urandom(n)).rstrip(b"=").decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, token=None, timeout=10):
    """Returns (status, parsed JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with OPENER.open(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class Worker:
    """One `wrangler dev` in its own process group."""

    def __init__(self, state_dir):
        self.port = free_port()
        self.inspector = free_port()
        self.token = b64(32)
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(state_dir, "wrangler.log")
        env = dict(os.environ)
        env.update(
            PATH=os.path.join(ROOT, "node_modules/.bin") + os.pathsep + env.get("PATH", ""),
            SKIP_WORKER_BUILD="1",
            WRANGLER_SEND_METRICS="false",
            CLOUDFLARE_CF_FETCH_ENABLED="false",
            WRANGLER_LOG_PATH=os.path.join(state_dir, "logs"),
        )
        cmd = [
            os.path.join(ROOT, "node_modules/.bin/wrangler"), "dev",
            "--ip", "127.0.0.1", "--port", str(self.port),
            "--inspector-port", str(self.inspector),
            "--persist-to", os.path.join(state_dir, "state"),
            "--var", f"MASTER_KEY:{b64(32)}",
            "--var", f"ADMIN_TOKEN:{self.token}",
            "--log-level", "warn", "--show-interactive-dev-session=false",
        ]
        self.log = open(self.log_path, "wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_for(self, path, timeout=60.0, interval=0.005):
        """Polls until GET path is 200; returns seconds since spawn."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wrangler exited ({self.proc.returncode}):\n{self.tail()}")
            status, _ = request("GET", self.origin + path, timeout=5)
            if status == 200:
                return time.perf_counter() - self.t0
            time.sleep(interval)
        raise RuntimeError(f"GET {path} not 200 within {timeout}s:\n{self.tail()}")

    def admin(self, method, path, body=None):
        return request(method, self.origin + path, body, token=self.token)

    def create_app(self, sub):
        status, app = self.admin("POST", "/api/v1/applications", {
            "name": f"Bench {sub}", "subdomain": sub,
            "redirect_uris": [f"https://{sub}.rp.example/callback"],
        })
        if status != 201:
            raise RuntimeError(f"creating an application: {status} {app}")
        return app

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        finally:
            self.log.close()


def discovery_path(app, origin):
    issuer = app["issuer"]
    if not issuer.startswith(origin):
        raise RuntimeError(f"issuer {issuer} is not path style on {origin}")
    return issuer[len(origin):] + "/.well-known/openid-configuration"


def cold_starts(runs, scratch):
    """Two figures per run:
    fresh:  fresh --persist-to; spawn -> /healthz 200 -> create app -> discovery 200.
    seeded: a fresh copy of a state dir that already holds an app; spawn -> discovery 200
            (what node-oidc-provider's start time measures: a configured server, first answer).
    """
    fresh, seeded, parts = [], [], []
    seed_dir = tempfile.mkdtemp(prefix="seed-", dir=scratch)
    w = Worker(seed_dir)
    try:
        w.wait_for("/healthz")
        seed_app = w.create_app("benchseed")
        seed_path = discovery_path(seed_app, w.origin)
        w.wait_for(seed_path, timeout=10)
    finally:
        w.stop()
    for i in range(runs):
        d = tempfile.mkdtemp(prefix=f"fresh{i}-", dir=scratch)
        w = Worker(d)
        try:
            t_health = w.wait_for("/healthz")
            t_a = time.perf_counter()
            app = w.create_app(f"bench{i}")
            t_create = time.perf_counter() - t_a
            t_disc = w.wait_for(discovery_path(app, w.origin), timeout=10)
        finally:
            w.stop()
        fresh.append(t_disc * 1000)
        parts.append((t_health * 1000, t_create * 1000, t_disc * 1000))
        print(f"  fresh  run {i + 1}: healthz {t_health * 1000:.0f} ms, create {t_create * 1000:.0f} ms, "
              f"discovery 200 at {t_disc * 1000:.0f} ms", flush=True)

        d = tempfile.mkdtemp(prefix=f"seeded{i}-", dir=scratch)
        shutil.copytree(os.path.join(seed_dir, "state"), os.path.join(d, "state"))
        w = Worker(d)
        try:
            # A path-style discovery path holds the subdomain only, not the port.
            t = w.wait_for(seed_path, timeout=60)
        finally:
            w.stop()
        seeded.append(t * 1000)
        print(f"  seeded run {i + 1}: discovery 200 at {t * 1000:.0f} ms", flush=True)
    return fresh, seeded, parts


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_ERRORS = re.compile(r"Socket errors:(.*)")
WRK_P50 = re.compile(r"^\s+50%\s+(\S+)", re.M)
WRK_P99 = re.compile(r"^\s+99%\s+(\S+)", re.M)


def wrk(url, args):
    out = subprocess.run(["wrk", *args, "--latency", url], capture_output=True, text=True, check=True).stdout
    m = WRK_RPS.search(out)
    if not m:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = WRK_NON2XX.search(out)
    errs = WRK_ERRORS.search(out)
    return {
        "rps": float(m.group(1)),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errs.group(1).strip() if errs else "",
        "p50": (WRK_P50.search(out) or [None, "?"])[1],
        "p99": (WRK_P99.search(out) or [None, "?"])[1],
    }


def throughput(rounds, wrk_args, scratch):
    d = tempfile.mkdtemp(prefix="load-", dir=scratch)
    w = Worker(d)
    try:
        w.wait_for("/healthz")
        app = w.create_app("benchload")
        disc = w.origin + discovery_path(app, w.origin)
        jwks = app["issuer"] + "/.well-known/jwks.json"
        for url in (disc, jwks):  # warm up: first use creates the pool's key, loads the wasm
            for _ in range(20):
                status, body = request("GET", url)
                if status != 200:
                    raise RuntimeError(f"GET {url}: {status} {body}")
        targets = {"healthz": w.origin + "/healthz", "discovery": disc, "jwks": jwks}
        results = {k: [] for k in targets}
        for r in range(rounds):
            for name, url in targets.items():
                res = wrk(url, wrk_args)
                results[name].append(res)
                print(f"  round {r + 1} {name:9}: {res['rps']:8.0f} req/s  p50 {res['p50']}  p99 {res['p99']}"
                      + (f"  NON-2xx {res['non2xx']}" if res["non2xx"] else "")
                      + (f"  socket errors {res['socket_errors']}" if res["socket_errors"] else ""), flush=True)
        return results
    finally:
        w.stop()


def git_rev():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    ap.add_argument("--wrk", default=os.environ.get("WRK_ARGS", "-t2 -c16 -d10s"))
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    wrk_args = args.wrk.split()

    load1 = os.getloadavg()[0]
    if load1 > 0.5:
        print(f"warning: load average {load1:.2f} before the run; other work (a cargo build?) will "
              "skew the figures", file=sys.stderr, flush=True)
    scratch = tempfile.mkdtemp(prefix="doorward-bench-")
    try:
        fresh = seeded = parts = None
        if not args.skip_cold:
            print(f"cold start, {args.runs} runs each:", flush=True)
            fresh, seeded, parts = cold_starts(args.runs, scratch)
        load = None
        if not args.skip_load:
            print(f"throughput, wrk {' '.join(wrk_args)}, {args.rounds} rounds:", flush=True)
            load = throughput(args.rounds, wrk_args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    base = BASELINE
    base_mid = sum(base["start_ms"]) / 2
    lines = [
        f"# Doorward foundation benchmark, {datetime.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"commit `{git_rev()}`, {os.cpu_count()} CPUs, wrangler dev on loopback (path-style issuer), "
        f"SKIP_WORKER_BUILD=1, fresh --persist-to per start; load average {load1:.2f} at start.",
        "",
        f"| metric | Doorward (median) | {base['name']} | Doorward / baseline |",
        "|---|---:|---:|---:|",
    ]
    if fresh:
        m = statistics.median(fresh)
        lines.append(f"| cold start: spawn → healthz → app created → discovery 200, fresh state "
                     f"({len(fresh)} runs) | {m:.0f} ms | {base['start_ms'][0]}–{base['start_ms'][1]} ms | "
                     f"{m / base_mid:.1f}× |")
        ms = statistics.median(seeded)
        lines.append(f"| cold start: spawn → discovery 200, app already stored ({len(seeded)} runs) | "
                     f"{ms:.0f} ms | {base['start_ms'][0]}–{base['start_ms'][1]} ms | {ms / base_mid:.1f}× |")
        h = statistics.median(p[0] for p in parts)
        c = statistics.median(p[1] for p in parts)
        lines.append(f"| … of which spawn → first /healthz 200 | {h:.0f} ms | | |")
        lines.append(f"| … of which POST /api/v1/applications | {c:.0f} ms | | |")
    if load:
        for name, key in (("discovery", "discovery_rps"), ("jwks", "jwks_rps"), ("healthz", None)):
            rs = [r["rps"] for r in load[name]]
            m = statistics.median(rs)
            label = {"discovery": "discovery req/s", "jwks": "JWKS req/s",
                     "healthz": "/healthz req/s (the runtime's floor)"}[name]
            p50s = ", ".join(r["p50"] for r in load[name])
            bad = sum(r["non2xx"] for r in load[name])
            note = f" ⚠ {bad} non-2xx" if bad else ""
            if key:
                lines.append(f"| {label}, wrk `{' '.join(wrk_args)}` (p50 {p50s}){note} | {m:,.0f} | "
                             f"{base[key]:,} | {m / base[key]:.2f} |")
            else:
                lines.append(f"| {label} (p50 {p50s}){note} | {m:,.0f} | — | — |")
        lines += ["", "Raw req/s per round: " + "; ".join(
            f"{k} " + ", ".join(f"{r['rps']:.0f}" for r in v) for k, v in load.items())]
    if fresh:
        lines += ["", "Raw cold starts (ms): fresh " + ", ".join(f"{x:.0f}" for x in fresh)
                  + "; seeded " + ", ".join(f"{x:.0f}" for x in seeded)]
    report = "\n".join(lines) + "\n"
    print()
    print(report)
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"foundation-{datetime.date.today().isoformat()}.md")
    with open(out, "w") as f:
        f.write(report)
    print(f"written to {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(1)

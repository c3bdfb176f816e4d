#!/usr/bin/env python3
"""Doorward on a faithful benchmark host, beside its reference and its floors (issue 13).

Run through bench/host.sh (it installs wrk and bench/node_modules, builds the Rust floor and
checks the build). Standard library only. One run starts, on loopback:

  host       bench/host/host.mjs: the built worker on Miniflare's API (one workerd), reached
             through the assets router and straight; the JavaScript and workers-rs hello
             worlds, each in its own workerd;
  reference  bench/host/reference.mjs: node-oidc-provider configured like a Doorward
             application, in its own Node process;
  wrangler   (for the faithfulness checks, and a reference column with --wrangler-load)
             `wrangler dev`, as the older scripts run it.

It sets the same things up on Doorward under both hosts through the admin API, checks they
answer the same (KV, SQLite-backed Durable Objects, assets, signatures), then runs wrk against
every target on every host, interleaved, ROUNDS times, reading each server process's
utime+stime from /proc/PID/stat before and after each run: CPU ms per request beside req/s.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(BENCH, "machine"))
import foundation  # noqa: E402  (bench/foundation.py: Worker, request, wrk patterns, git_rev)
import machine  # noqa: E402  (bench/machine/machine.py: basic, post_form, LUA)

NODE = os.path.join(ROOT, "node_modules", ".bin", "node")
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESOURCE = "https://api.example.com/orders"
CC_BODY = urllib.parse.urlencode(
    {"grant_type": "client_credentials", "resource": RESOURCE, "scope": "orders:read"})


# ---------------------------------------------------------------- processes

def cpu_ticks(pid):
    """utime+stime of a process, all its threads included (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def group_ticks(pgid):
    """utime+stime of every live process in a process group (for `wrangler dev`)."""
    return machine.group_cpu_ticks(pgid)[1]


class Child:
    """A Node script in its own process group that prints one {"ready": ...} JSON line."""

    def __init__(self, name, args, log_dir, timeout=90):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "wb")
        env = dict(os.environ, NODE_ENV="production")
        self.proc = subprocess.Popen(
            [NODE, *args], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{name} did not start:\n{self.tail()}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    continue
                line += chunk
        self.ready = json.loads(line.decode().splitlines()[0])["ready"]

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        finally:
            self.log.close()


def start_wrangler(state_dir):
    """`wrangler dev` with the debug probes on, as bench/machine.sh starts it."""
    w = machine.start_worker(state_dir)
    w.wait_for("/healthz")
    return w


# ---------------------------------------------------------------- JWT checks (stdlib only)

def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    h, p, s = token.split(".")
    return json.loads(b64d(h)), json.loads(b64d(p)), (h + "." + p).encode(), b64d(s)


def verify_rs256(jwk, signing_input, sig):
    n = int.from_bytes(b64d(jwk["n"]), "big")
    e = int.from_bytes(b64d(jwk["e"]), "big")
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(signing_input).digest()
    return em == b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info


P256 = {
    "p": 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff,
    "n": 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551,
    "a": -3,
    "G": (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
          0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5),
}


def _ec_add(P, Q):
    p = P256["p"]
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0] and (P[1] + Q[1]) % p == 0:
        return None
    if P == Q:
        m = (3 * P[0] * P[0] + P256["a"]) * pow(2 * P[1], -1, p) % p
    else:
        m = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (m * m - P[0] - Q[0]) % p
    return x, (m * (P[0] - x) - P[1]) % p


def _ec_mul(k, P):
    R = None
    while k:
        if k & 1:
            R = _ec_add(R, P)
        P = _ec_add(P, P)
        k >>= 1
    return R


def verify_es256(jwk, signing_input, sig):
    n = P256["n"]
    if len(sig) != 64:
        return False
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if not (0 < r < n and 0 < s < n):
        return False
    Q = (int.from_bytes(b64d(jwk["x"]), "big"), int.from_bytes(b64d(jwk["y"]), "big"))
    z = int.from_bytes(hashlib.sha256(signing_input).digest(), "big")
    w = pow(s, -1, n)
    X = _ec_add(_ec_mul(z * w % n, P256["G"]), _ec_mul(r * w % n, Q))
    return X is not None and X[0] % n == r


def verify_jwt(token, jwks):
    header, payload, signing_input, sig = jwt_parts(token)
    key = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if key is None:
        return header, payload, False
    ok = verify_rs256(key, signing_input, sig) if header["alg"] == "RS256" else \
        verify_es256(key, signing_input, sig) if header["alg"] == "ES256" else False
    return header, payload, ok


# ---------------------------------------------------------------- Doorward setup and checks

def doorward_setup(origin, token):
    """Creates a resource and two client_credentials applications (RS256, ES256 access tokens)
    through the admin API; returns {alg: application}."""
    def admin(method, path, body=None):
        return foundation.request(method, origin + path, body, token=token)

    status, body = admin("POST", "/api/v1/resources", {
        "code": "orders", "uri": RESOURCE, "actions": ["read", "write"]})
    if status != 201:
        raise RuntimeError(f"creating the resource on {origin}: {status} {body}")
    apps = {}
    for alg in ("RS256", "ES256"):
        status, app = admin("POST", "/api/v1/applications", {
            "name": f"Bench {alg}", "subdomain": f"bench-cc-{alg.lower()}",
            "redirect_uris": ["https://rp.example/callback"],
            "grant_types": ["client_credentials"], "permissions": ["orders:read"],
            "access_token_signed_response_alg": alg})
        if status != 201:
            raise RuntimeError(f"creating the {alg} application on {origin}: {status} {app}")
        apps[alg] = app
    return apps


def is_ok(r):
    return r == {"status": "ok"}


def doorward_targets(apps, origin):
    """{name: (url, form body or None, Authorization, check of the JSON answer)} on `origin`."""
    rs, es = apps["RS256"], apps["ES256"]
    iss = issuer_at(rs, origin)
    rs_auth = machine.basic(rs["client_id"], rs["client_secret"])
    es_auth = machine.basic(es["client_id"], es["client_secret"])
    tok = mint(iss + "/token", rs_auth)["access_token"]
    return {
        "healthz": (origin + "/healthz", None, None, is_ok),
        "discovery": (iss + "/.well-known/openid-configuration", None, None, lambda r: r.get("issuer") == iss),
        "jwks": (iss + "/.well-known/jwks.json", None, None, lambda r: len(r["keys"]) > 0),
        "cc_rs256": (iss + "/token", CC_BODY, rs_auth, lambda r: alg_of(r) == "RS256"),
        "cc_es256": (issuer_at(es, origin) + "/token", CC_BODY, es_auth, lambda r: alg_of(r) == "ES256"),
        "introspection": (iss + "/token/introspection",
                          urllib.parse.urlencode({"token": tok, "token_type_hint": "access_token"}), rs_auth,
                          lambda r: r.get("active") is True),
    }


def signing_cost(origin, token, pid, alg, count=1000, rounds=3):
    """(wall ms, workerd CPU ms) of one signature inside workerd, through the debug probe
    `POST /api/v1/debug/sign {alg, count}`: count=N minus count=0, over N; medians."""
    def timed(n):
        before = cpu_ticks(pid)
        t0 = time.perf_counter()
        status, body = foundation.request("POST", origin + "/api/v1/debug/sign", {"alg": alg, "count": n},
                                          token=token)
        wall = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"debug/sign {alg}: {status} {body}")
        return wall, cpu_ticks(pid) - before

    timed(count)
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = timed(0)
        w1, c1 = timed(count)
        walls.append((w1 - w0) * 1000 / count)
        cpus.append((c1 - c0) * 1000 / CLK_TCK / count)
    return statistics.median(walls), statistics.median(cpus)


def issuer_at(app, origin):
    """An application's path-style issuer as seen through `origin`."""
    path = urllib.parse.urlsplit(app["issuer"]).path
    return origin + path


def mint(token_url, auth, body=CC_BODY):
    status, tok = machine.post_form(token_url, dict(urllib.parse.parse_qsl(body)), auth)
    if status != 200 or not isinstance(tok, dict) or "access_token" not in tok:
        raise RuntimeError(f"client_credentials at {token_url}: {status} {tok}")
    return tok


def shape(v):
    """A JSON value's structure: keys and types, not values."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return sorted({json.dumps(shape(x), sort_keys=True) for x in v})
    return type(v).__name__


def raw_get(url):
    """(status, headers dict lower-cased, bytes)."""
    import urllib.error
    import urllib.request
    try:
        with foundation.OPENER.open(urllib.request.Request(url), timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def faithfulness(origin, token, state_dir):
    """Sets Doorward up through `origin` and returns ({check: observation}, targets): each
    observation is what must be the same under every host (origins replaced by {origin})."""
    obs = {}
    norm = lambda s: s.replace(origin, "{origin}")  # noqa: E731
    status, body = foundation.request("GET", origin + "/healthz")
    obs["GET /healthz"] = f"{status} {json.dumps(body, sort_keys=True)}"

    apps = doorward_setup(origin, token)
    status, listed = foundation.request("GET", origin + "/api/v1/applications", token=token)
    items = listed.get("applications", listed.get("items", listed)) if isinstance(listed, dict) else listed
    names = sorted(a.get("name") for a in items) if isinstance(items, list) else listed
    obs["admin API: create a resource and 2 applications (KV), list them back"] = f"{status} {names}"

    rs = apps["RS256"]
    iss = issuer_at(rs, origin)
    status, disc = foundation.request("GET", iss + "/.well-known/openid-configuration")
    disc_doc = norm(json.dumps(disc, sort_keys=True))
    obs["discovery document (whole, origin replaced)"] = \
        f"{status} sha256 {hashlib.sha256(disc_doc.encode()).hexdigest()[:16]}, {len(disc)} members"

    tokens, jwks_seen = {}, {}
    for alg, app in apps.items():
        a_iss = issuer_at(app, origin)
        auth = machine.basic(app["client_id"], app["client_secret"])
        tok = mint(a_iss + "/token", auth)
        status, jwks = foundation.request("GET", a_iss + "/.well-known/jwks.json")
        header, payload, ok = verify_jwt(tok["access_token"], jwks)
        jwks_seen[alg] = jwks
        tokens[alg] = tok["access_token"]
        obs[f"client_credentials {alg}: response, JWT header, claims; signature verifies against "
            f"the JWKS (KeyVault Durable Object key)"] = (
            f"{sorted(k for k in tok if k != 'access_token')} {tok.get('token_type')} "
            f"{tok.get('expires_in')} {tok.get('scope')!r}; header {sorted(header)} alg {header['alg']} "
            f"typ {header.get('typ')}; claims {sorted(payload)}, iss {norm(payload.get('iss', ''))}, "
            f"aud {payload.get('aud')}, scope {payload.get('scope')!r}; verifies: {ok}")
        obs[f"JWKS of the {alg} application"] = \
            f"{status} {[(k.get('kty'), k.get('alg'), k.get('use'), k.get('crv')) for k in jwks['keys']]}"

    auth = machine.basic(rs["client_id"], rs["client_secret"])
    status, intro = machine.post_form(iss + "/token/introspection",
                                      {"token": tokens["RS256"], "token_type_hint": "access_token"}, auth)
    obs["introspection of the RS256 token"] = (
        f"{status} {sorted(intro)} active {intro.get('active')} scope {intro.get('scope')!r} "
        f"client_id matches {intro.get('client_id') == rs['client_id']}")
    # Sessions and revocation live in GrantStore: revoke a token, introspect it again.
    status_rev, _ = machine.post_form(iss + "/token/revocation", {"token": tokens["RS256"]}, auth)
    _, intro2 = machine.post_form(iss + "/token/introspection", {"token": tokens["RS256"]}, auth)
    obs["revocation, then introspection (GrantStore Durable Object)"] = \
        f"{status_rev} → active {intro2.get('active')}"

    for path, disk in (("/", "console/index.html"), ("/console/app.js", "console/app.js"),
                       ("/console/style.css", "console/style.css")):
        status, headers, raw = raw_get(origin + path)
        with open(os.path.join(ROOT, "assets", disk), "rb") as f:
            same = raw == f.read()
        obs[f"console asset GET {path} (ASSETS binding)"] = (
            f"{status} {headers.get('content-type')} cache-control {headers.get('cache-control')} "
            f"csp {'yes' if headers.get('content-security-policy') else 'no'}; "
            f"{len(raw)} bytes, equal to assets/{disk}: {same}")
    status, headers, raw = raw_get(origin + "/bench-cc-rs256/oidc/no-such-endpoint")
    obs["unknown endpoint"] = f"{status} {headers.get('content-type')}"

    sqlite = sorted({os.path.basename(os.path.dirname(p)) for p in _walk(state_dir)
                     if p.endswith(".sqlite")})
    obs["Durable Object storage on disk (SQLite files under the state dir)"] = ", ".join(
        s for s in sqlite if "KeyVault" in s or "GrantStore" in s or "UserDirectory" in s) or "none"
    return obs, apps


def reference_sign_in(R):
    """node-oidc-provider's password sign-in works end to end (for later sign-in benchmarks):
    authorize → login page → wrong password refused → right password → code → tokens."""
    import http.cookiejar
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    op = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def go(method, url, form=None, auth=None):
        data = None if form is None else urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(urllib.parse.urljoin(R["issuer"], url), data=data, method=method)
        if auth:
            req.add_header("Authorization", auth)
        try:
            with op.open(req, timeout=10) as x:
                return x.status, x.headers, x.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    c = R["clients"]["RS256"]
    q = urllib.parse.urlencode({"client_id": c["client_id"], "response_type": "code", "scope": "openid profile email",
                                "redirect_uri": R["callback"], "state": "s", "nonce": "n"})
    steps = []
    s, h, _ = go("GET", f"/auth?{q}")
    steps.append(s)
    inter = h["location"]
    s, _, _ = go("GET", inter)
    steps.append(s)
    s, _, _ = go("POST", inter + "/login", {"login": R["user"]["login"], "password": "wrong password"})
    steps.append(s)
    s, h, _ = go("POST", inter + "/login", {"login": R["user"]["login"], "password": R["user"]["password"]})
    steps.append(s)
    s, h, _ = go("GET", h["location"])
    steps.append(s)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(h["location"]).query)["code"][0]
    s, _, body = go("POST", "/token", {"grant_type": "authorization_code", "code": code, "redirect_uri": R["callback"]},
                    machine.basic(c["client_id"], c["client_secret"]))
    steps.append(s)
    got = sorted(json.loads(body)) if s == 200 else body[:200]
    return (f"authorize {steps[0]} → login page {steps[1]} → wrong password {steps[2]} → password "
            f"{steps[3]} → code {steps[4]} → token {steps[5]} {got}")


def _walk(d):
    for dirpath, _, files in os.walk(d):
        for f in files:
            yield os.path.join(dirpath, f)


# ---------------------------------------------------------------- load

def cpu_stat():
    """(busy, steal) jiffies of the whole machine, all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return user + nice + system + irq + softirq, steal


def run_wrk(url, body, auth, wrk_args, pids=(), pgids=()):
    """One wrk run: its figures, CPU ms per request of each pid (and process group) over the
    run, and how much CPU everything else on the machine used meanwhile (in cores)."""
    args = list(wrk_args)
    env = dict(os.environ)
    if body is not None:
        env["WRK_BODY"] = body
        env["WRK_AUTH"] = auth or ""
        args += ["-s", machine.LUA]
    before = [cpu_ticks(p) for p in pids] + [group_ticks(g) for g in pgids]
    busy0, steal0 = cpu_stat()
    t0 = time.monotonic()
    proc = subprocess.Popen(["wrk", *args, "--latency", url], stdout=subprocess.PIPE, env=env, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    secs = time.monotonic() - t0
    busy1, steal1 = cpu_stat()
    after = [cpu_ticks(p) for p in pids] + [group_ticks(g) for g in pgids]
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}")
    m, n = foundation.WRK_RPS.search(out), machine.WRK_REQUESTS.search(out)
    if not m or not n:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = foundation.WRK_NON2XX.search(out)
    errs = foundation.WRK_ERRORS.search(out)
    requests = max(1, int(n.group(1)))
    ours = sum(a - b for a, b in zip(after, before)) / CLK_TCK + ru.ru_utime + ru.ru_stime
    return {
        "rps": float(m.group(1)),
        "requests": requests,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errs.group(1).strip() if errs else "",
        "p50": (foundation.WRK_P50.search(out) or [None, "?"])[1],
        "p99": (foundation.WRK_P99.search(out) or [None, "?"])[1],
        "cpu": [(a - b) * 1000 / CLK_TCK / requests for a, b in zip(after, before)],
        "wrk_cores": (ru.ru_utime + ru.ru_stime) / secs,
        "other_cores": max(0.0, ((busy1 - busy0) / CLK_TCK - ours) / secs),
        "steal_cores": (steal1 - steal0) / CLK_TCK / secs,
    }


def warm(url, body, auth, check, count=20):
    for _ in range(count):
        if body is None:
            status, res = foundation.request("GET", url)
        else:
            status, res = machine.post_form(url, dict(urllib.parse.parse_qsl(body)), auth)
        if status != 200:
            raise RuntimeError(f"warm-up {url}: {status} {res}")
    if check and not check(res):
        raise RuntimeError(f"warm-up {url}: unexpected answer {res}")


def ms(v):
    """wrk latency ('1.23ms', '456.00us', '1.2s') in milliseconds."""
    for suffix, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(suffix):
            try:
                return float(v[:-len(suffix)]) * f
            except ValueError:
                return None
    return None


def alg_of(res):
    return jwt_parts(res["access_token"])[0]["alg"]


def profile_mode(names, wrk_args):
    """CPU profiles of Doorward (straight to the worker) under load, one per target."""
    scratch = tempfile.mkdtemp(prefix="doorward-bench-profile-")
    port = foundation.free_port()
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M")
    host = None
    try:
        state = os.path.join(scratch, "state")
        os.makedirs(state)
        host = Child("host", ["bench/host/host.mjs", "--state", state, "--root", ROOT, "--no-floors",
                              "--inspect", str(port)], scratch)
        d = host.ready["doorward"]
        apps = doorward_setup(d["router"], d["admin_token"])
        targets = doorward_targets(apps, d["direct"])
        for name in names:
            url, body, auth, check = targets[name]
            warm(url, body, auth, check, count=200)
            env = dict(os.environ)
            cmd = ["wrk", *wrk_args, "--latency"]
            if body is not None:
                env.update(WRK_BODY=body, WRK_AUTH=auth or "")
                cmd += ["-s", machine.LUA]
            prof = os.path.join(out_dir, f"profile-{name}-{stamp}.cpuprofile")
            print(f"profiling {name} ({url}):", flush=True)
            res = subprocess.run([NODE, os.path.join(HERE, "profile.mjs"), "--inspect", str(port),
                                  "--out", prof, "--", *cmd, url],
                                 env=env, capture_output=True, text=True)
            if res.returncode != 0:
                raise RuntimeError(f"profile of {name} failed:\n{res.stdout}\n{res.stderr}")
            wrk_out, _, table = res.stdout.partition("Profile of ")
            rps = foundation.WRK_RPS.search(wrk_out)
            report = (f"# Profile of Doorward, {name}, {stamp}\n\nwrk `{' '.join(wrk_args)}` against {url} "
                      f"with the inspector attached ({rps.group(1) if rps else '?'} req/s; slower than unprofiled). "
                      f"Load average {' '.join(open('/proc/loadavg').read().split()[:3])}.\n\nProfile of {table}")
            print(report, flush=True)
            md = prof.replace(".cpuprofile", ".md")
            with open(md, "w") as f:
                f.write(report)
            print(f"written to {os.path.relpath(md, ROOT)} and {os.path.relpath(prof, ROOT)}", flush=True)
    finally:
        if host:
            host.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    ap.add_argument("--wrk", default=os.environ.get("WRK_ARGS", "-t2 -c16 -d5s"))
    ap.add_argument("--no-wrangler", action="store_true",
                    help="skip `wrangler dev` entirely (no side-by-side faithfulness checks)")
    ap.add_argument("--wrangler-load", action="store_true",
                    default=os.environ.get("WRANGLER_LOAD") == "1",
                    help="also load `wrangler dev` (a reference column; ~400 req/s, adds ~1.5 min)")
    ap.add_argument("--profile", metavar="TARGETS",
                    help="instead of the benchmark: CPU profiles of Doorward under load, e.g. "
                         "cc_rs256,introspection (healthz, discovery, jwks, cc_rs256, cc_es256, introspection)")
    args = ap.parse_args()
    wrk_args = args.wrk.split()
    if args.profile:
        return profile_mode(args.profile.split(","), wrk_args)
    t_start = time.monotonic()

    load_start = open("/proc/loadavg").read().split()[:3]
    print(f"load average before the run: {' '.join(load_start)}", flush=True)
    if float(load_start[0]) > 0.5:
        print(f"warning: load average {load_start[0]} > 0.5; other work (a cargo build?) will skew "
              "the figures", file=sys.stderr, flush=True)
    wasm = os.path.join(ROOT, "build", "index_bg.wasm")
    wasm_kb = os.path.getsize(wasm) / 1024
    scratch = tempfile.mkdtemp(prefix="doorward-bench-host-")
    children, wrangler = [], None
    loads = []
    try:
        host_state = os.path.join(scratch, "host-state")
        os.makedirs(host_state)
        host = Child("host", ["bench/host/host.mjs", "--state", host_state, "--root", ROOT], scratch)
        children.append(host)
        ref = Child("reference", ["bench/host/reference.mjs"], scratch)
        children.append(ref)
        H, R = host.ready, ref.ready
        d = H["doorward"]
        print(f"host: Doorward workerd pid {d['pid']} (router {d['router']}, direct {d['direct']}), "
              f"JS floor pid {H['hello_js']['pid']}, Rust floor pid {H['rust_hello']['pid']}, "
              f"Miniflare's Node pid {H['host_pid']}; node-oidc-provider pid {R['pid']} at {R['issuer']}",
              flush=True)

        # Faithfulness: the same setup and checks under both hosts.
        print("faithfulness checks:", flush=True)
        obs_host, apps = faithfulness(d["router"], d["admin_token"], host_state)
        obs_wr = None
        if not args.no_wrangler:
            wr_dir = os.path.join(scratch, "wrangler")
            os.makedirs(wr_dir)
            wrangler = start_wrangler(wr_dir)
            obs_wr, wr_apps = faithfulness(wrangler.origin, wrangler.token, wr_dir)
            if not args.wrangler_load:
                wrangler.stop()
                wrangler = None
        checks = []
        for k, v in obs_host.items():
            same = None if obs_wr is None else (obs_wr.get(k) == v)
            checks.append((k, v, None if obs_wr is None else obs_wr.get(k), same))
            print(f"  {'same' if same else 'DIFFERENT' if same is False else '    '}  {k}: {v}"
                  + (f"\n        wrangler dev: {obs_wr.get(k)}" if same is False else ""), flush=True)

        signing = {alg: signing_cost(d["direct"], d["admin_token"], d["pid"], alg) for alg in ("RS256", "ES256")}
        for alg, (wall, cpu) in signing.items():
            print(f"  one {alg} signature inside workerd (debug probe): {wall:.3f} ms wall, {cpu:.3f} ms CPU",
                  flush=True)
        ref_login = reference_sign_in(R)
        print(f"  node-oidc-provider password sign-in: {ref_login}", flush=True)

        # Targets. Each host mints its own tokens (the issuer is the origin it is reached at).
        targets = {}  # name -> list of (column, url, body, auth, check, pids, pgids)
        cols = []

        def add(name, col, url, body=None, auth=None, check=None, pids=(), pgids=()):
            targets.setdefault(name, []).append((col, url, body, auth, check, pids, pgids))
            if col not in cols:
                cols.append(col)

        dw_pids = (d["pid"], H["host_pid"])
        origins = [("Doorward, assets router", d["router"], dw_pids, ()),
                   ("Doorward, direct", d["direct"], dw_pids, ())]
        if wrangler:
            origins.append(("Doorward, wrangler dev", wrangler.origin, (), (wrangler.proc.pid,)))
        for col, origin, pids, pgids in origins:
            a = wr_apps if "wrangler" in col else apps
            for name, (url, body, auth, check) in doorward_targets(a, origin).items():
                add(name, col, url, body, auth, check, pids, pgids)
                if name == "healthz" and col == origins[-1][0]:
                    add("healthz", "JS hello world", H["hello_js"]["url"] + "/", check=is_ok,
                        pids=(H["hello_js"]["pid"],))
                    add("healthz", "workers-rs hello world", H["rust_hello"]["url"] + "/", check=is_ok,
                        pids=(H["rust_hello"]["pid"],))
                    add("healthz", "node-oidc-provider", R["issuer"] + "/healthz", check=is_ok, pids=(R["pid"],))
        col = "node-oidc-provider"
        iss, rp = R["issuer"], (R["pid"],)
        add("discovery", col, iss + "/.well-known/openid-configuration",
            check=lambda r: r.get("issuer") == R["issuer"], pids=rp)
        add("jwks", col, iss + "/jwks", check=lambda r: len(r["keys"]) == 2, pids=rp)
        for alg, c in R["clients"].items():
            add(f"cc_{alg.lower()}", col, iss + "/token", CC_BODY, machine.basic(c["client_id"], c["client_secret"]),
                check=lambda r, alg=alg: alg_of(r) == alg, pids=rp)
        c = R["clients"]["RS256"]
        auth = machine.basic(c["client_id"], c["client_secret"])
        # node-oidc-provider refuses to introspect JWT access tokens: an opaque one of the same client.
        opaque = mint(iss + "/token", auth, urllib.parse.urlencode({
            "grant_type": "client_credentials", "resource": R["opaque_resource"], "scope": "orders:read"}))
        add("introspection", col, iss + "/token/introspection",
            urllib.parse.urlencode({"token": opaque["access_token"], "token_type_hint": "access_token"}), auth,
            check=lambda r: r.get("active") is True, pids=rp)

        print("warm-up (20 requests per target; each answer checked):", flush=True)
        for name, runs in targets.items():
            for col, url, body, auth, check, _, _ in runs:
                warm(url, body, auth, check)
        n_runs = sum(len(v) for v in targets.values())
        print(f"wrk {' '.join(wrk_args)}, {n_runs} targets × {args.rounds} rounds, interleaved:", flush=True)
        results = {(name, col): [] for name, runs in targets.items() for col, *_ in runs}
        for r in range(args.rounds):
            loads.append(open("/proc/loadavg").read().split()[0])
            print(f" round {r + 1} (load average {loads[-1]}):", flush=True)
            for name, runs in targets.items():
                for col, url, body, auth, check, pids, pgids in runs:
                    res = run_wrk(url, body, auth, wrk_args, pids, pgids)
                    results[(name, col)].append(res)
                    extra = f", Miniflare's Node {res['cpu'][1]:.3f}" if len(pids) > 1 else ""
                    print(f"  {name:13} {col:24} {res['rps']:8.0f} req/s  p50 {res['p50']:>8}  "
                          f"CPU/req {res['cpu'][0]:.3f} ms{extra}; wrk {res['wrk_cores']:.2f} cores, "
                          f"others {res['other_cores']:.2f}"
                          + (f"  NON-2xx {res['non2xx']}" if res["non2xx"] else "")
                          + (f"  socket errors {res['socket_errors']}" if res["socket_errors"] else ""),
                          flush=True)
        # The state the load ran against is still good (e.g. the introspected tokens are active).
        for name, runs in targets.items():
            for col, url, body, auth, check, _, _ in runs:
                warm(url, body, auth, check, count=1)
    finally:
        for c in children:
            c.stop()
        if wrangler:
            wrangler.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    report = render(results, targets, cols, checks, obs_wr is not None, wrk_args, args.rounds,
                    load_start, loads, wasm_kb, time.monotonic() - t_start, ref_login, signing, R.get("signing", {}))
    print()
    print(report)
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"host-{datetime.datetime.now().strftime('%Y-%m-%dT%H%M')}.md")
    with open(out, "w") as f:
        f.write(report)
    print(f"written to {os.path.relpath(out, ROOT)}")


LABELS = {
    "healthz": "`GET /healthz` (an empty handler)",
    "discovery": "discovery",
    "jwks": "JWKS",
    "cc_rs256": "client_credentials, RS256 JWT access token",
    "cc_es256": "client_credentials, ES256 JWT access token",
    "introspection": "introspection",
}


def render(results, targets, cols, checks, compared, wrk_args, rounds, load_start, loads, wasm_kb, secs,
           ref_login, signing, ref_signing):
    def med(name, col):
        runs = results.get((name, col))
        if not runs:
            return None
        mid = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        return {
            "rps": statistics.median(r["rps"] for r in runs),
            "cpu": statistics.median(r["cpu"][0] for r in runs),
            "host_cpu": statistics.median(r["cpu"][1] for r in runs) if len(runs[0]["cpu"]) > 1 else None,
            "p50": mid["p50"], "p99": mid["p99"],
            "bad": sum(r["non2xx"] for r in runs),
            "raw": ", ".join(f"{r['rps']:.0f}" for r in runs),
        }

    all_runs = [r for runs in results.values() for r in runs]
    other = statistics.mean(r["other_cores"] for r in all_runs)
    other_max = max(r["other_cores"] for r in all_runs)
    steal = statistics.mean(r["steal_cores"] for r in all_runs)
    wrk_cores = statistics.median(r["wrk_cores"] for r in all_runs)
    busy = float(load_start[0]) > 0.5 or other > 0.1
    lines = [
        f"# Doorward on the Miniflare host, {datetime.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"commit `{foundation.git_rev()}`, build/index_bg.wasm {wasm_kb:,.0f} KiB, {os.cpu_count()} CPUs, "
        f"loopback, wrk `{' '.join(wrk_args)} --latency` on the same machine; median of {rounds} "
        f"interleaved rounds; load average {' '.join(load_start)} before the run, "
        f"{', '.join(loads)} at the start of each round (the benchmark's own load included); whole run "
        f"{secs / 60:.1f} min. CPU used by other processes during the load runs (machine busy time minus "
        f"the measured servers and wrk): {other:.2f} cores on average, {other_max:.2f} at most; steal "
        f"{steal:.2f} cores; wrk itself {wrk_cores:.2f} cores (median).",
        "",
    ]
    if busy:
        lines += ["⚠ The machine was not idle (load average above 0.5 before the run, or other processes "
                  "used more than 0.1 core during the load runs): the absolute figures are low; the ratios "
                  "within the run are the useful part.", ""]
    lines += ["| endpoint | server | req/s | CPU ms/req | p50 | p99 | × node-oidc-provider req/s | "
              "× its CPU/req |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name in targets:
        ref = med(name, "node-oidc-provider")
        for col, *_ in targets[name]:
            m = med(name, col)
            ratio = cpu_ratio = ""
            if ref and col != "node-oidc-provider":
                ratio = f"{m['rps'] / ref['rps']:.2f}×"
                cpu_ratio = f"{m['cpu'] / ref['cpu']:.2f}×" if ref["cpu"] else ""
            label = LABELS[name]
            if name == "healthz" and col == "node-oidc-provider":
                col = "Node `http` alone (same process)"
            if name == "introspection" and col == "node-oidc-provider":
                col = "node-oidc-provider (opaque token)"
            note = f" ⚠ {m['bad']} non-2xx" if m["bad"] else ""
            lines.append(f"| {label}{note} | {col} | {m['rps']:,.0f} | {m['cpu']:.3f} | {m['p50']} | "
                         f"{m['p99']} | {ratio} | {cpu_ratio} |")

    # Where the CPU goes: floors, glue, the router, Doorward's own work.
    js, rust = med("healthz", "JS hello world"), med("healthz", "workers-rs hello world")
    hz_d, hz_r = med("healthz", "Doorward, direct"), med("healthz", "Doorward, assets router")
    if js and rust and hz_d and hz_r:
        lines += ["", "| CPU per request, split | ms |", "|---|---:|",
                  f"| the runtime: JavaScript hello world (workerd, HTTP, one isolate) | {js['cpu']:.3f} |",
                  f"| + Rust/wasm-bindgen/`worker` glue: workers-rs hello world − JS | {rust['cpu'] - js['cpu']:+.3f} |",
                  f"| + Doorward's module on an empty handler: `/healthz` direct − workers-rs | "
                  f"{hz_d['cpu'] - rust['cpu']:+.3f} |",
                  f"| the assets router in front (`/healthz`: router − direct) | {hz_r['cpu'] - hz_d['cpu']:+.3f} |"]
        for name in ("discovery", "jwks", "cc_rs256", "cc_es256", "introspection"):
            m = med(name, "Doorward, direct")
            if m:
                lines.append(f"| Doorward's own work, {LABELS[name]} (direct − `/healthz` direct) | "
                             f"{m['cpu'] - hz_d['cpu']:+.3f} |")
            alg = {"cc_rs256": "RS256", "cc_es256": "ES256"}.get(name)
            if m and alg in signing:
                lines.append(f"| … of which one {alg} signature through WebCrypto (debug probe: 1,000 in one "
                             f"request minus none, wall; workerd CPU {signing[alg][1]:.3f} ms at 10 ms ticks) | "
                             f"{signing[alg][0]:.3f} |")
                if alg in ref_signing:
                    lines.append(f"| (node-oidc-provider: one {alg} signature with Node's crypto.sign, in its "
                                 f"process) | {ref_signing[alg]:.3f} |")
        host_cpu = [med(n, "Doorward, direct")["host_cpu"] for n in targets if med(n, "Doorward, direct")]
        lines.append(f"| Miniflare's own Node process during the Doorward runs (not in the request path) | "
                     f"{max(host_cpu):.3f} (max) |")

    lines += ["", "Faithfulness: the same setup through the admin API and the same requests on "
              + ("the Miniflare host and under `wrangler dev`:" if compared else "the Miniflare host:"),
              "", "| check | Miniflare host | " + ("same under wrangler dev |" if compared else ""),
              "|---|---|" + ("---|" if compared else "")]
    for k, v, w, same in checks:
        esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        cell = "" if same is None else ("yes" if same else f"**no**: {esc(w)}")
        lines.append(f"| {esc(k)} | {esc(v)} | {cell}" + (" |" if compared else ""))
    lines += ["", f"The reference's password sign-in (PBKDF2-SHA256, 100,000 rounds; for later sign-in "
              f"benchmarks): {ref_login}."]
    lines += [
        "",
        "CPU per request: utime+stime of the server process (all threads) from /proc/PID/stat, before "
        "and after each wrk run, over the requests wrk completed (10 ms ticks). Doorward and each "
        "floor: its own workerd process; node-oidc-provider: its Node process; `wrangler dev`: its "
        "whole process group (two workerd and Node). wrk shares the 2 cores with the servers. "
        "Introspection: Doorward verifies an RS256 JWT access token; node-oidc-provider refuses "
        "to introspect JWTs, so it looks an opaque token of the same client up in memory.",
        "",
        "Raw req/s per round: " + "; ".join(
            f"{n}/{c} {med(n, c)['raw']}" for (n, c) in results),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(1)

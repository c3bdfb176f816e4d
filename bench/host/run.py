#!/usr/bin/env python3
"""Doorward on a faithful benchmark host, beside its reference and its floors (issue 13).

Run through bench/host.sh (it installs wrk and bench/node_modules, builds the Rust floor and
checks the build). Standard library only. One run starts, on loopback:

  host       bench/host/host.mjs: the built worker on Miniflare's API (one workerd), reached
             through the assets router and straight; the JavaScript and workers-rs hello
             worlds, and the same two making one Durable Object round trip per request, each
             in its own workerd;
  reference  bench/host/reference.mjs: node-oidc-provider configured like a Doorward
             application, in its own Node process;
  wrangler   (for the faithfulness checks, and a reference column with --wrangler-load)
             `wrangler dev`, as the older scripts run it.

It sets the same things up on Doorward under both hosts through the admin API, checks they
answer the same (KV, SQLite-backed Durable Objects, assets, signatures), then runs wrk against
every target on every host, interleaved, ROUNDS times, reading each server process's
utime+stime from /proc/PID/stat before and after each run: CPU ms per request beside req/s.
Each round then runs the sign-ins (bench/host/signin.mjs drives them): SSO and fresh password
sign-ins at 1 and 4 connections and each step of a sign-in on its own, on Doorward and on the
reference in turn (and on --alt-build's second build, so that a change's effect on sign-ins is
a same-run ratio too), with CPU per sign-in (user and kernel) and the password hash through the
debug probe; after the rounds a counting host (host.mjs --count-calls) lists each step's
Durable Object, KV and assets calls.
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
import urllib.request

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


def cpu_split(pid):
    """(utime, stime) of a process, all its threads: user space and the kernel's work for it."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])


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
        # Wrangler's helpers may print a line of their own first (e.g. "Using secrets defined
        # in .dev.vars" when that file exists): wait for the ready line itself.
        while not any(l.startswith(b'{"ready"') for l in line.split(b"\n")[:-1]):
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
        ready = next(l for l in line.decode().splitlines() if l.startswith('{"ready"'))
        self.ready = json.loads(ready)["ready"]

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


DOCUMENT_TARGETS = ("discovery", "jwks")
DOCUMENT_COL = "JS worker, the same bytes from memory"
# With --alt-build, the main build again, started and set up as the alternative is (host.mjs).
TWIN_COL = "Doorward, direct, twin of the main build"
# The same floor in Doorward's configuration (bench/floors/configured.js), for these targets.
CONFIGURED_TARGETS = ("healthz", "discovery", "jwks")
CONFIGURED_COL = "the same, in Doorward's configuration"
# Not copied to the document floor: what the HTTP stack sets on every answer by itself.
PER_ANSWER_HEADERS = {"date", "content-length", "connection", "transfer-encoding", "keep-alive"}


def keep_document(floor_origin, path, source_url):
    """Hands the document floor (bench/floors/document.js) Doorward's answer at `source_url`,
    body and headers, to answer at `floor_origin + path`; returns the parsed document."""
    with urllib.request.urlopen(source_url, timeout=10) as r:
        body = r.read().decode()
        headers = [[k, v] for k, v in r.getheaders() if k.lower() not in PER_ANSWER_HEADERS]
    kept = json.dumps({"url": floor_origin + path, "body": body, "headers": headers}).encode()
    req = urllib.request.Request(floor_origin + "/keep", data=kept, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 204:
            raise RuntimeError(f"document floor: {r.status} for {path}")
    return json.loads(body)


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
    split0 = cpu_split(pids[0]) if pids else (0, 0)
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
    split1 = cpu_split(pids[0]) if pids else (0, 0)
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
        # The first process's user space and kernel parts (e.g. a Durable Object's SQLite file).
        "cpu_user": (split1[0] - split0[0]) * 1000 / CLK_TCK / requests,
        "cpu_sys": (split1[1] - split0[1]) * 1000 / CLK_TCK / requests,
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


# ---------------------------------------------------------------- sign-in

SIGNIN_DRIVER = os.path.join(HERE, "signin.mjs")
CALLBACK = "https://rp.example/callback"
SIGNIN_USER = {"login": "bench", "password": "bench password 1"}
# Requests per step in the itemised runs (one browser, one connection): enough for ~50 ticks of
# 10 ms of server CPU each. SIGNIN_STEP_SCALE multiplies them.
STEP_COUNTS = {"authorize": 600, "login_page": 600, "login": 100, "resume": 400, "token": 400,
               "userinfo": 600, "sso_authorize": 600}
STEPS = {"doorward": ["authorize", "login_page", "login", "token", "userinfo", "sso_authorize"],
         "node": ["authorize", "login_page", "login", "resume", "token", "userinfo", "sso_authorize"]}
FRESH_STEPS = {"doorward": ["authorize", "login_page", "login", "token", "userinfo"],
               "node": ["authorize", "login_page", "login", "resume", "token", "userinfo"]}
SSO_STEPS = ["sso_authorize", "token"]
# The sign-in's floor, composed from the same run's floors: what each step's Durable Object calls
# and signatures cost any worker on this runtime with this storage design (every single-use or
# revocable record in a Durable Object), before any of Doorward's own work. The calls a step makes
# come from the counting host; an op that only reads costs a read (`/rpc/64` − the workers-rs hello
# world), any other a write (`/write/64` − the hello world: an SQLite commit); the request itself
# the workers-rs hello world; each signature one RS256 signature through WebCrypto (the debug
# probe). Objects' ops that only read:
READ_OPS = {"get", "begin_sign_in", "check_lock", "get_user", "get_user_for_tokens", "get_session_and_user",
            "get_user_and_consent", "get_consent"}
# RS256 signatures per step of Doorward's bench application: the token response's ID token and
# its JWT access token.
STEP_SIGNATURES = {"token": 2}
# The floors the composition reads (target, column); a --signin-only run measures these too.
SIGNIN_FLOOR_TARGETS = {("healthz", "workers-rs hello world"), ("rpc_64", "workers-rs Durable Object floor"),
                        ("write_64", "workers-rs Durable Object floor")}
STEP_LABELS = {
    "authorize": "`GET /auth` without a session → 303 to the login page (parks the request)",
    "login_page": "`GET` the login page",
    "login": "`POST` the password → 303 with the code (node-oidc-provider: → 303 to resume)",
    "resume": "node-oidc-provider only: `GET /auth/{uid}` (resume) → 303 with the code",
    "token": "`POST /token` with the code → access token and ID token",
    "userinfo": "`GET /me` with the access token",
    "sso_authorize": "`GET /auth` with the SSO session → 303 with the code",
}


def doorward_signin_target(origin, token, direct):
    """An application with skip_consent and a user, through the admin API at `origin`; the
    target the driver signs in at, straight to the worker (`direct`)."""
    status, app = foundation.request("POST", origin + "/api/v1/applications", {
        "name": "Bench sign-in", "subdomain": "bench-signin", "redirect_uris": [CALLBACK],
        "skip_consent": True}, token=token)
    if status != 201:
        raise RuntimeError(f"creating the sign-in application on {origin}: {status} {app}")
    status, user = foundation.request("POST", origin + "/api/v1/users", {
        "username": SIGNIN_USER["login"], "password": SIGNIN_USER["password"]}, token=token)
    if status != 201:
        raise RuntimeError(f"creating the sign-in user on {origin}: {status} {user}")
    return {"kind": "doorward", "issuer": issuer_at(app, direct), "client_id": app["client_id"],
            "client_secret": app["client_secret"], "redirect_uri": CALLBACK, **SIGNIN_USER}


def node_signin_target(R):
    c = R["clients"]["RS256"]
    return {"kind": "node", "issuer": R["issuer"], "client_id": c["client_id"], "client_secret": c["client_secret"],
            "redirect_uri": R["callback"], "login": R["user"]["login"], "password": R["user"]["password"]}


class Driver:
    """bench/host/signin.mjs, fed one JSON command per line."""

    def __init__(self, log_dir):
        self.log = open(os.path.join(log_dir, "signin-driver.log"), "wb")
        self.proc = subprocess.Popen([NODE, SIGNIN_DRIVER], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)

    def call(self, cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the sign-in driver exited")
        res = json.loads(line)
        if not res.get("ok"):
            raise RuntimeError(f"sign-in driver, {cmd.get('cmd')} on {cmd['target']['kind']}: {res.get('error')}")
        return res

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def signin_run(driver, target, prepare, run, pids):
    """Prepares (outside the measurement), then one measured run: the driver's figures plus the
    server's CPU ms per completed sign-in (or step) from /proc, and the other processes' CPU."""
    driver.call({"cmd": "prepare", "target": target, **prepare})
    split0 = cpu_split(pids[0])
    before = [cpu_ticks(p) for p in pids]
    busy0, steal0 = cpu_stat()
    t0 = time.monotonic()
    res = driver.call({"cmd": "run", "target": target, **run})
    secs = time.monotonic() - t0
    busy1, steal1 = cpu_stat()
    after = [cpu_ticks(p) for p in pids]
    split1 = cpu_split(pids[0])
    ticks = [a - b for a, b in zip(after, before)]
    units = max(1, res["done"])
    res["cpu"] = [t * 1000 / CLK_TCK / units for t in ticks]
    # The server's own process: user space (isolate, SQLite) and kernel (sockets, SQLite files).
    res["cpu_user"], res["cpu_sys"] = ((b - a) * 1000 / CLK_TCK / units for a, b in zip(split0, split1))
    res["driver_cores"] = res["driver_cpu_ms"] / 1000 / secs
    res["other_cores"] = max(0.0, ((busy1 - busy0) / CLK_TCK - sum(ticks) / CLK_TCK
                                   - res["driver_cpu_ms"] / 1000) / secs)
    res["steal_cores"] = (steal1 - steal0) / CLK_TCK / secs
    return res


def hash_cost(origin, token, pid, count=100, rounds=3):
    """(wall ms, workerd CPU ms) of one password hash inside workerd, through the debug probe
    `POST /api/v1/debug/hash {count}` (PBKDF2-SHA256 as a sign-in checks it, at most 100 a
    request): count=N minus count=0, over N; medians."""
    def timed(n):
        before = cpu_ticks(pid)
        t0 = time.perf_counter()
        status, body = foundation.request("POST", origin + "/api/v1/debug/hash", {"count": n}, token=token, timeout=60)
        wall = time.perf_counter() - t0
        if status != 200 or body.get("count") != n:
            raise RuntimeError(f"debug/hash: {status} {body}")
        return wall, cpu_ticks(pid) - before

    timed(10)
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = timed(0)
        w1, c1 = timed(count)
        walls.append((w1 - w0) * 1000 / count)
        cpus.append((c1 - c0) * 1000 / CLK_TCK / count)
    return statistics.median(walls), statistics.median(cpus)


def count_round_trips(scratch):
    """The Durable Object, KV and assets calls of each step of a fresh and an SSO sign-in, as a
    counting host (host.mjs --count-calls: the same build behind a wrapper that records every
    binding call) sees them: one sign-in to warm the isolate's caches, then the traced ones."""
    state = os.path.join(scratch, "count-state")
    os.makedirs(state)
    host = Child("counting-host", ["bench/host/host.mjs", "--state", state, "--root", ROOT, "--no-floors",
                                   "--count-calls"], scratch)
    driver = None
    try:
        d = host.ready["doorward"]
        target = doorward_signin_target(d["router"], d["admin_token"], d["direct"])
        driver = Driver(scratch)
        return driver.call({"cmd": "trace", "target": target})
    finally:
        if driver:
            driver.stop()
        host.stop()


def signin_servers(d, alt, alt_col, R, host_pid):
    """[(column, sign-in target, pids)]: Doorward, the alternative build when the host started
    one (--alt-build: the same before/after in the same run as on the wrk targets), and
    node-oidc-provider, in the order every flow and step runs on them. Each Doorward build gets
    its own application and user through its own admin API, and its CPU is read from its own
    workerd (plus Miniflare's Node, shared by both builds, as on the wrk targets). With an
    alternative, `d` is the main build's twin (TWIN_COL), started and set up as the alternative
    is, so that the two sit on equal terms."""
    builds = [("Doorward, direct", d)] + ([(alt_col, alt)] if alt else [])
    return [(col, doorward_signin_target(b["router"], b["admin_token"], b["direct"]), (b["pid"], host_pid))
            for col, b in builds] + [("node-oidc-provider", node_signin_target(R), (R["pid"],))]


def signin_plan(servers, seconds, concurrencies, scale):
    """[(key, column, target, prepare, run, pids)], each flow and step on every server of
    `servers` (signin_servers) in turn, so that a round's runs of one key sit side by side."""
    plan = []
    for flow in ("sso", "fresh"):
        for c in concurrencies:
            for col, t, pids in servers:
                plan.append(((flow, c), col, t, {"flow": flow, "concurrency": c}, {"flow": flow, "seconds": seconds}, pids))
    for step in STEPS["node"]:
        for col, t, pids in servers:
            if step in STEPS[t["kind"]]:
                n = max(10, int(STEP_COUNTS[step] * scale))
                plan.append((("step", step), col, t, {"step": step, "count": n}, {}, pids))
    return plan


def rotated(plan, r):
    """The plan of round `r`: each flow's or step's runs (consecutive entries of one key) with
    the servers' order rotated by `r`. In alternating A/B runs of two builds on this 2-core
    machine, whichever ran second in a round mostly came out slower (the first server's
    background work, JIT and GC threads, still running is the likely cause), so a fixed order
    favours whoever goes first."""
    out, i = [], 0
    while i < len(plan):
        j = i
        while j < len(plan) and plan[j][0] == plan[i][0]:
            j += 1
        group = plan[i:j]
        k = r % len(group)
        out += group[k:] + group[:k]
        i = j
    return out


def profile_signin(name, target, port, out_dir, stamp, seconds=10):
    """A CPU profile of Doorward while the sign-in driver runs a flow (`signin_sso`,
    `signin_fresh`: 1 connection for `seconds`) or one step (`signin_step_STEP`, the itemised
    run's count × 4); the profiler starts once the driver has prepared."""
    what = name[len("signin_"):]
    if what.startswith("step_"):
        step = what[len("step_"):]
        prep, run = {"step": step, "count": STEP_COUNTS[step] * 4}, {}
    else:
        prep, run = {"flow": what, "concurrency": 1}, {"flow": what, "seconds": seconds}
    # A warm isolate: a few sign-ins first, unprofiled.
    warmup = subprocess.run([NODE, SIGNIN_DRIVER, json.dumps({"cmd": "check", "target": target})],
                            capture_output=True, text=True)
    if warmup.returncode != 0:
        raise RuntimeError(f"sign-in check before the profile failed:\n{warmup.stdout}{warmup.stderr}")
    prof = os.path.join(out_dir, f"profile-{name}-{stamp}.cpuprofile")
    parts_json = prof.replace(".cpuprofile", ".parts.json")
    print(f"profiling {name}:", flush=True)
    res = subprocess.run([NODE, os.path.join(HERE, "profile.mjs"), "--inspect", str(port), "--out", prof,
                          "--after-first-line", "--", NODE, SIGNIN_DRIVER, "--wait",
                          json.dumps({"cmd": "prepare", "target": target, **prep}),
                          json.dumps({"cmd": "run", "target": target, **run})],
                         capture_output=True, text=True, env=dict(os.environ, PROFILE_PARTS_JSON=parts_json))
    if res.returncode != 0:
        raise RuntimeError(f"profile of {name} failed:\n{res.stdout}\n{res.stderr}")
    out, _, table = res.stdout.partition("Profile of ")
    runs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    r = runs[-1] if runs else {}
    report = (f"# Profile of Doorward, {name}, {stamp}\n\nThe sign-in driver, {json.dumps(prep)}, one connection, "
              f"with the inspector attached: {r.get('done')} done at {r.get('rate', 0):.1f}/s, p50 "
              f"{r.get('p50') or 0:.2f} ms (slower than unprofiled). Load average "
              f"{' '.join(open('/proc/loadavg').read().split()[:3])}.\n\nProfile of {table}")
    try:
        with open(parts_json) as f:
            parts = json.load(f)
        done = max(1, r.get("done") or 1)
        report += ("\nIsolate time per " + ("request" if what.startswith("step_") else "sign-in")
                   + " by part (profiled, so inflated by the sampling; the shares are what to read): "
                   + ", ".join(f"{k} {v * 1000 / done:.2f} ms" for k, v in sorted(parts["parts"].items(), key=lambda kv: -kv[1]))
                   + f"; not idle {parts['busy_s'] * 1000 / done:.2f} ms.\n")
    except (OSError, ValueError):
        pass
    print(report, flush=True)
    md = prof.replace(".cpuprofile", ".md")
    with open(md, "w") as f:
        f.write(report)
    print(f"written to {os.path.relpath(md, ROOT)} and {os.path.relpath(prof, ROOT)}", flush=True)


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
        signin_target = None
        for name in names:
            if name.startswith("signin_"):
                if signin_target is None:
                    signin_target = doorward_signin_target(d["router"], d["admin_token"], d["direct"])
                profile_signin(name, signin_target, port, out_dir, stamp)
                continue
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
    ap.add_argument("--signin-only", action="store_true",
                    help="skip the wrk targets: checks, then only the sign-in runs")
    ap.add_argument("--no-signin", action="store_true", help="skip the sign-in runs")
    ap.add_argument("--targets", metavar="NAMES",
                    help="only these wrk targets, comma-separated (e.g. healthz,discovery,jwks)")
    ap.add_argument("--alt-build", metavar="DIR",
                    help="a second build directory of the crate (e.g. other compiler settings), run beside "
                         "build/ on every Doorward target and every sign-in flow and step, straight to the worker")
    ap.add_argument("--alt-label", default="alternative build", help="the second build's column name")
    ap.add_argument("--signin-seconds", type=float, default=float(os.environ.get("SIGNIN_SECONDS", 5)),
                    help="seconds per sign-in flow run (default 5)")
    ap.add_argument("--signin-concurrency", default=os.environ.get("SIGNIN_CONCURRENCY", "1,4"),
                    help="connections (browsers) of the flow runs, comma-separated (default 1,4)")
    ap.add_argument("--profile", metavar="TARGETS",
                    help="instead of the benchmark: CPU profiles of Doorward under load, e.g. "
                         "cc_rs256,introspection (healthz, discovery, jwks, cc_rs256, cc_es256, introspection; "
                         "signin_sso, signin_fresh, signin_step_STEP)")
    args = ap.parse_args()
    wrk_args = args.wrk.split()
    if args.profile:
        return profile_mode(args.profile.split(","), wrk_args)
    t_start = time.monotonic()

    load_start = machine.load_before_run()
    wasm = os.path.join(ROOT, "build", "index_bg.wasm")
    wasm_kb = os.path.getsize(wasm) / 1024
    scratch = tempfile.mkdtemp(prefix="doorward-bench-host-")
    children, wrangler, driver = [], None, None
    loads = []
    concurrencies = [int(c) for c in args.signin_concurrency.split(",") if c.strip()]
    step_scale = float(os.environ.get("SIGNIN_STEP_SCALE", 1))
    signin_results, hashes, trace, signin_checks, plan = {}, [], None, {}, []
    try:
        host_state = os.path.join(scratch, "host-state")
        os.makedirs(host_state)
        host = Child("host", ["bench/host/host.mjs", "--state", host_state, "--root", ROOT]
                     + (["--alt-build", args.alt_build] if args.alt_build else []), scratch)
        children.append(host)
        ref = Child("reference", ["bench/host/reference.mjs"], scratch)
        children.append(ref)
        H, R = host.ready, ref.ready
        d = H["doorward"]
        print(f"host: Doorward workerd pid {d['pid']} (router {d['router']}, direct {d['direct']}), "
              f"JS floor pid {H['hello_js']['pid']}, Rust floor pid {H['rust_hello']['pid']}, "
              f"Durable Object floors pids {H['do_js']['pid']} (JS), {H['do_rust']['pid']} (Rust), "
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
        alt = H.get("doorward_alt")
        alt_col = f"Doorward, direct, {args.alt_label}" if alt else None
        if not args.no_signin:
            servers = signin_servers(H["doorward_twin"] if alt else d, alt, alt_col, R, H["host_pid"])
            driver = Driver(scratch)
            for col, t, _ in servers:
                signin_checks[col] = driver.call({"cmd": "check", "target": t})
                c = signin_checks[col]
                print(f"  {col} sign-in driver check: {' → '.join(c['steps'])}; session cookie "
                      f"{c['session_cookie']}; ID token {c['id_token_alg']}, access token {c['access_token']}",
                      flush=True)
            plan = signin_plan(servers, args.signin_seconds, concurrencies, step_scale)
            # Unmeasured: both flows for a few seconds on each server (JIT, isolate caches).
            for _, t, _ in servers:
                for flow in ("sso", "fresh"):
                    driver.call({"cmd": "prepare", "target": t, "flow": flow, "concurrency": 1})
                    driver.call({"cmd": "run", "target": t, "flow": flow, "seconds": 2})

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
                if name in DOCUMENT_TARGETS and col == "Doorward, direct":
                    floor = H["document_js"]
                    doc = keep_document(floor["url"], "/" + name, url)
                    add(name, DOCUMENT_COL, floor["url"] + "/" + name, check=lambda r, doc=doc: r == doc,
                        pids=(floor["pid"],))
                if name in CONFIGURED_TARGETS and col == "Doorward, direct" and "configured_js" in H:
                    floor = H["configured_js"]
                    doc = keep_document(floor["direct"], "/" + name, url)
                    add(name, CONFIGURED_COL, floor["direct"] + "/" + name, check=lambda r, doc=doc: r == doc,
                        pids=(floor["pid"], H["host_pid"]))
        if alt:
            # The twin first: the before/after is read between its rows and the alternative's.
            for b, col in ((H["doorward_twin"], TWIN_COL), (alt, alt_col)):
                b_apps = doorward_setup(b["router"], b["admin_token"])
                for name, (url, body, auth, check) in doorward_targets(b_apps, b["direct"]).items():
                    add(name, col, url, body, auth, check, (b["pid"], H["host_pid"]))
        # The same build logging each machine token (the builds before the tally).
        variant = H.get("doorward_log_each")
        if variant:
            variant_apps = doorward_setup(variant["router"], variant["admin_token"])
            variant_pids = (variant["pid"], H["host_pid"])
            for name, (url, body, auth, check) in doorward_targets(variant_apps, variant["direct"]).items():
                if name.startswith("cc_"):
                    add(name, VARIANT_COL, url, body, auth, check,
                        variant_pids)
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
        # The Durable Object floors, read beside introspection (one GrantStore round trip), and
        # by RPC, reading and writing.
        for name, path, answer in FLOOR_TARGETS:
            for col, key in DO_COLS:
                add(name, col, H[key]["url"] + path, check=lambda r, answer=answer: r == answer,
                    pids=(H[key]["pid"],))

        if args.signin_only:
            # Only the floors the sign-in's floor is composed of.
            for name in list(targets):
                targets[name] = [t for t in targets[name] if (name, t[0]) in SIGNIN_FLOOR_TARGETS]
                if not targets[name]:
                    del targets[name]
        elif args.targets:
            wanted = set(args.targets.split(","))
            unknown = wanted - set(targets)
            if unknown:
                sys.exit(f"--targets: no such target {', '.join(sorted(unknown))} (known: {', '.join(targets)})")
            for name in [n for n in targets if n not in wanted]:
                del targets[name]
        print("warm-up (20 requests per target; each answer checked):", flush=True)
        for name, runs in targets.items():
            for col, url, body, auth, check, _, _ in runs:
                warm(url, body, auth, check)
        n_runs = sum(len(v) for v in targets.values())
        print(f"wrk {' '.join(wrk_args)}, {n_runs} targets × {args.rounds} rounds, interleaved:", flush=True)
        results = {(name, col): [] for name, runs in targets.items() for col, *_ in runs}
        results_one = {}
        col_width = max([20] + [len(col) for _, col, *_ in plan])
        for r in range(args.rounds):
            loads.append(open("/proc/loadavg").read().split()[0])
            print(f" round {r + 1} (load average {loads[-1]}):", flush=True)
            for name, runs in targets.items():
                # Each round starts a target's servers one further along, so that a host
                # whose speed drifts within a target's runs favours no column.
                for col, url, body, auth, check, pids, pgids in runs[r % len(runs):] + runs[:r % len(runs)]:
                    res = run_wrk(url, body, auth, wrk_args, pids, pgids)
                    results[(name, col)].append(res)
                    extra = f", Miniflare's Node {res['cpu'][1]:.3f}" if len(pids) > 1 else ""
                    print(f"  {name:13} {col:24} {res['rps']:8.0f} req/s  p50 {res['p50']:>8}  "
                          f"CPU/req {res['cpu'][0]:.3f} ms{extra}; wrk {res['wrk_cores']:.2f} cores, "
                          f"others {res['other_cores']:.2f}"
                          + (f"  NON-2xx {res['non2xx']}" if res["non2xx"] else "")
                          + (f"  socket errors {res['socket_errors']}" if res["socket_errors"] else ""),
                          flush=True)
            # The sign-in's steps are driven on one connection, where every request also pays
            # the thread's wake-up: their floors are measured the same way, beside the wrk ones.
            for name, col in sorted(SIGNIN_FLOOR_TARGETS) if plan else ():
                for c, url, body, auth, check, pids, pgids in targets.get(name, []):
                    if c == col:
                        res = run_wrk(url, body, auth, one_connection(wrk_args), pids, pgids)
                        results_one.setdefault((name, col), []).append(res)
                        print(f"  {name:13} {col + ', one connection':24} {res['rps']:8.0f} req/s  "
                              f"p50 {res['p50']:>8}  CPU/req {res['cpu'][0]:.3f} ms", flush=True)
            for key, col, t, prep, run, pids in rotated(plan, r):
                res = signin_run(driver, t, prep, run, pids)
                signin_results.setdefault((key, col), []).append(res)
                what = f"{key[0]} ×{key[1]}" if key[0] != "step" else f"step {key[1]}"
                unit = "sign-ins/s" if key[0] != "step" else "steps/s"
                extra = f", Miniflare's Node {res['cpu'][1]:.3f}" if len(pids) > 1 else ""
                print(f"  {what:20} {col:{col_width}} {res['rate']:8.1f} {unit}  p50 {res['p50']:7.2f} ms  "
                      f"CPU {res['cpu'][0]:.3f} ms (user {res['cpu_user']:.3f} + kernel {res['cpu_sys']:.3f})"
                      f"{extra}; driver {res['driver_cores']:.2f} cores, "
                      f"others {res['other_cores']:.2f}"
                      + (f"  FAILED {res['failed']}: {res['errors']}" if res["failed"] else ""), flush=True)
            if plan:
                hashes.append(hash_cost(d["direct"], d["admin_token"], d["pid"]))
                print(f"  password hash inside workerd (debug probe): {hashes[-1][0]:.2f} ms wall, "
                      f"{hashes[-1][1]:.2f} ms CPU", flush=True)
        if plan:
            print("round trips per step (counting host):", flush=True)
            trace = count_round_trips(scratch)
            for flow in ("fresh", "sso"):
                for st in trace[flow]:
                    print(f"  {flow:5} {st['step']:13} {st['status']}  {', '.join(st['calls'] or [])}", flush=True)
        # The state the load ran against is still good (e.g. the introspected tokens are active).
        for name, runs in targets.items():
            for col, url, body, auth, check, _, _ in runs:
                warm(url, body, auth, check, count=1)
        # The floors' objects are SQLite databases on disk, one file per object started.
        do_files = {col: sum(1 for p in _walk(os.path.join(host_state, f"floor-do-{lang}", "v3", "do"))
                             if p.endswith(".sqlite") and os.path.basename(p) != "metadata.sqlite")
                    for col, lang in ((DO_COLS[0][0], "js"), (DO_COLS[1][0], "rust"))}
    finally:
        if driver:
            driver.stop()
        for c in children:
            c.stop()
        if wrangler:
            wrangler.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    signin = {"results": signin_results, "alt_col": alt_col, "hashes": hashes, "trace": trace, "checks": signin_checks,
              "floors": signin_floors(results, signing),
              "floors_one": signin_floors(results_one, signing),
              "ref_hash": R.get("hashing"), "seconds": args.signin_seconds, "concurrencies": concurrencies,
              "step_counts": {k: max(10, int(v * step_scale)) for k, v in STEP_COUNTS.items()}} if plan else None
    report = render(results, targets, cols, checks, obs_wr is not None, wrk_args, args.rounds,
                    load_start, loads, wasm_kb, time.monotonic() - t_start, ref_login, signing, R.get("signing", {}),
                    signin, do_files)
    print()
    print(report)
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"host-{datetime.datetime.now().strftime('%Y-%m-%dT%H%M')}.md")
    with open(out, "w") as f:
        f.write(report)
    if signin:
        with open(out.replace(".md", "-signin.json"), "w") as f:
            json.dump({**signin, "results": [{"key": list(k), "column": c, "runs": runs}
                                             for (k, c), runs in signin["results"].items()]}, f, indent=1)
    print(f"written to {os.path.relpath(out, ROOT)}")


LABELS = {
    "healthz": "`GET /healthz` (an empty handler)",
    "discovery": "discovery",
    "jwks": "JWKS",
    "cc_rs256": "client_credentials, RS256 JWT access token",
    "cc_es256": "client_credentials, ES256 JWT access token",
    "introspection": "introspection",
    "do_warm": "one Durable Object round trip, one fixed (warm) object",
    "do_64": "one Durable Object round trip, one of 64 objects at random",
    "do_4096": "one Durable Object round trip, one of 4,096 objects at random",
    "rpc_warm": "one Durable Object round trip by RPC, one fixed (warm) object",
    "rpc_64": "one Durable Object round trip by RPC, one of 64 objects at random",
    "write_64": "one Durable Object write (an SQLite commit) by RPC, one of 64 objects at random",
}
# The Durable Object floors (bench/floors/do.js, bench/floors/rust-do): target, path, the answer
# it must give; column, host.mjs's key. The reads over the stub's fetch, then the object's `call`
# method by JS RPC: the same read, and a write (one record put, the shape of a GrantStore `put`).
DO_TARGETS = [("do_warm", "/do", {"value": None}), ("do_64", "/do/64", {"value": None}),
              ("do_4096", "/do/4096", {"value": None})]
RPC_TARGETS = [("rpc_warm", "/rpc", {"value": None}), ("rpc_64", "/rpc/64", {"value": None}),
               ("write_64", "/write/64", {"value": True})]
FLOOR_TARGETS = DO_TARGETS + RPC_TARGETS
DO_COLS = [("JS Durable Object floor", "do_js"), ("workers-rs Durable Object floor", "do_rust")]


def one_connection(wrk_args):
    """`wrk_args` with one thread and one connection (the sign-in steps' load), the same
    duration and options otherwise."""
    out, args = [], iter(wrk_args)
    for a in args:
        for flag in ("-t", "-c"):
            if a == flag:
                next(args, None)  # "-t 2": the value is the next word
            if a.startswith(flag):
                out.append(flag + "1")
                break
        else:
            out.append(a)
    return out


def signin_floors(results, signing):
    """The parts the sign-in's floor is composed of, from this run (CPU ms): `request` the
    workers-rs hello world's whole request, `read` and `write` one object call by RPC beyond it,
    `sign` one RS256 signature; None when the run did not measure them."""
    def cpu(name, col):
        runs = results.get((name, col))
        return statistics.median(r["cpu"][0] for r in runs) if runs else None
    hello = cpu("healthz", "workers-rs hello world")
    read = cpu("rpc_64", "workers-rs Durable Object floor")
    write = cpu("write_64", "workers-rs Durable Object floor")
    if None in (hello, read, write) or "RS256" not in signing:
        return None
    return {"request": hello, "read": read - hello, "write": write - hello, "sign": signing["RS256"][1]}


def object_calls(calls):
    """The Durable Object calls among a step's calls as the counting host records them (the
    audit log's append after the response is not one of the request's round trips)."""
    return [c for c in calls if c.split()[0] in ("GRANTS", "DIRECTORY", "KEYS")]


def step_floor(calls, signatures, floors):
    """(floor CPU ms, its make-up) of one request making `calls` (the counting host's lines,
    e.g. "GRANTS ia put") and `signatures` RS256 signatures. Calls after the response (the
    audit log's batched append) are left out: they are not the request's, and one append
    serves the events of many requests."""
    objects = [c.split() for c in object_calls(calls)]
    reads = sum(1 for c in objects if len(c) > 2 and c[2] in READ_OPS)
    writes = len(objects) - reads
    cpu = floors["request"] + reads * floors["read"] + writes * floors["write"] + signatures * floors["sign"]
    parts = ["1 request"] + [f"{n} {what}" for n, what in ((reads, "read" if reads == 1 else "reads"),
                                                           (writes, "write" if writes == 1 else "writes"),
                                                           (signatures, "signature" if signatures == 1
                                                            else "signatures")) if n]
    return cpu, ", ".join(parts)


def render_signin_floor(signin, calls, med, hash_cpu):
    """The fresh and the SSO sign-in against the floor composed from the same run's floors:
    each step's floor, Doorward's CPU, and what Doorward spends beyond the floor."""
    wrk_floors, DW = signin.get("floors"), "Doorward, direct"
    if not wrk_floors or not calls:
        return []
    # The steps run on one connection: their floors too, when the run measured them so.
    one = signin.get("floors_one")
    f = one or wrk_floors
    lines = ["", f"The sign-in against its floor, composed from this run's floors "
             f"({'at one connection, as the steps are driven' if one else 'at wrk concurrency'}; CPU ms): "
             f"each request "
             f"{f['request']:.3f} (the workers-rs hello world), each object call that only reads "
             f"+{f['read']:.3f} (`/rpc/64` by RPC, one of 64 objects, as Doorward's shards per kind), each "
             f"other call +{f['write']:.3f} (`/write/64`: one record written, an SQLite commit), each RS256 "
             f"signature {f['sign']:.3f} (WebCrypto, the debug probe). The calls are the counting host's "
             f"(above; the audit log's batched append after the response left out); the floor is what any "
             f"worker on this runtime pays for the same calls with every single-use record in a Durable "
             f"Object, before its own work.", "",
             "| step | floor: what it is made of | floor CPU ms | Doorward CPU ms | Doorward − floor |",
             "|---|---|---:|---:|---:|"]
    sums, wrk_sums = {}, {}
    for flow, names in (("fresh", FRESH_STEPS["doorward"]), ("sso", SSO_STEPS)):
        sums[flow] = [0.0, 0.0]
        wrk_sums[flow] = 0.0
        for name in names:
            m = med(("step", name), DW)
            if name not in calls or not m:
                return []
            floor, parts = step_floor(calls[name], STEP_SIGNATURES.get(name, 0), f)
            wrk_sums[flow] += step_floor(calls[name], STEP_SIGNATURES.get(name, 0), wrk_floors)[0]
            cpu = m["cpu"] - (hash_cpu if name == "login" else 0)
            sums[flow][0] += floor
            sums[flow][1] += cpu
            label = STEP_LABELS[name] + (", without the password hash" if name == "login" else "")
            if flow == "fresh" or name != "token":
                lines.append(f"| {label} | {parts} | {floor:.3f} | {cpu:.3f} | {cpu - floor:+.3f} |")
        floor, cpu = sums[flow]
        label = ("**fresh sign-in, sum of the steps without the hash**" if flow == "fresh"
                 else "**SSO sign-in, sum of its steps** (`GET /auth` with the session + the token above)")
        lines.append(f"| {label} | | **{floor:.3f}** | **{cpu:.3f}** | {cpu - floor:+.3f} |")
    fresh_floor, fresh_cpu = sums["fresh"]
    sso_floor, sso_cpu = sums["sso"]
    if one:
        w = wrk_floors
        lines += ["", f"The same floors at wrk concurrency ({w['request']:.3f} a request, +{w['read']:.3f} a read, "
                      f"+{w['write']:.3f} a write): the fresh sign-in's {wrk_sums['fresh']:.3f} ms, the SSO "
                      f"sign-in's {wrk_sums['sso']:.3f}. One connection costs each request the thread's "
                      f"wake-up; the rate bound below, for many connections, uses these."]
        sso_rate_floor = wrk_sums["sso"]
    else:
        sso_rate_floor = sso_floor
    top = max(signin["concurrencies"])
    ref = med(("sso", top), "node-oidc-provider")
    lines += ["", f"Against the goals: the fresh sign-in's floor without the hash is {fresh_floor:.2f} ms "
              f"({'below' if fresh_floor <= 5 else 'above'} the 5 ms goal, so the goal is "
              f"{'not ' if fresh_floor <= 5 else ''}bounded by the floor); Doorward spends "
              f"{fresh_cpu - fresh_floor:.2f} ms beyond it, {fresh_cpu / fresh_floor:.2f}× the floor. "
              f"An SSO sign-in's floor is {sso_floor:.2f} ms"
              + (f" ({sso_rate_floor:.2f} at wrk concurrency)" if one else "")
              + f": one thread at that CPU per sign-in does at most {1000 / sso_rate_floor:,.0f} sign-ins/s"
              + (f", {1000 / sso_rate_floor / ref['rate']:.2f}× node-oidc-provider's {ref['rate']:,.1f}/s at {top} "
                 f"connections (goal 2×: {'within' if 1000 / sso_rate_floor >= 2 * ref['rate'] else 'beyond'} "
                 f"the floor's reach)" if ref else "")
              + f"; Doorward spends {sso_cpu - sso_floor:.2f} ms beyond it."]
    return lines


def render_signin(signin):
    """The sign-in tables: flows at each concurrency, the fresh sign-in itemised by step (CPU,
    latency and the Durable Object / KV / assets calls of each), against node-oidc-provider and,
    with --alt-build, against the alternative build run in the same rounds (its rows in the
    flows table, its CPU per step beside the main build's; "× alt CPU" is main ÷ alt, the
    before/after of a change)."""
    results, DW, NODE_COL, ALT = signin["results"], "Doorward, direct", "node-oidc-provider", signin.get("alt_col")
    cols = [c for c in (DW, ALT, NODE_COL) if c]

    def med(key, col):
        runs = results.get((key, col))
        if not runs:
            return None
        mid = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
        # CPU from the round of median CPU, so that its user and kernel parts add up.
        mc = sorted(runs, key=lambda r: r["cpu"][0])[len(runs) // 2]
        return {"rate": statistics.median(r["rate"] for r in runs),
                "cpu": mc["cpu"][0], "user": mc["cpu_user"], "sys": mc["cpu_sys"],
                "p50": mid["p50"], "p99": mid["p99"],
                "failed": sum(r["failed"] for r in runs), "errors": sorted({e for r in runs for e in r["errors"]})}

    def ratio(a, b):
        return f"{a / b:.2f}×" if a is not None and b else ""

    def per(figure):
        """{column: figure(column)} for every server of the run (one row of a table)."""
        return {c: figure(c) for c in cols}

    hash_wall = statistics.median(h[0] for h in signin["hashes"])
    hash_cpu = statistics.median(h[1] for h in signin["hashes"])
    # The hash each server's figures are taken "without": the alternative build runs the same
    # PBKDF2 as the main one, so the main build's probe serves for both.
    hashes = {**{col: hash_cpu for col in (DW, ALT) if col}, NODE_COL: signin.get("ref_hash")}
    lines = ["", "## Sign-in on the host", "",
             f"Whole sign-ins driven by `bench/host/signin.mjs` (Node `http`, one keep-alive connection per "
             f"simulated browser, PKCE S256, `scope=openid`), {signin['seconds']:g} s per run, interleaved "
             f"with node-oidc-provider run for run, medians over the rounds. Doorward straight to the worker "
             f"(the direct socket); its application has `skip_consent`; node-oidc-provider's grant is made at "
             f"the first sign-in and found through the session afterwards. CPU per sign-in: the server "
             f"process's utime+stime from /proc over the sign-ins completed — for Doorward its workerd, "
             f"which also runs its Durable Objects (SQLite), KV and the assets worker in process; CPU is "
             f"the round of median CPU, split into user space and kernel."
             + (f" The alternative build (`{ALT}`) runs every flow and step as well, run for run beside "
                f"the main build, with its own application and user in its own workerd; × alt CPU is the "
                f"main build's CPU ÷ the alternative's (below 1×: the main build costs less)." if ALT else ""), "",
             "| flow | connections | server | sign-ins/s | CPU ms per sign-in (user + kernel) | p50 ms | p99 ms | "
             "× node sign-ins/s | × node CPU |" + (" × alt CPU |" if ALT else ""),
             "|---|---:|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if ALT else "")]
    flows = {"sso": "SSO session: authorize → code → token",
             "fresh": "fresh password sign-in: authorize → login page → password → code → token → userinfo"}
    for flow in ("sso", "fresh"):
        for c in signin["concurrencies"]:
            ref, alt = med((flow, c), NODE_COL), ALT and med((flow, c), ALT)
            for col in cols:
                m = med((flow, c), col)
                if not m:
                    continue
                warn = f" ⚠ {m['failed']} failed" if m["failed"] else ""
                mine = col != NODE_COL
                lines.append(f"| {flows[flow]}{warn} | {c} | {col} | {m['rate']:,.1f} | "
                             f"{m['cpu']:.2f} ({m['user']:.2f} + {m['sys']:.2f}) | "
                             f"{m['p50']:.1f} | {m['p99']:.1f} | {ratio(m['rate'], ref and ref['rate']) if mine else ''} | "
                             f"{ratio(m['cpu'], ref and ref['cpu']) if mine else ''} |"
                             + (f" {ratio(m['cpu'], alt and alt['cpu']) if col == DW else ''} |" if ALT else ""))
    errors = sorted({e for runs in results.values() for r in runs for e in r["errors"]})
    if errors:
        lines += ["", "Failures seen: " + "; ".join(errors[:5])]

    # Round trips per step, from the counting host.
    trace = signin["trace"] or {"fresh": [], "sso": []}
    calls = {}
    for flow in ("fresh", "sso"):
        for st in trace[flow]:
            calls.setdefault(st["step"], st["calls"] or [])

    def trips(step):
        c = calls.get(step)
        if c is None:
            return ""
        do = object_calls(c)
        kv = [x for x in c if x.startswith("KV ")]
        assets = [x for x in c if x.startswith("ASSETS ")]
        n = f"{len(do)} DO" + (f" + {len(kv)} KV" if kv else "") + (f" + {len(assets)} assets" if assets else "")
        return f"{n}: {', '.join(c)}"

    step = lambda name, col: med(("step", name), col)  # noqa: E731
    lines += ["", f"The fresh sign-in itemised: each step run on its own, one connection, {', '.join(f'{k} ×{v}' for k, v in signin['step_counts'].items())} "
              f"requests per round, with what it needs made beforehand outside the measurement (parked "
              f"requests, codes, a session); CPU ms per request. Round trips: the calls of each request as "
              f"the counting host (`host.mjs --count-calls`, the main build only) records them, isolate caches warm "
              f"(GrantStore shards named by kind: `ia` interaction, `ses` session, `code`, `rev` revocation "
              f"list; `pool-default` the pool's UserDirectory).", "",
              "| step | Doorward CPU ms (user + kernel) | p50 ms | "
              + (f"{ALT} CPU ms (user + kernel) | × alt CPU | " if ALT else "")
              + "round trips | node-oidc-provider CPU ms | p50 ms | Doorward − node CPU ms |",
              "|---|---:|---:|" + ("---:|---:|" if ALT else "") + "---|---:|---:|---:|"]

    def cpu_cell(m, split=True):
        if not m:
            return "—"
        return f"{m['cpu']:.3f}" + (f" ({m['user']:.2f} + {m['sys']:.2f})" if split and "user" in m else "")

    def p50_cell(m):
        return f"{m['p50']:.2f}" if m and m.get("p50") is not None else "—"

    def row(label, by, trip=""):
        """One line of the itemised table from {column: figures or None}."""
        dw, nd, al = by.get(DW), by.get(NODE_COL), by.get(ALT)
        cells = [label, cpu_cell(dw), p50_cell(dw)]
        if ALT:
            cells += [cpu_cell(al), ratio(dw and dw["cpu"], al and al["cpu"])]
        cells += [trip, cpu_cell(nd, split=False), p50_cell(nd), f"{dw['cpu'] - nd['cpu']:+.3f}" if dw and nd else ""]
        lines.append("| " + " | ".join(cells) + " |")

    def minus_hash(m, col):
        """A server's figures without its password hash (the hash is user-space CPU)."""
        h = hashes.get(col)
        if not m or h is None:
            return None
        return {"cpu": m["cpu"] - h, "user": m["user"] - h, "sys": m["sys"], "p50": None}

    def total(names, col):
        """The sum of a server's steps among `names` (those it has: Doorward has no resume)."""
        ms = [m for m in (step(n, col) for n in names) if m]
        if not ms:
            return None
        return {**{k: sum(m[k] for m in ms) for k in ("cpu", "user", "sys")}, "p50": None}

    ref_hash = hashes[NODE_COL]
    for name in FRESH_STEPS["node"]:
        row(STEP_LABELS[name], per(lambda c: step(name, c)), trips(name))
        if name == "login":
            row("… of which the password hash (PBKDF2-SHA256, 100,000 rounds; Doorward: the debug probe, "
                "100 in one request minus none, the main build's for both builds; node: `pbkdf2Sync` in its process)",
                {DW: {"cpu": hash_cpu, "p50": hash_wall}, NODE_COL: {"cpu": ref_hash, "p50": None} if ref_hash else None})
            row("… the login POST without the hash", per(lambda c: minus_hash(step("login", c), c)))
    fresh1 = per(lambda c: med(("fresh", 1), c))
    row("**sum of the steps**", per(lambda c: total(FRESH_STEPS["node"], c)))
    row("**the whole fresh sign-in, measured** (1 connection)", fresh1)
    if fresh1[DW]:
        row("**everything but the password hash** (whole − hash)", per(lambda c: minus_hash(fresh1[c], c)))
    row(STEP_LABELS["sso_authorize"], per(lambda c: step("sso_authorize", c)), trips("sso_authorize"))
    row("SSO sign-in: sum of its steps (`GET /auth` with the session + token)", per(lambda c: total(SSO_STEPS, c)))
    row("SSO sign-in, measured (1 connection)", per(lambda c: med(("sso", 1), c)))

    fresh_dw_trips = sum(len(object_calls(calls.get(s, [])))
                         for s in FRESH_STEPS["doorward"])
    sso_dw_trips = sum(len(object_calls(calls.get(s, [])))
                       for s in SSO_STEPS)
    top = max(signin["concurrencies"])
    lines += [""]
    if fresh1[DW]:
        fresh1_dw = fresh1[DW]
        rest = fresh1_dw["cpu"] - hash_cpu
        lines.append(f"Against the goal: everything but the password hash costs {rest:.2f} ms of workerd CPU per "
                     f"fresh sign-in ({fresh1_dw['user'] - hash_cpu:.2f} ms of it in user space, "
                     f"{fresh1_dw['sys']:.2f} ms in the kernel; goal ≤ 5 ms: {'met' if rest <= 5 else 'not met'}); the hash itself "
                     f"{hash_cpu:.2f} ms CPU ({hash_wall:.2f} ms wall). A fresh sign-in makes {fresh_dw_trips} "
                     f"Durable Object round trips, an SSO sign-in {sso_dw_trips}; neither reads KV while the "
                     f"isolate's caches are warm.")
        if ALT and fresh1[ALT]:
            alt_rest = fresh1[ALT]["cpu"] - hash_cpu
            lines.append(f"The alternative build (`{ALT}`), same rounds: everything but the hash {alt_rest:.2f} ms; "
                         f"main ÷ alt {ratio(rest, alt_rest)}.")
    for flow in ("sso", "fresh"):
        m, ref = med((flow, top), DW), med((flow, top), NODE_COL)
        alt = ALT and med((flow, top), ALT)
        if m and ref:
            lines.append(f"At {top} connections, {flow} sign-ins: Doorward {m['rate']:,.1f}/s, "
                         + (f"the alternative build {alt['rate']:,.1f}/s, " if alt else "")
                         + f"node-oidc-provider {ref['rate']:,.1f}/s ({m['rate'] / ref['rate']:.2f}×).")
    lines += render_signin_floor(signin, calls, med, hash_cpu)
    first = (signin["trace"] or {}).get("fresh", [])
    lines += ["", "Driver checks (one fresh and one SSO sign-in per server, every answer checked): " + "; ".join(
        f"{name}: {' → '.join(c['steps'])}, session cookie `{c['session_cookie']}`, ID token {c['id_token_alg']}, "
        f"access token {c['access_token']}, token response {c['token_members']}"
        for name, c in signin["checks"].items())]
    if not first:
        lines += ["", "(no round-trip trace)"]
    return lines


VARIANT_COL = "Doorward, direct, each machine token logged"


def render(results, targets, cols, checks, compared, wrk_args, rounds, load_start, loads, wasm_kb, secs,
           ref_login, signing, ref_signing, signin=None, do_files=None):
    def med(name, col):
        runs = results.get((name, col))
        if not runs:
            return None
        mid = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        return {
            "rps": statistics.median(r["rps"] for r in runs),
            "cpu": statistics.median(r["cpu"][0] for r in runs),
            "user": statistics.median(r["cpu_user"] for r in runs),
            "sys": statistics.median(r["cpu_sys"] for r in runs),
            "host_cpu": statistics.median(r["cpu"][1] for r in runs) if len(runs[0]["cpu"]) > 1 else None,
            "p50": mid["p50"], "p99": mid["p99"],
            "bad": sum(r["non2xx"] for r in runs),
            "raw": ", ".join(f"{r['rps']:.0f}" for r in runs),
        }

    all_runs = [r for runs in results.values() for r in runs]
    signin_runs = [r for runs in (signin or {}).get("results", {}).values() for r in runs]
    every = all_runs + signin_runs
    other = statistics.mean(r["other_cores"] for r in every)
    other_max = max(r["other_cores"] for r in every)
    steal = statistics.mean(r["steal_cores"] for r in every)
    wrk_cores = statistics.median(r["wrk_cores"] for r in all_runs) if all_runs else 0.0
    driver_cores = statistics.median(r["driver_cores"] for r in signin_runs) if signin_runs else 0.0
    busy = float(load_start[0]) > 0.5 or other > 0.1
    lines = [
        f"# Doorward on the Miniflare host, {datetime.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"commit `{foundation.git_rev()}`, build/index_bg.wasm {wasm_kb:,.0f} KiB, {os.cpu_count()} CPUs, "
        f"loopback, wrk `{' '.join(wrk_args)} --latency` on the same machine; median of {rounds} "
        f"interleaved rounds; load average {' '.join(load_start)} before the run, "
        f"{', '.join(loads)} at the start of each round (the benchmark's own load included); whole run "
        f"{secs / 60:.1f} min. CPU used by other processes during the load runs (machine busy time minus "
        f"the measured servers, wrk and the sign-in driver): {other:.2f} cores on average, {other_max:.2f} at "
        f"most; steal {steal:.2f} cores; wrk itself {wrk_cores:.2f} cores (median)"
        + (f"; the sign-in driver {driver_cores:.2f} cores (median)" if signin_runs else "") + ".",
        "",
    ]
    if busy:
        lines += ["⚠ The machine was not idle (load average above 0.5 before the run, or other processes "
                  "used more than 0.1 core during the load runs): the absolute figures are low; the ratios "
                  "within the run are the useful part.", ""]
    if all_runs:
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
            hz_c = med("healthz", CONFIGURED_COL)
            if hz_c:
                lines += [f"| `/healthz`'s answer from a JavaScript worker in Doorward's configuration "
                          f"(bench/floors/configured.js) | {hz_c['cpu']:.3f} |",
                          f"| … the configuration's own cost (that − JS hello world) | {hz_c['cpu'] - js['cpu']:+.3f} |",
                          f"| … Doorward's module beyond it (`/healthz` direct − that) | {hz_d['cpu'] - hz_c['cpu']:+.3f} |"]
            for name in ("discovery", "jwks", "cc_rs256", "cc_es256", "introspection"):
                m = med(name, "Doorward, direct")
                if m:
                    lines.append(f"| Doorward's own work, {LABELS[name]} (direct − `/healthz` direct) | "
                                 f"{m['cpu'] - hz_d['cpu']:+.3f} |")
                kept_doc = med(name, DOCUMENT_COL) if name in DOCUMENT_TARGETS else None
                if m and kept_doc:
                    ref_doc = med(name, "node-oidc-provider")
                    lines.append(f"| … its floor: a JavaScript worker answering the same bytes and headers from "
                                 f"memory (bench/floors/document.js) | {kept_doc['cpu']:.3f} |")
                    lines.append(f"| … Doorward beyond that floor (direct − document floor) | "
                                 f"{m['cpu'] - kept_doc['cpu']:+.3f} |")
                    configured = med(name, CONFIGURED_COL)
                    if configured:
                        lines.append(f"| … that floor in Doorward's configuration (bench/floors/configured.js) | "
                                     f"{configured['cpu']:.3f} |")
                        lines.append(f"| … Doorward beyond it (direct − configured floor) | "
                                     f"{m['cpu'] - configured['cpu']:+.3f} |")
                    if ref_doc and ref_doc["cpu"]:
                        lines.append(f"| … node-oidc-provider's whole request ÷ 1.5 (the CPU goal), against "
                                     f"that floor | {ref_doc['cpu'] / 1.5:.3f} "
                                     f"({'above' if ref_doc['cpu'] / 1.5 > kept_doc['cpu'] else 'below'} it) |")
                alg = {"cc_rs256": "RS256", "cc_es256": "ES256"}.get(name)
                if m and alg in signing:
                    lines.append(f"| … of which one {alg} signature through WebCrypto (debug probe: 1,000 in one "
                                 f"request minus none, wall; workerd CPU {signing[alg][1]:.3f} ms at 10 ms ticks) | "
                                 f"{signing[alg][0]:.3f} |")
                    if alg in ref_signing:
                        lines.append(f"| (node-oidc-provider: one {alg} signature with Node's crypto.sign, in its "
                                     f"process) | {ref_signing[alg]:.3f} |")
            for name in ("cc_rs256", "cc_es256"):
                m, each = med(name, "Doorward, direct"), med(name, VARIANT_COL)
                if m and each:
                    lines.append(f"| logging each machine token instead of tallying, {LABELS[name]} "
                                 f"(`AUDIT_TOKEN_TALLY_SECS=0` − default, same build) | {each['cpu'] - m['cpu']:+.3f} |")
            floor_js, floor_rs = DO_COLS[0][0], DO_COLS[1][0]
            for name, _, _ in FLOOR_TARGETS:
                fj, fr = med(name, floor_js), med(name, floor_rs)
                if fj and fr:
                    call, _, what = LABELS[name].partition(", ")
                    whole = lambda m: f"the floor's request {m['cpu']:.3f}: {m['user']:.3f} user + {m['sys']:.3f} kernel"  # noqa: E731
                    lines.append(f"| {call} ({what}), JavaScript: DO floor − JS hello world "
                                 f"({whole(fj)}) | {fj['cpu'] - js['cpu']:+.3f} |")
                    lines.append(f"| {call} ({what}), workers-rs: DO floor − workers-rs hello "
                                 f"world ({whole(fr)}) | {fr['cpu'] - rust['cpu']:+.3f} |")
            # What the way of calling costs, and what a write costs beyond a read, one of 64 objects.
            for a, b, what in (("rpc_64", "do_64", "RPC instead of the stub's fetch (`/rpc/64` − `/do/64`)"),
                               ("write_64", "rpc_64", "a write instead of a read, by RPC (`/write/64` − `/rpc/64`)")):
                for lang, col in (("JavaScript", floor_js), ("workers-rs", floor_rs)):
                    ma, mb = med(a, col), med(b, col)
                    if ma and mb:
                        lines.append(f"| {what}, {lang} | {ma['cpu'] - mb['cpu']:+.3f} |")
            intro, warm_rs = med("introspection", "Doorward, direct"), med("do_warm", floor_rs)
            if intro and warm_rs:
                lines.append(f"| introspection beyond its floor: Doorward direct − the workers-rs warm round trip "
                             f"(the floor's whole request, {warm_rs['cpu']:.3f}) | {intro['cpu'] - warm_rs['cpu']:+.3f} |")
            host_cpu = [med(n, "Doorward, direct")["host_cpu"] for n in targets if med(n, "Doorward, direct")]
            lines.append(f"| Miniflare's own Node process during the Doorward runs (not in the request path) | "
                         f"{max(host_cpu):.3f} (max) |")

    if do_files:
        lines += ["", "Durable Object floors: each object a SQLite database on disk under the run's state "
                  "directory, as Doorward's; files after the runs: " + ", ".join(
                      f"{col} {n:,}" for col, n in do_files.items())
                  + " (one warm object, every one of the 64 and the 4,096 that a read reached, and of the 64 "
                  "written to)."]
    lines += ["", "Faithfulness: the same setup through the admin API and the same requests on "
              + ("the Miniflare host and under `wrangler dev`:" if compared else "the Miniflare host:"),
              "", "| check | Miniflare host | " + ("same under wrangler dev |" if compared else ""),
              "|---|---|" + ("---|" if compared else "")]
    for k, v, w, same in checks:
        esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        cell = "" if same is None else ("yes" if same else f"**no**: {esc(w)}")
        lines.append(f"| {esc(k)} | {esc(v)} | {cell}" + (" |" if compared else ""))
    lines += ["", f"The reference's password sign-in (PBKDF2-SHA256, 100,000 rounds), checked end to end: "
              f"{ref_login}."]
    if signin:
        lines += render_signin(signin)
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
    if signin:
        lines += ["", "Raw sign-ins (or steps) per second and CPU ms per round: " + "; ".join(
            f"{k[0]} {k[1]}/{c} " + ", ".join(f"{r['rate']:.1f} @ {r['cpu'][0]:.2f}" for r in runs)
            for (k, c), runs in signin["results"].items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(1)

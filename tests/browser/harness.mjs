// Browser-test harness: starts the REAL worker under `wrangler dev` (own port, own fresh state
// directory, own secrets) and Debian's Chromium through playwright-core, for one test file.
//
// A worker that cannot start fails the test, always. A missing Chromium fails under CI=true
// and skips locally (with the install command), so a developer without it still runs the rest.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'target/screenshots');
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const READY_MS = 60_000;

const b64url = (n) => randomBytes(n).toString('base64url');

/** A suffix no other test uses, valid in a DNS label. */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts one worker; retries a start whose port was taken meanwhile. */
export async function startWorker() {
  for (const f of ['build/index.js', 'build/index_bg.wasm', 'node_modules/.bin/wrangler']) {
    assert.ok(existsSync(join(ROOT, f)), `${f} is missing: run \`bash scripts/test.sh\` (it bootstraps and builds the worker once)`);
  }
  const failures = [];
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      return await startOnce();
    } catch (e) {
      failures.push(`attempt ${attempt}: ${e.message}`);
    }
  }
  throw new Error(`${IN_CI ? 'CI=true: ' : ''}the worker could not be started (failing, never skipping):\n${failures.join('\n\n')}`);
}

async function startOnce() {
  const port = await freePort();
  const inspector = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'doorward-browser-'));
  const logPath = join(dir, 'wrangler.log');
  const log = openSync(logPath, 'w');
  const adminToken = b64url(32);
  const bin = join(ROOT, 'node_modules/.bin');
  const child = spawn(join(bin, 'wrangler'), [
    'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--persist-to', join(dir, 'state'),
    '--var', `MASTER_KEY:${b64url(32)}`,
    '--var', `ADMIN_TOKEN:${adminToken}`,
    '--var', 'ENABLE_DEBUG_API:true',
    '--log-level', 'warn', '--show-interactive-dev-session=false',
  ], {
    cwd: ROOT,
    detached: true, // its own process group, so workerd children die with it
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      SKIP_WORKER_BUILD: '1',
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(dir, 'logs'),
    },
  });
  closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = `code ${code} signal ${signal}`; });
  const origin = `http://127.0.0.1:${port}`;
  const worker = {
    origin,
    port,
    adminToken,
    log: () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } },
    async stop() {
      if (exited === null) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
        const deadline = Date.now() + 3000;
        while (exited === null && Date.now() < deadline) await sleep(50);
        if (exited === null) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
      }
      rmSync(dir, { recursive: true, force: true });
    },
    /** The admin API with the bootstrap bearer token. Resolves {status, json, text}. */
    async api(method, path, body) {
      const headers = { Authorization: `Bearer ${adminToken}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const r = await fetch(`${origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: r.status, json, text };
    },
  };
  const started = Date.now();
  for (;;) {
    if (exited !== null) {
      const out = worker.log();
      await worker.stop();
      throw new Error(`wrangler exited (${exited}) before it was ready:\n${out.slice(-3000)}`);
    }
    try {
      const r = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5000) });
      if (r.status === 200) return worker;
    } catch { /* not listening yet */ }
    if (Date.now() - started > READY_MS) {
      const out = worker.log();
      await worker.stop();
      throw new Error(`GET /healthz did not answer 200 within ${READY_MS} ms:\n${out.slice(-3000)}`);
    }
    await sleep(100);
  }
}

/** Launches headless Chromium, or skips (locally) / fails (CI) when it is missing. */
export async function launchBrowser(t) {
  if (!existsSync(CHROMIUM)) {
    const how = 'apt-get update && apt-get install -y chromium';
    if (IN_CI) throw new Error(`CI=true: ${CHROMIUM} is missing (failing, never skipping). Install it with: ${how}`);
    t.skip(`${CHROMIUM} is missing; install it with: ${how}`);
    return null;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/**
 * A page that records every console error, page error and CSP violation, so a test can
 * assert the console ran cleanly under its CSP.
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 900 }, ...opts.context });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // HTTP failures are recorded with their URL (the console's own "Failed to load resource"
  // line does not name it); every other console error (a CSP violation) is a problem as is.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
  page.problems = problems;
  return page;
}

/** The console asks /me on load; before sign-in that is a 401 by design. */
export const ME_401 = /^HTTP 401 GET \/api\/v1\/console\/me$/;

/** Errors the page logged, minus expected HTTP failures (e.g. `/^HTTP 401 GET \/api\/v1\/console\/me$/`). */
export function unexpectedProblems(page, allow = []) {
  return page.problems.filter((p) => !allow.some((re) => re.test(p)));
}

/** Creates the first administrator through the API (as the setup screen would). */
export async function setupAdmin(worker, username = 'admin', password = `pw-${b64url(12)}`) {
  const r = await fetch(`${worker.origin}/api/v1/console/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ admin_token: worker.adminToken, username, password }),
  });
  assert.equal(r.status, 201, `console setup: ${await r.text()}`);
  return { username, password };
}

/** Signs in on the console's sign-in screen and waits for the applications list. */
export async function signInToConsole(page, worker, admin) {
  await page.goto(`${worker.origin}/`);
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

/** Signs in on the hosted login page and accepts consent when it is asked. */
export async function hostedSignIn(page, login, password) {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(password);
  // Exactly the password form's button: the page also offers "Sign in with a passkey".
  await page.getByRole('button', { name: /^(sign in|登录)$/i }).click();
}

// Second factors in the console: a user who set up an authenticator app at sign-in (the pool
// requires MFA; the code is computed here from the key the page shows) is listed with the app
// and the recovery codes on their user page, the pool page counts them, and "Reset MFA" removes
// every factor after a confirmation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, setupAdmin, signInToConsole, hostedSignIn,
} from './harness.mjs';

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let value = 0; const out = [];
  for (const c of s.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c.toUpperCase());
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((value >>> bits) & 0xff); }
  }
  return Buffer.from(out);
}

/** RFC 6238: HMAC-SHA-1, 6 digits, 30 s. */
function totp(secret, t = Date.now() / 1000) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[19] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

test('the console lists a user\'s second factors, counts them per pool and resets MFA', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const username = unique('mfa');
  const password = 'a long enough password';
  const created = await worker.api('POST', '/api/v1/users', { username, password });
  assert.equal(created.status, 201, created.text);
  const userId = created.json.id;
  const policy = await worker.api('PATCH', '/api/v1/pools/default', { mfa: 'required' });
  assert.equal(policy.status, 200, policy.text);
  const sub = unique('mfa');
  const redirectUri = `https://${sub}.rp.example/cb`;
  const app = await worker.api('POST', '/api/v1/applications', {
    name: 'MFA App', subdomain: sub, redirect_uris: [redirectUri], skip_consent: true,
  });
  assert.equal(app.status, 201, app.text);

  // The user signs in and sets up an authenticator app from the QR page.
  const visitor = await newPage(browser);
  await visitor.route(`${redirectUri}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'relying party' }));
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: app.json.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid',
    state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  await visitor.goto(`${app.json.issuer}/auth?${q}`);
  await visitor.locator('input[name="login"]').waitFor();
  await hostedSignIn(visitor, username, password);
  await visitor.locator('figure.qr svg').waitFor();
  const secret = (await visitor.locator('#totp-secret').innerText()).trim();
  await visitor.locator('input[name="code"]').fill(totp(secret));
  await visitor.getByRole('button', { name: 'Verify' }).click();
  await visitor.locator('ul.recovery-codes li').first().waitFor();
  assert.equal(await visitor.locator('ul.recovery-codes li').count(), 10);
  await visitor.getByRole('button', { name: 'Continue' }).click();
  await visitor.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: 10_000 });

  // The console: the user page lists both factors; the pool page counts them.
  const console_ = await newPage(browser);
  await signInToConsole(console_, worker, admin);
  await console_.goto(`${worker.origin}/#/users/${encodeURIComponent(userId)}`);
  await console_.getByRole('heading', { level: 1, name: username }).waitFor();
  const list = console_.locator('#factors-list');
  await list.locator('li[data-kind="totp"]', { hasText: 'Authenticator app' }).waitFor();
  await list.locator('li[data-kind="recovery_codes"]', { hasText: '10 left' }).waitFor();
  await console_.goto(`${worker.origin}/#/pools`);
  await console_.locator('[data-factor-counts="default"]', { hasText: '1 with an authenticator app' }).waitFor();

  // Reset MFA: confirmed, every factor is gone.
  await console_.goto(`${worker.origin}/#/users/${encodeURIComponent(userId)}`);
  await console_.locator('#factors-list').waitFor();
  console_.once('dialog', (d) => d.accept());
  await console_.getByRole('button', { name: 'Reset MFA' }).click();
  await console_.locator('#factors-none').waitFor();
  const after = await worker.api('GET', `/api/v1/users/${encodeURIComponent(userId)}/factors`);
  assert.deepEqual(after.json.items, [], after.text);

  assert.deepEqual(unexpectedProblems(console_, [ME_401]), [], 'the console logged errors (CSP violations?)');
  assert.deepEqual(unexpectedProblems(visitor), [], 'the hosted pages logged errors (CSP violations?)');
});

// Passkeys in real Chromium with the DevTools protocol's virtual authenticator (a platform
// authenticator with resident keys and user verification): a passkey is added from
// {issuer}/account/passkeys, then signs in to the application with no password — through
// conditional UI (the virtual authenticator answers the conditional request) and through the
// button; the console's user page lists it; removed on the account page, it no longer signs
// in and the console shows it gone. WebAuthn needs a secure context and an RP ID that is a
// domain name, so the issuer is reached as http://localhost:PORT (a secure context in
// Chromium), never 127.0.0.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, hostedSignIn, setupAdmin, signInToConsole, ME_401,
} from './harness.mjs';

function authorizeUrl(issuer, clientId, redirectUri, verifier) {
  const q = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile',
    state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  return `${issuer}/auth?${q}`;
}

test('a passkey added on the account page signs in to the application, and not once removed', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const username = unique('pat');
  const password = 'pats long password';
  const user = await worker.api('POST', '/api/v1/users', { username, password, name: `Pat ${username}` });
  assert.equal(user.status, 201, user.text);
  const sub = unique('pk');
  // The relying party: a loopback server of the test's own, so no request interception is
  // involved in the redirects that end each sign-in.
  const rpServer = createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('relying party'); });
  await new Promise((ok) => rpServer.listen(0, '127.0.0.1', ok));
  t.after(() => rpServer.close());
  const redirectUri = `http://127.0.0.1:${rpServer.address().port}/cb`;
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Passkey App', subdomain: sub, redirect_uris: [redirectUri], skip_consent: true,
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;
  const issuer = `http://localhost:${worker.port}/${sub}/oidc`;

  const page = await newPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  const atRp = () => page.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: 15_000 })
    .catch(async (e) => assert.fail(`${e.message}\nat ${page.url()}:\n${await page.locator('body').innerText()}\n${page.problems.join('\n')}`));

  // 1. A password sign-in gives the pool's SSO session.
  await page.goto(authorizeUrl(issuer, app.client_id, redirectUri, randomBytes(32).toString('base64url')));
  await page.locator('input[name="login"]').waitFor();
  assert.equal(await page.locator('input[name="login"]').getAttribute('autocomplete'), 'username webauthn',
    'conditional UI needs the webauthn autocomplete token');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  await hostedSignIn(page, username, password);
  await atRp();

  // 2. The account page adds a passkey through the authenticator.
  await page.goto(`${issuer}/account/passkeys`);
  await page.getByRole('heading', { name: 'Your passkeys' }).waitFor();
  await page.locator('#passkey-name').fill('My laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('.passkey-item', { hasText: 'My laptop' }).waitFor()
    .catch(async (e) => assert.fail(`${e.message}\n${await page.locator('body').innerText()}\n${page.problems.join('\n')}`));
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'one credential on the authenticator');
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential (a passkey)');
  assert.equal(credentials[0].rpId, 'localhost');

  // 2b. The console's user page lists it for an administrator.
  const admin = await setupAdmin(worker);
  const console_ = await newPage(browser);
  await signInToConsole(console_, worker, admin);
  await console_.goto(`${worker.origin}/#/users/${user.json.id}`);
  await console_.locator('#passkeys-list li', { hasText: 'My laptop' }).waitFor();

  // 3. Signed out (no cookies), the passkey alone signs in: no user name, no password.
  await page.context().clearCookies();
  // Asked here, on a page of the same origin: on the login page, conditional UI may already
  // have signed the user in and navigated away.
  const conditional = await page.evaluate(() => (window.PublicKeyCredential && PublicKeyCredential.isConditionalMediationAvailable
    ? PublicKeyCredential.isConditionalMediationAvailable() : false));
  t.diagnostic(`conditional mediation available: ${conditional}`);
  const verifier = randomBytes(32).toString('base64url');
  await page.goto(authorizeUrl(issuer, app.client_id, redirectUri, verifier));
  // With conditional UI the page asks at once (mediation "conditional"); the virtual
  // authenticator, which needs no one to pick from the autofill list, answers it. Without
  // it, the button does.
  if (!conditional) await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await atRp();
  const code = new URL(page.url()).searchParams.get('code');
  assert.ok(code, page.url());
  const tokens = await fetch(`${worker.origin}/${sub}/oidc/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  const body = await tokens.json();
  assert.equal(tokens.status, 200, JSON.stringify(body));
  const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, user.json.id, 'the passkey signed in its own user');

  // 3b. Where the browser has no conditional UI (hidden here by an init script, which the
  // page's CSP does not govern), the button runs the ceremony.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.context().clearCookies();
  await page.goto(authorizeUrl(issuer, app.client_id, redirectUri, randomBytes(32).toString('base64url')));
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await atRp();

  // 4. Removed on the account page, the passkey no longer signs in.
  await page.goto(`${issuer}/account/passkeys`);
  const item = page.locator('.passkey-item', { hasText: 'My laptop' });
  await item.waitFor();
  assert.doesNotMatch(await item.innerText(), /never/, 'last used is shown after the sign-in');
  await item.getByRole('button', { name: 'Remove' }).click();
  await page.locator('#no-passkeys').waitFor();
  await page.context().clearCookies();
  await page.goto(authorizeUrl(issuer, app.client_id, redirectUri, randomBytes(32).toString('base64url')));
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByText('That passkey could not be used').waitFor();
  assert.ok(!page.url().startsWith(redirectUri), 'no code for a removed passkey');

  // The console sees it gone.
  await console_.reload();
  await console_.locator('#passkeys-card', { hasText: 'No passkeys.' }).waitFor();
  assert.deepEqual(unexpectedProblems(console_, [ME_401]), [], 'the console logged errors (CSP violations?)');

  const expected = [/^HTTP 401 POST \/[^ ]+\/interaction\/[^ ]+\/passkey$/];
  assert.deepEqual(unexpectedProblems(page, expected), [], 'the pages logged errors (CSP violations?)');
});

test('a passkey is the second factor after a password on the second-factor page', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const username = unique('sam');
  const password = 'sams long password';
  const user = await worker.api('POST', '/api/v1/users', { username, password });
  assert.equal(user.status, 201, user.text);
  const sub = unique('pk2');
  const rpServer = createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('relying party'); });
  await new Promise((ok) => rpServer.listen(0, '127.0.0.1', ok));
  t.after(() => rpServer.close());
  const redirectUri = `http://127.0.0.1:${rpServer.address().port}/cb`;
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Second Factor App', subdomain: sub, redirect_uris: [redirectUri], skip_consent: true,
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;
  const issuer = `http://localhost:${worker.port}/${sub}/oidc`;

  const page = await newPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  const atRp = () => page.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: 15_000 })
    .catch(async (e) => assert.fail(`${e.message}\nat ${page.url()}:\n${await page.locator('body').innerText()}\n${page.problems.join('\n')}`));
  const authorize = () => page.goto(authorizeUrl(issuer, app.client_id, redirectUri, randomBytes(32).toString('base64url')));

  // A password sign-in, then a passkey added on the account page.
  await authorize();
  await hostedSignIn(page, username, password);
  await atRp();
  await page.goto(`${issuer}/account/passkeys`);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('.passkey-item').waitFor();

  // The pool now requires a second factor: after the password, the passkey is it.
  const pool = app.pool_id || 'default';
  const r = await worker.api('PATCH', `/api/v1/pools/${pool}`, { mfa: 'required' });
  assert.equal(r.status, 200, r.text);
  await page.context().clearCookies();
  // No conditional UI here: it would sign in with the passkey alone, without the password.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await authorize();
  await hostedSignIn(page, username, password);
  await page.getByRole('button', { name: 'Use a passkey instead' }).click();
  await atRp();
  assert.ok(new URL(page.url()).searchParams.get('code'), page.url());
  assert.deepEqual(unexpectedProblems(page), [], 'the pages logged errors (CSP violations?)');
});

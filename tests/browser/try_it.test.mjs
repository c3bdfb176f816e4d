// The Try-it panel in a real browser: a user (created through the API) signs in on the hosted
// login page, consents, and the callback shows the token response with every token decoded and
// its signature checked by WebCrypto against the JWKS. Then hybrid, then the password mode for
// each id_token algorithm (RS256, ES256, PS256, EdDSA, HS256).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, screenshotPath,
  setupAdmin, signInToConsole, hostedSignIn,
} from './harness.mjs';

/** Waits for the flow's verdict and asserts every check passed, naming the failures. */
async function expectAllChecksPass(page, where) {
  const verdict = page.locator('.verdict');
  await verdict.waitFor({ timeout: 30_000 });
  const failed = await page.locator('li.fail').allTextContents();
  const text = await verdict.textContent();
  assert.deepEqual(failed, [], `${where}: failed checks (${text})\n${await page.locator('main').innerText()}`);
  assert.match(text, /All checks passed/, where);
}

test('a user signs in from the Try-it panel and sees the decoded tokens with verified signatures', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const username = unique('alice');
  const password = 'a long enough password';
  const u = await worker.api('POST', '/api/v1/users', { username, password, email: `${username}@example.com`, name: 'Alice Liddell' });
  assert.equal(u.status, 201, u.text);
  const sub = unique('tryit');
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Try Shop',
    subdomain: sub,
    redirect_uris: [`https://${sub}.rp.example/cb`],
    grant_types: ['authorization_code', 'implicit', 'refresh_token', 'password'],
    response_types: ['code', 'id_token token', 'code id_token'],
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;

  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);
  await page.goto(`${worker.origin}/#/apps/${encodeURIComponent(app.client_id)}`);
  await page.getByRole('heading', { level: 1, name: 'Try Shop' }).waitFor();

  // The callback is not registered yet: the panel offers to add it.
  const panel = page.locator('#try-it');
  await panel.getByRole('button', { name: 'Add Try-it callback to this application' }).click();
  await panel.getByRole('button', { name: 'Start sign-in' }).waitFor();
  const afterAdd = await worker.api('GET', `/api/v1/applications/${encodeURIComponent(app.client_id)}`);
  assert.ok(afterAdd.json.redirect_uris.includes(`${worker.origin}/console/callback.html`), afterAdd.text);

  // Authorization code with PKCE: the request is shown before it is sent.
  await panel.getByLabel('Mode').selectOption('code');
  await panel.getByLabel('Authentication level').selectOption('urn:doorward:acr:pwd');
  await panel.getByRole('button', { name: 'Build request' }).click();
  const authorizeUrl = await panel.locator('[data-copy="authorize-url"] input').inputValue();
  assert.ok(authorizeUrl.startsWith(`${app.issuer}/auth?`), authorizeUrl);
  const q = new URL(authorizeUrl).searchParams;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.equal(q.get('response_type'), 'code');
  assert.ok(q.get('nonce') && q.get('state'));
  assert.equal(q.get('acr_values'), 'urn:doorward:acr:pwd');
  await panel.getByRole('button', { name: 'Start sign-in' }).click();

  // The hosted login page.
  await page.locator('input[name="login"]').waitFor();
  await page.screenshot({ path: screenshotPath('login.png'), fullPage: true });
  await hostedSignIn(page, username, password);
  // Consent (first time for this application).
  const allow = page.getByRole('button', { name: /allow|允许/i });
  await Promise.race([allow.waitFor(), page.waitForURL(/callback\.html/)]);
  if (await allow.isVisible()) await allow.click();

  await page.waitForURL(/\/console\/callback\.html/);
  await expectAllChecksPass(page, 'authorization code + PKCE');
  const idToken = page.locator('[data-token="id_token"]');
  await idToken.locator('li[data-check="signature"][data-ok="true"]').waitFor();
  await idToken.locator('li[data-check="nonce"][data-ok="true"]').waitFor();
  // The class and methods reached, as the id_token states them.
  await idToken.locator('.auth-context[data-acr="urn:doorward:acr:pwd"][data-amr="pwd"]').waitFor();
  const payload = JSON.parse(await idToken.locator('pre').nth(1).textContent());
  assert.equal(payload.iss, app.issuer);
  assert.equal(payload.aud === app.client_id || (Array.isArray(payload.aud) && payload.aud.includes(app.client_id)), true);
  await page.locator('[data-token="access_token"] li[data-check="signature"][data-ok="true"]').waitFor();
  await page.screenshot({ path: screenshotPath('try-it-callback.png'), fullPage: true });
  assert.equal(new URL(page.url()).search, '', 'the code is cleared from the address bar');

  // Hybrid (code id_token): tokens from the fragment (c_hash checked), then the code redeemed.
  await page.getByRole('link', { name: /Back to Try Shop/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Try Shop' }).waitFor();
  await panel.getByLabel('Mode').selectOption('hybrid');
  await panel.getByLabel('Response type').selectOption('code id_token');
  await panel.getByRole('button', { name: 'Start sign-in' }).click();
  await page.waitForURL(/\/console\/callback\.html|\/interaction\//);
  if (await page.locator('input[name="login"]').count()) await hostedSignIn(page, username, password);
  if (await allow.count()) await allow.click();
  await page.waitForURL(/\/console\/callback\.html/);
  await expectAllChecksPass(page, 'hybrid code id_token');
  await page.locator('[data-token="id_token (from the redirect)"] li[data-check="c_hash"][data-ok="true"]').waitFor();

  // Password mode, once per id_token algorithm: each signature is checked in the browser.
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA', 'HS256']) {
    const p = await worker.api('PATCH', `/api/v1/applications/${encodeURIComponent(app.client_id)}`, { id_token_signed_response_alg: alg });
    assert.equal(p.status, 200, `${alg}: ${p.text}`);
    await page.goto(`${worker.origin}/#/apps/${encodeURIComponent(app.client_id)}`);
    await page.getByRole('heading', { level: 1, name: 'Try Shop' }).waitFor();
    await panel.getByLabel('Mode').selectOption('password');
    await panel.getByLabel('Username').fill(username);
    await panel.getByLabel('Password', { exact: true }).fill(password);
    await panel.getByRole('button', { name: 'Request tokens' }).click();
    await expectAllChecksPass(page, `password mode, ${alg}`);
    const header = JSON.parse(await panel.locator('[data-token="id_token"] pre').first().textContent());
    assert.equal(header.alg, alg);
  }

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

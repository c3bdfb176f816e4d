// An application holding several clients, in the console: a second client is added from the
// Clients card (its secret shown once), configured on its own page, signed in with from its
// own Try-it panel (the id_token is for it, not for the primary client), and disabled from the
// list. Then dynamic registration: opened from the application's page (discovery advertises
// the endpoint), a client registered at {issuer}/reg is listed as "Registered"; with initial
// access tokens, one is minted (shown once), registers a client, and is revoked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, screenshotPath,
  setupAdmin, signInToConsole, hostedSignIn,
} from './harness.mjs';

const enc = encodeURIComponent;

async function register(issuer, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${issuer}/reg`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json().catch(() => null) };
}

test('a second client is added, configured, tried and disabled; registered clients are listed', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const username = unique('bob');
  const password = 'a long enough password';
  const u = await worker.api('POST', '/api/v1/users', { username, password, email: `${username}@example.com`, name: 'Bob' });
  assert.equal(u.status, 201, u.text);
  const sub = unique('multi');
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Many Clients', subdomain: sub, redirect_uris: [`https://${sub}.rp.example/cb`],
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;
  const appPath = `/api/v1/applications/${enc(app.client_id)}`;
  const callback = `${worker.origin}/console/callback.html`;

  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);
  await page.goto(`${worker.origin}/#/apps/${enc(app.client_id)}`);
  await page.getByRole('heading', { level: 1, name: 'Many Clients' }).waitFor();

  // The primary client is listed first.
  const clients = page.locator('#clients');
  const primaryRow = clients.locator(`tr[data-client-id="${app.client_id}"]`);
  await primaryRow.waitFor();
  assert.match(await primaryRow.innerText(), /\(primary\)[\s\S]*Primary/);
  assert.equal(await primaryRow.getByRole('button').count(), 0, 'the primary client cannot be disabled or deleted here');

  // Add a second client: its secret is shown once, focused, and is the API's.
  await clients.getByLabel('Client name').fill('Second Client');
  await clients.getByLabel('Callback URLs').fill(`https://${sub}.rp.example/second`);
  await clients.getByRole('button', { name: 'Add client' }).click();
  const notice = page.locator('#new-client');
  await notice.locator('[data-copy="new-client-secret"] input').waitFor();
  const secondId = await notice.locator('[data-copy="new-client-id"] input').inputValue();
  const secondSecret = await notice.locator('[data-copy="new-client-secret"] input').inputValue();
  assert.ok(secondId && secondId !== app.client_id, secondId);
  assert.ok(secondSecret.length >= 32, secondSecret);
  // Focus is moved once the list has been drawn again: wait for it rather than race it.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'new-client', null, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement.id), 'new-client', 'focus moves to the new secret');
  const shownSecret = await worker.api('GET', `${appPath}/clients/${enc(secondId)}/secret`);
  assert.equal(shownSecret.json.client_secret, secondSecret, shownSecret.text);
  const secondRow = clients.locator(`tr[data-client-id="${secondId}"]`);
  await secondRow.waitFor();
  assert.match(await secondRow.innerText(), /Second Client[\s\S]*Admin[\s\S]*client_secret_basic/);
  assert.equal(await clients.locator('tbody tr').count(), 2);
  await page.screenshot({ path: screenshotPath('console-clients.png'), fullPage: true });

  // Its page: its own credentials (Show fetches its secret, not the primary's).
  await secondRow.getByRole('link', { name: 'Second Client' }).click();
  await page.getByRole('heading', { level: 1, name: 'Second Client' }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/apps/${enc(app.client_id)}/clients/${enc(secondId)}`);
  assert.equal(await page.locator('[data-copy="client-id"] input').inputValue(), secondId);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'Hide' }).waitFor();
  assert.equal(await page.locator('#client-secret').inputValue(), secondSecret);

  // Its Configuration card PATCHes the client, not the application.
  const config = page.locator('#configuration');
  assert.equal(await config.getByLabel('Client name').inputValue(), 'Second Client');
  await config.getByLabel('Callback URLs').fill(`https://${sub}.rp.example/second\nhttps://${sub}.rp.example/second-b`);
  await config.getByLabel('Home page URL').fill(`https://${sub}.rp.example/`);
  await config.getByRole('button', { name: 'Save' }).click();
  await page.locator('#configuration .flash', { hasText: 'Saved.' }).waitFor();
  let second = await worker.api('GET', `${appPath}/clients/${enc(secondId)}`);
  assert.deepEqual(second.json.redirect_uris, [`https://${sub}.rp.example/second`, `https://${sub}.rp.example/second-b`]);
  assert.equal(second.json.client_uri, `https://${sub}.rp.example/`);
  assert.equal(second.json.logo_uri ?? null, null, 'an empty URI field stays unset');
  const primary = await worker.api('GET', appPath);
  assert.deepEqual(primary.json.redirect_uris, [`https://${sub}.rp.example/cb`], 'the primary client is untouched');

  // Its Try-it panel adds the callback to this client, then runs the code flow as it.
  const panel = page.locator('#try-it');
  await panel.getByRole('button', { name: 'Add Try-it callback to this client' }).click();
  await panel.getByRole('button', { name: 'Start sign-in' }).waitFor();
  second = await worker.api('GET', `${appPath}/clients/${enc(secondId)}`);
  assert.ok(second.json.redirect_uris.includes(callback), second.text);
  assert.ok(!(await worker.api('GET', appPath)).json.redirect_uris.includes(callback), 'not added to the primary client');
  await panel.getByLabel('Mode').selectOption('code');
  await panel.getByRole('button', { name: 'Build request' }).click();
  const authorizeUrl = await panel.locator('[data-copy="authorize-url"] input').inputValue();
  assert.equal(new URL(authorizeUrl).searchParams.get('client_id'), secondId);
  await panel.getByRole('button', { name: 'Start sign-in' }).click();
  await page.locator('input[name="login"]').waitFor();
  await hostedSignIn(page, username, password);
  const allow = page.getByRole('button', { name: /allow|允许/i });
  await Promise.race([allow.waitFor(), page.waitForURL(/callback\.html/)]);
  if (await allow.isVisible()) await allow.click();
  await page.waitForURL(/\/console\/callback\.html/);
  const verdict = page.locator('.verdict');
  await verdict.waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.locator('li.fail').allTextContents(), [], await page.locator('main').innerText());
  assert.match(await verdict.textContent(), /All checks passed/);
  const idToken = page.locator('[data-token="id_token"]');
  await idToken.locator('li[data-check="signature"][data-ok="true"]').waitFor();
  const payload = JSON.parse(await idToken.locator('pre').nth(1).textContent());
  assert.equal(payload.iss, app.issuer);
  assert.ok(payload.aud === secondId || (Array.isArray(payload.aud) && payload.aud.includes(secondId)), `aud ${JSON.stringify(payload.aud)}`);
  assert.ok(payload.aud !== app.client_id && !(Array.isArray(payload.aud) && payload.aud.includes(app.client_id)), 'not for the primary client');
  await page.getByRole('link', { name: 'Back to Second Client' }).click();
  await page.getByRole('heading', { level: 1, name: 'Second Client' }).waitFor();

  // Disable it from the application's list (asked first); the primary client keeps working.
  await page.getByRole('link', { name: 'Many Clients' }).click();
  await page.getByRole('heading', { level: 1, name: 'Many Clients' }).waitFor();
  page.once('dialog', (d) => d.dismiss());
  await secondRow.getByRole('button', { name: 'Disable Second Client' }).click();
  await page.waitForTimeout(300);
  assert.equal((await worker.api('GET', `${appPath}/clients/${enc(secondId)}`)).json.disabled, false, 'dismissed: unchanged');
  page.once('dialog', (d) => { assert.match(d.message(), /Disable the client “Second Client”/); d.accept(); });
  await secondRow.getByRole('button', { name: 'Disable Second Client' }).click();
  await secondRow.locator('[data-disabled="true"]', { hasText: 'Disabled' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Enable Second Client', null, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Enable Second Client', 'focus stays on the row');
  assert.equal((await worker.api('GET', `${appPath}/clients/${enc(secondId)}`)).json.disabled, true);

  // Dynamic registration, open: the endpoint is shown and advertised.
  const discovery = async () => (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json();
  assert.equal((await discovery()).registration_endpoint, undefined, 'off by default');
  const reg = page.locator('#dynamic-registration');
  await reg.getByLabel('Dynamic registration').selectOption('open');
  await reg.getByRole('button', { name: 'Save' }).click();
  await reg.locator('.flash', { hasText: 'Saved' }).waitFor();
  assert.equal(await reg.locator('[data-copy="registration"] input').inputValue(), `${app.issuer}/reg`);
  assert.equal((await worker.api('GET', appPath)).json.dynamic_registration, 'open');
  assert.equal((await discovery()).registration_endpoint, `${app.issuer}/reg`);

  // A public client registers itself (no secret at all).
  const registered = await register(app.issuer, {
    client_name: 'Registered RP', redirect_uris: [`https://${sub}.rp.example/reg`], token_endpoint_auth_method: 'none',
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.json));
  assert.equal(registered.json.client_secret, undefined, 'a public client gets no secret');
  await page.reload();
  const regRow = clients.locator(`tr[data-client-id="${registered.json.client_id}"]`);
  await regRow.waitFor();
  assert.match(await regRow.innerText(), /Registered RP[\s\S]*Registered[\s\S]*none \(public\)/);
  assert.match(await secondRow.innerText(), /Disabled/, 'still disabled after a reload');

  // Its page has no secret row, and its Try-it code flow never asks for one (PKCE only).
  const secretCalls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('/secret')) secretCalls.push(r.url()); });
  await regRow.getByRole('link', { name: 'Registered RP' }).click();
  await page.getByRole('heading', { level: 1, name: 'Registered RP' }).waitFor();
  await page.locator('#no-secret').waitFor();
  assert.equal(await page.locator('#client-secret').count(), 0);
  await panel.locator('#tryit-public').waitFor();
  await panel.getByRole('button', { name: 'Add Try-it callback to this client' }).click();
  await panel.getByRole('button', { name: 'Start sign-in' }).click();
  await page.waitForURL(/\/console\/callback\.html|\/interaction\//);
  if (await page.locator('input[name="login"]').count()) await hostedSignIn(page, username, password);
  if (await allow.count()) await allow.click();
  await page.waitForURL(/\/console\/callback\.html/);
  await verdict.waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.locator('li.fail').allTextContents(), [], await page.locator('main').innerText());
  assert.match(await verdict.textContent(), /All checks passed/);
  assert.match(await page.locator('main').innerText(), /code_verifier/);
  const publicAud = JSON.parse(await idToken.locator('pre').nth(1).textContent()).aud;
  assert.ok(publicAud === registered.json.client_id || publicAud.includes(registered.json.client_id), `aud ${publicAud}`);
  assert.deepEqual(secretCalls, [], 'no secret was fetched for a public client');
  await page.getByRole('link', { name: 'Back to Registered RP' }).click();
  await page.getByRole('heading', { level: 1, name: 'Registered RP' }).waitFor();
  await page.screenshot({ path: screenshotPath('console-client.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the client page is ${overflow}px wider than a phone screen`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.locator('#crumb-app').click();
  await page.getByRole('heading', { level: 1, name: 'Many Clients' }).waitFor();

  // With initial access tokens: one minted (shown once) registers a client, then is revoked.
  await reg.getByLabel('Dynamic registration').selectOption('initial_access_token');
  await reg.getByRole('button', { name: 'Save' }).click();
  const tokens = page.locator('#initial-access-tokens');
  await tokens.locator('#iat-empty').waitFor();
  assert.equal((await register(app.issuer, { redirect_uris: [`https://${sub}.rp.example/x`] })).status, 401, 'a token is now required');
  await tokens.getByLabel('Registrations it allows').fill('1');
  await tokens.getByRole('button', { name: 'Mint token' }).click();
  const iat = await tokens.locator('[data-copy="initial-access-token"] input').inputValue();
  assert.ok(iat.length >= 20, iat);
  await tokens.locator('#iat-table tbody tr').waitFor();
  const withToken = await register(app.issuer, { client_name: 'Invited RP', redirect_uris: [`https://${sub}.rp.example/inv`] }, iat);
  assert.equal(withToken.status, 201, JSON.stringify(withToken.json));
  page.once('dialog', (d) => d.accept());
  await tokens.getByRole('button', { name: /^Revoke token / }).click();
  await tokens.locator('#iat-empty').waitFor();
  assert.deepEqual((await worker.api('GET', `${appPath}/initial-access-tokens`)).json.items, []);

  // Deleting the registered client from the list (asked first) removes it.
  page.once('dialog', (d) => d.accept());
  await regRow.getByRole('button', { name: 'Delete Registered RP' }).click();
  await regRow.waitFor({ state: 'detached' });
  assert.equal((await worker.api('GET', `${appPath}/clients/${enc(registered.json.client_id)}`)).status, 404);
  await clients.locator(`tr[data-client-id="${withToken.json.client_id}"]`).waitFor();

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

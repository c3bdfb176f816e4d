// The rest of the console in a real browser: resources and an access account whose AK/SK is
// shown once and then gets a token; signing-key rotation; user claims; a user's SSO session
// revoked; a second user pool picked in the header switcher.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, setupAdmin, signInToConsole, hostedSignIn,
} from './harness.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name }).click();

test('resources, access accounts, keys, claims, sessions and pools are managed from the console', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const sub = unique('api');
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Machine App', subdomain: sub, redirect_uris: [`${worker.origin}/console/callback.html`],
    grant_types: ['authorization_code', 'client_credentials'], skip_consent: true,
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;
  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);

  // A resource with two actions.
  await nav(page, 'Resources');
  await page.getByRole('heading', { level: 1, name: 'Resources' }).waitFor();
  await page.getByLabel('Code').fill('orders');
  await page.getByLabel('URI').fill('https://api.example.com/orders');
  await page.getByLabel('Name', { exact: true }).fill('Orders API');
  await page.getByLabel('Actions').fill('read, write');
  await page.getByRole('button', { name: 'Create resource' }).click();
  await page.locator('#resources-table').getByText('orders:write').waitFor();

  // An access account granted orders:read; its secret key is shown once.
  await nav(page, 'Access accounts');
  await page.getByRole('heading', { level: 1, name: 'Access accounts' }).waitFor();
  await page.getByLabel('Description').fill('nightly export');
  await page.getByLabel('orders:read').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Copy the secret key now' }).waitFor();
  const ak = await page.locator('[data-copy="access-key"] input').inputValue();
  const sk = await page.locator('[data-copy="secret-key"] input').inputValue();
  assert.ok(ak && sk, 'AK and SK are shown');
  const token = await fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(ak)}:${encodeURIComponent(sk)}`).toString('base64')}` },
    body: 'grant_type=client_credentials&scope=orders:read',
  });
  assert.equal(token.status, 200, `AK/SK client_credentials: ${await token.clone().text()}`);
  assert.match((await token.json()).scope, /orders:read/);
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await page.locator('#accounts-list').getByText(ak).waitFor();
  assert.equal(await page.getByText(sk).count(), 0, 'the secret key is not shown again');

  // Signing keys: rotate RS256, the previous key stays listed.
  await nav(page, 'Signing keys');
  await page.getByRole('heading', { level: 1, name: 'Signing keys' }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByLabel('Algorithm').selectOption('RS256');
  await page.getByRole('button', { name: 'Rotate' }).click();
  await page.getByText(/^Rotated: new RS256 key/).waitFor();
  const keys = await worker.api('GET', '/api/v1/keys');
  const rs = keys.json.items.filter((k) => k.alg === 'RS256');
  assert.ok(rs.length >= 2 && rs.filter((k) => k.active).length === 1, keys.text);
  assert.equal(await page.locator('#keys-table tbody tr').count(), keys.json.items.length);

  // A user: claims edited in the console; an SSO session listed and revoked.
  const username = unique('erin');
  const password = 'erins long password';
  const u = await worker.api('POST', '/api/v1/users', { username, password });
  assert.equal(u.status, 201, u.text);
  const visitor = await newPage(browser);
  await visitor.goto(`${app.issuer}/auth?${new URLSearchParams({ client_id: app.client_id, redirect_uri: `${worker.origin}/console/callback.html`, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`);
  await hostedSignIn(visitor, username, password);
  await visitor.waitForURL(/callback\.html/);

  await page.goto(`${worker.origin}/#/users/${encodeURIComponent(u.json.id)}`);
  await page.getByRole('heading', { level: 1, name: username }).waitFor();
  const claims = page.locator('#claims-form');
  await claims.getByLabel('Given name').fill('Erin');
  await claims.getByLabel('Family name').fill('Example');
  await claims.getByLabel('Email', { exact: true }).fill(`${username}@example.com`);
  await claims.getByRole('button', { name: 'Save claims' }).click();
  await claims.getByText('Saved.').waitFor();
  const after = await worker.api('GET', `/api/v1/users/${encodeURIComponent(u.json.id)}`);
  assert.equal(after.json.given_name, 'Erin', after.text); // claims sit beside username on the wire
  assert.equal(after.json.email, `${username}@example.com`, after.text);
  const sessions = page.locator('#sessions-list li');
  assert.equal(await sessions.count(), 1, 'one SSO session after the hosted sign-in');
  await sessions.first().getByRole('button', { name: /Revoke/ }).click();
  await page.getByText('No active sign-in sessions.').waitFor();

  // A second user pool, picked in the header; users follow the switcher.
  await nav(page, 'User pools');
  await page.getByRole('heading', { level: 1, name: 'User pools' }).waitFor();
  await page.getByLabel('Pool id').fill('staff');
  await page.locator('#create-pool-form').getByLabel('Name').fill('Staff');
  await page.getByRole('button', { name: 'Create pool' }).click();
  await page.getByRole('form', { name: 'Pool staff' }).waitFor();
  await page.getByLabel('User pool', { exact: true }).selectOption('staff');
  await nav(page, 'Users');
  await page.getByText('pool staff').waitFor();
  await page.getByText('No users in this pool yet.').waitFor();
  const form = page.locator('#create-user-form');
  await form.getByLabel('Username').fill('staffer');
  await form.getByLabel('Password').fill('staffers password');
  await form.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('heading', { level: 1, name: 'staffer' }).waitFor();
  const staff = await worker.api('GET', '/api/v1/users?pool_id=staff');
  assert.deepEqual(staff.json.items.map((x) => x.username), ['staffer'], staff.text);
  const dflt = await worker.api('GET', '/api/v1/users?q=staffer');
  assert.equal(dflt.json.items.length, 0, 'the default pool is untouched');

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

// Rotating a client secret in the console: the secret is hidden until "Show" fetches it,
// "Rotate" asks first, then shows a new secret; the API and introspection agree that the
// old one is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, setupAdmin, signInToConsole,
} from './harness.mjs';

/** Client authentication alone (RFC 7662 introspection): 200 with good credentials, 401 without. */
async function clientAuth(issuer, clientId, secret) {
  const r = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
    body: 'token=not-a-token',
  });
  return r.status;
}

test('rotating the secret in the console shows a new secret and retires the old one', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const sub = unique('rotate');
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Rotating App', subdomain: sub, redirect_uris: [`https://${sub}.rp.example/cb`],
      });
  assert.equal(created.status, 201, created.text);
  const app = created.json;
  const original = app.client_secret;
  assert.ok(original, created.text);
  assert.equal(await clientAuth(app.issuer, app.client_id, original), 200, 'the original secret works');

  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);
  await page.goto(`${worker.origin}/#/apps/${encodeURIComponent(app.client_id)}`);
  await page.getByRole('heading', { level: 1, name: 'Rotating App' }).waitFor();

  const secret = page.locator('#client-secret');
  assert.equal(await secret.getAttribute('type'), 'password', 'hidden until asked');
  assert.notEqual(await secret.inputValue(), original);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'Hide' }).waitFor();
  assert.equal(await secret.inputValue(), original);

  // Dismissing the confirmation changes nothing.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: 'Rotate' }).click();
  await page.waitForTimeout(300);
  assert.equal(await secret.inputValue(), original);

  page.once('dialog', (d) => { assert.match(d.message(), /Rotate the client secret/); d.accept(); });
  await page.getByRole('button', { name: 'Rotate' }).click();
  await page.getByText('Secret rotated.').waitFor();
  const rotated = await secret.inputValue();
  assert.notEqual(rotated, original);
  assert.ok(rotated.length >= 32, rotated);

  const api = await worker.api('GET', `/api/v1/applications/${encodeURIComponent(app.client_id)}/secret`);
  assert.equal(api.status, 200, api.text);
  assert.equal(api.json.client_secret, rotated);
  assert.equal(await clientAuth(app.issuer, app.client_id, rotated), 200, 'the new secret works');
  assert.equal(await clientAuth(app.issuer, app.client_id, original), 401, 'the old secret is refused');

  // After a reload the secret is hidden again; Show fetches the new one.
  await page.reload();
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'Hide' }).waitFor();
  assert.equal(await secret.inputValue(), rotated);

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

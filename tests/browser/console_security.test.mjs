// The console's security views in a real browser: the Administrators page lists console
// accounts and their sessions and revokes one (that browser is signed out on its next call);
// a user locked by failed sign-ins is shown locked and unlocked; the signing-key schedule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, launchBrowser, newPage, setupAdmin, signInToConsole, screenshotPath, unique } from './harness.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name }).click();

test('administrators, their sessions, a sign-in lock and the key schedule are shown and managed', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  // Two browsers signed in as the same administrator: one revokes the other's session.
  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);
  const other = await newPage(browser);
  await signInToConsole(other, worker, admin);

  await nav(page, 'Administrators');
  await page.getByRole('heading', { level: 1, name: 'Administrators' }).waitFor();
  const sessions = page.locator(`[data-admin="${admin.username}"] .admin-sessions li`);
  await sessions.nth(1).waitFor();
  assert.equal(await sessions.count(), 2, 'both console sessions are listed');
  await page.screenshot({ path: screenshotPath('console-administrators.png'), fullPage: true });
  // Revoke sessions until only one is left; the one that remains is ours or the other's.
  await sessions.nth(0).getByRole('button', { name: 'Revoke' }).click();
  await page.waitForTimeout(300);
  const mine = await page.evaluate(async () => (await fetch('/api/v1/console/me')).status);
  const theirs = await other.evaluate(async () => (await fetch('/api/v1/console/me')).status);
  assert.deepEqual([mine, theirs].sort(), [200, 401], `exactly one session ended at once (mine ${mine}, other ${theirs})`);
  const still = mine === 200 ? page : other;

  // A user locked by five wrong passwords, shown locked, then unlocked.
  const username = unique('locked');
  const created = await worker.api('POST', '/api/v1/users', { username, password: 'correct horse battery' });
  assert.equal(created.status, 201, created.text);
  const sub = unique('app');
  const app = await worker.api('POST', '/api/v1/applications', {
    name: 'Password App', subdomain: sub, grant_types: ['password'],
  });
  assert.equal(app.status, 201, app.text);
  for (let i = 0; i < 5; i += 1) {
    await fetch(`${app.json.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${app.json.client_id}:${app.json.client_secret}`).toString('base64')}` },
      body: `grant_type=password&username=${username}&password=wrong-${i}`,
    });
  }
  await still.goto(`${worker.origin}/#/users/${created.json.id}`);
  await still.locator('#user-lock').getByText(/Locked for/).waitFor();
  await still.getByRole('button', { name: 'Unlock' }).click();
  await still.locator('#user-status').waitFor();
  await still.waitForFunction(() => !document.querySelector('#user-lock'));
  const lock = await worker.api('GET', `/api/v1/users/${created.json.id}/lock`);
  assert.equal(lock.json.locked, false, lock.text);

  // The key schedule.
  await nav(still, 'Signing keys');
  await still.locator('#key-schedule').getByText(/Every 90 days/).waitFor();
});

// Blocking a user in the console: found by search, blocked after a confirmation, then refused on
// the hosted login page ("blocked"); unblocked, the same sign-in goes through.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, setupAdmin, signInToConsole, hostedSignIn,
} from './harness.mjs';
import { createHash, randomBytes } from 'node:crypto';

function authorizeUrl(app, redirectUri) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: app.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile',
    state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  return `${app.issuer}/auth?${q}`;
}

test('a user blocked in the console is refused on the hosted login page', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const username = unique('bob');
  const password = 'bobs long password';
  // Several users, so the search has something to filter.
  for (const name of [username, unique('carol'), unique('dave')]) {
    const r = await worker.api('POST', '/api/v1/users', { username: name, password, name: `User ${name}` });
    assert.equal(r.status, 201, r.text);
  }
  const sub = unique('blk');
  const redirectUri = `https://${sub}.rp.example/cb`;
  const created = await worker.api('POST', '/api/v1/applications', {
    name: 'Blocking App', subdomain: sub, redirect_uris: [redirectUri], skip_consent: true,
  });
  assert.equal(created.status, 201, created.text);
  const app = created.json;

  const console_ = await newPage(browser);
  await signInToConsole(console_, worker, admin);
  await console_.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Users' }).click();
  await console_.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await console_.getByLabel('Search users').fill(username);
  await console_.getByRole('button', { name: 'Search' }).click();
  const table = console_.locator('#users-table');
  await table.getByRole('link', { name: username }).waitFor();
  await console_.waitForURL(/#\/users\?q=/);
  await console_.waitForFunction(() => document.querySelectorAll('#users-table tbody tr').length === 1, null, { timeout: 10_000 })
    .catch(async () => assert.fail(`the search kept ${await table.locator('tbody tr').count()} rows, not only the match`));
  await table.getByRole('link', { name: username }).click();
  await console_.getByRole('heading', { level: 1, name: username }).waitFor();

  console_.once('dialog', (d) => d.accept());
  await console_.getByRole('button', { name: 'Block user' }).click();
  await console_.locator('#user-status', { hasText: 'Blocked' }).waitFor();
  await console_.getByRole('button', { name: 'Unblock user' }).waitFor();
  const list = await worker.api('GET', `/api/v1/users?q=${encodeURIComponent(username)}`);
  assert.equal(list.json.items[0].blocked, true, list.text);

  // A fresh browser (no session) tries to sign in as the blocked user.
  const visitor = await newPage(browser);
  await visitor.route(`${redirectUri}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'relying party' }));
  await visitor.goto(authorizeUrl(app, redirectUri));
  await visitor.locator('input[name="login"]').waitFor();
  await hostedSignIn(visitor, username, password);
  await visitor.getByText(/blocked/i).waitFor();
  assert.ok(!visitor.url().startsWith(redirectUri), 'no code was issued');

  // Unblocked in the console, the same sign-in goes through.
  await console_.getByRole('button', { name: 'Unblock user' }).click();
  await console_.locator('#user-status', { hasText: 'Active' }).waitFor();
  await visitor.goto(authorizeUrl(app, redirectUri));
  await visitor.locator('input[name="login"]').waitFor();
  await hostedSignIn(visitor, username, password);
  await visitor.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: 10_000 })
    .catch(async (e) => assert.fail(`${e.message}\nat ${visitor.url()}:\n${await visitor.locator('body').innerText()}\n`
      + `page problems (a form-action CSP violation means the login page's CSP does not allow the redirect to the relying party):\n${visitor.problems.join('\n')}`));
  assert.ok(new URL(visitor.url()).searchParams.get('code'), visitor.url());

  assert.deepEqual(unexpectedProblems(console_, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

// First run in a real browser: the console asks for the ADMIN_TOKEN and creates the first
// administrator, the administrator signs in, creates an application ("Console > Applications >
// Create Application") and ticks its modes in the Configuration card; the API then shows
// exactly what was ticked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, screenshotPath, ME_401,
} from './harness.mjs';

test('first run sets up an administrator who creates an application and ticks its modes', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const page = await newPage(browser);

  // The console is served with the strict CSP the hosted pages use.
  const resp = await page.goto(`${worker.origin}/`);
  const csp = resp.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/, `console CSP: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, `console CSP: ${csp}`);

  // First run: setup screen. A wrong token is refused next to its field.
  await page.getByRole('heading', { name: 'Set up the console' }).waitFor();
  await page.getByLabel('Admin token').fill('not-the-admin-token');
  await page.getByLabel('Administrator username').fill('root-admin');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.locator('[data-error-for="admin_token"]', { hasText: 'not the admin token' }).waitFor();
  await page.getByLabel('Admin token').fill(worker.adminToken);
  await page.getByRole('button', { name: 'Create administrator' }).click();

  // Then the sign-in screen, username kept; a wrong password is refused.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), 'root-admin');
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong username or password.').waitFor();
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();

  // Create application: name, subdomain, callback URL.
  const sub = unique('shop');
  await page.getByRole('link', { name: 'Create application' }).click();
  await page.getByLabel('Application name').fill('Shop Front');
  await page.getByLabel('Subdomain').fill(sub);
  await page.getByLabel('Callback URL').fill(`https://${sub}.rp.example/callback`);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Shop Front' }).waitFor();
  const clientId = decodeURIComponent(new URL(page.url()).hash.replace('#/apps/', ''));
  assert.ok(clientId.length > 8, `client id from ${page.url()}`);

  // Every endpoint URL is shown with a copy button.
  const issuer = await page.locator('[data-copy="issuer"] input').inputValue();
  assert.ok(issuer.endsWith(`/${sub}/oidc`), `issuer ${issuer}`);
  for (const [key, suffix] of [['discovery', '/.well-known/openid-configuration'], ['jwks', '/.well-known/jwks.json'],
    ['auth', '/auth'], ['token', '/token'], ['userinfo', '/me'], ['introspection', '/token/introspection'],
    ['revocation', '/token/revocation'], ['end-session', '/session/end']]) {
    assert.equal(await page.locator(`[data-copy="${key}"] input`).inputValue(), `${issuer}${suffix}`);
    await page.locator(`[data-copy="${key}"] button`).waitFor();
  }
  assert.equal(await page.locator('[data-copy="client-id"] input').inputValue(), clientId);

  // A bad callback URL is shown next to its field, not saved.
  const config = page.locator('#configuration');
  await config.getByLabel('Callback URLs').fill('not a url');
  await config.getByRole('button', { name: 'Save' }).click();
  await config.locator('[data-error-for="redirect_uris"]').filter({ hasText: /\S/ }).waitFor();

  // Tick modes and return types, pick the algorithm, method and lifetimes, and save.
  await config.getByLabel('Callback URLs').fill(`https://${sub}.rp.example/callback\nhttps://${sub}.rp.example/other`);
  await config.getByLabel('Implicit (implicit)').check();
  await config.getByLabel('Refresh token (refresh_token)').check();
  // Keyboard alone: focus a checkbox and toggle it with Space.
  await config.getByLabel('Password (password)').focus();
  await page.keyboard.press('Space');
  await config.getByLabel('Client credentials (client_credentials)').check();
  await config.getByLabel('id_token token', { exact: true }).check();
  await config.getByLabel('code id_token', { exact: true }).check();
  await config.getByLabel('id_token signature algorithm').selectOption('ES256');
  await config.getByLabel('Token endpoint authentication method').selectOption('client_secret_post');
  await config.getByLabel('Access token', { exact: true }).fill('1800');
  await config.getByLabel('Logout URLs').fill(`https://${sub}.rp.example/bye`);
  await config.getByRole('button', { name: 'Save' }).click();
  await page.locator('#configuration .flash', { hasText: 'Saved.' }).waitFor();

  // The API shows exactly what was ticked.
  const r = await worker.api('GET', `/api/v1/applications/${encodeURIComponent(clientId)}`);
  assert.equal(r.status, 200, r.text);
  const app = r.json;
  assert.deepEqual([...app.grant_types].sort(), ['authorization_code', 'client_credentials', 'implicit', 'password', 'refresh_token']);
  assert.deepEqual([...app.response_types].sort(), ['code', 'code id_token', 'id_token token']);
  assert.equal(app.id_token_signed_response_alg, 'ES256');
  assert.equal(app.token_endpoint_auth_method, 'client_secret_post');
  assert.equal(app.token_lifetimes.access_token, 1800);
  assert.deepEqual(app.redirect_uris, [`https://${sub}.rp.example/callback`, `https://${sub}.rp.example/other`]);
  assert.deepEqual(app.post_logout_redirect_uris, [`https://${sub}.rp.example/bye`]);

  // After a reload the card shows the saved state.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Shop Front' }).waitFor();
  assert.equal(await page.locator('#configuration').getByLabel('Password (password)').isChecked(), true);
  assert.equal(await page.locator('#configuration').getByLabel('id_token signature algorithm').inputValue(), 'ES256');

  await page.screenshot({ path: screenshotPath('console.png'), fullPage: true });

  // The list shows the application.
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Applications' }).click();
  await page.locator('#apps-table').getByRole('link', { name: 'Shop Front' }).waitFor();

  // Keyboard alone: a navigation moves focus to the page's heading (announced), the next Tab
  // is the page's first action, with a visible focus ring, and Enter follows it. The skip link
  // comes first in the tab order.
  await page.goto(`${worker.origin}/#/apps`);
  await page.locator('#apps-table').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.deepEqual(focused, { text: 'Create application', outline: 'solid' });
  assert.equal(await page.evaluate(() => document.querySelector('a[href], button, input, select, textarea').textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Create application' }).waitFor();

  // Phone-sized screen: nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${worker.origin}/#/apps/${encodeURIComponent(clientId)}`);
  await page.getByRole('heading', { level: 1, name: 'Shop Front' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
  await page.screenshot({ path: screenshotPath('console-phone.png'), fullPage: false });

  // Sign out returns to the sign-in screen, and the API no longer accepts the session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/console/me')).status);
  assert.equal(me, 401);

  assert.deepEqual(unexpectedProblems(page, [
    ME_401, /^HTTP 401 POST \/api\/v1\/console\/(setup|login)$/, /^HTTP 400 PATCH \/api\/v1\/applications\//,
  ]), [], 'the console logged errors (CSP violations?)');
});

// The console's Overview and Audit log in a real browser: after sign-ins, failures, a lockout
// and a refresh at the token endpoint, the overview's SVG charts (and their figure tables)
// show exactly those numbers per application, reason and grant; the audit page lists the
// events, filters them and exports them as JSON lines — all under the console's strict CSP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, launchBrowser, newPage, unexpectedProblems, unique, ME_401, setupAdmin, signInToConsole, screenshotPath,
} from './harness.mjs';

const nav = (page, name) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name, exact: true }).click();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** POST {issuer}/token with the application's own credentials. */
async function tokenCall(app, form) {
  const r = await fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

async function passwordGrant(app, username, password, scope = 'openid') {
  return tokenCall(app, { grant_type: 'password', username, password, scope });
}

/** Waits until the pool's log holds `n` events of `kind` (they are written after each response). */
async function logHolds(worker, kind, n) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await worker.api('GET', `/api/v1/audit?kind=${kind}&limit=500`);
    assert.equal(r.status, 200, r.text);
    if (r.json.items.length >= n) return r.json.items;
    if (Date.now() > deadline) assert.fail(`only ${r.json.items.length} ${kind} events, wanted ${n}: ${r.text}`);
    await sleep(150);
  }
}

/** Two applications, three users and known activity: what the charts must show. */
async function activity(worker) {
  const apps = [];
  for (const name of ['Shop', 'Blog']) {
    const r = await worker.api('POST', '/api/v1/applications', {
      name, subdomain: unique(name.toLowerCase()), redirect_uris: ['https://rp.example/cb'],
      grant_types: ['password', 'refresh_token'],
    });
    assert.equal(r.status, 201, r.text);
    apps.push(r.json);
  }
  const users = {};
  for (const name of ['alice', 'bob', 'carol']) {
    const u = { username: unique(name), password: `pw-${unique('secret')}` };
    const r = await worker.api('POST', '/api/v1/users', u);
    assert.equal(r.status, 201, r.text);
    users[name] = { ...u, id: r.json.id };
  }
  const [shop, blog] = apps;
  // Sign-ins: Shop 3 (alice twice, bob once), Blog 2 (alice); two users active.
  for (const [app, who] of [[shop, 'alice'], [shop, 'alice'], [shop, 'bob'], [blog, 'alice'], [blog, 'alice']]) {
    const r = await passwordGrant(app, users[who].username, users[who].password, 'openid offline_access');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    app.lastRefresh = r.json.refresh_token;
  }
  // One refresh at Shop.
  const refreshed = await tokenCall(shop, { grant_type: 'refresh_token', refresh_token: shop.lastRefresh });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
  // Failures: carol's wrong password five times (the fifth locks her account), one unknown user.
  for (let i = 0; i < 5; i += 1) {
    assert.equal((await passwordGrant(shop, users.carol.username, 'not her password')).status, 400);
  }
  assert.equal((await passwordGrant(blog, unique('nobody'), 'whatever it is')).status, 400);
  await logHolds(worker, 'sign_in_succeeded', 5);
  await logHolds(worker, 'sign_in_failed', 6);
  await logHolds(worker, 'account_locked', 1);
  await logHolds(worker, 'token_issued', 6);
  return { shop, blog, users };
}

/** The numbers of a chart, read three ways: its SVG bars, its figure table, its legend. */
async function chartNumbers(page, id) {
  return page.evaluate((chartId) => {
    const fig = document.getElementById(chartId);
    const bars = {};
    for (const r of fig.querySelectorAll('svg rect.bar')) {
      const k = r.getAttribute('data-series');
      bars[k] = (bars[k] || 0) + Number(r.getAttribute('data-value'));
    }
    const table = {};
    const labels = {};
    for (const th of fig.querySelectorAll('table thead th[data-series]')) labels[th.dataset.series] = th.textContent;
    for (const td of fig.querySelectorAll('table tbody td[data-series]')) {
      table[td.dataset.series] = (table[td.dataset.series] || 0) + Number(td.textContent);
    }
    const svg = fig.querySelector('svg');
    const name = (svg.getAttribute('aria-labelledby') || '').split(' ').map((i) => document.getElementById(i)?.textContent || '').join(' ');
    return { total: Number(fig.dataset.total), bars, table, labels, name, role: svg.getAttribute('role') };
  }, id);
}

test('the overview draws the audit counts as charts whose numbers match the activity', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const { shop, blog } = await activity(worker);
  const page = await newPage(browser);
  await signInToConsole(page, worker, admin);
  await nav(page, 'Overview');
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await page.locator('#chart-sign-ins svg').waitFor();

  const signIns = await chartNumbers(page, 'chart-sign-ins');
  assert.equal(signIns.total, 5, JSON.stringify(signIns));
  assert.deepEqual(signIns.bars, { [shop.client_id]: 3, [blog.client_id]: 2 });
  assert.deepEqual(signIns.table, signIns.bars, 'the figure table says what the bars say');
  assert.deepEqual(signIns.labels, { [shop.client_id]: 'Shop', [blog.client_id]: 'Blog' });
  assert.equal(signIns.role, 'img');
  assert.match(signIns.name, /Sign-ins per application, per hour/);
  assert.match(signIns.name, /5 in all over 48 hours/);
  await page.getByRole('img', { name: /Sign-ins per application/ }).waitFor();
  const legend = await page.locator('#chart-sign-ins .legend').innerText();
  assert.match(legend, /Shop\s*\(3\)/);
  assert.match(legend, /Blog\s*\(2\)/);

  const failures = await chartNumbers(page, 'chart-failures');
  assert.deepEqual(failures.bars, { wrong_password: 5, unknown_user: 1, 'lock:account': 1 }, JSON.stringify(failures));
  assert.deepEqual(failures.table, failures.bars);
  assert.equal(failures.labels['lock:account'], 'Account locked');

  const tokens = await chartNumbers(page, 'chart-tokens');
  assert.deepEqual(tokens.bars, { password: 5, refresh_token: 1 }, JSON.stringify(tokens));
  assert.deepEqual(tokens.table, tokens.bars);

  const active = await chartNumbers(page, 'chart-active');
  assert.ok(active.bars.active >= 2 && active.bars.active <= 3, `alice and bob (per hour): ${JSON.stringify(active)}`);

  const tile = (id) => page.locator(`#${id} .tile-value`).innerText();
  assert.equal(await tile('tile-sign-ins'), '5');
  assert.equal(await tile('tile-failures'), '6');
  assert.equal(await tile('tile-lockouts'), '1');
  assert.equal(await tile('tile-tokens'), '6');

  await page.screenshot({ path: screenshotPath('console-overview.png'), fullPage: true });

  // The figures table is there for anyone who opens it.
  await page.locator('#chart-sign-ins summary').click();
  await page.locator('#chart-sign-ins table').getByRole('columnheader', { name: 'Shop' }).waitFor();

  // Per day: the same totals.
  await page.getByRole('link', { name: 'Per day' }).click();
  await page.waitForURL(/#\/overview\?bucket=day/);
  await page.getByRole('heading', { level: 2, name: /Sign-ins per application, per day/ }).waitFor();
  const daily = await chartNumbers(page, 'chart-sign-ins');
  assert.deepEqual(daily.bars, signIns.bars);
  assert.match(daily.name, /over 30 days/);

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

test('the audit log page lists, filters and exports the events', async (t) => {
  const worker = await startWorker();
  t.after(() => worker.stop());
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());

  const admin = await setupAdmin(worker);
  const { users } = await activity(worker);
  const page = await newPage(browser, { context: { acceptDownloads: true } });
  await signInToConsole(page, worker, admin);
  await nav(page, 'Audit log');
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  const table = page.locator('#audit-table');
  await table.waitFor();
  assert.ok(await table.locator('tbody tr').count() >= 20, 'the newest events are listed');
  await table.locator('tr[data-kind="account_locked"]').first().waitFor();

  await page.screenshot({ path: screenshotPath('console-audit.png'), fullPage: true });

  // Filter: carol's failed sign-ins only.
  await page.getByLabel('Event', { exact: true }).selectOption('sign_in_failed');
  await page.getByLabel('User id', { exact: true }).fill(users.carol.id);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/kind=sign_in_failed/);
  await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr').length === 5, null, { timeout: 10_000 })
    .catch(async () => assert.fail(`${await table.locator('tbody tr').count()} rows after filtering`));
  const rows = await table.locator('tbody tr').allInnerTexts();
  assert.ok(rows.every((r) => /Sign-in failed/.test(r) && /Wrong password/.test(r)), rows.join('\n'));

  // Export with the same filter: five JSON lines, none holding carol's password.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export JSON lines' }).click(),
  ]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(lines.length, 5, text);
  assert.ok(lines.every((e) => e.kind === 'sign_in_failed' && e.user_id === users.carol.id), text);
  assert.ok(!text.includes(users.carol.password) && !text.includes('not her password'), 'no password in the export');
  await page.locator('#export-status', { hasText: 'Exported 5 events.' }).waitFor();

  assert.deepEqual(unexpectedProblems(page, [ME_401]), [], 'the console logged errors (CSP violations?)');
});

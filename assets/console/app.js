// The console's entry: first-run setup, sign-in, the header (sections, user-pool switcher,
// sign-out) and a hash router (#/apps, #/apps/{client_id}, #/apps/{client_id}/clients/{id},
// #/users/{id}, #/overview, #/audit, ...). Views live in views/*.js and render into <main>.

import { h, replace, field, formError, showErrors, clearErrors, describe } from './dom.js';
import { session, get, restore, login, logout, whenSignedOut, currentPool, setPool, post } from './api.js';
import { appsView, appView, newAppView } from './views/apps.js';
import { clientView } from './views/client.js';
import { usersView, userView } from './views/users.js';
import { resourcesView, accountsView } from './views/resources.js';
import { keysView } from './views/keys.js';
import { poolsView } from './views/pools.js';
import { adminsView } from './views/admins.js';
import { overviewView } from './views/overview.js';
import { auditView } from './views/audit.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');

const ROUTES = [
  [/^\/apps\/new$/, newAppView, 'apps'],
  [/^\/apps\/([^/]+)$/, appView, 'apps'],
  [/^\/apps\/([^/]+)\/clients\/([^/]+)$/, clientView, 'apps'],
  [/^\/apps$/, appsView, 'apps'],
  [/^\/users\/([^/]+)$/, userView, 'users'],
  [/^\/users$/, usersView, 'users'],
  [/^\/resources$/, resourcesView, 'resources'],
  [/^\/accounts$/, accountsView, 'accounts'],
  [/^\/keys$/, keysView, 'keys'],
  [/^\/pools$/, poolsView, 'pools'],
  [/^\/admins$/, adminsView, 'admins'],
  [/^\/overview$/, overviewView, 'overview'],
  [/^\/audit$/, auditView, 'audit'],
];

let renderSeq = 0;

/** Renders the view for the current hash. Later navigations win over slow earlier ones. */
async function route() {
  if (!session.csrf) return;
  const path = (location.hash.replace(/^#/, '') || '/apps').split('?')[0];
  const found = ROUTES.find(([re]) => re.test(path));
  if (!found) { location.replace('#/apps'); return; }
  const [re, view, section] = found;
  const args = path.match(re).slice(1).map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const seq = ++renderSeq;
  const ctx = {
    navigate: (hash) => { if (location.hash === hash) route(); else location.hash = hash; },
    rerender: () => route(),
    stale: () => seq !== renderSeq,
  };
  const target = h('div', { class: 'view' });
  try {
    await view(target, ctx, ...args);
  } catch (e) {
    if (e.status === 401) return;
    replace(target, h('h1', { tabindex: '-1' }, 'Something went wrong'),
      h('p', { class: 'notice error', role: 'alert' }, describe(e)));
  }
  if (seq !== renderSeq) return;
  replace(main, target);
  const h1 = main.querySelector('h1');
  document.title = `${h1 ? h1.textContent : 'Console'} · Doorward console`;
  if (h1 && document.activeElement && !main.contains(document.activeElement) && document.activeElement.id !== 'pool-switch') {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
  }
}

function authScreen(title, intro, form) {
  topbar.hidden = true;
  replace(main, h('div', { class: 'auth' },
    h('section', { class: 'card auth-card', 'aria-labelledby': 'auth-title' },
      h('p', { class: 'brand-line' }, 'Doorward console'),
      h('h1', { id: 'auth-title' }, title),
      intro ? h('p', { class: 'muted' }, intro) : null,
      form)));
  document.title = `${title} · Doorward console`;
  const first = form.querySelector('input');
  if (first) first.focus();
}

function setupScreen() {
  const token = h('input', { type: 'password', autocomplete: 'off', required: true });
  const username = h('input', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
  const form = h('form', { class: 'stack', id: 'setup-form' },
    formError(),
    field('Admin token', 'admin_token', token, 'The ADMIN_TOKEN secret this deployment was started with.'),
    field('Administrator username', 'username', username),
    field('Password', 'password', password, 'At least 8 characters.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create administrator')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await post('/api/v1/console/setup', { admin_token: token.value, username: username.value, password: password.value });
      loginScreen(username.value, 'Administrator created. Sign in to continue.');
    } catch (e) {
      if (e.status === 409) { loginScreen('', 'The console is already set up. Sign in.'); return; }
      if (e.status === 401) e.body = { ...e.body, fields: { admin_token: 'This is not the admin token.' } };
      showErrors(form, e);
    }
  });
  authScreen('Set up the console', 'First run: create the first administrator account.', form);
}

function loginScreen(prefill = '', note = '') {
  const username = h('input', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, value: prefill });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'stack', id: 'login-form' },
    note ? h('p', { class: 'notice ok', role: 'status' }, note) : null,
    formError(),
    field('Username', 'username', username),
    field('Password', 'password', password),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await login(username.value, password.value);
      await enterConsole();
    } catch (e) {
      if (e.status === 401) e.body = { error_description: 'Wrong username or password.' };
      showErrors(form, e);
      password.value = '';
    }
  });
  authScreen('Sign in', null, form);
  if (prefill) password.focus();
}

async function loadPools() {
  const sel = document.getElementById('pool-switch');
  let pools = [];
  try { pools = (await get('/api/v1/pools')).items || []; } catch { /* older backend: default only */ }
  if (!pools.some((p) => p.id === 'default')) pools.unshift({ id: 'default', name: 'Default' });
  const current = currentPool();
  if (!pools.some((p) => p.id === current)) setPool('default');
  replace(sel, pools.map((p) => h('option', { value: p.id, selected: p.id === currentPool() }, p.name || p.id)));
}

async function enterConsole() {
  topbar.hidden = false;
  document.getElementById('whoami').textContent = session.username || '';
  await loadPools();
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.replace('#/apps');
  await route();
  main.focus();
}

async function start() {
  let status;
  try {
    status = await get('/api/v1/console/status');
  } catch (e) {
    replace(main, h('p', { class: 'notice error', role: 'alert' }, `The console cannot reach the admin API: ${describe(e)}`));
    return;
  }
  if (!status.initialized) { setupScreen(); return; }
  if (await restore()) await enterConsole();
  else loginScreen();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  await logout().catch(() => {});
  loginScreen('', 'You are signed out.');
});

document.getElementById('pool-switch').addEventListener('change', (ev) => {
  setPool(ev.target.value);
  route();
});

whenSignedOut(() => loginScreen('', 'Your session ended. Sign in again.'));
window.addEventListener('hashchange', route);
window.addEventListener('dw:pools-changed', () => { loadPools(); });
start();

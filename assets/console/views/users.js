// Users of the selected pool: search and paginate, create, and a user's page (claims, password
// reset, block/unblock, the sign-in lock with unlock, delete, second factors with remove and
// reset MFA, SSO sessions with revoke, passkeys with remove).

import { h, replace, field, checkbox, formError, showErrors, clearErrors, flash, describe, when } from '../dom.js';
import { get, post, patch, del, enc, pooled, currentPool } from '../api.js';
import { passkeysCard } from './user_passkeys.js';

const PAGE = 20;

/** Standard claims an admin edits (OIDC Core §5.1), in display order. */
const CLAIMS = [
  ['name', 'Full name'], ['given_name', 'Given name'], ['family_name', 'Family name'],
  ['middle_name', 'Middle name'], ['nickname', 'Nickname'], ['preferred_username', 'Preferred username'],
  ['profile', 'Profile URL'], ['picture', 'Picture URL'], ['website', 'Website'],
  ['gender', 'Gender'], ['birthdate', 'Birthdate (YYYY-MM-DD)'], ['zoneinfo', 'Time zone'], ['locale', 'Locale'],
];

export async function usersView(el, ctx) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const q = params.get('q') || '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const page = await get(pooled(`/api/v1/users?q=${enc(q)}&offset=${offset}&limit=${PAGE}`));
  const items = page.items || [];
  const total = page.total ?? items.length;
  const search = h('input', { type: 'search', value: q, spellcheck: 'false', autocapitalize: 'none' });
  const searchForm = h('form', { class: 'search', role: 'search', id: 'user-search' },
    field('Search users', 'q', search),
    h('button', { type: 'submit', class: 'secondary' }, 'Search'));
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate(`#/users?q=${enc(search.value.trim())}`);
  });
  const nav = (off) => `#/users?q=${enc(q)}&offset=${off}`;
  const from = items.length ? offset + 1 : 0;
  const to = offset + items.length;
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Users'), h('span', { class: 'pill' }, `pool ${currentPool()}`)),
    h('div', { class: 'columns wide-left' },
      h('section', { class: 'card', 'aria-labelledby': 'users-title' },
        h('h2', { id: 'users-title', class: 'visually-hidden' }, 'User list'),
        searchForm,
        items.length === 0
          ? h('p', { class: 'muted' }, q ? `No users match “${q}”.` : 'No users in this pool yet.')
          : h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'users-table' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Username'), h('th', { scope: 'col' }, 'Email'),
              h('th', { scope: 'col', class: 'hide-sm' }, 'Name'), h('th', { scope: 'col' }, 'Status'))),
            h('tbody', {}, items.map((u) => h('tr', {},
              h('td', {}, h('a', { href: `#/users/${enc(u.id)}` }, u.username)),
              h('td', {}, u.email || '—'),
              h('td', { class: 'hide-sm' }, (u.claims && u.claims.name) || u.name || '—'),
              h('td', {}, u.blocked ? h('span', { class: 'pill bad' }, 'Blocked') : h('span', { class: 'pill good' }, 'Active'))))))),
        h('nav', { class: 'pager', 'aria-label': 'Pages of users' },
          h('span', { 'aria-live': 'polite' }, `${from}–${to} of ${total}`),
          offset > 0 ? h('a', { class: 'button secondary small', href: nav(Math.max(0, offset - PAGE)), rel: 'prev' }, 'Previous') : null,
          to < total ? h('a', { class: 'button secondary small', href: nav(offset + PAGE), rel: 'next' }, 'Next') : null)),
      createUserCard(ctx)));
}

function createUserCard(ctx) {
  const inputs = {
    username: h('input', { type: 'text', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }),
    password: h('input', { type: 'password', required: true, autocomplete: 'new-password' }),
    email: h('input', { type: 'email', autocomplete: 'off' }),
    phone_number: h('input', { type: 'tel', autocomplete: 'off', placeholder: '+8613800000000' }),
    name: h('input', { type: 'text', autocomplete: 'off' }),
  };
  const form = h('form', { class: 'card stack', id: 'create-user-form', 'aria-labelledby': 'new-user-title', novalidate: true },
    h('h2', { id: 'new-user-title' }, 'Create user'),
    formError(),
    field('Username', 'username', inputs.username),
    field('Password', 'password', inputs.password, 'At least 8 characters.'),
    field('Email', 'email', inputs.email),
    field('Phone number', 'phone_number', inputs.phone_number),
    field('Full name', 'name', inputs.name),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create user')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = {};
    for (const [k, input] of Object.entries(inputs)) if (input.value.trim() !== '' || k === 'password') body[k] = k === 'password' ? input.value : input.value.trim();
    try {
      const u = await post(pooled('/api/v1/users'), body);
      ctx.navigate(`#/users/${enc(u.id)}`);
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}

export async function userView(el, ctx, id) {
  const user = await get(pooled(`/api/v1/users/${enc(id)}`));
  let sessions = null;
  let sessionsError = null;
  try {
    sessions = (await get(pooled(`/api/v1/sessions?user_id=${enc(id)}`))).items || [];
  } catch (e) { sessionsError = e; }
  let lock = null;
  try { lock = await get(pooled(`/api/v1/users/${enc(id)}/lock`)); } catch (e) { lock = null; }
  let factors = null;
  let factorsError = null;
  try { factors = (await get(pooled(`/api/v1/users/${enc(id)}/factors`))).items || []; } catch (e) { factorsError = e; }
  replace(el,
    h('div', { class: 'page-head' },
      h('div', {}, h('p', { class: 'crumb' }, h('a', { href: '#/users' }, 'Users')), h('h1', {}, user.username)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'toggle-block', class: user.blocked ? 'secondary' : 'danger', onclick: async () => {
          const verb = user.blocked ? 'Unblock' : 'Block';
          if (!user.blocked && !window.confirm(`Block ${user.username}? They can no longer sign in or refresh tokens.`)) return;
          try { await patch(pooled(`/api/v1/users/${enc(id)}`), { blocked: !user.blocked }); ctx.rerender(); } catch (e) { window.alert(`${verb}: ${describe(e)}`); }
        } }, user.blocked ? 'Unblock user' : 'Block user'),
        h('button', { type: 'button', class: 'danger secondary', id: 'delete-user', onclick: async () => {
          if (!window.confirm(`Delete ${user.username}? This cannot be undone.`)) return;
          try { await del(pooled(`/api/v1/users/${enc(id)}`)); ctx.navigate('#/users'); } catch (e) { window.alert(describe(e)); }
        } }, 'Delete'))),
    h('p', { id: 'user-status' }, user.blocked
      ? h('span', { class: 'pill bad' }, 'Blocked: sign-in is refused')
      : h('span', { class: 'pill good' }, 'Active'),
    ' ', lock && lock.locked
      ? h('span', { id: 'user-lock' },
        h('span', { class: 'pill bad' }, `Locked for ${Math.max(1, Math.ceil(lock.retry_after / 60))} min after ${lock.failures} failed sign-ins`), ' ',
        h('button', { type: 'button', id: 'unlock-user', class: 'secondary', onclick: async (ev) => {
          ev.target.disabled = true;
          try { await del(pooled(`/api/v1/users/${enc(id)}/lock`)); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
        } }, 'Unlock'))
      : null,
    ' ', h('span', { class: 'muted small' }, `id ${user.id} · created ${when(user.created_at)} · updated ${when(user.updated_at)}`)),
    h('div', { class: 'columns' },
      claimsCard(user, ctx),
      h('div', { class: 'stack' },
        passwordCard(user),
        factorsCard(user, factors, factorsError, ctx),
        sessionsCard(user, sessions, sessionsError, ctx),
        passkeysCard(id, ctx))));
}

const FACTOR_NAMES = { totp: 'Authenticator app', recovery_codes: 'Recovery codes' };

// Second factors: what is enrolled (never a secret), remove the app, reset MFA (every factor).
function factorsCard(user, factors, error, ctx) {
  let body;
  if (error) body = h('p', { class: 'notice warn' }, `Factors are unavailable: ${describe(error)}`);
  else if (!factors.length) body = h('p', { class: 'muted', id: 'factors-none' }, 'No second factor. The password is the only one.');
  else {
    body = h('ul', { class: 'rows', id: 'factors-list' }, factors.map((f) => h('li', { 'data-kind': f.kind },
      h('div', {}, h('strong', {}, FACTOR_NAMES[f.kind] || f.kind),
        h('p', { class: 'muted small' }, f.kind === 'recovery_codes'
          ? `${f.remaining} left · made ${when(f.created_at)}`
          : `added ${when(f.created_at)}${f.last_used_at ? ` · last used ${when(f.last_used_at)}` : ''}`)),
      f.kind === 'totp'
        ? h('button', { type: 'button', class: 'danger small', id: 'remove-totp', onclick: async (ev) => {
          if (!window.confirm(`Remove ${user.username}'s authenticator app?`)) return;
          ev.target.disabled = true;
          try { await del(pooled(`/api/v1/users/${enc(user.id)}/factors/totp`)); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
        } }, 'Remove')
        : null)));
  }
  return h('section', { class: 'card', 'aria-labelledby': 'factors-title', id: 'factors-card' },
    h('h2', { id: 'factors-title' }, 'Second factors'), body,
    factors && factors.length ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'danger secondary', id: 'reset-mfa', onclick: async (ev) => {
        if (!window.confirm(`Reset MFA for ${user.username}? Every second factor is removed; where MFA is required they set one up at their next sign-in.`)) return;
        ev.target.disabled = true;
        try { await del(pooled(`/api/v1/users/${enc(user.id)}/factors`)); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
      } }, 'Reset MFA')) : null);
}

function claimsCard(user, ctx) {
  const claims = user.claims || {};
  const inputs = {
    username: h('input', { type: 'text', value: user.username, autocapitalize: 'none', spellcheck: 'false' }),
    email: h('input', { type: 'email', value: user.email || '' }),
    phone_number: h('input', { type: 'tel', value: user.phone_number || '' }),
  };
  for (const [k] of CLAIMS) inputs[k] = h('input', { type: 'text', value: claims[k] ?? user[k] ?? '' });
  const custom = h('textarea', { rows: '3', class: 'mono', spellcheck: 'false' });
  custom.value = JSON.stringify(user.custom_attributes || {}, null, 2);
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', id: 'claims-form', 'aria-labelledby': 'claims-title', novalidate: true },
    h('h2', { id: 'claims-title' }, 'Profile and claims'),
    formError(),
    h('div', { class: 'grid2' },
      field('Username', 'username', inputs.username),
      field('Email', 'email', inputs.email),
      field('Phone number', 'phone_number', inputs.phone_number),
      CLAIMS.map(([k, label]) => field(label, k, inputs[k]))),
    h('div', { class: 'checks-inline' },
      checkbox('Email verified', 'email_verified', user.email_verified),
      checkbox('Phone number verified', 'phone_number_verified', user.phone_number_verified)),
    field('Custom attributes (JSON object)', 'custom_attributes', custom),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'save-claims' }, 'Save claims')),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = {};
    for (const [k, input] of Object.entries(inputs)) {
      const v = input.value.trim();
      const before = k in claims ? claims[k] : user[k];
      if (v === '' && (before === undefined || before === null || before === '')) continue;
      body[k] = v === '' ? null : v;
    }
    body.username = inputs.username.value.trim();
    body.email_verified = form.querySelector('input[name="email_verified"]').checked;
    body.phone_number_verified = form.querySelector('input[name="phone_number_verified"]').checked;
    try {
      body.custom_attributes = JSON.parse(custom.value || '{}');
    } catch {
      showErrors(form, { status: 400, body: { fields: { custom_attributes: 'is not valid JSON' } } });
      return;
    }
    try {
      await patch(pooled(`/api/v1/users/${enc(user.id)}`), body);
      flash(status, 'Saved.');
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}

function passwordCard(user) {
  const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true });
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', id: 'password-form', 'aria-labelledby': 'pw-title', novalidate: true },
    h('h2', { id: 'pw-title' }, 'Reset password'),
    formError(),
    field('New password', 'password', pw, 'At least 8 characters. The user is not told; give it to them safely.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Set password')),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await patch(pooled(`/api/v1/users/${enc(user.id)}`), { password: pw.value });
      pw.value = '';
      flash(status, 'Password changed.');
    } catch (e) { showErrors(form, e); }
  });
  return form;
}

function sessionsCard(user, sessions, error, ctx) {
  let body;
  if (error) body = h('p', { class: 'notice warn' }, `Sessions are unavailable: ${describe(error)}`);
  else if (!sessions.length) body = h('p', { class: 'muted' }, 'No active sign-in sessions.');
  else {
    body = h('ul', { class: 'rows', id: 'sessions-list' }, sessions.map((s) => h('li', {},
      h('div', {}, h('span', { class: 'mono' }, s.session_id),
        h('p', { class: 'muted small' }, `started ${when(s.created_at)} · expires ${when(s.expires_at)}`)),
      h('button', { type: 'button', class: 'danger small', 'aria-label': `Revoke session ${s.session_id}`, onclick: async (ev) => {
        ev.target.disabled = true;
        try { await del(pooled(`/api/v1/sessions/${enc(s.session_id)}`)); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
      } }, 'Revoke'))));
  }
  return h('section', { class: 'card', 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title' }, 'Sessions'), body);
}

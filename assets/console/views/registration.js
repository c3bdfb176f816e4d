// Dynamic client registration (RFC 7591) on an application's page: the setting (off, open,
// or with an initial access token), the registration endpoint it opens at {issuer}/reg, and,
// with initial access tokens, their list, minting (the token shown once: only its hash is
// kept) and revocation.

import {
  h, replace, field, select, formError, showErrors, clearErrors, flash, copyRow, describe, when,
} from '../dom.js';
import { get, post, patch, del, enc } from '../api.js';

const MODES = [
  ['off', 'Off'],
  ['open', 'Open: any client may register'],
  ['initial_access_token', 'With an initial access token'],
];

const EXPIRIES = [
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
];

/**
 * The setting's card, then the initial access tokens' card when that mode is saved.
 * `onSaved(app)` gets the application as the API answered.
 */
export function registrationCard(app, onSaved) {
  const appPath = `/api/v1/applications/${enc(app.client_id)}`;
  let mode = app.dynamic_registration || 'off';
  const modeSelect = select('dynamic_registration', MODES, mode);
  const endpointSlot = h('div');
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const tokens = tokensCard(`${appPath}/initial-access-tokens`);
  const form = h('form', { class: 'card stack', id: 'dynamic-registration', 'aria-labelledby': 'registration-title', novalidate: true },
    h('h2', { id: 'registration-title' }, 'Dynamic registration'),
    h('p', { class: 'muted' }, 'Lets clients register themselves at the registration endpoint (RFC 7591). They are listed under Clients as “Registered”.'),
    formError(),
    field('Dynamic registration', 'dynamic_registration', modeSelect),
    endpointSlot,
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'save-registration' }, 'Save')),
    status);
  const draw = () => {
    replace(endpointSlot, mode === 'off' ? null
      : copyRow('Registration endpoint', `${app.issuer}/reg`, { key: 'registration' }));
    tokens.card.hidden = mode !== 'initial_access_token';
    if (!tokens.card.hidden) tokens.refresh();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    status.hidden = true;
    try {
      const updated = await patch(appPath, { dynamic_registration: modeSelect.value });
      app = updated;
      mode = updated.dynamic_registration || 'off';
      onSaved(updated);
      draw();
      flash(status, mode === 'off' ? 'Saved: registration is off.' : 'Saved: the registration endpoint is open.');
      document.getElementById('save-registration')?.focus();
    } catch (e) {
      showErrors(form, e);
    }
  });
  draw();
  return h('div', {}, form, tokens.card);
}

/** Initial access tokens: {card, refresh}. */
function tokensCard(base) {
  const listSlot = h('div', { class: 'table-wrap' });
  const noticeSlot = h('div');
  const status = h('p', { class: 'flash', hidden: true, 'aria-live': 'polite' });
  const title = h('h2', { id: 'iat-title', tabindex: '-1' }, 'Initial access tokens');
  const expiry = select('expires_in', EXPIRIES, '86400');
  const uses = h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', placeholder: 'unlimited' });
  const form = h('form', { class: 'inline-form', id: 'mint-iat-form', novalidate: true },
    formError(),
    field('Valid for', 'expires_in', expiry),
    field('Registrations it allows', 'uses', uses, 'Empty for unlimited until it expires.'),
    h('button', { type: 'submit', id: 'mint-iat' }, 'Mint token'));

  const refresh = async () => {
    try {
      const { items } = await get(base);
      draw(items || []);
    } catch (e) { flash(status, describe(e), 'error'); }
  };
  const revoke = async (t) => {
    if (!window.confirm(`Revoke the initial access token ${t.id}? Registrations with it are refused from now on.`)) return;
    try {
      await del(`${base}/${enc(t.id)}`);
      replace(noticeSlot);
      await refresh();
      flash(status, `Token ${t.id} revoked.`);
      title.focus();
    } catch (e) { flash(status, describe(e), 'error'); }
  };
  const draw = (items) => replace(listSlot, items.length === 0
    ? h('p', { class: 'muted', id: 'iat-empty' }, 'No initial access tokens.')
    : h('table', { class: 'list', id: 'iat-table' },
      h('caption', { class: 'visually-hidden' }, 'Initial access tokens'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Token id'), h('th', { scope: 'col' }, 'Expires'),
        h('th', { scope: 'col' }, 'Registrations left'), h('th', { scope: 'col', class: 'hide-sm' }, 'Created'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, items.map((t) => h('tr', { dataset: { tokenId: t.id } },
        h('td', { class: 'mono' }, t.id),
        h('td', {}, when(t.expires_at)),
        h('td', {}, t.uses_left === null || t.uses_left === undefined ? 'unlimited' : String(t.uses_left)),
        h('td', { class: 'hide-sm' }, when(t.created_at)),
        h('td', {}, h('button', { type: 'button', class: 'danger secondary small', 'aria-label': `Revoke token ${t.id}`,
          onclick: () => revoke(t) }, 'Revoke')))))));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { expires_in: Number(expiry.value) };
    if (uses.value.trim() !== '') body.uses = Number(uses.value);
    try {
      const t = await post(base, body);
      uses.value = '';
      replace(noticeSlot, h('section', { class: 'notice secret-once', id: 'new-iat', tabindex: '-1', 'aria-labelledby': 'new-iat-title' },
        h('h3', { id: 'new-iat-title' }, 'New initial access token'),
        copyRow('Initial access token', t.initial_access_token, { key: 'initial-access-token' }),
        h('p', { class: 'small' }, 'Copy it now: it is shown once, only its hash is kept. The registrant sends it as “Authorization: Bearer …” to the registration endpoint.')));
      await refresh();
      noticeSlot.firstChild.focus();
    } catch (e) {
      showErrors(form, e);
    }
  });

  const card = h('section', { class: 'card', id: 'initial-access-tokens', 'aria-labelledby': 'iat-title', hidden: true },
    title,
    h('p', { class: 'muted' }, 'Each registration at the endpoint must carry one of these tokens.'),
    noticeSlot,
    status,
    listSlot,
    form);
  return { card, refresh };
}

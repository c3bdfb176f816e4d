// The Clients card of an application's page: every client of the application (its primary
// client first, then those added here or registered at {issuer}/reg), "Add client" with the
// new secret shown once, and Disable/Enable and Delete for every client but the primary one.

import {
  h, replace, field, checkbox, formError, showErrors, clearErrors, flash, copyRow, lines, describe,
} from '../dom.js';
import { get, post, patch, del, enc } from '../api.js';

const ORIGINS = { primary: 'Primary', admin: 'Admin', dynamic: 'Registered' };

/** What the console calls a client: its name, else "(primary)" or its id. */
export function clientLabel(c) {
  if (c.client_name) return c.client_name;
  return c.origin === 'primary' ? '(primary)' : c.client_id;
}

/** The badges of a client: where it came from, and Disabled when it is. */
export function clientBadges(c) {
  return [
    h('span', { class: 'pill', dataset: { origin: c.origin } }, ORIGINS[c.origin] || c.origin),
    c.disabled ? h('span', { class: 'pill bad', dataset: { disabled: 'true' } }, 'Disabled') : null,
  ];
}

/** The admin API path of one client of `appId`. */
export function clientPath(appId, clientId) {
  return `/api/v1/applications/${enc(appId)}/clients/${enc(clientId)}`;
}

/** The console hash of a client's page. */
export function clientHash(appId, clientId) {
  return `#/apps/${enc(appId)}/clients/${enc(clientId)}`;
}

/** Resolves to {card, refresh}: the card keeps its state while the page re-renders around it. */
export async function clientsCard(app) {
  const appId = app.client_id;
  const base = `/api/v1/applications/${enc(appId)}/clients`;
  let items = (await get(base)).items || [];
  const listSlot = h('div', { class: 'table-wrap' });
  const noticeSlot = h('div');
  const status = h('p', { class: 'flash', hidden: true, 'aria-live': 'polite' });
  const title = h('h2', { id: 'clients-title', tabindex: '-1' }, 'Clients');

  const refresh = async () => {
    try {
      items = (await get(base)).items || [];
      draw();
    } catch (e) { flash(status, describe(e), 'error'); }
  };

  const setDisabled = async (c, disabled) => {
    if (disabled && !window.confirm(`Disable the client “${clientLabel(c)}”? It can no longer sign users in or get tokens until it is enabled again.`)) return;
    try {
      await patch(clientPath(appId, c.client_id), { disabled });
      replace(noticeSlot);
      await refresh();
      flash(status, `Client “${clientLabel(c)}” ${disabled ? 'disabled: it can no longer sign users in or get tokens' : 'enabled'}.`);
      listSlot.querySelector(`tr[data-client-id="${CSS.escape(c.client_id)}"] .toggle-client`)?.focus();
    } catch (e) { flash(status, describe(e), 'error'); }
  };

  const remove = async (c) => {
    if (!window.confirm(`Delete the client “${clientLabel(c)}”? Its client id and secret stop working at once.`)) return;
    try {
      await del(clientPath(appId, c.client_id));
      replace(noticeSlot);
      await refresh();
      flash(status, `Client “${clientLabel(c)}” deleted.`);
      title.focus();
    } catch (e) { flash(status, describe(e), 'error'); }
  };

  const row = (c) => {
    const primary = c.origin === 'primary';
    const href = primary ? `#/apps/${enc(appId)}` : clientHash(appId, c.client_id);
    const label = clientLabel(c);
    return h('tr', { dataset: { clientId: c.client_id, origin: c.origin } },
      h('td', {}, h('a', { href }, label)),
      h('td', { class: 'mono' }, c.client_id),
      h('td', {}, clientBadges(c)),
      h('td', { class: 'mono hide-sm' }, c.token_endpoint_auth_method === 'none' ? 'none (public)' : c.token_endpoint_auth_method),
      h('td', {}, primary ? h('span', { class: 'muted small' }, 'The application’s own') : h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary small toggle-client', 'aria-label': `${c.disabled ? 'Enable' : 'Disable'} ${label}`,
          onclick: () => setDisabled(c, !c.disabled) }, c.disabled ? 'Enable' : 'Disable'),
        h('button', { type: 'button', class: 'danger secondary small delete-client', 'aria-label': `Delete ${label}`,
          onclick: () => remove(c) }, 'Delete'))));
  };

  const draw = () => replace(listSlot, h('table', { class: 'list', id: 'clients-table' },
    h('caption', { class: 'visually-hidden' }, 'Clients of this application'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Client id'), h('th', { scope: 'col' }, 'Kind'),
      h('th', { scope: 'col', class: 'hide-sm' }, 'Authentication'), h('th', { scope: 'col' }, 'Actions'))),
    h('tbody', {}, items.map(row))));

  const form = addClientForm(base, async (created) => {
    replace(noticeSlot, createdNotice(appId, created));
    await refresh();
    noticeSlot.firstChild.focus();
  });

  draw();
  const card = h('section', { class: 'card', id: 'clients', 'aria-labelledby': 'clients-title' },
    title,
    h('p', { class: 'muted' }, 'Each client of this application has its own id, secret, callback URLs and settings; all share the application’s issuer, users and signing keys.'),
    noticeSlot,
    status,
    listSlot,
    form);
  return { card, refresh };
}

function addClientForm(base, onCreated) {
  const name = h('input', { type: 'text', maxlength: '100' });
  const callbacks = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono', placeholder: 'https://app.example.com/callback' });
  const form = h('form', { class: 'stack', id: 'add-client-form', 'aria-labelledby': 'add-client-title', novalidate: true },
    h('h3', { id: 'add-client-title' }, 'Add client'),
    formError(),
    h('div', { class: 'grid2' },
      field('Client name', 'client_name', name, 'Shown on the consent page.'),
      field('Callback URLs', 'redirect_uris', callbacks, 'One per line. Matched exactly.')),
    h('div', { class: 'checks-inline' }, checkbox('Public client (a browser or native app: no secret, PKCE only)', 'public', false)),
    h('p', { class: 'field-error', dataset: { errorFor: 'token_endpoint_auth_method' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'add-client' }, 'Add client')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { redirect_uris: lines(callbacks.value) };
    if (name.value.trim()) body.client_name = name.value.trim();
    if (form.querySelector('input[name="public"]').checked) body.token_endpoint_auth_method = 'none';
    try {
      const created = await post(base, body);
      form.reset();
      await onCreated(created);
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}

/** The new client's secret, shown here once (its page can show it again, or rotate it). */
function createdNotice(appId, c) {
  const link = h('a', { href: clientHash(appId, c.client_id), id: 'new-client-link' }, 'Open its page');
  if (c.token_endpoint_auth_method === 'none') {
    return h('section', { class: 'notice ok', id: 'new-client', tabindex: '-1', role: 'status' },
      h('p', {}, `Client “${clientLabel(c)}” added. It is public: it proves itself with PKCE and sends no secret. `, link));
  }
  return h('section', { class: 'notice secret-once', id: 'new-client', tabindex: '-1', 'aria-labelledby': 'new-client-title' },
    h('h3', { id: 'new-client-title' }, `Client “${clientLabel(c)}” added`),
    copyRow('Client id', c.client_id, { key: 'new-client-id' }),
    copyRow('Client secret', c.client_secret, { key: 'new-client-secret' }),
    h('p', { class: 'small' }, 'Copy the secret now: it is shown here once. Its page can show it again or rotate it. ', link));
}

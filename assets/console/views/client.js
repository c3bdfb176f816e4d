// A client's page (#/apps/{app_id}/clients/{client_id}), for every client of an application
// but its primary one: its credentials (the secret at …/clients/{client_id}/secret), its own
// Configuration card and Try-it panel, Disable/Enable and Delete. The primary client's page is
// the application's page, which this one points to.

import { h, replace, copyRow, flash, describe, when } from '../dom.js';
import { get, patch, del, enc } from '../api.js';
import { tryItCard } from '../tryit.js';
import { secretRow } from '../secret.js';
import { configurationCard, endpointRows } from './apps.js';
import { clientLabel, clientBadges, clientPath } from './clients.js';

export async function clientView(el, ctx, appId, clientId) {
  const path = clientPath(appId, clientId);
  const [app, first] = await Promise.all([get(`/api/v1/applications/${enc(appId)}`), get(path)]);
  let client = first;
  const crumb = h('p', { class: 'crumb' },
    h('a', { href: '#/apps' }, 'Applications'), ' › ',
    h('a', { href: `#/apps/${enc(appId)}`, id: 'crumb-app' }, app.name));

  if (client.origin === 'primary') {
    replace(el,
      h('div', { class: 'page-head' }, h('div', {}, crumb, h('h1', {}, `${app.name}: primary client`))),
      h('section', { class: 'card' },
        h('p', {}, 'This is the application’s own client: its credentials, configuration and Try-it panel are on the application’s page.'),
        h('p', {}, h('a', { class: 'button', href: `#/apps/${enc(appId)}` }, `Open ${app.name}`))));
    return;
  }

  const status = h('p', { class: 'flash', hidden: true, 'aria-live': 'polite' });
  const onChanged = (updated, focusId) => {
    client = updated;
    render();
    const target = focusId && el.querySelector(`#${focusId}`);
    if (target) { target.scrollIntoView(); target.querySelector('h2')?.setAttribute('tabindex', '-1'); target.querySelector('h2')?.focus(); }
  };
  const toggle = async () => {
    if (!client.disabled && !window.confirm(`Disable the client “${clientLabel(client)}”? It can no longer sign users in or get tokens until it is enabled again.`)) return;
    try {
      const updated = await patch(path, { disabled: !client.disabled });
      onChanged(updated);
      flash(status, updated.disabled ? 'Disabled: this client can no longer sign users in or get tokens.' : 'Enabled.');
      el.querySelector('#toggle-client')?.focus();
    } catch (e) { flash(status, describe(e), 'error'); }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the client “${clientLabel(client)}”? Its client id and secret stop working at once.`)) return;
    try {
      await del(path);
      sessionStorage.setItem('dw.console.notice', `Client “${clientLabel(client)}” deleted.`);
      ctx.navigate(`#/apps/${enc(appId)}`);
    } catch (e) { flash(status, describe(e), 'error'); }
  };
  const render = () => {
    const label = clientLabel(client);
    // The Try-it panel wants the issuer and a name beside the client's own fields.
    const target = { ...client, issuer: app.issuer, name: label, application_id: appId };
    replace(el,
      h('div', { class: 'page-head' },
        h('div', {}, crumb, h('h1', {}, label), h('p', { class: 'badges' }, clientBadges(client))),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', id: 'toggle-client', onclick: toggle }, client.disabled ? 'Enable client' : 'Disable client'),
          h('button', { type: 'button', class: 'danger', id: 'delete-client', onclick: remove }, 'Delete client'))),
      status,
      h('div', { class: 'columns' },
        credentialsCard(app, client, path),
        configurationCard(client, onChanged, { path, application: false })),
      tryItCard(target, onChanged));
  };
  render();
}

function credentialsCard(app, client, path) {
  const [secret, secretStatus] = client.has_secret ? secretRow(path) : [null, null];
  return h('section', { class: 'card', 'aria-labelledby': 'creds-title', id: 'credentials' },
    h('h2', { id: 'creds-title' }, 'Credentials and endpoints'),
    copyRow('Client id', client.client_id, { key: 'client-id' }),
    client.has_secret ? [secret, secretStatus]
      : h('p', { class: 'muted', id: 'no-secret' }, 'A public client: it has no secret and proves itself with PKCE.'),
    endpointRows(app.issuer),
    client.origin === 'dynamic'
      ? h('p', { class: 'muted small' }, `Registered at ${app.issuer}/reg (RFC 7591): the registrant can also read, change or delete it there with its registration access token.`)
      : null,
    h('p', { class: 'muted small' }, `Application ${app.name} · created ${when(client.created_at)} · updated ${when(client.updated_at)}`));
}

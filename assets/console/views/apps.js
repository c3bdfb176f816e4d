// Applications: the list, "Create application" (name, subdomain, callback URL, as in the
// hosted service's guide), and an application's page with its credentials and endpoints, the
// Configuration card, and the Try-it panel.

import {
  h, replace, field, checkbox, checkGroup, select, formError, showErrors, clearErrors,
  flash, copyRow, lines, words, describe, when,
} from '../dom.js';
import { get, post, patch, del, enc, currentPool } from '../api.js';
import { tryItCard } from '../tryit.js';

export const GRANT_TYPES = [
  ['authorization_code', 'Authorization code (authorization_code)'],
  ['implicit', 'Implicit (implicit)'],
  ['refresh_token', 'Refresh token (refresh_token)'],
  ['client_credentials', 'Client credentials (client_credentials)'],
  ['password', 'Password (password)'],
];

export const RESPONSE_TYPES = [
  ['code', 'code'],
  ['id_token token', 'id_token token'],
  ['id_token', 'id_token'],
  ['code id_token token', 'code id_token token'],
  ['code id_token', 'code id_token'],
  ['code token', 'code token'],
];

const ALGS = [['RS256', 'RS256'], ['HS256', 'HS256 (client secret)'], ['ES256', 'ES256'], ['PS256', 'PS256'], ['EdDSA', 'EdDSA (Ed25519)']];
const AT_ALGS = ALGS.filter(([a]) => a !== 'HS256');
const AUTH_METHODS = [
  ['client_secret_basic', 'client_secret_basic (HTTP Basic)'],
  ['client_secret_post', 'client_secret_post (form body)'],
  ['none', 'none (public client, PKCE)'],
  ['client_secret_jwt', 'client_secret_jwt (JWT signed with the secret)'],
  ['private_key_jwt', 'private_key_jwt (JWT signed with the client\'s key)'],
];
const LIFETIMES = [
  ['access_token', 'Access token'],
  ['id_token', 'ID token'],
  ['refresh_token', 'Refresh token'],
  ['authorization_code', 'Authorization code'],
];

export async function appsView(el) {
  const { items } = await get('/api/v1/applications');
  const list = items || [];
  replace(el,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Applications'),
      h('a', { class: 'button', href: '#/apps/new', id: 'create-app' }, 'Create application')),
    list.length === 0
      ? h('section', { class: 'card empty' }, h('p', {}, 'No applications yet. Create one to get a client id, a secret and an issuer.'))
      : h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'apps-table' },
        h('caption', { class: 'visually-hidden' }, 'Applications'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Subdomain'),
          h('th', { scope: 'col' }, 'Client id'), h('th', { scope: 'col', class: 'hide-sm' }, 'Modes'))),
        h('tbody', {}, list.map((a) => h('tr', {},
          h('td', {}, h('a', { href: `#/apps/${enc(a.client_id)}` }, a.name || a.subdomain)),
          h('td', { class: 'mono' }, a.subdomain),
          h('td', { class: 'mono' }, a.client_id),
          h('td', { class: 'hide-sm' }, (a.grant_types || []).join(', '))))))));
}

export async function newAppView(el, ctx) {
  const name = h('input', { type: 'text', required: true, maxlength: '100' });
  const subdomain = h('input', { type: 'text', required: true, autocapitalize: 'none', spellcheck: 'false', pattern: '[a-z0-9]([a-z0-9-]*[a-z0-9])?' });
  const callback = h('input', { type: 'url', required: true, spellcheck: 'false', placeholder: 'https://app.example.com/callback' });
  const form = h('form', { class: 'card stack', id: 'create-app-form', novalidate: true },
    formError(),
    field('Application name', 'name', name),
    field('Subdomain', 'subdomain', subdomain, 'Lower-case letters, digits and hyphens. It names the issuer: {subdomain}.{base domain}/oidc, or /{subdomain}/oidc locally.'),
    field('Callback URL', 'redirect_uris', callback, 'Where users are sent back after signing in. More can be added later.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Create'),
      h('a', { class: 'button secondary', href: '#/apps' }, 'Cancel')));
  name.addEventListener('input', () => {
    if (subdomain.dataset.touched) return;
    subdomain.value = name.value.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  });
  subdomain.addEventListener('input', () => { subdomain.dataset.touched = '1'; });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), subdomain: subdomain.value.trim(), redirect_uris: lines(callback.value) };
    if (currentPool() !== 'default') body.pool_id = currentPool();
    try {
      const app = await post('/api/v1/applications', body);
      sessionStorage.setItem('dw.console.notice', `Application “${app.name}” created. Tick its modes in the Configuration card.`);
      ctx.navigate(`#/apps/${enc(app.client_id)}`);
    } catch (e) {
      showErrors(form, e);
    }
  });
  replace(el, h('div', { class: 'page-head' }, h('h1', {}, 'Create application')), form);
}

export async function appView(el, ctx, clientId) {
  let app = await get(`/api/v1/applications/${enc(clientId)}`);
  const notice = sessionStorage.getItem('dw.console.notice');
  sessionStorage.removeItem('dw.console.notice');
  const onAppChanged = (updated, focusId) => {
    app = updated;
    render();
    const target = focusId && el.querySelector(`#${focusId}`);
    if (target) { target.scrollIntoView(); target.querySelector('h2')?.setAttribute('tabindex', '-1'); target.querySelector('h2')?.focus(); }
  };
  const render = () => replace(el,
    h('div', { class: 'page-head' },
      h('div', {}, h('p', { class: 'crumb' }, h('a', { href: '#/apps' }, 'Applications')), h('h1', {}, app.name)),
      h('button', { type: 'button', class: 'danger', id: 'delete-app', onclick: async () => {
        if (!window.confirm(`Delete the application “${app.name}”? Its client id and issuer stop working.`)) return;
        try { await del(`/api/v1/applications/${enc(app.client_id)}`); ctx.navigate('#/apps'); } catch (e) { window.alert(describe(e)); }
      } }, 'Delete application')),
    notice ? h('p', { class: 'notice ok', role: 'status' }, notice) : null,
    h('div', { class: 'columns' },
      credentialsCard(app),
      configurationCard(app, onAppChanged)),
    tryItCard(app, onAppChanged));
  render();
}

function credentialsCard(app) {
  const iss = app.issuer;
  const secretInput = h('input', { type: 'password', readOnly: true, value: '••••••••••••••••', class: 'mono', id: 'client-secret', 'aria-label': 'Client secret' });
  const status = h('p', { class: 'flash', hidden: true, 'aria-live': 'polite' });
  let shown = false;
  const showBtn = h('button', { type: 'button', class: 'secondary small', id: 'show-secret', 'aria-pressed': 'false' }, 'Show');
  const copyBtn = h('button', { type: 'button', class: 'secondary small', id: 'copy-secret' }, 'Copy');
  const rotateBtn = h('button', { type: 'button', class: 'danger small', id: 'rotate-secret' }, 'Rotate');
  const reveal = (secret) => {
    secretInput.type = 'text';
    secretInput.value = secret;
    shown = true;
    showBtn.textContent = 'Hide';
    showBtn.setAttribute('aria-pressed', 'true');
  };
  const hide = () => {
    secretInput.type = 'password';
    secretInput.value = '••••••••••••••••';
    shown = false;
    showBtn.textContent = 'Show';
    showBtn.setAttribute('aria-pressed', 'false');
  };
  const fetchSecret = async () => (await get(`/api/v1/applications/${enc(app.client_id)}/secret`)).client_secret;
  showBtn.addEventListener('click', async () => {
    if (shown) { hide(); return; }
    try { reveal(await fetchSecret()); } catch (e) { flash(status, describe(e), 'error'); }
  });
  copyBtn.addEventListener('click', async () => {
    try {
      const s = shown ? secretInput.value : await fetchSecret();
      await navigator.clipboard.writeText(s);
      flash(status, 'Secret copied.');
    } catch (e) { flash(status, e.status ? describe(e) : 'Copy failed: press Show and copy it by hand.', 'error'); }
  });
  rotateBtn.addEventListener('click', async () => {
    if (!window.confirm('Rotate the client secret? The current secret stops working at once; applications using it must be updated.')) return;
    try {
      const r = await post(`/api/v1/applications/${enc(app.client_id)}/secret`, {});
      reveal(r.client_secret);
      flash(status, 'Secret rotated. The new secret is shown above.');
    } catch (e) { flash(status, describe(e), 'error'); }
  });
  const endpoints = [
    ['Issuer', iss, 'issuer'],
    ['Discovery URL', `${iss}/.well-known/openid-configuration`, 'discovery'],
    ['JWKS', `${iss}/.well-known/jwks.json`, 'jwks'],
    ['Authorization endpoint', `${iss}/auth`, 'auth'],
    ['Token endpoint', `${iss}/token`, 'token'],
    ['Userinfo endpoint', `${iss}/me`, 'userinfo'],
    ['Introspection endpoint', `${iss}/token/introspection`, 'introspection'],
    ['Revocation endpoint', `${iss}/token/revocation`, 'revocation'],
    ['End session endpoint', `${iss}/session/end`, 'end-session'],
  ];
  return h('section', { class: 'card', 'aria-labelledby': 'creds-title', id: 'credentials' },
    h('h2', { id: 'creds-title' }, 'Credentials and endpoints'),
    copyRow('Client id', app.client_id, { key: 'client-id' }),
    h('div', { class: 'copy-row', dataset: { copy: 'client-secret' } },
      h('label', { for: 'client-secret' }, 'Client secret'),
      h('div', { class: 'copy-line' }, secretInput, showBtn, copyBtn, rotateBtn)),
    status,
    endpoints.map(([label, url, key]) => copyRow(label, url, { key })),
    h('p', { class: 'muted small' }, `Pool ${app.pool_id} · created ${when(app.created_at)} · updated ${when(app.updated_at)}`));
}

function configurationCard(app, onAppChanged) {
  const lt = app.token_lifetimes || {};
  const num = (v) => h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', value: v ?? '' });
  const lifetimeInputs = Object.fromEntries(LIFETIMES.map(([k]) => [k, num(lt[k])]));
  const name = h('input', { type: 'text', value: app.name, required: true });
  const idAlg = select('id_token_signed_response_alg', ALGS, app.id_token_signed_response_alg);
  const atAlg = select('access_token_signed_response_alg', AT_ALGS, app.access_token_signed_response_alg || 'RS256');
  const method = select('token_endpoint_auth_method', AUTH_METHODS, app.token_endpoint_auth_method);
  const redirects = h('textarea', { rows: '3', spellcheck: 'false', class: 'mono' });
  redirects.value = (app.redirect_uris || []).join('\n');
  const hosts = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
  hosts.value = (app.custom_domains || []).join('\n');
  const logouts = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
  logouts.value = (app.post_logout_redirect_uris || []).join('\n');
  const perms = h('input', { type: 'text', spellcheck: 'false', class: 'mono', value: (app.permissions || []).join(' ') });
  const grace = h('input', { type: 'number', min: '0', max: '60', step: '1', inputmode: 'numeric', value: app.refresh_token_grace_seconds ?? 0 });
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', id: 'configuration', 'aria-labelledby': 'config-title', novalidate: true },
    h('h2', { id: 'config-title' }, 'Configuration'),
    formError(),
    field('Application name', 'name', name),
    checkGroup('Authorization modes', 'grant_types', GRANT_TYPES, app.grant_types || []),
    checkGroup('Return types', 'response_types', RESPONSE_TYPES, app.response_types || []),
    h('div', { class: 'grid2' },
      field('id_token signature algorithm', 'id_token_signed_response_alg', idAlg),
      field('Access token signature algorithm', 'access_token_signed_response_alg', atAlg)),
    field('Token endpoint authentication method', 'token_endpoint_auth_method', method),
    h('div', { class: 'checks-inline' },
      checkbox('Require PKCE (S256) for every code request', 'require_pkce', app.require_pkce),
      checkbox('Skip the consent page (first-party application)', 'skip_consent', app.skip_consent),
      checkbox('Accept token requests with parameters in the query string (legacy; secrets in URLs reach logs)', 'token_params_in_query', app.token_params_in_query !== false)),
    h('fieldset', { class: 'lifetimes', dataset: { field: 'token_lifetimes' } },
      h('legend', {}, 'Token lifetimes (seconds)'),
      h('div', { class: 'grid4' }, LIFETIMES.map(([k, label]) => field(label, `token_lifetimes.${k}`, lifetimeInputs[k]))),
      h('p', { class: 'field-error', dataset: { errorFor: 'token_lifetimes' } })),
    field('Refresh token reuse grace (seconds)', 'refresh_token_grace_seconds', grace,
      '0 (recommended): a refresh token used twice revokes its whole family. Up to 60: a client that retried a lost answer is honoured once.'),
    field('Callback URLs', 'redirect_uris', redirects, 'One per line. Matched exactly.'),
    field('Logout URLs', 'post_logout_redirect_uris', logouts, 'One per line: where users may be sent after signing out.'),
    field('Custom domains', 'custom_domains', hosts, 'One host per line (e.g. login.shop.example): each is an issuer https://{host}/oidc. Point it at Doorward as a custom hostname first (see the README).'),
    field('Permissions for client credentials', 'permissions', perms, 'resource:action entries, separated by spaces, that the application itself holds.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'save-config' }, 'Save')),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    status.hidden = true;
    const checked = (n) => [...form.querySelectorAll(`input[name="${n}"]:checked`)].map((i) => i.value);
    const lifetimes = {};
    for (const [k] of LIFETIMES) {
      const v = lifetimeInputs[k].value.trim();
      lifetimes[k] = v === '' ? v : Number(v);
    }
    const body = {
      name: name.value.trim(),
      grant_types: checked('grant_types'),
      response_types: checked('response_types'),
      id_token_signed_response_alg: idAlg.value,
      access_token_signed_response_alg: atAlg.value,
      token_endpoint_auth_method: method.value,
      require_pkce: form.querySelector('input[name="require_pkce"]').checked,
      skip_consent: form.querySelector('input[name="skip_consent"]').checked,
      token_params_in_query: form.querySelector('input[name="token_params_in_query"]').checked,
      token_lifetimes: lifetimes,
      refresh_token_grace_seconds: grace.value.trim() === '' ? 0 : Number(grace.value),
      redirect_uris: lines(redirects.value),
      post_logout_redirect_uris: lines(logouts.value),
      custom_domains: lines(hosts.value),
      permissions: words(perms.value),
    };
    try {
      const updated = await patch(`/api/v1/applications/${enc(app.client_id)}`, body);
      onAppChanged(updated);
      const again = document.querySelector('#configuration .flash');
      if (again) flash(again, 'Saved.');
      document.getElementById('save-config')?.focus();
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}

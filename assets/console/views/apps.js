// Applications: the list, "Create application" (name, subdomain, callback URL, as in the
// hosted service's guide), and an application's page with its credentials and endpoints, the
// Configuration card, its clients, dynamic registration, and the Try-it panel. The
// Configuration card and the endpoint rows serve a client's page too (views/client.js).
// The pick lists below are checked against the server's enums (src/console_lists_tests.rs).

import {
  h, replace, field, checkbox, checkGroup, select, formError, showErrors, clearErrors,
  flash, copyRow, lines, words, describe, when,
} from '../dom.js';
import { get, post, patch, del, enc, currentPool } from '../api.js';
import { tryItCard } from '../tryit.js';
import { secretRow } from '../secret.js';
import { clientsCard } from './clients.js';
import { registrationCard } from './registration.js';

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

export const ALGS = [['RS256', 'RS256'], ['HS256', 'HS256 (client secret)'], ['ES256', 'ES256'], ['PS256', 'PS256'], ['EdDSA', 'EdDSA (Ed25519)']];
const AT_ALGS = ALGS.filter(([a]) => a !== 'HS256');
export const AUTH_METHODS = [
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
  // These two cards keep their own state (lists, a secret shown once) across re-renders.
  const clients = await clientsCard(app);
  const registration = registrationCard(app, (updated) => { app = updated; });
  const onAppChanged = (updated, focusId) => {
    app = updated;
    clients.refresh();
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
      configurationCard(app, onAppChanged, { path: `/api/v1/applications/${enc(app.client_id)}`, application: true })),
    clients.card,
    registration,
    tryItCard(app, onAppChanged));
  render();
}

function credentialsCard(app) {
  const [secret, status] = secretRow(`/api/v1/applications/${enc(app.client_id)}`);
  return h('section', { class: 'card', 'aria-labelledby': 'creds-title', id: 'credentials' },
    h('h2', { id: 'creds-title' }, 'Credentials and endpoints'),
    copyRow('Client id', app.client_id, { key: 'client-id' }),
    secret,
    status,
    endpointRows(app.issuer),
    h('p', { class: 'muted small' }, `Pool ${app.pool_id} · created ${when(app.created_at)} · updated ${when(app.updated_at)}`));
}

/** The issuer's endpoints, each with a copy button (the same for every client of an application). */
export function endpointRows(iss) {
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
  return endpoints.map(([label, url, key]) => copyRow(label, url, { key }));
}

// Keys and signatures a client registers (OIDC Registration §2): '' sends null, "not set".
const SIGNED_BY = [['', '(any supported)'], ['RS256', 'RS256'], ['PS256', 'PS256'], ['ES256', 'ES256'], ['EdDSA', 'EdDSA'], ['HS256', 'HS256 (client secret)']];
const REQUEST_OBJECT_ALGS = [...SIGNED_BY, ['none', 'none (unsigned request objects)']];
const USERINFO_ALGS = [['', '(plain JSON)'], ...SIGNED_BY.slice(1)];
const SUBJECT_TYPES = [['public', 'public (one sub per user)'], ['pairwise', 'pairwise (one sub per user and sector)']];

/** The client's keys, signature algorithms and subject type, in a fieldset of the card. */
function keysFieldset(app) {
  const jwksUri = h('input', { type: 'url', spellcheck: 'false', class: 'mono', value: app.jwks_uri || '', placeholder: 'https://' });
  const jwks = h('textarea', { rows: '3', spellcheck: 'false', class: 'mono', placeholder: '{"keys": [...]}' });
  jwks.value = app.jwks ? JSON.stringify(app.jwks) : '';
  const assertionAlg = select('token_endpoint_auth_signing_alg', SIGNED_BY, app.token_endpoint_auth_signing_alg || '');
  const requestAlg = select('request_object_signing_alg', REQUEST_OBJECT_ALGS, app.request_object_signing_alg || '');
  const userinfoAlg = select('userinfo_signed_response_alg', USERINFO_ALGS, app.userinfo_signed_response_alg || '');
  const subjectType = select('subject_type', SUBJECT_TYPES, app.subject_type || 'public');
  const sector = h('input', { type: 'url', spellcheck: 'false', class: 'mono', value: app.sector_identifier_uri || '', placeholder: 'https://' });
  const el = h('fieldset', { class: 'stack' },
    h('legend', {}, 'Keys, signatures and subjects'),
    field('JWKS URL', 'jwks_uri', jwksUri, 'Where the client publishes its public keys (private_key_jwt, signed request objects).'),
    field('JWKS', 'jwks', jwks, 'Or the public keys themselves, as a JWK set.'),
    h('div', { class: 'grid2' },
      field('Client assertions signed with', 'token_endpoint_auth_signing_alg', assertionAlg),
      field('Request objects signed with', 'request_object_signing_alg', requestAlg)),
    h('div', { class: 'grid2' },
      field('Userinfo answers', 'userinfo_signed_response_alg', userinfoAlg),
      field('Subject identifiers', 'subject_type', subjectType)),
    field('Sector identifier URL', 'sector_identifier_uri', sector, 'For pairwise subjects across several callback hosts: an https JSON list of the callback URLs.'));
  /** The fields for the PATCH body; throws a field error for JWKS that is not JSON. */
  el.values = () => {
    let set = null;
    if (jwks.value.trim()) {
      try { set = JSON.parse(jwks.value); } catch { throw { status: 400, body: { fields: { jwks: 'is not JSON' } } }; }
    }
    return {
      jwks_uri: jwksUri.value.trim() || null,
      jwks: set,
      token_endpoint_auth_signing_alg: assertionAlg.value || null,
      request_object_signing_alg: requestAlg.value || null,
      userinfo_signed_response_alg: userinfoAlg.value || null,
      subject_type: subjectType.value,
      sector_identifier_uri: sector.value.trim() || null,
    };
  };
  return el;
}

const CLIENT_URIS = [
  ['logo_uri', 'Logo URL', 'Shown on the consent page.'],
  ['client_uri', 'Home page URL', null],
  ['policy_uri', 'Privacy policy URL', null],
  ['tos_uri', 'Terms of service URL', null],
];

/**
 * The Configuration card of a client. `opts.path` is where it PATCHes; `opts.application`
 * adds the application's own fields (name, custom domains), otherwise the card carries the
 * client's (client name, application type, the https URIs shown on the consent page).
 * `onChanged(updated)` gets the API's answer.
 */
export function configurationCard(app, onChanged, opts) {
  const own = opts.application ? 'application' : 'client';
  const lt = app.token_lifetimes || {};
  const num = (v) => h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', value: v ?? '' });
  const lifetimeInputs = Object.fromEntries(LIFETIMES.map(([k]) => [k, num(lt[k])]));
  const name = opts.application
    ? h('input', { type: 'text', value: app.name, required: true })
    : h('input', { type: 'text', value: app.client_name || '', maxlength: '100' });
  const appType = opts.application ? null
    : select('application_type', [['web', 'Web (https callbacks)'], ['native', 'Native (app schemes, loopback)']], app.application_type || 'web');
  const uris = opts.application ? {}
    : Object.fromEntries(CLIENT_URIS.map(([k]) => [k, h('input', { type: 'url', spellcheck: 'false', class: 'mono', value: app[k] || '', placeholder: 'https://' })]));
  const idAlg = select('id_token_signed_response_alg', ALGS, app.id_token_signed_response_alg);
  const atAlg = select('access_token_signed_response_alg', AT_ALGS, app.access_token_signed_response_alg || 'RS256');
  const method = select('token_endpoint_auth_method', AUTH_METHODS, app.token_endpoint_auth_method);
  const redirects = h('textarea', { rows: '3', spellcheck: 'false', class: 'mono' });
  redirects.value = (app.redirect_uris || []).join('\n');
  const hosts = opts.application ? h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' }) : null;
  if (hosts) hosts.value = (app.custom_domains || []).join('\n');
  const logouts = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
  logouts.value = (app.post_logout_redirect_uris || []).join('\n');
  const perms = h('input', { type: 'text', spellcheck: 'false', class: 'mono', value: (app.permissions || []).join(' ') });
  const grace = h('input', { type: 'number', min: '0', max: '60', step: '1', inputmode: 'numeric', value: app.refresh_token_grace_seconds ?? 0 });
  const keys = keysFieldset(app);
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', id: 'configuration', 'aria-labelledby': 'config-title', novalidate: true },
    h('h2', { id: 'config-title' }, 'Configuration'),
    formError(),
    opts.application
      ? field('Application name', 'name', name)
      : h('div', { class: 'grid2' },
        field('Client name', 'client_name', name, 'Shown on the consent page; empty for none.'),
        field('Application type', 'application_type', appType)),
    checkGroup('Authorization modes', 'grant_types', GRANT_TYPES, app.grant_types || []),
    checkGroup('Return types', 'response_types', RESPONSE_TYPES, app.response_types || []),
    h('div', { class: 'grid2' },
      field('id_token signature algorithm', 'id_token_signed_response_alg', idAlg),
      field('Access token signature algorithm', 'access_token_signed_response_alg', atAlg)),
    field('Token endpoint authentication method', 'token_endpoint_auth_method', method),
    h('div', { class: 'checks-inline' },
      checkbox('Require PKCE (S256) for every code request', 'require_pkce', app.require_pkce),
      checkbox(`Skip the consent page (first-party ${own})`, 'skip_consent', app.skip_consent),
      checkbox('Accept token requests with parameters in the query string (legacy; secrets in URLs reach logs)', 'token_params_in_query', app.token_params_in_query !== false)),
    opts.application ? h('div', { class: 'checks-inline', id: 'sign-in-requirements' },
      checkbox('Require a second factor at every sign-in (acr urn:doorward:acr:mfa)', 'require_mfa', app.require_mfa),
      checkbox('Require a phishing-resistant factor: a passkey (acr urn:doorward:acr:phishing-resistant)', 'require_phishing_resistant', app.require_phishing_resistant)) : null,
    h('fieldset', { class: 'lifetimes', dataset: { field: 'token_lifetimes' } },
      h('legend', {}, 'Token lifetimes (seconds)'),
      h('div', { class: 'grid4' }, LIFETIMES.map(([k, label]) => field(label, `token_lifetimes.${k}`, lifetimeInputs[k]))),
      h('p', { class: 'field-error', dataset: { errorFor: 'token_lifetimes' } })),
    field('Refresh token reuse grace (seconds)', 'refresh_token_grace_seconds', grace,
      '0 (recommended): a refresh token used twice revokes its whole family. Up to 60: a client that retried a lost answer is honoured once.'),
    field('Callback URLs', 'redirect_uris', redirects, 'One per line. Matched exactly.'),
    field('Logout URLs', 'post_logout_redirect_uris', logouts, 'One per line: where users may be sent after signing out.'),
    hosts ? field('Custom domains', 'custom_domains', hosts, 'One host per line (e.g. login.shop.example): each is an issuer https://{host}/oidc. Point it at Doorward as a custom hostname first (see the README).') : null,
    field('Permissions for client credentials', 'permissions', perms, `resource:action entries, separated by spaces, that the ${own} itself holds.`),
    opts.application ? null : h('div', { class: 'grid2' },
      CLIENT_URIS.map(([k, label, hint]) => field(label, k, uris[k], hint || 'https only; empty for none.'))),
    keys,
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
      permissions: words(perms.value),
    };
    if (opts.application) {
      body.name = name.value.trim();
      body.custom_domains = lines(hosts.value);
      body.require_mfa = form.querySelector('input[name="require_mfa"]').checked;
      body.require_phishing_resistant = form.querySelector('input[name="require_phishing_resistant"]').checked;
    } else {
      // Empty means none: null clears a field the API would refuse as an empty string.
      body.client_name = name.value.trim() || null;
      body.application_type = appType.value;
      for (const [k] of CLIENT_URIS) body[k] = uris[k].value.trim() || null;
    }
    try {
      Object.assign(body, keys.values());
      const updated = await patch(opts.path, body);
      onChanged(updated);
      const again = document.querySelector('#configuration .flash');
      if (again) flash(again, 'Saved.');
      document.getElementById('save-config')?.focus();
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}

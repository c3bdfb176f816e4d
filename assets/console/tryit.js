// The "Try it" panel of a client (an application's primary client or any other of its
// clients): runs one of the five modes against it and shows each step. Browser modes (code +
// PKCE, implicit, hybrid) navigate to the authorization endpoint and finish in callback.html;
// client credentials and password post straight to the token endpoint from here. A public
// client is never asked for a secret: its code is bound to this tab by PKCE alone.

import { h, replace, field, select, copyRow, describe, formError, words } from './dom.js';
import { patch } from './api.js';
import { randomB64url, pkceChallenge } from './jwt.js';
import {
  FLOW_KEY, tryItCallback, clientApiPath, fetchSecret, needsSecret, tokenRequest, sendToken, fetchJwks,
  step, pre, shownRequest, paramsTable, renderTokens, verdict,
} from './flow.js';

const MODES = [
  ['code', 'Authorization code with PKCE'],
  ['implicit', 'Implicit'],
  ['hybrid', 'Hybrid'],
  ['client_credentials', 'Client credentials'],
  ['password', 'Password'],
];

const RESPONSE_TYPES = {
  code: ['code'],
  implicit: ['id_token token', 'id_token'],
  hybrid: ['code id_token', 'code token', 'code id_token token'],
};

const NEEDS_GRANTS = {
  code: ['authorization_code'],
  implicit: ['implicit'],
  hybrid: ['authorization_code', 'implicit'],
  client_credentials: ['client_credentials'],
  password: ['password'],
};

/**
 * The panel. `app` is the application record (its primary client), or another client's item
 * with `application_id`, `issuer` and `name` (what the page calls it) added. `onAppChanged`
 * gets the API's answer when the panel edits the client, to re-render the page.
 */
export function tryItCard(app, onAppChanged) {
  const body = h('div', { class: 'tryit-body' });
  const modeSelect = select('mode', MODES, 'code');
  modeSelect.id = 'tryit-mode';
  const card = h('section', { class: 'card', id: 'try-it', 'aria-labelledby': 'try-it-title' },
    h('h2', { id: 'try-it-title' }, 'Try it'),
    h('p', { class: 'muted' }, `Run a sign-in against this ${noun(app)} and watch every step: the request, the redirect, the token response, and the tokens decoded with their signatures checked.`),
    isPublic(app) ? h('p', { class: 'notice', id: 'tryit-public' }, 'A public client: no secret is sent; the code is bound to this tab by PKCE.') : null,
    field('Mode', 'mode', modeSelect),
    body);
  const render = () => renderMode(body, app, modeSelect.value, onAppChanged);
  modeSelect.addEventListener('change', render);
  render();
  return card;
}

/** The application's id, for a primary client and any other alike. */
function appIdOf(app) {
  return app.application_id || app.client_id;
}

/** What the panel calls its client: "application" for a primary client, as before. */
function noun(app) {
  return appIdOf(app) === app.client_id ? 'application' : 'client';
}

function isPublic(app) {
  return !needsSecret(app.token_endpoint_auth_method, app.id_token_signed_response_alg, app.has_secret);
}

function renderMode(body, app, mode, onAppChanged) {
  const missing = NEEDS_GRANTS[mode].filter((g) => !app.grant_types.includes(g));
  const warn = missing.length
    ? h('p', { class: 'notice warn' }, `This ${noun(app)} does not allow ${missing.join(' and ')}: tick it in the Configuration card first, or run anyway to see the error.`)
    : null;
  if (mode === 'client_credentials' || mode === 'password') {
    replace(body, warn, directForm(app, mode));
  } else {
    replace(body, warn, browserForm(app, mode, onAppChanged));
  }
}

function browserForm(app, mode, onAppChanged) {
  const cb = tryItCallback();
  const allowedTypes = RESPONSE_TYPES[mode];
  const preferred = allowedTypes.find((t) => app.response_types.includes(t)) || allowedTypes[0];
  const rt = select('response_type', allowedTypes.map((t) => [t, t]), preferred);
  const scope = h('input', { type: 'text', value: 'openid profile email', spellcheck: 'false' });
  const prompt = select('prompt', [['', '(none)'], ['login', 'login'], ['consent', 'consent']], '');
  // acr_values: the authentication class to ask for (discovery's acr_values_supported).
  const acr = select('acr_values', [
    ['', '(any)'],
    ['urn:doorward:acr:pwd', 'Password'],
    ['urn:doorward:acr:mfa', 'Multi-factor'],
    ['urn:doorward:acr:phishing-resistant', 'Phishing-resistant (passkey)'],
  ], '');
  acr.id = 'tryit-acr';
  const out = h('div', { class: 'tryit-out', 'aria-live': 'polite' });
  const registered = app.redirect_uris.includes(cb);
  const addCb = registered ? null : h('div', { class: 'notice' },
    h('p', {}, 'Browser modes return to ', h('code', {}, cb), `, which is not among this ${noun(app)}'s callback URLs.`),
    h('button', { type: 'button', id: 'tryit-add-callback', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        const updated = await patch(clientApiPath(app.client_id, appIdOf(app)), { redirect_uris: [...app.redirect_uris, cb] });
        onAppChanged(updated, 'try-it');
      } catch (e) {
        ev.target.disabled = false;
        replace(out, h('p', { class: 'notice error', role: 'alert' }, describe(e)));
      }
    } }, `Add Try-it callback to this ${noun(app)}`));
  const form = h('form', { class: 'stack', novalidate: true },
    addCb,
    h('div', { class: 'grid2' },
      field('Response type', 'response_type', rt),
      field('Prompt', 'prompt', prompt)),
    field('Authentication level', 'acr_values', acr, 'Sent as acr_values; the id_token states the acr and amr reached.'),
    field('Scope', 'scope', scope, 'Space-separated; add offline_access with prompt=consent for a refresh token.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'tryit-build', class: 'secondary' }, 'Build request'),
      h('button', { type: 'submit', id: 'tryit-start' }, 'Start sign-in')),
    out);
  const build = async () => {
    const flow = {
      mode,
      clientId: app.client_id,
      appId: appIdOf(app),
      appName: app.name,
      hasSecret: app.has_secret,
      issuer: app.issuer,
      authMethod: app.token_endpoint_auth_method,
      idTokenAlg: app.id_token_signed_response_alg,
      responseType: rt.value,
      redirectUri: cb,
      state: randomB64url(16),
      nonce: randomB64url(16),
      verifier: rt.value.includes('code') ? randomB64url(32) : null,
      startedAt: Date.now(),
    };
    const params = new URLSearchParams({
      client_id: flow.clientId,
      redirect_uri: flow.redirectUri,
      response_type: flow.responseType,
      scope: scope.value.trim() || 'openid',
      state: flow.state,
      nonce: flow.nonce,
    });
    if (flow.verifier) {
      params.set('code_challenge', await pkceChallenge(flow.verifier));
      params.set('code_challenge_method', 'S256');
    }
    if (prompt.value) params.set('prompt', prompt.value);
    if (acr.value) params.set('acr_values', acr.value);
    flow.authorizeUrl = `${app.issuer}/auth?${params}`;
    replace(out, step('1. Authorization request',
      paramsTable(params, `GET ${app.issuer}/auth`),
      copyRow('Authorization URL', flow.authorizeUrl, { key: 'authorize-url' }),
      flow.verifier ? h('p', { class: 'muted' }, 'The PKCE code_verifier stays in this tab (sessionStorage) until the callback redeems the code.') : null));
    return flow;
  };
  form.querySelector('#tryit-build').addEventListener('click', () => { build(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const flow = await build();
    sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
    location.assign(flow.authorizeUrl);
  });
  return form;
}

function directForm(app, mode) {
  const scope = h('input', { type: 'text', spellcheck: 'false', value: mode === 'password' ? 'openid profile email' : '' });
  const user = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password' });
  const resource = h('input', { type: 'url', spellcheck: 'false' });
  const out = h('div', { class: 'tryit-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', novalidate: true },
    mode === 'password' ? h('div', { class: 'grid2' },
      field('Username', 'username', user),
      field('Password', 'password', pass)) : null,
    field('Scope', 'scope', scope, mode === 'password'
      ? 'Add offline_access for a refresh token.'
      : 'resource:action permissions the application holds, space-separated (may be empty).'),
    mode === 'client_credentials' ? field('Resource (optional)', 'resource', resource, 'RFC 8707 resource indicator: the URI of a resource.') : null,
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'tryit-run' }, 'Request tokens')),
    out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(out, h('p', { class: 'muted' }, 'Requesting…'));
    const flow = { clientId: app.client_id, appId: appIdOf(app), issuer: app.issuer, authMethod: app.token_endpoint_auth_method };
    const params = { grant_type: mode };
    if (scope.value.trim()) params.scope = scope.value.trim();
    if (mode === 'password') { params.username = user.value; params.password = pass.value; }
    if (mode === 'client_credentials' && resource.value.trim()) params.resource = resource.value.trim();
    try {
      const secret = isPublic(app) ? null : await fetchSecret(app.client_id, appIdOf(app));
      const req = tokenRequest(flow, params, secret);
      replace(out, step('1. Token request', shownRequest(req.shown)));
      const res = await sendToken(req);
      out.append(step(`2. Token response (HTTP ${res.status})`, pre(res.json, 'token response')));
      if (res.status !== 200) {
        verdict(out.appendChild(h('div')), 1);
        return;
      }
      const jwks = await fetchJwks(app.issuer);
      const decodedStep = step('3. Tokens decoded and checked');
      out.append(decodedStep);
      const scopeGranted = words(res.json.scope || params.scope || '');
      const failed = await renderTokens(decodedStep, [
        { label: 'id_token', kind: 'id_token', token: res.json.id_token,
          expect: { issuer: app.issuer, audience: app.client_id, accessToken: res.json.access_token } },
        { label: 'access_token', kind: 'access_token', token: res.json.access_token,
          expect: { issuer: app.issuer, audience: mode === 'client_credentials' && (params.resource || scopeGranted.length) ? undefined : app.client_id } },
      ], { jwks, secret });
      if (res.json.refresh_token) decodedStep.append(h('p', { class: 'muted' }, 'A refresh token was issued (opaque).'));
      verdict(out.appendChild(h('div')), failed);
    } catch (e) {
      out.append(h('p', { class: 'notice error', role: 'alert' }, describe(e)));
    }
  });
  return form;
}

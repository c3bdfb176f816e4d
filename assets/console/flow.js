// The Try-it flow shared by the console panel and callback.html: token endpoint requests with
// the client's own authentication (the application's primary client or any other of its
// clients), the JWKS, and the rendering of each step (request sent, response received, tokens
// decoded and checked).

import { h, replace } from './dom.js';
import { get, enc } from './api.js';
import { checkToken } from './jwt.js';

export const FLOW_KEY = 'dw.tryit.flow';

/** The redirect URI the Try-it panel registers and listens on. */
export function tryItCallback() {
  return `${location.origin}/console/callback.html`;
}

/**
 * The admin API path of a client: the application's own for its primary client (whose id is
 * the application's), `…/clients/{client_id}` for any other. Without `appId` (a flow record
 * saved before clients existed) the client is taken as primary.
 */
export function clientApiPath(clientId, appId) {
  return !appId || appId === clientId
    ? `/api/v1/applications/${enc(clientId)}`
    : `/api/v1/applications/${enc(appId)}/clients/${enc(clientId)}`;
}

/** The console hash of a client's page: the application's page for its primary client. */
export function clientPageHash(clientId, appId) {
  return !appId || appId === clientId
    ? `#/apps/${enc(clientId)}`
    : `#/apps/${enc(appId)}/clients/${enc(clientId)}`;
}

/** The client secret, fetched from the admin API on demand (never kept in storage). */
export async function fetchSecret(clientId, appId) {
  const r = await get(`${clientApiPath(clientId, appId)}/secret`);
  return r.client_secret;
}

/**
 * Whether the token endpoint needs the client secret: not for a public client (PKCE alone),
 * unless its id_token is HS256 (which the server refuses for public clients anyway).
 */
export function needsSecret(authMethod, idTokenAlg, hasSecret) {
  if (hasSecret === false) return false;
  return authMethod !== 'none' || idTokenAlg === 'HS256';
}

/** Builds the token request with the app's auth method; returns {url, init, shown}. */
export function tokenRequest(flow, params, secret) {
  const body = new URLSearchParams(params);
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const shownHeaders = { ...headers };
  const method = flow.authMethod || 'client_secret_basic';
  if (method === 'client_secret_basic' && secret) {
    // RFC 6749 §2.3.1: form-encode id and secret before base64.
    const cred = `${formEncode(flow.clientId)}:${formEncode(secret)}`;
    headers.Authorization = `Basic ${btoa(cred)}`;
    shownHeaders.Authorization = 'Basic base64(client_id:client_secret)';
  } else if (method === 'client_secret_post' && secret) {
    body.set('client_id', flow.clientId);
    body.set('client_secret', secret);
  } else {
    body.set('client_id', flow.clientId);
  }
  const shownBody = new URLSearchParams(body);
  if (shownBody.has('client_secret')) shownBody.set('client_secret', '••••••');
  if (shownBody.has('password')) shownBody.set('password', '••••••');
  const url = `${flow.issuer}/token`;
  return {
    url,
    init: { method: 'POST', headers, body: body.toString(), credentials: 'omit', cache: 'no-store' },
    shown: { method: 'POST', url, headers: shownHeaders, body: shownBody.toString() },
  };
}

function formEncode(s) {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

/** Sends a token request; returns {status, json}. */
export async function sendToken(req) {
  const resp = await fetch(req.url, req.init);
  const text = await resp.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { raw: text.slice(0, 2000) }; }
  return { status: resp.status, json };
}

export async function fetchJwks(issuer) {
  const resp = await fetch(`${issuer}/.well-known/jwks.json`, { credentials: 'omit', cache: 'no-store' });
  if (!resp.ok) throw new Error(`JWKS: HTTP ${resp.status}`);
  return resp.json();
}

/** One step of the flow, as a titled section. */
export function step(title, ...children) {
  return h('section', { class: 'step' }, h('h3', {}, title), children);
}

export function pre(value, label) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': label || 'code' }, text);
}

export function shownRequest(shown) {
  const lines = [`${shown.method} ${shown.url}`];
  for (const [k, v] of Object.entries(shown.headers || {})) lines.push(`${k}: ${v}`);
  if (shown.body) lines.push('', shown.body.split('&').join('\n&'));
  return pre(lines.join('\n'), 'request sent');
}

export function paramsTable(params, caption) {
  const rows = [...params.entries()];
  return h('table', { class: 'params' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'Value'))),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, v)))));
}

/** Renders the checks of one token as a ✓/✗ list. */
export function checkList(checks) {
  return h('ul', { class: 'checks-list' }, checks.map((c) => h('li', {
    class: c.ok ? 'pass' : 'fail', dataset: { check: c.name, ok: String(c.ok) },
  }, h('span', { class: 'mark', 'aria-hidden': 'true' }, c.ok ? '✓' : '✗'),
  h('span', { class: 'visually-hidden' }, c.ok ? 'passed: ' : 'failed: '),
  h('strong', {}, c.name), ' ', h('span', { class: 'muted' }, c.detail || ''))));
}

/**
 * Decodes and checks each token present. `tokens` is a list of {label, kind, token, expect}.
 * `keys` is {jwks, secret}. Appends one block per token to `container`; resolves to the
 * number of failed checks.
 */
export async function renderTokens(container, tokens, keys) {
  let failed = 0;
  for (const t of tokens) {
    if (!t.token) continue;
    const block = h('div', { class: 'token', dataset: { token: t.label } }, h('h4', {}, t.label));
    container.append(block);
    const { decoded, checks } = await checkToken(t.token, t.kind, t.expect || {}, keys);
    if (!decoded) {
      if (t.kind === 'access_token') {
        block.append(h('p', { class: 'muted' }, 'Opaque token (not a JWT): nothing to decode.'));
        continue;
      }
      failed += 1;
      block.append(checkList(checks));
      continue;
    }
    failed += checks.filter((c) => !c.ok).length;
    // How the user signed in (OIDC Core §2, RFC 8176), stated by the id_token.
    const p = decoded.payload || {};
    const context = t.kind === 'id_token' && p.acr
      ? h('p', { class: 'auth-context', dataset: { acr: p.acr, amr: (p.amr || []).join(' ') } },
        'Signed in at ', h('code', {}, p.acr), ' with ', h('code', {}, (p.amr || []).join(', ') || '(no amr)'),
        p.auth_time ? ` · auth_time ${new Date(p.auth_time * 1000).toISOString()}` : '')
      : null;
    block.append(
      context,
      checkList(checks),
      h('div', { class: 'jwt-parts' },
        h('div', {}, h('h5', {}, 'Header'), pre(decoded.header, `${t.label} header`)),
        h('div', {}, h('h5', {}, 'Payload'), pre(decoded.payload, `${t.label} payload`))));
  }
  return failed;
}

/** Shows the final verdict line of a flow. */
export function verdict(el, failed) {
  replace(el, failed === 0
    ? h('p', { class: 'verdict pass', role: 'status' }, '✓ All checks passed')
    : h('p', { class: 'verdict fail', role: 'status' }, `✗ ${failed} check${failed === 1 ? '' : 's'} failed`));
}

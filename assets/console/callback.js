// callback.html: the Try-it redirect URI. Reads the authorization response from the query or
// the fragment, checks state and iss (RFC 9207), redeems the code (PKCE verifier and the
// client's own authentication: none for a public client), then decodes and checks every token
// it received. The flow record names the client and its application.

import { h, replace, describe } from './dom.js';
import { restore } from './api.js';
import {
  FLOW_KEY, fetchSecret, needsSecret, clientPageHash, tokenRequest, sendToken, fetchJwks,
  step, pre, shownRequest, paramsTable, checkList, renderTokens, verdict,
} from './flow.js';

const out = document.getElementById('flow');

async function main() {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const received = location.href;
  // Tokens must not linger in the address bar or history.
  history.replaceState(null, '', location.pathname);

  const raw = sessionStorage.getItem(FLOW_KEY);
  sessionStorage.removeItem(FLOW_KEY); // state, nonce and verifier are single-use
  const flow = raw ? JSON.parse(raw) : null;
  if (!flow) {
    replace(out, h('p', { class: 'notice warn' }, 'No Try-it sign-in is pending in this tab. Start one from an application\'s Try it panel.'),
      h('p', {}, h('a', { href: '/#/apps' }, 'Back to applications')));
    return;
  }
  const back = h('p', {}, h('a', { href: `/${clientPageHash(flow.clientId, flow.appId)}`, id: 'back-to-app' }, `Back to ${flow.appName || flow.clientId}`));
  const params = fragment.toString() ? fragment : query;
  const where = fragment.toString() ? 'fragment' : 'query';
  replace(out,
    step('1. Authorization request', pre(flow.authorizeUrl, 'authorization request')),
    step(`2. Redirect received (in the ${where})`, pre(received, 'redirect URL'), paramsTable(params)));

  const redirectChecks = [
    { name: 'state', ok: params.get('state') === flow.state, detail: 'matches the value this tab sent' },
  ];
  if (params.has('iss')) {
    redirectChecks.push({ name: 'iss (RFC 9207)', ok: params.get('iss') === flow.issuer, detail: params.get('iss') });
  }
  out.lastChild.append(checkList(redirectChecks));
  let failed = redirectChecks.filter((c) => !c.ok).length;
  const verdictEl = h('div');

  if (params.has('error')) {
    out.append(h('p', { class: 'notice error', role: 'alert' },
      `The provider answered ${params.get('error')}: ${params.get('error_description') || ''}`), verdictEl, back);
    verdict(verdictEl, failed + 1);
    return;
  }

  const signedIn = await restore().catch(() => false);
  const needSecret = needsSecret(flow.authMethod, flow.idTokenAlg, flow.hasSecret);
  let secret = null;
  if (needSecret) {
    if (!signedIn) {
      out.append(h('p', { class: 'notice error' }, 'Sign in to the console in this browser: the callback fetches the client secret from the admin API.'), back);
      return;
    }
    secret = await fetchSecret(flow.clientId, flow.appId);
  }

  const code = params.get('code');
  const tokens = [];
  const fragIdToken = params.get('id_token');
  const fragAccess = params.get('access_token');
  if (fragIdToken) {
    tokens.push({ label: 'id_token (from the redirect)', kind: 'id_token', token: fragIdToken,
      expect: { issuer: flow.issuer, audience: flow.clientId, nonce: flow.nonce,
        accessToken: fragAccess, requireAtHash: Boolean(fragAccess), code, requireCHash: Boolean(code) } });
  }
  if (fragAccess) {
    tokens.push({ label: 'access_token (from the redirect)', kind: 'access_token', token: fragAccess,
      expect: { issuer: flow.issuer, audience: flow.clientId } });
  }

  if (code) {
    const tokenParams = { grant_type: 'authorization_code', code, redirect_uri: flow.redirectUri };
    if (flow.verifier) tokenParams.code_verifier = flow.verifier;
    const req = tokenRequest(flow, tokenParams, secret);
    out.append(step('3. Code exchanged at the token endpoint', shownRequest(req.shown)));
    const res = await sendToken(req);
    out.append(step(`4. Token response (HTTP ${res.status})`, pre(res.json, 'token response')));
    if (res.status !== 200) {
      out.append(verdictEl, back);
      verdict(verdictEl, failed + 1);
      return;
    }
    tokens.push({ label: 'id_token', kind: 'id_token', token: res.json.id_token,
      expect: { issuer: flow.issuer, audience: flow.clientId, nonce: flow.nonce, accessToken: res.json.access_token } });
    tokens.push({ label: 'access_token', kind: 'access_token', token: res.json.access_token,
      expect: { issuer: flow.issuer, audience: flow.clientId } });
  }

  const jwks = await fetchJwks(flow.issuer);
  const decoded = step(`${code ? 5 : 3}. Tokens decoded and checked`);
  out.append(decoded);
  failed += await renderTokens(decoded, tokens, { jwks, secret });
  out.append(verdictEl, back);
  verdict(verdictEl, failed);
}

main().catch((e) => {
  out.append(h('p', { class: 'notice error', role: 'alert' }, e.status !== undefined ? describe(e) : `Error: ${e.message}`));
});

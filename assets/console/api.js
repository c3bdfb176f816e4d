// The admin API client. The console authenticates with the HttpOnly `dw_admin` cookie set by
// /api/v1/console/login; every other call also carries the CSRF token that login (or /me)
// returned, so a cross-site page cannot drive the API with the administrator's cookie.

const POOL_KEY = 'dw.console.pool';

export const session = { username: null, csrf: null };

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message || (body && (body.error_description || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/** Listeners told when the session ends (a 401 from any call). */
const onSignedOut = new Set();
export function whenSignedOut(fn) { onSignedOut.add(fn); }

export function currentPool() {
  try { return localStorage.getItem(POOL_KEY) || 'default'; } catch { return 'default'; }
}

export function setPool(id) {
  try { localStorage.setItem(POOL_KEY, id); } catch { /* private mode: per page only */ }
}

/** `path` with `?pool_id=` (or `&pool_id=`) for the pool-scoped collections. */
export function pooled(path) {
  const sep = path.includes('?') ? '&' : '?';
  return `${path}${sep}pool_id=${encodeURIComponent(currentPool())}`;
}

/**
 * Calls the admin API. Resolves to the parsed JSON body (or null for 204); rejects with
 * ApiError carrying the status and the JSON error body.
 */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, {}, e.message);
  }
  const text = await resp.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = { error: text.slice(0, 200) }; }
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, json);
    const publicCall = path.startsWith('/api/v1/console/');
    if (resp.status === 401 && !publicCall && session.csrf) {
      session.csrf = null;
      session.username = null;
      for (const fn of onSignedOut) fn(err);
    }
    throw err;
  }
  return json;
}

/** GET a text answer (the audit export's JSON lines); rejects with ApiError like api(). */
export async function getText(path) {
  const headers = { Accept: 'application/x-ndjson, text/plain' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let resp;
  try {
    resp = await fetch(path, { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, {}, e.message);
  }
  const text = await resp.text();
  if (!resp.ok) {
    let body = {};
    try { body = JSON.parse(text); } catch { body = { error: text.slice(0, 200) }; }
    throw new ApiError(resp.status, body);
  }
  return text;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b ?? {});
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

/** Restores the session from the cookie: true when signed in. */
export async function restore() {
  try {
    const me = await api('GET', '/api/v1/console/me');
    session.username = me.username;
    session.csrf = me.csrf;
    return true;
  } catch (e) {
    if (e.status === 401) return false;
    throw e;
  }
}

export async function login(username, password) {
  const me = await api('POST', '/api/v1/console/login', { username, password });
  session.username = me.username;
  session.csrf = me.csrf;
  return me;
}

export async function logout() {
  try { await api('POST', '/api/v1/console/logout', {}); } finally {
    session.username = null;
    session.csrf = null;
  }
}

export const enc = encodeURIComponent;

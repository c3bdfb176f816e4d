// The audit log of the selected pool (or of the console's administrators): security events
// newest first, filtered by kind, user, client and time, paged with the log's cursor, and
// exported as JSON lines with the same filters. Events carry no secrets (the server never
// records any), and every value reaches the page as text.

import { h, replace, field, select, describe, when } from '../dom.js';
import { get, getText, currentPool, enc } from '../api.js';
import { FAILURE_REASONS } from './overview.js';

export const EVENT_KINDS = [
  ['sign_in_succeeded', 'Sign-in succeeded'],
  ['sign_in_failed', 'Sign-in failed'],
  ['account_locked', 'Account locked'],
  ['mfa_changed', 'MFA changed'],
  ['consent_given', 'Consent given'],
  ['consent_withdrawn', 'Consent withdrawn'],
  ['token_revoked', 'Token revoked'],
  ['refresh_token_reuse_detected', 'Refresh token reuse detected'],
  ['code_replay_detected', 'Code replay detected'],
  ['client_registered', 'Client registered'],
  ['admin_change', 'Administrative change'],
  ['token_issued', 'Token issued'],
];
const KIND_LABEL = Object.fromEntries(EVENT_KINDS);
const ALARMING = new Set(['sign_in_failed', 'account_locked', 'refresh_token_reuse_detected', 'code_replay_detected']);
const ADMINS = '__admins';
const FILTERS = ['kind', 'user_id', 'client_id', 'since', 'until'];

/** datetime-local value ↔ epoch seconds (the viewer's time zone). */
function toEpoch(local) {
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? '' : String(Math.floor(t / 1000));
}
function toLocal(epoch) {
  if (!epoch) return '';
  const d = new Date(Number(epoch) * 1000);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** What an event says, in one line. */
export function summary(e) {
  switch (e.kind) {
    case 'sign_in_succeeded': return `${e.method} via ${String(e.channel || '').replace(/_/g, ' ')}`;
    case 'sign_in_failed': return `${FAILURE_REASONS[e.reason] || e.reason}${e.login ? ` (“${e.login}”)` : ''} · ${e.method} via ${String(e.channel || '').replace(/_/g, ' ')}`;
    case 'account_locked': return `${e.lock === 'address' ? 'Address' : 'Account'} locked until ${when(e.until)}`;
    case 'consent_given': return `Scope: ${e.scope}`;
    case 'token_revoked': return `${String(e.revoked).replace(/_/g, ' ')} · ${String(e.reason).replace(/_/g, ' ')}`;
    case 'client_registered': return e.origin === 'dynamic' ? 'Registered itself (RFC 7591)' : 'Created by an administrator';
    case 'admin_change': return `${String(e.action).replace(/_/g, ' ')} ${String(e.target).replace(/_/g, ' ')} ${e.target_id}`;
    case 'token_issued': return `${e.grant_type}${e.response_type ? ` (${e.response_type})` : ''}${e.refresh_token_issued ? ' + refresh token' : ''}`;
    case 'mfa_changed': return e.change || '';
    default: return '';
  }
}

function row(e, pool) {
  const user = e.user_id
    ? (pool === currentPool() ? h('a', { href: `#/users/${enc(e.user_id)}`, class: 'mono' }, e.user_id) : h('span', { class: 'mono' }, e.user_id))
    : '—';
  const change = e.kind === 'admin_change' && (e.before || e.after)
    ? h('details', {}, h('summary', {}, 'Before and after'),
      h('pre', { class: 'code' }, JSON.stringify({ before: e.before ?? null, after: e.after ?? null }, null, 2)))
    : null;
  return h('tr', { dataset: { kind: e.kind, id: String(e.id) } },
    h('td', {}, when(e.time)),
    h('td', {}, h('span', { class: `pill ${ALARMING.has(e.kind) ? 'bad' : ''}` }, KIND_LABEL[e.kind] || e.kind)),
    h('td', { class: 'break' }, summary(e), change),
    h('td', {}, user),
    h('td', { class: 'mono break' }, e.client_id || '—'),
    h('td', { class: 'hide-sm' }, e.actor || '—', h('br'), h('span', { class: 'muted mono' }, e.ip || '')));
}

export async function auditView(el, ctx) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const pool = params.get('log') === 'admins' ? ADMINS : currentPool();
  const query = new URLSearchParams({ pool_id: pool });
  for (const k of FILTERS) if (params.get(k)) query.set(k, params.get(k));
  const page = await get(`/api/v1/audit?${query}&limit=50`);
  const items = page.items || [];

  const inputs = {
    kind: select('kind', [['', 'Any event'], ...EVENT_KINDS], params.get('kind') || ''),
    user_id: h('input', { type: 'text', value: params.get('user_id') || '', spellcheck: 'false', autocapitalize: 'none' }),
    client_id: h('input', { type: 'text', value: params.get('client_id') || '', spellcheck: 'false', autocapitalize: 'none' }),
    since: h('input', { type: 'datetime-local', value: toLocal(params.get('since')) }),
    until: h('input', { type: 'datetime-local', value: toLocal(params.get('until')) }),
  };
  const log = select('log', [['pool', `Pool ${currentPool()}`], ['admins', 'Console administrators']], pool === ADMINS ? 'admins' : 'pool');
  const form = h('form', { class: 'card stack', id: 'audit-filters', role: 'search', 'aria-label': 'Filter events' },
    h('div', { class: 'grid4' },
      field('Log', 'log', log),
      field('Event', 'kind', inputs.kind),
      field('User id', 'user_id', inputs.user_id),
      field('Client id', 'client_id', inputs.client_id),
      field('From', 'since', inputs.since),
      field('Until', 'until', inputs.until)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Filter'),
      h('a', { class: 'button secondary', href: '#/audit' }, 'Clear'),
      h('button', { type: 'button', class: 'secondary', id: 'audit-export' }, 'Export JSON lines'),
      h('span', { class: 'muted', id: 'export-status', role: 'status' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams();
    if (log.value === 'admins') next.set('log', 'admins');
    for (const k of ['kind', 'user_id', 'client_id']) if (inputs[k].value.trim()) next.set(k, inputs[k].value.trim());
    for (const k of ['since', 'until']) if (inputs[k].value) next.set(k, toEpoch(inputs[k].value));
    ctx.navigate(`#/audit?${next}`);
  });
  form.querySelector('#audit-export').addEventListener('click', async () => {
    const status = form.querySelector('#export-status');
    status.textContent = 'Exporting…';
    try {
      const text = await getText(`/api/v1/audit/export?${query}`);
      const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
      const a = h('a', { href: url, download: `doorward-audit-${pool}.jsonl`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      const n = text.split('\n').filter(Boolean).length;
      status.textContent = `Exported ${n} event${n === 1 ? '' : 's'}.`;
    } catch (e) { status.textContent = describe(e); }
  });

  const tbody = h('tbody', {}, items.map((e) => row(e, pool)));
  let cursor = page.next_cursor;
  const more = h('button', { type: 'button', class: 'secondary small', id: 'audit-more', hidden: !cursor }, 'Older events');
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await get(`/api/v1/audit?${query}&limit=50&cursor=${enc(cursor)}`);
      tbody.append(...(next.items || []).map((e) => row(e, pool)));
      cursor = next.next_cursor;
      more.hidden = !cursor;
    } catch (e) { window.alert(describe(e)); }
    more.disabled = false;
  });

  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit log'), h('span', { class: 'pill' }, pool === ADMINS ? 'administrators' : `pool ${pool}`)),
    h('p', { class: 'muted' }, `Security events, newest first, kept ${page.retention_days} days (the pool's audit retention). No event holds a password, secret, code or token.`),
    form,
    h('section', { class: 'card', 'aria-labelledby': 'audit-title' },
      h('h2', { id: 'audit-title' }, 'Events'),
      items.length === 0
        ? h('p', { class: 'muted', id: 'audit-empty' }, 'No events match.')
        : h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'audit-table' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Details'),
            h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Client'), h('th', { scope: 'col', class: 'hide-sm' }, 'By · address'))),
          tbody)),
      h('div', { class: 'pager' }, more)));
}

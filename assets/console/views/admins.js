// Administrators: the console's own accounts (the reserved `__admins` pool) and their console
// sessions. Revoking a session signs that browser out at once; blocking an administrator, or
// resetting their password, ends all of their sessions.

import { h, replace, describe, when } from '../dom.js';
import { get, patch, del, enc } from '../api.js';

const ADMINS = 'pool_id=__admins';

export async function adminsView(el, ctx) {
  const [{ items: admins }, { items: sessions }] = await Promise.all([
    get(`/api/v1/users?${ADMINS}&limit=100`),
    get(`/api/v1/sessions?${ADMINS}`),
  ]);
  const byUser = new Map();
  for (const s of sessions || []) {
    if (!byUser.has(s.user_id)) byUser.set(s.user_id, []);
    byUser.get(s.user_id).push(s);
  }
  const row = (a) => {
    const mine = byUser.get(a.id) || [];
    return h('li', { class: 'card stack', dataset: { admin: a.username } },
      h('div', { class: 'page-head' },
        h('h2', {}, a.username, ' ', a.blocked ? h('span', { class: 'pill bad' }, 'Blocked') : h('span', { class: 'pill good' }, 'Active')),
        h('button', { type: 'button', class: a.blocked ? 'secondary' : 'danger secondary', onclick: async () => {
          if (!a.blocked && !window.confirm(`Block ${a.username}? Their console sessions end at once.`)) return;
          try { await patch(`/api/v1/users/${enc(a.id)}?${ADMINS}`, { blocked: !a.blocked }); ctx.rerender(); } catch (e) { window.alert(describe(e)); }
        } }, a.blocked ? 'Unblock' : 'Block')),
      mine.length
        ? h('ul', { class: 'rows admin-sessions' }, mine.map((s) => h('li', {},
          h('span', {}, `Signed in ${when(s.created_at)} · until ${when(s.expires_at)}`), ' ',
          h('button', { type: 'button', class: 'secondary', onclick: async (ev) => {
            ev.target.disabled = true;
            try { await del(`/api/v1/sessions/${enc(s.session_id)}?${ADMINS}`); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
          } }, 'Revoke'))))
        : h('p', { class: 'muted' }, 'No console sessions.'));
  };
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Administrators')),
    h('p', { class: 'muted' }, 'Console accounts and their sessions. A revoked session is signed out on its next request; sessions started before this list existed are not shown and end when they expire or their administrator is blocked.'),
    h('ul', { class: 'stack', id: 'admins-list' }, (admins || []).map(row)));
}

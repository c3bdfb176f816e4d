// A user's passkeys on the console's user page: name, created and last-used times, whether it
// is synced, and Remove (it no longer signs in). Loads itself, so the user page waits for it
// no longer than for its other cards.

import { h, replace, describe, when } from '../dom.js';
import { get, del, enc, pooled } from '../api.js';

/** The Passkeys card of user `id`; `ctx.rerender()` after a removal. */
export function passkeysCard(id, ctx) {
  const body = h('p', { class: 'muted' }, 'Loading passkeys…');
  const card = h('section', { class: 'card', 'aria-labelledby': 'passkeys-title', id: 'passkeys-card' },
    h('h2', { id: 'passkeys-title' }, 'Passkeys'), body);
  get(pooled(`/api/v1/users/${enc(id)}/passkeys`)).then((r) => {
    const items = r.items || [];
    if (!items.length) {
      replace(body, 'No passkeys.');
      return;
    }
    body.replaceWith(h('ul', { class: 'rows', id: 'passkeys-list' }, items.map((p) => h('li', {},
      h('div', {}, h('strong', {}, p.name),
        h('p', { class: 'muted small' },
          `added ${when(p.created_at)} · last used ${p.last_used_at ? when(p.last_used_at) : 'never'}`
          + (p.backup_eligible ? ' · synced' : ' · device-bound'))),
      h('button', { type: 'button', class: 'danger small', 'aria-label': `Remove passkey ${p.name}`, onclick: async (ev) => {
        if (!window.confirm(`Remove the passkey "${p.name}"? It will no longer sign in.`)) return;
        ev.target.disabled = true;
        try { await del(pooled(`/api/v1/users/${enc(id)}/passkeys/${enc(p.credential_id)}`)); ctx.rerender(); } catch (e) { ev.target.disabled = false; window.alert(describe(e)); }
      } }, 'Remove')))));
  }).catch((e) => { replace(body, `Passkeys are unavailable: ${describe(e)}`); body.className = 'notice warn'; });
  return card;
}

// Signing keys of the selected pool: the list with each key's state (next, active, retired —
// retired keys stay published so tokens they signed still verify), the rotation schedule, and
// rotation by hand per algorithm.

import { h, replace, field, select, formError, showErrors, clearErrors, when } from '../dom.js';
import { get, post, pooled, currentPool } from '../api.js';

const ALGS = [['RS256', 'RS256'], ['ES256', 'ES256'], ['PS256', 'PS256'], ['EdDSA', 'EdDSA (Ed25519)']];

export async function keysView(el, ctx) {
  const { items, schedule } = await get(pooled('/api/v1/keys'));
  const list = items || [];
  const alg = select('alg', ALGS, 'RS256');
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', id: 'rotate-key-form', 'aria-labelledby': 'rotate-title', novalidate: true },
    h('h2', { id: 'rotate-title' }, 'Rotate a key'),
    h('p', { class: 'muted' }, 'A new key signs from now on. The previous key stays in the JWKS so tokens it signed keep verifying until they expire. HS256 uses each application\'s client secret and has no key here.'),
    formError(),
    field('Algorithm', 'alg', alg),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'rotate-key' }, 'Rotate')),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!window.confirm(`Rotate the ${alg.value} signing key of pool ${currentPool()}?`)) return;
    try {
      const k = await post(pooled('/api/v1/keys/rotate'), { alg: alg.value });
      sessionStorage.setItem('dw.console.keys', `Rotated: new ${k.alg || alg.value} key ${k.kid || ''}`);
      ctx.rerender();
    } catch (e) { showErrors(form, e); }
  });
  const note = sessionStorage.getItem('dw.console.keys');
  sessionStorage.removeItem('dw.console.keys');
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Signing keys'), h('span', { class: 'pill' }, `pool ${currentPool()}`)),
    note ? h('p', { class: 'notice ok', role: 'status' }, note) : null,
    h('div', { class: 'columns wide-left' },
      h('section', { class: 'card', 'aria-labelledby': 'keys-title' },
        h('h2', { id: 'keys-title' }, 'Keys'),
        list.length === 0 ? h('p', { class: 'muted' }, 'No keys yet: one is created for each algorithm the first time it signs.')
          : h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'keys-table' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key id'), h('th', { scope: 'col' }, 'Algorithm'),
              h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'State'))),
            h('tbody', {}, list.map((k) => h('tr', {},
              h('td', { class: 'mono break' }, k.kid),
              h('td', {}, k.alg),
              h('td', {}, when(k.created_at)),
              h('td', {}, stateOf(k)))))))),
      h('div', { class: 'stack' }, scheduleCard(schedule), form)));
}

function stateOf(k) {
  if (k.state === 'next') return h('span', { class: 'pill' }, `Next: signs from ${when(k.activates_at)}`);
  if (k.state === 'retired') return h('span', { class: 'pill' }, k.retired_at ? `Retired ${when(k.retired_at)}` : 'Retired');
  return h('span', { class: 'pill good' }, 'Active');
}

function scheduleCard(s) {
  const days = (secs) => (secs % 86400 === 0 ? `${secs / 86400} days` : `${secs} seconds`);
  const body = !s || !s.period_secs
    ? h('p', { id: 'key-schedule' }, 'Scheduled rotation is off (KEY_ROTATION_DAYS is 0): keys rotate only by hand.')
    : h('p', { id: 'key-schedule' }, `Every ${days(s.period_secs)} the cron trigger rotates each key: the next key is published ${days(s.publish_ahead_secs)} before it signs, and a retired key stays published ${days(s.retire_after_secs)}, until every token it signed has expired.`);
  return h('section', { class: 'card', 'aria-labelledby': 'schedule-title' }, h('h2', { id: 'schedule-title' }, 'Schedule'), body);
}

// The client-secret row of a credentials card: hidden until "Show" fetches it from the admin
// API, "Copy" without showing it, "Rotate" after a confirmation. `path` is the admin API path
// of the client (`/api/v1/applications/{id}` for a primary client,
// `…/clients/{client_id}` for any other); the secret lives at `{path}/secret`.

import { h, flash, describe } from './dom.js';
import { get, post } from './api.js';

const MASK = '••••••••••••••••';

/** Returns [row, status]: the row with its buttons, and the announced status line. */
export function secretRow(path) {
  const input = h('input', { type: 'password', readOnly: true, value: MASK, class: 'mono', id: 'client-secret', 'aria-label': 'Client secret' });
  const status = h('p', { class: 'flash', hidden: true, 'aria-live': 'polite' });
  let shown = false;
  const showBtn = h('button', { type: 'button', class: 'secondary small', id: 'show-secret', 'aria-pressed': 'false' }, 'Show');
  const copyBtn = h('button', { type: 'button', class: 'secondary small', id: 'copy-secret' }, 'Copy');
  const rotateBtn = h('button', { type: 'button', class: 'danger small', id: 'rotate-secret' }, 'Rotate');
  const setShown = (secret) => {
    shown = secret !== null;
    input.type = shown ? 'text' : 'password';
    input.value = shown ? secret : MASK;
    showBtn.textContent = shown ? 'Hide' : 'Show';
    showBtn.setAttribute('aria-pressed', String(shown));
  };
  const fetchSecret = async () => (await get(`${path}/secret`)).client_secret;
  showBtn.addEventListener('click', async () => {
    if (shown) { setShown(null); return; }
    try { setShown(await fetchSecret()); } catch (e) { flash(status, describe(e), 'error'); }
  });
  copyBtn.addEventListener('click', async () => {
    try {
      const s = shown ? input.value : await fetchSecret();
      await navigator.clipboard.writeText(s);
      flash(status, 'Secret copied.');
    } catch (e) { flash(status, e.status ? describe(e) : 'Copy failed: press Show and copy it by hand.', 'error'); }
  });
  rotateBtn.addEventListener('click', async () => {
    if (!window.confirm('Rotate the client secret? The current secret stops working at once; applications using it must be updated.')) return;
    try {
      const r = await post(`${path}/secret`, {});
      setShown(r.client_secret);
      flash(status, 'Secret rotated. The new secret is shown above.');
    } catch (e) { flash(status, describe(e), 'error'); }
  });
  const row = h('div', { class: 'copy-row', dataset: { copy: 'client-secret' } },
    h('label', { for: 'client-secret' }, 'Client secret'),
    h('div', { class: 'copy-line' }, input, showBtn, copyBtn, rotateBtn));
  return [row, status];
}

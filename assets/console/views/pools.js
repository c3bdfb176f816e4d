// User pools: each has its own users, resources, access accounts and signing keys, its own
// branding of the hosted pages (primary colour and logo through CSS variables), its audit
// log's retention, its MFA policy with how many users hold each second factor, and the
// Durable Object jurisdiction its data stays in (chosen at creation, fixed after).

import { h, replace, field, formError, showErrors, clearErrors, flash } from '../dom.js';
import { get, post, patch, enc } from '../api.js';

export async function poolsView(el, ctx) {
  const { items } = await get('/api/v1/pools');
  const list = items || [];
  const id = h('input', { type: 'text', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const name = h('input', { type: 'text', required: true });
  const jurisdiction = h('select', {},
    h('option', { value: '' }, 'Anywhere (no restriction)'),
    h('option', { value: 'eu' }, 'European Union (eu)'),
    h('option', { value: 'fedramp' }, 'FedRAMP Moderate (fedramp)'),
    h('option', { value: 'fedramp-high' }, 'FedRAMP High (fedramp-high)'));
  const form = h('form', { class: 'card stack', id: 'create-pool-form', 'aria-labelledby': 'new-pool-title', novalidate: true },
    h('h2', { id: 'new-pool-title' }, 'Create user pool'),
    formError(),
    field('Pool id', 'id', id, 'Lower-case letters, digits and hyphens.'),
    field('Name', 'name', name),
    field('Data jurisdiction', 'jurisdiction', jurisdiction, 'Users, sessions, codes, keys and the audit log stay in it. Fixed once the pool exists.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create pool')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await post('/api/v1/pools', { id: id.value.trim(), name: name.value.trim(), jurisdiction: jurisdiction.value || null });
      window.dispatchEvent(new Event('dw:pools-changed'));
      ctx.rerender();
    } catch (e) { showErrors(form, e); }
  });
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'User pools')),
    h('p', { class: 'muted' }, 'Switch pools with the selector in the header: users, resources, access accounts, keys and sessions follow it.'),
    h('div', { class: 'columns wide-left' },
      h('div', { class: 'stack' }, list.map((p) => poolCard(p, ctx))),
      form));
}

function poolCard(p, ctx) {
  const b = p.branding || {};
  const name = h('input', { type: 'text', value: p.name || '' });
  const color = h('input', { type: 'color', value: /^#[0-9a-f]{6}$/i.test(b.primary_color || '') ? b.primary_color : '#1d4ed8' });
  const logo = h('input', { type: 'url', value: b.logo_url || '', spellcheck: 'false', placeholder: 'https://cdn.example.com/logo.svg' });
  const retention = h('input', { type: 'number', min: '1', max: '3650', step: '1', value: String(p.audit_retention_days ?? 90) });
  const mfa = h('select', {},
    [['off', 'Off: passwords (and passkeys) only'], ['optional', 'Optional: users may add a second factor'], ['required', 'Required: every sign-in needs one']]
      .map(([v, label]) => h('option', { value: v, selected: (p.mfa || 'optional') === v }, label)));
  const counts = h('p', { class: 'muted small', 'data-factor-counts': p.id }, 'Counting users per factor…');
  get(`/api/v1/pools/${enc(p.id)}/factors`)
    .then((c) => { counts.textContent = `${c.users} users · ${c.totp} with an authenticator app · ${c.recovery_codes} with recovery codes · ${c.passkeys ?? 0} with a passkey`; })
    .catch(() => { counts.textContent = 'Factor counts are unavailable.'; });
  const status = h('p', { class: 'flash', hidden: true, role: 'status' });
  const form = h('form', { class: 'card stack', 'aria-label': `Pool ${p.id}`, novalidate: true },
    h('h2', {}, p.name || p.id, ' ', h('span', { class: 'pill mono' }, p.id),
      p.jurisdiction ? [' ', h('span', { class: 'pill', title: 'Its Durable Objects stay in this jurisdiction' }, `Data in ${p.jurisdiction}`)] : null),
    formError(),
    field('Name', 'name', name),
    h('div', { class: 'grid2' },
      field('Primary colour', 'branding.primary_color', color),
      field('Logo URL', 'branding.logo_url', logo)),
    field('Audit log retention (days)', 'audit_retention_days', retention, 'Older events are dropped; a shorter period applies at once.'),
    field('Multi-factor authentication', 'mfa', mfa, 'Required: a user without a second factor sets one up at their next sign-in.'),
    counts,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Save')),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const branding = { primary_color: color.value };
    branding.logo_url = logo.value.trim() || null;
    try {
      await patch(`/api/v1/pools/${enc(p.id)}`, { name: name.value.trim(), branding, audit_retention_days: Number(retention.value), mfa: mfa.value });
      window.dispatchEvent(new Event('dw:pools-changed'));
      flash(status, 'Saved.');
    } catch (e) { showErrors(form, e); }
  });
  return form;
}

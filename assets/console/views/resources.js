// Resources (APIs with actions) and programmatic access accounts (AK/SK) of the selected pool.
// A new account's secret key is shown once, with a warning, and never again.

import { h, replace, field, checkbox, formError, showErrors, clearErrors, copyRow, describe, words, when } from '../dom.js';
import { get, post, patch, del, enc, pooled, currentPool } from '../api.js';

export async function resourcesView(el, ctx) {
  const { items } = await get(pooled('/api/v1/resources'));
  const list = items || [];
  const code = h('input', { type: 'text', required: true, autocapitalize: 'none', spellcheck: 'false', placeholder: 'orders' });
  const uri = h('input', { type: 'url', required: true, spellcheck: 'false', placeholder: 'https://api.example.com/orders' });
  const name = h('input', { type: 'text' });
  const actions = h('input', { type: 'text', required: true, spellcheck: 'false', placeholder: 'read write' });
  const form = h('form', { class: 'card stack', id: 'create-resource-form', 'aria-labelledby': 'new-res-title', novalidate: true },
    h('h2', { id: 'new-res-title' }, 'Create resource'),
    formError(),
    field('Code', 'code', code, 'Short name used in permissions: code:action.'),
    field('URI', 'uri', uri, 'The resource indicator; tokens for it carry it as aud.'),
    field('Name', 'name', name),
    field('Actions', 'actions', actions, 'Separated by spaces or commas.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create resource')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { code: code.value.trim(), uri: uri.value.trim(), actions: words(actions.value) };
    if (name.value.trim()) body.name = name.value.trim();
    try { await post(pooled('/api/v1/resources'), body); ctx.rerender(); } catch (e) { showErrors(form, e); }
  });
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Resources'), h('span', { class: 'pill' }, `pool ${currentPool()}`)),
    h('div', { class: 'columns wide-left' },
      h('section', { class: 'card', 'aria-labelledby': 'res-title' },
        h('h2', { id: 'res-title' }, 'Resources'),
        list.length === 0 ? h('p', { class: 'muted' }, 'No resources yet.') : h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'resources-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'URI'),
            h('th', { scope: 'col' }, 'Actions'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Delete')))),
          h('tbody', {}, list.map((r) => h('tr', {},
            h('td', { class: 'mono' }, r.code, r.name ? h('div', { class: 'muted small' }, r.name) : null),
            h('td', { class: 'mono break' }, r.uri),
            h('td', {}, (r.actions || []).map((a) => h('span', { class: 'pill' }, `${r.code}:${a}`))),
            h('td', {}, h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete resource ${r.code}`, onclick: async () => {
              if (!window.confirm(`Delete the resource ${r.code}?`)) return;
              try { await del(pooled(`/api/v1/resources/${enc(r.code)}`)); ctx.rerender(); } catch (e) { window.alert(describe(e)); }
            } }, 'Delete')))))))),
      form));
}

/** All resource:action permissions of the pool, for the grant checkboxes. */
async function permissionChoices() {
  try {
    const { items } = await get(pooled('/api/v1/resources'));
    return (items || []).flatMap((r) => (r.actions || []).map((a) => `${r.code}:${a}`));
  } catch { return []; }
}

export async function accountsView(el, ctx) {
  const [{ items }, choices] = await Promise.all([get(pooled('/api/v1/access-accounts')), permissionChoices()]);
  const list = items || [];
  const description = h('input', { type: 'text' });
  const extra = h('input', { type: 'text', spellcheck: 'false', class: 'mono', placeholder: 'orders:read' });
  const created = h('div', { id: 'new-account-secret' });
  const form = h('form', { class: 'card stack', id: 'create-account-form', 'aria-labelledby': 'new-acc-title', novalidate: true },
    h('h2', { id: 'new-acc-title' }, 'Create access account'),
    formError(),
    field('Description', 'description', description),
    choices.length
      ? h('fieldset', { class: 'checks', dataset: { field: 'permissions' } }, h('legend', {}, 'Grant permissions'),
        choices.map((p) => checkbox(p, 'perm', false, p)))
      : h('p', { class: 'muted' }, 'Create a resource first to pick its actions here, or type permissions below.'),
    field('Other permissions', 'permissions', extra, 'resource:action entries, separated by spaces.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create account')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const perms = [...form.querySelectorAll('input[name="perm"]:checked')].map((i) => i.value).concat(words(extra.value));
    const body = { permissions: [...new Set(perms)] };
    if (description.value.trim()) body.description = description.value.trim();
    try {
      const acc = await post(pooled('/api/v1/access-accounts'), body);
      replace(created, h('section', { class: 'card secret-once', role: 'alert', 'aria-labelledby': 'once-title' },
        h('h2', { id: 'once-title' }, 'Copy the secret key now'),
        h('p', {}, 'This is the only time the secret key is shown. Doorward keeps only its hash: if it is lost, delete the account and create another.'),
        copyRow('Access key (AK)', acc.access_key, { key: 'access-key' }),
        copyRow('Secret key (SK)', acc.secret_key, { key: 'secret-key' }),
        h('button', { type: 'button', class: 'secondary', onclick: () => ctx.rerender() }, 'I have saved it')));
      created.querySelector('h2').setAttribute('tabindex', '-1');
      created.querySelector('h2').focus();
      form.reset();
    } catch (e) { showErrors(form, e); }
  });
  replace(el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Access accounts'), h('span', { class: 'pill' }, `pool ${currentPool()}`)),
    h('p', { class: 'muted' }, 'Programmatic access accounts get access tokens with client_credentials, using the access key as client id and the secret key as client secret, for the resource:action permissions granted here.'),
    created,
    h('div', { class: 'columns wide-left' },
      h('section', { class: 'card', 'aria-labelledby': 'acc-title' },
        h('h2', { id: 'acc-title' }, 'Accounts'),
        list.length === 0 ? h('p', { class: 'muted' }, 'No access accounts yet.')
          : h('ul', { class: 'rows', id: 'accounts-list' }, list.map((a) => accountRow(a, ctx)))),
      form));
}

function accountRow(a, ctx) {
  const perms = h('input', { type: 'text', class: 'mono', spellcheck: 'false', value: (a.permissions || []).join(' ') });
  const form = h('form', { class: 'inline-form', novalidate: true },
    formError(),
    field('Permissions', 'permissions', perms),
    h('button', { type: 'submit', class: 'secondary small' }, 'Save permissions'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try { await patch(pooled(`/api/v1/access-accounts/${enc(a.access_key)}`), { permissions: words(perms.value) }); ctx.rerender(); } catch (e) { showErrors(form, e); }
  });
  return h('li', { class: 'account' },
    h('div', { class: 'account-head' },
      h('div', {},
        h('span', { class: 'mono' }, a.access_key), ' ',
        a.disabled ? h('span', { class: 'pill bad' }, 'Disabled') : h('span', { class: 'pill good' }, 'Enabled'),
        h('p', { class: 'muted small' }, `${a.description || 'No description'} · created ${when(a.created_at)}`)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary small', onclick: async () => {
          try { await patch(pooled(`/api/v1/access-accounts/${enc(a.access_key)}`), { disabled: !a.disabled }); ctx.rerender(); } catch (e) { window.alert(describe(e)); }
        } }, a.disabled ? 'Enable' : 'Disable'),
        h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete account ${a.access_key}`, onclick: async () => {
          if (!window.confirm(`Delete the access account ${a.access_key}?`)) return;
          try { await del(pooled(`/api/v1/access-accounts/${enc(a.access_key)}`)); ctx.rerender(); } catch (e) { window.alert(describe(e)); }
        } }, 'Delete'))),
    form);
}

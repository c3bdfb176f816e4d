// DOM helpers for the console. Every piece of data reaches the page through textContent or
// attribute setters, never through innerHTML: the console shows user-controlled strings
// (application names, user claims, token payloads) and must not run them.

/** Creates an element: h('button', {type: 'button', onclick: fn}, 'Save'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' && ('value' in el)) {
      el.value = v;
    } else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'readOnly' || k === 'required') {
      el[k] = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let idCounter = 0;
/** A unique element id with a readable prefix. */
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * A labelled form field. `name` is the API field name: field errors from the API are shown
 * in the element with data-error-for={name}.
 */
export function field(label, name, input, hint) {
  const id = input.id || uid(`f-${name.replace(/[^a-z0-9]/gi, '-')}`);
  input.id = id;
  if (!input.name) input.name = name;
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    h('p', { class: 'field-error', id: errId, dataset: { errorFor: name } }));
}

/** A checkbox with its label after it. */
export function checkbox(label, name, checked, value) {
  const id = uid(`c-${name.replace(/[^a-z0-9]/gi, '-')}`);
  return h('div', { class: 'check' },
    h('input', { type: 'checkbox', id, name, value: value ?? 'on', checked }),
    h('label', { for: id }, label));
}

/** A fieldset of checkboxes, one per option; the API field's error shows under it. */
export function checkGroup(legend, name, options, selected) {
  const errId = uid(`e-${name}`);
  return h('fieldset', { class: 'checks', dataset: { field: name }, 'aria-describedby': errId },
    h('legend', {}, legend),
    options.map(([value, label]) => checkbox(label, name, selected.includes(value), value)),
    h('p', { class: 'field-error', id: errId, dataset: { errorFor: name } }));
}

export function select(name, options, value) {
  return h('select', { name },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

/** Clears and shows an API error: field messages next to fields, the rest in the summary. */
export function showErrors(form, err) {
  clearErrors(form);
  const summary = form.querySelector('.form-error');
  const fields = (err && err.body && err.body.fields) || {};
  const unplaced = [];
  for (const [name, msg] of Object.entries(fields)) {
    const slot = findErrorSlot(form, name);
    if (slot) {
      slot.textContent = msg;
      const input = slot.closest('[data-field]')?.querySelector('input, select, textarea');
      if (input) input.setAttribute('aria-invalid', 'true');
    } else {
      unplaced.push(`${name}: ${msg}`);
    }
  }
  if (summary) {
    const head = err ? describe(err) : 'Something went wrong.';
    replace(summary, h('strong', {}, head),
      unplaced.length ? h('ul', {}, unplaced.map((m) => h('li', {}, m))) : null);
    summary.hidden = false;
    summary.focus();
  }
}

function findErrorSlot(form, name) {
  for (const slot of form.querySelectorAll('[data-error-for]')) {
    if (slot.dataset.errorFor === name) return slot;
  }
  // `token_lifetimes.access_token` or `redirect_uris[1]`: fall back to the parent field.
  const base = name.split(/[.[]/)[0];
  if (base !== name) return findErrorSlot(form, base);
  return null;
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const summary = form.querySelector('.form-error');
  if (summary) { summary.hidden = true; summary.replaceChildren(); }
}

/** A one-line description of an API error for people. */
export function describe(err) {
  if (!err) return 'Something went wrong.';
  if (err.status === 0) return `Could not reach the server: ${err.message}`;
  const b = err.body || {};
  const text = b.error_description || b.error || err.message || 'request failed';
  if (b.fields && Object.keys(b.fields).length) return `Please correct the highlighted fields (${err.status}).`;
  return `${text} (HTTP ${err.status})`;
}

/** The error summary placeholder every form carries (focusable, announced). */
export function formError() {
  return h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

/** A status line announced politely (saves, copies). */
export function flash(el, text, kind = 'ok') {
  el.className = `flash ${kind}`;
  el.textContent = text;
  el.hidden = false;
}

/** Copies text; falls back to selecting it when the Clipboard API is unavailable. */
export async function copyText(text, source) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (source && source.select) {
      source.select();
      try { return document.execCommand('copy'); } catch { return false; }
    }
    return false;
  }
}

/** A read-only value with a copy button; `status` announces the result. */
export function copyRow(label, value, opts = {}) {
  const input = h('input', { type: 'text', readOnly: true, value, class: 'mono', spellcheck: 'false' });
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const id = uid('copy');
  input.id = id;
  const button = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Copy ${label}`,
    onclick: async () => {
      const ok = await copyText(input.value, input);
      status.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(() => { status.textContent = ''; }, 2000);
    } }, 'Copy');
  return h('div', { class: 'copy-row', dataset: { copy: opts.key || label } },
    h('label', { for: id }, label),
    h('div', { class: 'copy-line' }, input, button, status));
}

/** Formats epoch seconds as a local date-time. */
export function when(secs) {
  if (!secs) return '—';
  const d = new Date(Number(secs) * 1000);
  return Number.isNaN(d.getTime()) ? String(secs) : d.toLocaleString();
}

/** Lines of a textarea → trimmed, non-empty list. */
export function lines(text) {
  return String(text || '').split(/[\r\n]+/).map((s) => s.trim()).filter(Boolean);
}

/** Words separated by commas or spaces → list. */
export function words(text) {
  return String(text || '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

// Bar charts drawn as SVG by the console itself (no library, nothing fetched): one bar per
// bucket, stacked by series, with a legend and the same numbers as a table for screen readers
// and for anyone who wants the figures. Colours come from style.css classes (series-0 …),
// never from inline styles, which the console's CSP forbids.

import { h, uid } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };
const COLOURS = 8;

/** An SVG element: s('rect', {x: 1}, child…). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A bucket's label: the hour (HH:00) or the day (MMM D), in the viewer's time zone. */
export function bucketLabel(t, bucket) {
  const d = new Date(t * 1000);
  if (bucket === 'day') return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const sum = (a) => a.reduce((x, y) => x + y, 0);

/**
 * A stacked bar chart.
 * @param {object} o
 * @param {string} o.id        element id of the figure (tests and links find it by it)
 * @param {string} o.title
 * @param {number[]} o.buckets bucket starts (epoch seconds)
 * @param {'hour'|'day'} o.bucket
 * @param {{key: string, label: string, values: number[]}[]} o.series
 * @param {string} [o.empty]   what to say when every value is 0
 * @param {boolean} [o.peak]   headline the largest bucket rather than the sum (counts of
 *                             distinct users do not add up across buckets)
 */
export function barChart({ id, title, buckets, bucket, series, empty, peak }) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const totals = buckets.map((_, i) => sum(series.map((x) => x.values[i] || 0)));
  const total = sum(totals);
  const max = Math.max(1, ...totals);
  const unit = bucket === 'day' ? 'day' : 'hour';
  const headline = peak ? Math.max(0, ...totals) : total;
  const summary = peak
    ? `At most ${headline} in one ${unit} over ${buckets.length} ${unit}s`
    : `${total} in all over ${buckets.length} ${unit}s`;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = buckets.length ? plotW / buckets.length : plotW;
  const barW = Math.max(1, step * 0.8);
  const y = (v) => PAD.top + plotH - (v / max) * plotH;

  const bars = [];
  buckets.forEach((t, i) => {
    let base = 0;
    series.forEach((x, n) => {
      const v = x.values[i] || 0;
      if (!v) return;
      const top = y(base + v);
      bars.push(s('rect', {
        class: `bar series-${n % COLOURS}`,
        x: (PAD.left + i * step + (step - barW) / 2).toFixed(1),
        y: top.toFixed(1),
        width: barW.toFixed(1),
        height: (y(base) - top).toFixed(1),
        'data-series': x.key,
        'data-bucket': t,
        'data-value': v,
      }, s('title', {}, `${x.label}, ${bucketLabel(t, bucket)}: ${v}`)));
      base += v;
    });
  });
  // A few time labels along the bottom, and the scale on the left.
  const every = Math.max(1, Math.ceil(buckets.length / 6));
  const ticks = buckets.map((t, i) => (i % every === 0
    ? s('text', { class: 'tick', x: (PAD.left + i * step + step / 2).toFixed(1), y: H - 6, 'text-anchor': 'middle' },
      bucket === 'day' ? bucketLabel(t, bucket) : new Date(t * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }))
    : null));
  const svg = s('svg', {
    class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`,
  },
  s('title', { id: titleId }, title),
  s('desc', { id: descId }, `${summary}; the table below lists every figure.`),
  s('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
  s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: PAD.top, y2: PAD.top }),
  s('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + 4, 'text-anchor': 'end' }, String(max)),
  s('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
  bars, ticks);

  const legend = h('ul', { class: 'legend' }, series.map((x, n) => h('li', {},
    h('span', { class: `swatch series-${n % COLOURS}`, 'aria-hidden': 'true' }),
    `${x.label} `, peak ? null : h('span', { class: 'muted', dataset: { total: x.key } }, `(${sum(x.values)})`))));

  const table = h('table', { class: 'list chart-table' },
    h('caption', { class: 'visually-hidden' }, title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, bucket === 'day' ? 'Day' : 'Hour'),
      series.map((x) => h('th', { scope: 'col', dataset: { series: x.key } }, x.label)),
      h('th', { scope: 'col' }, 'Total'))),
    h('tbody', {}, buckets.map((t, i) => (totals[i] ? h('tr', { dataset: { bucket: t } },
      h('th', { scope: 'row' }, bucketLabel(t, bucket)),
      series.map((x) => h('td', { dataset: { series: x.key } }, String(x.values[i] || 0))),
      h('td', { dataset: { total: '' } }, String(totals[i]))) : null))));

  return h('figure', { class: 'card chart', id, dataset: { total: String(total) } },
    h('figcaption', {}, h('h2', {}, title, ' ',
      h('span', { class: 'pill', title: summary, dataset: { chartTotal: '' } }, peak ? `peak ${headline}` : String(headline)))),
    total === 0 ? h('p', { class: 'muted chart-empty' }, empty || 'Nothing in this period.') : null,
    svg,
    series.length ? legend : null,
    h('details', { class: 'chart-figures' }, h('summary', {}, 'Figures'),
      total === 0 ? h('p', { class: 'muted' }, 'No figures in this period.') : h('div', { class: 'table-wrap' }, table)));
}

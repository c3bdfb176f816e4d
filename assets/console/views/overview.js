// Overview of the selected pool's activity, drawn from its audit log: sign-ins per application,
// failures and lockouts, tokens issued per grant and active users, per hour (two days) or per
// day (a month). The counts are grouped by the log itself (GET /api/v1/audit/stats); the
// charts are SVG built here (chart.js), each with its figures as a table.

import { h, replace } from '../dom.js';
import { get, pooled, currentPool } from '../api.js';
import { barChart } from '../chart.js';

export const FAILURE_REASONS = {
  unknown_user: 'Unknown user',
  wrong_password: 'Wrong password',
  blocked: 'Blocked account',
  locked: 'Refused while locked',
  wrong_token: 'Wrong admin token',
};

const GRANTS = {
  authorization_code: 'Authorization code',
  refresh_token: 'Refresh token',
  client_credentials: 'Client credentials',
  password: 'Password',
  implicit: 'Front channel (implicit, hybrid)',
};

const LOCKS = { account: 'Account locked', address: 'Address locked' };

/** Series in a stable order: largest first, then by name. */
function seriesOf(map, label) {
  return Object.entries(map || {})
    .map(([key, values]) => ({ key, label: label(key), values }))
    .sort((a, b) => b.values.reduce((x, y) => x + y, 0) - a.values.reduce((x, y) => x + y, 0) || a.label.localeCompare(b.label));
}

const total = (series) => series.reduce((n, x) => n + x.values.reduce((a, b) => a + b, 0), 0);

export async function overviewView(el) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const bucket = params.get('bucket') === 'day' ? 'day' : 'hour';
  const [stats, apps] = await Promise.all([
    get(pooled(`/api/v1/audit/stats?bucket=${bucket}`)),
    get('/api/v1/applications').catch(() => ({ items: [] })),
  ]);
  const names = new Map((apps.items || []).map((a) => [a.client_id, a.name || a.subdomain]));
  const appName = (id) => (id ? names.get(id) || id : 'Console');
  const signIns = seriesOf(stats.sign_ins, appName);
  const failures = [
    ...seriesOf(stats.failures, (r) => FAILURE_REASONS[r] || r),
    ...seriesOf(stats.lockouts, (l) => LOCKS[l] || l).map((x) => ({ ...x, key: `lock:${x.key}` })),
  ];
  const tokens = seriesOf(stats.tokens_issued, (g) => GRANTS[g] || g);
  const active = [{ key: 'active', label: 'Active users', values: stats.active_users || [] }];
  const common = { buckets: stats.buckets || [], bucket };
  const span = bucket === 'day' ? 'the last 30 days' : 'the last 48 hours';
  const lockouts = total(seriesOf(stats.lockouts, (l) => l));
  const tile = (id, label, value) => h('div', { class: 'tile card', id },
    h('p', { class: 'tile-value', dataset: { value: String(value) } }, String(value)), h('p', { class: 'tile-label' }, label));
  const toggle = (value, label) => h('a', {
    class: `button small ${value === bucket ? '' : 'secondary'}`,
    href: `#/overview?bucket=${value}`,
    'aria-current': value === bucket ? 'true' : null,
  }, label);
  replace(el,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Overview'),
      h('span', { class: 'pill' }, `pool ${currentPool()}`)),
    h('div', { class: 'actions overview-bar' },
      h('p', { class: 'muted' }, `Activity in ${span}, from the pool's audit log. `, h('a', { href: '#/audit' }, 'See the events.')),
      h('nav', { class: 'actions', 'aria-label': 'Chart period' }, toggle('hour', 'Per hour'), toggle('day', 'Per day'))),
    h('div', { class: 'tiles' },
      tile('tile-sign-ins', 'Sign-ins', total(signIns)),
      tile('tile-failures', 'Failed sign-ins', total(seriesOf(stats.failures, (r) => r))),
      tile('tile-lockouts', 'Lockouts', lockouts),
      tile('tile-tokens', 'Tokens issued', total(tokens)),
      tile('tile-active', `Most users active in one ${bucket}`, Math.max(0, ...(stats.active_users || [0])))),
    h('div', { class: 'charts' },
      barChart({ id: 'chart-sign-ins', title: `Sign-ins per application, per ${bucket}`, series: signIns, ...common, empty: 'No sign-ins in this period.' }),
      barChart({ id: 'chart-failures', title: `Failures and lockouts, per ${bucket}`, series: failures, ...common, empty: 'No failed sign-ins or lockouts in this period.' }),
      barChart({ id: 'chart-tokens', title: `Tokens issued per grant, per ${bucket}`, series: tokens, ...common, empty: 'No tokens issued in this period.' }),
      barChart({ id: 'chart-active', title: `Active users, per ${bucket}`, series: active, ...common, peak: true, empty: 'No active users in this period.' })));
}

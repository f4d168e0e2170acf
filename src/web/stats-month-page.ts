/**
 * `/stats/month`: the manager's month (any month, `?month=YYYY-MM`): calls
 * per day, the lines (availability per day, the outages and why), the money
 * (cost per path, the saving against the carrier line, bundle minutes) and the
 * capacity (peak calls against the channels bought, Erlang B advice). One
 * question to GET /api/v1/stats by day; charts with uPlot from the box.
 */
import { statsHead } from './stats-page.js'

export function statsMonthPage(): string {
  return `${statsHead('linewatch: the month', undefined, ['/vendor/uplot.min.js', '/stats-month.js'], ['/page.css', '/vendor/uplot.min.css', '/stats.css'])}
<body>
<h1>The month <a class="muted small" href="/stats">today</a> <a class="muted small" href="/">status</a></h1>
<div class="filters"><input id="month" type="month" aria-label="month"><span class="muted" id="when">loading…</span></div>
<div class="tiles" id="summary"></div>
<h2>Calls per day</h2>
<div class="card" id="days-chart"></div>
<h2>Lines</h2>
<div class="card" id="avail-chart"></div>
<table class="log" id="lines-table"><thead><tr><th>line</th><th>up</th><th>degraded</th><th>down</th><th>available</th><th>outages</th></tr></thead><tbody></tbody></table>
<h3>Outages</h3>
<table class="log" id="outages"><thead><tr><th>line</th><th>from</th><th>to</th><th>min</th><th>why</th></tr></thead><tbody></tbody></table>
<h2>Money</h2>
<div class="tiles" id="money"></div>
<table class="log" id="paths"><thead><tr><th>path</th><th>calls</th><th>ASR</th><th>minutes</th><th>bundle min</th><th>cost</th></tr></thead><tbody></tbody></table>
<h3>Bundles now</h3>
<table class="log" id="bundles"><thead><tr><th>bundle</th><th>path</th><th>bought</th><th>used</th><th>left</th></tr></thead><tbody></tbody></table>
<h2>Capacity</h2>
<table class="log" id="capacity"><thead><tr><th>line</th><th>channels</th><th>peak at once</th><th>busiest hour</th><th>blocking</th><th>refused</th><th>advice</th></tr></thead><tbody></tbody></table>
</body>
</html>
`
}

/** /stats-month.js: text only (textContent), never HTML from the data. */
export const STATS_MONTH_SCRIPT = `const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const row = (table, cells) => { const tr = el('tr'); for (const c of cells) tr.append(el('td', '', c === null || c === undefined ? '–' : String(c))); $(table).querySelector('tbody').append(tr); return tr; };
// times in the site's zone (the answer's timeZone), whatever the phone's
let tz = 'UTC';
const stamp = (t) => (t === null ? 'still down' : new Date(t).toLocaleString([], { timeZone: tz, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
const charts = {};

function monthRange(m) {
  const [y, mo] = m.split('-').map(Number);
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return { from: m + '-01', to: m + '-' + String(last).padStart(2, '0') };
}

function draw(id, series, data) {
  const width = Math.min(900, $(id).clientWidth || 600);
  charts[id]?.destroy();
  charts[id] = new uPlot({ width, height: 200, scales: { x: { time: false } }, axes: [{ label: 'day' }, {}], series: [{ label: 'day' }, ...series] }, data, $(id));
}

async function load() {
  const month = $('month').value;
  const { from, to } = monthRange(month);
  const res = await fetch('/api/v1/stats?by=day&from=' + from + '&to=' + to);
  const f = await res.json();
  if (!res.ok) { $('when').textContent = f.message; return; }
  tz = f.timeZone;
  $('when').textContent = f.from + ' to ' + f.to + ' (' + f.timeZone + ')';
  for (const t of ['lines-table', 'outages', 'paths', 'bundles', 'capacity']) $(t).querySelector('tbody').replaceChildren();
  const all = f.lines.find((l) => l.line === '*');
  const inc = all ? all.total.incoming : { offered: 0, answered: 0, missed: 0, abandoned: 0, serviceLevel: null };
  const m = f.money;
  const cur = m.currency || '';
  const tiles = (id, list) => { const box = $(id); box.replaceChildren(); for (const [n, label] of list) { const t = el('div', 'tile'); t.append(el('span', 'n', String(n)), el('span', 'muted', label)); box.append(t); } };
  tiles('summary', [[inc.offered, 'offered'], [inc.answered, 'answered'], [inc.missed + inc.abandoned, 'missed'], [inc.serviceLevel === null ? '–' : inc.serviceLevel + ' %', 'service level'], [f.missed.open, 'not called back']]);
  // calls per day: one point for each day of the month
  const days = f.availability.length ? f.availability[0].days.map((d) => d.day) : [];
  const by = new Map((all ? all.buckets : []).map((b) => [b.bucket, b.incoming]));
  const x = days.map((_, i) => i + 1);
  draw('days-chart', [{ label: 'offered', stroke: '#3d7bd9', width: 2 }, { label: 'answered', stroke: '#2f9e57', width: 2 }, { label: 'missed', stroke: '#d9453d', width: 2 }],
    [x, days.map((d) => (by.get(d) ? by.get(d).offered : 0)), days.map((d) => (by.get(d) ? by.get(d).answered : 0)), days.map((d) => (by.get(d) ? by.get(d).missed + by.get(d).abandoned : 0))]);
  // lines: the share of each day the line was up or degraded (of the minutes the box knew)
  const colours = ['#3d7bd9', '#2f9e57', '#d98a3d', '#8a3dd9', '#3dc2d9', '#d93d8a'];
  draw('avail-chart', f.availability.map((a, i) => ({ label: a.line + ' %', stroke: colours[i % colours.length], width: 2 })),
    [x, ...f.availability.map((a) => a.days.map((d) => { const known = d.up + d.degraded + d.down; return known ? Math.round((1000 * (d.up + d.degraded)) / known) / 10 : null; }))]);
  for (const a of f.availability) {
    const sum = (k) => Math.round(a.days.reduce((s, d) => s + d[k], 0));
    const known = sum('up') + sum('degraded') + sum('down');
    const tr = row('lines-table', [a.line, sum('up') + ' min', sum('degraded') + ' min', sum('down') + ' min', known ? Math.round((1000 * (sum('up') + sum('degraded'))) / known) / 10 + ' %' : '–', a.outages.length]);
    tr.dataset.line = a.line;
    for (const o of a.outages) row('outages', [a.line, stamp(o.from), stamp(o.to), Math.round(o.minutes), o.reason]);
  }
  tiles('money', [[m.cost.toFixed(2) + ' ' + cur, 'spent on calls'], [m.saving.toFixed(2) + ' ' + cur, 'saved against ' + (m.baselinePath || 'the first path')], [m.baselineCost.toFixed(2) + ' ' + cur, 'had every call gone on ' + (m.baselinePath || 'it')]]);
  for (const p of m.paths) {
    const o = f.paths.find((x) => x.path === p.path) || { attempts: 0, asr: null };
    row('paths', [p.path, o.attempts, o.asr === null ? null : o.asr + ' %', p.minutes, p.bundleMinutes, p.cost.toFixed(2) + ' ' + cur]).dataset.path = p.path;
  }
  for (const b of m.bundles) row('bundles', [b.plan + '/' + b.bundle, b.path || 'shared', b.minutes, b.usedMinutes, b.leftMinutes]);
  for (const c of f.capacity) {
    const need = c.channelsFor1Percent;
    const advice = need === null ? 'no calls' : need > c.channels ? 'add ' + (need - c.channels) + ' channel(s) for 1 % blocking' : need < c.channels ? need + ' would do (1 % blocking)' : 'right for 1 % blocking';
    const tr = row('capacity', [c.line, c.channels, c.peak.calls, c.busiestHour ? c.busiestHour.erlangs + ' Erl (' + c.busiestHour.bucket.slice(5) + 'h)' : null, c.blockingPercent === null ? null : c.blockingPercent + ' %', c.blocked, advice]);
    tr.dataset.line = c.line;
  }
}

const now = new Date();
$('month').value = new URLSearchParams(location.search).get('month') || now.getFullYear() + '-' + String(now.getMonth() + 1).padStart(2, '0');
$('month').addEventListener('change', load);
load();
`

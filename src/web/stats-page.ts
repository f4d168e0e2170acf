/**
 * The statistics pages: `/stats` for a supervisor (today: calls by hour as a
 * chart, service level, missed calls not called back with a "called back"
 * mark, the lines; the call log with search and filters) and `/wallboard`, a
 * full screen for the call room (missed now, service level today, every line
 * in the panel's colours). Plain HTML and JS under the page's policy (nothing
 * inline); the chart is uPlot, served from the box (it may have no internet).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** uPlot's script and style sheet, read once from the package. */
export function uplotAssets(): { js: string; css: string } {
  const dist = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'))
  return { js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8') }
}

/** The head every statistics page shares (stats-month-page.ts too). */
export const statsHead = (title: string, csrf: string | undefined, scripts: string[], sheets: string[]) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
${sheets.map((s) => `<link rel="stylesheet" href="${s}">`).join('\n')}
${csrf ? `<meta name="csrf-token" content="${attr(csrf)}">\n` : ''}${scripts.map((s) => `<script src="${s}" defer></script>`).join('\n')}
</head>`

export function statsPage(opts: { csrf?: string | undefined }): string {
  return `${statsHead('linewatch: calls', opts.csrf, ['/vendor/uplot.min.js', '/stats.js'], ['/page.css', '/vendor/uplot.min.css', '/stats.css'])}
<body>
<h1>Calls today <a class="muted small" href="/">status</a> <a class="muted small" href="/stats/month">the month</a> <a class="muted small" href="/wallboard">wallboard</a></h1>
<div class="muted" id="when">loading…</div>
<div class="tiles" id="summary"></div>
<h2>Calls by hour</h2>
<div class="card" id="chart"></div>
<h2>Missed calls not called back</h2>
<div id="missed" class="card muted">none</div>
<h2>Lines</h2>
<div class="grid" id="lines"></div>
<h2>Call log</h2>
<div class="filters">
  <input id="search" type="search" placeholder="number" autocomplete="off">
  <select id="direction"><option value="">in and out</option><option value="in">incoming</option><option value="out">outgoing</option></select>
  <select id="outcome"><option value="">any outcome</option><option>answered</option><option>missed</option><option>abandoned</option><option>unknown</option><option>busy</option><option>no-answer</option><option>failed</option></select>
  <a id="csv" href="/api/v1/stats/calls?format=csv">CSV</a>
</div>
<table class="log" id="log-table"><thead><tr><th>time</th><th>line</th><th></th><th>number</th><th>outcome</th><th>ring</th><th>talk</th><th>path</th></tr></thead><tbody id="calls"></tbody></table>
</body>
</html>
`
}

export function wallboardPage(): string {
  return `${statsHead('linewatch: wallboard', undefined, ['/wallboard.js'], ['/page.css', '/stats.css'])}
<body class="wallboard">
<div class="board">
  <div class="big" id="missed-now"><span class="n">–</span><span class="label">missed, not called back</span></div>
  <div class="big" id="sl-today"><span class="n">–</span><span class="label">service level today</span></div>
  <div class="big" id="offered-today"><span class="n">–</span><span class="label">calls today</span></div>
</div>
<div class="wall-lines" id="wall-lines"></div>
<div class="muted" id="updated"></div>
</body>
</html>
`
}

export const STATS_CSS = `.small { font-size: 0.6em; font-weight: normal; margin-left: 0.5em; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.5em; }
.tile { background: #fff; border-radius: 6px; padding: 0.6em 0.9em; min-width: 7em; }
.tile .n { font-size: 1.8em; font-weight: 600; display: block; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5em; margin-bottom: 0.5em; }
.filters input, .filters select { font-size: 1em; padding: 0.3em; }
table.log { width: 100%; border-collapse: collapse; background: #fff; font-size: 0.9em; }
table.log td, table.log th { padding: 0.3em 0.5em; border-bottom: 1px solid #e3e6ea; text-align: left; }
.missed-row { display: flex; justify-content: space-between; align-items: center; padding: 0.3em 0; border-bottom: 1px solid #e3e6ea; gap: 0.5em; }
#chart { overflow-x: auto; }
body.wallboard { background: #10151b; color: #f4f5f7; font-size: 2vw; max-width: none; margin: 0; min-height: 100vh; padding: 1em; box-sizing: border-box; }
html:has(body.wallboard) { background: #10151b; }
.board { display: flex; gap: 1em; }
.big { flex: 1; background: #1d252e; border-radius: 10px; padding: 0.6em; text-align: center; }
.big .n { display: block; font-size: 3.5em; font-weight: 700; }
.big .label { color: #9aa5b1; }
.big.bad .n { color: #ff5b5b; }
.big.good .n { color: #3ccf6e; }
.wall-lines { display: flex; flex-wrap: wrap; gap: 0.5em; margin-top: 1em; }
.wall-line { flex: 1 1 8em; border-radius: 10px; padding: 0.8em; text-align: center; font-size: 1.4em; font-weight: 600; color: #10151b; }
.wall-line.up { background: #3ccf6e; }
.wall-line.degraded { background: #f5b83d; }
.wall-line.down { background: #ff5b5b; }
.wall-line.unknown { background: #9aa5b1; }
/* on a phone the call log drops ring time and path */
@media (max-width: 600px) { #log-table th:nth-child(6), #log-table td:nth-child(6), #log-table th:nth-child(8), #log-table td:nth-child(8) { display: none; } }
`

/** /stats.js: fetches the figures and the records; everything is text (textContent), never HTML from the data. */
export const STATS_SCRIPT = `const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const time = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const secs = (ms) => (ms === null || ms === undefined ? '' : Math.round(ms / 1000) + ' s');
let calls = [];
let chart = null;

async function figures() {
  const res = await fetch('/api/v1/stats?by=hour');
  if (!res.ok) { $('when').textContent = (await res.json()).message; return; }
  const f = await res.json();
  $('when').textContent = f.from + ' (' + f.timeZone + '), service level target ' + f.serviceLevelTarget.percent + '/' + f.serviceLevelTarget.seconds;
  const all = f.lines.find((l) => l.line === '*');
  const inc = all ? all.total.incoming : { offered: 0, answered: 0, missed: 0, abandoned: 0, serviceLevel: null };
  const summary = $('summary');
  summary.replaceChildren();
  for (const [n, label] of [[inc.offered, 'offered'], [inc.answered, 'answered'], [inc.missed + inc.abandoned, 'missed'], [inc.serviceLevel === null ? '–' : inc.serviceLevel + ' %', 'service level'], [f.missed.open, 'not called back']]) {
    const t = el('div', 'tile'); t.append(el('span', 'n', String(n)), el('span', 'muted', label)); summary.append(t);
  }
  drawChart(all ? all.buckets : []);
  const missed = $('missed');
  missed.replaceChildren();
  const open = f.missed.calls.filter((m) => !m.followedUp);
  missed.classList.toggle('muted', open.length === 0);
  if (!open.length) missed.textContent = 'none';
  for (const m of open) {
    const row = el('div', 'missed-row');
    row.dataset.id = m.id;
    row.append(el('span', '', time(m.at) + '  ' + m.caller + '  (' + (m.line || '?') + ', waiting ' + Math.round(m.waitingSeconds / 60) + ' min)'));
    const b = el('button', 'mark', 'called back');
    b.addEventListener('click', async () => {
      const r = await fetch('/api/v1/stats/missed/' + encodeURIComponent(m.id) + '/called-back', { method: 'POST', headers: csrf ? { 'x-csrf-token': csrf } : {} });
      if (r.ok) figures(); else b.textContent = (await r.json()).message;
    });
    row.append(b);
    missed.append(row);
  }
  const lines = $('lines');
  lines.replaceChildren();
  for (const a of f.availability) {
    const d = a.days[a.days.length - 1] || { up: 0, degraded: 0, down: 0 };
    const c = el('div', 'card');
    c.append(el('b', '', a.line), el('div', 'muted', 'up ' + Math.round(d.up) + ' min, degraded ' + Math.round(d.degraded) + ', down ' + Math.round(d.down) + '; ' + a.outages.length + ' outage(s)'));
    lines.append(c);
  }
}

function drawChart(buckets) {
  const hours = Array.from({ length: 24 }, (_, h) => h);
  const by = new Map(buckets.map((b) => [Number(b.bucket.slice(11, 13)), b.incoming]));
  const data = [hours, hours.map((h) => (by.get(h) ? by.get(h).offered : 0)), hours.map((h) => (by.get(h) ? by.get(h).answered : 0))];
  const width = Math.min(900, $('chart').clientWidth || 600);
  if (chart) { chart.setData(data); return; }
  chart = new uPlot({ width, height: 220, scales: { x: { time: false } }, axes: [{ label: 'hour' }, { label: 'calls' }],
    series: [{ label: 'hour' }, { label: 'offered', stroke: '#3d7bd9', width: 2 }, { label: 'answered', stroke: '#2f9e57', width: 2 }] }, data, $('chart'));
}

async function log() {
  const res = await fetch('/api/v1/stats/calls');
  if (!res.ok) return;
  calls = (await res.json()).calls;
  renderLog();
}

function renderLog() {
  const q = $('search').value.replace(/[^0-9+]/g, '');
  const dir = $('direction').value;
  const outcome = $('outcome').value;
  const body = $('calls');
  body.replaceChildren();
  for (const c of calls.slice().reverse()) {
    const number = c.direction === 'in' ? c.caller : c.called;
    if (q && !(number || '').includes(q)) continue;
    if (dir && c.direction !== dir) continue;
    if (outcome && c.outcome !== outcome) continue;
    const tr = el('tr');
    for (const v of [time(c.started), c.line || '', c.direction === 'in' ? '←' : '→', (number || 'withheld') + (c.test ? ' (test)' : ''), c.outcome || 'on', secs(c.ringMs), secs(c.talkMs), c.path || '']) tr.append(el('td', '', v));
    body.append(tr);
  }
}

for (const id of ['search', 'direction', 'outcome']) $(id).addEventListener('input', renderLog);
figures(); log();
setInterval(() => { figures(); log(); }, 30000);
`

/** /wallboard.js: the figures and the lines' states every 10 s. */
export const WALLBOARD_SCRIPT = `const $ = (id) => document.getElementById(id);
async function refresh() {
  try {
    const [f, s] = await Promise.all([fetch('/api/v1/stats').then((r) => r.json()), fetch('/api/v1/state').then((r) => r.json())]);
    const all = f.lines ? f.lines.find((l) => l.line === '*') : null;
    const inc = all ? all.total.incoming : null;
    const open = f.missed ? f.missed.open : 0;
    $('missed-now').querySelector('.n').textContent = String(open);
    $('missed-now').classList.toggle('bad', open > 0);
    $('missed-now').classList.toggle('good', open === 0);
    const sl = inc && inc.serviceLevel !== null ? inc.serviceLevel : null;
    $('sl-today').querySelector('.n').textContent = sl === null ? '–' : Math.round(sl) + ' %';
    $('sl-today').classList.toggle('bad', sl !== null && f.serviceLevelTarget && sl < f.serviceLevelTarget.percent);
    $('sl-today').classList.toggle('good', sl !== null && f.serviceLevelTarget && sl >= f.serviceLevelTarget.percent);
    $('offered-today').querySelector('.n').textContent = inc ? String(inc.offered) : '0';
    const wall = $('wall-lines');
    wall.replaceChildren();
    for (const l of Object.values(s.lines)) {
      const d = document.createElement('div');
      d.className = 'wall-line ' + l.state;
      d.dataset.line = l.id;
      d.textContent = l.id + ' ' + l.state;
      wall.append(d);
    }
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    $('updated').textContent = 'the box does not answer: ' + err.message;
  }
}
refresh();
setInterval(refresh, 10000);
`

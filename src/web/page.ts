/**
 * The status page: lines, modems and the panel as the call room sees it,
 * updated live from /api/v1/events. In the demo it also has the simulator's
 * controls and the MQTT messages the box sends. Plain HTML and JS: it must
 * load from the box with no internet.
 *
 * The lamps blink on the page as on the panel: the page gets the patterns'
 * timings (src/panel/patterns.ts) and works out each lamp's frame from the
 * viewer's clock, as the box does (a test checks the two agree).
 */
import { BUZZER_PATTERNS, LAMP_TEST_BEEP_MS, PATTERNS } from '../panel/patterns.js'

/**
 * The page's Content-Security-Policy: nothing inline, nothing from elsewhere, never in a frame. The
 * script and the style sheet are served from the box (/page.js, /page.css); the icon is an empty data: URL.
 */
export const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** `csrf` and `user` when a person is logged in: the page sends the token back with every change (x-csrf-token). */
export function statusPage(opts: { demo: boolean; csrf?: string | undefined; user?: string | undefined }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>linewatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
${opts.csrf ? `<meta name="csrf-token" content="${attr(opts.csrf)}">\n` : ''}<script src="/page.js" defer></script>
</head>
<body data-demo="${opts.demo}">
${opts.user && opts.csrf ? `<form class="who" method="post" action="/logout"><span class="muted" id="user">${attr(opts.user)}</span> <input type="hidden" name="csrf" value="${attr(opts.csrf)}"><button id="logout">Log out</button></form>\n` : ''}<h1 id="title">linewatch</h1>
<div class="muted" id="conn">connecting…</div>
<nav class="muted"><a href="/stats">calls and figures</a> · <a href="/wallboard">wallboard</a></nav>
<h2>Panel</h2>
<div class="panel" id="panel"></div>
<h2>Lines</h2>
<div class="grid" id="lines"></div>
<h2>Modems</h2>
<div class="grid" id="modems"></div>
<h2>Uplinks</h2>
<div class="grid" id="uplinks"></div>
<h2>Active alerts</h2>
<div id="alerts" class="card muted">none</div>
${opts.demo ? '<h2>MQTT messages from the box <span class="muted">(newest first)</span></h2><div id="log"></div>' : ''}
</body>
</html>
`
}

export const PAGE_CSS = `  :root { font-family: system-ui, sans-serif; color: #1d232a; background: #f4f5f7; }
  body { margin: 0 auto; max-width: 1100px; padding: 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .5rem; }
  .muted { color: #66707a; font-size: .85rem; }
  .who { float: right; } body.login { max-width: 26rem; } .login form label { display: block; margin: 0 0 .6rem; }
  .login input { display: block; width: 100%; box-sizing: border-box; padding: .4rem; margin-top: .2rem; } .error { color: #a11b1b; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: .75rem; }
  .card { background: #fff; border-radius: 8px; padding: .75rem; box-shadow: 0 1px 2px #0002; }
  .state { font-weight: 600; text-transform: uppercase; font-size: .8rem; padding: .1rem .4rem; border-radius: 4px; }
  .up { background: #d9f5dd; color: #17692a; } .down { background: #fde0e0; color: #a11b1b; }
  .degraded { background: #fff0cc; color: #8a5a00; } .unknown { background: #e6e8eb; color: #4a525a; }
  .panel { display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; background: #22272e; color: #eee; padding: 1rem; border-radius: 8px; }
  .lamp { display: flex; flex-direction: column; align-items: center; gap: .3rem; font-size: .8rem; }
  .bulb { width: 42px; height: 42px; border-radius: 50%; background: #444b; border: 2px solid #111; }
  .bulb.green { background: #2ecc40; box-shadow: 0 0 14px #2ecc40; } .bulb.red { background: #ff4136; box-shadow: 0 0 14px #ff4136; }
  .bulb.amber { background: #ffb000; box-shadow: 0 0 14px #ffb000; }
  .buzzer .bulb.sounding { background: #ff851b; box-shadow: 0 0 14px #ff851b; transform: scale(1.15); }
  .stack { display: flex; flex-direction: column; gap: 2px; align-items: center; font-size: .8rem; }
  .stack .tier { width: 34px; height: 16px; border-radius: 3px; background: #444b; border: 1px solid #111; }
  .stack .tier.red.lit { background: #ff4136; } .stack .tier.amber.lit { background: #ffb000; } .stack .tier.green.lit { background: #2ecc40; }
  .stack.down { opacity: .4; }
  button { font: inherit; padding: .3rem .6rem; border-radius: 5px; border: 1px solid #aab; background: #fff; cursor: pointer; }
  button:hover { background: #eef; }
  .controls button { margin: .15rem .15rem 0 0; }
  #log { font-family: ui-monospace, monospace; font-size: .75rem; background: #1d232a; color: #cfe; padding: .5rem; border-radius: 6px; height: 16rem; overflow: auto; white-space: pre-wrap; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; } td { padding: .15rem .3rem; vertical-align: top; }
`

/** The page's script: the same for the demo and a box (the body's data-demo tells them apart). */
export const PAGE_SCRIPT = `const DEMO = document.body.dataset.demo === 'true';
const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
// every change carries the session's CSRF token; a lapsed login goes back to the login page
async function change(url) {
  const r = await fetch(url, { method: 'POST', headers: csrf ? { 'x-csrf-token': csrf } : {} });
  if (r.status === 401) location.assign('/login');
  return r;
}
let snap = null;
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const time = (ms) => ms ? new Date(ms).toLocaleTimeString() : '—';
const PATTERNS = ${JSON.stringify(PATTERNS)};
const BUZZ = ${JSON.stringify(BUZZER_PATTERNS)};
const BEEP_MS = ${LAMP_TEST_BEEP_MS};
function litAt(tm, t) { const ph = tm.periodMs ? ((t % tm.periodMs) + tm.periodMs) % tm.periodMs : 0; return tm.lit.some((w) => ph >= w[0] && ph < w[1]); }
/** The panel's frame at time t: the same rule as frameAt in src/panel/patterns.ts. */
function frameAt(p, t) {
  const test = !!p.test && t >= p.test.since && t < p.test.until;
  const shown = (l) => test ? 'amber' : litAt(PATTERNS[l.pattern], t) ? l.color : 'off';
  const lamps = {};
  for (const l of p.lamps) lamps[l.id] = shown(l);
  const beep = test && !p.buzzer.quiet && t < p.test.since + BEEP_MS;
  return { lamps, summary: shown(p.summary), buzzer: beep || (!test && litAt(BUZZ[p.buzzer.pattern], t)), test };
}
function paint() {
  if (!snap) return;
  const f = frameAt(snap.panel, Date.now());
  for (const el of document.querySelectorAll('[data-lamp]')) {
    const shown = f.lamps[el.dataset.lamp] || 'off';
    if (el.dataset.shown !== shown) { el.dataset.shown = shown; el.firstChild.className = 'bulb ' + shown; }
  }
  const bz = document.querySelector('#buzzer .bulb');
  if (bz) bz.classList.toggle('sounding', f.buzzer);
  const stack = document.getElementById('stack');
  if (stack) {
    const color = stack.dataset.shows === 'summary' ? f.summary : (f.lamps[stack.dataset.shows] || 'off');
    for (const tier of stack.querySelectorAll('.tier')) tier.classList.toggle('lit', f.test || color === tier.dataset.tier);
    stack.dataset.shown = color;
  }
}
setInterval(paint, 20);
async function post(path) {
  const r = await change(path);
  if (!r.ok) alert(path + ': ' + (await r.text()));
}
const badge = (s) => '<span class="state ' + esc(s) + '" data-state="' + esc(s) + '">' + esc(s) + '</span>';

function render() {
  if (!snap) return;
  document.getElementById('title').textContent = 'linewatch — ' + snap.box.site + ' / ' + snap.box.box;
  const down = Object.values(snap.lines).filter((l) => l.state === 'down').length;
  document.title = (down ? down + ' line' + (down > 1 ? 's' : '') + ' down — ' : '') + 'linewatch ' + snap.box.site + '/' + snap.box.box;
  const p = snap.panel;
  const stack = p.outputs.modbus;
  document.getElementById('panel').innerHTML = p.lamps.map((l) =>
    '<div class="lamp" data-lamp="' + esc(l.id) + '" data-color="' + esc(l.color) + '" data-pattern="' + esc(l.pattern) + '" title="' + esc(l.source + ': ' + l.color + ' ' + l.pattern) + '"><div class="bulb"></div>' + esc(l.id) + '</div>').join('') +
    '<div class="lamp buzzer" id="buzzer" data-on="' + p.buzzer.on + '" data-pattern="' + esc(p.buzzer.pattern) + '"><div class="bulb"></div>buzzer ' +
    (p.buzzer.on ? esc(p.buzzer.pattern) + ' (' + esc(p.buzzer.severity) + ')' : p.buzzer.quiet ? 'quiet hours' : p.buzzer.muted ? 'silenced' : 'quiet') + '</div>' +
    (stack ? '<div class="stack' + (stack.ok ? '' : ' down') + '" id="stack" data-shows="' + esc(stack.shows || 'summary') + '" title="' + esc(stack.ok ? 'stack light (Modbus)' : 'stack light not answering: ' + stack.error) + '">' +
      ['red', 'amber', 'green'].map((c) => '<div class="tier ' + c + '" data-tier="' + c + '"></div>').join('') + 'stack' + (stack.ok ? '' : ' ✗') + '</div>' : '') +
    '<button id="lamp-test" data-post="/api/v1/panel/test">Lamp test</button>' +
    (DEMO ? '<button id="silence" data-sim="button/press">Silence button</button>' : '<button id="silence" data-post="/api/v1/panel/silence">Silence</button>');
  paint();
  document.getElementById('lines').innerHTML = Object.values(snap.lines).map((l) =>
    '<div class="card" data-line="' + esc(l.id) + '"><b>' + esc(l.id) + '</b> <span class="muted">' + esc(l.kind) + ' ' + esc(l.numbers.join(', ')) + '</span><br>' +
    badge(l.state) + ' <span class="muted">since ' + time(l.since) + '</span><div>' + esc(l.reason) + '</div>' +
    (l.transition ? '<div class="muted" data-transition="' + esc(l.transition.to) + '">→ ' + esc(l.transition.to) + (l.transition.at ? ' at ' + time(l.transition.at) : ' after more reports') + ': ' + esc(l.transition.reason) + '</div>' : '') +
    (l.analog ? '<div class="muted">voltage ' + esc(l.analog.voltage ?? '?') + (l.analog.ringing ? ', RINGING' : '') + (l.analog.diverted ? ', diverted to GSM' : '') + '</div>' : '') +
    '<div class="muted">calls this hour: ' + l.callsThisHour + ', last: ' + time(l.lastCallAt) + (l.lastCallerId ? ' from ' + esc(l.lastCallerId) : '') + '</div></div>').join('');
  document.getElementById('modems').innerHTML = Object.values(snap.modems).map((m) =>
    '<div class="card" data-modem="' + esc(m.id) + '"><b>' + esc(m.id) + '</b> <span class="muted">' + esc(m.port) + '</span><br>' + badge(m.state) +
    '<table><tr><td>registration</td><td>' + esc(m.registration) + (m.operator ? ' (' + esc(m.operator) + ')' : '') + '</td></tr>' +
    '<tr><td>signal</td><td>' + (m.signal.rssiDbm === null ? '—' : m.signal.rssiDbm + ' dBm (CSQ ' + m.signal.csq + ')') + '</td></tr>' +
    '<tr><td>SIM</td><td>' + esc(m.sim) + '</td></tr><tr><td>ringing</td><td>' + (m.ringing ? esc(m.ringing.callerId || 'withheld') : '—') + '</td></tr>' +
    '<tr><td>reason</td><td>' + esc(m.reason) + '</td></tr></table>' +
    (DEMO && m.port.startsWith('sim:') ? '<div class="controls">' + [['break', 'Break line'], ['heal', 'Heal line'], ['ring', 'Ring'], ['mute', 'Stop answering'], ['unmute', 'Answer again'], ['weak', 'Weak signal']]
      .map(([a, t]) => '<button data-action="' + a + '" data-sim="modem/' + esc(m.port.slice(4)) + '/' + a + '">' + t + '</button>').join('') + '</div>' : '') + '</div>').join('');
  const num = (x, unit) => x === null ? '—' : x + unit;
  document.getElementById('uplinks').innerHTML = Object.values(snap.uplinks).map((u) =>
    '<div class="card" data-uplink="' + esc(u.id) + '" data-active="' + u.active + '"><b>' + esc(u.id) + '</b> <span class="muted">' + esc(u.interface) + (u.metered ? ', metered' : '') + '</span>' +
    (u.active ? ' <b>in use</b>' : '') + '<br>' + badge(u.state) + ' <span class="muted">since ' + time(u.since) + '</span><div>' + esc(u.reason) + '</div>' +
    '<table><tr><td>loss</td><td>' + num(u.lossPct, ' %') + '</td></tr><tr><td>round trip</td><td>' + num(u.rttMs, ' ms') + ' (jitter ' + num(u.jitterMs, ' ms') + ')</td></tr>' +
    '<tr><td>MOS</td><td>' + num(u.mos, '') + (u.rFactor === null ? '' : ' (R ' + u.rFactor + ')') + '</td></tr>' +
    (u.failbackAt && u.failbackAt > Date.now() ? '<tr><td>fail-back</td><td>not before ' + time(u.failbackAt) + '</td></tr>' : '') + '</table>' +
    (DEMO && u.interface.startsWith('sim:') ? '<div class="controls">' + [['cut', 'Cut'], ['lossy', 'Lose 5 %'], ['slow', 'Slow'], ['restore', 'Restore']]
      .map(([a, t]) => '<button data-action="' + a + '" data-sim="uplink/' + esc(u.interface.slice(4)) + '/' + a + '">' + t + '</button>').join('') + '</div>' : '') + '</div>').join('');
  const alerts = Object.values(snap.alerts);
  document.getElementById('alerts').innerHTML = alerts.length ? alerts.map((a) => esc(a.severity) + ': ' + esc(a.message) + ' <span class="muted">' + time(a.ts) + '</span>').join('<br>') : 'none';
}

function apply(c) {
  if (c.kind === 'panel') snap.panel = c.next;
  else if (c.kind === 'alert') { if (c.next.state === 'raised') snap.alerts[c.id] = c.next; else delete snap.alerts[c.id]; }
  else if (c.kind === 'event' || c.kind === 'call' || c.kind === 'site' || c.kind === 'routed' || c.kind === 'stats') return;
  else snap[c.kind + 's'][c.id] = c.next;
  render();
}

function log(m) {
  const el = document.getElementById('log');
  if (!el) return;
  const line = document.createElement('div');
  line.textContent = new Date(m.ts).toLocaleTimeString() + ' ' + m.topic + (m.retain ? ' (retained)' : '') + '  ' + m.payload;
  el.prepend(line);
  while (el.childNodes.length > 200) el.lastChild.remove();
}

async function sim(path) {
  const r = await change('/api/v1/sim/' + path);
  if (!r.ok) alert('simulator: ' + (await r.text()));
}

function connect() {
  const es = new EventSource('/api/v1/events');
  es.addEventListener('snapshot', (e) => { snap = JSON.parse(e.data); document.getElementById('conn').textContent = 'live'; render(); });
  es.addEventListener('change', (e) => apply(JSON.parse(e.data)));
  es.addEventListener('mqtt', (e) => log(JSON.parse(e.data)));
  es.onerror = () => {
    document.getElementById('conn').textContent = 'connection lost — retrying…';
    fetch('/api/v1/panel').then((r) => { if (r.status === 401) location.assign('/login'); }, () => {});
  };
}
// one listener for every button: the page's policy allows no inline handlers
document.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) return;
  if (b.dataset.post) post(b.dataset.post);
  else if (b.dataset.sim) sim(b.dataset.sim);
});
connect();
`

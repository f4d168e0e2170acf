/**
 * GET /metrics: the demo box (simulated modems speaking AT bytes) with the
 * login required. Who may scrape (a `metrics` token yes, a `pbx` token no),
 * the exposition's grammar, figures that follow the simulated world (a ring
 * takes a channel, a routed call is counted and priced), promtool's lint, and
 * a real Prometheus server scraping the box with the documented scrape config.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { silentLogger } from '../../src/core/logger.js'
import { demoConfig } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'
import { freePort, missing, terminate } from '../helpers/real.js'

const ADMIN = 'an-admin-token-of-24-chars'

/** Parses the text format strictly: every sample belongs to a family whose HELP and TYPE came first; no series twice. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>()
  const typed = new Set<string>()
  for (const line of text.trimEnd().split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['gauge', 'counter'].includes(meta[3]!)) throw new Error(`type ${meta[3]}`)
        typed.add(meta[2]!)
      }
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN)$/.exec(line)
    if (!m) throw new Error(`not a sample: ${line}`)
    if (!typed.has(m[1]!)) throw new Error(`sample before its TYPE: ${line}`)
    const key = m[1]! + (m[2] ?? '')
    if (series.has(key)) throw new Error(`twice: ${key}`)
    series.set(key, Number(m[3]))
  }
  return series
}

async function startBox() {
  const dir = mkdtempSync(join(tmpdir(), 'lw-metrics-'))
  const config = demoConfig({ httpPort: 0 }, 'mqtt://127.0.0.1:1', dir)
  config.http.auth = 'required'
  config.http.token = ADMIN
  const box = new Box({ config, log: silentLogger() })
  await box.start()
  const metricsToken = await box.auth.credentials.addToken('prometheus', ['metrics'], Date.now())
  const pbxToken = await box.auth.credentials.addToken('pbx', ['pbx'], Date.now())
  return { box, dir, metricsToken, pbxToken }
}

const scrape = async (url: string, token?: string) => fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

t.test('who may scrape, the grammar, and figures that follow the simulated world', async (t) => {
  const { box, metricsToken, pbxToken } = await startBox()
  t.teardown(() => box.stop())
  const url = box.httpUrl
  t.equal((await scrape(url)).status, 401, 'no credential: 401')
  const refused = await scrape(url, pbxToken)
  t.equal(refused.status, 403, 'a pbx token may not read the figures')
  t.match(((await refused.json()) as { message: string }).message, /"metrics" scope/)
  const read = async () => parse(await (await scrape(url, metricsToken)).text())
  const first = await scrape(url, metricsToken)
  t.equal(first.status, 200, 'a metrics token: 200')
  t.equal(first.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const firstText = await first.text()
  t.doesNotThrow(() => parse(firstText), 'the exposition parses')

  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up', 15_000, 'gsm1 up')
  let m = await read()
  t.equal(m.get('linewatch_line_state{line="gsm1",kind="gsm",state="up"}'), 1, 'gsm1 is up')
  t.equal(m.get('linewatch_line_state{line="gsm1",kind="gsm",state="down"}'), 0)
  t.equal(m.get('linewatch_line_channels_busy{line="gsm1"}'), 0)
  t.ok((m.get('linewatch_modem_signal_dbm{modem="gsm1"}') ?? 0) < 0, 'the signal in dBm, from AT+CSQ')
  t.equal(m.get('linewatch_modem_registration{modem="gsm1",state="home"}'), 1)
  t.equal(m.get('linewatch_uplink_state{uplink="wan1",interface="sim:wan1",state="up"}') !== undefined, true, 'each uplink has its state set')
  t.equal(m.get('linewatch_mqtt_connected'), 0, 'no broker here')
  t.ok((m.get('linewatch_outbox_messages') ?? 0) > 0, 'what waits for the broker is counted')
  t.ok((m.get('process_resident_memory_bytes') ?? 0) > 10e6, 'the process memory')
  t.ok(m.has('nodejs_eventloop_lag_p99_seconds'), 'the event-loop lag')
  t.equal(m.get('linewatch_info{site="demo-store",box="box1",version="' + box.store.snapshot.box.version + '"}'), 1)

  box.simulator!.modems.get('gsm1')!.ring('+79161112233', { times: 20, intervalMs: 3000 })
  await waitFor(() => box.store.get('line', 'gsm1')!.channelUse.busy === 1, 10_000, 'the ring takes the channel')
  t.equal((await read()).get('linewatch_line_channels_busy{line="gsm1"}'), 1, 'the ringing call is on the line')
  box.simulator!.modems.get('gsm1')!.hangUpRemote()
  await waitFor(async () => [...(await read()).keys()].some((k) => k.startsWith('linewatch_calls_total{line="gsm1",direction="in"')), 20_000, 'the ended call counted')
  m = await read()
  t.equal([...m].filter(([k]) => k.startsWith('linewatch_calls_total{line="gsm1"')).reduce((s, [, v]) => s + v, 0), 1, 'one call ended on gsm1')

  const report = await fetch(`${url}/api/v1/calls`, { method: 'POST', headers: { authorization: `Bearer ${pbxToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: 'sip1', to: '89161234567', outcome: 'answered', seconds: 120, id: 'a1' }) })
  t.equal(report.status, 202, 'the PBX report taken')
  m = await read()
  t.equal(m.get('linewatch_routed_attempts_total{path="sip1",outcome="answered"}'), 1, 'the routed attempt')
  t.equal(m.get('linewatch_routed_talk_seconds_total{path="sip1"}'), 120)
  t.ok((m.get('linewatch_routed_cost_total{path="sip1",currency="RUB"}') ?? 0) > 0, 'priced on the carrier plan')
})

const noPrometheus = missing('prometheus') || missing('promtool')

t.test('promtool finds nothing to lint, and a real Prometheus scrapes the box with the documented config', { skip: noPrometheus }, async (t) => {
  const { box, dir, metricsToken } = await startBox()
  t.teardown(() => box.stop())
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up', 15_000, 'gsm1 up')
  const body = await (await scrape(box.httpUrl, metricsToken)).text()
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
  t.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`)

  // docs/http.md's scrape job, with this box's address
  writeFileSync(join(dir, 'token'), metricsToken, { mode: 0o600 })
  const target = new URL(box.httpUrl).host
  writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s }
scrape_configs:
  - job_name: linewatch
    metrics_path: /metrics
    authorization: { credentials_file: ${join(dir, 'token')} }
    static_configs: [{ targets: ["${target}"], labels: { store: demo-store } }]
`)
  const port = await freePort()
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' })
  t.teardown(() => terminate(prom))
  const query = async (q: string) => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)
      const j = (await res.json()) as { data: { result: { value: [number, string] }[] } }
      return j.data.result.map((r) => Number(r.value[1]))
    } catch {
      return []
    }
  }
  await waitFor(async () => (await query('up{job="linewatch"}'))[0] === 1, 30_000, 'Prometheus scrapes the box (up == 1)')
  t.same(await query('linewatch_line_state{line="gsm1",state="up"}'), [1], 'Prometheus reads gsm1 up')
  t.same(await query('sum(linewatch_line_state{store="demo-store"})'), [Object.keys(box.store.snapshot.lines).length], 'one state in force per line')
})

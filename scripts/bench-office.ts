/**
 * 13. The office link (bench-office.ts), all in one run:
 *   - messages/s to a real mosquitto with the broker up: 20,000 events recorded at once, until the office
 *     subscriber has them all (journal, fsync, PUBACK included);
 *   - drain: 100,000 messages queued while the broker is away, then the time from the connection to the
 *     office having them all (goal ≥ 5,000 msg/s);
 *   - bytes written to the state folder (journal and files rewritten whole) by the demo box idle for
 *     LINEWATCH_BENCH_IDLE_S (60) s, as per hour and per day (goal ≤ 5 MB per idle day), and per busy hour:
 *     300 calls (a store with ten lines at 30 calls an hour each), each a call record, a routing report and
 *     its priced record, plus the alerts and events of a line going down and up every 10 minutes.
 * Without mosquitto the throughput figures are skipped (said so). Run alone: node dist/scripts/bench-office.js
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import { Box } from '../src/app.js'
import { validateConfigText } from '../src/config/index.js'
import { systemClock } from '../src/core/clock.js'
import { diskWrites } from '../src/core/disk-writes.js'
import { Journal } from '../src/core/journal.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { MqttReporter } from '../src/report/mqtt.js'
import { startEmbeddedBroker } from '../src/sim/broker.js'
import { demoConfig } from '../src/sim/demo.js'
import { startMosquittoForBench } from './bench-mosquitto.js'

type Figure = { figure: string; value: number; unit: string }

const IDLE_S = Number(process.env.LINEWATCH_BENCH_IDLE_S ?? 60)
const LIVE_N = 20_000
const DRAIN_N = 100_000
const BUSY_CALLS = 300
const round = (x: number, digits = 1) => Number(x.toFixed(digits))

async function reporterOn(url: string, dir: string, box: string) {
  const { config } = validateConfigText(`site: bench\nbox: ${box}\nboard: sim\nmqtt: { url: "${url}", baseTopic: lwbench, reconnectMinMs: 100, reconnectMaxMs: 1000, outboxKB: 65536 }\n`)
  const journal = new Journal(join(dir, `${box}.log`), silentLogger())
  journal.open()
  const store = new StateStore({ site: 'bench', box, version: 'b', startedAt: Date.now() }, systemClock)
  const reporter = new MqttReporter({ config: config!.mqtt, site: 'bench', box, store, clock: systemClock, log: silentLogger(), journal })
  return { journal, store, reporter }
}

async function office(url: string, filter: string) {
  const client = await mqtt.connectAsync(url, { clientId: `bench-office-${process.pid}-${Math.random().toString(16).slice(2)}` })
  let count = 0
  client.on('message', () => void count++)
  await client.subscribeAsync(filter, { qos: 1 })
  return { client, count: () => count }
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms
  while (!ok()) {
    if (performance.now() > end) throw new Error(`bench-office: ${what} did not finish in ${ms / 1000} s`)
    await sleep(5)
  }
}

const event = (n: number) => ({ type: 'uplink' as const, from: 'wan1', to: 'wan2', reason: `bench ${n}`, routes: 'set' as const, conntrack: null, detail: '' })

async function throughput(dir: string): Promise<{ figures: Figure[]; skipped?: string }> {
  const broker = await startMosquittoForBench()
  if ('skipped' in broker) return { figures: [], skipped: broker.skipped }
  try {
    const live = await reporterOn(broker.url, dir, 'live')
    const o1 = await office(broker.url, `${live.reporter.base}/event`)
    await live.reporter.start()
    while (!live.reporter.connected) await sleep(10)
    const t0 = performance.now()
    for (let n = 0; n < LIVE_N; n++) live.store.recordEvent(event(n))
    await until(() => o1.count() >= LIVE_N, 120_000, 'the live messages')
    const liveMs = performance.now() - t0
    await live.reporter.stop()
    live.journal.close()
    await o1.client.endAsync()

    // the drain: queued with nothing listening on the broker's port, then the broker back
    await broker.stop()
    const queued = await reporterOn(broker.url, dir, 'drain')
    await queued.reporter.start()
    const f0 = performance.now()
    for (let n = 0; n < DRAIN_N; n++) queued.store.recordEvent(event(n))
    await sleep(300)
    const fillMs = performance.now() - f0
    const journalBytes = queued.journal.bytes
    await broker.start()
    const o2 = await office(broker.url, `${queued.reporter.base}/event`)
    queued.reporter.reconnectNow()
    while (!queued.reporter.connected) await sleep(5)
    const d0 = performance.now()
    await until(() => o2.count() >= DRAIN_N, 300_000, 'the drain')
    const drainMs = performance.now() - d0
    await queued.reporter.stop()
    queued.journal.close()
    await o2.client.endAsync()
    return {
      figures: [
        { figure: `office link: ${LIVE_N.toLocaleString('en-US')} events to mosquitto and an office subscriber, broker up`, value: Math.round(LIVE_N / (liveMs / 1000)), unit: 'msg/s' },
        { figure: `office link: ${DRAIN_N.toLocaleString('en-US')} queued while the broker was away: recorded (journal)`, value: Math.round(DRAIN_N / (fillMs / 1000)), unit: 'msg/s' },
        { figure: `office link: ${DRAIN_N.toLocaleString('en-US')} queued: the journal's size`, value: round(journalBytes / 1024 / 1024), unit: 'MiB' },
        { figure: `office link: ${DRAIN_N.toLocaleString('en-US')} queued: drained to the office (goal ≥ 5,000)`, value: Math.round(DRAIN_N / (drainMs / 1000)), unit: 'msg/s' },
        { figure: `office link: ${DRAIN_N.toLocaleString('en-US')} queued: drain time`, value: round(drainMs / 1000), unit: 's' },
      ],
    }
  } finally {
    await broker.stop()
  }
}

async function diskBytes(dir: string): Promise<Figure[]> {
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  const config = demoConfig({ httpPort: 0 }, broker.url, join(dir, 'state'))
  config.mqtt.protocol = '3.1.1'
  const box = new Box({ config, log: silentLogger() })
  try {
    await box.start()
    await box.settled()
    await sleep(5000) // past the start's own writes
    const idle0 = diskWrites.bytes
    await sleep(IDLE_S * 1000)
    const idleBytes = diskWrites.bytes - idle0
    const perHour = (idleBytes * 3600) / IDLE_S

    // a busy hour, played fast: calls, routing reports, a line down and up every 10 minutes
    const busy0 = diskWrites.bytes
    for (let n = 0; n < BUSY_CALLS; n++) {
      const at = Date.now()
      box.store.recordCall({ id: `gsm1-${at}-${n}`, direction: 'in', line: 'gsm1', modem: 'gsm1', callerId: '+79161234567', dialed: null, state: 'ended', outcome: 'answered', startedAt: at, answeredAt: at, endedAt: at })
      box.routing.report({ id: `bench-${n}`, path: 'sip1', to: '+74957770000', outcome: n % 5 ? 'answered' : 'no-answer', seconds: 120 })
      if (n % 50 === 0) box.store.setAlert({ id: 'line/pots1/down', severity: 'major', source: 'line/pots1', state: n % 100 ? 'cleared' : 'raised', message: 'bench' })
      if (n % 10 === 0) await sleep(120) // the calls of a few minutes come in one group commit, as they would
    }
    await sleep(3000)
    const busyBytes = diskWrites.bytes - busy0
    return [
      { figure: `state folder: bytes written by the idle demo box, per hour (measured over ${IDLE_S} s)`, value: Math.round(perHour), unit: 'B/h' },
      { figure: 'state folder: the same per idle day (goal ≤ 5 MB)', value: round((perHour * 24) / 1e6, 2), unit: 'MB/day' },
      { figure: `state folder: bytes written for a busy hour (${BUSY_CALLS} calls, routing reports, 6 alerts), on top of idle`, value: Math.round(busyBytes), unit: 'B' },
    ]
  } finally {
    await box.stop()
    await broker.close()
  }
}

export async function benchOffice(): Promise<{ figures: Figure[]; skipped?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'linewatch-bench-office-'))
  try {
    const t = await throughput(dir)
    const disk = await diskBytes(dir)
    return { figures: [...t.figures, ...disk], skipped: t.skipped }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchOffice()
  if (r.skipped) console.log(`office link throughput skipped: ${r.skipped}`)
  for (const f of r.figures) console.log(`${f.figure}: ${f.value.toLocaleString('en-US')} ${f.unit}`)
}

/**
 * A fleet of real boxes against one mosquitto, and the office that follows
 * them (test/report/fleet.test.ts runs a short one, `npm run bench` a longer
 * one). The boxes run in child processes (scripts/fleet-child.ts), each box
 * breaking and healing its line and an uplink on a seeded schedule; the broker
 * is restarted once in the middle. The office subscriber is written here as
 * docs/mqtt.md tells an office to be: a persistent session, QoS 1, every
 * message kept once per (box, seq), a gap waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import { packageRoot } from '../src/core/version.js'
import type { BenchBroker } from './bench-mosquitto.js'

export interface FleetOptions {
  broker: BenchBroker
  boxes: number
  processes: number
  /** How long the boxes break and heal things. */
  seconds: number
  seed: number
  /** Restart the broker (SIGTERM, then start again) this far into the schedule; null: never. */
  restartAfterSeconds: number | null
  log?: (line: string) => void
}

export interface FleetResult {
  boxes: number
  processes: number
  seconds: number
  /** Messages the office received (alerts, events, calls), copies included. */
  received: number
  /** Of which copies of a (box, seq) it had (QoS 1 is at least once). */
  duplicates: number
  /** Distinct messages per second over the schedule and the drain. */
  messagesPerSecond: number
  /** The broker's CPU over the run, in % of one core. */
  brokerCpuPercent: number
  /** From the moment in a message (`ts`) to the office receiving it. */
  latencyP50Ms: number
  latencyP99Ms: number
  alerts: number
  /** What is wrong: a seq missing, an alert count that differs, a box that did not drain. Empty when all is well. */
  problems: string[]
}

interface BoxReport {
  box: string
  lastSeq: number
  waiting: number
  alerts: number
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0)

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const log = o.log ?? (() => {})
  const root = await mkdtemp(join(tmpdir(), 'lw-fleet-'))
  // the office: one persistent session, so what is sent while it (or the broker) is away waits for it
  const office = await mqtt.connectAsync(o.broker.url, { clientId: 'fleet-office', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 250 })
  office.on('error', () => {})
  const got = new Map<string, Set<number>>()
  /** Per box, the seqs of the alerts received: counted up to the seq the box reports as its last. */
  const alertSeqs = new Map<string, number[]>()
  const latencies: number[] = []
  let received = 0
  let duplicates = 0
  office.on('message', (topic, payload) => {
    const [, , box, kind] = topic.split('/')
    const body = JSON.parse(payload.toString()) as { seq: number; ts: number }
    received++
    let seqs = got.get(box!)
    if (!seqs) got.set(box!, (seqs = new Set()))
    if (seqs.has(body.seq)) return void duplicates++
    seqs.add(body.seq)
    latencies.push(Date.now() - body.ts)
    if (kind === 'alert') alertSeqs.set(box!, [...(alertSeqs.get(box!) ?? []), body.seq])
  })
  await office.subscribeAsync(['linewatch/fleet/+/alert', 'linewatch/fleet/+/event', 'linewatch/fleet/+/call'], { qos: 1 })

  const child = join(packageRoot(), 'dist', 'scripts', 'fleet-child.js')
  const per = Math.ceil(o.boxes / o.processes)
  const children: { proc: ChildProcess; lines: AsyncIterator<string> }[] = []
  for (let first = 0; first < o.boxes; first += per) {
    const n = Math.min(per, o.boxes - first)
    const proc = spawn(process.execPath, [child, o.broker.url, String(first), String(n), String(o.seconds), String(o.seed), root], { stdio: ['pipe', 'pipe', 'inherit'] })
    children.push({ proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() })
  }
  const next = async (c: (typeof children)[number]) => JSON.parse(((await c.lines.next()).value as string | undefined) ?? 'null') as Record<string, unknown> | null
  try {
    for (const c of children) {
      const ready = await next(c)
      if (!ready?.ready) throw new Error('a fleet process did not start its boxes')
    }
    log(`fleet: ${o.boxes} boxes in ${children.length} processes connected`)
    const started = Date.now()
    const cpuStart = o.broker.cpuSeconds()
    if (o.restartAfterSeconds !== null) {
      await sleep(o.restartAfterSeconds * 1000)
      log('fleet: restarting the broker')
      await o.broker.stop()
      await sleep(2000)
      await o.broker.start()
    }
    const reports = (await Promise.all(children.map(next))).flatMap((r) => (r?.boxes as BoxReport[] | undefined) ?? [])
    // the office may still be reading what the boxes have sent
    const expected = reports.reduce((s, r) => s + r.lastSeq, 0)
    for (let i = 0; i < 300 && [...got.values()].reduce((s, v) => s + v.size, 0) < expected; i++) await sleep(100)
    const elapsed = (Date.now() - started) / 1000
    const cpu = o.broker.cpuSeconds() - cpuStart

    const problems: string[] = []
    if (reports.length !== o.boxes) problems.push(`${reports.length} of ${o.boxes} boxes reported`)
    for (const r of reports) {
      const seqs = got.get(r.box) ?? new Set<number>()
      const missing: number[] = []
      for (let s = 1; s <= r.lastSeq; s++) if (!seqs.has(s)) missing.push(s)
      if (r.waiting > 0) problems.push(`${r.box}: ${r.waiting} messages still in its outbox`)
      if (missing.length) problems.push(`${r.box}: seq ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} missing of 1..${r.lastSeq}`)
      // (a seq above lastSeq is newer than the report: an uplink failing back after its hold-down)
      const alerts = (alertSeqs.get(r.box) ?? []).filter((s) => s <= r.lastSeq).length
      if (alerts !== r.alerts) problems.push(`${r.box}: ${alerts} alerts received, ${r.alerts} raised or cleared`)
    }
    const distinct = [...got.values()].reduce((s, v) => s + v.size, 0)
    latencies.sort((a, b) => a - b)
    return {
      boxes: o.boxes,
      processes: children.length,
      seconds: o.seconds,
      received,
      duplicates,
      messagesPerSecond: Math.round(distinct / elapsed),
      brokerCpuPercent: Math.round((cpu / elapsed) * 1000) / 10,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      alerts: reports.reduce((s, r) => s + r.alerts, 0),
      problems,
    }
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null) return resolve()
            const kill = setTimeout(() => c.proc.kill('SIGKILL'), 20_000)
            c.proc.once('exit', () => (clearTimeout(kill), resolve()))
            c.proc.stdin!.end('stop\n')
          }),
      ),
    )
    await office.endAsync(true)
    await rm(root, { recursive: true, force: true })
  }
}

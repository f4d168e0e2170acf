/**
 * `linewatch sim day`: a scripted day at a store, the whole box on the
 * simulated clock. Two analog lines (voltage and ring detect on GPIO) take
 * Poisson calls by hour (src/sim/traffic.ts, line 2 at half the traffic);
 * a GSM module places a test call every 30 minutes (each line in turn, so
 * each line hourly); at 11:40 line 1 dies, either
 * silently at the exchange (`deaf`: the voltage stays, calls stop) or by a
 * cable cut (`cut`). The day is played twice with the same calls: with no
 * history (the 30-minute rule acts) and after four weeks of learnt history
 * (the adaptive detector acts). It reports when each detector fired. The
 * silence watch's own test calls (silence.testCalls) are off here, so the
 * detectors stay apart: scripts/bench-silence.ts measures those.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Box } from '../app.js'
import { validateConfigText, type Config } from '../config/index.js'
import { FakeClock } from '../core/clock.js'
import { silentLogger } from '../core/logger.js'
import { StateStore } from '../core/store.js'
import { initialLine } from '../lines/monitor.js'
import { SilenceWatch } from '../silence/watch.js'
import { playToSilenceWatch, storeTraffic } from './traffic.js'

const MIN = 60_000
const DAY = 86_400_000
/** Tuesday 2026-11-24 00:00 in Moscow (UTC+3, the profile's offset). */
export const DAY_START = Date.parse('2026-11-23T21:00:00Z')
const LEARN_DAYS = 28

const CONFIG = `
site: day
box: sim
board: sim
timezone: Europe/Moscow
modems:
  - { id: gsm1, port: "sim:gsm1", pollSeconds: 60, commandTimeoutMs: 2000 }
lines:
  - id: line1
    kind: analog
    numbers: ["+74951110001"]
    analog: { voltage: { pin: 11 }, ring: { pin: 12 } }
  - id: line2
    kind: analog
    numbers: ["+74951110002"]
    analog: { voltage: { pin: 13 }, ring: { pin: 14 } }
silence:
  businessHours: [{ days: [mon, tue, wed, thu, fri, sat], from: "09:00", to: "21:00" }]
  testCalls: { perDay: 0 }
testCalls: { everyMinutes: 30, ringSeconds: 20 }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0 }
`

export type Fault = 'deaf' | 'cut'

export interface DayOptions {
  seed?: number
  fault?: Fault
  /** Minutes after midnight (site time) when line 1 dies; default 11:40. */
  dieAt?: number
}

export interface Detection {
  detector: string
  /** Site time when it fired; null when it did not fire by the end of the day. */
  at: string | null
  minutesAfterFault: number | null
}

export interface DayReport {
  fault: Fault
  faultAt: string
  calls: { line1: number; line2: number }
  runs: { history: 'none' | `${number} days`; detections: Detection[] }[]
}

const hhmm = (ms: number) => new Date(ms + 3 * 3_600_000).toISOString().slice(11, 16)

/** Four weeks of healthy traffic through the silence model alone (fast), leaving rates.json in `dir` as a box that ran them would. */
async function learn(config: Config, dir: string, seed: number): Promise<void> {
  const from = DAY_START - LEARN_DAYS * DAY
  const clock = new FakeClock(from)
  const store = new StateStore({ site: 'day', box: 'learn', version: '0', startedAt: from }, clock)
  for (const l of config.lines) store.init('line', { ...initialLine(l, from), state: 'up' })
  const watch = new SilenceWatch({ store, lines: config.lines, config: config.silence, timeZone: config.timezone, stateDir: dir, log: silentLogger() })
  await watch.start()
  playToSilenceWatch({ clock, store, watch }, storeTraffic(seed + 1, from, DAY_START), DAY_START)
  await watch.stop()
}

/** One day of the whole box; returns when each detector first fired after the fault. */
async function playDay(opts: Required<DayOptions>, learnt: boolean): Promise<Detection[]> {
  const dir = await mkdtemp(join(tmpdir(), 'linewatch-day-'))
  try {
    const { config } = validateConfigText(CONFIG)
    config!.storage.dir = dir
    if (learnt) await learn(config!, dir, opts.seed)
    const clock = new FakeClock(DAY_START)
    const box = new Box({ config: config!, clock, log: silentLogger() })
    const sim = box.simulator!
    for (const l of sim.analogLines.values()) l.cadence = { ...l.cadence, rings: 2 } // the PBX behind the FXO port answers on the second ring
    const faultAt = DAY_START + opts.dieAt * MIN
    const fired = new Map<string, number>()
    const mark = (name: string) => {
      if (clock.now() >= faultAt && !fired.has(name)) fired.set(name, clock.now())
    }
    box.store.on('change', (c) => {
      // only what changed now counts: a verdict from before the fault is not a detection of it
      if (c.kind === 'line' && c.id === 'line1') {
        const { prev, next } = c
        if (next.signals.voltage?.state === 'down' && prev?.signals.voltage?.state !== 'down') mark('line voltage')
        const firing = next.silence?.firing
        if (firing && !prev?.silence?.firing) mark(firing === 'fixed' ? 'silence: 30-minute rule' : 'silence: adaptive detector')
        if (next.lastTestCall && !next.lastTestCall.ok && next.lastTestCall !== prev?.lastTestCall) mark('test call')
        if (next.state !== prev?.state && (next.state === 'down' || next.state === 'degraded')) mark(`line state ${next.state}`)
      }
      if (c.kind === 'alert' && c.next.state === 'raised' && c.next.source === 'line/line1') mark(`alert ${c.next.id}`)
    })
    await box.start()
    const calls = storeTraffic(opts.seed, DAY_START, DAY_START + DAY)
    const next = { line1: 0, line2: 0 }
    let faulted = false
    // one second at a time, with a turn of the event loop for the serial traffic in between
    for (let now = DAY_START + 1000; now <= DAY_START + DAY; now += 1000) {
      for (const id of ['line1', 'line2'] as const) {
        while (next[id] < calls[id].length && calls[id][next[id]]! <= now) {
          next[id]++
          sim.connect(id === 'line1' ? '+74951110001' : '+74951110002', '+79160000000', { answered() {}, ended() {} })
        }
      }
      clock.advance(now - clock.now())
      if (!faulted && now >= faultAt) {
        faulted = true
        const line = sim.analogLines.get('line1')!
        if (opts.fault === 'cut') line.cut()
        else line.deafen()
      }
      for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r))
    }
    await box.stop()
    const order = ['line voltage', 'line state down', 'line state degraded', 'silence: 30-minute rule', 'silence: adaptive detector', 'test call']
    const names = [...new Set([...order.filter((n) => fired.has(n) || !n.startsWith('line state')), ...fired.keys()])]
    return names.map((detector) => {
      const at = fired.get(detector)
      return { detector, at: at === undefined ? null : hhmm(at), minutesAfterFault: at === undefined ? null : Math.round((at - faultAt) / MIN) }
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function runDay(options: DayOptions = {}): Promise<DayReport> {
  const opts: Required<DayOptions> = { seed: options.seed ?? 1, fault: options.fault ?? 'deaf', dieAt: options.dieAt ?? 11 * 60 + 40 }
  const calls = storeTraffic(opts.seed, DAY_START, DAY_START + DAY)
  return {
    fault: opts.fault,
    faultAt: hhmm(DAY_START + opts.dieAt * MIN),
    calls: { line1: calls.line1.length, line2: calls.line2.length },
    runs: [
      { history: 'none', detections: await playDay(opts, false) },
      { history: `${LEARN_DAYS} days`, detections: await playDay(opts, true) },
    ],
  }
}

export function formatDay(r: DayReport): string {
  const out = [
    `a day at the store (Tuesday, Europe/Moscow): line 1 ${r.fault === 'cut' ? 'cable cut' : 'goes deaf at the exchange (voltage stays)'} at ${r.faultAt}`,
    `calls offered: line 1 ${r.calls.line1}, line 2 ${r.calls.line2}`,
  ]
  for (const run of r.runs) {
    out.push('', `history: ${run.history}`)
    for (const d of run.detections) out.push(`  ${d.detector.padEnd(34)} ${d.at === null ? 'did not fire' : `${d.at}  (+${d.minutesAfterFault} min)`}`)
  }
  return out.join('\n')
}

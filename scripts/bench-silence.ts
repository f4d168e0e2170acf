/**
 * Silence detection on a simulated store: two lines with Poisson calls by
 * hour (src/sim/traffic.ts; line 2 at half the traffic), site time Moscow,
 * business hours Mon–Sat 09:00–21:00. The real SilenceWatch on a fake clock,
 * after 4 weeks of learning, three ways in one run: the fixed 30-minute rule
 * and the adaptive detector alone (today), and the adaptive detector with the
 * watch's own test calls (new: silence.testCalls, the box's real TestCaller
 * dialling over a simulated network, test/silence/network.ts). Figures: how
 * long each takes to flag line 1 dying at 12:40 on a weekday (many seeds), the
 * worst over a death at hh:40 in every hour of the week, the false alarms on
 * healthy lines, and the test calls the new one spends.
 */
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LineConfig, SilenceConfig } from '../src/config/schema.js'
import { FakeClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { initialLine } from '../src/lines/monitor.js'
import { SilenceWatch } from '../src/silence/watch.js'
import { playToSilenceWatch, storeTraffic } from '../src/sim/traffic.js'
import { runDay } from '../src/sim/day.js'
import { playWithTests, simNetwork, type SimNetwork } from '../test/silence/network.js'
import { performance } from 'node:perf_hooks'

type Figure = { figure: string; value: number; unit: string }

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const TZ = 'Europe/Moscow'
const LINE = { kind: 'gsm', channels: 10, pbxReports: false, watchSilence: true, withdrawWhenDown: true, hysteresis: { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 120 } } as const
const LINES: LineConfig[] = [
  { ...LINE, id: 'line1', numbers: ['+74951110001'], modem: 'm1' },
  { ...LINE, id: 'line2', numbers: ['+74951110002'], modem: 'm2' },
]
const BUSINESS = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[], from: '09:00', to: '21:00' }]
/** The defaults (docs/configuration.md) */
const TEST_CALLS = { perDay: 120, withinMinutes: 30 }
const RING_SECONDS = 30
type Kind = 'fixed' | 'adaptive' | 'new'
const NAMES: Record<Kind, string> = { fixed: 'today, 30-minute rule', adaptive: 'today, adaptive detector', new: 'new, adaptive + test calls' }
/** learnHours 720 is never reached (the fading history tops out near 970 weighted hours only after months): the fixed rule acts. */
const DETECTORS: Record<Kind, SilenceConfig> = {
  fixed: { businessHours: BUSINESS, fixedMinutes: 30, falseAlarmProbability: 0.001, learnHours: 720, testCalls: TEST_CALLS },
  adaptive: { businessHours: BUSINESS, fixedMinutes: 30, falseAlarmProbability: 0.001, learnHours: 336, testCalls: TEST_CALLS },
  new: { businessHours: BUSINESS, fixedMinutes: 30, falseAlarmProbability: 0.001, learnHours: 336, testCalls: TEST_CALLS },
}
/** Monday 2026-11-02 00:00 Moscow. */
const START = Date.parse('2026-11-01T21:00:00Z')
const LEARN_DAYS = 28
const DAY0 = START + LEARN_DAYS * DAY // a Monday again
const SEEDS = 30
/** Today's detectors flag an evening death on the next business morning: Saturday night's on Monday. */
const CAP_MS = 48 * HOUR

interface Run {
  clock: FakeClock
  store: StateStore
  watch: SilenceWatch
  net: SimNetwork | null
  /** Flags: a silence firing, or (new) a failed test call. */
  alarms: { line: string; at: number }[]
}

async function open(dir: string, kind: Kind, at: number): Promise<Run> {
  await mkdir(dir, { recursive: true })
  const clock = new FakeClock(at)
  const store = new StateStore({ site: 'bench', box: 'b', version: '0', startedAt: at }, clock)
  for (const l of LINES) store.init('line', { ...initialLine(l, at), state: 'up' })
  const net = kind === 'new' ? simNetwork(store, clock, LINES, RING_SECONDS) : null
  const watch = new SilenceWatch({ store, lines: LINES, config: DETECTORS[kind], timeZone: TZ, stateDir: dir, log: silentLogger(), ...(net ? { tester: net.tester } : {}) })
  await watch.start()
  const alarms: Run['alarms'] = []
  store.on('change', (c) => {
    if (c.kind !== 'line') return
    if (c.next.silence?.firing && !c.prev?.silence?.firing) alarms.push({ line: c.id, at: clock.now() })
    if (c.next.lastTestCall && !c.next.lastTestCall.ok && c.next.lastTestCall !== c.prev?.lastTestCall) alarms.push({ line: c.id, at: clock.now() })
  })
  return { clock, store, watch, net, alarms }
}

/** Learn LEARN_DAYS of healthy traffic once per model (new learns as adaptive: test rings are not learnt); each scenario starts from a copy. */
async function learnt(kind: 'fixed' | 'adaptive', base: string): Promise<string> {
  const dir = join(base, `learnt-${kind}`)
  const run = await open(dir, kind, START)
  playToSilenceWatch(run, storeTraffic(1, START, DAY0), DAY0)
  await run.watch.stop()
  return dir
}

/** Line 1 dies at `death` (calls from `from`); minutes from the death to its first flag (CAP_MS when none). */
async function timeToFlag(learntDir: string, kind: Kind, base: string, name: string, seed: number, from: number, death: number): Promise<number> {
  const dir = join(base, name)
  await cp(learntDir, dir, { recursive: true })
  const run = await open(dir, kind, from)
  const calls = storeTraffic(seed, from, death + CAP_MS)
  calls.line1 = calls.line1.filter((t) => t < death)
  // the silence that ends in the death began at the last call: a flag raised in it (even just before) counts
  const lastCall = calls.line1.at(-1) ?? from
  const hit = () => run.alarms.find((a) => a.line === 'line1' && a.at > lastCall)
  run.clock.setTimeout(() => run.net?.dead.add('line1'), death - from)
  await playWithTests(run, calls, death + CAP_MS, () => hit() !== undefined)
  const h = hit()
  await run.watch.stop()
  await rm(dir, { recursive: true, force: true })
  return h ? Math.max(0, (h.at - death) / MIN) : CAP_MS / MIN
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round1 = (x: number) => Math.round(x * 10) / 10

export async function benchSilence(): Promise<Figure[]> {
  const base = await mkdtemp(join(tmpdir(), 'linewatch-bench-silence-'))
  try {
    const dirs: Record<Kind, string> = { fixed: await learnt('fixed', base), adaptive: await learnt('adaptive', base), new: '' }
    dirs.new = dirs.adaptive
    const figures: Figure[] = []
    const kinds: Kind[] = ['fixed', 'adaptive', 'new']
    // the busy hour: line 1 (60 calls an hour) dies at 12:40 on a Tuesday, SEEDS different days of calls
    const busy = DAY0 + DAY + 12 * HOUR + 40 * MIN
    for (const kind of kinds) {
      const t: number[] = []
      for (let seed = 0; seed < SEEDS; seed++) t.push(await timeToFlag(dirs[kind], kind, base, `busy-${kind}-${seed}`, 100 + seed, busy - 2 * HOUR, busy))
      figures.push({ figure: `silence: line dying at 12:40 (busiest hour, 60 calls/h) → flagged, median of ${SEEDS} seeds, ${NAMES[kind]}`, value: round1(median(t)), unit: 'min' })
      figures.push({ figure: `silence: line dying at 12:40 (busiest hour, 60 calls/h) → flagged, worst of ${SEEDS} seeds, ${NAMES[kind]}`, value: round1(Math.max(...t)), unit: 'min' })
    }
    // every hour of the week: a death at hh:40 (the week after learning), calls from two hours before
    for (const kind of ['adaptive', 'new'] as const) {
      const all: number[] = []
      for (let how = 0; how < 168; how++) {
        const death = DAY0 + how * HOUR + 40 * MIN
        all.push(await timeToFlag(dirs[kind], kind, base, `week-${kind}-${how}`, 1000 + how, death - 2 * HOUR, death))
      }
      const business = all.filter((_, how) => how < 144 && how % 24 >= 9 && how % 24 < 21)
      figures.push({ figure: `silence: worst time to flag over a death in each of the 168 hours of the week, ${NAMES[kind]}`, value: round1(Math.max(...all)), unit: 'min' })
      figures.push({ figure: `silence: worst time to flag over the business hours (Mon–Sat 09–21), ${NAMES[kind]}`, value: round1(Math.max(...business)), unit: 'min' })
      figures.push({ figure: `silence: hours of the week whose dead line is flagged within 30 min, ${NAMES[kind]}`, value: all.filter((m) => m <= 30).length, unit: 'of 168' })
    }
    // false alarms: 28 days of healthy traffic on both lines after the same learning
    const month = storeTraffic(2, DAY0, DAY0 + 28 * DAY)
    for (const kind of kinds) {
      await cp(dirs[kind], join(base, `${kind}-month`), { recursive: true })
      const fresh = await open(join(base, `${kind}-month`), kind, DAY0)
      await playWithTests(fresh, month, DAY0 + 28 * DAY)
      figures.push({ figure: `silence: false alarms per week on 2 healthy lines (28 days), ${NAMES[kind]}`, value: round1(fresh.alarms.length / 4), unit: 'alarms/week' })
      if (fresh.net) {
        const dialled = fresh.net.dialled
        const worst = Math.max(0, ...dialled.map((d) => dialled.filter((x) => x.at > d.at - DAY && x.at <= d.at).length))
        figures.push({ figure: `silence: test calls per day placed on 2 healthy lines, mean (budget ${TEST_CALLS.perDay}), ${NAMES[kind]}`, value: round1(dialled.length / 28), unit: 'calls/day' })
        figures.push({ figure: `silence: test calls in the worst 24 hours, ${NAMES[kind]}`, value: worst, unit: 'calls' })
      }
      await fresh.watch.stop()
    }
    return figures
  } finally {
    await rm(base, { recursive: true, force: true })
  }
}

/**
 * The scripted day (linewatch sim day): the whole box on the simulated clock, line 1 going deaf at
 * the exchange at 11:40 (the voltage stays). When each detector fired, without and with history,
 * and how long the two simulated days took to play.
 */
export async function benchScriptedDay(): Promise<Figure[]> {
  const started = performance.now()
  const r = await runDay({ seed: 1, fault: 'deaf' })
  const figures: Figure[] = []
  for (const run of r.runs) {
    for (const d of run.detections) {
      if (d.detector.startsWith('alert') || d.detector === 'line voltage') continue
      figures.push({ figure: `scripted day, line deaf at ${r.faultAt}, history ${run.history}: ${d.detector}`, value: d.minutesAfterFault ?? -1, unit: 'min' })
    }
  }
  figures.push({ figure: 'scripted day: two simulated days of the whole box played in', value: Math.round(performance.now() - started), unit: 'ms' })
  return figures
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now()
  for (const f of await benchSilence()) console.log(`${f.figure}: ${f.value} ${f.unit}`)
  console.log(`(${Math.round(performance.now() - started)} ms)`)
}

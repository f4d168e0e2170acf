/**
 * A month at a store, for the statistics: a seeded plan of every call (two
 * carrier lines, a GSM gateway with two SIMs; Poisson arrivals by the hour in
 * the shape of the store profile; queues, agents, call backs, refused calls
 * when the channels are full; faults on given days), then the plan played
 * through the whole box on the simulated clock, each call the way the box
 * would meet it: the PBX's reports over HTTP (calls, hang-ups, routed
 * attempts, refusals, the trunk's registration), the SIMs' calls as AT bytes
 * (RING, +CLIP, +CLCC as the gateway answers and hangs up), the analog line's
 * voltage on GPIO. The plan is all a test needs to count the figures its own
 * way (test/stats/month.test.ts); `playMonth` leaves the box running to be asked.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as turn } from 'node:timers/promises'
import { Box } from '../app.js'
import { validateConfigText } from '../config/index.js'
import { FakeClock } from '../core/clock.js'
import { silentLogger } from '../core/logger.js'
import { prng } from './prng.js'
import { poissonArrivals, storeRate } from './traffic.js'

const MIN = 60_000
const DAY = 86_400_000
/** 1 November 2026, 00:00 in Moscow (UTC+3 all year). */
export const MONTH_START = Date.parse('2026-10-31T21:00:00Z')
export const MONTH_TZ = 'Europe/Moscow'

export type MonthLine = 'line1' | 'line2' | 'gsm1' | 'gsm2'

/** One call of the plan, as it happened (not as the box saw it). */
export interface PlannedCall {
  /** The PBX's id for it. */
  id: string
  line: MonthLine
  direction: 'in' | 'out'
  /** The customer's number, E.164. */
  number: string
  /** First ring (incoming) or the moment the PBX dialled (outgoing). */
  at: number
  /** Ringing until the answer, or until the caller gave up; whole seconds. */
  ringMs: number
  answered: boolean
  /** 0 when not answered; whole seconds. */
  talkMs: number
  /** Incoming on line 1 waits in the PBX's queue: unanswered there is abandoned. */
  queue: string | null
  agent: string | null
  /** Outgoing: what the far end did. */
  outcome: 'answered' | 'busy' | 'no-answer' | null
  /** A call back of an earlier missed call (for the reader; the count finds call backs itself). */
  callBackOf: string | null
}

export interface PlannedFault {
  line: MonthLine
  from: number
  to: number
  kind: 'unregistered' | 'cable-cut' | 'no-network'
}

export interface MonthPlan {
  start: number
  days: number
  channels: Record<MonthLine, number>
  calls: PlannedCall[]
  /** Incoming calls the PBX refused because every channel of the line was busy. */
  refused: { line: MonthLine; at: number }[]
  faults: PlannedFault[]
}

export const MONTH_LINES: { id: MonthLine; number: string; channels: number; scale: number }[] = [
  { id: 'line1', number: '+74951110001', channels: 3, scale: 0.27 },
  { id: 'line2', number: '+74951110002', channels: 1, scale: 0.12 },
  { id: 'gsm1', number: '+79160000001', channels: 1, scale: 0.1 },
  { id: 'gsm2', number: '+79160000002', channels: 1, scale: 0.06 },
]

/** The month's decks: the carrier's lines bill by the minute, the SIMs by the second to mobiles with 300 free minutes each. */
export const CARRIER_DECK = 'prefix,rate,increment\n7495,0.90,60/60\n79,3.00,60/60\n7,1.50,60/60\n'
export const SIMS_DECK = 'prefix,rate,increment\n79,1.80,1/1\n7,2.50,60/60\n'
export const SIM_BUNDLE_MINUTES = 300

export function monthConfig(dir: string): string {
  return `
site: month
box: sim
board: sim
timezone: ${MONTH_TZ}
modems:
  - { id: gsm1, port: "sim:gsm1", pollSeconds: 60, commandTimeoutMs: 2000 }
  - { id: gsm2, port: "sim:gsm2", pollSeconds: 60, commandTimeoutMs: 2000 }
lines:
  - { id: line1, kind: sip, numbers: ["+74951110001"], channels: 3, pbxReports: true, watchSilence: false, hysteresis: { holdDownSeconds: 0 } }
  - { id: line2, kind: analog, numbers: ["+74951110002"], channels: 1, pbxReports: true, watchSilence: false, hysteresis: { holdDownSeconds: 0 }, analog: { voltage: { pin: 11 } } }
  - { id: gsm1, kind: gsm, modem: gsm1, numbers: ["+79160000001"], channels: 1, pbxReports: true, watchSilence: false, hysteresis: { holdDownSeconds: 0 } }
  - { id: gsm2, kind: gsm, modem: gsm2, numbers: ["+79160000002"], channels: 1, pbxReports: true, watchSilence: false, hysteresis: { holdDownSeconds: 0 } }
numbering: { countryCode: "7", nationalPrefix: "8", internationalPrefix: "810", areaCode: "495", localDigits: 7 }
routing:
  plans:
    - { id: carrier, currency: RUB, deck: { file: ${JSON.stringify(join(dir, 'carrier.csv'))} } }
    - id: sims
      currency: RUB
      deck: { file: ${JSON.stringify(join(dir, 'sims.csv'))} }
      bundles: [{ id: mobile, minutes: ${SIM_BUNDLE_MINUTES}, prefixes: ["79"] }]
  paths:
    - { id: line1, line: line1, dial: "PJSIP/{e164}@carrier", plan: carrier }
    - { id: line2, line: line2, dial: "DAHDI/g1/{national}", plan: carrier }
    - { id: gsm1, line: gsm1, dial: "Dongle/gsm1/{national}", plan: sims }
    - { id: gsm2, line: gsm2, dial: "Dongle/gsm2/{national}", plan: sims }
  baselinePath: line1
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0, auth: none }
storage: { dir: ${JSON.stringify(join(dir, 'state'))} }
`
}

const sec = (rnd: () => number, lo: number, hi: number) => (lo + Math.floor(rnd() * (hi - lo + 1))) * 1000

/** The month's calls for a seed: the same plan for the same seed and days, on any machine. */
export function planMonth(seed = 19, days = 30): MonthPlan {
  const rnd = prng(seed)
  const start = MONTH_START
  const end = start + days * DAY
  const faults: PlannedFault[] = [
    // the trunk's registration lost for a morning, the analog pair cut for an afternoon, a SIM out of coverage at lunch
    { line: 'line1', kind: 'unregistered', from: start + 8 * DAY + 10 * 60 * MIN, to: start + 8 * DAY + 13 * 60 * MIN + 30 * MIN },
    { line: 'line2', kind: 'cable-cut', from: start + 19 * DAY + 14 * 60 * MIN, to: start + 19 * DAY + 17 * 60 * MIN },
    { line: 'gsm2', kind: 'no-network', from: start + 13 * DAY + 12 * 60 * MIN, to: start + 13 * DAY + 14 * 60 * MIN },
  ].filter((f) => f.to <= end) as PlannedFault[]
  const down = (line: MonthLine, at: number) => faults.some((f) => f.line === line && at >= f.from - MIN && at < f.to + 3 * MIN)
  // regulars call often (so some missed callers ring again), the rest once
  const regulars = Array.from({ length: 1500 }, (_, i) => `+7916${String(1_000_000 + i * 37).padStart(7, '0')}`)
  const customer = () => (rnd() < 0.6 ? regulars[Math.floor(rnd() * regulars.length)]! : `+7926${String(Math.floor(rnd() * 9_000_000) + 1_000_000)}`)

  type Arrival = { line: MonthLine; at: number; direction: 'in' | 'out'; number: string; callBackOf: string | null }
  const arrivals: Arrival[] = []
  for (const l of MONTH_LINES) {
    for (const at of poissonArrivals(rnd, (ms) => storeRate(ms, 3, l.scale), start, end)) arrivals.push({ line: l.id, at: Math.round(at / 1000) * 1000, direction: 'in', number: customer(), callBackOf: null })
  }
  // the store's own calls out, a tenth of the incoming traffic's shape (landlines and mobiles)
  for (const at of poissonArrivals(rnd, (ms) => storeRate(ms, 3, 0.06), start, end)) {
    const number = rnd() < 0.7 ? customer() : `+7495${String(Math.floor(rnd() * 9_000_000) + 1_000_000)}`
    arrivals.push({ line: 'line1', at: Math.round(at / 1000) * 1000, direction: 'out', number, callBackOf: null })
  }

  const calls: PlannedCall[] = []
  const refused: MonthPlan['refused'] = []
  const busy = new Map<MonthLine, number[]>(MONTH_LINES.map((l) => [l.id, []]))
  const channels = Object.fromEntries(MONTH_LINES.map((l) => [l.id, l.channels])) as Record<MonthLine, number>
  const free = (line: MonthLine, at: number) => busy.get(line)!.filter((until) => until > at).length < channels[line]
  const take = (line: MonthLine, until: number) => busy.set(line, [...busy.get(line)!.filter((u) => u > until - DAY), until])
  // a moment clear of the previous call's end on the same line: two events of one line never share a second
  let n = 0
  const queue: Arrival[] = [...arrivals].sort((a, b) => a.at - b.at)
  for (let i = 0; i < queue.length; i++) {
    const a = queue[i]!
    if (a.at >= end - 30 * MIN) continue // everything ends inside the month
    if (a.direction === 'in') {
      if (down(a.line, a.at)) continue // the caller hears an error: nothing reaches the store
      if (!free(a.line, a.at)) {
        refused.push({ line: a.line, at: a.at })
        continue
      }
      const answered = rnd() < 0.82
      const ringMs = answered ? (rnd() < 0.75 ? sec(rnd, 2, 20) : sec(rnd, 21, 50)) : sec(rnd, 4, 60)
      const talkMs = answered ? sec(rnd, 15, 480) : 0
      const queueName = a.line === 'line1' ? 'sales' : null
      const call: PlannedCall = { id: `c${++n}`, line: a.line, direction: 'in', number: a.number, at: a.at, ringMs, answered, talkMs, queue: queueName, agent: answered ? `agent${1 + Math.floor(rnd() * 4)}` : null, outcome: null, callBackOf: null }
      calls.push(call)
      take(a.line, a.at + ringMs + talkMs + 1000)
      // most missed callers get a call back, some within 15 minutes, some hours later
      if (!answered && rnd() < 0.7) {
        const after = rnd() < 0.5 ? sec(rnd, 60, 14 * 60) : sec(rnd, 16 * 60, 5 * 3600)
        insert(queue, { line: 'line1', at: a.at + ringMs + after, direction: 'out', number: a.number, callBackOf: call.id })
      }
      continue
    }
    // outgoing: mobiles on a free SIM, else the trunk; landlines on the trunk, else the analog line
    const mobile = a.number.startsWith('+79')
    const order: MonthLine[] = mobile ? ['gsm1', 'gsm2', 'line1'] : ['line1', 'line2']
    const line = order.find((l) => !down(l, a.at) && free(l, a.at))
    if (!line) continue // the PBX tries later; not part of the month
    const r = rnd()
    const outcome = r < 0.75 ? 'answered' : r < 0.85 ? 'busy' : 'no-answer'
    const ringMs = outcome === 'busy' ? sec(rnd, 2, 6) : sec(rnd, 3, 30)
    const talkMs = outcome === 'answered' ? sec(rnd, 10, 400) : 0
    calls.push({ id: `c${++n}`, line, direction: 'out', number: a.number, at: a.at, ringMs, answered: outcome === 'answered', talkMs, queue: null, agent: null, outcome, callBackOf: a.callBackOf })
    take(line, a.at + ringMs + talkMs + 1000)
  }
  return { start, days, channels, calls: calls.sort((a, b) => a.at - b.at), refused, faults }
}

function insert<T extends { at: number }>(list: T[], item: T): void {
  let i = list.findIndex((x) => x.at > item.at)
  if (i < 0) i = list.length
  list.splice(i, 0, item)
}

type Step = { at: number; order: number; run: () => Promise<void> | void }

export interface PlayedMonth {
  box: Box
  clock: FakeClock
  url: string
  /** Timer firings and steps taken so far (how much simulated work the month was). */
  readonly steps: number
  /** Play on to `until` (at most the month's end); the box is left running there, to be asked. */
  playTo(until: number): Promise<void>
  stop(): Promise<void>
}

/** A box ready to play the plan on the simulated clock (ten minutes before the month); `playTo` moves it on. */
export async function startMonth(plan: MonthPlan, opts: { onDay?: (day: number) => void } = {}): Promise<PlayedMonth> {
  const dir = await mkdtemp(join(tmpdir(), 'linewatch-month-'))
  await writeFile(join(dir, 'carrier.csv'), CARRIER_DECK)
  await writeFile(join(dir, 'sims.csv'), SIMS_DECK)
  const { config, problems } = validateConfigText(monthConfig(dir))
  if (!config) throw new Error(`the month's config: ${JSON.stringify(problems)}`)
  // the box starts a minute before the month, so every line has its first word by midnight
  const clock = new FakeClock(plan.start - 10 * MIN)
  const box = new Box({ config, clock, log: silentLogger() })
  const sim = box.simulator!
  await box.start()
  const url = box.httpUrl
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (r.status >= 300) throw new Error(`POST ${path} ${JSON.stringify(body)}: ${r.status} ${await r.text()}`)
  }
  const report = (line: string, body: unknown) => post(`/api/v1/lines/${line}/report`, body)
  const modem = (line: MonthLine) => sim.modems.get(line)!

  const steps: Step[] = []
  let order = 0
  const at = (t: number, run: Step['run']) => steps.push({ at: t, order: order++, run })
  at(plan.start - 9 * MIN, () => report('line1', { type: 'registration', state: 'registered' }))
  for (const f of plan.faults) {
    if (f.kind === 'unregistered') {
      at(f.from, () => report(f.line, { type: 'registration', state: 'unregistered', reason: 'the carrier stopped answering REGISTER' }))
      at(f.to, () => report(f.line, { type: 'registration', state: 'registered' }))
    } else if (f.kind === 'cable-cut') {
      at(f.from, () => sim.analogLines.get(f.line)!.cut())
      at(f.to, () => sim.analogLines.get(f.line)!.restore())
    } else {
      at(f.from, () => modem(f.line).setRegistration('searching'))
      at(f.to, () => modem(f.line).setRegistration('home'))
    }
  }
  for (const r of plan.refused) at(r.at, () => report(r.line, { type: 'refused', direction: 'in', cause: 'all channels busy' }))
  for (const c of plan.calls) {
    const end = c.at + c.ringMs + c.talkMs
    if (c.direction === 'out') {
      // the PBX reports a routed attempt once it is over, with the talk time
      at(end, () => post('/api/v1/calls', { id: c.id, path: c.line, to: c.number, outcome: c.outcome, seconds: c.talkMs / 1000 }))
      continue
    }
    const gsm = c.line.startsWith('gsm')
    at(c.at, async () => {
      if (gsm) modem(c.line).ring(c.number, { times: 1000, intervalMs: 5000 })
      await report(c.line, { type: 'call', id: c.id, callerId: c.number, at: c.at, ...(c.queue ? { queue: c.queue } : {}) })
    })
    if (c.answered && gsm) at(c.at + c.ringMs, () => void modem(c.line).pickUp())
    at(end, async () => {
      if (gsm) modem(c.line).hangUpRemote()
      await report(c.line, { type: 'hangup', id: c.id, at: end, ...(c.answered ? { answeredAt: c.at + c.ringMs, agent: c.agent } : {}) })
    })
  }
  steps.sort((a, b) => a.at - b.at || a.order - b.order)

  // from one moment to the next: the next call event or the next timer of the box, with the event loop
  // turned in between so the AT bytes and the HTTP answers of a moment are done before time moves on
  const settle = async () => {
    for (let i = 0; i < 6; i++) await turn()
  }
  let count = 0
  let next = 0
  let day = -1
  const playTo = async (until: number) => {
    const end = Math.min(until, plan.start + plan.days * DAY)
    while (clock.now() < end) {
      const due = clock.nextDue
      const target = Math.min(end, steps[next]?.at ?? end, due === null ? end : Math.max(due, clock.now()))
      clock.advance(target - clock.now())
      count++
      while (next < steps.length && steps[next]!.at <= clock.now()) {
        await steps[next++]!.run()
        await settle()
      }
      await settle()
      const d = Math.floor((clock.now() - plan.start) / DAY)
      if (d !== day) opts.onDay?.((day = d))
    }
  }
  return {
    box,
    clock,
    url,
    get steps() {
      return count
    },
    playTo,
    async stop() {
      await box.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Play the whole plan; the box is left running at the month's end. */
export async function playMonth(plan: MonthPlan, opts: { onDay?: (day: number) => void } = {}): Promise<PlayedMonth> {
  const month = await startMonth(plan, opts)
  await month.playTo(plan.start + plan.days * DAY)
  return month
}

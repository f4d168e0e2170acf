/**
 * The manager's figures from call records: per line and period, the calls
 * offered and what became of them, the service level (answered within T
 * seconds of the calls offered: 80/20 means 80 % within 20 s), speed of
 * answer, talk time, the busiest hour; the missed calls nobody called back;
 * per outgoing path attempts, ASR, ACD, minutes and cost. Pure: rows in,
 * figures out (the test counts the same calls its own way).
 */
import type { DayFigures } from '../core/state.js'
import type { CallRow, LineStateRow } from './call-log.js'
import { channelsFor, erlangB } from './erlang.js'
import { bucketOf, dayStart, localParts, type Period } from './site-time.js'

export interface ServiceLevelTarget {
  /** The share to reach, in %: 80 */
  percent: number
  /** …answered within this many seconds: 20 */
  seconds: number
}

export interface IncomingFigures {
  offered: number
  answered: number
  missed: number
  abandoned: number
  /** Only an analog line's ring detect saw them: answered or not is not known. */
  unknown: number
  /** Answered within the target's seconds, of the calls offered whose answer is known, in %; null with none. */
  serviceLevel: number | null
  /** Speed of answer: mean and 90th percentile of the ring time of answered calls, in seconds. */
  answerSeconds: { mean: number | null; p90: number | null }
  /** Mean talk time of answered calls, in seconds. */
  talkSeconds: number | null
}

export interface OutgoingFigures {
  attempts: number
  answered: number
  /** Answer-seizure ratio in %. */
  asr: number | null
  /** Average call duration of answered calls, in seconds. */
  acd: number | null
  minutes: number
  cost: number
}

export interface BucketFigures {
  bucket: string
  incoming: IncomingFigures
  outgoing: OutgoingFigures
}

export interface LineFigures {
  line: string
  total: BucketFigures
  buckets: BucketFigures[]
  /** The site hour (0–23) with the most calls offered over the period; null with none. */
  busiestHour: { hour: number; offered: number } | null
}

export interface MissedCall {
  id: string
  line: string | null
  caller: string
  at: number
  outcome: 'missed' | 'abandoned'
  /** The store's call back (or the caller's next answered call, or a person's mark), or null while open. */
  followedUp: { id: string; at: number; how: 'called-back' | 'answered-again' | 'marked'; by?: string | null } | null
  /** From the missed call's end to the follow-up, or to now while open, in seconds. */
  waitingSeconds: number
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits))
/**
 * Whole milliseconds' mean in seconds, or a share in %, to a tenth, rounded half up exactly: one quotient
 * of integers (a mean of 216.85 s is 216.9, which toFixed on the float 216.849999… would make 216.8).
 */
const meanTenths = (ms: readonly number[]) => (ms.length ? Math.round(ms.reduce((s, x) => s + x, 0) / (ms.length * 100)) / 10 : null)
const percentTenths = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : null)
function p90(xs: number[]): number | null {
  if (!xs.length) return null
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!
}

export function incomingFigures(rows: readonly CallRow[], target: ServiceLevelTarget): IncomingFigures {
  const inc = rows.filter((r) => r.direction === 'in' && r.outcome !== null && !r.test)
  const answered = inc.filter((r) => r.outcome === 'answered')
  const unknown = inc.filter((r) => r.outcome === 'unknown').length
  const rings = answered.map((r) => r.ringMs ?? 0)
  const within = answered.filter((r) => (r.ringMs ?? 0) <= target.seconds * 1000).length
  const q = p90(rings)
  return {
    offered: inc.length,
    answered: answered.length,
    missed: inc.filter((r) => r.outcome === 'missed').length,
    abandoned: inc.filter((r) => r.outcome === 'abandoned').length,
    unknown,
    serviceLevel: percentTenths(within, inc.length - unknown),
    answerSeconds: { mean: meanTenths(rings), p90: q === null ? null : round(q / 1000) },
    talkSeconds: meanTenths(answered.filter((r) => r.talkMs !== null).map((r) => r.talkMs!)),
  }
}

export function outgoingFigures(rows: readonly CallRow[]): OutgoingFigures {
  const out = rows.filter((r) => r.direction === 'out' && r.outcome !== null && !r.test)
  const answered = out.filter((r) => r.outcome === 'answered')
  const talk = answered.map((r) => r.talkMs ?? 0)
  return {
    attempts: out.length,
    answered: answered.length,
    asr: percentTenths(answered.length, out.length),
    acd: meanTenths(talk),
    minutes: Math.round(talk.reduce((s, x) => s + x, 0) / 6000) / 10,
    cost: round(out.reduce((s, r) => s + (r.cost ?? 0), 0), 2),
  }
}

const figuresOf = (bucket: string, rows: readonly CallRow[], target: ServiceLevelTarget): BucketFigures => ({ bucket, incoming: incomingFigures(rows, target), outgoing: outgoingFigures(rows) })

/** Per line (and `*` for the whole store), per bucket of the period. */
export function lineFigures(rows: readonly CallRow[], by: Period, timeZone: string, target: ServiceLevelTarget): LineFigures[] {
  const counted = rows.filter((r) => !r.test)
  const lines = [...new Set(counted.map((r) => r.line ?? '?'))].sort()
  return ['*', ...lines].map((line) => {
    const mine = line === '*' ? counted : counted.filter((r) => (r.line ?? '?') === line)
    const buckets = new Map<string, CallRow[]>()
    for (const r of mine) {
      const key = bucketOf(r.started, by, timeZone)
      const list = buckets.get(key)
      if (list) list.push(r)
      else buckets.set(key, [r])
    }
    const byHour = new Array<number>(24).fill(0)
    for (const r of mine) if (r.direction === 'in' && r.outcome !== null) byHour[localParts(r.started, timeZone).hour]!++
    const top = byHour.reduce((best, n, hour) => (n > best.offered ? { hour, offered: n } : best), { hour: -1, offered: 0 })
    return {
      line,
      total: figuresOf('total', mine, target),
      buckets: [...buckets].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, list]) => figuresOf(key, list, target)),
      busiestHour: top.offered ? top : null,
    }
  })
}

/** Per outgoing path: attempts, ASR, ACD, minutes and cost. */
export function pathFigures(rows: readonly CallRow[]): (OutgoingFigures & { path: string; currency: string | null })[] {
  const paths = [...new Set(rows.filter((r) => r.direction === 'out' && r.path && !r.test).map((r) => r.path!))].sort()
  return paths.map((path) => {
    const mine = rows.filter((r) => r.path === path)
    return { path, currency: mine.find((r) => r.currency)?.currency ?? null, ...outgoingFigures(mine) }
  })
}

/**
 * Missed and abandoned incoming calls with a caller ID, each with its follow-up: the store's first
 * outgoing call to that number after it, or the caller's next answered call. `followUp` looks it up.
 */
export function missedCalls(rows: readonly CallRow[], followUp: (number: string, after: number) => CallRow | null, now: number, marked: (id: string) => { at: number; by: string | null } | null = () => null): MissedCall[] {
  return rows
    .filter((r): r is CallRow & { caller: string; outcome: 'missed' | 'abandoned' } => r.direction === 'in' && !r.test && r.caller !== null && (r.outcome === 'missed' || r.outcome === 'abandoned'))
    .map((r) => {
      const end = r.ended ?? r.started
      const next = followUp(r.caller, r.started)
      const mark = next ? null : marked(r.id)
      const followedUp = next
        ? { id: next.id, at: next.started, how: next.direction === 'out' ? ('called-back' as const) : ('answered-again' as const) }
        : mark
          ? { id: r.id, at: mark.at, how: 'marked' as const, by: mark.by }
          : null
      return { id: r.id, line: r.line, caller: r.caller, at: r.started, outcome: r.outcome, followedUp, waitingSeconds: Math.max(0, Math.round(((followedUp?.at ?? now) - end) / 1000)) }
    })
}

/** Of the missed calls, the share followed up within `minutes`, in %; null with none. */
export function followedUpWithin(missed: readonly MissedCall[], minutes: number): number | null {
  return percentTenths(missed.filter((m) => m.followedUp && m.waitingSeconds <= minutes * 60).length, missed.length)
}

/** One day's figures as the office gets them (`<base>/stats` `calls`, `<base>/stats/day`): rows of that site day. */
export function dayFigures(day: string, rows: readonly CallRow[], followUp: (number: string, after: number) => CallRow | null, now: number, timeZone: string, target: ServiceLevelTarget, marked?: (id: string) => { at: number; by: string | null } | null): Omit<DayFigures, 'ts'> {
  const counted = rows.filter((r) => !r.test)
  const perLine = lineFigures(counted, 'hour', timeZone, target)
  const lines: DayFigures['lines'] = {}
  for (const l of perLine) lines[l.line] = { incoming: l.total.incoming, outgoing: l.total.outgoing }
  const store = perLine[0]
  const missed = missedCalls(counted, followUp, now, marked)
  return {
    day,
    serviceLevelTarget: { percent: target.percent, seconds: target.seconds },
    lines,
    hours: (store?.buckets ?? []).filter((b) => b.incoming.offered > 0).map((b) => ({ hour: Number(b.bucket.slice(11, 13)), offered: b.incoming.offered, answered: b.incoming.answered, serviceLevel: b.incoming.serviceLevel })),
    busiestHour: store?.busiestHour ?? null,
    missed: { count: missed.length, open: missed.filter((m) => !m.followedUp).length, followedUpWithin15Minutes: followedUpWithin(missed, 15) },
    testCalls: rows.length - counted.length,
  }
}

export interface LineCapacity {
  line: string
  /** Channels bought (lines[].channels). */
  channels: number
  /** The most calls on the line at once over the period, and when that first happened. */
  peak: { calls: number; at: number | null }
  /** The busiest site hour (by traffic) and its traffic in Erlangs: the hours the line was held, per hour. */
  busiestHour: { bucket: string; erlangs: number } | null
  /** Erlang B at the busiest hour: the share of calls the channels bought would block, in %. */
  blockingPercent: number | null
  /** Channels that would block at most 1 % of the calls at that hour. */
  channelsFor1Percent: number | null
  /** Calls the carrier refused over the period (the PBX's `refused` reports). */
  blocked: number
}

/**
 * Capacity per line: peak simultaneous calls against the channels bought, and Erlang B advice from the
 * busiest hour's traffic (a call holds a channel from its first ring to its end).
 */
export function capacityFigures(rows: readonly CallRow[], lines: readonly { id: string; channels: number }[], timeZone: string, blocked: ReadonlyMap<string, number> = new Map()): LineCapacity[] {
  return lines.map((line) => {
    const calls = rows.filter((r) => r.line === line.id && !r.test && r.ended !== null && r.ended > r.started)
    // the sweep: +1 at each start, -1 at each end (an end before a start at the same moment)
    const edges = calls.flatMap((r) => [[r.started, 1] as const, [r.ended!, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let now = 0
    const peak = { calls: 0, at: null as number | null }
    for (const [at, d] of edges) {
      now += d
      if (now > peak.calls) Object.assign(peak, { calls: now, at })
    }
    // held seconds per site hour, a call split across the hours it spans
    const held = new Map<string, number>()
    for (const r of calls) {
      for (let t = r.started; t < r.ended!; ) {
        const hourEnd = Math.min(r.ended!, Math.floor(t / 3600_000) * 3600_000 + 3600_000)
        const key = bucketOf(t, 'hour', timeZone)
        held.set(key, (held.get(key) ?? 0) + (hourEnd - t) / 1000)
        t = hourEnd
      }
    }
    const top = [...held].reduce<[string, number] | null>((best, h) => (!best || h[1] > best[1] ? h : best), null)
    const traffic = top ? top[1] / 3600 : null
    return {
      line: line.id,
      channels: line.channels,
      peak,
      busiestHour: top ? { bucket: top[0], erlangs: round(traffic!, 2) } : null,
      blockingPercent: traffic === null ? null : round(100 * erlangB(traffic, line.channels), 2),
      channelsFor1Percent: traffic === null ? null : channelsFor(traffic, 0.01),
      blocked: blocked.get(line.id) ?? 0,
    }
  })
}

export interface LineAvailability {
  line: string
  /** Minutes in each state per site day of the period (unknown: before the first word, or while the box was off). */
  days: { day: string; up: number; degraded: number; down: number; unknown: number }[]
  /** The stretches the line was down, with the reason it went down; `to` null while it still is. */
  outages: { from: number; to: number | null; minutes: number; reason: string }[]
}

/** Per line: minutes up, degraded, down and unknown per site day of [from, to), and the outages. */
export function availability(states: readonly LineStateRow[], lines: readonly string[], from: number, to: number, now: number, timeZone: string): LineAvailability[] {
  const end = Math.min(to, now)
  return lines.map((line) => {
    const mine = states.filter((s) => s.line === line).sort((a, b) => a.at - b.at)
    const days = new Map<string, { up: number; degraded: number; down: number; unknown: number }>()
    for (let d = from; d < to; d = dayStart(bucketOf(d + 36 * 3600_000, 'day', timeZone), timeZone)) days.set(bucketOf(d, 'day', timeZone), { up: 0, degraded: 0, down: 0, unknown: 0 })
    const add = (a: number, b: number, state: string) => {
      // split at the site's midnights
      for (let t = a; t < b; ) {
        const day = bucketOf(t, 'day', timeZone)
        const next = Math.min(b, dayStart(bucketOf(dayStart(day, timeZone) + 36 * 3600_000, 'day', timeZone), timeZone))
        const slot = days.get(day)
        const key = (['up', 'degraded', 'down'].includes(state) ? state : 'unknown') as 'up' | 'degraded' | 'down' | 'unknown'
        if (slot) slot[key] += (next - t) / 60_000
        t = next
      }
    }
    const outages: LineAvailability['outages'] = []
    let at = from
    let state = 'unknown'
    for (const s of mine) {
      const t = Math.max(from, Math.min(s.at, end))
      if (t > at) add(at, t, state)
      if (s.state === 'down' && state !== 'down') outages.push({ from: s.at, to: null, minutes: 0, reason: s.reason })
      if (s.state !== 'down' && state === 'down' && outages.length) outages.at(-1)!.to = s.at
      at = Math.max(at, t)
      state = s.state
    }
    if (end > at) add(at, end, state)
    for (const o of outages) o.minutes = round(((o.to ?? end) - Math.max(o.from, from)) / 60_000)
    return {
      line,
      days: [...days].map(([day, m]) => ({ day, up: round(m.up), degraded: round(m.degraded), down: round(m.down), unknown: round(m.unknown) })),
      outages: outages.filter((o) => (o.to ?? end) > from),
    }
  })
}

export interface MoneyFigures {
  currency: string | null
  /** What the outgoing calls of the period cost, on the paths they took. */
  cost: number
  /** The path the saving is counted against (routing.baselinePath, default the first path). */
  baselinePath: string | null
  /** What the same answered routed calls would have cost on the baseline path at its list price (those it has a price for). */
  baselineCost: number
  /** baselineCost less what those calls cost: what least-cost routing and the bundles saved. */
  saving: number
  /** Answered routed calls the baseline path has no price for (left out of both sums). */
  unpriced: number
  /** Per path: cost, minutes talked, and the minutes a bundle covered. */
  paths: { path: string; cost: number; minutes: number; bundleMinutes: number }[]
}

/** The month's money: cost per path, and the saving against sending every call on the baseline path. */
export function moneyFigures(rows: readonly CallRow[], baselinePath: string | null): MoneyFigures {
  const out = rows.filter((r) => r.direction === 'out' && !r.test && r.path !== null)
  const answered = out.filter((r) => r.outcome === 'answered')
  const priced = answered.filter((r) => r.baselineCost !== undefined && r.baselineCost !== null)
  const sum = (xs: readonly CallRow[], f: (r: CallRow) => number) => xs.reduce((s, r) => s + f(r), 0)
  const baselineCost = sum(priced, (r) => r.baselineCost!)
  const paths = [...new Set(out.map((r) => r.path!))].sort()
  return {
    currency: out.find((r) => r.currency)?.currency ?? null,
    cost: round(sum(out, (r) => r.cost ?? 0), 2),
    baselinePath,
    baselineCost: round(baselineCost, 2),
    saving: round(baselineCost - sum(priced, (r) => r.cost ?? 0), 2),
    unpriced: answered.length - priced.length,
    paths: paths.map((path) => {
      const mine = out.filter((r) => r.path === path)
      return { path, cost: round(sum(mine, (r) => r.cost ?? 0), 2), minutes: round(sum(mine, (r) => r.talkMs ?? 0) / 60_000), bundleMinutes: round(sum(mine, (r) => r.bundleSeconds ?? 0) / 60) }
    }),
  }
}

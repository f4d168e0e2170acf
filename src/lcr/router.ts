import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { LineConfig, PlanConfig, RoutingConfig } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { RoutedCallRecord } from '../core/state.js'
import type { StateStore } from '../core/store.js'
import { bandAt } from './bands.js'
import { coveringBundle, countCall, pools, secondsLeft, type BundleCounts } from './bundles.js'
import type { BundleStatus } from '../core/state.js'
import { normaliseDialled, type DialPlan } from './dialplan.js'
import { isPathFault, PathBreaker, PathQuality, type BreakerMemory, type AttemptOutcome, type BreakerState } from './path-health.js'
import { callCost } from './pricing.js'
import type { PrefixIndex } from './prefix-index.js'

const N = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()])

/** One path to try, in the order given. */
export const RouteOfferSchema = Type.Object(
  {
    path: Type.String(),
    line: Type.String(),
    dial: Type.String({ description: 'What the PBX dials on it.' }),
    callerId: Type.String({ description: "The store's number it shows." }),
    cost: Type.Number({ description: 'For the expected duration; 0 when a bundle covers it.' }),
    currency: Type.String(),
    ratePerMinute: Type.Number(),
    prefix: Type.String({ description: 'The deck prefix that matched.' }),
    band: N(Type.String({ description: 'The time band priced.' })),
    bundle: N(Type.String()),
    asr: N(Type.Number({ description: 'Answer-seizure ratio over the recent attempts (null: too few yet).' })),
    uses: Type.Integer(),
    state: Type.String({ description: "The line's state (an `unknown` line is offered, after the known ones at the same price)." }),
  },
  { additionalProperties: false },
)
export type RouteOffer = Static<typeof RouteOfferSchema>

/** The answer to a route query (HTTP GET /api/v1/route, MQTT route/request, the office's `route` command). */
export const RouteAnswerSchema = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      to: Type.String(),
      e164: Type.String(),
      expectedSeconds: Type.Number(),
      at: Type.Number(),
      paths: Type.Array(RouteOfferSchema),
      excluded: Type.Array(Type.Object({ path: Type.String(), reason: Type.String() }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ ok: Type.Literal(false), to: N(Type.String()), reason: Type.String() }, { additionalProperties: false }),
])
export type RouteAnswer = Static<typeof RouteAnswerSchema>

/** The path routing's saving is counted against: routing.baselinePath, else the first path. */
export function baselinePathOf(routing: Pick<RoutingConfig, 'baselinePath' | 'paths'>): string | null {
  return routing.baselinePath ?? routing.paths[0]?.id ?? null
}

export interface AttemptReport {
  path: string
  to: string
  outcome: AttemptOutcome
  cause?: string | null
  /** Talk time of an answered call. */
  seconds?: number
  /** The attempt's own id: a report sent again (a PBX retrying) is counted once. */
  id?: string
}

export interface RouterDeps {
  config: RoutingConfig
  numbering?: DialPlan
  lines: LineConfig[]
  store: StateStore
  clock: Clock
  timeZone: string
  /** The loaded deck of a plan (null: none could be loaded). */
  deck: (plan: string) => PrefixIndex | null
  /** Bundle use, kept on disk by the caller; `changed` after each count. */
  counts: BundleCounts
  changed: () => void
  /** Each reported attempt, priced (the call record and the day's totals). */
  onAttempt?: (record: Omit<RoutedCallRecord, 'ts'>) => void
}

interface PathRuntime {
  breaker: PathBreaker
  quality: PathQuality
}

/** Destinations are averaged by their first digits (country and area): a single number is rarely called often enough. */
const DESTINATION_DIGITS = 5
/** Report ids remembered to count a repeated report once. */
const IDS_KEPT = 1000
/** …of which those younger than this are kept across a restart (a PBX or a QoS 1 redelivery repeats a report within minutes). */
const IDS_REMEMBERED_MS = 3600_000

/** What routing must not forget at a restart: a circuit-broken path is not offered again, durations learnt are not lost, a report is counted once. */
export interface RouterMemory {
  breakers: Record<string, BreakerMemory>
  durations: Record<string, { calls: number; seconds: number }>
  /** Report ids with when they were seen. */
  seen: [string, number][]
}
/** The learnt average is used from this many answered calls on. */
const MIN_CALLS_FOR_AVERAGE = 3

/**
 * The cheapest healthy paths for a number, in order, and what is left out
 * and why: a path whose line is down, whose channels are all busy, whose
 * breaker is open after faults in a row, that cannot show the store's
 * number, or that has no rate for the destination. Each is priced for the
 * destination's expected duration (learnt from answered calls) with its
 * deck's increments and time band, free when a bundle covers the call.
 * Ordered by cost, then answer-seizure ratio, then least used.
 */
export class LcrRouter {
  readonly #d: RouterDeps
  readonly #paths = new Map<string, PathRuntime>()
  readonly #durations = new Map<string, { calls: number; seconds: number }>()
  readonly #storeNumbers: Set<string>
  /** Report ids and when each was seen, oldest first. */
  readonly #seen = new Map<string, number>()
  memoryChanged?: () => void

  constructor(deps: RouterDeps) {
    this.#d = deps
    const { breaker, qualityCalls } = deps.config
    for (const p of deps.config.paths) this.#paths.set(p.id, { breaker: new PathBreaker(breaker.faults, breaker.openSeconds * 1000), quality: new PathQuality(qualityCalls) })
    this.#storeNumbers = new Set(deps.config.callerIds.length ? deps.config.callerIds : deps.lines.flatMap((l) => l.numbers))
  }

  /** `peek`: only a look (the CLI): a half-open path's one trial is left for a real call. */
  route(to: string, peek = false): RouteAnswer {
    const n = normaliseDialled(to, this.#d.numbering)
    if (!n.ok) return { ok: false, to, reason: n.reason }
    const at = this.#d.clock.now()
    const expected = this.expectedSeconds(n.digits)
    const offers: RouteOffer[] = []
    const excluded: { path: string; reason: string }[] = []
    for (const p of this.#d.config.paths) {
      const offer = this.#offer(p, n, expected, at)
      if ('reason' in offer) excluded.push({ path: p.id, reason: offer.reason })
      else offers.push(offer)
    }
    const known = (o: RouteOffer) => (o.state === 'unknown' ? 1 : 0)
    offers.sort((a, b) => a.cost - b.cost || known(a) - known(b) || (b.asr ?? 0.5) - (a.asr ?? 0.5) || a.uses - b.uses)
    if (!peek) for (const o of offers) this.#paths.get(o.path)!.breaker.offered(at)
    return { ok: true, to, e164: n.e164, expectedSeconds: expected, at, paths: offers, excluded }
  }

  /** What the PBX says happened on one attempt. A refusal is the text of the problem. */
  report(r: AttemptReport): string | null {
    const runtime = this.#paths.get(r.path)
    if (!runtime) return `no path "${r.path}" (paths: ${[...this.#paths.keys()].join(', ') || 'none'})`
    const n = normaliseDialled(r.to, this.#d.numbering)
    if (!n.ok) return n.reason
    if (r.id !== undefined) {
      if (this.#seen.has(r.id)) return null
      this.#seen.set(r.id, this.#d.clock.now())
      // a Map iterates in insertion order: the oldest goes first
      if (this.#seen.size > IDS_KEPT) this.#seen.delete(this.#seen.keys().next().value!)
    }
    const now = this.#d.clock.now()
    this.memoryChanged?.()
    runtime.breaker.record(isPathFault(r.outcome, r.cause), now, r.outcome === 'answered' || r.outcome === 'busy')
    runtime.quality.record(r.outcome)
    const plan = this.#plan(r.path)
    const seconds = r.outcome === 'answered' ? (r.seconds ?? 0) : 0
    let cost = 0
    let bundle: string | null = null
    let covered = 0
    let baselineCost: number | null = 0
    if (seconds > 0) {
      const key = n.digits.slice(0, DESTINATION_DIGITS)
      const d = this.#durations.get(key) ?? { calls: 0, seconds: 0 }
      this.#durations.set(key, { calls: d.calls + 1, seconds: d.seconds + seconds })
      const counted = plan ? countCall(plan, r.path, n.digits, seconds, this.#d.counts, now, this.#d.timeZone) : null
      if (counted) this.#d.changed()
      bundle = counted?.bundle.id ?? null
      const row = plan ? this.#d.deck(plan.id)?.lookup(n.digits, now, bandAt(plan.bands, now, this.#d.timeZone)) : null
      covered = counted?.covered ?? 0
      const paid = seconds - covered
      cost = row && paid > 0 ? callCost(row, paid) : 0
      baselineCost = this.#baselineCost(n.digits, seconds, now)
    }
    const path = this.#d.config.paths.find((p) => p.id === r.path)!
    this.#d.onAttempt?.({ type: 'routed', path: r.path, line: path.line, to: n.e164, outcome: r.outcome, cause: r.cause ?? null, seconds, cost, currency: plan?.currency ?? '', bundle, bundleSeconds: covered, baselineCost })
    return null
  }

  remember(): RouterMemory {
    const since = this.#d.clock.now() - IDS_REMEMBERED_MS
    return {
      breakers: Object.fromEntries([...this.#paths].map(([id, r]) => [id, r.breaker.memory()])),
      durations: Object.fromEntries(this.#durations),
      seen: [...this.#seen].filter(([, at]) => at >= since),
    }
  }

  /** What routing knew before the restart; paths no longer in the config are forgotten. */
  recall(m: RouterMemory): void {
    for (const [id, b] of Object.entries(m?.breakers ?? {})) this.#paths.get(id)?.breaker.recall(b)
    for (const [key, d] of Object.entries(m?.durations ?? {})) {
      if (Number.isFinite(d?.calls) && Number.isFinite(d?.seconds) && d.calls > 0) this.#durations.set(key, { calls: d.calls, seconds: d.seconds })
    }
    for (const entry of Array.isArray(m?.seen) ? m.seen.slice(-IDS_KEPT) : []) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') this.#seen.set(entry[0], entry[1])
    }
  }

  /** The duration a call to this destination is priced for: its learnt average, or the configured default. */
  expectedSeconds(digits: string): number {
    const d = this.#durations.get(digits.slice(0, DESTINATION_DIGITS))
    return d && d.calls >= MIN_CALLS_FOR_AVERAGE ? Math.round(d.seconds / d.calls) : this.#d.config.expectedSeconds
  }

  /** Each path's health as routing sees it, and each bundle's minutes left. */
  status(): { paths: { id: string; breaker: BreakerState; asr: number | null; uses: number }[]; bundles: BundleStatus[] } {
    const now = this.#d.clock.now()
    return {
      paths: [...this.#paths].map(([id, r]) => ({ id, breaker: r.breaker.state(now), asr: r.quality.asr, uses: r.quality.uses })),
      bundles: pools(this.#d.config.plans, this.#d.config.paths).map((pool) => {
        const left = secondsLeft(pool.key, pool.bundle, this.#d.counts, now, this.#d.timeZone)
        return { plan: pool.plan, bundle: pool.bundle.id, path: pool.path, secondsLeft: Number.isFinite(left) ? left : null }
      }),
    }
  }

  /** The list price of the call on the baseline path (no bundle: "had every call gone on the carrier line"). */
  #baselineCost(digits: string, seconds: number, at: number): number | null {
    const id = baselinePathOf(this.#d.config)
    const plan = id === null ? undefined : this.#plan(id)
    const row = plan ? this.#d.deck(plan.id)?.lookup(digits, at, bandAt(plan.bands, at, this.#d.timeZone)) : null
    return row ? callCost(row, seconds) : null
  }

  #plan(pathId: string): PlanConfig | undefined {
    const path = this.#d.config.paths.find((p) => p.id === pathId)
    return this.#d.config.plans.find((pl) => pl.id === path?.plan)
  }

  #offer(p: RoutingConfig['paths'][number], n: { e164: string; digits: string; national: string | null }, expected: number, at: number): RouteOffer | { reason: string } {
    const line = this.#d.store.get('line', p.line)
    const lineCfg = this.#d.lines.find((l) => l.id === p.line)
    if (!line || !lineCfg) return { reason: `no line "${p.line}"` }
    if (line.state === 'down' || !line.routable) return { reason: `down: ${line.reason}` }
    const channels = p.channels ?? lineCfg.channels
    if (line.channelUse.busy >= channels) return { reason: `full: ${line.channelUse.busy} of ${channels} channels busy` }
    const runtime = this.#paths.get(p.id)!
    if (!runtime.breaker.allows(at)) {
      const b = runtime.breaker.state(at)
      return { reason: b.state === 'open' ? `circuit-broken after ${b.faultsInRow} path faults; tried again from ${new Date(b.retryAt!).toISOString()}` : 'circuit-broken: one trial call is under way' }
    }
    const shows = p.callerIds ?? lineCfg.numbers
    const callerId = shows.find((x) => this.#storeNumbers.has(x))
    if (!callerId) return { reason: `cannot show the store's number (it shows ${shows.join(', ') || 'no number'})` }
    const plan = this.#d.config.plans.find((pl) => pl.id === p.plan)
    const deck = plan ? this.#d.deck(plan.id) : null
    if (!plan || !deck) return { reason: `no rate deck loaded for plan "${p.plan}"` }
    const band = bandAt(plan.bands, at, this.#d.timeZone)
    const row = deck.lookup(n.digits, at, band)
    if (!row) return { reason: `no rate for ${n.e164} in plan "${plan.id}"` }
    const bundle = coveringBundle(plan, p.id, n.digits, expected, this.#d.counts, at, this.#d.timeZone)
    const quality = runtime.quality
    return {
      path: p.id,
      line: p.line,
      dial: p.dial.replaceAll('{e164}', n.e164).replaceAll('{digits}', n.digits).replaceAll('{national}', n.national ?? n.e164),
      callerId,
      cost: bundle ? 0 : callCost(row, expected),
      currency: plan.currency,
      ratePerMinute: row.ratePerMinute,
      prefix: row.prefix,
      band: row.band,
      bundle: bundle?.bundle.id ?? null,
      asr: quality.asr,
      uses: quality.uses,
      state: line.state,
    }
  }
}

import type { UplinkConfig } from '../config/schema.js'
import type { PartState } from '../core/state.js'
import type { ProbeResult } from './probes.js'
import { voiceQuality } from './quality.js'

export type Thresholds = UplinkConfig['thresholds']

/** Loss, round trip and jitter over the window, and what they mean for a call. Null until something answered. */
export interface UplinkStats {
  lossPct: number | null
  rttMs: number | null
  jitterMs: number | null
  rFactor: number | null
  mos: number | null
  /** Rounds in the window. */
  rounds: number
}

interface Sample {
  ok: boolean
  rttMs: number | null
  /** |rtt − the previous answered rtt of the same target|: RFC 3550's jitter, unsmoothed. */
  jitterMs: number | null
}

interface Round {
  failed: boolean
  samples: Sample[]
}

/** Enough rounds in the window to judge loss and quality at all. */
const MIN_ROUNDS_FOR_QUALITY = 10
/** A flapping uplink's hold-down doubles at most this many times (16×). */
const MAX_FLAP_DOUBLINGS = 4
/** Up this many hold-downs in a row: the flapping is forgiven. */
const FORGIVE_HOLDDOWNS = 5

/**
 * One uplink's health from its probe rounds: a sliding window of rounds
 * (loss, round trip, jitter, R-factor/MOS), and its state with separate ways
 * down and back: down after `downAfter` failed rounds in a row (or heavy loss
 * over the window), up again only after `upAfter` good rounds with little loss
 * over the last 2×upAfter; degraded and back by MOS with a gap between the two
 * thresholds, so an uplink near one does not flicker. An uplink that goes down
 * soon after coming back is flapping: its hold-down (the wait before traffic
 * fails back to it) doubles, up to 16×. Pure: rounds and time in, state out.
 */
export class UplinkTracker {
  readonly #t: Thresholds
  readonly #holdDownMs: number
  readonly #k: number
  readonly #window: Round[] = []
  readonly #lastRtt: (number | null)[]
  #state: PartState = 'unknown'
  #reason = 'not probed yet'
  #failStreak = 0
  #okStreak = 0
  #upSince: number | null = null
  #wasDown = false
  #flaps = 0

  constructor(cfg: Pick<UplinkConfig, 'thresholds' | 'holdDownSeconds' | 'probes'>) {
    this.#t = cfg.thresholds
    this.#holdDownMs = cfg.holdDownSeconds * 1000
    this.#k = cfg.probes.failWhen ?? cfg.probes.targets.length
    this.#lastRtt = cfg.probes.targets.map(() => null)
  }

  get state(): PartState {
    return this.#state
  }

  get reason(): string {
    return this.#reason
  }

  /** When the uplink came up (null while it is not up or degraded). */
  get upSince(): number | null {
    return this.#upSince
  }

  /** The wait before traffic fails back to this uplink after it was down: longer while it flaps. */
  get holdDownMs(): number {
    return this.#holdDownMs * 2 ** this.#flaps
  }

  /** From when traffic may fail back to it: null while it is down; its start when it was never down. */
  get failbackAt(): number | null {
    if (this.#upSince === null) return null
    return this.#wasDown ? this.#upSince + this.holdDownMs : this.#upSince
  }

  /** The slowest answer in the window (ms), or null: a suspicion round waits a few times this long. */
  get slowestRttMs(): number | null {
    let max: number | null = null
    for (const r of this.#window) for (const s of r.samples) if (s.rttMs !== null && (max === null || s.rttMs > max)) max = s.rttMs
    return max
  }

  /** Up or degraded: carrying traffic is possible. */
  get working(): boolean {
    return this.#state === 'up' || this.#state === 'degraded'
  }

  /**
   * The kernel says the interface lost its carrier (cable pulled, modem gone): down at once, no round
   * waited for. Coming back is still the probes' business (upAfter good rounds). Returns whether the state changed.
   */
  linkDown(now: number, reason: string): boolean {
    this.#okStreak = 0
    if (this.#state === 'down') return false
    this.#failStreak = Math.max(this.#failStreak, this.#t.downAfter)
    return this.#go('down', now, reason)
  }

  get stats(): UplinkStats {
    const samples = this.#window.flatMap((r) => r.samples)
    const answered = samples.filter((s) => s.ok && s.rttMs !== null)
    const jitters = samples.flatMap((s) => (s.jitterMs === null ? [] : [s.jitterMs]))
    const lossPct = samples.length ? (100 * (samples.length - answered.length)) / samples.length : null
    const rttMs = answered.length ? mean(answered.map((s) => s.rttMs!)) : null
    const jitterMs = jitters.length ? mean(jitters) : answered.length ? 0 : null
    const q = lossPct !== null && rttMs !== null && jitterMs !== null && this.#window.length >= MIN_ROUNDS_FOR_QUALITY ? voiceQuality(lossPct, rttMs, jitterMs) : null
    return { lossPct: lossPct === null ? null : round1(lossPct), rttMs: rttMs === null ? null : round1(rttMs), jitterMs: jitterMs === null ? null : round1(jitterMs), rFactor: q?.rFactor ?? null, mos: q?.mos ?? null, rounds: this.#window.length }
  }

  /**
   * One round: the result of each target, in the configured order, and a label for each (for the reason).
   * A quick round (suspicion's, with a shorter timeout) counts for the rounds in a row but stays out of
   * the window: loss, round trip and MOS are measured at the normal timeout only, so a slow but working
   * link's quick rounds do not read as loss. Returns whether the state changed.
   */
  record(results: ProbeResult[], labels: string[], now: number, quick = false): boolean {
    const failures = results.filter((r) => !r.ok).length
    const failed = failures >= this.#k
    this.#failStreak = failed ? this.#failStreak + 1 : 0
    this.#okStreak = failed ? 0 : this.#okStreak + 1
    const why = () => results.map((r, i) => `${labels[i]}: ${r.ok ? `${r.rttMs ?? '?'} ms` : (r.error ?? 'failed')}`).join('; ')
    if (quick) return this.#judge(now, why)
    const samples = results.map((r, i) => {
      const prev = this.#lastRtt[i] ?? null
      const rtt = r.ok ? r.rttMs : null
      if (rtt !== null) this.#lastRtt[i] = rtt
      return { ok: r.ok, rttMs: rtt, jitterMs: rtt !== null && prev !== null ? Math.abs(rtt - prev) : null }
    })
    this.#window.push({ failed, samples })
    if (this.#window.length > this.#t.windowRounds) this.#window.shift()
    return this.#judge(now, why)
  }

  #judge(now: number, why: () => string): boolean {
    const t = this.#t
    const s = this.stats
    const windowLoss = this.#window.length >= MIN_ROUNDS_FOR_QUALITY ? (s.lossPct ?? 0) : 0
    const isUp = this.#state === 'up' || this.#state === 'degraded'
    if (this.#state !== 'down' && this.#failStreak >= t.downAfter) return this.#go('down', now, `${this.#failStreak} rounds failed in a row (${why()})`)
    if (isUp && windowLoss >= t.downLossPct) return this.#go('down', now, `loss ${windowLoss}% over ${this.#window.length} rounds (down at ${t.downLossPct}%)`)
    if (this.#state === 'unknown' && this.#okStreak > 0) return this.#go('up', now, `answering (${why()})`)
    if (this.#state === 'down') {
      const recent = this.#window.slice(-2 * t.upAfter).flatMap((r) => r.samples)
      const recentLoss = recent.length ? (100 * recent.filter((x) => !x.ok).length) / recent.length : 100
      if (this.#okStreak >= t.upAfter && recentLoss <= t.upLossPct) return this.#go('up', now, `${this.#okStreak} good rounds in a row, loss ${round1(recentLoss)}% over the last ${recent.length} probes`)
      return false
    }
    if (s.mos !== null && this.#state === 'up' && s.mos < t.degradedMos) return this.#go('degraded', now, `MOS ${s.mos} below ${t.degradedMos} (loss ${s.lossPct}%, rtt ${s.rttMs} ms, jitter ${s.jitterMs} ms)`)
    if (s.mos !== null && this.#state === 'degraded' && s.mos >= t.recoverMos) return this.#go('up', now, `MOS ${s.mos} back at ${t.recoverMos} or above`)
    // forgive a flapping past once the uplink has stayed up long enough
    if (this.#flaps > 0 && this.#upSince !== null && now - this.#upSince >= FORGIVE_HOLDDOWNS * this.holdDownMs) this.#flaps = 0
    return false
  }

  #go(state: PartState, now: number, reason: string): boolean {
    const wasUp = this.#state === 'up' || this.#state === 'degraded'
    if (state === 'down') {
      // down again within a few hold-downs of coming back: flapping
      if (wasUp && this.#wasDown && this.#upSince !== null && now - this.#upSince < FORGIVE_HOLDDOWNS * this.holdDownMs) this.#flaps = Math.min(this.#flaps + 1, MAX_FLAP_DOUBLINGS)
      this.#upSince = null
      this.#wasDown = true
    } else if (!wasUp) {
      this.#upSince = now
      // back from down: judge it only on the good rounds in a row that brought it back. The outage's
      // failed rounds (up to upLossPct of the last 2×upAfter) would read as loss: degraded on a clean
      // link until they left the window, or down again at once and counted as flapping.
      if (this.#state === 'down') this.#window.splice(0, Math.max(0, this.#window.length - this.#okStreak))
    }
    this.#state = state
    this.#reason = reason
    return true
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const round1 = (x: number) => Math.round(x * 10) / 10

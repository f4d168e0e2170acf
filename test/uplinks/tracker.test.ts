import { Ajv } from 'ajv'
import t from 'tap'
import { UplinkSchema, type UplinkConfig } from '../../src/config/schema.js'
import type { ProbeResult } from '../../src/uplinks/probes.js'
import { voiceQuality } from '../../src/uplinks/quality.js'
import { UplinkTracker } from '../../src/uplinks/tracker.js'

const S = 1000
const ICMP = { type: 'icmp' as const, host: '198.18.0.1' }
const TCP = { type: 'tcp' as const, host: '198.18.0.2', port: 443 }
const LABELS = ['icmp 198.18.0.1', 'tcp 198.18.0.2:443']

/** The schema's defaults filled in as the config loader does (ajv, useDefaults). */
const withDefaults = new Ajv({ useDefaults: true, strict: false }).compile<UplinkConfig>(UplinkSchema)

/** An uplink's config as the schema fills it in, with what a test changes. */
function config(patch: { targets?: number; failWhen?: number; thresholds?: Partial<UplinkConfig['thresholds']>; holdDownSeconds?: number } = {}): UplinkConfig {
  const targets = patch.targets === 2 ? [ICMP, TCP] : [ICMP]
  const cfg = {
    id: 'a',
    interface: 'eth0',
    probes: { targets, ...(patch.failWhen ? { failWhen: patch.failWhen } : {}) },
    thresholds: { ...patch.thresholds },
    ...(patch.holdDownSeconds !== undefined ? { holdDownSeconds: patch.holdDownSeconds } : {}),
  }
  if (!withDefaults(cfg)) throw new Error(`test config does not pass the schema: ${JSON.stringify(withDefaults.errors)}`)
  return cfg
}

/** Loss judged only for down and up, not for call quality (tests about the state machine). */
const NO_MOS = { degradedMos: 1, recoverMos: 1 }

const ok = (rttMs = 20): ProbeResult => ({ ok: true, rttMs })
const bad = (error = 'timeout'): ProbeResult => ({ ok: false, rttMs: null, error })

/** A tracker fed one round a second (or `step`). */
class Feed {
  now = 0
  readonly tr: UplinkTracker
  readonly states: string[] = []
  constructor(
    readonly cfg = config(),
    readonly step = S,
  ) {
    this.tr = new UplinkTracker(cfg)
  }
  get width(): number {
    return this.cfg.probes.targets.length
  }
  round(...results: ProbeResult[]): boolean {
    this.now += this.step
    const changed = this.tr.record(results, LABELS.slice(0, this.width), this.now)
    this.states.push(this.tr.state)
    return changed
  }
  good(n = 1, rtt = 20): this {
    for (let i = 0; i < n; i++) this.round(...Array.from({ length: this.width }, () => ok(rtt)))
    return this
  }
  fail(n = 1): this {
    for (let i = 0; i < n; i++) this.round(...Array.from({ length: this.width }, () => bad()))
    return this
  }
  /** Good rounds until the state is `state` (at most `max`): how many it took, or -1. */
  goodUntil(state: string, max = 100): number {
    for (let i = 1; i <= max; i++) {
      this.good()
      if (this.tr.state === state) return i
    }
    return -1
  }
}

t.test('the schema defaults the tests build on', async (t) => {
  const c = config()
  t.same(c.thresholds, { downAfter: 3, downLossPct: 50, upAfter: 5, upLossPct: 20, windowRounds: 30, degradedMos: 3.6, recoverMos: 3.8 })
  t.equal(c.holdDownSeconds, 30)
  t.equal(c.probes.everyMs, 1000)
  t.equal(c.metered, false)
})

t.test('unknown until probed; up on the first good round', async (t) => {
  const f = new Feed()
  t.equal(f.tr.state, 'unknown')
  t.equal(f.tr.reason, 'not probed yet')
  t.equal(f.tr.upSince, null)
  t.equal(f.tr.failbackAt, null)
  t.equal(f.round(ok(12.5)), true, 'the change is reported')
  t.equal(f.tr.state, 'up')
  t.equal(f.tr.reason, 'answering (icmp 198.18.0.1: 12.5 ms)')
  t.equal(f.tr.upSince, 1 * S)
  t.equal(f.round(ok()), false, 'no change, nothing reported')
})

t.test('unknown and failing: down only after downAfter rounds, not up meanwhile', async (t) => {
  const f = new Feed()
  f.fail(2)
  t.equal(f.tr.state, 'unknown', 'two failed rounds: still unknown')
  f.fail()
  t.equal(f.tr.state, 'down')
  t.equal(f.tr.failbackAt, null)
})

t.test('down only after downAfter failed rounds in a row', async (t) => {
  const f = new Feed(config({ thresholds: NO_MOS })).good(5)
  t.equal(f.round(bad()), false)
  t.equal(f.round(bad()), false)
  t.equal(f.tr.state, 'up', 'two failed rounds are not enough')
  f.good()
  f.fail(2)
  t.equal(f.tr.state, 'up', 'a good round in between starts the count again')
  t.equal(f.round(bad()), true)
  t.equal(f.tr.state, 'down', 'the third failed round in a row')
  t.equal(f.tr.upSince, null)
  t.equal(f.tr.failbackAt, null)
  t.match(f.tr.reason, /^3 rounds failed in a row \(icmp 198\.18\.0\.1: timeout\)$/)

  const five = new Feed(config({ thresholds: { downAfter: 5 } })).good(3)
  five.fail(4)
  t.equal(five.tr.state, 'up', 'downAfter 5: four are not enough')
  five.fail()
  t.equal(five.tr.state, 'down')
})

t.test('k of n: failWhen 1 fails the round on one target; by default all must fail', async (t) => {
  const any = new Feed(config({ targets: 2, failWhen: 1 })).good(2)
  for (let i = 0; i < 2; i++) any.round(ok(), bad('ECONNREFUSED'))
  t.equal(any.tr.state, 'up')
  any.round(ok(), bad('ECONNREFUSED'))
  t.equal(any.tr.state, 'down', 'failWhen 1: one of two targets failing fails the round')
  t.equal(any.tr.reason, '3 rounds failed in a row (icmp 198.18.0.1: 20 ms; tcp 198.18.0.2:443: ECONNREFUSED)', 'the reason names the failing target')

  const all = new Feed(config({ targets: 2 })).good(2)
  // (8 rounds in all: too few for the loss over the window to count)
  for (let i = 0; i < 4; i++) all.round(ok(), bad('ECONNREFUSED'))
  t.equal(all.tr.state, 'up', 'by default a round fails only when every target fails')
  all.round(bad(), bad('ECONNREFUSED'))
  all.round(bad(), bad('ECONNREFUSED'))
  t.equal(all.tr.state, 'up')
  all.round(bad('EHOSTUNREACH'), bad('ECONNREFUSED'))
  t.equal(all.tr.state, 'down', 'three rounds with both failing')
  t.equal(all.tr.reason, '3 rounds failed in a row (icmp 198.18.0.1: EHOSTUNREACH; tcp 198.18.0.2:443: ECONNREFUSED)')
})

t.test('back up after a short cut: upAfter good rounds and little loss over the last 2×upAfter', async (t) => {
  // a lenient upLossPct: upAfter alone decides
  const f = new Feed(config({ thresholds: { upLossPct: 50 } })).good(20).fail(5)
  t.equal(f.tr.state, 'down')
  f.good(4)
  t.equal(f.tr.state, 'down', 'four good rounds are not enough')
  t.equal(f.round(ok()), true)
  t.equal(f.tr.state, 'up', 'the fifth: 5 of the last 10 lost = 50%, at the limit')
  t.equal(f.tr.reason, '5 good rounds in a row, loss 50% over the last 10 probes')
})

t.test('back up after a cut: 5 good rounds are not enough when the last 10 still lost too much', async (t) => {
  const f = new Feed().good(20).fail(3)
  t.equal(f.tr.state, 'down')
  t.equal(f.goodUntil('up'), 8, 'the 8th good round: 2 of the last 10 lost = 20%, the limit')
  t.match(f.tr.reason, /^8 good rounds in a row, loss 20% over the last 10 probes$/)

  const long = new Feed().good(20).fail(20)
  t.equal(long.tr.state, 'down')
  long.good(5)
  t.equal(long.tr.state, 'down', 'after a long cut 5 good rounds are not enough (50% of the last 10 lost)')
  long.good(2)
  t.equal(long.tr.state, 'down', '7: 30% lost')
  long.good()
  t.equal(long.tr.state, 'up', '8: 20% lost')
  t.equal(long.tr.upSince, long.now)
})

// After a long cut the window still holds the outage's loss when the uplink comes back: judged on it, the
// uplink would go down again at once, count as flapping, and bounce until the cut left the window.
t.test('after a long cut the uplink stays up once back (no bouncing on the old loss)', async (t) => {
  const f = new Feed().good(30).fail(20)
  t.equal(f.goodUntil('up'), 8)
  const from = f.states.length
  f.good(30)
  const after = f.states.slice(from)
  t.notOk(after.includes('down'), `not down again over 30 good rounds (saw: ${after.join(' ')})`)
  t.equal(f.tr.holdDownMs, 30 * S, 'good rounds only: not flapping')
})

// Issue 20: the 2×upAfter rounds kept after a heal held the outage's last failed rounds (20 % loss on a
// clean link, MOS ≈ 2.7), so a healed uplink read degraded for ~20 rounds until they left the window.
t.test('healed: judged only on the rounds since it came back, not degraded on a clean link', async (t) => {
  const f = new Feed().good(30).fail(10)
  t.equal(f.goodUntil('up'), 8, 'up on the 8th good round (2 of the last 10 still lost)')
  t.equal(f.tr.stats.lossPct, 0, 'the window holds only the 8 good rounds')
  t.equal(f.tr.stats.rounds, 8)
  const from = f.states.length
  f.good(40)
  t.same([...new Set(f.states.slice(from))], ['up'], 'up all along: never degraded by the outage it recovered from')
  t.equal(f.tr.stats.mos, 4.42, 'the MOS of a clean link')
})

t.test('the carrier lost: down at once; back only by the probes', async (t) => {
  const f = new Feed().good(10)
  t.equal(f.tr.linkDown(f.now + 100, 'eth0 lost its carrier'), true)
  t.equal(f.tr.state, 'down')
  t.equal(f.tr.reason, 'eth0 lost its carrier')
  t.equal(f.tr.failbackAt, null)
  t.equal(f.tr.linkDown(f.now + 200, 'again'), false, 'already down: no change')
  t.equal(f.goodUntil('up'), 5, 'no failed round was recorded: 5 good rounds bring it back')
})

t.test('down by loss over the window, even with no failed streak', async (t) => {
  const f = new Feed()
  for (let i = 1; i <= 9; i++) {
    if (i % 2) f.round(ok())
    else f.round(bad())
  }
  t.equal(f.tr.state, 'up', 'nine rounds: too few to judge the loss')
  t.equal(f.round(bad()), true)
  t.equal(f.tr.state, 'down', '5 of 10 lost: 50%, the down limit')
  t.equal(f.tr.reason, 'loss 50% over 10 rounds (down at 50%)')

  const below = new Feed()
  // 1 in 3 lost: 33%, no failed streak; bad for calls but not down
  for (let i = 1; i <= 30; i++) {
    below.round(i % 3 ? ok() : bad())
  }
  t.not(below.tr.state, 'down', `33% loss: ${below.tr.state}, not down`)
  t.equal(below.tr.stats.lossPct, 33.3)
})

t.test('degraded below degradedMos, up again only at recoverMos', async (t) => {
  // one target, rtt 20, jitter 0, window 30: 1 lost of 30 → MOS 4.08, 2 → 3.73 (in the gap), 3 → 3.42
  t.equal(voiceQuality(100 / 30, 20, 0).mos, 4.08)
  t.equal(voiceQuality(200 / 30, 20, 0).mos, 3.73)
  t.equal(voiceQuality(10, 20, 0).mos, 3.42)
  const f = new Feed().good(30)
  t.equal(f.tr.stats.mos, 4.42)
  f.fail().good(4)
  t.equal(f.tr.stats.mos, 4.08)
  f.fail().good(4)
  t.equal(f.tr.stats.mos, 3.73)
  t.equal(f.tr.state, 'up', 'MOS 3.73 is not below 3.6')
  t.equal(f.round(bad()), true)
  t.equal(f.tr.stats.mos, 3.42)
  t.equal(f.tr.state, 'degraded')
  t.equal(f.tr.reason, 'MOS 3.42 below 3.6 (loss 10%, rtt 20 ms, jitter 0 ms)')
  t.not(f.tr.upSince, null, 'degraded still counts as up')
  const upSince = f.tr.upSince
  // the first lost round leaves the window after 30 rounds: 2 lost remain
  f.good(20)
  t.equal(f.tr.stats.mos, 3.73)
  t.equal(f.tr.state, 'degraded', 'MOS 3.73: above degradedMos but below recoverMos, still degraded')
  f.good(5)
  t.equal(f.tr.stats.mos, 4.08)
  t.equal(f.tr.state, 'up', 'back at 4.08 ≥ 3.8')
  t.equal(f.tr.reason, 'MOS 4.08 back at 3.8 or above')
  t.equal(f.tr.upSince, upSince, 'degraded and back is not a new start')
  t.equal(f.tr.failbackAt, upSince, 'never down: traffic may come back at once')
})

t.test('stats: loss, mean rtt, jitter per target; MOS only after 10 rounds', async (t) => {
  const f = new Feed(config({ targets: 2 }))
  t.same(f.tr.stats, { lossPct: null, rttMs: null, jitterMs: null, rFactor: null, mos: null, rounds: 0 })
  f.round(ok(10), ok(30))
  t.same(f.tr.stats, { lossPct: 0, rttMs: 20, jitterMs: 0, rFactor: null, mos: null, rounds: 1 }, 'one answer each: no jitter yet, 0')
  f.round(ok(20), ok(30))
  f.round(ok(10), bad())
  // loss 1/6; rtt mean(10, 30, 20, 30, 10) = 20; jitter per target: a |20−10|, |10−20|; b |30−30| → mean 6.7
  // (mixing the targets up would give |30−10| and the like)
  t.same(f.tr.stats, { lossPct: 16.7, rttMs: 20, jitterMs: 6.7, rFactor: null, mos: null, rounds: 3 })
  f.round(ok(40), ok(45)) // b's jitter against its last answer (30), not the failed one
  t.equal(f.tr.stats.jitterMs, (10 + 10 + 30 + 0 + 15) / 5)
  for (let i = 0; i < 5; i++) f.round(ok(40), ok(45))
  t.equal(f.tr.stats.rounds, 9)
  t.equal(f.tr.stats.mos, null, '9 rounds: no MOS yet')
  f.round(ok(40), ok(45))
  const s = f.tr.stats
  t.equal(s.rounds, 10)
  const q = voiceQuality(5, (10 + 30 + 20 + 30 + 10 + 7 * (40 + 45)) / 19, (10 + 10 + 30 + 15) / 17)
  t.equal(s.lossPct, 5)
  t.equal(s.mos, q.mos, `MOS ${s.mos}`)
  t.equal(s.rFactor, q.rFactor)
  for (let i = 0; i < 40; i++) f.round(ok(40), ok(45))
  t.equal(f.tr.stats.rounds, 30, 'the window keeps windowRounds rounds')
  t.match(f.tr.stats, { lossPct: 0, rttMs: 42.5, jitterMs: 0 }, 'the old rounds have left')

  const dead = new Feed().fail(3)
  t.same(dead.tr.stats, { lossPct: 100, rttMs: null, jitterMs: null, rFactor: null, mos: null, rounds: 3 }, 'nothing answered: loss only')
})

t.test('failbackAt: its start when never down; start + hold-down after being down', async (t) => {
  const f = new Feed().good(3)
  t.equal(f.tr.upSince, 1 * S)
  t.equal(f.tr.failbackAt, 1 * S)
  t.equal(f.tr.holdDownMs, 30 * S)
  f.fail(3)
  t.equal(f.tr.failbackAt, null, 'null while down')
  f.goodUntil('up')
  const back = f.now
  t.equal(f.tr.upSince, back)
  t.equal(f.tr.failbackAt, back + 30 * S)
  f.good(40)
  t.equal(f.tr.failbackAt, back + 30 * S, 'fixed while it stays up')

  const zero = new Feed(config({ holdDownSeconds: 0 })).good().fail(3)
  zero.goodUntil('up')
  t.equal(zero.tr.failbackAt, zero.now, 'hold-down 0: at once')
})

/** Down (3 failed rounds) and back (goodUntil up): the time it came up. */
function bounce(f: Feed): number {
  f.fail(3)
  if (f.tr.state !== 'down') throw new Error('not down')
  if (f.goodUntil('up') < 0) throw new Error('not up')
  return f.now
}

t.test('flapping: down again soon after coming back doubles the hold-down, up to 16×', async (t) => {
  const f = new Feed().good(10)
  bounce(f)
  t.equal(f.tr.holdDownMs, 30 * S, 'the first time down is not flapping')
  let back = bounce(f)
  t.equal(f.tr.holdDownMs, 60 * S, 'down again 8 s after coming back: doubled')
  t.equal(f.tr.failbackAt, back + 60 * S)
  bounce(f)
  t.equal(f.tr.holdDownMs, 120 * S)
  bounce(f)
  t.equal(f.tr.holdDownMs, 240 * S)
  bounce(f)
  t.equal(f.tr.holdDownMs, 480 * S, '16×')
  back = bounce(f)
  t.equal(f.tr.holdDownMs, 480 * S, 'no further than 16×')
  t.equal(f.tr.failbackAt, back + 480 * S)
})

t.test('flapping is counted only within 5 hold-downs of coming back', async (t) => {
  // rounds every 10 s: 5 hold-downs of 30 s = 15 rounds
  const f = new Feed(config(), 10 * S).good(3)
  let back = bounce(f)
  f.good(14) // 140 s up, then 3 failed rounds: down at 170 s ≥ 150 s
  f.fail(3)
  t.equal(f.tr.state, 'down')
  t.equal(f.tr.holdDownMs, 30 * S, `down ${(f.now - back) / S} s after coming back: not flapping`)
  f.goodUntil('up')
  back = f.now
  f.good(11)
  f.fail(3) // down 140 s after coming back
  t.equal(f.tr.holdDownMs, 60 * S, `down ${(f.now - back) / S} s after coming back: flapping`)
})

t.test('staying up 5 hold-downs forgives the flapping', async (t) => {
  const f = new Feed(config(), 10 * S).good(3)
  bounce(f)
  bounce(f)
  bounce(f)
  t.equal(f.tr.holdDownMs, 120 * S)
  const back = f.now
  // 5 × 120 s = 600 s
  while (f.now - back < 590 * S) f.good()
  t.equal(f.tr.holdDownMs, 120 * S, '590 s: not yet')
  f.good()
  t.equal(f.tr.holdDownMs, 30 * S, '600 s up: forgiven')
  t.equal(f.tr.failbackAt, back + 30 * S)
  bounce(f)
  t.equal(f.tr.holdDownMs, 30 * S, 'a later cut starts from the plain hold-down')
  bounce(f)
  t.equal(f.tr.holdDownMs, 60 * S)
})

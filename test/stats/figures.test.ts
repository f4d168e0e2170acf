import t from 'tap'
import type { CallRow } from '../../src/stats/call-log.js'
import { availability, capacityFigures, followedUpWithin, incomingFigures, lineFigures, missedCalls, outgoingFigures, pathFigures } from '../../src/stats/figures.js'

const T0 = Date.UTC(2026, 11, 3, 9, 0) // 09:00 UTC
let n = 0
function call(over: Partial<CallRow>): CallRow {
  const started = over.started ?? T0
  return { id: `c${n++}`, line: 'gsm1', direction: 'in', caller: '+79161112233', called: '+74951110001', started, answered: null, ended: started + 30_000, ringMs: 30_000, talkMs: null, outcome: 'missed', path: null, cost: null, currency: null, test: false, sources: ['modem'], ...over }
}
const answered = (ringS: number, talkS: number, over: Partial<CallRow> = {}) => {
  const started = over.started ?? T0
  return call({ outcome: 'answered', answered: started + ringS * 1000, ended: started + (ringS + talkS) * 1000, ringMs: ringS * 1000, talkMs: talkS * 1000, ...over })
}
const target = { percent: 80, seconds: 20 }

t.test('incoming: offered, answered, missed, abandoned, service level 80/20, speed of answer, talk time', async (t) => {
  const rows = [answered(5, 60), answered(10, 120), answered(20, 30), answered(25, 90), answered(40, 60), call({}), call({ outcome: 'abandoned' }), call({ test: true, outcome: 'answered', ringMs: 1000 })]
  const f = incomingFigures(rows, target)
  t.equal(f.offered, 7, 'the test call is not offered')
  t.equal(f.answered, 5)
  t.equal(f.missed, 1)
  t.equal(f.abandoned, 1)
  t.equal(f.serviceLevel, 42.9, '3 answered within 20 s (20 s counts) of 7 offered')
  t.equal(f.answerSeconds.mean, 20, '(5+10+20+25+40)/5')
  t.equal(f.answerSeconds.p90, 40, 'the 90th percentile of 5 rings is the largest')
  t.equal(f.talkSeconds, 72)
  t.equal(incomingFigures([], target).serviceLevel, null, 'nothing offered: no service level, not 0 or 100')
})

t.test('outgoing and per path: ASR, ACD, minutes, cost', async (t) => {
  const out = (outcome: CallRow['outcome'], talkS: number, path: string, cost: number) => call({ direction: 'out', outcome, talkMs: outcome === 'answered' ? talkS * 1000 : null, path, cost, currency: 'RUB' })
  const rows = [out('answered', 120, 'gsm1', 0), out('answered', 60, 'sip1', 2.5), out('busy', 0, 'sip1', 0), out('no-answer', 0, 'sip1', 0), out('answered', 180, 'sip1', 7.5)]
  t.match(outgoingFigures(rows), { attempts: 5, answered: 3, asr: 60, acd: 120, minutes: 6, cost: 10 })
  const sip = pathFigures(rows).find((p) => p.path === 'sip1')!
  t.match(sip, { attempts: 4, answered: 2, asr: 50, acd: 120, minutes: 4, cost: 10, currency: 'RUB' })
})

t.test('per line and hour, the whole store, the busiest hour (site time)', async (t) => {
  const H = 3600_000
  const rows = [answered(5, 60, { started: T0 }), call({ started: T0 + 10 * 60_000 }), answered(5, 60, { started: T0 + H, line: 'sip1' }), answered(5, 60, { started: T0 + 20 * 60_000 })]
  const lines = lineFigures(rows, 'hour', 'Europe/Moscow', target)
  t.same(lines.map((l) => l.line), ['*', 'gsm1', 'sip1'])
  const all = lines[0]!
  t.same(all.buckets.map((b) => [b.bucket, b.incoming.offered]), [['2026-12-03T12', 3], ['2026-12-03T13', 1]], '09:00 UTC is 12:00 in Moscow')
  t.same(all.busiestHour, { hour: 12, offered: 3 })
  t.equal(lines[2]!.total.incoming.offered, 1)
})

t.test('missed calls and their follow-up: a call back, an answered repeat, or still open', async (t) => {
  const rows = [call({ id: 'm1', caller: '+79160000001' }), call({ id: 'm2', caller: '+79160000002', started: T0 + 60_000 }), call({ id: 'm3', caller: '+79160000003' }), call({ id: 'w', caller: null })]
  const later: Record<string, CallRow> = {
    '+79160000001': call({ id: 'back', direction: 'out', called: '+79160000001', started: T0 + 10 * 60_000 }),
    '+79160000002': answered(5, 10, { id: 'again', caller: '+79160000002', started: T0 + 61 * 60_000 }),
  }
  const missed = missedCalls(rows, (number) => later[number] ?? null, T0 + 2 * 3600_000)
  t.same(missed.map((m) => [m.id, m.followedUp?.how ?? 'open', m.waitingSeconds]), [
    ['m1', 'called-back', 570],
    ['m2', 'answered-again', 3570],
    ['m3', 'open', 7170],
  ], 'a withheld number cannot be called back and is not listed')
  t.equal(followedUpWithin(missed, 15), 33.3, 'one of three within 15 minutes')
})

t.test('capacity: peak calls at once against the channels, and Erlang B at the busiest hour', async (t) => {
  const H = 3600_000
  const hour = Date.UTC(2026, 11, 3, 9)
  // two calls hold gsm1 through 09:00-10:00 UTC, a third overlaps them for ten minutes; one short call at 11:00
  const rows = [
    call({ started: hour, ended: hour + H }),
    call({ started: hour, ended: hour + H }),
    call({ started: hour + 20 * 60_000, ended: hour + 30 * 60_000 }),
    call({ started: hour + 2 * H, ended: hour + 2 * H + 60_000 }),
    call({ started: hour, ended: hour + H, test: true }),
  ]
  const [c] = capacityFigures(rows, [{ id: 'gsm1', channels: 1 }], 'UTC')
  t.match(c, { line: 'gsm1', channels: 1, peak: { calls: 3, at: hour + 20 * 60_000 }, busiestHour: { bucket: '2026-12-03T09', erlangs: 2.17 } }, 'the test call holds no channel in the figures')
  t.equal(c!.blockingPercent, 68.42, 'Erlang B(2.17 E, 1 channel) = A/(1+A)')
  t.equal(c!.channelsFor1Percent, 7, 'the published 1 % table: 6 channels carry 1.91 E, 7 carry 2.50 E')
  const [none] = capacityFigures([], [{ id: 'gsm2', channels: 2 }], 'UTC')
  t.match(none, { peak: { calls: 0, at: null }, busiestHour: null, blockingPercent: null, channelsFor1Percent: null })
  // a call across the hour is split between the hours it held
  const [split] = capacityFigures([call({ started: hour + 30 * 60_000, ended: hour + 90 * 60_000 })], [{ id: 'gsm1', channels: 1 }], 'UTC')
  t.equal(split!.busiestHour!.erlangs, 0.5)
})

t.test('availability: minutes in each state per site day, and the outages with their reason', async (t) => {
  const day = Date.UTC(2026, 11, 3)
  const H = 3600_000
  const states = [
    { line: 'gsm1', at: day - H, state: 'up', reason: 'registered' },
    { line: 'gsm1', at: day + 10 * H, state: 'down', reason: 'modem gsm1 lost its network' },
    { line: 'gsm1', at: day + 10.5 * H, state: 'up', reason: 'registered' },
    { line: 'gsm1', at: day + 23 * H, state: 'unknown', reason: 'the box was stopped' },
    { line: 'gsm1', at: day + 25 * H, state: 'down', reason: 'no line voltage' },
  ]
  const [a] = availability(states, ['gsm1'], day, day + 2 * 24 * H, day + 30 * H, 'UTC')
  t.same(a!.days, [
    { day: '2026-12-03', up: 1350, degraded: 0, down: 30, unknown: 60 },
    { day: '2026-12-04', up: 0, degraded: 0, down: 300, unknown: 60 },
  ], 'the second day until now: an hour unknown (the box off), then down')
  t.same(a!.outages, [
    { from: day + 10 * H, to: day + 10.5 * H, minutes: 30, reason: 'modem gsm1 lost its network' },
    { from: day + 25 * H, to: null, minutes: 300, reason: 'no line voltage' },
  ])
  const [dst] = availability([{ line: 'x', at: 0, state: 'up', reason: '' }], ['x'], Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23), Date.UTC(2027, 0, 1), 'Europe/Berlin')
  t.same(dst!.days, [{ day: '2026-10-25', up: 1500, degraded: 0, down: 0, unknown: 0 }], 'the autumn day has 25 hours up')
})

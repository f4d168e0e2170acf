import { LINE_DEFAULTS } from '../helpers/parts.js'
/** Calls through the real driver and the simulated module: ATD with its outcomes, incoming calls answered or missed, +CLCC. */
import t from 'tap'
import { ErrorCode } from '../../src/core/errors.js'
import type { CallRecord } from '../../src/core/state.js'
import { CallTracker } from '../../src/calls/tracker.js'
import { advance } from '../helpers/flush.js'
import { modemRig } from '../helpers/modem-rig.js'

async function rig(personality: 'quectel' | 'simcom' = 'quectel') {
  const r = modemRig({}, { personality })
  const tracker = new CallTracker(r.store, [{ id: 'gsm-main', kind: 'gsm', numbers: [], channels: 1, modem: 'gsm1', ...LINE_DEFAULTS }])
  tracker.start()
  const records: CallRecord[] = []
  r.store.on('change', (c) => c.kind === 'call' && records.push(c.next))
  r.driver.start()
  await r.driver.settled()
  return { ...r, records, tracker }
}

t.test('an outgoing call that is answered: dialling, alerting, active, hung up after talkSeconds', async (t) => {
  const r = await rig()
  r.sim.answerAfterMs = 4000
  const started = r.clock.now()
  const done = r.driver.dial('+74951234567', { ringSeconds: 30, talkSeconds: 3 })
  await advance(r.clock, 12_000)
  const call = await done
  t.match(call, { direction: 'out', number: '+74951234567', state: 'ended', outcome: 'answered' })
  t.ok(call.answeredAt! - started >= 5000 && call.answeredAt! - started <= 6500, `answered after alerting + 4 s (${call.answeredAt! - started} ms)`)
  t.ok(call.endedAt! - call.answeredAt! >= 3000, 'held for talkSeconds')
  t.ok(r.commands.includes('ATD+74951234567;'), 'a voice call (ATD...;)')
  t.ok(r.commands.indexOf('ATH') > r.commands.indexOf('ATD+74951234567;'), 'hung up by the box')
  t.same(r.sim.calls, [], 'the module has no call left')
  t.same([...new Set(r.records.map((c) => c.state))], ['dialing', 'alerting', 'active', 'ended'])
  t.match(r.records.at(-1), { direction: 'out', dialed: '+74951234567', callerId: null, line: 'gsm-main', outcome: 'answered' })
  t.match(r.modem(), { call: null, lastCall: { outcome: 'answered' }, state: 'up' })
  r.tracker.stop()
  await r.driver.stop()
})

for (const [behaviour, outcome, hungUpByUs] of [
  ['busy', 'busy', false],
  ['no-answer', 'no-answer', true],
  ['fail', 'failed', false],
] as const) {
  t.test(`an outgoing call the far end does not take (${behaviour}) ends with outcome ${outcome}`, async (t) => {
    const r = await rig()
    r.sim.outgoing = behaviour
    const done = r.driver.dial('89031234567', { ringSeconds: 10 })
    await advance(r.clock, 15_000)
    const call = await done
    t.match(call, { outcome, answeredAt: null })
    t.equal(r.commands.includes('ATH'), hungUpByUs, hungUpByUs ? 'unanswered after ringSeconds: the box hangs up' : 'the network ended it')
    t.match(r.modem(), { call: null, state: 'up' })
    await r.driver.stop()
  })
}

t.test('a number that cannot be dialled, and a second call while one is up, are refused', async (t) => {
  const r = await rig()
  await t.rejects(r.driver.dial('+7 (495) abc'), { code: ErrorCode.INVALID_INPUT })
  await t.rejects(r.driver.dial('+74951234567;ATH'), { code: ErrorCode.INVALID_INPUT }, 'no command injection through the number')
  const first = r.driver.dial('+74951234567', { talkSeconds: 1 })
  await advance(r.clock, 500)
  await t.rejects(r.driver.dial('+74957654321'), { code: ErrorCode.AT_BUSY })
  await advance(r.clock, 10_000)
  t.match(await first, { outcome: 'answered' })
  t.notOk(r.commands.some((c) => c.includes('7654321') || c.includes('abc')), 'nothing refused reached the module')
  await r.driver.stop()
})

t.test('an incoming call answered (by the PBX through the gateway) and ended by the caller', async (t) => {
  const r = await rig()
  r.sim.ring('+79161234567', { times: 5, intervalMs: 4000 })
  await advance(r.clock, 2000)
  t.match(r.modem().call, { direction: 'in', state: 'ringing', number: '+79161234567' })
  await r.driver.engine!.send('ATA') // the PBX picks up
  await advance(r.clock, 8000 + 2000) // RINGs stop; after the ring gap the box asks +CLCC
  t.match(r.modem().call, { direction: 'in', state: 'active' })
  r.sim.hangUpRemote()
  await advance(r.clock, 2000)
  t.match(r.modem(), { call: null, lastCall: { direction: 'in', number: '+79161234567', outcome: 'answered' }, callsSeen: 1 })
  t.match(r.records.at(-1), { direction: 'in', callerId: '+79161234567', state: 'ended', outcome: 'answered', line: 'gsm-main' })
  t.ok(r.records.at(-1)!.answeredAt !== null)
  await r.driver.stop()
})

t.test('an incoming call nobody answers is missed; a withheld number stays null', async (t) => {
  const r = await rig()
  r.sim.ring(null, { times: 2, intervalMs: 4000 })
  await advance(r.clock, 20_000)
  t.match(r.modem(), { call: null, lastCall: { direction: 'in', number: null, outcome: 'missed' } })
  t.same(r.records.map((c) => [c.state, c.callerId, c.outcome]), [['ringing', null, null], ['ended', null, 'missed']])
  await r.driver.stop()
})

t.test('a caller gives up and another rings 6 s after the last RING (closer than the ring gap): two calls, told apart by +CLIP', async (t) => {
  const r = await rig()
  r.sim.ring('+79161111111', { times: 3, intervalMs: 5000 })
  await advance(r.clock, 10_000 + 1000) // RINGs at 0, 5, 10 s; the caller gives up at 15 s
  await advance(r.clock, 5000)
  const second = r.clock.now()
  r.sim.ring('+79162222222', { times: 2, intervalMs: 5000 }) // 6 s after the last RING, the RING gap is 8 s
  await advance(r.clock, 20_000)
  t.same(r.records.filter((c) => c.state === 'ended').map((c) => [c.callerId, c.outcome]), [['+79161111111', 'missed'], ['+79162222222', 'missed']], 'each caller a missed call of their own')
  const startedAt = r.records.find((c) => c.callerId === '+79162222222')!.startedAt
  t.ok(startedAt >= second && startedAt <= second + 100, `the second call starts at its own first RING (+${startedAt - second} ms: the clock moves in 100 ms steps)`)
  t.equal(r.modem().callsSeen, 2)
  await r.driver.stop()
})

t.test('SIMCom reports call states itself (+CLCC lines); the box follows them all the same', async (t) => {
  const r = await rig('simcom')
  await r.driver.engine!.send('AT+CLCC=1')
  const done = r.driver.dial('+74951234567', { talkSeconds: 1 })
  await advance(r.clock, 10_000)
  t.match(await done, { outcome: 'answered' })
  t.same([...new Set(r.records.map((c) => c.state))], ['dialing', 'alerting', 'active', 'ended'])
  await r.driver.stop()
})

t.test('polls and a call side by side: the call end code is not taken as a poll\'s answer', async (t) => {
  const r = await rig()
  r.sim.answerAfterMs = 1000
  const done = r.driver.dial('+74951234567', { talkSeconds: 60 })
  await advance(r.clock, 5000)
  r.sim.hangUpRemote() // NO CARRIER while the box may be polling
  await advance(r.clock, 30_000)
  t.match(await done, { outcome: 'answered' })
  t.match(r.modem(), { state: 'up', answering: true, recovery: null }, 'no poll failed on the NO CARRIER')
  await r.driver.stop()
})

t.test('a call ended by the far end, then another at once: the second keeps its own limits, not the first one\'s', async (t) => {
  const r = await rig()
  r.sim.answerAfterMs = 1000
  const first = r.driver.dial('+74951234567', { talkSeconds: 5 })
  await advance(r.clock, 3500)
  r.sim.hangUpRemote() // NO CARRIER: ended by a line, while the first call's follow loop sleeps
  await advance(r.clock, 200)
  t.match(await first, { outcome: 'answered' })
  const second = r.driver.dial('+74957654321', { talkSeconds: 30 })
  await advance(r.clock, 45_000)
  const call = await second
  t.match(call, { number: '+74957654321', outcome: 'answered' })
  const talked = call.endedAt! - call.answeredAt!
  t.ok(talked >= 30_000 && talked <= 31_500, `held for its own 30 s, not cut at the first call's 5 s (${talked} ms)`)
  t.equal(r.commands.filter((c) => c === 'ATH').length, 1, 'one hang-up: one loop followed the second call')
  await r.driver.stop()
})

t.test('stop during a call hangs it up and records it; the driver can dial again after a restart', async (t) => {
  const r = await rig()
  const call = r.driver.dial('+74951234567', { talkSeconds: 600 })
  await advance(r.clock, 6000)
  t.match(r.modem().call, { state: 'active' })
  await r.driver.stop()
  t.match(await call, { outcome: 'answered' }, 'the waiting request gets its answer')
  t.ok(r.commands.includes('ATH'), 'hung up')
  t.same(r.sim.calls, [], 'the module has no call left')
  r.driver.start()
  await advance(r.clock, 1000) // reopened and set up
  const again = r.driver.dial('+74951234567', { talkSeconds: 0 })
  await advance(r.clock, 8000)
  t.match(await again, { outcome: 'answered' })
  await r.driver.stop()
})

t.test('a caller ID sent in national form is written in E.164 by the site\'s numbering plan', async (t) => {
  const r = modemRig({}, {}, { countryCode: '7', nationalPrefix: '8', internationalPrefix: '810' })
  r.driver.start()
  await r.driver.settled()
  r.sim.ring('89161234567', { times: 1 }) // type 129, as Russian networks send mobiles
  await advance(r.clock, 1000)
  t.match(r.modem().ringing, { callerId: '+79161234567' })
  t.match(r.modem().call, { number: '+79161234567' })
  await advance(r.clock, 20_000)
  r.sim.ring('900', { times: 1 }) // a service number has no E.164 form: kept as sent
  await advance(r.clock, 1000)
  t.match(r.modem().ringing, { callerId: '900' })
  await r.driver.stop()
})

t.test('stop while a customer\'s call rings leaves it alone: no ATH', async (t) => {
  const r = await rig()
  r.sim.ring('+79161234567', { times: 5 })
  await advance(r.clock, 1000)
  r.commands.length = 0
  await r.driver.stop()
  t.notOk(r.commands.includes('ATH'), 'the box restarting must not cut a customer\'s call')
})

import t from 'tap'
import { CallTracker } from '../../src/calls/tracker.js'
import type { CallRecord, ModemCall } from '../../src/core/state.js'
import { modemIn, LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

function setup() {
  const { store, clock } = testStore()
  store.init('modem', modemIn({ state: 'up' }, 'm1'))
  const tracker = new CallTracker(store, [{ id: 'l1', kind: 'gsm', numbers: [], channels: 1, modem: 'm1', ...LINE_DEFAULTS }])
  tracker.start()
  const seen: CallRecord[] = []
  store.on('change', (c) => c.kind === 'call' && seen.push(c.next))
  return { store, clock, tracker, seen }
}

const call = (over: Partial<ModemCall>): ModemCall => ({ direction: 'in', number: null, state: 'ringing', outcome: null, startedAt: 0, answeredAt: null, endedAt: null, ...over })

t.test('an incoming call is recorded with its caller id at once, again when it changes, and when it ends', async (t) => {
  const { store, clock, tracker, seen } = setup()
  const at = clock.now()
  store.update('modem', 'm1', { call: call({ startedAt: at }) }) // RING
  store.update('modem', 'm1', { call: call({ startedAt: at, number: '+79161234567' }) }) // +CLIP right after
  store.update('modem', 'm1', { ringing: null }) // unrelated changes record nothing
  clock.advance(12_000)
  store.update('modem', 'm1', { call: null, lastCall: call({ startedAt: at, number: '+79161234567', state: 'ended', outcome: 'missed', endedAt: at + 12_000 }) })
  t.same(
    seen.map((c) => [c.id, c.state, c.callerId, c.dialed, c.line, c.outcome, c.endedAt]),
    [
      [`m1-${at}`, 'ringing', null, null, 'l1', null, null],
      [`m1-${at}`, 'ringing', '+79161234567', null, 'l1', null, null],
      [`m1-${at}`, 'ended', '+79161234567', null, 'l1', 'missed', at + 12_000],
    ],
  )
  t.equal(store.snapshot.calls.length, 1, 'one call, updated in place')
  t.match(store.snapshot.calls[0], { state: 'ended', direction: 'in', modem: 'm1' })
  tracker.stop()
})

t.test('an outgoing call: dialling, alerting, answered, ended, with the number dialled', async (t) => {
  const { store, tracker, seen } = setup()
  const out = call({ direction: 'out', number: '+74951234567', state: 'dialing', startedAt: 1000 })
  store.update('modem', 'm1', { call: out })
  store.update('modem', 'm1', { call: { ...out, state: 'alerting' } })
  store.update('modem', 'm1', { call: { ...out, state: 'active', answeredAt: 5000 } })
  store.update('modem', 'm1', { call: null, lastCall: { ...out, state: 'ended', answeredAt: 5000, endedAt: 6000, outcome: 'answered' } })
  t.same(
    seen.map((c) => [c.state, c.direction, c.dialed, c.callerId, c.answeredAt, c.outcome]),
    [
      ['dialing', 'out', '+74951234567', null, null, null],
      ['alerting', 'out', '+74951234567', null, null, null],
      ['active', 'out', '+74951234567', null, 5000, null],
      ['ended', 'out', '+74951234567', null, 5000, 'answered'],
    ],
  )
  tracker.stop()
})

t.test('only the latest 100 calls are kept', async (t) => {
  const { store } = testStore()
  for (let i = 0; i < 130; i++) store.recordCall({ id: `m-${i}`, direction: 'in', line: null, modem: 'm', callerId: null, dialed: null, state: 'ended', outcome: 'missed', startedAt: i, answeredAt: null, endedAt: i })
  t.equal(store.snapshot.calls.length, 100)
  t.equal(store.snapshot.calls[0]!.id, 'm-30')
})

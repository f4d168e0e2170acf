import t from 'tap'
import { CallTracker } from '../../src/calls/tracker.js'
import type { CallRecord } from '../../src/core/state.js'
import { modemIn } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

t.test('a ringing call is recorded with its caller id at once, and again when it ends', async (t) => {
  const { store, clock } = testStore()
  store.init('modem', modemIn({ state: 'up' }, 'm1'))
  const tracker = new CallTracker(store, [{ id: 'l1', kind: 'gsm', numbers: [], channels: 1, modem: 'm1' }])
  tracker.start()
  const seen: CallRecord[] = []
  store.on('change', (c) => c.kind === 'call' && seen.push(c.next))
  const at = clock.now()
  store.update('modem', 'm1', { ringing: { callerId: null, at } }) // RING
  store.update('modem', 'm1', { ringing: { callerId: '+79161234567', at } }) // +CLIP right after
  clock.advance(12_000)
  store.update('modem', 'm1', { ringing: null, lastCall: { callerId: '+79161234567', at } })
  t.same(
    seen.map((c) => [c.id, c.state, c.callerId, c.line, c.endedAt]),
    [
      [`m1-${at}`, 'ringing', null, 'l1', null],
      [`m1-${at}`, 'ringing', '+79161234567', 'l1', null],
      [`m1-${at}`, 'ended', '+79161234567', 'l1', at + 12_000],
    ],
  )
  t.equal(store.snapshot.calls.length, 1, 'one call, updated in place')
  t.match(store.snapshot.calls[0], { state: 'ended', direction: 'in', modem: 'm1' })
  tracker.stop()
})

t.test('only the latest 100 calls are kept', async (t) => {
  const { store } = testStore()
  for (let i = 0; i < 130; i++) store.recordCall({ id: `m-${i}`, direction: 'in', line: null, modem: 'm', callerId: null, state: 'ended', startedAt: i, endedAt: i })
  t.equal(store.snapshot.calls.length, 100)
  t.equal(store.snapshot.calls[0]!.id, 'm-30')
})

import t from 'tap'
import type { StoreChange } from '../../src/core/store.js'
import { initialLine } from '../../src/lines/monitor.js'
import { modemIn, LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

t.test('update: since moves with state, ts with anything; a no-op emits nothing', async (t) => {
  const { store, clock } = testStore()
  const seen: StoreChange[] = []
  store.on('change', (c) => seen.push(c))
  store.init('modem', modemIn({ state: 'up', registration: 'home', since: clock.now(), ts: clock.now() }, 'm1'))
  const t0 = clock.now()
  clock.advance(1000)
  store.update('modem', 'm1', { signal: { csq: 10, rssiDbm: -93 } })
  t.match(store.get('modem', 'm1'), { since: t0, ts: t0 + 1000 }, 'a measurement moves ts only')
  clock.advance(1000)
  store.update('modem', 'm1', { state: 'down', reason: 'not answering' })
  t.match(store.get('modem', 'm1'), { since: t0 + 2000, ts: t0 + 2000 })
  const before = seen.length
  clock.advance(1000)
  store.update('modem', 'm1', { state: 'down', reason: 'not answering' })
  t.equal(seen.length, before, 'the same values again: no event, no new ts')
  t.throws(() => store.update('line', 'nope', {}), /unknown line nope/)
})

t.test('changes caused by a listener are announced after the change that caused them', async (t) => {
  const { store, clock } = testStore()
  store.init('modem', modemIn({ state: 'up' }, 'm1'))
  store.init('line', initialLine({ id: 'l1', kind: 'gsm', numbers: [], channels: 1, modem: 'm1', ...LINE_DEFAULTS }, clock.now()))
  // a monitor: the line follows the modem
  store.on('change', (c) => {
    if (c.kind === 'modem') store.update('line', 'l1', { state: c.next.state === 'up' ? 'up' : 'down', reason: 'r' })
  })
  const order: string[] = []
  store.on('change', (c) => order.push(`${c.kind}:${'state' in c.next ? c.next.state : ''}`))
  store.update('modem', 'm1', { state: 'down', reason: 'x' })
  t.same(order, ['modem:down', 'line:down'], 'every listener heard the modem first')
})

t.test('alerts: raised once, cleared once, restored without an announcement', async (t) => {
  const { store } = testStore()
  const seen: StoreChange[] = []
  store.on('change', (c) => seen.push(c))
  const a = { id: 'line/l1/down', severity: 'major' as const, source: 'line/l1', message: 'down' }
  store.setAlert({ ...a, state: 'cleared' })
  t.equal(seen.length, 0, 'clearing what was never raised says nothing')
  store.setAlert({ ...a, state: 'raised' })
  store.setAlert({ ...a, state: 'raised', message: 'down again' })
  t.equal(seen.length, 1)
  store.setAlert({ ...a, state: 'cleared' })
  t.same(store.snapshot.alerts, {})
  store.restoreAlerts([{ ...a, state: 'raised', ts: 1 }])
  t.equal(seen.length, 2, 'restored silently')
  t.ok(store.snapshot.alerts['line/l1/down'])
})

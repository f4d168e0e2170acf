import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { gsmLineState, LineMonitor } from '../../src/lines/index.js'
import { initialModem } from '../../src/modem/modem-state.js'
import { modemIn, LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

t.test('a GSM line follows its modem (table)', async (t) => {
  const up = { state: 'up' as const, answering: true, registration: 'home' as const, reason: 'registered (home) on MTS', signal: { csq: 20, rssiDbm: -73 } }
  const table: [string, Parameters<typeof gsmLineState>, { state: string; reason: RegExp }][] = [
    ['registered at home', ['gsm1', modemIn(up)], { state: 'up', reason: /^modem gsm1 registered \(home\) on MTS$/ }],
    ['roaming is up', ['gsm1', modemIn({ ...up, registration: 'roaming' })], { state: 'up', reason: /gsm1/ }],
    ['searching is down', ['gsm1', modemIn({ state: 'degraded', answering: true, registration: 'searching', reason: 'not registered (searching)' })], { state: 'down', reason: /not registered \(searching\)/ }],
    ['denied is down', ['gsm1', modemIn({ state: 'degraded', answering: true, registration: 'denied', reason: 'not registered (denied)' })], { state: 'down', reason: /denied/ }],
    ['not answering is down', ['gsm1', modemIn({ state: 'down', answering: false, registration: 'home', reason: 'not answering' })], { state: 'down', reason: /gsm1: not answering/ }],
    ['port missing is down', ['gsm1', modemIn({ state: 'down', reason: 'port /dev/x: No such file or directory' })], { state: 'down', reason: /No such file/ }],
    ['modem still starting', ['gsm1', modemIn({})], { state: 'unknown', reason: /waiting for modem gsm1/ }],
    ['no modem configured', [null, undefined], { state: 'unknown', reason: /no modem/ }],
  ]
  for (const [name, args, want] of table) t.match(gsmLineState(...args), want, name)
})

t.test('LineMonitor: state from the modem, calls counted per hour with the caller id', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 10, 59, 0))
  const store = testStore(clock).store
  store.init('modem', initialModem({ id: 'm1', port: 'sim:m1', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 }, clock.now()))
  const mon = new LineMonitor(store, [
    { id: 'l1', kind: 'gsm', numbers: ['+74950000001'], channels: 1, modem: 'm1', ...LINE_DEFAULTS },
    { id: 's1', kind: 'sip', numbers: [], channels: 4, ...LINE_DEFAULTS },
  ])
  mon.start()
  t.match(store.get('line', 'l1'), { state: 'unknown' })
  t.match(store.get('line', 's1'), { state: 'unknown', reason: 'no sip section: nothing probes this line' })
  store.update('modem', 'm1', { state: 'up', answering: true, registration: 'home', reason: 'registered (home)' })
  t.match(store.get('line', 'l1'), { state: 'up' })
  store.update('modem', 'm1', { ringing: { callerId: null, at: clock.now() } })
  store.update('modem', 'm1', { ringing: { callerId: '+79161234567', at: clock.now() } })
  t.match(store.get('line', 'l1'), { callsThisHour: 1, lastCallerId: '+79161234567' }, 'RING then +CLIP of one call count once')
  store.update('modem', 'm1', { ringing: null })
  clock.advance(90_000) // 11:00:30
  store.update('modem', 'm1', { ringing: { callerId: '+79160000000', at: clock.now() } })
  t.match(store.get('line', 'l1'), { callsThisHour: 1, lastCallerId: '+79160000000', lastCallAt: clock.now() }, 'a call in the next hour starts the count again')
  clock.advance(3600_000)
  mon.tick(clock.now())
  t.match(store.get('line', 'l1'), { callsThisHour: 0 }, 'an hour without calls reads 0, not the last hour\'s count')
  store.update('modem', 'm1', { state: 'down', answering: false, reason: 'not answering' })
  t.match(store.get('line', 'l1'), { state: 'down', reason: 'modem m1: not answering' })
  mon.stop()
  store.update('modem', 'm1', { state: 'up', answering: true, reason: 'registered (home)' })
  t.match(store.get('line', 'l1'), { state: 'down' }, 'a stopped monitor no longer follows')
})

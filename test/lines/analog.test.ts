import t from 'tap'
import type { LineConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { AnalogMonitor } from '../../src/lines/analog.js'
import { LineMonitor } from '../../src/lines/monitor.js'
import { SimAnalogLine } from '../../src/sim/analog-line.js'
import { SimIO } from '../../src/sim/gpio.js'
import { silentLogger } from '../../src/core/logger.js'
import { testStore } from '../helpers/store.js'
import { flush } from '../helpers/flush.js'

const ANALOG: NonNullable<LineConfig['analog']> = {
  voltage: { pin: 11, presentLevel: 0, pullUp: true, settleMs: 500 },
  ring: { pin: 12, ringingLevel: 0, pullUp: true, pulseGapMs: 100, minBurstMs: 150, maxBurstMs: 3000, callGapMs: 8000 },
}

async function rig(hysteresis = { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 60 }) {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const line: LineConfig = { id: 'pots', kind: 'analog', numbers: ['+74951110003'], channels: 1, pbxReports: false, watchSilence: true, withdrawWhenDown: true, hysteresis, analog: ANALOG }
  const io = new SimIO()
  const sim = new SimAnalogLine({ io, clock, line })
  const lines = new LineMonitor(store, [line])
  const analog = new AnalogMonitor({ io, lines: [line], monitor: lines, store, clock, log: silentLogger() })
  lines.start()
  analog.start()
  t.teardown(() => (analog.stop(), lines.stop(), sim.stop()))
  await flush() // the IO plugin reports each input's first level asynchronously
  const get = () => store.get('line', 'pots')!
  const ended: string[] = []
  const call = () => sim.incoming('+79161234567', { answered: () => {}, ended: (l) => ended.push(l) })
  return { clock, store, io, sim, lines, analog, get, ended, call }
}

t.test('line voltage: up once it has held, down at once (firm) when it goes, back only after the hold-down', async (t) => {
  const { clock, sim, get } = await rig()
  t.match(get(), { state: 'unknown', reason: 'starting', analog: { voltage: null } })
  clock.advance(499)
  t.equal(get().state, 'unknown', 'not believed before settleMs')
  clock.advance(1)
  t.match(get(), { state: 'up', reason: 'line voltage present (GPIO 11)', analog: { voltage: 'present' } })
  sim.cut()
  clock.advance(500)
  t.match(get(), { state: 'down', reason: 'no line voltage (GPIO 11)', signals: { voltage: { firm: true } }, analog: { voltage: 'lost' } })
  sim.restore()
  clock.advance(500)
  t.match(get(), { state: 'down', transition: { to: 'up', reason: 'line voltage present (GPIO 11)' } }, 'voltage back: held down')
  clock.advance(59_999)
  t.equal(get().state, 'down')
  clock.advance(1)
  t.match(get(), { state: 'up', transition: null })
})

t.test('a flicker shorter than settleMs changes nothing', async (t) => {
  const { clock, io, get } = await rig()
  clock.advance(600)
  io.drive(11, 1)
  clock.advance(300)
  io.drive(11, 0)
  clock.advance(1000)
  t.match(get(), { state: 'up', analog: { voltage: 'present' } })
})

t.test('a call rings the ring-detect pin at the cadence: one incoming call, its rings and cadence; the caller gives up', async (t) => {
  const { clock, get, call, ended } = await rig()
  clock.advance(600)
  const at = clock.now()
  t.ok(call(), 'the call reaches the line')
  clock.advance(150)
  t.match(get(), { callsThisHour: 0, analog: { ringing: false } }, 'not a ring before minBurstMs… and the burst has not ended')
  clock.advance(1000)
  t.match(get(), { lastCallAt: at, callsThisHour: 1, signals: { calls: { state: 'up' } }, analog: { ringing: true, rings: 1, lastRing: { at, offMs: null } } })
  t.ok(Math.abs(get().analog!.lastRing!.onMs - 1000) <= 20, `on ${get().analog!.lastRing!.onMs} ms`)
  clock.advance(5000) // the second ring ends at +6 s; it is a ring once the input has been quiet pulseGapMs
  const second = get().analog!.lastRing!
  t.match(get().analog, { rings: 2 })
  t.ok(Math.abs(second.offMs! - 4000) <= 20, `off ${second.offMs} ms`)
  clock.advance(5 * 5000)
  t.same(ended, ['NO ANSWER'], 'six rings, nobody answers')
  clock.advance(8000)
  t.match(get(), { callsThisHour: 1, analog: { ringing: false, rings: 6 } }, 'one call, six rings')
})

t.test('noise on the ring input is counted, not taken for a call', async (t) => {
  const { clock, io, get } = await rig()
  clock.advance(600)
  io.drive(12, 0)
  clock.advance(20)
  io.drive(12, 1)
  clock.advance(500)
  t.match(get(), { lastCallAt: null, analog: { rejected: 1 } })
})

t.test('a deaf line (carrier fault): voltage present, calls never ring; only the calls seen can tell', async (t) => {
  const { clock, sim, get, call } = await rig()
  clock.advance(600)
  sim.deafen()
  t.ok(call(), 'the network takes the call')
  clock.advance(60_000)
  t.match(get(), { state: 'up', lastCallAt: null })
  t.equal(sim.ringsStarted, 0)
})

t.test('a cut line rings nowhere; a second call while one rings is refused', async (t) => {
  const { clock, sim, call } = await rig()
  clock.advance(600)
  t.ok(call())
  t.equal(call(), null, 'busy')
  sim.cut()
  clock.advance(1000)
  t.equal(sim.ringing, false, 'the cut ended the ringing')
})

t.test('a failed test call is the calls signal saying down; an incoming call clears it', async (t) => {
  const { clock, store, get, call } = await rig({ downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 0 })
  clock.advance(600)
  store.update('line', 'pots', { lastTestCall: { at: clock.now(), ok: false, detail: 'no ring on pots within 30 s' } })
  t.match(get(), { state: 'down', reason: 'test call: no ring on pots within 30 s' })
  call()
  clock.advance(1200)
  t.match(get(), { state: 'up', signals: { calls: { state: 'up', reason: 'an incoming call arrived' } } })
})

t.test('a change waiting for more reports hears the sources again every minute (the voltage reports only when it changes)', async (t) => {
  const { clock, sim, lines, get } = await rig({ downAfter: 1, downAfterSeconds: 0, upAfter: 2, holdDownSeconds: 60 })
  clock.advance(600)
  sim.cut()
  clock.advance(600)
  sim.restore()
  clock.advance(600)
  t.match(get(), { state: 'down', transition: { to: 'up', at: null } }, 'one report of two')
  clock.advance(30_000)
  t.match(get(), { state: 'down', transition: { to: 'up', at: null } }, 'time alone does not make the second report')
  lines.tick(clock.now())
  t.match(get(), { state: 'down', transition: { to: 'up' } })
  t.ok(get().transition?.at, 'the minute tick was the second report: the hold-down runs')
  clock.advance(30_000)
  t.equal(get().state, 'up', 'up a hold-down after the voltage came back')
})

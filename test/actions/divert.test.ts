import t from 'tap'
import type { LineConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { ActionEvent } from '../../src/core/state.js'
import { DivertRelay } from '../../src/actions/divert.js'
import { RouteWithdrawal } from '../../src/actions/route-withdraw.js'
import { outputPins } from '../../src/hw/gpio.js'
import { ModbusCoils } from '../../src/hw/modbus-coils.js'
import { LineMonitor } from '../../src/lines/monitor.js'
import { SimIO } from '../../src/sim/gpio.js'
import { SimModbusSlave } from '../../src/sim/modbus-slave.js'
import { flush, waitFor } from '../helpers/flush.js'
import { memoryLine } from '../helpers/memory-line.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

const MODBUS = { port: '/dev/ttyMEM0', baudRate: 9600, parity: 'none' as const, stopBits: 1, slaveId: 3, coil: 2, timeoutMs: 100 }

function rig(divert: NonNullable<NonNullable<LineConfig['analog']>['divert']>, extra: Partial<LineConfig> = {}) {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const line: LineConfig = { id: 'pots', kind: 'analog', numbers: [], channels: 1, ...LINE_DEFAULTS, analog: { divert }, ...extra }
  const lines = new LineMonitor(store, [line])
  const io = new SimIO()
  const slave = new SimModbusSlave({ slaveId: 3, coils: 8 })
  const modbus = () =>
    new ModbusCoils({ ...MODBUS, stopBits: 1 }, async () => {
      const [master, device] = memoryLine()
      slave.attach(device)
      return master
    })
  const relay = new DivertRelay({ store, lines: [line], pins: outputPins(io, clock), clock, log: silentLogger(), modbus })
  const routes = new RouteWithdrawal({ store, lines: [line] })
  const events: ActionEvent[] = []
  store.on('change', (c) => c.kind === 'event' && events.push(c.next))
  lines.start()
  routes.start()
  relay.start()
  t.teardown(async () => {
    await relay.stop()
    routes.stop()
    lines.stop()
    slave.detach()
  })
  const say = (state: 'up' | 'down' | 'unknown') => lines.signal('pots', 'voltage', { state, reason: `voltage ${state}` })
  return { clock, store, io, slave, events, say, get: () => store.get('line', 'pots')! }
}

t.test('GPIO relay: on while the line is down, off when it is up; nothing while unknown', async (t) => {
  const { io, events, say, get } = rig({ pin: 13, activeLevel: 1 })
  const writes: number[] = []
  io.on('write', (pin, level) => pin === 13 && writes.push(Number(level)))
  say('unknown')
  await flush()
  t.same(writes, [], 'a line not known yet leaves the relay alone')
  say('down')
  await waitFor(() => get().analog?.diverted === true, 1000, 'diverted')
  t.equal(io.level(13), 1)
  t.match(events.filter((e) => e.type === 'divert'), [{ type: 'divert', line: 'pots', on: true, via: 'GPIO 13', ok: true, detail: 'calls go to the GSM gateway' }])
  say('up')
  await waitFor(() => get().analog?.diverted === false, 1000, 'back')
  t.equal(io.level(13), 0)
  t.same(writes, [1, 0])
})

t.test('an active-low relay', async (t) => {
  const { io, say, get } = rig({ pin: 13, activeLevel: 0 })
  say('up')
  say('down')
  await waitFor(() => get().analog?.diverted === true, 1000, 'diverted')
  t.equal(io.level(13), 0)
})

t.test('Modbus coil relay: switched on the slave; a silent slave is retried until it answers', async (t) => {
  const { clock, slave, events, say, get } = rig({ activeLevel: 1, modbus: MODBUS })
  say('up')
  say('down')
  await waitFor(() => slave.coils[2] === true, 2000, 'coil 2 on')
  await waitFor(() => get().analog?.diverted === true, 1000, 'diverted in the state')
  slave.setAnswering(false)
  say('up')
  await waitFor(() => events.some((e) => e.type === 'divert' && !e.ok), 2000, 'a failed switch')
  t.match(events.filter((e) => e.type === 'divert' && !e.ok)[0], { on: false, via: 'modbus /dev/ttyMEM0 slave 3 coil 2', detail: /no answer to write coil 2 within 100 ms; retrying in 2 s/ })
  t.equal(slave.coils[2], true, 'still switched over')
  t.equal(get().analog?.diverted, true, 'and the state says so')
  slave.setAnswering(true)
  clock.advance(2000)
  await waitFor(() => slave.coils[2] === false, 2000, 'coil 2 off after the retry')
  await waitFor(() => get().analog?.diverted === false, 1000, 'state follows')
})

t.test('route withdrawal: a down line is not offered for outgoing calls; each change is an event', async (t) => {
  const { events, say, get } = rig({ pin: 13, activeLevel: 1 })
  t.equal(get().routable, true, 'a line not known yet is offered (nothing says it is down)')
  say('down')
  t.equal(get().routable, false)
  say('up')
  t.equal(get().routable, true)
  t.match(events.filter((e) => e.type === 'route'), [
    { line: 'pots', routable: false, reason: 'line down: voltage down' },
    { line: 'pots', routable: true, reason: 'line up: offered for outgoing calls again' },
  ])
})

t.test('withdrawWhenDown: false keeps a down line offered', async (t) => {
  const { events, say, get } = rig({ pin: 13, activeLevel: 1 }, { withdrawWhenDown: false })
  say('down')
  t.equal(get().routable, true)
  t.same(events.filter((e) => e.type === 'route'), [])
})

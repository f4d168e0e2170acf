/**
 * The Modbus stack light against the simulated slave: coils follow the lamp
 * it shows, one Write Multiple Coils when its coils are one block, a slave
 * that stops answering is reported (alert, snapshot) and retried while the
 * GPIO lamps keep working; over memory and over a real pseudo-terminal.
 */
import t from 'tap'
import type { Config, PanelConfig, StackLightConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { ModbusCoils } from '../../src/hw/modbus-coils.js'
import { initialLine } from '../../src/lines/monitor.js'
import { buildPanel } from '../../src/panel/build.js'
import { StackLightPanel, coilsFor, frameAt } from '../../src/panel/index.js'
import { CONFIRM_MS } from '../../src/panel/stack-light.js'
import { SimIO } from '../../src/sim/gpio.js'
import { SimModbusSlave } from '../../src/sim/modbus-slave.js'
import { waitAdvancing, waitFor } from '../helpers/flush.js'
import { memoryLine } from '../helpers/memory-line.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { slaveOnPty } from '../helpers/modbus-pty.js'
import { missing } from '../helpers/real.js'
import { testStore } from '../helpers/store.js'

const STACK: StackLightConfig = { port: 'mem', baudRate: 9600, parity: 'none', stopBits: 1, slaveId: 2, timeoutMs: 150, shows: 'summary', coils: { red: 0, amber: 1, green: 2, buzzer: 3 }, retrySeconds: 5, refreshSeconds: 10 }

t.test('coilsFor: the tiers of the lamp shown, amber as red+green without an amber tier, the test lights all', async (t) => {
  const frame = (summary: 'red' | 'amber' | 'green' | 'off', buzzer = false, test = false) => ({ lamps: { l1: 'green' as const }, summary, buzzer, test })
  t.same([...coilsFor(STACK, frame('red', true))], [[0, true], [2, false], [1, false], [3, true]])
  t.same([...coilsFor(STACK, frame('amber'))], [[0, false], [2, false], [1, true], [3, false]])
  t.same([...coilsFor({ ...STACK, coils: { red: 4, green: 6 } }, frame('amber'))], [[4, true], [6, true]])
  t.same([...coilsFor({ ...STACK, shows: 'l1' }, frame('red'))], [[0, false], [2, true], [1, false], [3, false]], 'shows one lamp')
  t.same([...coilsFor(STACK, frame('off', true, true))], [[0, true], [2, true], [1, true], [3, true]], 'lamp test: every tier, and the beep')
})

function rig(stack: StackLightConfig = STACK) {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  store.init('line', initialLine({ id: 'l1', kind: 'gsm', numbers: [], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  const [box, device] = memoryLine()
  const slave = new SimModbusSlave({ slaveId: stack.slaveId, coils: 8 }).attach(device)
  const requests: number[] = []
  slave.on('request', (f) => requests.push(f[1]!))
  const panelCfg: PanelConfig = { lamps: [{ id: 'l1', source: 'line/l1', green: 2, red: 3 }], quietHours: [], lampTestMs: 0, modbus: stack }
  const config = { panel: panelCfg, timezone: 'UTC', alerts: { language: 'en' } } as unknown as Config
  const io = new SimIO({ pinCount: 8 })
  const parts = buildPanel({ config, store, clock, io, log: silentLogger(), modbusOpener: async () => box })
  return { clock, store, slave, requests, io, ...parts, set: (state: 'up' | 'down' | 'degraded') => store.update('line', 'l1', { state, reason: state }) }
}

const tiers = (slave: SimModbusSlave) => slave.coils.slice(0, 4).map((c) => (c ? 1 : 0)).join('')

/** The rig running, its line up and the green tier lit. */
async function greenRig(t: { teardown(fn: () => unknown): void }) {
  const r = rig()
  r.controller.start()
  await r.outputs.start()
  t.teardown(() => r.outputs.stop())
  r.set('up')
  await waitFor(() => tiers(r.slave) === '0010', 1000, 'green tier')
  return r
}

t.test('the coils follow the summary, in one Write Multiple Coils per change', async (t) => {
  const r = await greenRig(t)
  r.requests.length = 0
  r.set('degraded')
  await waitFor(() => tiers(r.slave) === '0100', 1000, 'amber tier')
  t.same(r.requests, [15], 'one FC15 for the change')
  r.clock.advance(500) // blink: the amber tier goes dark
  await waitFor(() => tiers(r.slave) === '0000', 1000, 'amber blinks off')
  t.same(r.store.snapshot.panel.outputs.modbus, { ok: true, shows: 'summary' })
})

t.test('a slave that stops answering: reported, retried, GPIO lamps go on; back: rewritten, cleared', async (t) => {
  const r = await greenRig(t)
  r.slave.setAnswering(false)
  r.set('down')
  // the first timeout is confirmed by one more try CONFIRM_MS later (stack-light-supervision.test.ts checks the order)
  await waitAdvancing(r.clock, CONFIRM_MS / 4, () => r.store.snapshot.panel.outputs.modbus?.ok === false, 5000, 'reported down once confirmed')
  t.match(r.store.snapshot.panel.outputs.modbus?.error, /no answer/)
  t.equal(r.store.snapshot.alerts['panel/modbus']?.severity, 'minor', 'an alert is raised')
  t.match(r.store.snapshot.alerts['panel/modbus']?.message, /stack light/)
  // the GPIO lamp keeps blinking red meanwhile
  const red = () => r.io.level(3)
  const seen = new Set<number>()
  for (let i = 0; i < 8; i++) {
    seen.add(red())
    r.clock.advance(63)
  }
  t.same([...seen].sort(), [0, 1], 'the GPIO red die blinks while Modbus is down')
  const asked = r.requests.length
  r.slave.setAnswering(true)
  await new Promise((res) => setTimeout(res, 300))
  t.equal(r.requests.length, asked, 'no write before retrySeconds')
  r.clock.advance(5000)
  await waitFor(() => r.store.snapshot.panel.outputs.modbus?.ok === true, 2000, 'answering again')
  t.equal(r.store.snapshot.alerts['panel/modbus'], undefined, 'alert cleared')
  t.match(tiers(r.slave), /^[01]000$/, 'red tier (blinking) written after the retry, green off')
})

t.test('a frame that arrives during a slow write replaces older waiting ones (no backlog)', async (t) => {
  const [box, device] = memoryLine()
  const slave = new SimModbusSlave({ slaveId: 2, coils: 8 }).attach(device)
  const frames: string[] = []
  slave.on('request', () => frames.push(tiers(slave)))
  const coils = new ModbusCoils({ port: 'mem', slaveId: 2, timeoutMs: 200 }, async () => box)
  const light = new StackLightPanel({ config: STACK, link: coils, clock: new FakeClock(), log: silentLogger(), health: () => {} })
  await light.start()
  t.teardown(() => light.stop())
  const f = (summary: 'red' | 'green' | 'amber') => ({ lamps: {}, summary, buzzer: false, test: false })
  light.show(f('red'))
  light.show(f('green'))
  light.show(f('amber'))
  light.show(f('red'))
  await waitFor(() => tiers(slave) === '1000' && frames.length >= 1, 1000, 'the last frame shown')
  await new Promise((res) => setTimeout(res, 100))
  t.ok(light.writes <= 2, `at most the first and the newest written (${light.writes})`)
})

t.test('over a real pseudo-terminal pair (socat): the stack light on a serial port', { skip: missing('socat') && 'socat not installed' }, async (t) => {
  const pty = await slaveOnPty(2)
  const slave = pty.slave
  const coils = new ModbusCoils({ port: pty.box, slaveId: 2, timeoutMs: 300 })
  const health: boolean[] = []
  const clock = new FakeClock()
  const light = new StackLightPanel({ config: { ...STACK, port: pty.box }, link: coils, clock, log: silentLogger(), health: (ok) => health.push(ok) })
  t.teardown(async () => {
    await light.stop()
    await pty.close()
  })
  await light.start()
  const panel = { lamps: [], summary: { color: 'red' as const, pattern: 'steady' as const }, buzzer: { on: true, pattern: 'steady' as const, severity: 'critical' as const, muted: false, quiet: false }, test: null, outputs: {}, ts: 0 }
  light.show(frameAt(panel, 0))
  await waitFor(() => tiers(slave) === '1001', 2000, 'red and buzzer over the pty')
  slave.setAnswering(false)
  light.show(frameAt({ ...panel, summary: { color: 'green', pattern: 'steady' } }, 0))
  await waitAdvancing(clock, CONFIRM_MS / 4, () => health.includes(false), 5000, 'the deaf slave is reported')
  t.same(health, [true, false])
})

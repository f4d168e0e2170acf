/**
 * The panel on a Firmata board: first against johnny-five's own mock
 * Firmata board (what the panel asks of the io), then at the byte level:
 * johnny-five's Firmata client (firmata-io) talking to a simulated
 * StandardFirmata board over an in-memory line, including garbage on the
 * line and a board that never answers.
 */
import type { EventEmitter } from 'node:events'
import t from 'tap'
import mockFirmata from 'mock-firmata'
import type { PanelConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import type { IoPlugin } from '../../src/hw/io/contract.js'
import { openFirmata } from '../../src/hw/io/firmata.js'
import { J5Panel } from '../../src/panel/index.js'
import type { PanelFrame } from '../../src/panel/patterns.js'
import { SimFirmataDevice } from '../../src/sim/firmata-device.js'
import { memoryLine } from '../../src/sim/memory-line.js'
import { waitFor } from '../helpers/flush.js'

const PANEL: PanelConfig = {
  lamps: [{ id: 'l1', source: 'line/l1', green: 2, red: 3 }],
  buzzer: { pin: 6, passive: false, critical: 'steady', major: 'intermittent', minor: 'off' },
  button: { pin: 7, activeLow: true, holdSeconds: 1 },
  quietHours: [],
  lampTestMs: 0,
}
const frame = (l1: PanelFrame['lamps'][string], buzzer = false): PanelFrame => ({ lamps: { l1 }, summary: l1, buzzer, test: false })

function panelOn(io: IoPlugin) {
  const calls = { silence: 0, health: [] as [boolean, string | undefined][] }
  const panel = new J5Panel({ config: PANEL, io, log: silentLogger(), on: { silence: () => calls.silence++, lampTest: () => {}, health: (ok, e) => calls.health.push([ok, e]) } })
  return { panel, calls }
}

t.test("johnny-five's mock Firmata board: the panel's pins, modes and writes", async (t) => {
  const io = new mockFirmata.Firmata() as unknown as IoPlugin & EventEmitter
  const writes: [string, number, number][] = []
  for (const fn of ['digitalWrite', 'pinMode'] as const) {
    const orig = (io as unknown as Record<string, (...a: number[]) => unknown>)[fn]!.bind(io)
    ;(io as unknown as Record<string, unknown>)[fn] = (pin: number, v: number) => {
      writes.push([fn, pin, v])
      return orig(pin, v)
    }
  }
  const { panel, calls } = panelOn(io)
  const started = panel.start(2000)
  io.emit('connect')
  io.emit('ready')
  await started
  t.same(calls.health, [[true, undefined]])
  t.ok(writes.some(([f, p, m]) => f === 'pinMode' && p === 3 && m === 1), 'the red die is an output')
  t.ok(writes.some(([f, p, m]) => f === 'pinMode' && p === 7 && m === 0), 'the button is an input')
  t.ok(writes.some(([f, p, v]) => f === 'digitalWrite' && p === 7 && v === 1), '… with its pull-up (HIGH on an input)')
  writes.length = 0
  panel.show(frame('red', true))
  t.same(writes.filter(([f]) => f === 'digitalWrite'), [['digitalWrite', 2, 0], ['digitalWrite', 3, 1], ['digitalWrite', 6, 1]], 'the first frame sets every output: green dark, red and buzzer on')
  writes.length = 0
  panel.show(frame('amber'))
  t.same(writes.filter(([f]) => f === 'digitalWrite'), [['digitalWrite', 2, 1], ['digitalWrite', 6, 0]], 'amber: green joins red; buzzer off')
  await panel.stop()
})

/** A panel on the board, stopped (and the board closed) at the test's end. */
function panelOnBoard(t: { teardown(fn: () => unknown): void }, b: ReturnType<typeof board>) {
  const p = panelOn(b.io)
  t.teardown(async () => {
    await p.panel.stop()
    await b.io.close!()
  })
  return p
}

function board(opts: { timeoutMs?: number } = {}) {
  const [box, device] = memoryLine()
  const sim = new SimFirmataDevice({ pinCount: 20 })
  const io = openFirmata({ port: 'mem', open: () => box, timeoutMs: opts.timeoutMs })
  const errors: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  return { box, device, sim, io, errors }
}

t.test('byte level: the handshake, lamps and the buzzer reach the simulated board, a button press comes back', async (t) => {
  const b = board()
  b.sim.attach(b.device)
  const { panel, calls } = panelOnBoard(t, b)
  await panel.start(5000)
  t.same(calls.health, [[true, undefined]], 'StandardFirmata answered the handshake')
  t.equal(b.io.pins.length, 20, 'the capabilities the board reported')
  panel.show(frame('red', true))
  await waitFor(() => b.sim.pins[3]!.value === 1 && b.sim.pins[6]!.value === 1, 2000, 'red and buzzer on the board')
  t.equal(b.sim.pins[2]!.value, 0, 'green dark')
  panel.show(frame('green'))
  await waitFor(() => b.sim.pins[2]!.value === 1 && b.sim.pins[3]!.value === 0 && b.sim.pins[6]!.value === 0, 2000, 'green only')
  t.equal(b.sim.pins[7]!.pullUp, true, "the button's pull-up is on in the board")
  b.sim.drive(7, 0)
  await waitFor(() => calls.silence === 1, 2000, 'the press reaches the panel')
  b.sim.drive(7, null)
  await new Promise((r) => setTimeout(r, 50))
  t.equal(calls.silence, 1, 'one press')
})

t.test('garbage on the line before the handshake does not stop it', async (t) => {
  const b = board()
  b.device.write(Buffer.from([0x00, 0x13, 0x7f, 0xe5, 0x01, 0xf7, 0x42, 0x90]))
  b.sim.attach(b.device)
  const { panel, calls } = panelOnBoard(t, b)
  await panel.start(5000)
  t.same(calls.health, [[true, undefined]])
  panel.show(frame('red'))
  await waitFor(() => b.sim.pins[3]!.value === 1, 2000, 'a lamp after the noise')
})

t.test('a board that never answers: a plain error naming the port, no crash, nothing left running', async (t) => {
  const b = board({ timeoutMs: 600 })
  b.sim.setAnswering(false)
  b.sim.attach(b.device)
  const { panel, calls } = panelOn(b.io)
  await panel.start(5000)
  t.equal(calls.health.length, 1)
  t.equal(calls.health[0]![0], false)
  t.match(calls.health[0]![1], /Firmata on mem: no answer in 0.6 s — is StandardFirmata flashed/)
  await panel.stop()
  await b.io.close!()
  t.equal(b.box.destroyed, true, 'close() ends the transport')
})

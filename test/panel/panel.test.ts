import { LINE_DEFAULTS } from '../helpers/parts.js'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { PartState } from '../../src/core/state.js'
import { initialLine } from '../../src/lines/monitor.js'
import { J5Panel, PanelController, lampColor, panelView } from '../../src/panel/index.js'
import { pressButton } from '../../src/sim/controls.js'
import { SimIO } from '../../src/sim/gpio.js'
import { waitFor } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'

const PANEL = {
  lamps: [
    { id: 'l1', source: 'line/l1', green: 2, red: 3 },
    { id: 'l2', source: 'line/l2', green: 4, red: 5 },
  ],
  buzzer: { pin: 6 },
  button: { pin: 7, activeLow: true },
}

function setup() {
  const clock = new FakeClock()
  const store = testStore(clock).store
  for (const id of ['l1', 'l2']) store.init('line', initialLine({ id, kind: 'gsm', numbers: [], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  const set = (id: string, state: PartState) => store.update('line', id, { state, reason: state })
  const panel = new PanelController(store, PANEL)
  panel.start()
  return { store, set, panel }
}

t.test('lamp colours by state', async (t) => {
  t.same((['up', 'degraded', 'down', 'unknown', undefined] as const).map(lampColor), ['green', 'amber', 'red', 'off', 'off'])
})

t.test('panelView: a lamp per configured part, buzzer for unsilenced faults', async (t) => {
  const { store } = setup()
  const snap = store.snapshot
  t.same(panelView(snap, PANEL, new Set()).lamps, [
    { id: 'l1', source: 'line/l1', color: 'off' },
    { id: 'l2', source: 'line/l2', color: 'off' },
  ])
})

t.test('buzzer sounds when a line goes down, silence mutes it until the next new fault', async (t) => {
  const { store, set, panel } = setup()
  set('l1', 'up')
  set('l2', 'up')
  t.same(store.snapshot.panel.buzzer, { on: false, muted: false })
  set('l1', 'down')
  t.same(store.snapshot.panel.lamps.map((l) => l.color), ['red', 'green'])
  t.same(store.snapshot.panel.buzzer, { on: true, muted: false })
  panel.silence()
  t.same(store.snapshot.panel.buzzer, { on: false, muted: true })
  set('l2', 'down')
  t.same(store.snapshot.panel.buzzer, { on: true, muted: false }, 'a second line going down is a new fault')
  panel.silence()
  set('l1', 'up')
  t.same(store.snapshot.panel.buzzer, { on: false, muted: true })
  set('l1', 'down')
  t.same(store.snapshot.panel.buzzer, { on: true, muted: false }, 'a line that recovered and failed again sounds again')
  set('l1', 'up')
  set('l2', 'up')
  t.same(store.snapshot.panel.buzzer, { on: false, muted: false })
})

t.test('johnny-five panel on the simulated IO plugin: pins follow the panel, the button silences', async (t) => {
  const { store, set, panel } = setup()
  const io = new SimIO({ pinCount: 16 })
  const j5 = new J5Panel({ config: PANEL, store, io, log: silentLogger(), onSilence: () => panel.silence() })
  await j5.start()
  t.teardown(() => j5.stop())
  // johnny-five lights an LED on a PWM-capable pin with a full duty cycle (255): any level > 0 is lit
  const lit = (...pins: number[]) => pins.map((p) => (io.level(p) > 0 ? 1 : 0))
  set('l1', 'up')
  set('l2', 'degraded')
  t.same(lit(2, 3, 4, 5, 6), [1, 0, 1, 1, 0], 'green; amber = both dies; buzzer quiet')
  set('l1', 'down')
  t.same(lit(2, 3, 6), [0, 1, 1], 'red lamp, buzzer on')
  t.equal(io.pins[7]!.mode, io.MODES.INPUT, 'button pin is an input')
  t.equal(io.level(7), 1, 'pulled up at rest')
  await pressButton(io, 7)
  await waitFor(() => io.level(6) === 0, 2000, 'buzzer to stop after the button')
  t.equal(store.snapshot.panel.buzzer.muted, true)
  j5.stop()
  t.same(lit(2, 3, 6), [0, 0, 0], 'stop turns everything off')
})

t.test('SimIO refuses a pin it does not have', async (t) => {
  const io = new SimIO({ pinCount: 4 })
  t.throws(() => io.digitalWrite(9, 1), /no pin 9/)
})

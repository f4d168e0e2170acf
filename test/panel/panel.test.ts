/**
 * The panel controller (what the panel shows, from the store) and the
 * outputs that play it on a board through johnny-five, on the simulated IO
 * plugin and the simulated clock: the pins are sampled every millisecond and
 * must be exactly the frame the retained snapshot describes.
 */
import { LINE_DEFAULTS } from '../helpers/parts.js'
import t from 'tap'
import type { PanelConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { PartState } from '../../src/core/state.js'
import { initialLine } from '../../src/lines/monitor.js'
import { J5Panel, PanelController, PanelOutputs, diesFor, frameAt } from '../../src/panel/index.js'
import { pressButton } from '../../src/sim/controls.js'
import { SimIO } from '../../src/sim/gpio.js'
import { waitFor } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'

const PANEL: PanelConfig = {
  lamps: [
    { id: 'sys', source: 'system', green: 8, red: 9 },
    { id: 'l1', source: 'line/l1', green: 2, red: 3 },
    { id: 'l2', source: 'line/l2', green: 4, red: 5, amber: 10 },
  ],
  buzzer: { pin: 6, passive: false, critical: 'steady', major: 'intermittent', minor: 'off' },
  button: { pin: 7, activeLow: true, holdSeconds: 1 },
  quietHours: [],
  lampTestMs: 1000,
}

function setup(cfg: PanelConfig = PANEL, opts: { timeZone?: string; configError?: boolean; start?: number } = {}) {
  const clock = new FakeClock(opts.start)
  const store = testStore(clock).store
  for (const id of ['l1', 'l2']) store.init('line', initialLine({ id, kind: 'gsm', numbers: [], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  const set = (id: string, state: PartState) => store.update('line', id, { state, reason: state })
  const raise = (id: string, severity: 'critical' | 'major' | 'minor' = 'major') => store.setAlert({ id, severity, source: 'test', state: 'raised', message: id })
  const clear = (id: string) => store.setAlert({ id, severity: 'major', source: 'test', state: 'cleared', message: id })
  const panel = new PanelController({ store, config: cfg, clock, timeZone: opts.timeZone ?? 'UTC', configError: opts.configError })
  return { clock, store, set, raise, clear, panel }
}

const looks = (s: ReturnType<typeof setup>) => s.store.snapshot.panel.lamps.map((l) => `${l.id}:${l.color}/${l.pattern}`)

t.test('the lamp test at start-up: every lamp for lampTestMs, then the state', async (t) => {
  const s = setup()
  s.panel.start()
  const p = s.store.snapshot.panel
  t.same(p.test, { since: s.clock.now(), until: s.clock.now() + 1000 })
  s.clock.advance(999)
  t.not(s.store.snapshot.panel.test, null)
  s.clock.advance(1)
  t.equal(s.store.snapshot.panel.test, null, 'over after one second')
  t.equal(s.clock.pending, 0, 'no timer left')
  s.panel.lampTest(500)
  t.same(s.store.snapshot.panel.test, { since: s.clock.now(), until: s.clock.now() + 500 }, 'on demand')
})

t.test('lamps follow the parts; the system lamp beats; a config error has its own pattern', async (t) => {
  const s = setup({ ...PANEL, lampTestMs: 0 })
  s.panel.start()
  t.same(looks(s), ['sys:green/heartbeat', 'l1:off/off', 'l2:off/off'])
  s.set('l1', 'up')
  s.set('l2', 'degraded')
  t.same(looks(s), ['sys:green/heartbeat', 'l1:green/steady', 'l2:amber/blink'])
  s.set('l1', 'down')
  t.same(looks(s)[1], 'l1:red/fast')
  t.same(s.store.snapshot.panel.summary, { color: 'red', pattern: 'fast' })
  const e = setup({ ...PANEL, lampTestMs: 0 }, { configError: true })
  e.panel.start()
  t.same(looks(e)[0], 'sys:red/error')
})

t.test('the buzzer: alerts by severity; silence mutes until the next new fault', async (t) => {
  const s = setup({ ...PANEL, lampTestMs: 0 })
  s.panel.start()
  const buzzer = () => s.store.snapshot.panel.buzzer
  t.same(buzzer(), { on: false, pattern: 'off', severity: null, muted: false, quiet: false })
  s.raise('line/l1/down')
  t.same(buzzer(), { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false })
  s.panel.silence()
  t.same(buzzer(), { on: false, pattern: 'off', severity: null, muted: true, quiet: false })
  s.raise('uplinks/wired', 'critical')
  t.same(buzzer().pattern, 'steady', 'a new critical fault sounds again, steady')
  s.panel.silence()
  s.clear('line/l1/down')
  t.same(buzzer().muted, true)
  s.raise('line/l1/down')
  t.same(buzzer(), { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false }, 'a fault that cleared and came back is new')
  s.raise('routing/bundle/x/y', 'minor')
  t.same(buzzer().severity, 'major', 'a minor alert does not change it')
})

t.test('quiet hours: the buzzer keeps still in site time, the lamps do not', async (t) => {
  // Monday 2026-01-05 20:30 UTC = 23:30 in Moscow
  const s = setup({ ...PANEL, lampTestMs: 0, quietHours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '22:00', to: '24:00' }, { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '07:00' }] }, { timeZone: 'Europe/Moscow', start: Date.UTC(2026, 0, 5, 20, 30) })
  s.panel.start()
  s.set('l1', 'down')
  s.raise('line/l1/down')
  t.same(s.store.snapshot.panel.buzzer, { on: false, pattern: 'off', severity: null, muted: false, quiet: true })
  t.same(looks(s)[1], 'l1:red/fast', 'the lamp still shows the fault')
  s.clock.advance(8 * 3600_000) // 07:30 Moscow
  t.equal(s.store.snapshot.panel.buzzer.on, false, 'nothing moves until the minute tick')
  s.panel.tick()
  t.same(s.store.snapshot.panel.buzzer, { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false })
})

t.test('quiet hours silence every sound: the lamp test beeps neither with an alert raised nor without one', async (t) => {
  // Monday 2026-01-05 20:30 UTC = 23:30 in Moscow
  const night: PanelConfig = { ...PANEL, quietHours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '22:00', to: '24:00' }] }
  for (const alert of [false, true]) {
    const what = alert ? 'an alert raised' : 'nothing raised'
    const r = await boardRig(night, { timeZone: 'Europe/Moscow', start: Date.UTC(2026, 0, 5, 20, 30) })
    t.teardown(() => r.outputs.stop())
    r.clock.advance(1500) // past the start-up lamp test
    if (alert) r.raise('line/l1/down')
    t.equal(r.store.snapshot.panel.buzzer.quiet, true, `quiet hours are in force (${what})`)
    r.panel.lampTest(1000)
    let beeped = false
    let lit = false
    for (let ms = 0; ms < 1000; ms++) {
      beeped ||= r.io.level(6) === 1
      lit ||= r.io.level(2) === 1 && r.io.level(3) === 1
      r.clock.advance(1)
    }
    t.equal(beeped, false, `no beep in quiet hours (${what})`)
    t.equal(lit, true, `the lamps are tested all the same (${what})`)
  }
  const day = await boardRig(night, { timeZone: 'Europe/Moscow', start: Date.UTC(2026, 0, 5, 10, 0) })
  t.teardown(() => day.outputs.stop())
  t.equal(day.store.snapshot.panel.buzzer.quiet, false, 'by day quiet hours are not in force')
  t.equal(day.io.level(6), 1, 'and the start-up lamp test beeps')
})

t.test('diesFor: bi-colour amber is both dies; a separate amber LED is lit alone; the test lights all', async (t) => {
  t.same(diesFor('amber', false, false), { green: true, amber: false, red: true })
  t.same(diesFor('amber', true, false), { green: false, amber: true, red: false })
  t.same(diesFor('red', false, false), { green: false, amber: false, red: true })
  t.same(diesFor('off', true, true), { green: true, amber: true, red: true })
})

async function boardRig(cfg: PanelConfig = PANEL, opts: Parameters<typeof setup>[1] = {}) {
  const s = setup(cfg, opts)
  const io = new SimIO({ pinCount: 16 })
  const health: [boolean, string | undefined][] = []
  const j5 = new J5Panel({ config: cfg, io, log: silentLogger(), on: { silence: () => s.panel.silence(), lampTest: () => s.panel.lampTest(), health: (ok, e) => health.push([ok, e]) } })
  const outputs = new PanelOutputs({ store: s.store, clock: s.clock, drivers: [j5] })
  s.panel.start()
  await outputs.start()
  const writes: number[] = []
  io.on('write', (pin) => writes.push(Number(pin)))
  return { ...s, io, j5, outputs, health, writes }
}

/** The pins as the frame of the snapshot says they must be, at the clock's now. */
function expectedPins(r: Awaited<ReturnType<typeof boardRig>>, cfg: PanelConfig = PANEL): Record<number, number> {
  const f = frameAt(r.store.snapshot.panel, r.clock.now())
  const out: Record<number, number> = { [Number(cfg.buzzer!.pin)]: f.buzzer ? 1 : 0 }
  for (const lamp of cfg.lamps) {
    const d = diesFor(f.lamps[lamp.id]!, lamp.amber !== undefined, f.test)
    out[Number(lamp.green)] = d.green ? 1 : 0
    out[Number(lamp.red)] = d.red ? 1 : 0
    if (lamp.amber !== undefined) out[Number(lamp.amber)] = d.amber ? 1 : 0
  }
  return out
}

t.test('the pins are the snapshot\'s frame at every millisecond (through johnny-five on the simulated board)', async (t) => {
  const r = await boardRig()
  t.teardown(() => r.outputs.stop())
  t.same(r.health, [[true, undefined]], 'the board says it works')
  const check = (ms: number, what: string) => {
    let bad = 0
    for (let i = 0; i < ms; i++) {
      const want = expectedPins(r)
      for (const [pin, level] of Object.entries(want)) if (r.io.level(Number(pin)) !== level) bad++
      r.clock.advance(1)
    }
    t.equal(bad, 0, what)
  }
  check(1200, 'lamp test, then the heartbeat')
  r.set('l1', 'down')
  r.set('l2', 'degraded')
  r.raise('line/l1/down')
  check(3000, 'red fast, amber blink on its own LED, buzzer intermittent')
  r.panel.silence()
  r.set('l1', 'up')
  check(2000, 'green, silenced')
})

t.test('a steady panel writes nothing and keeps no timer; a blinking one writes only at its edges', async (t) => {
  const r = await boardRig({ ...PANEL, lamps: PANEL.lamps.slice(1), lampTestMs: 0 })
  t.teardown(() => r.outputs.stop())
  r.set('l1', 'up')
  r.set('l2', 'up')
  r.writes.length = 0
  r.clock.advance(60_000)
  t.equal(r.writes.length, 0, 'a minute of steady lamps: no write')
  t.equal(r.clock.pending, 0, 'and no timer')
  r.set('l1', 'down')
  r.writes.length = 0
  r.clock.advance(1000)
  t.equal(r.writes.length, 8, 'red fast for 1 s: 8 writes (4 on, 4 off) and nothing else')
})

t.test('the silence button mutes; held, it runs the lamp test', async (t) => {
  const r = await boardRig({ ...PANEL, lampTestMs: 0 })
  t.teardown(() => r.outputs.stop())
  t.equal(r.io.pins[7]!.mode, r.io.MODES.INPUT, 'button pin is an input')
  t.equal(r.io.pins[7]!.pullUp, true, 'with its pull-up')
  r.raise('line/l1/down')
  t.equal(r.store.snapshot.panel.buzzer.on, true)
  await pressButton(r.io, 7)
  await waitFor(() => r.store.snapshot.panel.buzzer.muted, 2000, 'buzzer silenced by the button')
  t.equal(r.store.snapshot.panel.test, null)
  await pressButton(r.io, 7, 1300) // johnny-five's hold timer runs on real time
  t.not(r.store.snapshot.panel.test, null, 'held for holdSeconds: lamp test')
})

t.test('stopping the outputs turns every lamp and the buzzer off and leaves no timer', async (t) => {
  const r = await boardRig()
  r.set('l1', 'down')
  r.raise('line/l1/down')
  await r.outputs.stop()
  r.panel.stop()
  t.same([2, 3, 4, 5, 6, 8, 9, 10].map((p) => r.io.level(p)), [0, 0, 0, 0, 0, 0, 0, 0])
  t.equal(r.clock.pending, 0)
})

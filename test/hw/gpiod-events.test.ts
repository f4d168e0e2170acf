/**
 * GpiodIO on a chip with edge events (a fake with gpiomon's rules: the watch holds its lines), the
 * fallback to the poll, and the real chip's gpiomon child and node-libgpiod lines on fakes of both.
 */
import { EventEmitter } from 'node:events'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { GpiodIO } from '../../src/hw/io/gpiod.js'
import { GPIOMON_MISSING, gpiomonWatch, type WatchChild } from '../../src/hw/io/gpiomon.js'
import { openLibgpiodChip } from '../../src/hw/io/libgpiod-chip.js'
import { loadBoardMap } from '../../src/hw/board-maps.js'
import { FakeGpioChip } from '../helpers/fake-gpio-chip.js'
import { FakeWatchChip } from './watch-chip.js'

const tick = () => new Promise((r) => setImmediate(r))

async function rig(opts: { inputs?: 'events' | 'poll' } = {}) {
  const clock = new FakeClock()
  const chip = new FakeWatchChip({ clock })
  const io = new GpiodIO({ chip, pins: loadBoardMap('pi-4b').pins, clock, ...opts })
  const errors: string[] = []
  const warnings: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  io.on('warning', (e: Error) => warnings.push(e.message))
  await tick()
  return { clock, chip, io, errors, warnings }
}

/** A button (pull-up), a line-voltage input (pull-up) and a ring input (no bias), read as the box does. */
async function readThree(io: GpiodIO) {
  const seen: Record<number, number[]> = { 26: [], 5: [], 6: [] }
  io.pinMode(26, io.MODES.INPUT)
  io.digitalWrite(26, 1)
  io.digitalRead(26, (v) => seen[26]!.push(v))
  io.pinMode(5, io.MODES.PULLUP).digitalRead(5, (v) => seen[5]!.push(v))
  io.pinMode(6, io.MODES.INPUT).digitalRead(6, (v) => seen[6]!.push(v))
  await tick()
  await tick()
  return seen
}

t.test('edge events: inputs read in one turn share a watch per bias; no poll timer; each edge told at once', async (t) => {
  const r = await rig()
  const seen = await readThree(r.io)
  t.equal(r.io.inputs, 'events')
  t.same(r.chip.watches.map((w) => [w.lines, w.bias]), [[[26, 5], 'pull-up'], [[6], 'disable']], 'one watch per bias')
  t.equal(r.clock.pending, 0, 'nothing wakes the box while no line moves')
  t.same(seen, { 26: [1], 5: [1], 6: [0] }, 'the level before the watch, at once')
  r.chip.drive(26, 0) // the button pressed: no time passes
  r.chip.drive(6, 1)
  r.chip.drive(6, 0)
  r.chip.drive(26, null)
  t.same(seen, { 26: [1, 0, 1], 5: [1], 6: [0, 1, 0] }, 'every edge, with no poll')
  t.equal(r.io.pins[26]!.value, 1)
  t.same(r.errors, [])
  t.throws(() => r.chip.requestInput(5, 'pull-up'), /EBUSY/, 'the watch holds its lines, as gpiomon does')
  r.io.close()
  await tick()
  t.same(r.chip.watches, [], 'close stops the watches')
})

t.test('a level that changed before the watch took the line is told when it starts', async (t) => {
  const r = await rig()
  const seen: number[] = []
  r.io.pinMode(5, r.io.MODES.PULLUP).digitalRead(5, (v) => seen.push(v))
  r.chip.drive(5, 0) // same turn: the watch starts at the next
  await tick()
  await tick()
  t.same(seen, [1, 0])
  t.equal(r.chip.watches.length, 1)
})

t.test('no gpiomon: told once as a warning (not an error: the pins work), the inputs polled instead', async (t) => {
  const r = await rig()
  r.chip.failNextWatch = new Error(`${GPIOMON_MISSING}: spawn gpiomon ENOENT`)
  const seen = await readThree(r.io)
  await tick()
  t.equal(r.io.inputs, 'poll')
  t.equal(r.warnings.length, 1)
  t.match(r.warnings[0], /no edge events \(gpiomon is not installed .*\); inputs are polled every 10 ms/)
  t.same(r.errors, [])
  t.equal(r.clock.pending, 1, 'the poll timer')
  t.same(r.chip.watches, [], 'the other bias group given up too: one way for all')
  r.chip.drive(26, 0)
  r.chip.drive(6, 1)
  r.clock.advance(10)
  t.same(seen, { 26: [1, 0], 5: [1], 6: [0, 1] }, 'changes seen by the poll')
  const later: number[] = []
  r.io.pinMode(13, r.io.MODES.PULLUP).digitalRead(13, (v) => later.push(v))
  await tick()
  await tick()
  t.same(r.chip.watches, [], 'a later input is polled, not watched')
  t.same(r.warnings.length, 1, 'told once')
})

t.test('a watch that dies later: its lines are requested again and polled; a change meanwhile is told', async (t) => {
  const r = await rig()
  const seen: number[] = []
  r.io.pinMode(5, r.io.MODES.PULLUP).digitalRead(5, (v) => seen.push(v))
  await tick()
  await tick()
  r.chip.drive(5, 0)
  r.chip.killWatch(0) // the level is 0 now; the poll's first read must not lose it
  t.same(seen, [1, 0])
  r.chip.drive(5, null)
  t.same(seen, [1, 0], 'no watch now')
  r.clock.advance(10)
  t.same(seen, [1, 0, 1], 'the poll sees it')
  t.same(r.chip.requested.get(5), { direction: 'in', bias: 'pull-up', value: 0 }, 'requested in-process again, with its bias')
  t.match(r.warnings, [/gpiomon stopped \(SIGKILL\)/])
})

t.test('a watched input whose bias changes: the watch lets it go, then it is requested with the new bias', async (t) => {
  const r = await rig()
  const seen: number[] = []
  r.io.pinMode(5, r.io.MODES.INPUT).digitalRead(5, (v) => seen.push(v))
  await tick()
  await tick()
  t.equal(r.chip.watches[0]!.bias, 'disable')
  r.io.digitalWrite(5, 1) // the pull-up (Firmata's convention)
  await tick()
  await tick()
  await tick()
  t.same(r.errors, [], 'no EBUSY: it waited for the watch to let go')
  t.same(r.chip.watches.map((w) => [w.lines, w.bias]), [[[5], 'pull-up']], 'watched again with the pull-up')
  t.same(seen, [0, 1], 'the pull-up level told')
})

t.test('a watched line made an output: driven once the watch has let it go, with the level written meanwhile', async (t) => {
  const r = await rig()
  r.io.pinMode(5, r.io.MODES.INPUT).digitalRead(5, () => {})
  await tick()
  await tick()
  r.io.pinMode(5, r.io.MODES.OUTPUT)
  r.io.digitalWrite(5, 1)
  await tick()
  await tick()
  t.same(r.errors, [])
  t.equal(r.chip.level(5), 1)
})

t.test("inputs: 'poll' never watches", async (t) => {
  const r = await rig({ inputs: 'poll' })
  await readThree(r.io)
  t.same(r.chip.watches, [])
  t.equal(r.clock.pending, 1)
  t.equal(r.io.inputs, 'poll')
})

t.test('a chip without events (the fake without watch) is polled, as before', async (t) => {
  const clock = new FakeClock()
  const io = new GpiodIO({ chip: new FakeGpioChip({ clock }), pins: loadBoardMap('pi-4b').pins, clock })
  await tick()
  io.pinMode(5, io.MODES.PULLUP).digitalRead(5, () => {})
  await tick()
  t.equal(clock.pending, 1)
})

t.test('a polled line that cannot be read is told once, not 100 times a second; again after it recovered', async (t) => {
  const clock = new FakeClock()
  const chip = new FakeGpioChip({ clock })
  const io = new GpiodIO({ chip, pins: loadBoardMap('pi-4b').pins, clock, inputs: 'poll' })
  const errors: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  await tick()
  io.pinMode(5, io.MODES.PULLUP).digitalRead(5, () => {})
  chip.requested.delete(5) // its request gone under it: every get() throws "released"
  clock.advance(1000)
  t.same(errors, ['GPIO line 5: line 5: released'])
})

// ---- the real chip's parts, on fakes of node-libgpiod and of the gpiomon child ----

class FakeChild extends EventEmitter implements WatchChild {
  stdout = new EventEmitter()
  stderr = new EventEmitter()
  killed: string[] = []
  kill(signal?: NodeJS.Signals) {
    this.killed.push(signal ?? 'SIGTERM')
    setImmediate(() => this.emit('exit', null, signal ?? 'SIGTERM'))
    return true
  }
}

t.test('gpiomon: its arguments, edges parsed across chunks, lines not watched ignored; close waits for the exit', async (t) => {
  const spawned: [string, string[]][] = []
  const child = new FakeChild()
  const edges: [number, number][] = []
  const failed: string[] = []
  const w = gpiomonWatch({
    chip: 'gpiochip1',
    lines: [26, 5],
    bias: 'pull-up',
    handlers: { edge: (l, v) => edges.push([l, v]), failed: (e) => failed.push(e.message) },
    spawn: (cmd, args) => (spawned.push([cmd, args]), child),
  })
  t.same(spawned, [['gpiomon', ['-b', '-B', 'pull-up', '-F', '%o %e', 'gpiochip1', '26', '5']]])
  child.stdout.emit('data', Buffer.from('26 0\n5 '))
  child.stdout.emit('data', Buffer.from('1\n7 1\n26 1\n'))
  t.same(edges, [[26, 0], [5, 1], [26, 1]])
  let closed = false
  const done = w.close().then(() => (closed = true))
  t.same(child.killed, ['SIGTERM'])
  t.equal(closed, false, 'not before the child has gone (it still holds the lines)')
  await done
  t.same(failed, [], 'a close is not a failure')
})

t.test('gpiomon: not installed, or stopping by itself, is one failure with the reason', async (t) => {
  const failed: string[] = []
  const handlers = { edge: () => {}, failed: (e: Error) => failed.push(e.message) }
  const missing = new FakeChild()
  gpiomonWatch({ chip: 'gpiochip0', lines: [5], bias: 'as-is', handlers, spawn: (_c, args) => (t.same(args, ['-b', '-F', '%o %e', 'gpiochip0', '5']), missing) })
  missing.emit('error', Object.assign(new Error('spawn gpiomon ENOENT'), { code: 'ENOENT' }))
  t.same(failed, [`${GPIOMON_MISSING}: spawn gpiomon ENOENT`])
  failed.length = 0
  const busy = new FakeChild()
  gpiomonWatch({ chip: 'gpiochip0', lines: [5], bias: 'disable', handlers, spawn: () => busy })
  busy.stderr.emit('data', 'gpiomon: error waiting for events: Device or resource busy\n')
  busy.emit('exit', 1, null)
  busy.emit('exit', 1, null)
  t.same(failed, ['gpiomon gpiochip0 5 stopped (exit code 1): gpiomon: error waiting for events: Device or resource busy'])
})

/** node-libgpiod as libgpiod 1.x behaves: every Line of one offset is the same native line, released by any of them. */
function fakeNative() {
  const held = new Map<number, string>()
  const made: number[] = []
  class Line {
    constructor(
      _chip: unknown,
      readonly offset: number,
    ) {
      made.push(offset)
    }
    requestOutputModeFlags(consumer: string) {
      held.set(this.offset, consumer)
    }
    requestInputModeFlags(consumer: string) {
      held.set(this.offset, consumer)
    }
    getValue(): 0 | 1 {
      if (!held.has(this.offset)) throw new Error('::getValue EPERM')
      return 1
    }
    setValue() {}
    release() {
      held.delete(this.offset)
    }
    static RequestFlags = { BIAS_DISABLE: 8, BIAS_PULL_DOWN: 16, BIAS_PULL_UP: 32 }
  }
  class Chip {
    label = 'pinctrl-bcm2835'
    name = 'gpiochip1'
    numberOfLines = 54
  }
  return { held, made, native: () => ({ getChipNames: () => ['gpiochip0', 'gpiochip1'], Chip, Line }) as never }
}

t.test('node-libgpiod: one Line per offset, kept (a second Line of a line releases its request when collected)', async (t) => {
  const f = fakeNative()
  const chip = openLibgpiodChip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, f.native)
  const a = chip.requestInput(26, 'disable', 'linewatch')
  a.release()
  const b = chip.requestInput(26, 'pull-up', 'linewatch') // what the button's pull-up does
  chip.requestOutput(17, 0, 'linewatch')
  t.same(f.made, [26, 17], 'the button line made once, though requested twice')
  t.equal(b.get(), 1)
})

t.test("node-libgpiod's chip watches through gpiomon on its own device name; an offset it lacks is refused first", async (t) => {
  const f = fakeNative()
  const spawned: string[][] = []
  const child = new FakeChild()
  const chip = openLibgpiodChip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0', spawn: (_c, args) => (spawned.push(args), child) }, f.native)
  t.throws(() => chip.watch!([60], 'pull-up', { edge: () => {}, failed: () => {} }), /line 60 is not on gpiochip1/)
  const w = chip.watch!([26], 'pull-up', { edge: () => {}, failed: () => {} })
  t.same(spawned, [['-b', '-B', 'pull-up', '-F', '%o %e', 'gpiochip1', '26']])
  await w.close()
})

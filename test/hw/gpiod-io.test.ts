/**
 * The GPIO character device plugin against the IO plugin contract, on a
 * fake chip with the kernel's rules and the simulated clock; then johnny-five
 * driving it as the panel does (Pin, Button with the pull-up).
 */
import { EventEmitter } from 'node:events'
import t from 'tap'
import five from 'johnny-five'
import { FakeClock } from '../../src/core/clock.js'
import { GpiodIO } from '../../src/hw/io/gpiod.js'
import { LIBGPIOD_MISSING, openLibgpiodChip } from '../../src/hw/io/libgpiod-chip.js'
import { loadBoardMap } from '../../src/hw/board-maps.js'
import { FakeGpioChip } from '../helpers/fake-gpio-chip.js'
import { waitFor } from '../helpers/flush.js'

const tick = () => new Promise((r) => setImmediate(r))

async function rig(opts: { pwmHz?: number } = {}) {
  const clock = new FakeClock()
  const chip = new FakeGpioChip({ clock })
  const io = new GpiodIO({ chip, pins: loadBoardMap('pi-4b').pins, clock, ...opts })
  const events: string[] = []
  io.on('connect', () => events.push('connect'))
  io.on('ready', () => events.push('ready'))
  const errors: Error[] = []
  io.on('error', (e: Error) => errors.push(e))
  await tick()
  return { clock, chip, io, events, errors }
}

t.test('ready after connect, asynchronously; pins are the board\'s lines', async (t) => {
  const r = await rig()
  t.same(r.events, ['connect', 'ready'])
  t.equal(r.io.isReady, true)
  t.equal(r.io.pins.length, 28, 'GPIO0..27')
  t.same(r.io.pins[17]!.supportedModes, [0, 1, 3, 11])
})

t.test('normalize: BCM names and header pins; anything else refused', async (t) => {
  const r = await rig()
  t.equal(r.io.normalize('GPIO17'), 17)
  t.equal(r.io.normalize('gpio 17'), 17)
  t.equal(r.io.normalize('pin11'), 17)
  t.equal(r.io.normalize('PIN40'), 21)
  t.equal(r.io.normalize(4), 4)
  t.throws(() => r.io.normalize('pin1'), /no pin named pin1/, 'a power pin has no line')
  t.throws(() => r.io.normalize('GPIO40'), /no pin named/)
  t.throws(() => r.io.normalize(30), /line 30 is not on this board/)
})

t.test('outputs: requested low, writes reach the chip once per change', async (t) => {
  const r = await rig()
  r.io.pinMode(17, r.io.MODES.OUTPUT)
  t.same(r.chip.requested.get(17), { direction: 'out', bias: 'as-is', value: 0 })
  const writes: number[][] = []
  r.io.on('write', (pin: number, v: number) => writes.push([pin, v]))
  r.io.digitalWrite(17, 1)
  r.io.digitalWrite(17, 1)
  r.io.digitalWrite(17, 0)
  t.same(r.chip.sets.map(([, l, v]) => [l, v]), [[17, 1], [17, 0]], 'the same level twice is one write')
  t.same(writes, [[17, 1], [17, 0]])
  t.throws(() => r.io.pinMode(30, 1), /not on this board/)
})

t.test('inputs: the pull-up, change callbacks only, one poll timer for all', async (t) => {
  const r = await rig()
  r.io.pinMode(26, r.io.MODES.INPUT)
  t.equal(r.chip.requested.get(26)!.bias, 'disable')
  r.io.digitalWrite(26, 1) // Firmata's convention: the pull-up
  t.same(r.chip.requested.get(26), { direction: 'in', bias: 'pull-up', value: 0 })
  const seen: number[] = []
  r.io.digitalRead(26, (v) => seen.push(v))
  r.io.pinMode(5, r.io.MODES.PULLUP)
  const seen5: number[] = []
  r.io.digitalRead(5, (v) => seen5.push(v))
  await tick()
  t.same([seen, seen5], [[1], [1]], 'the level now, at once')
  t.equal(r.clock.pending, 1, 'one timer polls every read pin')
  r.clock.advance(50)
  t.same(seen, [1], 'no callback without a change')
  r.chip.drive(26, 0)
  r.clock.advance(10)
  r.chip.drive(26, null)
  r.clock.advance(10)
  t.same(seen, [1, 0, 1], 'press and release seen within one poll each')
  t.same(seen5, [1])
})

t.test('software PWM: the duty over simulated time; 0 and 255 need no timer', async (t) => {
  const r = await rig({ pwmHz: 100 })
  r.io.pinMode(18, r.io.MODES.PWM)
  r.io.pwmWrite(18, 51) // 20 %: 2 ms of each 10 ms (1 ms resolution)
  r.io.pwmWrite(12, 204) // 80 %
  r.chip.sets.length = 0
  const start = r.clock.now()
  r.clock.advance(1000)
  const onMs = (line: number) => {
    let on = 0
    let last: [number, 0 | 1] = [start, 0]
    for (const [at, l, v] of r.chip.sets) {
      if (l !== line) continue
      if (last[1] === 1) on += at - last[0]
      last = [at, v]
    }
    return on
  }
  t.equal(onMs(18), 200, 'GPIO18 on 20 % of 1 s')
  t.equal(onMs(12), 800, 'GPIO12 on 80 % of 1 s')
  const periods = r.chip.sets.filter(([, l, v]) => l === 18 && v === 1).length
  t.ok(periods === 100 || periods === 101, `100 periods a second (${periods}, the one at 1000 ms included)`)
  r.io.pwmWrite(18, 255)
  r.io.digitalWrite(12, 0)
  t.equal(r.clock.pending, 0, 'steady levels: the PWM timer is gone')
  t.equal(r.chip.level(18), 1)
  t.equal(r.chip.level(12), 0)
})

t.test('a chip that cannot be opened and a failed write are errors, not crashes', async (t) => {
  const clock = new FakeClock()
  const io = new GpiodIO({ chip: () => { throw new Error('no /dev/gpiochip0') }, pins: loadBoardMap('pi-5').pins, clock })
  const errors: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  await tick()
  t.same(errors, ['no /dev/gpiochip0'])
  t.equal(io.isReady, false)
  // a monitor or a relay using its pin then: nothing thrown into it, no level made up, no second error
  const levels: number[] = []
  t.doesNotThrow(() => io.pinMode(5, io.MODES.INPUT).digitalRead(5, (v) => levels.push(v)).pinMode(13, io.MODES.OUTPUT).digitalWrite(13, 1))
  clock.advance(100)
  await tick()
  t.same(levels, [], 'no level is reported from a chip that is not there')
  t.same(errors, ['no /dev/gpiochip0'], 'the open error is told once')
  t.throws(() => io.pinMode(30, 1), /not on this board/, 'a pin the board lacks is still a config error')
  const r = await rig()
  r.io.pinMode(17, 1)
  r.chip.failNextSet(new Error('EIO'))
  r.io.digitalWrite(17, 1)
  t.same(r.errors.map((e) => e.message), ['EIO'])
  r.io.digitalWrite(17, 1)
  t.equal(r.chip.level(17), 1, 'the next write goes through')
})

t.test('close releases every line and stops every timer', async (t) => {
  const r = await rig()
  r.io.pinMode(17, 1)
  r.io.pwmWrite(18, 100)
  r.io.digitalRead(26, () => {})
  t.equal(r.chip.requested.size, 3)
  r.io.close()
  t.equal(r.chip.requested.size, 0)
  t.equal(r.chip.closed, true)
  t.equal(r.clock.pending, 0)
  t.throws(() => r.io.digitalWrite(17, 1), /closed/)
})

t.test('johnny-five on it: a Pin by name, a Button (by the normalized header pin) with the pull-up', async (t) => {
  const r = await rig()
  t.teardown(() => r.io.close())
  const board = new five.Board({ io: r.io, repl: false, debug: false, sigint: false } as five.BoardOption)
  await new Promise((res) => (board as unknown as EventEmitter).once('ready', res))
  const lamp = new five.Pin({ pin: 'GPIO17', type: 'digital', mode: 1, board } as five.PinOption)
  lamp.high()
  t.equal(r.chip.level(17), 1, 'GPIO17 lit through johnny-five')
  lamp.low()
  t.equal(r.chip.level(17), 0)
  const button = new five.Button({ pin: r.io.normalize('pin37'), isPullup: true, board } as five.ButtonOption) as five.Button & EventEmitter
  t.equal(r.chip.requested.get(26)!.bias, 'pull-up', 'the button line has the pull-up bias')
  let presses = 0
  button.on('press', () => presses++)
  await tick()
  r.chip.drive(26, 0)
  r.clock.advance(10)
  await waitFor(() => presses === 1, 1000, 'press')
  t.equal(presses, 1)
  let released = false
  button.on('release', () => (released = true))
  r.chip.drive(26, null) // johnny-five's hold timer runs until the release
  r.clock.advance(10)
  await waitFor(() => released, 1000, 'release')
})

t.test('node-libgpiod: loads here; without a GPIO chip it says what it tried', async (t) => {
  t.throws(() => openLibgpiodChip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }), /no chip labelled pinctrl-bcm2835|not installed/)
  t.throws(() => openLibgpiodChip({ labels: ['x'], fallback: 'y' }, () => { throw new Error(LIBGPIOD_MISSING) }), /apt-get install libgpiod-dev/)
})

t.test('a line the chip refuses (the wrong chip, a line held elsewhere) is told once and left unused; the other pins work', async (t) => {
  const clock = new FakeClock()
  // a chip of 8 lines, as QEMU's virt machine has: the Pi's GPIO17 and GPIO27 are not on it, GPIO5 is
  const chip = new FakeGpioChip({ clock, lineCount: 8 })
  const io = new GpiodIO({ chip, pins: loadBoardMap('pi-4b').pins, clock })
  const errors: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  await tick()
  const levels: number[] = []
  t.doesNotThrow(() => {
    io.pinMode(17, io.MODES.OUTPUT)
    for (let i = 0; i < 5; i++) io.digitalWrite(17, i % 2) // a blinking lamp
    io.pinMode(27, io.MODES.INPUT).digitalRead(27, (v) => levels.push(v))
  })
  io.pinMode(5, io.MODES.OUTPUT).digitalWrite(5, 1)
  await tick()
  t.same(errors, ['GPIO line 17: line 17: EINVAL', 'GPIO line 27: line 27: EINVAL'], 'each refused line told once')
  t.same(levels, [], 'no level made up for a refused input')
  t.equal(chip.level(5), 1, 'a line the chip has still works')
})

t.test('node-libgpiod: an offset the chip lacks is refused before a native Line is made (a half-made one segfaults when collected)', async (t) => {
  const made: number[] = []
  class Line {
    constructor(_chip: unknown, offset: number) {
      made.push(offset)
    }
    requestOutputModeFlags() {}
    requestInputModeFlags() {}
    getValue(): 0 | 1 {
      return 0
    }
    setValue() {}
    release() {}
    static RequestFlags = { BIAS_DISABLE: 1, BIAS_PULL_DOWN: 2, BIAS_PULL_UP: 4 }
  }
  class Chip {
    label = '9030000.pl061'
    name = 'gpiochip0'
    numberOfLines = 8
  }
  const chip = openLibgpiodChip({ labels: ['pinctrl-bcm2711'], fallback: '/dev/gpiochip0' }, () => ({ getChipNames: () => ['gpiochip0'], Chip, Line }) as never)
  t.throws(() => chip.requestOutput(17, 0, 'linewatch'), /line 17 is not on gpiochip0 \(9030000\.pl061: lines 0-7\)/)
  t.throws(() => chip.requestInput(8, 'pull-up', 'linewatch'), /line 8 is not on/)
  t.doesNotThrow(() => chip.requestOutput(5, 0, 'linewatch'))
  t.same(made, [5], 'a native Line only for the line the chip has')
})

/**
 * The v2 uAPI chip (gpio-v2-chip.ts) on a fake of its addon with the kernel's rules: a line held by a
 * request is refused to another (EBUSY), a closed fd is gone, a watch's request gets the lines' edges.
 * And GpiodIO on it: the box's inputs follow those edges (no poll), and openKernelChip's fallback.
 */
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { loadBoardMap } from '../../src/hw/board-maps.js'
import { openKernelChip } from '../../src/hw/gpio.js'
import type { GpioChip } from '../../src/hw/io/gpio-chip.js'
import { GpiodIO } from '../../src/hw/io/gpiod.js'
import { openGpioV2Chip, type GpioV2Native } from '../../src/hw/io/gpio-v2-chip.js'

const F = { INPUT: 4, OUTPUT: 8, EDGE_RISING: 16, EDGE_FALLING: 32, BIAS_PULL_UP: 256, BIAS_PULL_DOWN: 512, BIAS_DISABLED: 1024 }
const tick = () => new Promise((r) => setImmediate(r))

interface Req { path: string; offsets: number[]; flags: number; consumer: string; cb?: (o: number, r: number, e: number) => void }

class FakeAddon implements GpioV2Native {
  flags = F
  reqs = new Map<number, Req>()
  closed: number[] = []
  /** levels of each chip's lines as the kernel sees them */
  levels = new Map<string, number[]>()
  #next = 10
  constructor(readonly devices: Record<string, { label: string; lines: number }>) {
    for (const [p, d] of Object.entries(devices)) this.levels.set(p, new Array(d.lines).fill(0))
  }
  chips = () => Object.keys(this.devices)
  chipInfo(path: string) {
    const d = this.devices[path]
    if (!d) throw Object.assign(new Error(`${path}: No such file or directory`), { errno: 2 })
    return { name: path.slice(5), ...d }
  }
  request(path: string, offsets: number[], flags: number, values: number, consumer: string) {
    for (const r of this.reqs.values()) if (r.path === path && r.offsets.some((o) => offsets.includes(o))) throw Object.assign(new Error('GPIO_V2_GET_LINE_IOCTL: Device or resource busy'), { errno: 16 })
    const lv = this.levels.get(path)!
    offsets.forEach((o, i) => {
      if (flags & F.OUTPUT) lv[o] = (values >> i) & 1
      else if (flags & F.BIAS_PULL_UP) lv[o] = 1
      else if (flags & F.BIAS_PULL_DOWN) lv[o] = 0
    })
    const fd = this.#next++
    this.reqs.set(fd, { path, offsets, flags, consumer })
    return fd
  }
  #req(fd: number) {
    const r = this.reqs.get(fd)
    if (!r) throw Object.assign(new Error('bad fd'), { errno: 9 })
    return r
  }
  getValues(fd: number, mask: number) {
    const r = this.#req(fd)
    return r.offsets.reduce((bits, o, i) => bits | ((mask >> i) & 1 ? this.levels.get(r.path)![o]! << i : 0), 0)
  }
  setValues(fd: number, bits: number, mask: number) {
    const r = this.#req(fd)
    if (!(r.flags & F.OUTPUT)) throw Object.assign(new Error('EPERM'), { errno: 1 })
    r.offsets.forEach((o, i) => { if ((mask >> i) & 1) this.levels.get(r.path)![o] = (bits >> i) & 1 })
  }
  close(fd: number) {
    this.#req(fd)
    this.reqs.delete(fd)
    this.closed.push(fd)
  }
  watch(fd: number, cb: (o: number, r: number, e: number) => void) {
    this.#req(fd).cb = cb
    return { fd }
  }
  unwatch(h: unknown) {
    const r = this.reqs.get((h as { fd: number }).fd)
    if (r) r.cb = undefined
  }
  /** something outside drives a line: an edge reaches a watch holding it */
  drive(path: string, offset: number, level: 0 | 1) {
    this.levels.get(path)![offset] = level
    for (const r of this.reqs.values()) if (r.path === path && r.offsets.includes(offset) && r.flags & (F.EDGE_RISING | F.EDGE_FALLING)) r.cb?.(offset, level, 0)
  }
  holders(path: string) {
    return [...this.reqs.values()].filter((r) => r.path === path).flatMap((r) => r.offsets.map((o) => `${o}:${r.consumer}`)).sort()
  }
}

const piChips = () => new FakeAddon({ '/dev/gpiochip0': { label: 'pl061', lines: 8 }, '/dev/gpiochip1': { label: 'pinctrl-bcm2835', lines: 58 } })

t.test('the chip is found by label, else the fallback device; a line it lacks is refused', async (t) => {
  const a = piChips()
  const chip = openGpioV2Chip({ labels: ['pinctrl-bcm2711', 'pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, () => a)
  t.equal(chip.label, 'pinctrl-bcm2835')
  t.equal(chip.lineCount, 58)
  const fb = openGpioV2Chip({ labels: ['pinctrl-rp1'], fallback: '/dev/gpiochip0' }, () => a)
  t.equal(fb.label, 'pl061')
  t.throws(() => fb.requestOutput(8, 0, 'x'), /line 8 is not on gpiochip0 \(pl061: lines 0-7\)/)
  t.throws(() => openGpioV2Chip({ labels: ['pinctrl-rp1'], fallback: '/dev/gpiochip9' }, () => a), /no chip labelled pinctrl-rp1 among \[gpiochip0 pl061, gpiochip1 pinctrl-bcm2835\], and \/dev\/gpiochip9 cannot be opened/)
})

t.test('outputs and inputs: values through the request, bias flags, release closes the fd once', async (t) => {
  const a = piChips()
  const chip = openGpioV2Chip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, () => a)
  const out = chip.requestOutput(17, 1, 'linewatch')
  t.equal(a.levels.get('/dev/gpiochip1')![17], 1, 'the initial level is set by the request itself')
  out.set(0)
  t.equal(a.levels.get('/dev/gpiochip1')![17], 0)
  t.throws(() => chip.requestInput(17, 'pull-up', 'other'), /busy/, 'a held line is refused')
  const inp = chip.requestInput(5, 'pull-up', 'linewatch')
  t.equal([...a.reqs.values()].find((r) => r.offsets[0] === 5)!.flags, F.INPUT | F.BIAS_PULL_UP)
  t.equal(inp.get(), 1)
  a.levels.get('/dev/gpiochip1')![5] = 0
  t.equal(inp.get(), 0)
  out.release()
  out.release()
  t.equal(a.closed.length, 1, 'a second release closes nothing (the fd may be reused by then)')
  chip.requestInput(17, 'disable', 'linewatch')
  t.equal([...a.reqs.values()].find((r) => r.offsets[0] === 17)!.flags, F.INPUT | F.BIAS_DISABLED)
})

t.test('a watch: one request with both edges for its lines, edges as levels, close frees the lines', async (t) => {
  const a = piChips()
  const chip = openGpioV2Chip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, () => a)
  const seen: string[] = []
  const failed: string[] = []
  const w = chip.watch!([5, 26], 'pull-up', { edge: (l, v) => seen.push(`${l}=${v}`), failed: (e) => failed.push(e.message) })
  const req = [...a.reqs.values()][0]!
  t.same(req.offsets, [5, 26])
  t.equal(req.flags, F.INPUT | F.BIAS_PULL_UP | F.EDGE_RISING | F.EDGE_FALLING)
  a.drive('/dev/gpiochip1', 26, 0)
  a.drive('/dev/gpiochip1', 26, 1)
  a.drive('/dev/gpiochip1', 6, 1) // not watched
  t.same(seen, ['26=0', '26=1'])
  await w.close()
  t.same(a.holders('/dev/gpiochip1'), [], 'the lines are free after close')
  a.drive('/dev/gpiochip1', 5, 0)
  t.same(seen, ['26=0', '26=1'], 'nothing after close')
  t.same(failed, [])
})

t.test('a watch that cannot start or whose reads fail is told once, its lines free', async (t) => {
  const a = piChips()
  const chip = openGpioV2Chip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, () => a)
  const held = chip.requestOutput(6, 0, 'other')
  const failed: string[] = []
  chip.watch!([5, 6], 'pull-up', { edge: () => {}, failed: (e) => failed.push(e.message) })
  await tick()
  t.match(failed, [/busy/])
  held.release()
  const w = chip.watch!([5], 'pull-up', { edge: () => {}, failed: (e) => failed.push(e.message) })
  const req = [...a.reqs.values()][0]!
  req.cb!(-1, 0, 5)
  req.cb?.(-1, 0, 5)
  t.equal(failed.length, 2)
  t.match(failed[1], /reading edge events from gpiochip1 failed \(errno 5\)/)
  t.same(a.holders('/dev/gpiochip1'), [])
  await w.close()
  t.equal(a.closed.length, 2, 'closed once')
})

t.test("GpiodIO on the v2 chip: the button follows the watch's edges, a lamp lights the kernel's line", async (t) => {
  const a = piChips()
  const clock = new FakeClock()
  const chip = openGpioV2Chip({ labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }, () => a)
  const io = new GpiodIO({ chip, pins: loadBoardMap('pi-4b').pins, clock })
  const errors: string[] = []
  io.on('error', (e: Error) => errors.push(e.message))
  io.on('warning', (e: Error) => errors.push(e.message))
  await tick()
  const seen: number[] = []
  io.pinMode(26, io.MODES.PULLUP).digitalRead(26, (v) => seen.push(v))
  io.pinMode(17, io.MODES.OUTPUT)
  io.digitalWrite(17, 1)
  await tick()
  await tick()
  t.equal(a.levels.get('/dev/gpiochip1')![17], 1, 'the lamp is lit on the kernel\'s line')
  t.ok(a.holders('/dev/gpiochip1').includes('26:linewatch'), 'the input is held by the watch')
  a.drive('/dev/gpiochip1', 26, 0)
  await tick()
  t.equal(seen.at(-1), 0, 'the press arrives as an edge')
  a.drive('/dev/gpiochip1', 26, 1)
  await tick()
  t.equal(seen.at(-1), 1)
  t.same(errors, [])
})

t.test('openKernelChip: v2 where the addon loads, else node-libgpiod, else both reasons', async (t) => {
  const a = piChips()
  const v1 = (): GpioChip => ({ label: 'v1', lineCount: 1, requestOutput: () => { throw new Error('x') }, requestInput: () => { throw new Error('x') }, close() {} })
  const opts = { labels: ['pinctrl-bcm2835'], fallback: '/dev/gpiochip0' }
  t.equal(openKernelChip(opts, () => a, v1).label, 'pinctrl-bcm2835')
  const missing = () => { throw new Error('GPIO: the v2 addon (native/gpio-v2/gpio_v2.node) is not built') }
  t.equal(openKernelChip(opts, missing, v1).label, 'v1')
  t.throws(() => openKernelChip(opts, missing, () => { throw new Error('GPIO: node-libgpiod is not installed') }), /node-libgpiod is not installed \(and GPIO: the v2 addon .* is not built\)/)
})

/**
 * The status panel's figures:
 *  - latency: a line's state changes in the store → the pin or coil is written, through the whole
 *    chain (controller, snapshot, outputs, johnny-five, the IO plugin, the wire), for each output:
 *    the simulated board, the GPIO chardev plugin on a fake chip, Firmata bytes to a simulated
 *    board, and a Modbus stack light over a socat pseudo-terminal at 9600 baud (when socat exists);
 *  - CPU at idle: 8 lamps blinking fast (the worst case) for a while on real time, the panel's one
 *    timer to the next edge against johnny-five's own Led.blink() (an interval per lamp, what one
 *    would write with johnny-five), and 8 steady lamps.
 */
import { performance } from 'node:perf_hooks'
import { EventEmitter } from 'node:events'
import five from 'johnny-five'
import { SerialPort } from 'serialport'
import type { PanelConfig, StackLightConfig } from '../src/config/schema.js'
import { FakeClock, systemClock, type Clock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import type { IoPlugin } from '../src/hw/io/contract.js'
import { GpiodIO } from '../src/hw/io/gpiod.js'
import { openFirmata } from '../src/hw/io/firmata.js'
import { ModbusCoils } from '../src/hw/modbus-coils.js'
import { initialLine } from '../src/lines/monitor.js'
import { J5Panel, PanelController, PanelOutputs, StackLightPanel, type PanelDriver } from '../src/panel/index.js'
import { SimFirmataDevice } from '../src/sim/firmata-device.js'
import { SimIO } from '../src/sim/gpio.js'
import { memoryLine } from '../src/sim/memory-line.js'
import { SimModbusSlave } from '../src/sim/modbus-slave.js'
import { FakeGpioChip } from '../test/helpers/fake-gpio-chip.js'
import { LINE_DEFAULTS } from '../test/helpers/parts.js'
import { missing, socatPair } from '../test/helpers/real.js'

type Figure = { figure: string; value: number; unit: string }

const FLIPS = 300
const CPU_SECONDS = Number(process.env.LINEWATCH_BENCH_PANEL_S ?? 20)
/** 15 bi-colour lamps: pins 2..31 of the simulated board. */
const LAMPS = 15
const round = (x: number, digits = 1) => Number(x.toFixed(digits))
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!

function panelConfig(lamps: number, stack?: StackLightConfig): PanelConfig {
  return {
    lamps: Array.from({ length: lamps }, (_, i) => ({ id: `l${i}`, source: `line/l${i}`, green: 2 + 2 * i, red: 3 + 2 * i })),
    quietHours: [],
    lampTestMs: 0,
    modbus: stack,
  }
}

function storeWith(lamps: number, clock: Clock): StateStore {
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: 0 }, clock)
  for (let i = 0; i < lamps; i++) store.init('line', initialLine({ id: `l${i}`, kind: 'gsm', numbers: [], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  return store
}

/** Flip line l0 between up (green steady) and unknown (dark) and time each flip to `written` resolving. */
async function latency(name: string, cfg: PanelConfig, drivers: (store: StateStore, controller: PanelController) => PanelDriver[], written: (on: boolean) => Promise<void>): Promise<Figure[]> {
  const store = storeWith(cfg.lamps.length, systemClock)
  const controller = new PanelController({ store, config: cfg, clock: systemClock, timeZone: 'UTC' })
  const outputs = new PanelOutputs({ store, clock: systemClock, drivers: drivers(store, controller) })
  controller.start()
  await outputs.start()
  const ms: number[] = []
  try {
    for (let i = 0; i < FLIPS; i++) {
      const on = i % 2 === 0
      const done = written(on)
      const t0 = performance.now()
      store.update('line', 'l0', { state: on ? 'up' : 'unknown', reason: 'bench' })
      await done
      ms.push(performance.now() - t0)
    }
  } finally {
    await outputs.stop()
    controller.stop()
  }
  return [
    { figure: `panel: state change → ${name}, median (${FLIPS} changes)`, value: round(pct(ms, 50), 3), unit: 'ms' },
    { figure: `panel: state change → ${name}, p99`, value: round(pct(ms, 99), 3), unit: 'ms' },
  ]
}

/** Resolves when `emitter` emits `event` with args that `match`. */
function when(emitter: EventEmitter, event: string, match: (...args: unknown[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const on = (...args: unknown[]) => {
      if (!match(...args)) return
      emitter.off(event, on)
      resolve()
    }
    emitter.on(event, on)
  })
}

const log = silentLogger()
const quiet = { silence() {}, lampTest() {}, health() {} }

async function benchLatency(): Promise<Figure[]> {
  const cfg = panelConfig(1)
  const out: Figure[] = []
  // the simulated board
  const sim = new SimIO({ pinCount: 8 })
  out.push(...(await latency('pin written (simulated board)', cfg, () => [new J5Panel({ config: cfg, io: sim, log, on: quiet })], (on) => when(sim, 'write', (pin, v) => pin === 2 && v === Number(on)))))
  // the GPIO character device plugin, on a fake chip (the kernel's ioctl is not in the figure)
  const chip = new FakeGpioChip({ label: 'pinctrl-bcm2835', lineCount: 54 })
  const gpiod = new GpiodIO({ chip, pins: Array.from({ length: 28 }, (_, line) => ({ name: `GPIO${line}`, line })), clock: systemClock })
  out.push(...(await latency('line set (GPIO chardev plugin, fake chip)', cfg, () => [new J5Panel({ config: cfg, io: gpiod as unknown as IoPlugin, log, on: quiet })], (on) => when(gpiod as unknown as EventEmitter, 'write', (pin, v) => pin === 2 && v === Number(on)))))
  // Firmata: bytes through firmata-io to a simulated board
  const [boxEnd, boardEnd] = memoryLine()
  const device = new SimFirmataDevice().attach(boardEnd)
  const firmata = openFirmata({ port: 'mem', open: () => boxEnd })
  out.push(...(await latency('pin set on a Firmata board (bytes in memory)', cfg, () => [new J5Panel({ config: cfg, io: firmata, log, on: quiet })], (on) => when(device, 'pin', (pin, v) => pin === 2 && v === Number(on)))))
  device.detach()
  // a Modbus stack light over a real pty at 9600 baud
  if (missing('socat')) {
    console.log('panel: Modbus latency over a pty skipped: socat is not installed')
    return out
  }
  const pty = await socatPair()
  const port = new SerialPort({ path: pty.gateway, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  const slave = new SimModbusSlave({ slaveId: 1, coils: 8 }).attach(port)
  const stack: StackLightConfig = { port: pty.box, baudRate: 9600, parity: 'none', stopBits: 1, slaveId: 1, timeoutMs: 500, shows: 'l0', coils: { red: 0, amber: 1, green: 2 }, retrySeconds: 5, refreshSeconds: 10 }
  try {
    const light = () => new StackLightPanel({ config: stack, link: new ModbusCoils({ ...stack, stopBits: 1 }), clock: systemClock, log, health: () => {} })
    out.push(...(await latency('coil written (Modbus RTU stack light, pty: no baud-rate delay)', panelConfig(1, stack), () => [light()], (on) => when(slave, 'coil', (addr, v) => addr === 2 && v === on))))
    // a pty moves bytes at once; a real RS-485 line takes 10 bits per byte: an FC15 of 3 coils is 10 bytes out, 8 back
    out.push({ figure: 'panel: one stack light write on a real 9600 baud line, wire time (computed: 10 + 8 bytes × 10 bits)', value: round((18 * 10 * 1000) / 9600, 1), unit: 'ms' })
  } finally {
    slave.detach()
    await new Promise((r) => port.close(r))
    await pty.close()
  }
  return out
}

function cpuPercent(since: NodeJS.CpuUsage, seconds: number): number {
  const u = process.cpuUsage(since)
  return round((100 * (u.user + u.system)) / 1000 / (seconds * 1000), 2)
}

async function benchBlinkCpu(): Promise<Figure[]> {
  // the process's own idle cost (GC, the event loop) over the same time: the rows below are read against it
  const idle0 = process.cpuUsage()
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
  const out: Figure[] = [{ figure: `panel CPU at idle: nothing running (the floor), ${CPU_SECONDS} s`, value: cpuPercent(idle0, CPU_SECONDS), unit: '% of a core' }]
  const cfg = panelConfig(LAMPS)
  for (const state of ['down', 'up'] as const) {
    const store = storeWith(LAMPS, systemClock)
    const controller = new PanelController({ store, config: cfg, clock: systemClock, timeZone: 'UTC' })
    const io = new SimIO({ pinCount: 32 })
    const outputs = new PanelOutputs({ store, clock: systemClock, drivers: [new J5Panel({ config: cfg, io, log, on: quiet })] })
    controller.start()
    await outputs.start()
    for (let i = 0; i < LAMPS; i++) store.update('line', `l${i}`, { state, reason: 'bench' })
    let writes = 0
    io.on('write', () => writes++)
    const t0 = process.cpuUsage()
    await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
    const cpu = cpuPercent(t0, CPU_SECONDS)
    await outputs.stop()
    controller.stop()
    const what = state === 'down' ? `${LAMPS} lamps red fast (4 Hz)` : `${LAMPS} lamps green steady`
    out.push({ figure: `panel CPU at idle: linewatch, ${what}, ${CPU_SECONDS} s`, value: cpu, unit: '% of a core' })
    out.push({ figure: `panel pin writes per second: linewatch, ${what}`, value: round(writes / CPU_SECONDS, 1), unit: '/s' })
  }
  // johnny-five's own way: Led.blink(125) on each red pin, one interval per lamp
  const io = new SimIO({ pinCount: 32 })
  const board = new five.Board({ io, repl: false, debug: false, sigint: false } as five.BoardOption)
  await new Promise((r) => (board as unknown as EventEmitter).once('ready', r))
  const leds = cfg.lamps.map((l) => new five.Led({ pin: l.red, board }))
  let writes = 0
  io.on('write', () => writes++)
  const t0 = process.cpuUsage()
  for (const led of leds) led.blink(125)
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
  const cpu = cpuPercent(t0, CPU_SECONDS)
  for (const led of leds) led.stop().off()
  out.push({ figure: `panel CPU at idle: johnny-five Led.blink(125) × ${LAMPS}, ${CPU_SECONDS} s`, value: cpu, unit: '% of a core' })
  out.push({ figure: `panel pin writes per second: johnny-five Led.blink(125) × ${LAMPS}`, value: round(writes / CPU_SECONDS, 1), unit: '/s' })
  return out
}

/**
 * What supervising a steady stack light costs on the bus: a simulated hour at each refreshSeconds, the
 * bytes both ways counted on the line (requests and answers, CRC included), and at 9600 baud the share
 * of the line that is.
 */
export async function benchSupervision(): Promise<Figure[]> {
  const out: Figure[] = []
  for (const refreshSeconds of [5, 10, 60]) {
    for (const coils of [{ red: 0, amber: 1, green: 2, buzzer: 3 }, { red: 0, green: 5 }]) {
      const clock = new FakeClock()
      const [box, device] = memoryLine()
      const slave = new SimModbusSlave({ slaveId: 1, coils: 8 }).attach(device)
      let bytes = 0
      box.on('data', (b: Buffer) => (bytes += b.length))
      device.on('data', (b: Buffer) => (bytes += b.length))
      const stack: StackLightConfig = { port: 'mem', baudRate: 9600, parity: 'none', stopBits: 1, slaveId: 1, timeoutMs: 500, shows: 'summary', coils, retrySeconds: 5, refreshSeconds }
      const light = new StackLightPanel({ config: stack, link: new ModbusCoils({ ...stack, stopBits: 1 }, async () => box), clock, log, health: () => {} })
      await light.start()
      light.show({ lamps: {}, summary: 'green', buzzer: false, test: false })
      await new Promise((r) => setTimeout(r, 20))
      bytes = 0
      for (let s = 0; s < 3600; s += refreshSeconds) {
        clock.advance(refreshSeconds * 1000)
        await new Promise((r) => setImmediate(r))
        await new Promise((r) => setTimeout(r, 1))
      }
      await light.stop()
      slave.detach()
      const what = coils.amber !== undefined ? '4 coils in one block (FC15)' : '2 coils apart (2 × FC5)'
      out.push({ figure: `stack light supervision, steady panel, refreshSeconds ${refreshSeconds}, ${what}: bytes per hour on the bus`, value: bytes, unit: 'B/h' })
      out.push({ figure: `  ↳ share of a 9600 baud line`, value: round((bytes * 10 * 100) / (9600 * 3600), 4), unit: '%' })
    }
  }
  return out
}

export async function benchPanel(): Promise<Figure[]> {
  return [...(await benchLatency()), ...(await benchSupervision()), ...(await benchBlinkCpu())]
}

/**
 * linewatch bench: the figures that matter for a box that boots often and runs for months.
 *  1. Start-up: `new Box` → `start()` → `settled()` on the demo config (two simulated modems,
 *     embedded aedes broker, web on a free port). Median and max of 5 fresh boxes, in ms.
 *  2. Memory: RSS and heapUsed at idle after N s (default 60, env LINEWATCH_BENCH_TRAFFIC_S) of
 *     simulated line traffic (rings, lost/regained registration, signal swings, line noise),
 *     next to RSS before the traffic: a growing figure here is a leak.
 *  3. AT parsing: lines/s and MB/s of AtFramer on ~10 MB of realistic modem output in random
 *     1–256 byte chunks, the same bytes through @serialport/parser-readline (what one would pick
 *     instead), and framer + the 27.007 parsers. Best of 3. A 115200 baud port carries ~11.5 KB/s.
 *  4. Recovery (bench-recovery.ts): simulated seconds from a hang to each ladder step and back.
 *  5. Fuzz memory (bench-fuzz.ts): heapUsed over 200,000 garbage cases through the whole modem stack.
 *  6. Silence detection (bench-silence.ts): time to flag a dying line, false alarms and test calls: the 30-minute rule,
 *     the adaptive detector, and the adaptive detector with the silence watch's own test calls.
 *  7. The scripted day (src/sim/day.ts): the whole box, a line going deaf at 11:40: when each detector fired.
 *  8. Uplink failover (bench-uplinks.ts): cut → route switch measured in network namespaces (root only)
 *     and computed for linewatch, mwan3 and RutOS defaults; false switches under 5 % loss.
 *  9. Least-cost routing (bench-lcr.ts): deck load, memory, lookups/s and p99 at 10k/100k/1M prefixes next
 *     to FreeSWITCH mod_lcr's SQLite query (better-sqlite3, optional); a simulated month's money.
 * 10. Status panel (bench-panel.ts): state change → pin/coil write per output; bytes an hour of stack light supervision; CPU of blinking at idle
 *     next to johnny-five's Led.blink().
 * 11. The SD image (bench-image.ts): size, build time, boot to /healthz under QEMU and the service's
 *     memory there, as image/build.sh and image/test.sh last measured them.
 * 12. The login (bench-security.ts): one scrypt check's time and memory; 1,000 wrong guesses against the brake.
 * 13. The office link (bench-office.ts): messages/s to mosquitto, the drain of 100,000 queued messages, and the
 *     bytes written to the state folder per idle hour, per idle day and per busy hour.
 * 14. The fleet (bench-fleet.ts): 200 boxes against one mosquitto with a broker restart: msg/s, broker CPU, latency p50/p99.
 * 15. The call records (bench-stats.ts): bytes written per 1,000 calls (SQLite vs a JSON file rewritten whole), the month's report, RSS.
 * 16. Lean and quick (bench-lean.ts): idle RSS of `linewatch run` on three configs with and without the shipped V8 flag,
 *     each module's cost, the flags' CPU cost, the command line's wall time. Then issue 20's table (bench-summary.ts):
 *     each of its rows before and now, from this run, beside its target.
 * Prints a table; writes bench/results.json. Re-runs itself with --expose-gc so memory is read after a GC.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Transform } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { ReadlineParser } from '@serialport/parser-readline'
import { Box } from '../src/app.js'
import type { Config } from '../src/config/index.js'
import { silentLogger } from '../src/core/logger.js'
import { AtFramer, type AtFrame } from '../src/modem/framer.js'
import { parseClip } from '../src/modem/calls.js'
import { parseCreg, parseCsq, parseFinal } from '../src/modem/parse.js'
import { startEmbeddedBroker } from '../src/sim/broker.js'
import { modemAction } from '../src/sim/controls.js'
import { demoConfig } from '../src/sim/demo.js'
import { benchFuzzMemory } from './bench-fuzz.js'
import { benchRecovery } from './bench-recovery.js'
import { benchScriptedDay, benchSilence } from './bench-silence.js'
import { benchProbeCpu, benchUplinksNamespace, benchUplinksSimulated } from './bench-uplinks.js'
import { benchLcr } from './bench-lcr.js'
import { benchPanel } from './bench-panel.js'
import { benchImage } from './bench-image.js'
import { benchSecurity } from './bench-security.js'
import { benchOffice } from './bench-office.js'
import { benchFleet } from './bench-fleet.js'
import { benchStats } from './bench-stats.js'
import { benchLean } from './bench-lean.js'
import { leanRows, leanTable } from './bench-summary.js'
import { prng } from '../src/sim/prng.js'

type Figure = { figure: string; value: number; unit: string }

const STARTUP_RUNS = 5
const TRAFFIC_S = Number(process.env.LINEWATCH_BENCH_TRAFFIC_S ?? 60)
const IDLE_S = 5
const STREAM_BYTES = 10 * 1024 * 1024
const PARSE_RUNS = 3
const MiB = 1024 * 1024

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (x: number, digits = 1) => Number(x.toFixed(digits))

function forceGc(): boolean {
  if (typeof globalThis.gc !== 'function') return false
  globalThis.gc()
  globalThis.gc()
  return true
}

/** The demo box's config (validated from YAML, so built outside the timed part), on a free web port. */
function benchConfig(brokerUrl: string, stateDir: string): Config {
  const config = demoConfig({ httpPort: 0 }, brokerUrl, stateDir)
  return config
}

// ---- 1. start-up --------------------------------------------------------------------------

async function benchStartup(brokerUrl: string, stateDir: string): Promise<Figure[]> {
  const times: number[] = []
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const config = benchConfig(brokerUrl, stateDir)
    const t0 = performance.now()
    const box = new Box({ config, log: silentLogger() })
    await box.start()
    await box.settled()
    times.push(performance.now() - t0)
    await box.stop()
  }
  return [
    { figure: `start-up to ready, median of ${STARTUP_RUNS}`, value: round(median(times)), unit: 'ms' },
    { figure: `start-up to ready, max of ${STARTUP_RUNS}`, value: round(Math.max(...times)), unit: 'ms' },
  ]
}

// ---- 2. memory after traffic --------------------------------------------------------------

async function benchMemory(brokerUrl: string, stateDir: string): Promise<{ figures: Figure[]; gcForced: boolean }> {
  const box = new Box({ config: benchConfig(brokerUrl, stateDir), log: silentLogger() })
  await box.start()
  await box.settled()
  const gw = box.simulator!
  const gcForced = forceGc()
  const before = process.memoryUsage()

  const rnd = prng(7)
  const actions = ['ring', 'break', 'heal', 'weak', 'strong'] as const
  let sent = 0
  const traffic = setInterval(() => {
    const modem = pick(rnd, ['gsm1', 'gsm2'])
    const action = pick(rnd, actions)
    const arg = action === 'ring' ? `+7916${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}` : action === 'weak' ? String(1 + Math.floor(rnd() * 9)) : undefined
    modemAction(gw, modem, action, arg)
    if (rnd() < 0.1) gw.get('gsm1')!.sendGarbage(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x8a, 0x0d, 0x0a, 0x7f, 0x80]))
    sent++
  }, 200)
  await sleep(TRAFFIC_S * 1000)
  clearInterval(traffic)
  for (const name of ['gsm1', 'gsm2']) modemAction(gw, name, 'heal')
  await sleep(IDLE_S * 1000)
  forceGc()
  const after = process.memoryUsage()
  const linesParsed = box.modems.reduce((n, m) => n + (m.engine?.linesParsed ?? 0), 0)
  await box.stop()
  return {
    gcForced,
    figures: [
      { figure: 'RSS before traffic (idle, after start-up)', value: round(before.rss / MiB), unit: 'MiB' },
      { figure: `RSS at idle after ${TRAFFIC_S} s traffic + ${IDLE_S} s`, value: round(after.rss / MiB), unit: 'MiB' },
      { figure: 'heapUsed before traffic', value: round(before.heapUsed / MiB), unit: 'MiB' },
      { figure: `heapUsed at idle after ${TRAFFIC_S} s traffic + ${IDLE_S} s`, value: round(after.heapUsed / MiB), unit: 'MiB' },
      { figure: 'simulator actions during traffic', value: sent, unit: 'actions' },
      { figure: 'AT lines parsed by both modems (whole run)', value: linesParsed, unit: 'lines' },
    ],
  }
}

// ---- 3. AT parsing ------------------------------------------------------------------------

const SAMPLES = ['\r\n+CSQ: 21,99\r\n\r\nOK\r\n', '\r\n+CREG: 2,1,"18D8","0C3F12"\r\n', '\r\nRING\r\n\r\n+CLIP: "+79161234567",145,,,,0\r\n'].map((s) => Buffer.from(s, 'latin1'))

/** ~10 MB of modem output, cut in random 1–256 byte chunks as a serial port delivers it. */
function modemStream(): { chunks: Buffer[]; bytes: number } {
  const rnd = prng(42)
  const parts: Buffer[] = []
  let bytes = 0
  while (bytes < STREAM_BYTES) {
    const p = pick(rnd, SAMPLES)
    parts.push(p)
    bytes += p.length
  }
  const all = Buffer.concat(parts)
  const chunks: Buffer[] = []
  for (let off = 0; off < all.length; ) {
    const len = 1 + Math.floor(rnd() * 256)
    chunks.push(all.subarray(off, off + len))
    off += len
  }
  return { chunks, bytes: all.length }
}

/** Push every chunk through a fresh parser; seconds from the first write to 'end'. */
async function feed<T>(parser: Transform, chunks: Buffer[], onData: (d: T) => void): Promise<number> {
  const ended = new Promise<void>((resolve, reject) => parser.on('end', resolve).on('error', reject))
  parser.on('data', onData)
  await new Promise((r) => setImmediate(r)) // let the stream start flowing, so data is emitted as it is parsed
  const t0 = performance.now()
  for (const c of chunks) parser.write(c)
  parser.end()
  await ended
  return (performance.now() - t0) / 1000
}

async function benchParsing(): Promise<Figure[]> {
  const { chunks, bytes } = modemStream()
  const best = { framer: Infinity, readline: Infinity, full: Infinity }
  const lines = { framer: 0, readline: 0, full: 0 }
  let parsed = 0
  let rings = 0
  for (let run = 0; run < PARSE_RUNS; run++) {
    let n = 0
    best.framer = Math.min(best.framer, await feed(new AtFramer(), chunks, (f: AtFrame) => void (f.type === 'line' && n++)))
    lines.framer = n
    n = 0
    best.readline = Math.min(best.readline, await feed(new ReadlineParser({ delimiter: '\r\n' }), chunks, (s: string) => void (s.length > 0 && n++)))
    lines.readline = n
    n = 0
    parsed = 0
    rings = 0
    best.full = Math.min(
      best.full,
      await feed(new AtFramer(), chunks, (f: AtFrame) => {
        if (f.type !== 'line') return
        n++
        const l = f.text
        if (parseFinal(l)) parsed++
        if (parseCreg(l)) parsed++
        if (parseCsq(l)) parsed++
        if (parseClip(l)) parsed++
        if (l === 'RING') rings++
      }),
    )
    lines.full = n
  }
  if (lines.framer !== lines.readline || lines.framer !== lines.full) throw new Error(`line counts differ: ${JSON.stringify(lines)}`)
  // every line but RING is recognised by exactly one of the four parsers
  if (parsed + rings !== lines.full) throw new Error(`parsers recognised ${parsed} of ${lines.full} lines (${rings} RING)`)
  const mb = bytes / 1e6
  return [
    { figure: 'input: modem output in 1–256 byte chunks', value: round(mb, 2), unit: 'MB' },
    { figure: 'input: AT lines', value: lines.framer, unit: 'lines' },
    { figure: 'AtFramer, best of 3', value: Math.round(lines.framer / best.framer), unit: 'lines/s' },
    { figure: 'AtFramer, best of 3', value: round(mb / best.framer), unit: 'MB/s' },
    { figure: "ReadlineParser('\\r\\n'), best of 3", value: Math.round(lines.readline / best.readline), unit: 'lines/s' },
    { figure: "ReadlineParser('\\r\\n'), best of 3", value: round(mb / best.readline), unit: 'MB/s' },
    { figure: 'AtFramer + parseFinal/Creg/Csq/Clip, best of 3', value: Math.round(lines.full / best.full), unit: 'lines/s' },
    { figure: 'AtFramer + parseFinal/Creg/Csq/Clip, best of 3', value: round(mb / best.full), unit: 'MB/s' },
  ]
}

// ---- main ---------------------------------------------------------------------------------

function table(rows: Figure[]): string {
  const w = Math.max(...rows.map((r) => r.figure.length))
  const v = Math.max(...rows.map((r) => r.value.toLocaleString('en-US').length))
  const line = (a: string, b: string, c: string) => `${a.padEnd(w)}  ${b.padStart(v)}  ${c}`
  return [line('figure', 'value', 'unit'), '-'.repeat(w + v + 12), ...rows.map((r) => line(r.figure, r.value.toLocaleString('en-US'), r.unit))].join('\n')
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'linewatch-bench-'))
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  try {
    const startup = await benchStartup(broker.url, stateDir)
    const memory = await benchMemory(broker.url, stateDir)
    const parsing = await benchParsing()
    const recovery = await benchRecovery()
    const fuzz = await benchFuzzMemory()
    const silence = await benchSilence()
    const day = await benchScriptedDay()
    const uplinks = [...(await benchUplinksSimulated()), ...(await benchProbeCpu())]
    const lab = await benchUplinksNamespace()
    if (lab.skipped) console.log(`uplink failover in namespaces skipped: ${lab.skipped}`)
    const lcr = await benchLcr()
    const panel = await benchPanel()
    const image = await benchImage()
    if (image.skipped) console.log(`image figures: ${image.skipped}`)
    const security = await benchSecurity()
    const office = await benchOffice()
    if (office.skipped) console.log(`office link throughput skipped: ${office.skipped}`)
    const calls = await benchStats()
    if (calls.skipped) console.log(`call records skipped: ${calls.skipped}`)
    const fleet = await benchFleet()
    if (fleet.skipped) console.log(`fleet skipped: ${fleet.skipped}`)
    const lean = await benchLean()
    if (lean.skipped) console.log(`idle memory and the command line skipped: ${lean.skipped}`)
    const figures = [...startup, ...memory.figures, ...parsing, ...recovery, ...fuzz, ...silence, ...day, ...uplinks, ...lab.figures, ...lcr, ...panel, ...image.figures, ...security, ...office.figures, ...calls.figures, ...fleet.figures, ...lean.figures]
    console.log(table(figures))
    console.log(`\n${leanTable(figures)}`)
    const cpu = cpus()[0]?.model ?? 'unknown'
    const results = { date: new Date().toISOString(), node: process.version, cpu, cpuCount: cpus().length, platform: `${process.platform}-${process.arch}`, trafficSeconds: TRAFFIC_S, gcForced: memory.gcForced, figures, issue20: leanRows(figures) }
    const dir = fileURLToPath(new URL('../../bench/', import.meta.url)) // dist/scripts/ → repo root
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
    console.log(`\nnode ${process.version}, ${cpu} x${cpus().length}; GC forced before memory readings: ${memory.gcForced ? 'yes' : 'no'}`)
    console.log('written bench/results.json')
  } finally {
    await broker.close()
    await rm(stateDir, { recursive: true, force: true })
  }
}

if (typeof globalThis.gc !== 'function' && !process.env.LINEWATCH_BENCH_CHILD) {
  // Same script again with --expose-gc (npm run bench stays a plain `node dist/scripts/bench.js`).
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, LINEWATCH_BENCH_CHILD: '1' } })
  process.exitCode = child.status ?? 1
} else {
  await main()
}

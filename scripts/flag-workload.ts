/**
 * The CPU a set of V8 flags costs (issue 20: flags are chosen only with their CPU cost measured): run as
 * `node [flags] dist/scripts/flag-workload.js`, it times three of the box's own workloads and prints JSON.
 *  - at: the modem's AT framer on 4 MB of modem output in random 1-256 byte chunks (a Buffer per chunk);
 *  - deck: a 50,000-row rate deck parsed from CSV and indexed; lookups: 200,000 longest-prefix lookups in it (routing);
 *  - state: 20,000 line-state updates serialised to JSON as MQTT messages (the reporting path);
 *  - worker: a 200,000-row deck file imported in the deck worker while the main thread frames 4 MB of AT output
 *    (threads allocating at once: what malloc's arena count changes);
 *  - big: 2,000 buffers of 256 KiB filled and dropped (what malloc's mmap threshold changes).
 * Run with an environment too (MALLOC_* settings), it measures those the same way.
 * Each is the best of three, in CPU time (user + system, all of the process's threads): on a shared machine
 * the wall time also counts the time other work held the cores, which is no cost of the flags.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importInWorker } from '../src/lcr/decks.js'
import { AtFramer } from '../src/modem/framer.js'
import { parseDeck } from '../src/lcr/deck.js'
import { PrefixIndex } from '../src/lcr/prefix-index.js'
import { prng } from '../src/sim/prng.js'

/** CPU time of this process so far, ms (every thread: the deck worker's too). */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const best = (fn: () => void) => {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = cpuMs()
    fn()
    min = Math.min(min, cpuMs() - t0)
  }
  return Number(min.toFixed(1))
}

const rnd = prng(20)
const lines = ['+CSQ: 21,99', 'OK', '+CREG: 0,1', 'RING', '+CLIP: "+79031234567",145,,,,0', '+COPS: 0,0,"MTS",7', 'ERROR', '+CMTI: "SM",3']
let text = ''
while (text.length < 4 * 1024 * 1024) text += `\r\n${lines[Math.floor(rnd() * lines.length)]}\r\n`
const bytes = Buffer.from(text)
const chunks: Buffer[] = []
for (let at = 0; at < bytes.length; ) {
  const n = 1 + Math.floor(rnd() * 256)
  chunks.push(bytes.subarray(at, at + n))
  at += n
}

const prefixes: string[] = []
let csv = 'prefix,rate\n'
for (let i = 0; i < 50_000; i++) {
  const p = `7${Math.floor(rnd() * 1e6)}`
  prefixes.push(p)
  csv += `${p},${(rnd() * 5).toFixed(4)}\n`
}
const numbers = Array.from({ length: 200_000 }, () => `${prefixes[Math.floor(rnd() * prefixes.length)]}${Math.floor(rnd() * 1e4)}`)

const at = best(() => {
  const framer = new AtFramer()
  let n = 0
  framer.on('data', () => n++)
  for (const c of chunks) framer.write(c)
})
let index: PrefixIndex | null = null
const deck = best(() => {
  index = new PrefixIndex(parseDeck(csv).rows)
})
const lookups = best(() => {
  let hits = 0
  for (const d of numbers) if (index!.lookup(d, 0, null)) hits++
})
const state = best(() => {
  let bytesOut = 0
  for (let i = 0; i < 20_000; i++) {
    const line = { id: `line${i % 5}`, kind: 'analog', state: i % 7 ? 'up' : 'down', since: Date.now(), signals: { voltage: { state: 'up', since: i }, ring: { state: 'idle', since: i } }, calls: { hour: i % 60, today: i }, reason: null }
    bytesOut += Buffer.byteLength(JSON.stringify(line))
  }
})
const dir = mkdtempSync(join(tmpdir(), 'lw-flags-'))
let big200k = 'prefix,rate\n'
for (let i = 0; i < 200_000; i++) big200k += `7${Math.floor(rnd() * 1e7)},${(rnd() * 5).toFixed(4)}\n`
writeFileSync(join(dir, 'deck.csv'), big200k)
let worker = Infinity
for (let i = 0; i < 3; i++) {
  const t0 = cpuMs()
  const job = importInWorker({ kind: 'file', file: join(dir, 'deck.csv'), keepTo: join(dir, 'kept.csv') })
  // a fixed amount of framing meanwhile (the whole 4 MB, in slices between turns of the loop)
  const framer = new AtFramer()
  for (let at = 0; at < chunks.length; at += 2000) {
    for (const c of chunks.slice(at, at + 2000)) framer.write(c)
    await new Promise((r) => setImmediate(r))
  }
  if (!(await job).packed) throw new Error('the worker refused the deck')
  worker = Math.min(worker, Number((cpuMs() - t0).toFixed(1)))
}
rmSync(dir, { recursive: true, force: true })
const big = best(() => {
  let sum = 0
  for (let i = 0; i < 2_000; i++) sum += Buffer.alloc(256 * 1024, i & 0xff)[i]!
  if (sum < 0) throw new Error('unreachable')
})
process.stdout.write(`${JSON.stringify({ at, deck, lookups, state, worker, big, rssMb: Number((process.memoryUsage().rss / 1048576).toFixed(1)) })}\n`)

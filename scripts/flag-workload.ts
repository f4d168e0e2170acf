/**
 * The CPU a set of V8 flags costs (issue 20: flags are chosen only with their CPU cost measured): run as
 * `node [flags] dist/scripts/flag-workload.js`, it times three of the box's own workloads and prints JSON.
 *  - at: the modem's AT framer on 4 MB of modem output in random 1-256 byte chunks (a Buffer per chunk);
 *  - deck: a 50,000-row rate deck parsed from CSV and indexed; lookups: 200,000 longest-prefix lookups in it (routing);
 *  - state: 20,000 line-state updates serialised to JSON as MQTT messages (the reporting path).
 * Each is the best of three, so a scheduler hiccup on a shared machine does not count as the flag's cost.
 */
import { performance } from 'node:perf_hooks'
import { AtFramer } from '../src/modem/framer.js'
import { parseDeck } from '../src/lcr/deck.js'
import { PrefixIndex } from '../src/lcr/prefix-index.js'
import { prng } from '../src/sim/prng.js'

const best = (fn: () => void) => {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    fn()
    min = Math.min(min, performance.now() - t0)
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
process.stdout.write(`${JSON.stringify({ at, deck, lookups, state, rssMb: Number((process.memoryUsage().rss / 1048576).toFixed(1)) })}\n`)

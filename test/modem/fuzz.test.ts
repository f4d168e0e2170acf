/**
 * Fuzzing the framing and the parsers: random bytes and mutated real replies,
 * 100,000+ cases from a fixed seed (so a failure reproduces). Nothing may
 * throw; after any garbage the engine must resynchronise and the next
 * command must succeed. Memory over many cases is measured in the bench (scripts/bench-fuzz.ts).
 */
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { classifyBanner } from '../../src/modem/banners.js'
import { parseClcc, parseClip, parseClipInfo, parseCmti } from '../../src/modem/calls.js'
import { AtEngine } from '../../src/modem/engine.js'
import { AtFramer, type AtFrame } from '../../src/modem/framer.js'
import { parseCops, parseCopsInfo, parseCpin, parseCsq, parseFinal, parseRegistration } from '../../src/modem/parse.js'
import { parseBalance, parseCusd } from '../../src/modem/ussd.js'
import { prng } from '../../src/sim/prng.js'
import { FakePort } from '../helpers/fake-port.js'
import { flush } from '../helpers/flush.js'
import { CLCC, CLIP, CMTI, COPS, CSQ, CUSD, FINAL_CODES, REGISTRATION, URC_BANNERS } from './fixtures/real-replies.js'

const REAL = [REGISTRATION, CSQ, COPS, CLCC, CLIP, CUSD, CMTI, URC_BANNERS, FINAL_CODES].flatMap((table) => table.map((e) => e.line))
const ALPHABET = '+:,"0123456789ABCDEFabcdef \r\n>^-_.CREGSQOPLIUDMTK'

function mutate(line: string, rnd: () => number): string {
  const chars = [...line]
  const edits = 1 + Math.floor(rnd() * 4)
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (chars.length + 1))
    const op = rnd()
    const ch = rnd() < 0.2 ? String.fromCharCode(Math.floor(rnd() * 256)) : ALPHABET[Math.floor(rnd() * ALPHABET.length)]!
    if (op < 0.33) chars.splice(at, 1)
    else if (op < 0.66) chars.splice(at, 0, ch)
    else chars[at] = ch
  }
  return chars.join('')
}

const PARSERS = [parseFinal, parseRegistration, parseCsq, parseCops, parseCopsInfo, parseCpin, parseClip, parseClipInfo, parseClcc, parseCmti, parseCusd, classifyBanner, parseBalance]

t.test('parsers: 100,000 mutated real replies and random lines, none throws', async (t) => {
  const rnd = prng(20261123)
  let cases = 0
  let parsedSomething = 0
  for (let i = 0; i < 100_000; i++) {
    const line = rnd() < 0.8 ? mutate(REAL[Math.floor(rnd() * REAL.length)]!, rnd) : Array.from({ length: Math.floor(rnd() * 40) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join('')
    for (const parse of PARSERS) {
      let out: unknown
      try {
        out = parse(line)
      } catch (err) {
        t.fail(`${parse.name} threw on ${JSON.stringify(line)}: ${(err as Error).message}`)
        return
      }
      if (out !== null) parsedSomething++
    }
    cases++
  }
  t.equal(cases, 100_000)
  t.ok(parsedSomething > 10_000, `mutations still parse often enough to reach deep code (${parsedSomething})`)
})

t.test('framer: 20,000 chunks of random bytes and mutated replies, bounded lines, nothing thrown', async (t) => {
  const rnd = prng(7)
  const framer = new AtFramer()
  let lines = 0
  let longest = 0
  framer.on('data', (f: AtFrame) => {
    if (f.type === 'line') {
      lines++
      longest = Math.max(longest, f.text.length)
    }
  })
  for (let i = 0; i < 20_000; i++) {
    const chunk =
      rnd() < 0.5
        ? Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)))
        : Buffer.from(`\r\n${mutate(REAL[Math.floor(rnd() * REAL.length)]!, rnd)}\r\n`, 'latin1')
    framer.write(chunk)
  }
  t.ok(lines > 1000, `lines came out (${lines})`)
  t.ok(longest <= 2048, `no line longer than the limit (${longest})`)
})

t.test('engine: after every burst of garbage the next command still gets its answer', async (t) => {
  const rnd = prng(99)
  const port = new FakePort()
  const clock = new FakeClock()
  const engine = new AtEngine(port, clock, { defaultTimeoutMs: 1000 })
  let ok = 0
  for (let round = 0; round < 300; round++) {
    // noise, maybe with a stray final code in it, then a clean line end (as a real line settles)
    const noise = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)))
    port.modem(noise)
    port.modem('\r\n')
    clock.advance(400) // garbage and a quiet spell
    await flush(3)
    const reply = engine.send('AT+CSQ', { expect: '+CSQ:' })
    port.modem(`\r\n+CSQ: ${round % 32},99\r\n\r\nOK\r\n`)
    const r = await reply
    if (r.lines.at(-1) === `+CSQ: ${round % 32},99`) ok++
  }
  t.equal(ok, 300, 'every command answered correctly')
})

/**
 * The packed index and the deck worker (issue 20): the same answers as the
 * index before it on a generated deck (bands, validity windows, nested
 * prefixes), the same refusal for a malformed deck imported in the worker
 * as in-thread, and lookups during a reload answered by the old deck until
 * the new one is swapped in.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { PlanConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import { parseDeck, type RateRow } from '../../src/lcr/deck.js'
import { DeckLibrary } from '../../src/lcr/decks.js'
import { PrefixIndex } from '../../src/lcr/prefix-index.js'
import { prng } from '../../src/sim/prng.js'
import { LegacyPrefixIndex } from '../../scripts/lcr-legacy-index.js'
import { tempDir } from '../helpers/tmp.js'

const NOW = Date.parse('2026-06-15T10:00:00Z')
const DAY = 86_400_000
const plan: PlanConfig = { id: 'p', currency: 'RUB', deck: { file: 'deck.csv' }, bands: [], bundles: [] }
const library = (dir: string, workerMinBytes: number) => new DeckLibrary({ plans: [plan], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger(), workerMinBytes })

/** ~30k rows: prefixes nested 1–9 digits deep; a third of them with a second or third row (a band, an old or a future rate). */
function makeDeck(seed: number): { csv: string; prefixes: string[] } {
  const rnd = prng(seed)
  const day = (offset: number) => new Date(NOW + offset * DAY).toISOString().slice(0, 10)
  const prefixes = ['1', '7', '44', '49', '380', '0', '00']
  const seen = new Set(prefixes)
  while (prefixes.length < 20_000) {
    const p = prefixes[Math.floor(rnd() * prefixes.length)]! + String(Math.floor(rnd() * 100)).padStart(1 + Math.floor(rnd() * 2), '0').slice(-2)
    if (p.length > 9 || seen.has(p)) continue
    seen.add(p)
    prefixes.push(p)
  }
  const lines = ['prefix,rate,increments,connection fee,valid from,valid to,band']
  const rate = () => (0.01 + rnd()).toFixed(4)
  for (const p of prefixes) {
    const r = rnd()
    // a tenth has ended or not begun: the lookup must fall back to a shorter prefix
    const window = r < 0.05 ? `,${day(-30)}` : r < 0.1 ? `${day(3)},` : r < 0.13 ? `${day(-1)}T09:00,${day(0)}T10:00:00Z` : ','
    lines.push(`${p},${rate()},${rnd() < 0.5 ? '60/60' : '30/6'},${rnd() < 0.2 ? '0.5' : '0'},${window},`)
    const extra = rnd()
    if (extra < 0.15) lines.push(`${p},${rate()},60/60,0,,,${rnd() < 0.5 ? 'Peak' : 'offpeak'}`)
    else if (extra < 0.25) lines.push(`${p},${rate()},1/1,0,${day(-Math.floor(rnd() * 60))},,`)
    else if (extra < 0.3) lines.push(`${p},${rate()},1/1,0,,,`) // a tie: the earlier row wins
  }
  return { csv: lines.join('\n') + '\n', prefixes }
}

function makeNumbers(prefixes: readonly string[], seed: number): [string, number, string | null][] {
  const rnd = prng(seed)
  const out: [string, number, string | null][] = []
  for (let i = 0; i < 20_000; i++) {
    let n = rnd() < 0.8 ? prefixes[Math.floor(rnd() * prefixes.length)]! : ''
    while (n.length < 11 + Math.floor(rnd() * 6)) n += String(Math.floor(rnd() * 10))
    if (rnd() < 0.1) n = `+${n}`
    if (rnd() < 0.02) n = `${n.slice(0, 4)}x${n.slice(4)}`
    const at = NOW + Math.floor((rnd() - 0.5) * 90) * DAY + Math.floor(rnd() * DAY)
    out.push([n, at, [null, 'peak', 'offpeak', 'weekend'][Math.floor(rnd() * 4)]!])
  }
  return out
}

t.test('the packed index answers as the old one on a generated deck and random numbers', async (t) => {
  const { csv, prefixes } = makeDeck(20)
  const dir = tempDir(t, 'lw-pack-')
  await writeFile(join(dir, 'deck.csv'), csv)
  const parsed = parseDeck(csv)
  t.same(parsed.problems, [])
  const old = new LegacyPrefixIndex(parsed.rows)
  const lib = library(dir, 0)
  t.match(await lib.load(plan, 1), { source: 'file', rows: parsed.rows.length, prefixes: old.size, refused: null }, 'imported in the worker')
  const viaWorker = lib.get('p')!
  const inThread = new PrefixIndex(parsed.rows)
  const seen = { none: 0, band: 0, fellBack: 0 }
  let differ = 0
  let first: unknown = null
  for (const [n, at, band] of makeNumbers(prefixes, 21)) {
    const want: RateRow | null = old.lookup(n, at, band)
    for (const idx of [viaWorker, inThread]) {
      const got = idx.lookup(n, at, band)
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        differ++
        first ??= { n, at, band, got, want }
      }
    }
    if (!want) seen.none++
    else if (want.band) seen.band++
    const d = n.replace(/^\+/, '')
    let longest = 0
    for (let l = 1; l <= 9; l++) if (old.rowsOf(d.slice(0, l)).length) longest = l
    if (want && want.prefix.length < longest) seen.fellBack++
  }
  t.equal(differ, 0, 'no answer differs')
  t.same(first, null, 'the first that differs')
  t.ok(seen.none > 100 && seen.band > 500 && seen.fellBack > 500, `numbers with no rate (${seen.none}), priced by a band row (${seen.band}), by a shorter prefix than the longest (${seen.fellBack}): all asked`)
  // rowsOf: every row of a prefix, in file order
  for (const p of prefixes.slice(0, 2000)) {
    if (JSON.stringify(viaWorker.rowsOf(p)) !== JSON.stringify(old.rowsOf(p))) differ++
  }
  t.equal(differ, 0, 'rowsOf gives the same rows in the same order')
  t.same([viaWorker.rowsOf(''), viaWorker.rowsOf('4x'), viaWorker.rowsOf('999999999999')], [[], [], []])
})

t.test('rows in any order: a prefix\'s rows scattered through the file, or the deck sorted (the packing sorts by prefix)', async (t) => {
  const { csv, prefixes } = makeDeck(22)
  const rows = parseDeck(csv).rows
  const rnd = prng(23)
  const shuffled = [...rows]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
  }
  // sorted as strings: "49" before "4915" before "492", a prefix's rows kept in file order
  const sorted = [...rows].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))
  let scattered = 0
  for (let i = 1; i < shuffled.length; i++) if (shuffled.findIndex((r) => r.prefix === shuffled[i]!.prefix) < i - 1) scattered++
  t.ok(scattered > 1000, `${scattered} rows after another row of their prefix, not next to it`)
  let differ = 0
  let first: unknown = null
  for (const order of [shuffled, sorted]) {
    const old = new LegacyPrefixIndex(order)
    const idx = new PrefixIndex(order)
    t.equal(idx.size, old.size)
    for (const [n, at, band] of makeNumbers(prefixes, 24).slice(0, 5000)) {
      const got = JSON.stringify(idx.lookup(n, at, band))
      const want = JSON.stringify(old.lookup(n, at, band))
      if (got !== want) {
        differ++
        first ??= { n, at, band, got, want }
      }
    }
    for (const p of prefixes.slice(0, 3000)) if (JSON.stringify(idx.rowsOf(p)) !== JSON.stringify(old.rowsOf(p))) differ++
  }
  t.equal(differ, 0, 'the same answers and rowsOf as the old index on the same rows')
  t.same(first, null)
})

t.test('a malformed deck imported in the worker is refused with the same message as in-thread', async (t) => {
  const bad = ['prefix,rate', 'abc,x', '7,-1', '79,2.2'].join('\n') + '\n'
  const wrongHeader = 'Prefix;Tarif\n7;1\n'
  for (const [what, csv, message] of [
    ['bad rows', bad, /^2 of 3 rows have problems \(66.7%, more than 5.0%\); first at line 2: prefix "abc" is not digits; there is no earlier deck: plan p has no rates until a good one is imported$/],
    ['no rate column', wrongHeader, /^no rates imported \(line 1: no rate column in the header \(looked for: .*\); the file was read as utf-8 \(detected\)/],
  ] as const) {
    const dir = tempDir(t, 'lw-bad-')
    await writeFile(join(dir, 'deck.csv'), csv)
    const inWorker = await library(dir, 0).load(plan, 1)
    const inThread = await library(dir, Infinity).load(plan, 1)
    t.match(inWorker, { source: null, rows: 0, refused: message }, `${what}: the clear refusal`)
    t.same(inWorker, inThread, `${what}: word for word as in-thread, problems and lines included`)
  }
  const dir = tempDir(t, 'lw-bad-')
  t.match(await library(dir, 0).load(plan, 1), { refused: /^cannot read .*deck\.csv: .*ENOENT/ }, 'a missing file: read in-thread (no size), the same refusal as before')
})

t.test('a lookup during a reload answers from the old deck until the swap', async (t) => {
  const dir = tempDir(t, 'lw-swap-')
  const deck = (rate: string) => ['prefix,rate', `7495,${rate}`, ...Array.from({ length: 20_000 }, (_, i) => `${9_000_000 + i},1`)].join('\n') + '\n'
  await writeFile(join(dir, 'deck.csv'), deck('0.9'))
  const lib = library(dir, 0)
  await lib.load(plan, 1)
  const before = lib.get('p')
  t.equal(before?.lookup('74951234567', 2, null)?.ratePerMinute, 0.9)
  await writeFile(join(dir, 'deck.csv'), deck('0.5'))
  let settled = false
  const reload = lib.load(plan, 3).finally(() => (settled = true))
  const during: number[] = []
  while (!settled) {
    during.push(lib.get('p')!.lookup('74951234567', 4, null)!.ratePerMinute)
    await new Promise((r) => setImmediate(r))
  }
  t.ok(during.length > 1, `${during.length} lookups while the worker imported`)
  t.same([...new Set(during)], [0.9], 'every one from the old deck')
  t.match(await reload, { source: 'file', loadedAt: 3, refused: null })
  t.equal(lib.get('p')?.lookup('74951234567', 5, null)?.ratePerMinute, 0.5, 'the new deck once swapped')
  t.not(lib.get('p'), before, 'a new index, the old one left whole for whoever still holds it')
  t.equal(before?.lookup('74951234567', 5, null)?.ratePerMinute, 0.9)
})

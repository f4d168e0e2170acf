/**
 * Least-cost routing (issue 6; issue 20 for the packed index).
 *  - Decks of 10k, 100k and 1M prefixes, generated with the seeded PRNG (country codes, area codes
 *    and exchanges under them, 1–9 digits, ~10 % with an extra cheaper "offpeak" row), loaded two
 *    ways in the same run: today's (parseDeck + the Map index of scripts/lcr-legacy-index.ts, in the
 *    main thread) and the box's (DeckLibrary.load: the file read, parsed and packed in a worker,
 *    the typed arrays transferred and swapped in). Each: load time, the event loop's worst lateness
 *    during the load (a 5 ms timer), heap growth (heap + ArrayBuffers for the packed one, whose
 *    arrays live outside the heap), lookups/s (best of 3 passes) and p99 on 200k numbers (~90 % under a deck prefix),
 *    one number a call in random order, as the PBX asks. Also the parse + pack alone in this thread, by the string
 *    reader the box used before and by the byte reader (deck-bytes.ts), on the same bytes.
 *  - The same decks and numbers through FreeSWITCH mod_lcr's way: SQLite (better-sqlite3, in
 *    memory: its most favourable case) with an index on digits and
 *    `WHERE digits IN (every prefix of the number) ORDER BY length(digits) DESC, rate LIMIT 1`.
 *    Both must give the same prefix and rate on 1000 numbers, or the bench throws. Its memory is
 *    outside V8, so it is given as the database's pages. better-sqlite3 is native: where its
 *    prebuilt binary cannot be downloaded, npm builds it with node-gyp against Node's headers.
 *  - Money over November 2026 at a Moscow site: carrier line (60/60), SIP trunk (30/6, 0.5 fee,
 *    cheap abroad), two SIMs (1/1, 500 free mobile minutes each). (a) everything on the carrier
 *    line, (b) the LcrRouter on a fake clock, told each call's outcome, (c) a greedy offline
 *    optimum that knows every call. A SIM carries one call at a time (talk time) in (b) and (c);
 *    the carrier line and trunk have 30 channels, never full at this load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { LineConfig, PlanConfig, RoutingConfig } from '../src/config/schema.js'
import { FakeClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { bandAt } from '../src/lcr/bands.js'
import { coveringBundle, type BundleCounts } from '../src/lcr/bundles.js'
import { parseDeck, parseDeckInto } from '../src/lcr/deck.js'
import { parseDeckBytes } from '../src/lcr/deck-bytes.js'
import { PackedBuilder } from '../src/lcr/deck-pack.js'
import { DeckLibrary } from '../src/lcr/decks.js'
import { PrefixIndex } from '../src/lcr/prefix-index.js'
import { callCost } from '../src/lcr/pricing.js'
import { LcrRouter } from '../src/lcr/router.js'
import { initialLine } from '../src/lines/monitor.js'
import { prng } from '../src/sim/prng.js'
import { LegacyPrefixIndex } from './lcr-legacy-index.js'

type Figure = { figure: string; value: number; unit: string }

/** The little of better-sqlite3 used here (it ships no types; @types would be a second dependency). */
interface Stmt { run(...a: unknown[]): unknown; get(...a: unknown[]): unknown }
interface Db { exec(sql: string): void; prepare(sql: string): Stmt; transaction<F extends (...a: never[]) => void>(fn: F): F; close(): void }

const MiB = 1024 * 1024
const LOOKUPS = 200_000
const P99_SAMPLE = 20_000
const CHECKED = 1000
const AT = Date.parse('2026-11-24T10:00:00Z')
const round = (x: number, digits = 1) => Number(x.toFixed(digits))
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
const digitsOf = (rnd: () => number, n: number, first = 0) => {
  let s = ''
  for (let i = 0; i < n; i++) s += String(i === 0 && first ? 1 + Math.floor(rnd() * 9) : Math.floor(rnd() * 10))
  return s
}

function forceGc(): void {
  if (typeof globalThis.gc === 'function') for (let i = 0; i < 3; i++) globalThis.gc()
}
const mem = () => (forceGc(), process.memoryUsage())

const COUNTRIES = ('1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 ' +
  '212 213 216 234 254 255 351 353 358 359 370 371 372 373 374 375 380 381 420 421 852 880 886 960 962 966 971 972 992 993 994 995 996 998').split(' ')

/** A deck of `n` distinct prefixes: each new one extends a random existing one by 1–2 digits, so area codes nest under countries. */
function makeDeck(n: number, seed: number): { csv: string; prefixes: string[] } {
  const rnd = prng(seed)
  const rate = new Map<string, number>()
  const inc = new Map<string, string>()
  for (const c of COUNTRIES) {
    rate.set(c, round(0.3 * Math.exp(rnd() * 3.5), 4))
    inc.set(c, pick(rnd, ['60/60', '60/60', '30/6', '1/1']))
  }
  const prefixes = [...COUNTRIES]
  const parents = [...COUNTRIES]
  while (prefixes.length < n) {
    const parent = pick(rnd, parents)
    const p = parent + digitsOf(rnd, rnd() < 0.6 ? 1 : 2)
    if (p.length > 9 || rate.has(p)) continue
    rate.set(p, Math.max(0.01, round(rate.get(parent)! * (0.7 + rnd() * 0.8), 4)))
    inc.set(p, inc.get(parent)!)
    prefixes.push(p)
    if (p.length < 8) parents.push(p) // 9-digit prefixes only as 2-digit extensions of 7: real decks are deepest at 6–8
  }
  const lines = ['prefix,rate,increments,connection fee,band']
  for (const p of prefixes) {
    const r = rate.get(p)!
    lines.push(`${p},${r},${inc.get(p)},0,`)
    // offpeak rows are cheaper, so mod_lcr's "ORDER BY rate" picks the band row as PrefixIndex does
    if (rnd() < 0.1) lines.push(`${p},${Math.max(0.0001, round(r * 0.7, 4))},${inc.get(p)},0,offpeak`)
  }
  return { csv: lines.join('\n') + '\n', prefixes }
}

/** Numbers of 11–12 digits: 90 % under a random deck prefix, 10 % random; 30 % asked in the offpeak band. */
function makeNumbers(prefixes: readonly string[], seed: number): { digits: string[]; bands: (string | null)[] } {
  const rnd = prng(seed)
  const digits: string[] = []
  const bands: (string | null)[] = []
  for (let i = 0; i < LOOKUPS; i++) {
    const len = 11 + (rnd() < 0.3 ? 1 : 0)
    const p = rnd() < 0.9 ? pick(rnd, prefixes) : digitsOf(rnd, 1, 1)
    digits.push(p + digitsOf(rnd, len - p.length))
    bands.push(rnd() < 0.3 ? 'offpeak' : null)
  }
  return { digits, bands }
}

/**
 * Throughput over all numbers (after a warm-up), the best of 3 passes: on a shared box another
 * process's burst would otherwise decide the ratios. Then p99 from hrtime around each of the first 20k calls.
 */
function timeLookups(fn: (digits: string, band: string | null) => unknown, nums: { digits: string[]; bands: (string | null)[] }) {
  const { digits, bands } = nums
  for (let i = 0; i < P99_SAMPLE; i++) fn(digits[i]!, bands[i]!) // warm-up
  let hits = 0
  let perSecond = 0
  for (let pass = 0; pass < 3; pass++) {
    hits = 0
    const t0 = performance.now()
    for (let i = 0; i < digits.length; i++) if (fn(digits[i]!, bands[i]!)) hits++
    perSecond = Math.max(perSecond, digits.length / ((performance.now() - t0) / 1000))
  }
  const lat = new Float64Array(P99_SAMPLE)
  for (let i = 0; i < P99_SAMPLE; i++) {
    const s = process.hrtime.bigint()
    fn(digits[i]!, bands[i]!)
    lat[i] = Number(process.hrtime.bigint() - s) / 1000
  }
  lat.sort()
  return { perSecond, p99: lat[Math.floor(P99_SAMPLE * 0.99)]!, hitShare: hits / digits.length }
}

/** mod_lcr's schema and query, one prepared statement per number length (the favourable case: mod_lcr builds the SQL per call). */
function sqliteDeck(Database: new (file: string) => Db, csv: string) {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE lcr (digits TEXT NOT NULL, rate REAL NOT NULL, connect REAL, first_inc INTEGER, next_inc INTEGER, band TEXT)')
  const insert = db.prepare('INSERT INTO lcr VALUES (?, ?, ?, ?, ?, ?)')
  // the same CSV text, split as sqlite3's .import would: the load includes reading the deck
  db.transaction(() => {
    const lines = csv.split('\n')
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i]!.split(',')
      if (f.length < 5) continue
      const [first, next] = f[2]!.split('/')
      insert.run(f[0], Number(f[1]), Number(f[3]), Number(first), Number(next), f[4] || null)
    }
  })()
  db.exec('CREATE INDEX lcr_digits ON lcr (digits)')
  const stmts = new Map<number, Stmt>()
  const lookup = (digits: string, band: string | null) => {
    let st = stmts.get(digits.length)
    if (!st) {
      const list = Array.from({ length: digits.length }, () => '?').join(', ')
      st = db.prepare(`SELECT digits, rate FROM lcr WHERE digits IN (${list}) AND (band IS NULL OR band = ?) ORDER BY length(digits) DESC, rate LIMIT 1`)
      stmts.set(digits.length, st)
    }
    const args: (string | null)[] = []
    for (let l = 1; l <= digits.length; l++) args.push(digits.slice(0, l))
    args.push(band)
    return st.get(...args) as { digits: string; rate: number } | undefined
  }
  return { db, lookup }
}

/**
 * The event loop's worst lateness while `work` runs: a 5 ms timer's max delay past its due time, and
 * perf_hooks' monitorEventLoopDelay's max (10 ms resolution: its lateness beyond that, as Node reports it).
 */
async function maxBlock<T>(work: () => Promise<T> | T): Promise<{ result: T; ms: number; blockMs: number; histMaxMs: number }> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const hist = monitorEventLoopDelay({ resolution: 10 })
  hist.enable()
  let worst = 0
  let due = performance.now() + 5
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - due)
    due = now + 5
  }, 5)
  await sleep(20)
  const t0 = performance.now()
  const result = await work()
  const ms = performance.now() - t0
  await sleep(20)
  clearInterval(timer)
  hist.disable()
  return { result, ms, blockMs: worst, histMaxMs: hist.max / 1e6 }
}

const answer = (r: { prefix: string; ratePerMinute: number } | null | undefined) => (r ? `${r.prefix}@${r.ratePerMinute}` : 'none')

/** Today's way, in its own scope so that its index is garbage before the packed one is measured. */
async function benchToday(name: string, csv: string, nums: { digits: string[]; bands: (string | null)[] }, checked: [string, string | null][]) {
  const m0 = mem()
  const old = await maxBlock(() => {
    const parsed = parseDeck(csv)
    if (parsed.problems.length) throw new Error(`generated deck: ${parsed.problems[0]!.message}`)
    return new LegacyPrefixIndex(parsed.rows)
  })
  const m1 = mem()
  const idx = old.result
  const answers = checked.map(([d, b]) => answer(idx.lookup(d, AT, b)))
  const timing = timeLookups((d, b) => idx.lookup(d, AT, b), nums)
  const today = `${name}, today (parseDeck + Map index, in the main thread)`
  const figures: Figure[] = [
    { figure: `${today} (${idx.rows} rows): load`, value: round(old.ms / 1000, 2), unit: 's' },
    { figure: `${today}: event loop blocked at most`, value: round(old.blockMs), unit: 'ms' },
    { figure: `${today}: heap growth`, value: round((m1.heapUsed - m0.heapUsed) / MiB), unit: 'MiB' },
    { figure: `${today}: lookups (${round(timing.hitShare * 100, 0)} % hit)`, value: Math.round(timing.perSecond), unit: 'lookups/s' },
    { figure: `${today}: lookup p99`, value: round(timing.p99, 2), unit: 'µs' },
  ]
  return { figures, answers, timing }
}

/**
 * The import's parse and pack alone, in this thread, both readers on the same bytes in the same run: the string reader
 * the box used before (the file as one Latin-1 string, split into lines and cells, a RateRow per row) and the byte reader
 * (deck-bytes.ts). Each once, as a worker runs it once (no warm-up): the string one first, so it is not the colder.
 */
function benchReaders(name: string, csv: string): Figure[] {
  const bytes = Buffer.from(csv, 'latin1')
  const lines = csv.split('\n').length
  const time = (fn: (b: PackedBuilder) => void) => {
    forceGc()
    const t0 = performance.now()
    const b = new PackedBuilder(lines)
    fn(b)
    const packed = b.finish()
    return { ms: performance.now() - t0, rows: packed.rate.length }
  }
  const before = time((b) => parseDeckInto(bytes.toString('latin1'), undefined, (r) => b.add(r), { reuse: true }))
  const now = time((b) => parseDeckBytes(bytes, undefined, b))
  if (now.rows !== before.rows) throw new Error(`${name}: the byte reader read ${now.rows} rows, the string reader ${before.rows}`)
  const what = `${name}: parse + pack in this thread`
  return [
    { figure: `${what}, string reader (before)`, value: round(before.ms / 1000, 3), unit: 's' },
    { figure: `${what}, byte reader (now)`, value: round(now.ms / 1000, 3), unit: 's' },
    { figure: `${what}: string reader / byte reader`, value: round(before.ms / now.ms, 2), unit: '×' },
  ]
}

/**
 * What one read from memory costs the lookups: a pointer chase through a shuffled Int32Array as big as the packed
 * deck (each read's address is the last one's value, so neither the prefetcher nor out-of-order execution hides
 * it), the best of 3 passes, in ns a read.
 */
function randomReadNs(bytes: number): number {
  const n = Math.max(1024, Math.floor(bytes / 4))
  const rnd = prng(n)
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const x = order[i]!
    order[i] = order[j]!
    order[j] = x
  }
  const next = new Int32Array(n) // one cycle through every slot
  for (let i = 0; i < n; i++) next[order[i]!] = order[(i + 1) % n]!
  let best = Infinity
  let p = 0
  for (let pass = 0; pass < 3; pass++) {
    const steps = 2_000_000
    const t0 = performance.now()
    for (let i = 0; i < steps; i++) p = next[p]!
    best = Math.min(best, ((performance.now() - t0) * 1e6) / steps)
  }
  if (p < 0) throw new Error('unreachable') // keeps the chase from being optimised away
  return best
}

async function benchDecks(): Promise<Figure[]> {
  // optional: it compiles from source where no prebuilt binary can be fetched; without it, no SQLite column
  let Database: (new (file: string) => Db) | null = null
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => Db
  } catch (err) {
    console.log(`LCR bench: better-sqlite3 is not installed (${(err as Error).message.split('\n')[0]}); the mod_lcr comparison is skipped`)
  }
  const out: Figure[] = []
  const sql = 'SQLite (better-sqlite3, in memory, mod_lcr query)'
  const dir = await mkdtemp(join(tmpdir(), 'lw-bench-lcr-'))
  const plan: PlanConfig = { id: 'bench', currency: 'EUR', deck: { file: 'deck.csv' }, bands: [], bundles: [] }
  // a lookup's own cost with the whole deck in the cache (the 10k deck's), for the 1M deck's ceiling below
  let cachedLookupNs = NaN
  try {
    for (const [size, label] of [[10_000, '10k'], [100_000, '100k'], [1_000_000, '1M']] as const) {
      const { csv, prefixes } = makeDeck(size, 6000 + size)
      const nums = makeNumbers(prefixes, 7000 + size)
      const name = `LCR deck ${label} prefixes`
      const checked = Array.from({ length: CHECKED }, (_, i) => Math.floor((i * LOOKUPS) / CHECKED))

      const today = await benchToday(name, csv, nums, checked.map((j) => [nums.digits[j]!, nums.bands[j]!]))
      out.push(...today.figures)
      const oldAnswers = today.answers
      const oldT = today.timing

      // now: the box's own path, DeckLibrary.load: read, decode, parse and pack in a worker, transferred, swapped in
      await writeFile(join(dir, 'deck.csv'), csv)
      const lib = new DeckLibrary({ plans: [plan], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
      // today's index is out of scope by now: collected before this reading
      const m0 = mem()
      const now = await maxBlock(() => lib.load(plan, 0))
      const m1 = mem()
      const idx = lib.get(plan.id)
      if (!idx || now.result.refused) throw new Error(`${name}: the deck library refused the deck: ${now.result.refused}`)
      checked.forEach((j, i) => {
        const got = answer(idx.lookup(nums.digits[j]!, AT, nums.bands[j]!))
        if (got !== oldAnswers[i]) throw new Error(`${name}: ${nums.digits[j]} (${nums.bands[j]}): old index ${oldAnswers[i]}, packed ${got}`)
      })
      // the same timer with nothing loading, as long: what this machine's scheduler alone costs (2 cores shared, other load)
      const idle = await maxBlock(() => new Promise((r) => setTimeout(r, now.ms)))
      const newT = timeLookups((d, b) => idx.lookup(d, AT, b), nums)
      // the same answer as a row index (find), for a caller that needs no RateRow object
      const findT = timeLookups((d, b) => idx.find(d, AT, b) >= 0, nums)
      const packed = `${name}, packed (DeckLibrary.load: file read, parsed and packed in a worker, swapped in)`
      out.push(
        { figure: `${packed}: load`, value: round(now.ms / 1000, 2), unit: 's' },
        { figure: `${packed}: event loop blocked at most`, value: round(now.blockMs), unit: 'ms' },
        { figure: `${name}: event loop late at most with nothing loading, as long (this machine's baseline)`, value: round(idle.blockMs), unit: 'ms' },
        { figure: `${packed}: monitorEventLoopDelay max during the load`, value: round(now.histMaxMs), unit: 'ms' },
        { figure: `${name}: monitorEventLoopDelay max with nothing loading, as long (baseline)`, value: round(idle.histMaxMs), unit: 'ms' },
        { figure: `${packed}: heap growth + the packed arrays (outside the heap)`, value: round((m1.heapUsed - m0.heapUsed + idx.bytes) / MiB), unit: 'MiB' },
        { figure: `${packed}: of which the packed arrays`, value: round(idx.bytes / MiB), unit: 'MiB' },
        { figure: `${packed}: lookups (same numbers, same answers as today on ${CHECKED})`, value: Math.round(newT.perSecond), unit: 'lookups/s' },
        { figure: `${packed}: lookup p99`, value: round(newT.p99, 2), unit: 'µs' },
        { figure: `${packed}: find (the row's index, no RateRow made)`, value: Math.round(findT.perSecond), unit: 'lookups/s' },
        { figure: `${name}: packed lookups / today's`, value: round(newT.perSecond / oldT.perSecond, 1), unit: '×' },
      )

      out.push(...benchReaders(name, csv))

      if (!Database) continue
      const t1 = performance.now()
      const lite = sqliteDeck(Database, csv)
      const sqlLoadMs = performance.now() - t1
      // its memory is outside V8 and RSS after a GC is noisy: the database's own pages
      const { bytes } = lite.db.prepare('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()').get() as { bytes: number }
      // equal answers, or the comparison means nothing
      checked.forEach((j, i) => {
        const s = lite.lookup(nums.digits[j]!, nums.bands[j]!)
        const got = answer(s && { prefix: s.digits, ratePerMinute: s.rate })
        if (got !== oldAnswers[i]) throw new Error(`${name}: ${nums.digits[j]} (${nums.bands[j]}): index ${oldAnswers[i]}, SQLite ${got}`)
      })
      const theirs = timeLookups(lite.lookup, nums)
      lite.db.close()
      out.push(
        { figure: `${name}: ${sql} load (inserts in one transaction + index)`, value: round(sqlLoadMs / 1000, 2), unit: 's' },
        { figure: `${name}: ${sql} database pages`, value: round(bytes / MiB), unit: 'MiB' },
        { figure: `${name}: ${sql} lookups (same numbers, same answers on ${CHECKED})`, value: Math.round(theirs.perSecond), unit: 'lookups/s' },
        { figure: `${name}: ${sql} lookup p99`, value: round(theirs.p99, 2), unit: 'µs' },
        { figure: `${name}: today's lookups / SQLite's`, value: round(oldT.perSecond / theirs.perSecond, 1), unit: '×' },
        { figure: `${name}: packed lookups / SQLite's`, value: round(newT.perSecond / theirs.perSecond, 1), unit: '×' },
        { figure: `${name}: packed find / SQLite's`, value: round(findT.perSecond / theirs.perSecond, 1), unit: '×' },
      )
      if (size === 10_000) cachedLookupNs = 1e9 / newT.perSecond
      // why 100 × stops being reachable as the deck outgrows the cache: a lookup needs at least one read from memory
      const readNs = randomReadNs(idx.bytes)
      out.push(
        { figure: `${name}: a random read from memory in an array the size of the packed deck`, value: round(readNs), unit: 'ns' },
        { figure: `${name}: 100 × SQLite would be a lookup in`, value: round(1e9 / theirs.perSecond / 100), unit: 'ns' },
        { figure: `${name}: ceiling: a lookup as fast as with the deck in the cache plus one read from memory / SQLite's`, value: round(1e9 / theirs.perSecond / (cachedLookupNs + readNs), 1), unit: '×' },
      )
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return out
}

// ---- money over a month ----

const TZ = 'Europe/Moscow'
/** 2026-11-01 00:00 Moscow (UTC+3 all year). */
const MONTH = Date.parse('2026-10-31T21:00:00Z')
const DAY = 86_400_000
const CARRIER = 'prefix,rate,increments\n7495,0.90,60/60\n7499,0.90,60/60\n7,1.50,60/60\n79,2.20,60/60\n1,9.00,60/60\n49,12.00,60/60\n380,14.00,60/60\n375,10.00,60/60\n998,16.00,60/60\n86,11.00,60/60\n'
const TRUNK = 'prefix,rate,increments,connection fee\n7495,0.80,30/6,0.5\n7,1.20,30/6,0.5\n79,2.00,30/6,0.5\n1,2.50,30/6,0.5\n49,3.50,30/6,0.5\n380,5.00,30/6,0.5\n375,4.00,30/6,0.5\n998,6.00,30/6,0.5\n86,3.00,30/6,0.5\n'
const SIM = 'prefix,rate,increments\n79,1.80,1/1\n7,2.50,1/1\n'
const line = (id: string, kind: LineConfig['kind'], n: string, channels: number): LineConfig =>
  ({ id, kind, numbers: [n], channels, pbxReports: false, watchSilence: true, withdrawWhenDown: true, hysteresis: { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 0 }, ...(kind === 'gsm' ? { modem: id } : {}) }) as LineConfig
const LINES = [line('carrier', 'sip', '+74951110000', 30), line('trunk', 'sip', '+74951110001', 30), line('sim1', 'gsm', '+79031110001', 1), line('sim2', 'gsm', '+79031110002', 1)]
const PLANS: PlanConfig[] = LINES.map(({ id }) => ({
  id, currency: 'RUB', deck: { file: `${id}.csv` }, bands: [],
  bundles: id.startsWith('sim') ? [{ id: 'mobile', minutes: 500, prefixes: ['79'], unlimited: false, per: 'month', resetDay: 1, shared: false }] : [],
}))
const DECKS: Record<string, PrefixIndex> = { carrier: new PrefixIndex(parseDeck(CARRIER).rows), trunk: new PrefixIndex(parseDeck(TRUNK).rows) }
DECKS.sim1 = DECKS.sim2 = new PrefixIndex(parseDeck(SIM).rows)

interface Call { at: number; to: string; seconds: number }

/** ~300 calls a working day, 09–20 h; 40 % local, 20 % national, 32 % mobile, 8 % abroad; 20 % unanswered; lognormal talk, mean ~90 s. */
function monthOfCalls(seed: number): Call[] {
  const rnd = prng(seed)
  const calls: Call[] = []
  for (let d = 0; d < 30; d++) {
    const dayStart = MONTH + d * DAY
    const weekday = new Date(dayStart + 3 * 3_600_000).getUTCDay()
    if (weekday === 0 || weekday === 6) continue
    const n = Math.round(300 + (rnd() - 0.5) * 80)
    for (let i = 0; i < n; i++) {
      const r = rnd()
      const to = r < 0.4 ? `+7495${digitsOf(rnd, 7, 1)}` : r < 0.6 ? `+7${pick(rnd, ['812', '343', '383', '861', '846'])}${digitsOf(rnd, 7, 1)}`
        : r < 0.92 ? `+79${digitsOf(rnd, 9)}` : `${pick(rnd, ['+49301', '+380441', '+375172', '+998712', '+12125', '+8610'])}${digitsOf(rnd, 6)}`
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
      const seconds = rnd() < 0.2 ? 0 : Math.min(3600, Math.max(3, Math.round(Math.exp(Math.log(90) - 0.5 + z))))
      calls.push({ at: dayStart + Math.floor((9 + rnd() * 11) * 3_600_000), to, seconds })
    }
  }
  return calls.sort((a, b) => a.at - b.at)
}

/** What a call costs on a path's plan given bundle use so far (null: no bundle): the bundle takes what it has left, the rest is paid. */
function pathCost(planId: string, to: string, seconds: number, at: number, counts: BundleCounts | null): number {
  const p = PLANS.find((x) => x.id === planId)!
  const digits = to.slice(1)
  const row = DECKS[planId]!.lookup(digits, at, bandAt(p.bands, at, TZ))
  if (!row) return Infinity
  const left = counts && seconds > 0 ? coveringBundle(p, planId, digits, 1, counts, at, TZ)?.left ?? 0 : 0
  return callCost(row, Math.max(0, seconds - left))
}

/** Whether a SIM is free for [from, to), given the talk intervals it already carries. */
const free = (busy: [number, number][], from: number, to: number) => busy.every(([a, b]) => to <= a || from >= b)

async function benchMoney(): Promise<Figure[]> {
  const calls = monthOfCalls(2026_11)
  const answered = calls.filter((c) => c.seconds > 0)
  const alwaysCarrier = answered.reduce((s, c) => s + pathCost('carrier', c.to, c.seconds, c.at, null), 0)

  // (b) the router, as the PBX would use it: the first path offered, then the outcome reported
  const clock = new FakeClock(MONTH)
  const store = new StateStore({ site: 'bench', box: 'b', version: '0', startedAt: MONTH }, clock)
  for (const l of LINES) store.init('line', { ...initialLine(l, MONTH), state: 'up', routable: true })
  const config: RoutingConfig = {
    callerIds: [], expectedSeconds: 60, breaker: { faults: 3, openSeconds: 300 }, qualityCalls: 50, plans: PLANS,
    paths: LINES.map((l) => ({ id: l.id, line: l.id, dial: `X/${l.id}/{e164}`, plan: l.id })),
  }
  const counts: BundleCounts = {}
  const router = new LcrRouter({ config, lines: LINES, store, clock, timeZone: TZ, deck: (p) => DECKS[p] ?? null, counts, changed: () => {} })
  const ends: { line: string; at: number }[] = []
  const setBusy = (id: string, delta: number) => {
    const use = store.get('line', id)!.channelUse
    store.update('line', id, { channelUse: { ...use, busy: use.busy + delta } })
  }
  let routed = 0
  for (const c of calls) {
    clock.advance(c.at - clock.now())
    for (let i = ends.length - 1; i >= 0; i--) if (ends[i]!.at <= c.at) setBusy(ends.splice(i, 1)[0]!.line, -1)
    const a = router.route(c.to)
    if (!a.ok || !a.paths[0]) throw new Error(`router refused ${c.to}: ${a.ok ? JSON.stringify(a.excluded) : a.reason}`)
    const path = a.paths[0].path
    if (c.seconds > 0) {
      routed += pathCost(path, c.to, c.seconds, c.at, counts)
      setBusy(path, 1)
      ends.push({ line: path, at: c.at + c.seconds * 1000 })
    }
    const problem = router.report(c.seconds > 0 ? { path, to: c.to, outcome: 'answered', seconds: c.seconds } : { path, to: c.to, outcome: 'no-answer' })
    if (problem) throw new Error(problem)
  }

  // (c) greedy offline optimum: free minutes to the calls that save most per started minute, then the cheapest free path for
  // the rest. Not exact, and it lets the free minutes go to any mobile calls, where a carrier spends them on the first ones.
  const paid = (c: Call, p: string) => pathCost(p, c.to, c.seconds, c.at, null)
  const sims = { sim1: { left: 500, busy: [] as [number, number][] }, sim2: { left: 500, busy: [] as [number, number][] } }
  const covered = new Set<Call>()
  const value = (c: Call) => Math.min(...LINES.map((l) => paid(c, l.id))) / Math.ceil(c.seconds / 60)
  for (const c of answered.filter((x) => x.to.startsWith('+79')).sort((x, y) => value(y) - value(x))) {
    const span: [number, number] = [c.at, c.at + c.seconds * 1000]
    const sim = Object.values(sims).find((s) => s.left >= Math.ceil(c.seconds / 60) && free(s.busy, ...span))
    if (!sim) continue
    sim.left -= Math.ceil(c.seconds / 60)
    sim.busy.push(span)
    covered.add(c)
  }
  let optimum = 0
  for (const c of answered) {
    if (covered.has(c)) continue
    const span: [number, number] = [c.at, c.at + c.seconds * 1000]
    const options = LINES.filter((l) => !(l.id in sims) || free(sims[l.id as keyof typeof sims].busy, ...span))
    const best = options.reduce((b, l) => (paid(c, l.id) < paid(c, b.id) ? l : b))
    optimum += paid(c, best.id)
    if (best.id in sims) sims[best.id as keyof typeof sims].busy.push(span)
  }

  const month = `LCR money, Nov 2026, ${calls.length} calls (${answered.length} answered)`
  return [
    { figure: `${month}: (a) always the carrier line`, value: round(alwaysCarrier, 2), unit: 'RUB' },
    { figure: `${month}: (b) linewatch LcrRouter (one call per SIM)`, value: round(routed, 2), unit: 'RUB' },
    { figure: `${month}: (c) greedy offline optimum, knows every call (one call per SIM)`, value: round(optimum, 2), unit: 'RUB' },
    { figure: `${month}: linewatch saving vs always the carrier line`, value: round((1 - routed / alwaysCarrier) * 100), unit: '%' },
    { figure: `${month}: offline optimum saving vs always the carrier line`, value: round((1 - optimum / alwaysCarrier) * 100), unit: '%' },
  ]
}

export async function benchLcr(): Promise<Figure[]> {
  return [...(await benchDecks()), ...(await benchMoney())]
}

// alone: node --expose-gc dist/scripts/bench-lcr.js (npm run bench runs it among the others)
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of await benchLcr()) console.log(`${f.figure}\t${f.value} ${f.unit}`)
}

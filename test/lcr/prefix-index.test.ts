import t from 'tap'
import { parseDeck, type RateRow } from '../../src/lcr/deck.js'
import { PrefixIndex } from '../../src/lcr/prefix-index.js'
import { prng } from '../../src/sim/prng.js'

const row = (prefix: string, over: Partial<RateRow> = {}): RateRow => ({
  prefix, ratePerMinute: 1, connectionFee: 0, firstIncrement: 60, nextIncrement: 60, minimumCharge: 0, validFrom: null, validTo: null, band: null, ...over,
})
const D = (iso: string) => Date.parse(`${iso}T00:00:00Z`)
const NOW = D('2026-06-15')

t.test('the longest prefix wins', async (t) => {
  const idx = new PrefixIndex([row('4', { ratePerMinute: 4 }), row('49', { ratePerMinute: 49 }), row('4915', { ratePerMinute: 4915 }), row('491511', { ratePerMinute: 491511 })])
  t.equal(idx.size, 4)
  t.equal(idx.rows, 4)
  t.equal(idx.lookup('4915112345678', NOW, null)?.ratePerMinute, 491511)
  t.equal(idx.lookup('491521234567', NOW, null)?.ratePerMinute, 4915)
  t.equal(idx.lookup('+4930123456', NOW, null)?.ratePerMinute, 49, 'a leading + is ignored')
  t.equal(idx.lookup('44', NOW, null)?.ratePerMinute, 4)
  t.equal(idx.lookup('49', NOW, null)?.ratePerMinute, 49, 'a number as long as the prefix')
  t.equal(idx.lookup('4915', NOW, null)?.ratePerMinute, 4915)
  t.equal(idx.lookup('33123', NOW, null), null, 'no prefix')
  t.equal(idx.lookup('', NOW, null), null)
  t.same(new PrefixIndex([]).lookup('49', NOW, null), null)
})

t.test('find: the same answer as lookup without a RateRow, read with rowAt and rateAt', async (t) => {
  const idx = new PrefixIndex([
    row('4', { ratePerMinute: 4 }),
    row('49', { ratePerMinute: 49, validTo: D('2026-01-01') }),
    row('4915', { ratePerMinute: 4915, band: 'peak' }),
    row('491511', { ratePerMinute: 491511 }),
    row('123456789012345', { ratePerMinute: 15 }),
  ])
  const numbers = ['4915112345678', '+4915112345678', '491521234567', '+4930123456', '44', '33123', '', '+', '49x15', '1234567890123456789', '+123456789012345']
  for (const n of numbers) {
    for (const band of [null, 'peak']) {
      const found = idx.find(n, NOW, band)
      const want = idx.lookup(n, NOW, band)
      t.strictSame(found < 0 ? null : idx.rowAt(found, n), want, `${n} (${band})`)
      t.equal(found < 0 ? null : idx.rateAt(found), want?.ratePerMinute ?? null)
    }
  }
  t.equal(idx.rowAt(idx.find('+123456789012345', NOW, null), '+123456789012345').prefix, '123456789012345', 'a "+" and 15 digits')
  t.equal(idx.find('4930', NOW, null), idx.find('4', NOW, null), 'the ended 49 row falls back to 4')
  t.equal(idx.find('33', NOW, null), -1)
})

t.test('bands: a row of the band beats one without; a row of another band does not apply', async (t) => {
  const idx = new PrefixIndex([
    row('49', { ratePerMinute: 1 }),
    row('4915', { ratePerMinute: 2, band: 'peak' }),
    row('4915', { ratePerMinute: 3 }),
    row('4916', { ratePerMinute: 4, band: 'peak' }),
  ])
  t.equal(idx.size, 3)
  t.equal(idx.rows, 4)
  t.equal(idx.lookup('4915123', NOW, 'peak')?.ratePerMinute, 2, 'the peak row in peak')
  t.equal(idx.lookup('4915123', NOW, 'offpeak')?.ratePerMinute, 3, 'the row without a band in another band')
  t.equal(idx.lookup('4915123', NOW, null)?.ratePerMinute, 3, 'and when no band applies')
  t.equal(idx.lookup('4916123', NOW, null)?.ratePerMinute, 1, 'only a peak row for 4916: off peak falls back to 49')
  t.equal(idx.lookup('4916123', NOW, 'peak')?.ratePerMinute, 4)
  const reversed = new PrefixIndex([row('4915', { ratePerMinute: 3 }), row('4915', { ratePerMinute: 2, band: 'peak' })])
  t.equal(reversed.lookup('4915', NOW, 'peak')?.ratePerMinute, 2, 'whatever the file order')
  t.same(reversed.rowsOf('4915').map((r) => r.ratePerMinute), [3, 2])
  t.same(reversed.rowsOf('49'), [])
})

t.test('validity windows: validFrom <= at < validTo', async (t) => {
  const deck = parseDeck(['prefix,rate,valid from,valid to', '7,1,,', '7495,2,2026-01-01,2026-06-30', '7495,3,2026-07-01,', '7495,4,2026-07-01T12:00Z,'].join('\n'))
  t.same(deck.problems, [])
  const idx = new PrefixIndex(deck.rows)
  t.equal(idx.lookup('74951234567', D('2025-12-31'), null)?.ratePerMinute, 1, 'before the first window: the shorter prefix')
  t.equal(idx.lookup('74951234567', D('2026-01-01'), null)?.ratePerMinute, 2, 'from the first instant of validFrom')
  t.equal(idx.lookup('74951234567', D('2026-07-01') - 1, null)?.ratePerMinute, 2, 'through the last millisecond of 30 June')
  t.equal(idx.lookup('74951234567', D('2026-07-01'), null)?.ratePerMinute, 3, 'the next rate from 1 July')
  t.equal(idx.lookup('74951234567', D('2026-07-01') + 12 * 3_600_000, null)?.ratePerMinute, 4, 'an open-ended row that starts later supersedes one that started earlier')
  const stamp = new PrefixIndex([row('1', { ratePerMinute: 1 }), row('12', { ratePerMinute: 2, validTo: D('2026-06-15') })])
  t.equal(stamp.lookup('123', NOW - 1, null)?.ratePerMinute, 2)
  t.equal(stamp.lookup('123', NOW, null)?.ratePerMinute, 1, 'validTo itself is past the end')
  const tie = new PrefixIndex([row('5', { ratePerMinute: 1 }), row('5', { ratePerMinute: 2 })])
  t.equal(tie.lookup('5', NOW, null)?.ratePerMinute, 1, 'a tie: the earlier row in the file')
})

t.test('a prefix that is not 1–15 digits is refused', async (t) => {
  t.throws(() => new PrefixIndex([row('49a')]), RangeError)
  t.throws(() => new PrefixIndex([row('1234567890123456')]), RangeError)
  t.throws(() => new PrefixIndex([row('')]), RangeError)
})

t.test('a random 200k-prefix deck: parsed, indexed and looked up like a linear scan', async (t) => {
  const rnd = prng(6)
  const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, '0')
  const seen = new Set<string>()
  const lines = ['prefix,rate,valid to']
  while (seen.size < 200_000) {
    const p = String(1 + Math.floor(rnd() * 9)) + digits(1 + Math.floor(rnd() * 10))
    if (seen.has(p)) continue
    seen.add(p)
    // one in ten has ended: lookups must fall back past it to a shorter prefix
    lines.push(`${p},${(rnd() * 0.5).toFixed(4)},${rnd() < 0.1 ? '2026-01-31' : ''}`)
  }
  const deck = parseDeck(lines.join('\n'))
  t.equal(deck.rows.length, 200_000)
  t.same(deck.problems, [])
  const started = performance.now()
  const idx = new PrefixIndex(deck.rows)
  const built = performance.now() - started
  t.equal(idx.size, 200_000)
  t.ok(built < 2000, `built in ${built.toFixed(0)} ms`)

  const scan = (n: string): RateRow | null => {
    let best: RateRow | null = null
    for (const r of deck.rows) {
      if (n.startsWith(r.prefix) && (r.validTo === null || NOW < r.validTo) && (!best || r.prefix.length > best.prefix.length)) best = r
    }
    return best
  }
  const pickRow = (ended: boolean) => {
    for (;;) {
      const r = deck.rows[Math.floor(rnd() * deck.rows.length)]!
      if ((r.validTo !== null) === ended) return r
    }
  }
  let fellBack = 0
  for (let i = 0; i < 45; i++) {
    // a third random numbers, a third under a current row, a third under an ended one
    const n = i % 3 === 0 ? String(1 + Math.floor(rnd() * 9)) + digits(11) : pickRow(i % 3 === 2).prefix + digits(4)
    const want = scan(n)
    const got = idx.lookup(n, NOW, null)
    // the index keeps rows in columns (issue 20): an equal row, not the parsed object itself
    t.strictSame(got, want, n)
    if (i % 3 === 2 && got && got.prefix.length < n.length - 4) fellBack++
  }
  t.equal(fellBack, 15, 'every number under an ended row priced by a shorter prefix')
  const timed = performance.now()
  for (let i = 0; i < 20_000; i++) idx.lookup(String(1 + (i % 9)) + digits(11), NOW, null)
  t.ok(performance.now() - timed < 1000, '20k lookups well under a second')
})

t.test('the direct table of the first digits answers as the old index: short numbers, "+", non-digits, ended and band rows', async (t) => {
  const { LegacyPrefixIndex } = await import('../../scripts/lcr-legacy-index.js')
  const rnd = prng(4)
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('')
  const rows: RateRow[] = []
  const seen = new Set<string>()
  while (seen.size < 6000) {
    const p = digits(1 + Math.floor(rnd() * 7))
    if (seen.has(p)) continue
    seen.add(p)
    const r = rnd()
    // ended, band-only, two rows, or one row always valid
    if (r < 0.1) rows.push(row(p, { ratePerMinute: rows.length, validTo: D('2026-01-01') }))
    else if (r < 0.2) rows.push(row(p, { ratePerMinute: rows.length, band: 'peak' }))
    else if (r < 0.3) rows.push(row(p, { ratePerMinute: rows.length }), row(p, { ratePerMinute: rows.length + 0.5, band: 'peak' }))
    else rows.push(row(p, { ratePerMinute: rows.length }))
  }
  const idx = new PrefixIndex(rows)
  const old = new LegacyPrefixIndex(rows)
  t.ok(idx.directDigits >= 3, `a direct table of ${idx.directDigits} digits`)
  let answered = 0
  let differ = 0
  for (let i = 0; i < 20_000; i++) {
    let n = digits(Math.floor(rnd() * 11))
    if (rnd() < 0.2) n = `+${n}`
    if (rnd() < 0.1 && n.length > 0) {
      const at = Math.floor(rnd() * n.length)
      n = `${n.slice(0, at)}${rnd() < 0.5 ? 'x' : ' '}${n.slice(at + 1)}`
    }
    const band = rnd() < 0.5 ? 'peak' : null
    const want = old.lookup(n, NOW, band)
    const got = idx.lookup(n, NOW, band)
    if (want) answered++
    if (JSON.stringify(got) !== JSON.stringify(want) && differ++ < 5) t.fail(`${n} (${band}): ${JSON.stringify(got)}, old ${JSON.stringify(want)}`)
  }
  t.equal(differ, 0, 'no answer differs')
  t.ok(answered > 5000, `${answered} of 20000 numbers priced`)
})

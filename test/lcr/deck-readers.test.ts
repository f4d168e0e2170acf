/**
 * The two CSV readers of parseDeck (issue 20): the hand-split one for a
 * deck without quotes (the usual case, ~2x faster on a million rows) and
 * csv-parse, which any deck with a quote goes through. On the same
 * unquoted deck they must give the same rows and the same problems at the
 * same lines; a deck with every cell quoted must read as the same deck
 * unquoted; the reused row object the deck worker asks for must carry
 * the same values as parseDeck's rows; and an ASCII file, decoded by its
 * bytes, must import as decodeDeck would read it.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parseDeck, parseDeckInto, type RateRow } from '../../src/lcr/deck.js'
import { decodeDeck } from '../../src/lcr/deck-encoding.js'
import { importDeck } from '../../src/lcr/deck-import.js'
import { PrefixIndex } from '../../src/lcr/prefix-index.js'
import { tempDir } from '../helpers/tmp.js'
import { prng } from '../../src/sim/prng.js'

const DECKS: Record<string, string> = {
  'plain, LF, final newline': 'prefix,rate,increments,connection fee,band\n49,0.012,60/60,0,\n4915,0.045,30/6,0.5,Peak\n4915,0.03,30/6,0.5,\n',
  'CRLF, no final newline': 'prefix,rate,increments\r\n7,0.05,60/60\r\n7916,0.125,1/1',
  'BOM and semicolons with decimal commas': '\ufeffPrefix;Rate (RUB/min);Valid from\n7;0,05;01.03.2026\n7916;0,125;2026-02-28T21:00Z\n',
  'tabs, spaces around cells': 'prefix\trate\tband\n 49 \t 0.1 \t offpeak \n+44\t0.2\t\n7 495\t0.3\t\n',
  'blank lines before the header, inside, at the end, and lines of delimiters only': '\n\nprefix,rate\n1,0.5\n\n,,\n  \n2,0.6\n\n\n',
  'blank lines in CRLF': '\r\nprefix,rate\r\n\r\n1,0.5\r\n \r\n2,y\r\n',
  'lone CR line ends': 'prefix,rate\r1,0.5\r2,y\r3,0.7\r',
  'bad rows of every kind': [
    'prefix,rate,connection fee,first increment,next increment,minimum charge,valid from,valid to,band',
    '49x,0.1,,,,,,,',
    ',0.1,,,,,,,',
    '1234567890123456,0.1,,,,,,,',
    '49,-0.5,,,,,,,',
    '49,abc,,,,,,,',
    '49,,,,,,,,',
    '49,0.1,x,,,,,,',
    '49,0.1,,1.5,,,,,',
    '49,0.1,,,0,,,,',
    '49,0.1,,,,-1,,,',
    '49,0.1,,,,,2026-02-30,,',
    '49,0.1,,,,,2026-05-01,2026-04-01,',
    '49,0.1,,,,,,not a date,',
    '49,0.1',
    '49,0.1,0,60,60,0,2026-01-01,2026-12-31,Peak,extra,cells',
    '',
  ].join('\n'),
  'a header without a rate column': 'prefix,cost\n1,2\n',
  'only a header': 'prefix,rate\n',
  'empty': '',
}

/** A random unquoted deck: good rows, blank lines, bad cells, CRLF or LF. */
function randomDeck(seed: number): string {
  const rnd = prng(seed)
  const eol = rnd() < 0.5 ? '\r\n' : '\n'
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  // a cell is good 97 times in 100: about a fifth of the rows have a problem
  const cell = (good: readonly string[], bad: readonly string[]) => pick(rnd() < 0.97 ? good : bad)
  const lines = ['prefix,rate,increments,connection fee,valid from,valid to,band']
  for (let i = 0; i < 400; i++) {
    const prefix = cell(['', '', '+', ' '], ['x']) + String(Math.floor(rnd() * 1e6)).slice(0, 1 + Math.floor(rnd() * 6)) + cell(['', ' '], ['x', '1234567890123'])
    const rate = cell(['0.1', '0,25', '1e-2', ' 0.3 '], ['-1', '', 'n/a'])
    const inc = cell(['60/60', '30/6', '1/1', ''], ['60', '0/0'])
    const from = cell(['', '', '2026-01-01', '31.12.2025', '2026-06-01T10:00'], ['2026-13-01'])
    const to = cell(['', '', '2026-12-31'], ['2025-01-01', 'soon'])
    const fee = cell(['0', '0.5', ''], ['-0.5', 'free'])
    lines.push(rnd() < 0.05 ? '' : rnd() < 0.03 ? ',,,' : `${prefix},${rate},${inc},${fee},${from},${to},${pick(['', 'Peak', 'offpeak'])}`)
  }
  return lines.join(eol) + (rnd() < 0.5 ? eol : '')
}

const both = (t: Test, name: string, csv: string) => {
  t.notOk(csv.includes('"'), `${name}: no quotes, so parseDeck takes the hand-split reader`)
  const fast = parseDeck(csv)
  const slow = parseDeck(csv, undefined, { csvParse: true })
  t.same(fast, slow, `${name}: the same rows and problems from both readers`)
  return fast
}

t.test('the hand-split reader and csv-parse agree on varied unquoted decks', async (t) => {
  let problems = 0
  let rows = 0
  for (const [name, csv] of Object.entries(DECKS)) {
    const r = both(t, name, csv)
    problems += r.problems.length
    rows += r.rows.length
  }
  for (let seed = 1; seed <= 20; seed++) {
    const r = both(t, `random deck ${seed}`, randomDeck(seed))
    problems += r.problems.length
    rows += r.rows.length
  }
  // the decks must exercise both outcomes, or agreeing would prove little
  t.ok(rows > 4000 && problems > 1000, `${rows} rows and ${problems} problems compared`)
  t.same(parseDeck(DECKS['lone CR line ends']!).problems, [{ line: 3, message: 'rate "y" is not a number' }])
})

t.test('every cell quoted reads as the same deck unquoted (csv-parse against the hand-split reader)', async (t) => {
  for (const [name, csv] of [...Object.entries(DECKS), ...[3, 4, 5].map((s) => [`random deck ${s}`, randomDeck(s)] as const)]) {
    if (csv === '') continue
    const eol = csv.includes('\r\n') ? '\r\n' : csv.includes('\n') ? '\n' : '\r'
    const delimiter = csv.includes(';') ? ';' : csv.split(eol).find((l) => l.trim() !== '')!.includes('\t') ? '\t' : ','
    const quoted = csv.split(eol).map((l) => (l === '' ? l : l.split(delimiter).map((c) => `"${c}"`).join(delimiter))).join(eol)
    t.same(parseDeck(quoted), parseDeck(csv), name)
  }
})

t.test('the reused row (the deck worker\'s way) carries the same values as parseDeck\'s rows', async (t) => {
  const csv = randomDeck(99)
  const copies: RateRow[] = []
  const handed = new Set<RateRow>()
  const { problems } = parseDeckInto(csv, undefined, (r) => {
    handed.add(r)
    copies.push({ ...r })
  }, { reuse: true })
  t.ok(handed.size === 1 && copies.length > 100, `one object handed out for ${copies.length} rows`)
  t.same({ rows: copies, problems }, parseDeck(csv))
})

t.test('an ASCII deck (decoded by its bytes) imports as decodeDeck reads it, and is kept byte for byte', async (t) => {
  for (const [what, csv] of [
    // one bad row in 301 (under the 5 % that refuses a deck), bands in two cases, repeated prefixes, CRLF
    ['ASCII', ['prefix,rate,band', ...Array.from({ length: 300 }, (_, i) => `${100 + (i % 150)},0.${i + 1},${['', 'Peak', 'peak'][i % 3]}`), '49x,1,'].join('\r\n') + '\r\n'],
    ['UTF-8 with a Cyrillic band (TextDecoder)', 'prefix,rate,band\n7,0.5,Пик\n79,0.9,\n'],
  ] as const) {
    const dir = tempDir(t, 'lw-ascii-')
    await writeFile(join(dir, 'deck.csv'), csv)
    const got = await importDeck({ kind: 'file', file: join(dir, 'deck.csv'), keepTo: join(dir, 'kept.csv') })
    const want = parseDeck(decodeDeck(Buffer.from(csv)).text)
    t.equal(got.refused, null, what)
    t.equal(got.rows, want.rows.length, `${what}: rows`)
    t.same(got.problems, want.problems.slice(0, 20), `${what}: problems`)
    const idx = new PrefixIndex(got.packed!)
    for (const r of want.rows) t.same(idx.rowsOf(r.prefix), want.rows.filter((w) => w.prefix === r.prefix), `${what}: ${r.prefix}`)
    t.same(await readFile(join(dir, 'kept.csv')), Buffer.from(csv), `${what}: the kept copy is the file's bytes`)
  }
})

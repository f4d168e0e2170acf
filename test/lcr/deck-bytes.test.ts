/**
 * The byte reader (deck-bytes.ts, issue 20) against parseDeck's string
 * reader: on odd ASCII input (CRLF, a byte-order mark, quotes, empty fields,
 * control bytes, a truncated last line, spaces, decimal commas) the same
 * packed deck and the same problems at the same lines; and the reader must
 * have read plain rows itself, or agreeing would prove little.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parseDeck, type RateRow } from '../../src/lcr/deck.js'
import { parseDeckBytes } from '../../src/lcr/deck-bytes.js'
import { importDeck } from '../../src/lcr/deck-import.js'
import { PackedBuilder } from '../../src/lcr/deck-pack.js'
import { prng } from '../../src/sim/prng.js'
import { tempDir } from '../helpers/tmp.js'

/** Counts the rows handed as RateRows (the string reader's); the rest came through addParts. */
class Counting extends PackedBuilder {
  slow = 0
  override add(r: RateRow): void {
    this.slow++
    super.add(r)
  }
}

const HEAD = 'prefix,rate,increments,connection fee,valid from,valid to,band'
const DECKS: Record<string, string> = {
  'LF, final newline': `${HEAD}\n49,0.012,60/60,0,,,\n4915,0.045,30/6,0.5,,,Peak\n4915,0.03,30/6,0.5,,,\n`,
  'CRLF, no final newline': `${HEAD}\r\n7,0.05,60/60,,,,\r\n7916,0.125,1/1,,2026-01-01,2026-12-31,offpeak`,
  'empty fields and short lines': `${HEAD}\n1,0.5,,,,,\n2,0.6\n3,,,,,,\n,0.7,,,,,\n4,0.8,60/,,,,\n5,0.9,/6,,,,\n\n,,,,,,\n`,
  'control and DEL bytes in cells': `${HEAD}\n1,0.5\x01,60/60,0,,,\n2\x7f,0.5,60/60,0,,,\n3,0.5,60/60,0,,,pe\x7fak\n4,0.5,60/60\x0b,0,,,\n5,0.1,60/60,0,,,\n`,
  'truncated last line': `${HEAD}\n1,0.5,60/60,0,,,\n2,0.5,60/`,
  'truncated last line in a prefix': `${HEAD}\n1,0.5,60/60,0,,,\n12`,
  'spaces, plus signs, decimal commas, exponents': `${HEAD}\n 49 ,0.1,60/60,,,,\n+44,0,2,30/6,,,,\n7 495,1e-2,,,,,\n33,.5,,,,,\n34,5.,,,,,\n35,.,,,,,\n`,
  'long numbers': `${HEAD}\n123456789012345,0.123456789012345,,,,,\n1234567890123456,0.1,,,,,\n1,12345678901234567,,,,,\n2,0.1,123456789012345678/1,,,,\n`,
  'dates, bad dates, validity reversed': `${HEAD}\n1,0.1,,,2026-01-01,2026-12-31,\n2,0.1,,,31.12.2025,,\n3,0.1,,,2026-02-30,,\n4,0.1,,,2026-05-01,2026-04-01,\n5,0.1,,,2026-06-01T10:00,2026-06-01T10:00,\n6,0.1,,,2026-06-01T10:00,2026-06-02,\n`,
  'bands in mixed case': `${HEAD}\n1,0.1,,,,,Peak\n1,0.2,,,,,PEAK\n1,0.3,,,,,peak\n2,0.1,,,,,OffPeak\n`,
  'first and next increment columns': 'prefix,rate,increments,first increment,next increment\n1,0.1,30/6,,\n2,0.1,30/6,1,1\n3,0.1,,0,\n4,0.1,,,0\n5,0.1,,1.5,\n6,0.1,60/0,,\n',
  'semicolons': 'prefix;rate;band\n7;0.05;\n7916;0,125;\n79;0.5;peak\n',
  'tabs': 'prefix\trate\tband\n7\t0.05\t\n79\t 0.5\tpeak\n',
  'extra cells': `${HEAD}\n1,0.1,,,,,,extra,cells\n`,
  'blank lines before the header': '\r\n\r\n  \r\nprefix,rate\r\n1,0.5\r\n',
  'a bad header': 'prefix,cost\n1,2\n',
  'only a header': 'prefix,rate\n',
  'empty': '',
}

/** A random deck of plain and odd rows; `eol` LF or CRLF. */
function randomDeck(seed: number): string {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const cell = (good: readonly string[], odd: readonly string[]) => pick(rnd() < 0.9 ? good : odd)
  const eol = rnd() < 0.5 ? '\r\n' : '\n'
  const lines = [HEAD]
  for (let i = 0; i < 500; i++) {
    const prefix = String(Math.floor(rnd() * 1e7)).slice(0, 1 + Math.floor(rnd() * 7))
    const odd = cell([''], [' ', '+', 'x', '\x02', '0'])
    const rate = cell(['0.1', '0.0123', '2', '0.5'], ['0,25', '1e-2', '', '-1', ' 0.3', '.'])
    const inc = cell(['60/60', '30/6', '1/1', ''], ['60', '0/0', '6/ 6'])
    const from = cell(['', '', '2026-01-01'], ['2026-13-01', '01.02.2026'])
    const to = cell(['', '', '2026-12-31'], ['2025-01-01', 'soon'])
    const band = cell(['', '', 'peak', 'Offpeak'], ['PEAK', ' peak'])
    lines.push(rnd() < 0.03 ? '' : `${odd}${prefix},${rate},${inc},${cell(['0', '', '0.5'], ['free'])},${from},${to},${band}`)
  }
  return lines.join(eol) + (rnd() < 0.5 ? eol : '')
}

/** Both readers' packed decks and problems, and how many rows the byte reader left to the string reader. */
function readBoth(csv: string) {
  const want = parseDeck(csv.replace(/^\ufeff/, ''))
  const ref = new PackedBuilder()
  for (const r of want.rows) ref.add(r)
  const b = new Counting()
  const got = parseDeckBytes(Buffer.from(csv, 'latin1'), undefined, b)
  return { got, want, rows: b.rows, slow: b.slow, same: () => [b.finish(), ref.finish()] as const }
}

t.test('the byte reader reads odd decks as parseDeck does: the same packed deck and problems', async (t) => {
  let fast = 0
  let slow = 0
  let problems = 0
  for (const [name, csv] of [...Object.entries(DECKS), ...[1, 2, 3, 4, 5, 6].map((s) => [`random deck ${s}`, randomDeck(s)] as const)]) {
    const r = readBoth(csv)
    t.ok(r.got, `${name}: read by the byte reader`)
    t.same(r.got?.problems, r.want.problems, `${name}: the same problems at the same lines`)
    t.equal(r.rows, r.want.rows.length, `${name}: the same number of rows`)
    const [mine, theirs] = r.same()
    t.same(mine, theirs, `${name}: the same packed deck`)
    fast += r.rows - r.slow
    slow += r.slow
    problems += r.want.problems.length
  }
  // both ways of reading a row must have been taken, and bad rows met
  t.ok(fast > 1000 && slow > 100 && problems > 500, `${fast} rows read from the bytes, ${slow} by the string reader, ${problems} problems compared`)
})

t.test('a deck with a quote, or with lone CR line ends, is left to the string reader (nothing added)', async (t) => {
  for (const csv of ['prefix,rate\n"1",0.5\n', 'prefix,rate\r1,0.5\r2,0.6\r']) {
    const b = new PackedBuilder()
    t.equal(parseDeckBytes(Buffer.from(csv), undefined, b), null)
    t.equal(b.rows, 0)
  }
})

t.test('a file with a byte-order mark, quotes, CRLF, or garbage bytes imports as parseDeck reads its text', async (t) => {
  const dir = tempDir(t, 'lw-bytes-')
  for (const [what, bytes] of [
    ['byte-order mark and CRLF', Buffer.from(`\ufeff${HEAD}\r\n1,0.5,,,,,\r\n2,x,,,,,\r\n${Array.from({ length: 40 }, (_, i) => `${i + 10},0.1,,,,,`).join('\r\n')}`)],
    ['quoted cells', Buffer.from(`${HEAD}\n"1","0.5",,,,,\n"2,5",0.1,,,,,\n${Array.from({ length: 40 }, (_, i) => `${i + 10},0.1,,,,,`).join('\n')}\n`)],
    ['control bytes', Buffer.from(`${HEAD}\n1,0.5\x01,,,,,\n${Array.from({ length: 40 }, (_, i) => `${i + 10},0.1,,,,,`).join('\n')}\n`)],
  ] as const) {
    const file = join(dir, 'deck.csv')
    await writeFile(file, bytes)
    const got = await importDeck({ kind: 'file', file, keepTo: join(dir, 'kept.csv') })
    const want = parseDeck(bytes.toString('utf8').replace(/^\ufeff/, ''))
    const ref = new PackedBuilder()
    for (const r of want.rows) ref.add(r)
    t.equal(got.refused, null, what)
    t.same(got.problems, want.problems, `${what}: problems`)
    t.same(got.packed, ref.finish(), `${what}: the same packed deck`)
  }
})

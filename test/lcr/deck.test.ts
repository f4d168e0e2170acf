import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { DEFAULT_COLUMNS, deckVerdict, guessColumns, loadDeckFile, parseDeck, type RateRow } from '../../src/lcr/deck.js'

const DIR = join(import.meta.dirname, '..', 'fixtures', 'decks')
const DAY = 86_400_000
const row = (over: Partial<RateRow>): RateRow => ({
  prefix: '49', ratePerMinute: 0.01, connectionFee: 0, firstIncrement: 60, nextIncrement: 60, minimumCharge: 0, validFrom: null, validTo: null, band: null, ...over,
})

t.test('a header of synonyms is understood, and every field read', async (t) => {
  const { rows, problems, summary } = await loadDeckFile(join(DIR, 'synonyms.csv'))
  t.same(problems, [])
  t.same(rows, [
    row({ prefix: '49', ratePerMinute: 0.012, connectionFee: 0.01, minimumCharge: 0.02, validFrom: Date.UTC(2026, 0, 1) }),
    row({ prefix: '4915', ratePerMinute: 0.045, firstIncrement: 30, nextIncrement: 6, validFrom: Date.UTC(2026, 0, 1), validTo: Date.UTC(2026, 6, 1), band: 'peak' }),
    row({ prefix: '4915', ratePerMinute: 0.03, firstIncrement: 30, nextIncrement: 6, validFrom: Date.UTC(2026, 0, 1), validTo: Date.UTC(2026, 6, 1) }),
    row({ prefix: '7495', ratePerMinute: 0.008, firstIncrement: 1, nextIncrement: 1 }),
  ], '"+49" and "7 495" become digits; "valid to 2026-06-30" ends at the next midnight; "Peak" is lower-cased')
  t.same(summary.bands, ['peak'])
  t.equal(summary.rows, 4)
  t.equal(summary.badLines, 0)
})

t.test('column guessing: synonyms, case, units in brackets, underscores', async (t) => {
  t.same(guessColumns(['DIAL_CODE', 'Rate (RUB/min)', 'Connection Fee', 'Initial Increment', 'Next', 'Start', 'End', 'Period']), {
    prefix: 'DIAL_CODE', rate: 'Rate (RUB/min)', connectionFee: 'Connection Fee', firstIncrement: 'Initial Increment', nextIncrement: 'Next', validFrom: 'Start', validTo: 'End', band: 'Period',
  })
  t.same(guessColumns(['Destination', 'Cost']), {}, 'nothing guessed from names that are no synonym')
  const guessedDefaults = guessColumns(Object.values(DEFAULT_COLUMNS))
  t.same(guessedDefaults, DEFAULT_COLUMNS, 'the default names are all recognised')
})

t.test('a ;-separated deck with decimal commas, CRLF and a blank line', async (t) => {
  const { rows, problems } = await loadDeckFile(join(DIR, 'semicolon.csv'))
  t.same(problems, [])
  t.same(rows, [
    row({ prefix: '7', ratePerMinute: 0.05, connectionFee: 0.5, validFrom: Date.UTC(2026, 2, 1) }),
    row({ prefix: '7916', ratePerMinute: 0.125, firstIncrement: 1, nextIncrement: 1, validFrom: Date.UTC(2026, 1, 28, 21) }),
  ], '01.03.2026 is 1 March; a timestamp keeps its zone')
})

t.test('a quoted deck goes through csv-parse: delimiters and quotes inside fields', async (t) => {
  const { rows, problems } = await loadDeckFile(join(DIR, 'quoted.csv'))
  t.same(problems, [])
  t.same(rows.map((r) => [r.prefix, r.ratePerMinute, r.firstIncrement, r.nextIncrement]), [['44', 0.031, 60, 60], ['33', 0.02, 30, 6]])
})

t.test('bad rows are reported with their line and the field, and left out', async (t) => {
  const result = await loadDeckFile(join(DIR, 'bad-rows.csv'))
  t.same(result.rows.map((r) => r.prefix), ['49', '44', '1'])
  t.equal(result.rows[0]!.validTo, Date.UTC(2027, 0, 1), 'valid to 2026-12-31 covers the whole last day')
  t.same(result.problems.map((p) => p.line), [3, 5, 7], 'the blank line 4 still counts')
  t.match(result.problems[0]!.message, /^prefix "49x" is not digits/)
  t.match(result.problems[1]!.message, /^rate -0\.5 is negative/)
  t.match(result.problems[2]!.message, /^validTo "2026-04-01" is not after validFrom "2026-05-01"/)
  t.equal(result.summary.badLines, 3)
})

t.test('each kind of bad value names its field', async (t) => {
  const header = 'prefix,rate,connection fee,increments,minimum charge,valid from,valid to,first increment'
  const cases: [string, RegExp][] = [
    [',0.01,,,,,,', /^prefix is empty/],
    ['4 9-1,0.01,,,,,,', /^prefix "4 9-1" is not digits/],
    ['1234567890123456,0.01,,,,,,', /^prefix "1234567890123456" is longer than 15 digits/],
    ['49,,,,,,,', /^rate is empty/],
    ['49,abc,,,,,,', /^rate "abc" is not a number/],
    ['49,"1,234,5",,,,,,', /^rate "1,234,5" is not a number/],
    ['49,0.01,-1,,,,,', /^connectionFee -1 is negative/],
    ['49,0.01,,60-60,,,,', /^increments "60-60" is not first\/next seconds/],
    ['49,0.01,,60/0,,,,', /^increments "60\/0" is not first\/next seconds/],
    ['49,0.01,,,x,,,', /^minimumCharge "x" is not a number/],
    ['49,0.01,,,,31/12/2026,,', /^validFrom "31\/12\/2026" is not a date/],
    ['49,0.01,,,,,2026-02-30,', /^validTo "2026-02-30" is not a date/],
    ['49,0.01,,,,2026-03-01T10:00Z,2026-03-01T10:00Z,', /^validTo .* is not after validFrom/],
    ['49,0.01,,,,,,1.5', /^firstIncrement "1\.5" is not a whole number/],
  ]
  for (const [line, message] of cases) {
    const { rows, problems } = parseDeck(`${header}\n${line}\n`)
    t.equal(rows.length, 0, line)
    t.equal(problems[0]?.line, 2, line)
    t.match(problems[0]?.message, message, line)
  }
})

t.test('accepted forms and defaults', async (t) => {
  const one = (csv: string) => {
    const { rows, problems } = parseDeck(csv)
    t.same(problems, [], csv)
    return rows[0]
  }
  t.same(one('prefix,rate\n49,0.01\n'), row({}), 'defaults: no fee, 60/60, no minimum, always valid, no band')
  t.equal(one('prefix,rate\n49,5e-3\n')?.ratePerMinute, 0.005)
  t.equal(one('prefix,rate\n49,.5\n')?.ratePerMinute, 0.5)
  t.same(one('prefix,rate,first,next\n49,1,0,60\n'), row({ ratePerMinute: 1, firstIncrement: 0 }), '0/60 in two columns')
  t.same(one('prefix,rate,increments,next\n49,1,30/30,6\n'), row({ ratePerMinute: 1, firstIncrement: 30, nextIncrement: 6 }), 'a next column overrides the increments column')
  t.equal(one('prefix,rate,valid from\n49,1,2026-03-01 12:30\n')?.validFrom, Date.UTC(2026, 2, 1, 12, 30), 'a timestamp without a zone is UTC')
  t.equal(one('prefix,rate,valid to\n49,1,2026-03-01T12:30:00+0100\n')?.validTo, Date.UTC(2026, 2, 1, 11, 30), 'a timestamp validTo is the end itself')
  t.same(parseDeck('prefix,rate\n49,1\n,\n ,  \n\n').problems, [], 'lines of empty fields are skipped like blank ones')
  t.same(parseDeck('prefix\trate\n49\t1\n').rows.length, 1, 'a tab-separated deck')
})

t.test('a mapping overrides the guess per field', async (t) => {
  const csv = 'Code,Rate,Tarif\n49,0.5,0.25\n'
  t.equal(parseDeck(csv).rows[0]?.ratePerMinute, 0.5, 'guessed')
  const mapped = parseDeck(csv, { rate: 'tarif' })
  t.same(mapped.problems, [])
  t.same([mapped.rows[0]?.prefix, mapped.rows[0]?.ratePerMinute], ['49', 0.25], 'rate mapped case-insensitively; prefix still guessed')
  const missing = parseDeck(csv, { band: 'Zone' })
  t.same(missing, { rows: [], problems: [{ line: 1, message: 'the band column "Zone" named in the mapping is not in the header' }] })
})

t.test('a BOM is stripped from the first header name', async (t) => {
  const { rows, problems } = await loadDeckFile(join(DIR, 'bom.csv'))
  t.same(problems, [])
  t.same(rows, [row({ prefix: '380', ratePerMinute: 0.07 })])
})

t.test('an empty deck, a deck with only its header, a deck without a rate column', async (t) => {
  const empty = await loadDeckFile(join(DIR, 'empty.csv'))
  t.same(empty.rows, [])
  t.same(empty.problems, [{ line: 1, message: 'the file is empty: no header line' }])
  const headerOnly = await loadDeckFile(join(DIR, 'header-only.csv'))
  t.same(headerOnly.rows, [])
  t.same(headerOnly.problems, [])
  const noRate = await loadDeckFile(join(DIR, 'no-rate.csv'))
  t.same(noRate.rows, [])
  t.equal(noRate.problems.length, 1)
  t.equal(noRate.problems[0]?.line, 1)
  t.match(noRate.problems[0]?.message, /^no rate column in the header/)
})

t.test('quoted decks: line numbers count line breaks inside fields; an unclosed quote refuses the file', async (t) => {
  const multi = parseDeck('prefix,rate,note\n"1","x","two\nlines"\n\n"2","0.5",\n3,z\n')
  t.same(multi.problems, [{ line: 2, message: 'rate "x" is not a number' }, { line: 6, message: 'rate "z" is not a number' }])
  t.same(multi.rows.map((r) => r.prefix), ['2'])
  t.same(parseDeck('prefix,rate\r\n"1","0.5"\r\n"2","y"\r\n').problems, [{ line: 3, message: 'rate "y" is not a number' }], 'CRLF')
  t.same(parseDeck('prefix,rate\n"49"x,1\n').problems, [{ line: 2, message: 'prefix ""49"x" is not digits' }], 'a stray quote is text')
  const open = parseDeck('prefix,rate\n1,2\n"open,3\n4,5\n')
  t.same(open.rows, [])
  t.equal(open.problems.length, 1)
  t.match(open.problems[0]?.message, /^unreadable CSV, nothing imported: a quote is opened and never closed$/)
  // a deck path pointed at another file (a key, a password file) must not make its text appear in a problem
  const secret = parseDeck('-----BEGIN PRIVATE KEY-----\n"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n')
  t.notMatch(JSON.stringify(secret.problems), /MIGH|PRIVATE/, `no text of the file in ${JSON.stringify(secret.problems)}`)
  const header = parseDeck('admin:scrypt$14$8$5$c2FsdA==$aGFzaA==,other\n')
  t.notMatch(JSON.stringify(header.problems), /scrypt|c2FsdA/, `not from its first line either: ${JSON.stringify(header.problems)}`)
})

t.test('deckVerdict: whether an import replaces the last good deck', async (t) => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => row({ prefix: String(100 + i) }))
  const problems = (n: number) => Array.from({ length: n }, (_, i) => ({ line: i + 2, message: 'rate is empty' }))
  t.same(deckVerdict({ rows: rows(10), problems: [] }), { ok: true, message: '10 rates imported' })
  const few = deckVerdict({ rows: rows(95), problems: problems(5) })
  t.ok(few.ok, '5% is not more than 5%')
  t.match(few.message, '5 rows left out (5.0%)')
  const many = deckVerdict({ rows: rows(94), problems: problems(6) })
  t.notOk(many.ok)
  t.match(many.message, /6 of 100 rows have problems \(6\.0%, more than 5\.0%\).*line 2: rate is empty/)
  t.ok(deckVerdict({ rows: rows(94), problems: problems(6) }, { maxProblemShare: 0.1 }).ok, 'a looser share')
  const twoOnOneLine = [{ line: 2, message: 'a' }, { line: 2, message: 'b' }]
  t.ok(deckVerdict({ rows: rows(19), problems: twoOnOneLine }, { maxProblemShare: 0.05 }).ok, 'problems counted by line: 1 of 20')
  const none = deckVerdict({ rows: [], problems: [] })
  t.same(none, { ok: false, message: 'no rates imported (the deck has no rows)' })
  const header = deckVerdict(parseDeck('prefix,price2\n49,1\n'))
  t.notOk(header.ok)
  t.match(header.message, /line 1: no rate column/)
})

t.test('loadDeckFile throws when the file cannot be read, and counts bytes', async (t) => {
  await t.rejects(loadDeckFile(join(DIR, 'no-such-deck.csv')), { code: 'ENOENT' })
  const dir = t.testdir()
  const file = join(dir, 'd.csv')
  await writeFile(file, 'prefix,rate\n1,0.5\n')
  t.equal((await loadDeckFile(file)).summary.bytes, 18)
})

t.test('line numbers stay right after blank lines before the header and a lone-CR file', async (t) => {
  t.same(parseDeck('\n\nprefix,rate\n1,x\n').problems, [{ line: 4, message: 'rate "x" is not a number' }])
  t.same(parseDeck('prefix,rate\r1,0.5\r2,y\r').problems, [{ line: 3, message: 'rate "y" is not a number' }])
  t.same(parseDeck('prefix,rate\n1,0.5\n').rows[0]?.validTo, null)
  t.equal(parseDeck('prefix,rate,valid to\n1,0.5,2026-01-01\n').rows[0]?.validTo, Date.UTC(2026, 0, 1) + DAY)
})

t.test('rows and problems do not keep the file text alive', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const FILLER = 20_000_000
  // Long prefixes and band names would be views into the text; so would a problem quoting a huge cell.
  const read = (filler = 'x'.repeat(FILLER)) => parseDeck(`prefix,rate,band,note\n49,0.1,,${filler}\n${filler.slice(0, 1000)}1,0.1,,\n${Array.from({ length: 100 }, (_, i) => `${10_000_000_000_000 + i},0.01,weekend_offpeak_x,`).join('\n')}\n`)
  gc()
  const before = process.memoryUsage().heapUsed
  const kept = read()
  await new Promise((resolve) => setTimeout(resolve, 10))
  gc()
  const held = process.memoryUsage().heapUsed - before
  t.equal(kept.rows.length, 101)
  t.equal(kept.problems.length, 1)
  t.ok(kept.problems[0]!.message.length < 310, 'a problem quoting a huge cell is clipped')
  t.ok(held < 5_000_000, `${(held / 1e6).toFixed(1)} MB held by 101 rows and a problem (the text was over ${FILLER / 1e6} MB)`)
})

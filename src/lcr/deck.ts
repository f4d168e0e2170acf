/**
 * Rate deck import: a carrier's CSV of prefixes and rates, as RateRows.
 * Header names vary by carrier, so columns are guessed from synonyms unless
 * the config names them. Bad rows are reported by line and left out;
 * deckVerdict says whether an import may replace the last good deck.
 */
import { readFile } from 'node:fs/promises'
import { decodeDeck, type DeckEncoding } from './deck-encoding.js'
import { parse } from 'csv-parse/sync'

/** One deck row. The row applies at `at` when validFrom <= at < validTo. */
export interface RateRow {
  /** Digits only, no "+". */
  prefix: string
  ratePerMinute: number
  connectionFee: number
  /** Seconds charged whole once answered, then each next increment begun. */
  firstIncrement: number
  nextIncrement: number
  minimumCharge: number
  /** ms epoch, inclusive; null: since always. A date is UTC midnight of that date. */
  validFrom: number | null
  /** ms epoch, EXCLUSIVE; null: for ever. A date-only "valid to" covers that whole day: the next UTC midnight. */
  validTo: number | null
  /** A time band such as "peak" (lower-cased, as config names bands); null: any time. */
  band: string | null
}

type Optional = 'connectionFee' | 'increments' | 'firstIncrement' | 'nextIncrement' | 'minimumCharge' | 'validFrom' | 'validTo' | 'band'
/** The header names in the file, per field; `increments` is one column like "60/60", "30/6". */
export type DeckColumns = { prefix: string; rate: string } & { [F in Optional]?: string }

export type DeckProblem = { line: number; message: string }
export type DeckResult = { rows: RateRow[]; problems: DeckProblem[] }

type Field = keyof DeckColumns

/** The usual header names (each also among the synonyms). */
export const DEFAULT_COLUMNS: Readonly<Required<DeckColumns>> = {
  ...{ prefix: 'prefix', rate: 'rate', connectionFee: 'connection fee', increments: 'increments', firstIncrement: 'first increment' },
  ...{ nextIncrement: 'next increment', minimumCharge: 'minimum charge', validFrom: 'valid from', validTo: 'valid to', band: 'band' },
}

/** Header names recognised without a mapping (compared after normalising, see `headerKey`). */
export const COLUMN_SYNONYMS: Readonly<Record<Field, readonly string[]>> = {
  prefix: ['prefix', 'code', 'dial code', 'digits', 'destination code'],
  rate: ['rate', 'price', 'rate per minute', 'per minute'],
  connectionFee: ['connection', 'connection fee', 'setup'],
  increments: ['increment', 'increments', 'billing', 'billing increment'],
  firstIncrement: ['first', 'first increment', 'initial increment', 'min duration'],
  nextIncrement: ['next', 'next increment'],
  minimumCharge: ['minimum', 'minimum charge'],
  validFrom: ['valid from', 'effective', 'effective date', 'start'],
  validTo: ['valid to', 'end', 'expires'],
  band: ['band', 'period', 'time band'],
}

const FIELDS = Object.keys(COLUMN_SYNONYMS) as Field[]
/** A number per field, for RowReader's column table. */
export const FIELD: Readonly<Record<Field, number>> = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>
const C = FIELD
export const DAY_MS = 86_400_000
/** E.164 numbers have at most 15 digits: a longer prefix could never match. */
export const MAX_PREFIX_DIGITS = 15

/** "Rate (EUR/min)", "RATE_PER_MINUTE" and "rate per minute" all compare equal. */
export function headerKey(name: string): string {
  return name.replace(/\([^)]*\)|\[[^\]]*\]/g, '').trim().toLowerCase().replace(/[\s_-]+/g, ' ')
}

/** Which header column holds each field, by synonym; the first matching column wins. */
export function guessColumns(header: readonly string[]): Partial<DeckColumns> {
  const keys = header.map(headerKey)
  const out: Partial<DeckColumns> = {}
  for (const f of FIELDS) {
    const i = keys.findIndex((k) => COLUMN_SYNONYMS[f].includes(k))
    if (i >= 0) out[f] = header[i]
  }
  return out
}

type RecordFn = (line: number, fields: string[]) => void

/** Each line of an unquoted deck (the usual case): csv-parse costs ~2x, ~4x with line numbers, on a million rows. */
function eachLine(text: string, delimiter: string, fn: RecordFn): void {
  if (!text.includes('\n') && text.includes('\r')) text = text.replaceAll('\r', '\n')
  // one array for every line: fn reads it before the next (the header's names are copied out by columnsAt)
  const fields: string[] = []
  for (let pos = 0, line = 1; pos < text.length; line++) {
    let end = text.indexOf('\n', pos)
    if (end < 0) end = text.length
    const stop = text.charCodeAt(end - 1) === 13 && end > pos ? end - 1 : end
    let n = 0
    for (let at = pos; ; ) {
      const cut = text.indexOf(delimiter, at)
      if (cut < 0 || cut >= stop) {
        fields[n++] = text.slice(at, stop)
        break
      }
      fields[n++] = text.slice(at, cut)
      at = cut + 1
    }
    // most lines have as many cells as the one before: no resize
    if (fields.length !== n) fields.length = n
    fn(line, fields)
    pos = end + 1
  }
}

/**
 * Each record of a deck with quotes, by csv-parse. Its `info` option would
 * give line numbers at 2.5x the time and memory, so lines are counted here:
 * one per record plus the line breaks inside quoted fields. A file it cannot
 * read (a quote never closed) is one problem and no rows.
 */
function eachQuoted(text: string, delimiter: string, problems: DeckProblem[], fn: RecordFn): void {
  let records: string[][]
  try {
    records = parse(text, { delimiter, relax_column_count: true, relax_quotes: true })
  } catch (err) {
    // the parser's code, never its message: that quotes the file's text, and a deck path pointed at another file must not show it
    const e = err as { lines?: unknown; code?: unknown }
    const why = e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quote is opened and never closed' : `the CSV parser stopped (${String(e.code ?? 'unknown error')})`
    problems.push({ line: Number(e.lines) || 1, message: `unreadable CSV, nothing imported: ${why}` })
    return
  }
  let line = 1
  for (const fields of records) {
    fn(line, fields)
    line++
    for (const f of fields) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) line++
  }
}

/** /^\d+$/ without the regex: once a row, a million rows. */
function allDigits(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** "0.05", "0,05" (decimal comma), "5e-2"; null for anything else. */
function num(s: string): number | null {
  // the usual cell, digits with at most one ".", without the regex: three cells a row, a million rows
  let dot = false
  let i = 0
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 46 && !dot) dot = true
    else if (c < 48 || c > 57) break
  }
  if (i === s.length && s.length > (dot ? 1 : 0)) return Number(s)
  const t = s.includes(',') && !s.includes('.') ? s.replace(',', '.') : s
  const v = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN
  return Number.isFinite(v) ? v : null
}

export type When = { ms: number; dateOnly: boolean }
/** Run on '' after a parse, so that the last regex subject V8 keeps is not a cell of the file. */
const FORGET = /^$/

/** A date (YYYY-MM-DD or DD.MM.YYYY, UTC midnight) or an ISO timestamp (UTC when it names no zone). */
export function parseDate(s: string): When | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)?.slice(1) ?? /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s)?.slice(1).reverse()
  if (iso) {
    const [y, m, d] = iso.map(Number) as [number, number, number]
    const ms = Date.UTC(y, m - 1, d)
    // Date.UTC rolls 2026-02-30 over to March: refuse rather than guess.
    return new Date(ms).getUTCMonth() === m - 1 && new Date(ms).getUTCDate() === d ? { ms, dateOnly: true } : null
  }
  const stamp = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(s)
  if (!stamp) return null
  const zone = stamp[3] === undefined ? 'Z' : stamp[3].length === 5 ? `${stamp[3].slice(0, 3)}:${stamp[3].slice(3)}` : stamp[3]
  const ms = Date.parse(`${stamp[1]}T${stamp[2]}${zone.toUpperCase()}`)
  return Number.isNaN(ms) ? null : { ms, dateOnly: false }
}

/** The delimiter the header line uses most of: ",", ";" or a tab. */
export function guessDelimiter(text: string): string {
  const header = /^\s*([^\r\n]*)/.exec(text)?.[1] ?? ''
  let best = ','
  for (const d of [';', '\t']) if (header.split(d).length > header.split(best).length) best = d
  return best
}

/**
 * A copy of a cell that does not hold on to the file: V8 keeps a substring
 * of 13 or more characters as a view into its parent, so one long prefix
 * kept in the index would keep the whole deck text alive.
 */
const own = (s: string) => (s.length < 13 ? s : (' ' + s).slice(1))

/** Reads the rows after the header; methods, not per-row closures, since a deck may have a million rows. */
class RowReader {
  line = 0
  fields: string[] = []
  #bad = false
  /** Decks repeat a few dates and increments a million times. */
  readonly #dates = new Map<string, When | null>()
  readonly #increments = new Map<string, [number, number] | null>()
  readonly #bands = new Map<string, string>()

  /** The one row handed out when the caller reads each row and keeps none (the packing builder): no object per row. */
  readonly #scratch: RateRow | null

  /** Each field's column (C order), -1: none. Numbers, not the `at` object: a lookup by a varying key was a third of the parse. */
  readonly col = new Int32Array(FIELDS.length)

  constructor(at: Partial<Record<Field, number>>, readonly problems: DeckProblem[], reuse: boolean) {
    for (const f of FIELDS) this.col[C[f]] = at[f] ?? -1
    this.#scratch = reuse ? { prefix: '', ratePerMinute: 0, connectionFee: 0, firstIncrement: 0, nextIncrement: 0, minimumCharge: 0, validFrom: null, validTo: null, band: null } : null
  }

  /** The trimmed cell of field C.x ('' when the deck has no such column). */
  get(field: number): string {
    const i = this.col[field]!
    return i < 0 ? '' : (this.fields[i] ?? '').trim()
  }

  bad(message: string): void {
    // Clipped and copied: a problem kept for the status page must not keep the file text alive either.
    this.problems.push({ line: this.line, message: own(message.length > 300 ? `${message.slice(0, 300)}…` : message) })
    this.#bad = true
  }

  amount(f: 'rate' | 'connectionFee' | 'minimumCharge', required: boolean): number {
    const s = this.get(C[f])
    const v = s === '' ? (required ? null : 0) : num(s)
    if (v === null) this.bad(s === '' ? `${f} is empty` : `${f} "${s}" is not a number`)
    else if (v < 0) this.bad(`${f} ${s} is negative`)
    return v ?? 0
  }

  seconds(f: 'firstIncrement' | 'nextIncrement', min: number, fallback: number): number {
    const s = this.get(C[f])
    if (s === '') return fallback
    if (/^\d+$/.test(s) && Number(s) >= min) return Number(s)
    this.bad(`${f} "${s}" is not a whole number of seconds of at least ${min}`)
    return fallback
  }

  /** The increments column ("30/6"), 60/60 when there is none. */
  steps(): [number, number] | null {
    const s = this.get(C.increments)
    if (s === '') return [60, 60]
    let steps = this.#increments.get(s)
    if (steps === undefined) {
      const m = /^(\d+)\s*\/\s*(\d+)$/.exec(s)
      this.#increments.set(s, (steps = m && Number(m[2]) >= 1 ? [Number(m[1]), Number(m[2])] : null))
    }
    if (!steps) this.bad(`increments "${s}" is not first/next seconds like 60/60 (next at least 1)`)
    return steps
  }

  date(f: 'validFrom' | 'validTo'): When | null {
    const s = this.get(C[f])
    if (s === '') return null
    let d = this.#dates.get(s)
    if (d === undefined) this.#dates.set(s, (d = parseDate(s)))
    if (!d) this.bad(`${f} "${s}" is not a date (use 2026-12-31, 31.12.2026 or an ISO timestamp)`)
    return d
  }

  read(line: number, fields: string[]): RateRow | null {
    this.line = line
    this.fields = fields
    this.#bad = false
    const raw = this.get(C.prefix)
    const prefix = allDigits(raw) ? raw : raw.replace(/\s+/g, '').replace(/^\+/, '')
    if (prefix === '') this.bad('prefix is empty')
    else if (!/^\d+$/.test(prefix)) this.bad(`prefix "${raw}" is not digits`)
    else if (prefix.length > MAX_PREFIX_DIGITS) this.bad(`prefix "${prefix}" is longer than ${MAX_PREFIX_DIGITS} digits`)
    const ratePerMinute = this.amount('rate', true)
    const connectionFee = this.amount('connectionFee', false)
    const minimumCharge = this.amount('minimumCharge', false)

    const steps = this.steps()
    const firstIncrement = this.seconds('firstIncrement', 0, steps?.[0] ?? 60)
    const nextIncrement = this.seconds('nextIncrement', 1, steps?.[1] ?? 60)

    const from = this.date('validFrom')
    const to = this.date('validTo')
    const validFrom = from?.ms ?? null
    const validTo = to ? (to.dateOnly ? to.ms + DAY_MS : to.ms) : null
    if (validFrom !== null && validTo !== null && validTo <= validFrom) {
      this.bad(`validTo "${this.get(C.validTo)}" is not after validFrom "${this.get(C.validFrom)}"`)
    }
    // Config band names are lower case ("peak"); a deck may say "Peak". One string per band name.
    const b = this.get(C.band).toLowerCase()
    let band = b === '' ? null : this.#bands.get(b)
    if (band === undefined) this.#bands.set(b, (band = own(b)))
    if (this.#bad) return null
    const row = this.#scratch
    if (!row) return { prefix: own(prefix), ratePerMinute, connectionFee, firstIncrement, nextIncrement, minimumCharge, validFrom, validTo, band }
    row.prefix = prefix // not kept by the caller: no copy needed
    row.ratePerMinute = ratePerMinute
    row.connectionFee = connectionFee
    row.firstIncrement = firstIncrement
    row.nextIncrement = nextIncrement
    row.minimumCharge = minimumCharge
    row.validFrom = validFrom
    row.validTo = validTo
    row.band = band
    return row
  }
}

/**
 * Parse a rate deck. The first non-blank line is the header; `line` in a
 * problem is the 1-based line in the file. `columns` overrides the guess
 * per field; a column it names must be in the header.
 */
export function parseDeck(csv: string, columns?: Partial<DeckColumns>, opts: { csvParse?: boolean } = {}): DeckResult {
  const rows: RateRow[] = []
  const { problems } = parseDeckInto(csv, columns, (row) => rows.push(row), { csvParse: opts.csvParse })
  return { rows, problems }
}

/** How parseDeckInto reads: `reuse`, the same row object every call (valid only during onRow); `csvParse`, csv-parse even for an unquoted file (the tests compare the two readers). */
export type ParseOptions = { reuse?: boolean; csvParse?: boolean }

/**
 * parseDeck handing each good row to `onRow` instead of keeping it: the
 * deck worker packs a million rows as they come (deck-pack.ts's
 * PackedBuilder), so no array of a million RateRow objects is ever held.
 */
export function parseDeckInto(csv: string, columns: Partial<DeckColumns> | undefined, onRow: (row: RateRow) => void, opts: ParseOptions = {}): { problems: DeckProblem[] } {
  const text = csv.charCodeAt(0) === 0xfeff ? csv.slice(1) : csv
  const records = new DeckRecords(columns, onRow, opts.reuse === true)
  const onRecord: RecordFn = (line, fields) => records.record(line, fields)
  const delimiter = guessDelimiter(text)
  if (opts.csvParse || text.includes('"')) eachQuoted(text, delimiter, records.problems, onRecord)
  else eachLine(text, delimiter, onRecord)
  return records.done()
}

/**
 * The records of one deck after splitting: the header (the first non-blank
 * record), then its rows. Shared by parseDeckInto and the byte reader
 * (deck-bytes.ts), which hands here every line it does not read itself, so
 * both give the same rows and problems.
 */
export class DeckRecords {
  readonly problems: DeckProblem[] = []
  #reader: RowReader | null = null
  #headerRead = false
  constructor(readonly columns: Partial<DeckColumns> | undefined, readonly onRow: (row: RateRow) => void, readonly reuse: boolean) {}

  /** `fields` are read before the next call, never kept. */
  record(line: number, fields: string[]): void {
    if (blank(fields)) return
    if (this.#reader) {
      const row = this.#reader.read(line, fields)
      if (row) this.onRow(row)
    } else if (!this.#headerRead) {
      this.#headerRead = true
      const at = columnsAt(fields, this.columns, line, this.problems)
      if (at) this.#reader = new RowReader(at, this.problems, this.reuse)
    }
  }

  /** Whether rows are being read: the header is read and good (false: none will be, or the header is still to come). */
  get reading(): boolean {
    return this.#reader !== null
  }

  get headerRead(): boolean {
    return this.#headerRead
  }

  /** Each field's column in a row (FIELD order, -1: none), once reading. */
  get columnsOfFields(): Int32Array | null {
    return this.#reader?.col ?? null
  }

  done(): { problems: DeckProblem[] } {
    if (!this.#headerRead && this.problems.length === 0) this.problems.push({ line: 1, message: 'the file is empty: no header line' })
    // V8 keeps the last regex's subject (RegExp.$_): a long last cell would be a view keeping the whole text alive
    FORGET.test('')
    return { problems: this.problems }
  }
}

/** A line of nothing but delimiters and spaces. */
function blank(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.trim() !== '') return false
  return true
}

/** Where each field is in the header, or null (with problems) when a column is missing. */
function columnsAt(header: string[], columns: Partial<DeckColumns> | undefined, line: number, problems: DeckProblem[]): Partial<Record<Field, number>> | null {
  const guessed = guessColumns(header)
  const keys = header.map(headerKey)
  const at: Partial<Record<Field, number>> = {}
  const before = problems.length
  for (const f of FIELDS) {
    const name = columns?.[f] ?? guessed[f]
    if (name === undefined) continue
    const i = keys.indexOf(headerKey(name))
    if (i < 0) problems.push({ line, message: `the ${f} column "${name}" named in the mapping is not in the header` })
    else at[f] = i
  }
  for (const f of ['prefix', 'rate'] as const) {
    if (at[f] === undefined && columns?.[f] === undefined) {
      problems.push({ line, message: `no ${f} column in the header (looked for: ${COLUMN_SYNONYMS[f].join(', ')})` })
    }
  }
  return problems.length === before ? at : null
}

/** `badLines`: lines with at least one problem; `bands`: the distinct bands the rows name. */
export type DeckSummary = { file: string; bytes: number; rows: number; badLines: number; bands: string[] }

/** Read and parse a deck file in its encoding (deck-encoding.ts). Throws only when the file cannot be read. */
export async function loadDeckFile(path: string, columns?: Partial<DeckColumns>, encoding?: DeckEncoding): Promise<DeckResult & { summary: DeckSummary }> {
  const buf = await readFile(path)
  const result = parseDeck(decodeDeck(buf, encoding).text, columns)
  const bands = [...new Set(result.rows.map((r) => r.band).filter((b): b is string => b !== null))].sort()
  const badLines = new Set(result.problems.map((p) => p.line)).size
  return { ...result, summary: { file: path, bytes: buf.length, rows: result.rows.length, badLines, bands } }
}

/**
 * Whether an import should replace the last good deck: not when nothing was
 * imported (a bad header, an empty file) nor when more than `maxProblemShare`
 * of the rows were left out, since a half-read deck routes calls on wrong prices.
 */
export function deckVerdict(result: DeckResult, opts: { maxProblemShare?: number } = {}): { ok: boolean; message: string } {
  return deckVerdictOf(result.rows.length, result.problems, opts)
}

/** deckVerdict from the count of rows imported: the deck worker keeps no array of them. */
export function deckVerdictOf(rows: number, problems: readonly DeckProblem[], { maxProblemShare = 0.05 }: { maxProblemShare?: number } = {}): { ok: boolean; message: string } {
  const result = { rows: { length: rows }, problems }
  const badLines = new Set(result.problems.map((p) => p.line)).size
  const first = result.problems[0]
  if (result.rows.length === 0) {
    const why = first ? `line ${first.line}: ${first.message}` : 'the deck has no rows'
    return { ok: false, message: `no rates imported (${why})` }
  }
  const share = badLines / (result.rows.length + badLines)
  const pct = `${(share * 100).toFixed(1)}%`
  if (share > maxProblemShare) {
    return { ok: false, message: `${badLines} of ${result.rows.length + badLines} rows have problems (${pct}, more than ${(maxProblemShare * 100).toFixed(1)}%); first at line ${first?.line}: ${first?.message}` }
  }
  return { ok: true, message: `${result.rows.length} rates imported${badLines > 0 ? `, ${badLines} rows left out (${pct})` : ''}` }
}

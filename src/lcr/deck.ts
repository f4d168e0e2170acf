/**
 * Rate deck import: a carrier's CSV of prefixes and per-minute rates, turned
 * into RateRows for the prefix index. Header names vary by carrier, so
 * columns are guessed from common synonyms unless the config names them.
 * Bad rows are reported with their line and left out; deckVerdict says
 * whether an import is good enough to replace the last good deck. Pure
 * except loadDeckFile.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'

export interface RateRow {
  /** Digits only, no "+". */
  prefix: string
  ratePerMinute: number
  connectionFee: number
  /** Seconds charged whole at the start of an answered call. */
  firstIncrement: number
  /** Seconds in each further step. */
  nextIncrement: number
  minimumCharge: number
  /** ms epoch, inclusive; null: since always. A date is UTC midnight of that date. */
  validFrom: number | null
  /**
   * ms epoch, EXCLUSIVE end; null: for ever. A date-only "valid to" means
   * through that whole day, so it is stored as the next UTC midnight; a
   * timestamp is taken as the end itself. The row applies at `at` when
   * validFrom <= at < validTo.
   */
  validTo: number | null
  /** A time band such as "peak"; null: any time. */
  band: string | null
}

/** The header names in the file, per field. */
export interface DeckColumns {
  prefix: string
  rate: string
  connectionFee?: string
  /** One column like "60/60", "30/6", "1/1". */
  increments?: string
  firstIncrement?: string
  nextIncrement?: string
  minimumCharge?: string
  validFrom?: string
  validTo?: string
  band?: string
}

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
const DAY_MS = 86_400_000
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

/** Each file line that holds a record, with its 1-based line number. */
type Records = { line: number; fields: string[] }[]

function splitLines(text: string, delimiter: string): Records {
  // Fast path for the usual unquoted deck: csv-parse costs ~2x (~4x with line info) on a million rows.
  if (!text.includes('\n') && text.includes('\r')) text = text.replaceAll('\r', '\n')
  const out: Records = []
  for (let pos = 0, line = 1; pos < text.length; line++) {
    let end = text.indexOf('\n', pos)
    if (end < 0) end = text.length
    const s = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end)
    pos = end + 1
    out.push({ line, fields: s.split(delimiter) })
  }
  return out
}

function parseQuoted(text: string, delimiter: string, problems: DeckProblem[]): Records {
  const records = parse(text, {
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) problems.push({ line: Number(err.lines) || 0, message: `unreadable CSV: ${err.message}` })
      return undefined
    },
  }) as unknown as { info: { lines: number }; record: string[] }[]
  // info.lines is where a record ends: the same line unless a quoted field spans lines.
  return records.map((r) => ({ line: r.info.lines, fields: r.record }))
}

const blank = (fields: readonly string[]) => fields.every((f) => f.trim() === '')

/** "0.05", "0,05" (decimal comma), "5e-2"; null for anything else. */
function num(s: string): number | null {
  const t = s.includes(',') && !s.includes('.') ? s.replace(',', '.') : s
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : null
}

/** A date (YYYY-MM-DD or DD.MM.YYYY, UTC midnight) or an ISO timestamp (UTC when it names no zone). */
function parseDate(s: string): { ms: number; dateOnly: boolean } | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  const dotted = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s)
  const ymd = iso ? [iso[1], iso[2], iso[3]] : dotted ? [dotted[3], dotted[2], dotted[1]] : null
  if (ymd) {
    const [y, m, d] = ymd.map(Number) as [number, number, number]
    const ms = Date.UTC(y, m - 1, d)
    const back = new Date(ms)
    // Date.UTC rolls 2026-02-30 over to March: refuse rather than guess.
    return back.getUTCMonth() === m - 1 && back.getUTCDate() === d ? { ms, dateOnly: true } : null
  }
  const stamp = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(s)
  if (!stamp) return null
  const zone = stamp[3] === undefined ? 'Z' : stamp[3].length === 5 ? `${stamp[3].slice(0, 3)}:${stamp[3].slice(3)}` : stamp[3]
  const ms = Date.parse(`${stamp[1]}T${stamp[2]}${zone.toUpperCase()}`)
  return Number.isNaN(ms) ? null : { ms, dateOnly: false }
}

/** The delimiter the header line uses most of: ",", ";" or a tab. */
function guessDelimiter(text: string): string {
  const header = /^\s*([^\r\n]*)/.exec(text)?.[1] ?? ''
  let best = ','
  for (const d of [';', '\t']) if (header.split(d).length > header.split(best).length) best = d
  return best
}

const DATE_HINT = 'use 2026-12-31, 31.12.2026 or an ISO timestamp'

/**
 * Parse a rate deck. The first non-blank line is the header; `line` in a
 * problem is the 1-based line in the file. `columns` overrides the guess
 * per field; a column it names must be in the header.
 */
export function parseDeck(csv: string, columns?: Partial<DeckColumns>): DeckResult {
  const text = csv.charCodeAt(0) === 0xfeff ? csv.slice(1) : csv
  const problems: DeckProblem[] = []
  const delimiter = guessDelimiter(text)
  const records = (text.includes('"') ? parseQuoted(text, delimiter, problems) : splitLines(text, delimiter)).filter((r) => !blank(r.fields))
  const head = records[0]
  if (!head) return { rows: [], problems: [{ line: 1, message: 'the file is empty: no header line' }] }

  const guessed = guessColumns(head.fields)
  const keys = head.fields.map(headerKey)
  const at: Partial<Record<Field, number>> = {}
  for (const f of FIELDS) {
    const name = columns?.[f] ?? guessed[f]
    if (name === undefined) continue
    const i = keys.indexOf(headerKey(name))
    if (i < 0) problems.push({ line: head.line, message: `the ${f} column "${name}" named in the mapping is not in the header` })
    else at[f] = i
  }
  for (const f of ['prefix', 'rate'] as const) {
    if (at[f] === undefined && columns?.[f] === undefined) {
      problems.push({ line: head.line, message: `no ${f} column in the header (looked for: ${COLUMN_SYNONYMS[f].join(', ')})` })
    }
  }
  if (problems.length > 0) return { rows: [], problems }

  const rows: RateRow[] = []
  for (let r = 1; r < records.length; r++) {
    const { line, fields } = records[r]!
    const get = (f: Field) => (at[f] === undefined ? '' : (fields[at[f]] ?? '').trim())
    const bad = (message: string) => problems.push({ line, message })
    const before = problems.length

    const prefix = get('prefix').replace(/\s+/g, '').replace(/^\+/, '')
    if (prefix === '') bad('prefix is empty')
    else if (!/^\d+$/.test(prefix)) bad(`prefix "${get('prefix')}" is not digits`)
    else if (prefix.length > MAX_PREFIX_DIGITS) bad(`prefix "${prefix}" is longer than ${MAX_PREFIX_DIGITS} digits`)

    const amount = (f: 'rate' | 'connectionFee' | 'minimumCharge', fallback: number | null): number => {
      const s = get(f)
      if (s === '') {
        if (fallback === null) bad(`${f} is empty`)
        return fallback ?? 0
      }
      const v = num(s)
      if (v === null || !Number.isFinite(v)) bad(`${f} "${s}" is not a number`)
      else if (v < 0) bad(`${f} ${s} is negative`)
      return v ?? 0
    }
    const ratePerMinute = amount('rate', null)
    const connectionFee = amount('connectionFee', 0)
    const minimumCharge = amount('minimumCharge', 0)

    let firstIncrement = 60
    let nextIncrement = 60
    const inc = get('increments')
    if (inc !== '') {
      const m = /^(\d+)\s*\/\s*(\d+)$/.exec(inc)
      if (!m || Number(m[2]) < 1) bad(`increments "${inc}" is not first/next seconds like 60/60 (next at least 1)`)
      else [firstIncrement, nextIncrement] = [Number(m[1]), Number(m[2])]
    }
    for (const [f, min] of [['firstIncrement', 0], ['nextIncrement', 1]] as const) {
      const s = get(f)
      if (s === '') continue
      if (!/^\d+$/.test(s) || Number(s) < min) bad(`${f} "${s}" is not a whole number of seconds of at least ${min}`)
      else if (f === 'firstIncrement') firstIncrement = Number(s)
      else nextIncrement = Number(s)
    }

    const date = (f: 'validFrom' | 'validTo') => {
      const s = get(f)
      if (s === '') return null
      const d = parseDate(s)
      if (!d) bad(`${f} "${s}" is not a date (${DATE_HINT})`)
      return d
    }
    const from = date('validFrom')
    const to = date('validTo')
    const validFrom = from?.ms ?? null
    const validTo = to ? (to.dateOnly ? to.ms + DAY_MS : to.ms) : null
    if (validFrom !== null && validTo !== null && validTo <= validFrom) {
      bad(`validTo "${get('validTo')}" is not after validFrom "${get('validFrom')}"`)
    }
    // Config band names are lower case ("peak"); a deck may say "Peak".
    const band = get('band').toLowerCase() || null

    if (problems.length === before) {
      rows.push({ prefix, ratePerMinute, connectionFee, firstIncrement, nextIncrement, minimumCharge, validFrom, validTo, band })
    }
  }
  return { rows, problems }
}

export interface DeckSummary {
  file: string
  bytes: number
  rows: number
  /** Lines with at least one problem. */
  badLines: number
  /** Distinct bands named by the rows. */
  bands: string[]
}

/** Read and parse a deck file (UTF-8). Throws only when the file cannot be read. */
export async function loadDeckFile(path: string, columns?: Partial<DeckColumns>): Promise<DeckResult & { summary: DeckSummary }> {
  const buf = await readFile(path)
  const result = parseDeck(buf.toString('utf8'), columns)
  const bands = [...new Set(result.rows.map((r) => r.band).filter((b): b is string => b !== null))].sort()
  const badLines = new Set(result.problems.map((p) => p.line)).size
  return { ...result, summary: { file: path, bytes: buf.length, rows: result.rows.length, badLines, bands } }
}

/**
 * Whether an import should replace the last good deck: not when nothing was
 * imported (a bad header, an empty file) nor when more than `maxProblemShare`
 * of the rows were left out, since a half-read deck routes calls on wrong prices.
 */
export function deckVerdict(result: DeckResult, { maxProblemShare = 0.05 }: { maxProblemShare?: number } = {}): { ok: boolean; message: string } {
  const badLines = new Set(result.problems.map((p) => p.line)).size
  const first = result.problems[0]
  if (result.rows.length === 0) {
    const why = first ? `line ${first.line}: ${first.message}` : 'the deck has no rows'
    return { ok: false, message: `no rates imported, keeping the last good deck (${why})` }
  }
  const share = badLines / (result.rows.length + badLines)
  const pct = `${(share * 100).toFixed(1)}%`
  if (share > maxProblemShare) {
    return { ok: false, message: `${badLines} of ${result.rows.length + badLines} rows have problems (${pct}, more than ${(maxProblemShare * 100).toFixed(1)}%), keeping the last good deck; first at line ${first?.line}: ${first?.message}` }
  }
  return { ok: true, message: `${result.rows.length} rates imported${badLines > 0 ? `, ${badLines} rows left out (${pct})` : ''}` }
}

/**
 * The byte reader (issue 20): an ASCII deck read straight from the file's
 * bytes into the packing builder, with no string per line or cell and the
 * numbers read from their digits. Parsing strings was most of a 1M-row
 * import (0.5–1 s).
 *
 * It reads only what it is sure of: a row whose every cell is plain (no
 * space or control byte, digits where digits go, a rate like 0.0123, an
 * increments cell like 60/60, a known band's bytes). Any other line — the
 * header, blank lines, a cell with spaces, a decimal comma, an exponent, a
 * bad cell of any kind — is decoded and handed to parseDeck's own row reader
 * (DeckRecords), so the rows and every problem message are parseDeck's. A
 * file with a quote, or with lone CR line ends, is not read here at all
 * (null): parseDeckInto reads it (csv-parse for quotes).
 */
import { DAY_MS, DeckRecords, FIELD, guessDelimiter, MAX_PREFIX_DIGITS, parseDate, type DeckColumns, type DeckProblem, type When } from './deck.js'
import type { PackedBuilder } from './deck-pack.js'

const QUOTE = 34
const LF = 10
const CR = 13
/** More cells than this on a line: the line goes to the string reader. */
const MAX_CELLS = 64
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/**
 * A plain decimal ("0.0123", "12", "1.", ".5") read from its bytes, or -1. Exactly Number()'s value: at most 15
 * digits make an integer below 2^53, and dividing it by an exact power of ten rounds once, as Number() does.
 */
function decimal(b: Uint8Array, from: number, to: number): number {
  let m = 0
  let digits = 0
  let dot = -1
  for (let i = from; i < to; i++) {
    const c = b[i]! - 48
    if (c >= 0 && c <= 9) {
      m = m * 10 + c
      digits++
    } else if (c === -2 && dot < 0) dot = i
    else return -1
  }
  if (digits === 0 || digits > 15) return -1
  return dot < 0 ? m : m / POW10[to - dot - 1]!
}

/** Whole seconds written as 1–15 digits, or -1. */
function whole(b: Uint8Array, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1
  let v = 0
  for (let i = from; i < to; i++) {
    const c = b[i]! - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** Reads the plain rows of one deck; the rest goes to `records`. */
class FastRows {
  readonly #b: Buffer
  readonly #col: Int32Array
  readonly #builder: PackedBuilder
  // cell bounds of the current line
  readonly #start = new Int32Array(MAX_CELLS)
  readonly #end = new Int32Array(MAX_CELLS)
  #cells = 0
  // bands and dates seen, by their bytes (latin1): decks repeat a few
  readonly #bands = new Map<string, string>()
  readonly #dates = new Map<string, When | null>()

  constructor(b: Buffer, col: Int32Array, builder: PackedBuilder) {
    this.#b = b
    this.#col = col
    this.#builder = builder
  }

  /**
   * Splits the line from `from` at `delim`, up to its LF (a CR before it dropped) or the end; the line's end (its LF's
   * index, or the length). `ok` false: a byte the fast path does not take (space, control byte, a tab not the
   * delimiter): the caller hands the line to the string reader.
   */
  split(from: number, delim: number): number {
    const b = this.#b
    const len = b.length
    let n = 0
    let i = from
    this.#start[0] = from
    for (; i < len; i++) {
      const c = b[i]!
      if (c === delim) {
        if (n + 1 >= MAX_CELLS) break
        this.#end[n++] = i
        this.#start[n] = i + 1
      } else if (c <= 32) break
    }
    if (i === len || b[i] === LF || (b[i] === CR && b[i + 1] === LF) || (b[i] === CR && i + 1 === len)) {
      // a CR at the very end, or before the LF, is the line end's, as the string reader has it
      this.#end[n++] = i
      this.#cells = n
      this.ok = true
      return i < len && b[i] === CR ? i + 1 : i
    }
    this.ok = false
    let end = b.indexOf(LF, i)
    return end < 0 ? len : end
  }

  ok = false

  /** [start, end) of field f's cell: an empty range when the deck has no such column or the line no such cell. */
  #cell(f: number): number {
    const i = this.#col[f]!
    return i < 0 || i >= this.#cells ? -1 : i
  }

  /** The row of the split line into the builder; false: not plain (nothing added). */
  row(): boolean {
    const b = this.#b
    const S = this.#start
    const E = this.#end
    let i = this.#cell(FIELD.prefix)
    if (i < 0) return false
    const pFrom = S[i]!
    const len = E[i]! - pFrom
    const prefix = len > MAX_PREFIX_DIGITS ? -1 : whole(b, pFrom, E[i]!)
    if (prefix < 0) return false
    i = this.#cell(FIELD.rate)
    const rate = i < 0 ? -1 : decimal(b, S[i]!, E[i]!)
    if (rate < 0) return false
    const fee = this.#amount(FIELD.connectionFee)
    const min = this.#amount(FIELD.minimumCharge)
    if (fee < 0 || min < 0) return false
    // the increments cell ("30/6"), 60/60 without one; then the first/next columns, which override it
    let first = 60
    let next = 60
    i = this.#cell(FIELD.increments)
    if (i >= 0 && E[i]! > S[i]!) {
      let slash = S[i]!
      while (slash < E[i]! && b[slash] !== 47) slash++
      first = whole(b, S[i]!, slash)
      next = whole(b, slash + 1, E[i]!)
      if (first < 0 || next < 1) return false
    }
    i = this.#cell(FIELD.firstIncrement)
    if (i >= 0 && E[i]! > S[i]!) if ((first = whole(b, S[i]!, E[i]!)) < 0) return false
    i = this.#cell(FIELD.nextIncrement)
    if (i >= 0 && E[i]! > S[i]!) if ((next = whole(b, S[i]!, E[i]!)) < 1) return false
    const fromD = this.#date(FIELD.validFrom)
    const toD = this.#date(FIELD.validTo)
    if (fromD === null || toD === null) return false
    const from = fromD.ms
    const to = toD.dateOnly ? toD.ms + DAY_MS : toD.ms
    if (to <= from) return false
    let band: string | null = null
    i = this.#cell(FIELD.band)
    if (i >= 0 && E[i]! > S[i]!) {
      band = this.#band(S[i]!, E[i]!)
    }
    this.#builder.addParts(prefix, len, rate, fee, first, next, min, from, to, band)
    return true
  }

  /** The band named by [from, to): the last one's string when the bytes are the same (no string made), else interned. */
  #band(from: number, to: number): string {
    const b = this.#b
    const at = this.#lastBandAt
    let same = at >= 0 && to - from === this.#lastBandLength
    for (let k = 0; same && k < to - from; k++) same = b[from + k] === b[at + k]
    if (!same) {
      const raw = b.toString('latin1', from, to)
      let band = this.#bands.get(raw)
      if (band === undefined) this.#bands.set(raw, (band = raw.toLowerCase()))
      this.#lastBand = band
    }
    this.#lastBandAt = from
    this.#lastBandLength = to - from
    return this.#lastBand
  }

  #lastBandAt = -1
  #lastBandLength = 0
  #lastBand = ''

  /** An optional amount: 0 when empty, -1 when not plain. */
  #amount(f: number): number {
    const i = this.#cell(f)
    return i < 0 || this.#end[i] === this.#start[i] ? 0 : decimal(this.#b, this.#start[i]!, this.#end[i]!)
  }

  /** A validity end: NaN ms when empty (open), null when not a date. */
  #date(f: number): When | null {
    const i = this.#cell(f)
    if (i < 0 || this.#end[i] === this.#start[i]) return OPEN
    const s = this.#b.toString('latin1', this.#start[i]!, this.#end[i]!)
    let d = this.#dates.get(s)
    if (d === undefined) this.#dates.set(s, (d = parseDate(s)))
    return d
  }
}

const OPEN: When = { ms: NaN, dateOnly: false }

/**
 * The deck in `bytes` (ASCII, no byte-order mark) read into `builder`, with parseDeckInto's problems; null when this
 * reader does not take the file (a quote, or lone CR line ends), and nothing was added.
 */
export function parseDeckBytes(bytes: Buffer, columns: Partial<DeckColumns> | undefined, builder: PackedBuilder): { problems: DeckProblem[] } | null {
  const b = bytes
  const n = b.length
  if (b.indexOf(QUOTE) >= 0 || (b.indexOf(LF) < 0 && b.indexOf(CR) >= 0)) return null
  const records = new DeckRecords(columns, (r) => builder.add(r), true)
  const latin1 = (from: number, to: number) => b.toString('latin1', from, to)
  // the delimiter from the first line with something on it, as parseDeckInto guesses it
  let first = 0
  while (first < n && (b[first] === 32 || (b[first]! >= 9 && b[first]! <= 13))) first++
  let firstEnd = first
  while (firstEnd < n && b[firstEnd] !== LF && b[firstEnd] !== CR) firstEnd++
  const delimiter = guessDelimiter(latin1(first, firstEnd))
  const delim = delimiter.charCodeAt(0)
  let fast: FastRows | null = null
  for (let pos = 0, line = 1; pos < n; line++) {
    if (fast === null && records.reading) fast = new FastRows(b, records.columnsOfFields!, builder)
    let end: number
    if (fast !== null) {
      end = fast.split(pos, delim)
      if (fast.ok && fast.row()) {
        pos = end + 1
        continue
      }
    } else {
      end = b.indexOf(LF, pos)
      if (end < 0) end = n
    }
    if (records.headerRead && !records.reading) break // a bad header: no row is read
    const stop = end > pos && b[end - 1] === CR ? end - 1 : end
    records.record(line, latin1(pos, stop).split(delimiter))
    pos = end + 1
  }
  return records.done()
}

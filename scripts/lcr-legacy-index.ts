/**
 * THE OLD INDEX, kept for bench-lcr.ts (today's figures in the same run) and
 * for the test comparing its answers with src/lcr/prefix-index.ts's; the box
 * no longer uses it (issue 20: 198 MB for a 1M-prefix deck).
 *
 * Longest-prefix lookup of deck rows. One Map keyed by the prefix string and
 * a try of each prefix length present, longest first: a million prefixes
 * cost a million Map entries, not a trie object per digit, and a lookup is
 * at most 15 Map gets (E.164 numbers have at most 15 digits). A prefix with
 * one row (nearly all) maps to the row itself, not a one-element array:
 * that array would be ~25% of the index's memory. Pure.
 *
 * Validity: a row applies at `at` when validFrom <= at < validTo (null ends
 * are open). validTo is the exclusive end parseDeck stores: a date-only
 * "valid to 2026-03-31" in the deck covers all of 31 March UTC, i.e. the
 * row ends at 2026-04-01T00:00Z.
 */
import { MAX_PREFIX_DIGITS, type RateRow } from '../src/lcr/deck.js'

export class LegacyPrefixIndex {
  readonly #byPrefix = new Map<string, RateRow | RateRow[]>()
  /** The prefix lengths present, longest first (at most 15). */
  readonly #lengths: number[]
  /** Rows indexed. */
  readonly rows: number

  /** Throws on a prefix that is not 1–15 digits: parseDeck never yields one. */
  constructor(rows: readonly RateRow[]) {
    const lengths = new Set<number>()
    for (const r of rows) {
      const had = this.#byPrefix.get(r.prefix)
      if (Array.isArray(had)) had.push(r)
      else if (had) this.#byPrefix.set(r.prefix, [had, r])
      else {
        if (!/^\d{1,15}$/.test(r.prefix)) throw new RangeError(`prefix "${r.prefix}" is not 1–${MAX_PREFIX_DIGITS} digits`)
        this.#byPrefix.set(r.prefix, r)
        lengths.add(r.prefix.length)
      }
    }
    this.#lengths = [...lengths].sort((a, b) => b - a)
    this.rows = rows.length
  }

  /** Distinct prefixes. */
  get size(): number {
    return this.#byPrefix.size
  }

  /** The rows of one prefix, in file order (bands and validity windows). */
  rowsOf(prefix: string): readonly RateRow[] {
    const had = this.#byPrefix.get(prefix)
    return had === undefined ? [] : Array.isArray(had) ? had : [had]
  }

  /**
   * The row for dialling `digits` (a leading "+" is ignored) at `at` in time
   * band `band`: the longest prefix with a row that applies — valid at `at`,
   * and of band `band` or of no band. Within a prefix a row of the band beats
   * one without, then the later validFrom wins (a new rate added without
   * closing the old one), then the earlier row in the file.
   */
  lookup(digits: string, at: number, band: string | null): RateRow | null {
    const d = digits.charCodeAt(0) === 43 ? digits.slice(1) : digits
    for (const len of this.#lengths) {
      if (len > d.length) continue
      const had = this.#byPrefix.get(d.slice(0, len))
      if (had === undefined) continue
      const row = Array.isArray(had) ? pick(had, at, band) : applies(had, at, band) ? had : null
      if (row) return row
    }
    return null
  }
}

function pick(rows: readonly RateRow[], at: number, band: string | null): RateRow | null {
  let best: RateRow | null = null
  for (const r of rows) if (applies(r, at, band) && (best === null || better(r, best))) best = r
  return best
}

function applies(r: RateRow, at: number, band: string | null): boolean {
  return (r.validFrom === null || at >= r.validFrom) && (r.validTo === null || at < r.validTo) && (r.band === null || r.band === band)
}

function better(a: RateRow, b: RateRow): boolean {
  if ((a.band !== null) !== (b.band !== null)) return a.band !== null
  return (a.validFrom ?? -Infinity) > (b.validFrom ?? -Infinity)
}

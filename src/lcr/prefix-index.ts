/**
 * Longest-prefix lookup of deck rows, on a packed deck (deck-pack.ts): one
 * walk down the digit trie, at most 15 steps, remembering the nodes that
 * have rows, then the deepest of them with a row that applies. lookup()
 * allocates only the RateRow it returns; find() allocates nothing. Pure.
 *
 * Validity: a row applies at `at` when validFrom <= at < validTo (null ends
 * are open). validTo is the exclusive end parseDeck stores: a date-only
 * "valid to 2026-03-31" in the deck covers all of 31 March UTC, i.e. the
 * row ends at 2026-04-01T00:00Z.
 *
 * The answers are those of the index before issue 20 (a Map per prefix
 * string, kept as scripts/lcr-legacy-index.ts for the bench and a test that
 * compares the two): only the memory and the speed changed.
 */
import type { RateRow } from './deck.js'
import { ALWAYS, HAS_ROWS, MORE, NODE, PackedBuilder, packedBytes, POP, TERM, type PackedDeck } from './deck-pack.js'

// scratch for one lookup: lookups are synchronous, never interleaved
const PATH = new Int32Array(16)
const DEPTH = new Int32Array(16)

export class PrefixIndex {
  readonly #p: PackedDeck
  /** Rows indexed. */
  readonly rows: number

  /** From rows (built here, in this thread), or from a deck packed elsewhere (the deck worker). Throws on a prefix that is not 1–15 digits. */
  constructor(source: readonly RateRow[] | PackedDeck) {
    if (Array.isArray(source)) {
      const b = new PackedBuilder()
      for (const r of source as readonly RateRow[]) b.add(r)
      this.#p = b.finish()
    } else this.#p = source as PackedDeck
    this.rows = this.#p.rate.length
    this.#k = this.#p.directDigits
    this.#direct = this.#k > 0 ? this.#p.direct : null
  }

  /** The packed deck's direct table (deck-pack.ts), null when it has none, and its digits. */
  readonly #direct: Int32Array | null
  readonly #k: number

  /** Distinct prefixes. */
  get size(): number {
    return this.#p.prefixes
  }

  /** The digits its direct table takes in one step (0: none, a small deck). */
  get directDigits(): number {
    return this.#k
  }

  /** The bytes of its typed arrays (outside the V8 heap). */
  get bytes(): number {
    return packedBytes(this.#p)
  }

  /** The rows of one prefix, in file order (bands and validity windows). */
  rowsOf(prefix: string): readonly RateRow[] {
    const trie = this.#p.trie
    let node = 0
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i) - 48
      const bit = 1 << c
      const mask = trie[NODE * node]! & 1023
      if (c < 0 || c > 9 || (mask & bit) === 0) return []
      node = trie[NODE * node + 1]! + POP[mask & (bit - 1)]!
    }
    const out: RateRow[] = []
    if (prefix.length > 0 && (trie[NODE * node]! & HAS_ROWS) !== 0) {
      for (let r = trie[NODE * node + 2]!, more = MORE; more !== 0; r++) {
        more = this.#p.terms[r]! & MORE
        out.push(this.#row(r, prefix))
      }
    }
    return out
  }

  /**
   * The row for dialling `digits` (a leading "+" is ignored) at `at` in time
   * band `band`: the longest prefix with a row that applies — valid at `at`,
   * and of band `band` or of no band. Within a prefix a row of the band beats
   * one without, then the later validFrom wins (a new rate added without
   * closing the old one), then the earlier row in the file.
   */
  lookup(digits: string, at: number, band: string | null): RateRow | null {
    const found = this.find(digits, at, band)
    return found < 0 ? null : this.rowAt(found, digits)
  }

  /**
   * lookup's answer without making a RateRow: -1, or a handle for rowAt and
   * rateAt (the row's place and the prefix's end in `digits`), for a caller
   * that needs only the rate, or decides before it reads the row.
   */
  find(digits: string, at: number, band: string | null): number {
    const start = digits.charCodeAt(0) === 43 ? 1 : 0
    const direct = this.#direct
    const depth = this.#k
    if (direct !== null && digits.length - start >= depth) {
      // the first k digits in one step (the top of the trie, walked for every number)
      let key = 0
      for (let i = start; i < start + depth; i++) {
        const c = digits.charCodeAt(i) - 48
        key = (c >>> 0) <= 9 ? key * 10 + c : -1e9
      }
      if (key >= 0) {
        key *= 3
        const best = direct[key + 2]!
        let k = 0
        if (best >= 0) {
          PATH[0] = best >> 4
          DEPTH[k++] = start + (best & 15)
        }
        const found = this.#from(direct[key]!, direct[key + 1]!, digits, start + depth, k, at, band, best >= 0)
        // -2: no deeper row applies nor the deepest within k digits: a shallower one may (a row ended, another band)
        if (found !== -2) return found
      }
    }
    return this.#from(this.#p.trie[0]!, this.#p.trie[1]!, digits, start, 0, at, band, false)
  }

  /**
   * The walk on from a node given by its mask word and first child (0, 0: none), at digits[i], with `k` candidates
   * already in PATH/DEPTH; the row handle, or -1 (none applies). `partial`: PATH[0] is only the deepest node with rows
   * within the first k digits, so when no candidate applies a shallower one may (a row ended, of another band): -2,
   * and the caller walks from the root.
   */
  #from(mask: number, first: number, digits: string, i: number, k: number, at: number, band: string | null, partial: boolean): number {
    const trie = this.#p.trie
    for (; i < digits.length; i++) {
      const c = digits.charCodeAt(i) - 48
      if (c < 0 || c > 9) break
      const bit = 1 << c
      if ((mask & bit) === 0) break
      const node = first + POP[mask & (bit - 1)]!
      mask = trie[NODE * node]!
      first = trie[NODE * node + 1]!
      if ((mask & HAS_ROWS) !== 0) {
        PATH[k] = node
        DEPTH[k++] = i + 1
      }
    }
    if (k === 0) return partial ? -2 : -1
    // the deepest prefix's one row that always applies: its terms need not be read
    if ((trie[NODE * PATH[k - 1]!]! & ALWAYS) !== 0) return trie[NODE * PATH[k - 1]! + 2]! * 32 + DEPTH[k - 1]!
    const want = this.#bandId(band)
    while (k-- > 0) {
      const r = this.#pick(PATH[k]!, at, want)
      // the end is at most 16 (a "+" and 15 digits)
      if (r >= 0) return r * 32 + DEPTH[k]!
    }
    return partial ? -2 : -1
  }

  /** The row find() found, for the same `digits`. */
  rowAt(found: number, digits: string): RateRow {
    const start = digits.charCodeAt(0) === 43 ? 1 : 0
    return this.#row(Math.floor(found / 32), digits.slice(start, found % 32))
  }

  /** The rate per minute of the row find() found. */
  rateAt(found: number): number {
    return this.#p.rate[Math.floor(found / 32)]!
  }

  /** 0 for no band; -1 for a band no row names (only rows of no band apply). */
  #bandId(band: string | null): number {
    if (band === null) return 0
    const i = this.#p.bands.indexOf(band)
    return i < 0 ? -1 : i + 1
  }

  /** The row of `node` that applies and wins, or -1. */
  #pick(node: number, at: number, want: number): number {
    const { trie, terms, termTable } = this.#p
    let best = -1
    let bestBand = false
    let bestFrom = -Infinity
    for (let r = trie[NODE * node + 2]!, more = MORE; more !== 0; r++) {
      const tr = terms[r]!
      more = tr & MORE
      const t = (tr & ~MORE) * TERM
      const from = termTable[t + 4]!
      const to = termTable[t + 5]!
      const b = termTable[t + 6]!
      // NaN: an open end
      if (!(from !== from || at >= from) || !(to !== to || at < to) || (b !== 0 && b !== want)) continue
      const hasBand = b !== 0
      const f = from !== from ? -Infinity : from
      if (best < 0 || (hasBand !== bestBand ? hasBand : f > bestFrom)) {
        best = r
        bestBand = hasBand
        bestFrom = f
      }
    }
    return best
  }

  #row(r: number, prefix: string): RateRow {
    const { rate, terms, termTable, bands } = this.#p
    const t = (terms[r]! & ~MORE) * TERM
    const from = termTable[t + 4]!
    const to = termTable[t + 5]!
    const band = termTable[t + 6]!
    return {
      prefix,
      ratePerMinute: rate[r]!,
      connectionFee: termTable[t]!,
      firstIncrement: termTable[t + 1]!,
      nextIncrement: termTable[t + 2]!,
      minimumCharge: termTable[t + 3]!,
      validFrom: from !== from ? null : from,
      validTo: to !== to ? null : to,
      band: band === 0 ? null : bands[band - 1]!,
    }
  }
}


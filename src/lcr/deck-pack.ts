/**
 * A rate deck packed into a few typed arrays (issue 20: a 1M-prefix deck took
 * 198 MB as RateRow objects in a Map). Rows are taken as parseDeckInto
 * yields them, in the deck worker or in-thread for a small deck, kept as
 * columns, and packed in finish(): sorted by prefix (a radix sort), then the
 * trie built from the sorted rows in two sequential passes. Its ArrayBuffers
 * are transferred, not copied, to the thread that routes.
 *
 * The prefixes: an array-mapped trie of digits (blocks placed depth-first). A
 * node has a 10-bit mask of the digits it has children for, and its
 * children are consecutive from firstChild, so the child for digit d is
 * firstChild + (the number of mask bits below d). All of a node is in one
 * Int32Array (node n at 3n: mask | HAS_ROWS | ALWAYS, firstChild, firstRow), so a
 * step down the trie is one cache miss, and reading where its rows are none
 * more: 12 bytes a node.
 *
 * The rows: in prefix order, a prefix's rows together from its node's
 * firstRow, in file order (the tie-break), each but its last marked MORE.
 * Per row, the rate (Float64) and the index of its terms: the other fields
 * are few distinct tuples in a real deck (increments, fees, dates, band),
 * interned in termTable, 7 numbers each; a band is an index into `bands`
 * (0: none, i: bands[i - 1]).
 */
import { MAX_PREFIX_DIGITS, type RateRow } from './deck.js'

export interface PackedDeck {
  /** Per node (NODE numbers): mask of child digits | HAS_ROWS | ALWAYS, the first child, the first row (-1: none). */
  trie: Int32Array
  rate: Float64Array
  /** Per row: the index of its terms in termTable | MORE. */
  terms: Int32Array
  /** Per term: connectionFee, firstIncrement, nextIncrement, minimumCharge, validFrom, validTo (NaN: null), band. */
  termTable: Float64Array
  bands: string[]
  /**
   * Per start of a number of `directDigits` digits, 3 numbers: the mask word and first child of the trie's node at that
   * depth (0, 0: the trie ends before), and the deepest node with rows within those digits × 16 + its depth (-1: none).
   * A lookup takes the top of the trie, walked for every number, in one step, and reads no node for it. Its digits
   * grow with the deck (10^k entries, at most one per trie node: 12 bytes, as a node): 4 for 10k prefixes, 6 for a
   * million (12 MB), where it replaces seven reads of the trie, and their cache misses, by one. Empty (0 digits) for
   * a deck under 4096 nodes.
   */
  direct: Int32Array
  directDigits: number
  /** Distinct prefixes. */
  prefixes: number
}

export const TERM = 7
/** Int32s per trie node. */
export const NODE = 3
/** In a node's mask word: the node has rows. */
export const HAS_ROWS = 1 << 10
/**
 * In a node's mask word: its prefix has one row, valid at any time and of no band (nearly every row of a deck): a lookup
 * that ends there takes it without reading its terms (a cache miss a number on a big deck).
 */
export const ALWAYS = 1 << 11
/** In a row's terms: the prefix has another row after this one. */
export const MORE = 1 << 30
/** Set bits in each 10-bit mask: the rank of a child among its siblings. */
export const POP = new Uint8Array(1024)
for (let i = 1; i < 1024; i++) POP[i] = POP[i >> 1]! + (i & 1)

/** What to hand to postMessage's transfer list. */
export function packedBuffers(p: PackedDeck): ArrayBuffer[] {
  return [p.trie, p.rate, p.terms, p.termTable, p.direct].map((a) => a.buffer as ArrayBuffer)
}

/** The bytes a packed deck holds. */
export function packedBytes(p: PackedDeck): number {
  return [p.trie, p.rate, p.terms, p.termTable, p.direct].reduce((n, a) => n + a.buffer.byteLength, 0)
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

/** A deck with fewer trie nodes has no direct table: its top is walked quickly enough. */
const DIRECT_MIN_NODES = 4096
/** At most a million entries (12 MB), for a deck of a million prefixes or more. */
const MAX_DIRECT_DIGITS = 6

const POW10 = Array.from({ length: MAX_PREFIX_DIGITS + 1 }, (_, i) => 10 ** i)
// one term's 7 numbers, and their bits to hash (a NaN is always the same NaN here: `?? NaN`)
const TERM_SCRATCH = new Float64Array(TERM)
const TERM_BITS = new Int32Array(TERM_SCRATCH.buffer)

/** Digit k (0–14) of a padded prefix kept as hi (its first 7 digits) and x (its last 8). */
const digitAt = (h: number, x: number, k: number) => (k < 7 ? Math.floor(h / POW10[6 - k]!) : Math.floor(x / POW10[14 - k]!)) % 10

/** The rows' columns while building: the prefix's key (hi, lo: see PackedBuilder), the rate and the terms. */
type Columns = { hi: Int32Array; lo: Int32Array; rate: Float64Array; term: Int32Array }

/**
 * The first n rows sorted by (hi, lo), both non-negative Int32s, the rate and terms moved along: an LSD radix sort,
 * stable (a prefix's rows stay in file order), 11 bits a pass, a pass skipped where every row has the same bits. About
 * 0.1 s for a million rows (a sort with a comparator takes seconds); reading the rows back through an order array
 * instead would cost a cache miss per row and column. A deck already sorted is not moved.
 */
function radixSort(c: Columns, n: number): Columns {
  let sorted = true
  for (let i = 1; i < n && sorted; i++) if (c.hi[i - 1]! > c.hi[i]! || (c.hi[i - 1] === c.hi[i] && c.lo[i - 1]! > c.lo[i]!)) sorted = false
  if (sorted) return c
  let { hi, lo, rate, term } = c
  let hi2: Int32Array = new Int32Array(n)
  let lo2: Int32Array = new Int32Array(n)
  let rate2: Float64Array = new Float64Array(n)
  let term2: Int32Array = new Int32Array(n)
  const count = new Int32Array(2048)
  // lo: bits 0-10, 11-21, 22-31; then hi
  for (const [useHi, shift] of [[false, 0], [false, 11], [false, 22], [true, 0], [true, 11], [true, 22]] as const) {
    const key = useHi ? hi : lo
    count.fill(0)
    for (let i = 0; i < n; i++) count[(key[i]! >>> shift) & 2047]!++
    if (count[(key[0]! >>> shift) & 2047] === n) continue
    let sum = 0
    for (let b = 0; b < 2048; b++) {
      const k = count[b]!
      count[b] = sum
      sum += k
    }
    for (let i = 0; i < n; i++) {
      const at = count[(key[i]! >>> shift) & 2047]!++
      hi2[at] = hi[i]!
      lo2[at] = lo[i]!
      rate2[at] = rate[i]!
      term2[at] = term[i]!
    }
    ;[hi, hi2] = [hi2, hi]
    ;[lo, lo2] = [lo2, lo]
    ;[rate, rate2] = [rate2, rate]
    ;[term, term2] = [term2, term]
  }
  return { hi, lo, rate, term }
}

export class PackedBuilder {
  // Per row, as it comes: the prefix as a number padded to 15 digits (its first 7 digits; its last 8 digits × 16 + its
  // length), the rate and the terms. The trie is built in finish(), from the rows sorted by prefix: inserted in file
  // order, a shuffled deck's walks missed the cache at every digit (0.75 s of a 1M-row import).
  #hi = new Int32Array(1024)
  #lo = new Int32Array(1024)
  #rate = new Float64Array(1024)
  #term = new Int32Array(1024)
  #rows = 0
  /** Open-addressed hash of the terms (ids + 1, 0: empty): a key string per row cost more than the trie walk. */
  #termHash = new Int32Array(256)
  #termTable = new Float64Array(64 * TERM)
  #termCount = 0
  readonly #bands: string[] = []
  #lastTerm = -1

  /**
   * `expectedRows` (the file's line count) sizes the arrays once: doubling them as rows come took a quarter
   * of a 1M-row import, in copies and in the garbage collections that big discarded buffers set off.
   */
  constructor(expectedRows = 0) {
    if (expectedRows > 1024) {
      this.#hi = new Int32Array(expectedRows)
      this.#lo = new Int32Array(expectedRows)
      this.#rate = new Float64Array(expectedRows)
      this.#term = new Int32Array(expectedRows)
    }
  }

  get rows(): number {
    return this.#rows
  }

  /**
   * Throws on a prefix that is not 1–15 digits: parseDeck never yields one. `r` is read here and not kept, so
   * parseDeckInto may hand the same object every row.
   */
  add(r: RateRow): void {
    const p = r.prefix
    const len = p.length
    // its digits read and checked in one loop (a regex and Number() took as long)
    let v = len === 0 || len > MAX_PREFIX_DIGITS ? -1 : 0
    for (let i = 0; i < len && v >= 0; i++) {
      const c = p.charCodeAt(i) - 48
      v = c < 0 || c > 9 ? -1 : v * 10 + c
    }
    if (v < 0) throw new RangeError(`prefix "${p}" is not 1–${MAX_PREFIX_DIGITS} digits`)
    this.addParts(v, len, r.ratePerMinute, r.connectionFee, r.firstIncrement, r.nextIncrement, r.minimumCharge, r.validFrom ?? NaN, r.validTo ?? NaN, r.band)
  }

  /**
   * add() from a row's values, without a RateRow (the byte reader, deck-bytes.ts): the prefix as its value `v` and its
   * length `len` (1–15 digits, checked by the caller), NaN for an open end of validity.
   */
  addParts(v: number, len: number, rate: number, fee: number, first: number, next: number, min: number, from: number, to: number, band: string | null): void {
    const n = this.#rows++
    if (n >= this.#rate.length) {
      this.#hi = grown(this.#hi, n + 1)
      this.#lo = grown(this.#lo, n + 1)
      this.#rate = grown(this.#rate, n + 1)
      this.#term = grown(this.#term, n + 1)
    }
    // padded to 15 digits; exact: below 10^15 < 2^53
    const padded = v * POW10[MAX_PREFIX_DIGITS - len]!
    const hi = Math.floor(padded / 1e8)
    this.#hi[n] = hi
    this.#lo[n] = (padded - hi * 1e8) * 16 + len
    this.#rate[n] = rate
    let bandId = 0
    if (band !== null) {
      bandId = this.#bands.indexOf(band) + 1
      if (bandId === 0) bandId = this.#bands.push(band)
    }
    const t = TERM_SCRATCH
    t[0] = fee
    t[1] = first
    t[2] = next
    t[3] = min
    t[4] = from
    t[5] = to
    t[6] = bandId
    this.#term[n] = this.#termOf()
  }

  /** The id of TERM_SCRATCH's terms, interned. */
  #termOf(): number {
    const v = TERM_SCRATCH
    // decks repeat the terms row after row
    if (this.#lastTerm >= 0 && this.#sameTerm(this.#lastTerm)) return this.#lastTerm
    let h = 0
    for (let k = 0; k < TERM * 2; k++) h = Math.imul(h ^ TERM_BITS[k]!, 0x9e3779b1)
    const table = this.#termHash
    let slot = (h >>> 0) & (table.length - 1)
    for (let id = table[slot]! - 1; id >= 0; id = table[slot]! - 1) {
      if (this.#sameTerm(id)) return (this.#lastTerm = id)
      slot = (slot + 1) & (table.length - 1)
    }
    const id = this.#termCount++
    this.#termTable = grown(this.#termTable, this.#termCount * TERM)
    this.#termTable.set(v, id * TERM)
    table[slot] = id + 1
    if (this.#termCount * 2 > table.length) this.#rehash()
    return (this.#lastTerm = id)
  }

  /** Whether term `id` holds TERM_SCRATCH's values (NaN equal to NaN: an open end). */
  #sameTerm(id: number): boolean {
    const t = this.#termTable
    for (let k = 0, at = id * TERM; k < TERM; k++, at++) {
      const a = t[at]!
      const b = TERM_SCRATCH[k]!
      if (a !== b && (a === a || b === b)) return false
    }
    return true
  }

  #rehash(): void {
    const table = new Int32Array(this.#termHash.length * 2)
    const bits = new Int32Array(TERM_SCRATCH.buffer)
    for (let id = 0; id < this.#termCount; id++) {
      TERM_SCRATCH.set(this.#termTable.subarray(id * TERM, id * TERM + TERM))
      let h = 0
      for (let k = 0; k < TERM * 2; k++) h = Math.imul(h ^ bits[k]!, 0x9e3779b1)
      let slot = (h >>> 0) & (table.length - 1)
      while (table[slot] !== 0) slot = (slot + 1) & (table.length - 1)
      table[slot] = id + 1
    }
    this.#termHash = table
  }

  /** The packed deck, in arrays of its size (the rows' columns may be views of a few rows more); the builder is spent. */
  finish(): PackedDeck {
    const rows = this.#rows
    // stable: a prefix's rows stay in file order (the tie-break)
    const { hi, lo, rate: rowRate, term: rowTerm } = radixSort({ hi: this.#hi, lo: this.#lo, rate: this.#rate, term: this.#term }, rows)
    this.#hi = this.#lo = this.#term = new Int32Array(0)
    this.#rate = new Float64Array(0)
    // Pass 1: the trie's nodes in the sorted rows' order, which is depth-first (a prefix comes before the longer ones it
    // begins): a row's walk is the last row's path as far as they share digits, then new nodes. Per node: its parent,
    // its digit, its child digits' mask | HAS_ROWS, its first row (rows stay in sorted order: a prefix's rows are
    // together, in file order, each but its last marked MORE). Decks of nested area codes have up to ~1.6 nodes a row.
    let cap = Math.ceil(rows * 1.7) + 16
    let parent = new Int32Array(cap)
    let digitOf = new Int32Array(cap)
    let mask = new Int32Array(cap)
    let firstRow = new Int32Array(cap)
    let nodes = 1
    let prefixes = 0
    // The sorted columns are the packed deck's. Sized by the file's lines, they are a few rows longer than the deck
    // (the header, blank and bad lines): a view of its rows then, not a copy (13 MB for a million rows, and the fresh
    // pages' faults, ~35 ms); copied when more than an eighth would be wasted.
    const exact = <T extends Int32Array | Float64Array>(a: T): T => (a.length === rows ? a : a.length - rows <= a.length / 8 ? (a.subarray(0, rows) as T) : (a.slice(0, rows) as T))
    const rate = exact(rowRate)
    const terms = exact(rowTerm)
    const path = new Int32Array(MAX_PREFIX_DIGITS + 1)
    const last = new Int32Array(MAX_PREFIX_DIGITS).fill(-1)
    let lastLen = 0
    let lastHi = -1
    for (let i = 0; i < rows; i++) {
      const l = lo[i]!
      const len = l & 15
      // the padded prefix's digits: 7 from hi, 8 from lo, each read only when needed (sorted rows share most of theirs)
      const h = hi[i]!
      const x = l >>> 4
      // the same hi: the same first 7 digits
      let d = h === lastHi ? Math.min(7, len, lastLen) : 0
      while (d < len && d < lastLen && digitAt(h, x, d) === last[d]) d++
      lastHi = h
      let node = path[d]! // path[0] is the root
      for (; d < len; d++) {
        const digit = digitAt(h, x, d)
        last[d] = digit
        const c = nodes++
        if (c >= cap) {
          cap *= 2
          parent = grown(parent, cap)
          digitOf = grown(digitOf, cap)
          mask = grown(mask, cap)
          firstRow = grown(firstRow, cap)
        }
        parent[c] = node
        digitOf[c] = digit
        mask[node] = mask[node]! | (1 << digit)
        path[d + 1] = node = c
      }
      lastLen = len
      if ((mask[node]! & HAS_ROWS) === 0) {
        mask[node] = mask[node]! | HAS_ROWS
        firstRow[node] = i
        prefixes++
      } else terms[i - 1] = terms[i - 1]! | MORE
    }
    // Pass 2, the layout: a node's children get consecutive ids, in digit order, given as the node is reached depth-first
    // (pass 1's order): a block right after its parent's, or after its elder siblings' subtrees. The last digits of a
    // number, where most cache misses are, land close together. A parent is reached before its children.
    const trie = new Int32Array(nodes * NODE)
    const newId = new Int32Array(nodes)
    let tail = 1
    for (let x = 0; x < nodes; x++) {
      let id = 0
      if (x > 0) {
        const p = parent[x]!
        id = trie[NODE * newId[p]! + 1]! + POP[mask[p]! & ((1 << digitOf[x]!) - 1)]!
        newId[x] = id
      }
      let m = mask[x]!
      if ((m & HAS_ROWS) !== 0 && (terms[firstRow[x]!]! & MORE) === 0) {
        const t = terms[firstRow[x]!]! * TERM
        if (this.#termTable[t + 4] !== this.#termTable[t + 4] && this.#termTable[t + 5] !== this.#termTable[t + 5] && this.#termTable[t + 6] === 0) m |= ALWAYS
      }
      trie[NODE * id] = m
      trie[NODE * id + 1] = tail
      trie[NODE * id + 2] = (m & HAS_ROWS) !== 0 ? firstRow[x]! : -1
      tail += POP[m & 1023]!
    }
    const termTable = this.#termTable.slice(0, this.#termCount * TERM)
    const directDigits = nodes < DIRECT_MIN_NODES ? 0 : Math.min(MAX_DIRECT_DIGITS, Math.floor(Math.log10(nodes)))
    const direct = directDigits > 0 ? directTable(trie, directDigits) : new Int32Array(0)
    return { trie, rate, terms, termTable, direct, directDigits, bands: [...this.#bands], prefixes }
  }
}

/** The direct table of the first k digits (see PackedDeck.direct), filled by a walk of the trie's top k levels. */
function directTable(trie: Int32Array, k: number): Int32Array {
  // no node: mask 0 (the walk stops), no best
  const out = new Int32Array(3 * 10 ** k)
  for (let e = 2; e < out.length; e += 3) out[e] = -1
  const visit = (node: number, depth: number, key: number, best: number): void => {
    const mask = trie[NODE * node]!
    if ((mask & HAS_ROWS) !== 0 && depth > 0) best = node * 16 + depth
    if (depth === k) {
      out[3 * key] = mask
      out[3 * key + 1] = trie[NODE * node + 1]!
      out[3 * key + 2] = best
      return
    }
    const span = 10 ** (k - depth - 1)
    for (let c = 0; c < 10; c++) {
      const child = key * 10 + c
      if ((mask & (1 << c)) !== 0) visit(trie[NODE * node + 1]! + POP[mask & ((1 << c) - 1)]!, depth + 1, child, best)
      // the trie ends here for these numbers: no node at depth k, the best so far
      else if (best >= 0) for (let e = child * span; e < (child + 1) * span; e++) out[3 * e + 2] = best
    }
  }
  visit(0, 0, 0, -1)
  return out
}

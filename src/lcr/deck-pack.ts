/**
 * A rate deck packed into a few typed arrays (issue 20: a 1M-prefix deck took
 * 198 MB as RateRow objects in a Map). Built row by row as parseDeckInto
 * yields them, in the deck worker or in-thread for a small deck; its
 * ArrayBuffers are transferred, not copied, to the thread that routes.
 *
 * The prefixes: an array-mapped trie of digits (blocks placed depth-first). A
 * node has a 10-bit mask of the digits it has children for, and its
 * children are consecutive from firstChild, so the child for digit d is
 * firstChild + (the number of mask bits below d). All of a node is in one
 * Int32Array (node n at 3n: mask | HAS_ROWS, firstChild, rowStart), so a step
 * down the trie is one cache miss, and reading where its rows are none more:
 * 12 bytes a node. A last node past the real ones holds only the rows' end.
 *
 * The rows: the rows of node n are rowStart(n) .. rowStart(n + 1) - 1, in
 * file order (the tie-break). Per row, the rate (Float64) and the index of
 * its terms: the other fields are few distinct tuples in a real deck
 * (increments, fees, dates, band), interned in termTable, 7 numbers each;
 * a band is an index into `bands` (0: none, i: bands[i - 1]).
 */
import { MAX_PREFIX_DIGITS, type RateRow } from './deck.js'

export interface PackedDeck {
  /** Per node (NODE numbers): mask of child digits | HAS_ROWS, the first child, the first row; one more node for the rows' end. */
  trie: Int32Array
  rate: Float64Array
  terms: Int32Array
  /** Per term: connectionFee, firstIncrement, nextIncrement, minimumCharge, validFrom, validTo (NaN: null), band. */
  termTable: Float64Array
  bands: string[]
  /** Distinct prefixes. */
  prefixes: number
}

export const TERM = 7
/** Int32s per trie node. */
export const NODE = 3
/** In a node's mask word: the node has rows. */
export const HAS_ROWS = 1 << 10

/** What to hand to postMessage's transfer list. */
export function packedBuffers(p: PackedDeck): ArrayBuffer[] {
  return [p.trie, p.rate, p.terms, p.termTable].map((a) => a.buffer as ArrayBuffer)
}

/** The bytes a packed deck holds. */
export function packedBytes(p: PackedDeck): number {
  return [p.trie, p.rate, p.terms, p.termTable].reduce((n, a) => n + a.byteLength, 0)
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

const DIGITS = /^\d+$/
// one term's 7 numbers, and their bits to hash (a NaN is always the same NaN here: `?? NaN`)
const TERM_SCRATCH = new Float64Array(TERM)
const TERM_BITS = new Int32Array(TERM_SCRATCH.buffer)

export class PackedBuilder {
  // While building: a node with children has a block of 10 child slots (one per digit), 0 for "none" (the root is no one's
  // child); a leaf, most nodes, has none. Two memory reads per digit where sibling lists took ~10 (2 s of a 1M-row import).
  #block = new Int32Array(1024)
  #kids = new Int32Array(1024 * 10)
  #blocks = 0
  #nodes = 1
  #rowNode = new Int32Array(1024)
  #rate = new Float64Array(1024)
  #term = new Int32Array(1024)
  #rows = 0
  /** Open-addressed hash of the terms (ids + 1, 0: empty): a key string per row cost more than the trie walk. */
  #termHash = new Int32Array(256)
  #termTable = new Float64Array(64 * TERM)
  #termCount = 0
  readonly #bands: string[] = []
  #lastTerm = -1
  /** The last row's prefix and its nodes by depth: a sorted deck's rows share most of their digits with the one before. */
  #lastPrefix = ''
  readonly #path = new Int32Array(MAX_PREFIX_DIGITS + 1)

  /**
   * `expectedRows` (the file's line count) sizes the arrays once: doubling them as rows come took a quarter
   * of a 1M-row import, in copies and in the garbage collections that big discarded buffers set off.
   */
  constructor(expectedRows = 0) {
    if (expectedRows > 1024) {
      this.#rowNode = new Int32Array(expectedRows)
      this.#rate = new Float64Array(expectedRows)
      this.#term = new Int32Array(expectedRows)
      // decks of nested area codes: up to ~1.6 trie nodes a row, ~0.85 with children (a 1M-prefix bench deck of one row a
      // prefix: 1.60M nodes, 0.85M with children); a little over, as doubling a 24 MB array costs more than the spare
      this.#block = new Int32Array(Math.ceil(expectedRows * 1.7))
      this.#kids = new Int32Array(Math.ceil(expectedRows * 0.9) * 10)
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
    if (p.length === 0 || p.length > MAX_PREFIX_DIGITS || !DIGITS.test(p)) throw new RangeError(`prefix "${p}" is not 1–${MAX_PREFIX_DIGITS} digits`)
    const last = this.#lastPrefix
    const path = this.#path
    let i = 0
    while (i < p.length && i < last.length && p.charCodeAt(i) === last.charCodeAt(i)) i++
    let node = path[i]! // path[0] is the root
    for (; i < p.length; i++) path[i + 1] = node = this.#childOf(node, p.charCodeAt(i) - 48)
    this.#lastPrefix = p
    const n = this.#rows++
    if (n >= this.#rate.length) {
      this.#rowNode = grown(this.#rowNode, n + 1)
      this.#rate = grown(this.#rate, n + 1)
      this.#term = grown(this.#term, n + 1)
    }
    this.#rowNode[n] = node
    this.#rate[n] = r.ratePerMinute
    this.#term[n] = this.#termOf(r)
  }

  #childOf(parent: number, d: number): number {
    let b = this.#block[parent]!
    if (b === 0) {
      b = ++this.#blocks
      if (b * 10 > this.#kids.length) this.#kids = grown(this.#kids, b * 10)
      this.#block[parent] = b
    }
    const slot = (b - 1) * 10 + d
    const c = this.#kids[slot]!
    if (c !== 0) return c
    const n = this.#nodes++
    if (n >= this.#block.length) this.#block = grown(this.#block, n + 1)
    this.#kids[slot] = n
    return n
  }

  #termOf(r: RateRow): number {
    let band = 0
    if (r.band !== null) {
      band = this.#bands.indexOf(r.band) + 1
      if (band === 0) band = this.#bands.push(r.band)
    }
    const v = TERM_SCRATCH
    v[0] = r.connectionFee
    v[1] = r.firstIncrement
    v[2] = r.nextIncrement
    v[3] = r.minimumCharge
    v[4] = r.validFrom ?? NaN
    v[5] = r.validTo ?? NaN
    v[6] = band
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

  /** The packed deck, in arrays of exactly its size; the builder is spent. */
  finish(): PackedDeck {
    const nodes = this.#nodes
    const block = this.#block
    const kids = this.#kids
    const trie = new Int32Array((nodes + 1) * NODE)
    // A node's children get consecutive ids, in digit order, placed depth-first: a block right after its parent's, or
    // after its elder siblings' subtrees. The last digits of a number, where most cache misses are, land close together.
    const newId = new Int32Array(nodes)
    const stack = new Int32Array(nodes) // old ids; their new ids are in newId
    let sp = 1
    let tail = 1
    const children = new Int32Array(10)
    while (sp > 0) {
      const old = stack[--sp]!
      const id = newId[old]!
      trie[NODE * id + 1] = tail
      let mask = 0
      let n = 0
      const b = block[old]!
      for (let d = 0; b !== 0 && d < 10; d++) {
        const c = kids[(b - 1) * 10 + d]!
        if (c === 0) continue
        mask |= 1 << d
        newId[c] = tail++
        children[n++] = c
      }
      trie[NODE * id] = mask
      // the first child on top: visited next
      while (n > 0) stack[sp++] = children[--n]!
    }
    const rows = this.#rows
    const rowStart = new Int32Array(nodes + 1)
    for (let i = 0; i < rows; i++) rowStart[newId[this.#rowNode[i]!]! + 1]!++
    let prefixes = 0
    for (let n = 0; n < nodes; n++) {
      if (rowStart[n + 1] !== 0) {
        prefixes++
        trie[NODE * n] = trie[NODE * n]! | HAS_ROWS
      }
      trie[NODE * n + 2] = rowStart[n]!
      rowStart[n + 1]! += rowStart[n]!
    }
    trie[NODE * nodes + 2] = rows
    // rows placed by node, each node's in file order
    const next = rowStart.slice(0, nodes)
    const rate = new Float64Array(rows)
    const terms = new Int32Array(rows)
    for (let i = 0; i < rows; i++) {
      const at = next[newId[this.#rowNode[i]!]!]!++
      rate[at] = this.#rate[i]!
      terms[at] = this.#term[i]!
    }
    const termTable = this.#termTable.slice(0, this.#termCount * TERM)
    this.#block = this.#kids = this.#rowNode = this.#term = new Int32Array(0)
    this.#lastPrefix = ''
    this.#rate = new Float64Array(0)
    return { trie, rate, terms, termTable, bands: [...this.#bands], prefixes }
  }
}

/**
 * One deck import, from the file to a packed deck: read, decode, parse,
 * judge (deckVerdict), pack, and keep a copy of a good file. The same code
 * runs in the deck worker (deck-worker.ts) for a big file and in-thread for
 * a small one (decks.ts decides), so both give the same answers and errors.
 * Only the first LISTED problems travel back: a million-row deck may have
 * 50 000, and the status page shows 20.
 */
import { isAscii } from 'node:buffer'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorMessage } from '../core/errors.js'
import { deckVerdictOf, parseDeckInto, type DeckColumns, type DeckProblem } from './deck.js'
import { parseDeckBytes } from './deck-bytes.js'
import { decodeDeck, encodingNote, type DecodedDeck, type DeckEncoding } from './deck-encoding.js'
import { PackedBuilder, type PackedDeck } from './deck-pack.js'

export const LISTED = 20

export type DeckJob =
  /** The configured file; a good one is copied (as UTF-8) to `keepTo`. */
  | { kind: 'file'; file: string; encoding?: DeckEncoding; columns?: Partial<DeckColumns>; keepTo: string }
  /** The last good copy in the state folder, taken as it is when it has rows. */
  | { kind: 'kept'; file: string; columns?: Partial<DeckColumns> }

export interface DeckOutcome {
  /** null: nothing to use (refused, or no kept copy). */
  packed: PackedDeck | null
  rows: number
  /** The first LISTED problems, with the file's line numbers. */
  problems: DeckProblem[]
  problemCount: number
  /** Why the file was not taken; null when it was (or for a kept copy). */
  refused: string | null
  /** Why the good file could not be copied to the state folder (the deck is used anyway). */
  keepError: string | null
}

export async function importDeck(job: DeckJob): Promise<DeckOutcome> {
  const none: DeckOutcome = { packed: null, rows: 0, problems: [], problemCount: 0, refused: null, keepError: null }
  if (job.kind === 'kept') {
    const bytes = await readFile(job.file).catch(() => null)
    if (bytes === null) return none
    const ascii = asciiBody(bytes)
    const b = new PackedBuilder(lineCount(bytes))
    const { problems } = (ascii && parseDeckBytes(ascii, job.columns, b)) || parseDeckInto(bytes.toString('utf8'), job.columns, (r) => b.add(r), { reuse: true })
    return b.rows ? { ...none, packed: b.finish(), rows: b.rows, problems: problems.slice(0, LISTED), problemCount: problems.length } : none
  }
  let bytes: Buffer
  try {
    bytes = await readFile(job.file)
  } catch (err) {
    return { ...none, refused: `cannot read ${job.file}: ${errorMessage(err)}` }
  }
  const b = new PackedBuilder(lineCount(bytes))
  // the usual deck, plain ASCII (a UTF-8 byte-order mark aside): read from its bytes, not decoded
  const ascii = job.encoding === undefined ? asciiBody(bytes) : null
  let decoded: Pick<DecodedDeck, 'encoding' | 'how'>
  let parsed = ascii && parseDeckBytes(ascii, job.columns, b)
  if (ascii) {
    decoded = { encoding: 'utf-8', how: ascii.length < bytes.length ? 'byte-order mark' : 'detected' }
    // ASCII is its own Latin-1 (no TextDecoder check) and its own UTF-8 (the kept copy is the bytes)
    parsed ||= parseDeckInto(ascii.toString('latin1'), job.columns, (r) => b.add(r), { reuse: true })
  } else {
    const d = decodeDeck(bytes, job.encoding)
    decoded = d
    parsed = parseDeckInto(d.text, job.columns, (r) => b.add(r), { reuse: true })
  }
  // a header that does not match is most often an encoding guessed wrong: say which one was used
  const problems = parsed.problems.map((p) => (/ in the header/.test(p.message) ? { ...p, message: `${p.message}; ${encodingNote(decoded)}` } : p))
  const verdict = deckVerdictOf(b.rows, problems)
  const listed = { problems: problems.slice(0, LISTED), problemCount: problems.length }
  if (!verdict.ok) return { ...none, ...listed, refused: verdict.message }
  const packed = b.finish()
  // kept as UTF-8: the copy is read back without guessing
  const keepAs = ascii ?? (decoded as DecodedDeck).text
  return { ...none, ...listed, packed, rows: packed.rate.length, keepError: await keep(job.keepTo, keepAs) }
}

/**
 * The bytes after a UTF-8 byte-order mark, when they are plain ASCII without a zero byte (so not UTF-16): they read
 * the same as UTF-8, without decoding, and they are their own UTF-8 (the kept copy is written without re-encoding
 * 25 MB). null for any other file.
 */
function asciiBody(bytes: Buffer): Buffer | null {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes
  return isAscii(body) && !body.includes(0) ? body : null
}

/** At least the rows a deck can have (a lone-CR file counts as one line: the arrays then grow as rows come). */
function lineCount(bytes: Uint8Array): number {
  let n = 1
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++
  return n
}

/** Written beside and renamed: a power cut leaves the old copy or the new one. */
async function keep(path: string, text: string | Uint8Array): Promise<string | null> {
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(`${path}.tmp`, text)
    await rename(`${path}.tmp`, path)
    return null
  } catch (err) {
    return errorMessage(err)
  }
}

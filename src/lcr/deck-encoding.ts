/**
 * The text of a rate deck from its bytes. Carriers' price lists come out of
 * Excel: "CSV UTF-8" (with a BOM), "Unicode text" (UTF-16 LE with a BOM,
 * tab-separated), or plain "CSV" in the ANSI code page of the Windows that saved
 * it, Windows-1251 on a Russian one. A BOM decides; without one, bytes that are
 * valid UTF-8 are UTF-8, and anything else is Windows-1251 (UTF-16 without a BOM
 * is told by its zero bytes). `deck.encoding` overrides the guess. Node's own
 * TextDecoder (ICU) does the decoding: no library needed.
 */
export const DECK_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1251'] as const
export type DeckEncoding = (typeof DECK_ENCODINGS)[number]

export interface DecodedDeck {
  text: string
  encoding: DeckEncoding
  /** How the encoding was settled: the config said so, a byte-order mark, or a guess from the bytes. */
  how: 'configured' | 'byte-order mark' | 'detected'
}

export function decodeDeck(buf: Uint8Array, configured?: DeckEncoding): DecodedDeck {
  const bom = byteOrderMark(buf)
  if (configured) return { text: decode(buf.subarray(bom?.encoding === configured ? bom.length : 0), configured), encoding: configured, how: 'configured' }
  if (bom) return { text: decode(buf.subarray(bom.length), bom.encoding), encoding: bom.encoding, how: 'byte-order mark' }
  const utf16 = utf16WithoutBom(buf)
  if (utf16) return { text: decode(buf, utf16), encoding: utf16, how: 'detected' }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8', how: 'detected' }
  } catch {
    return { text: decode(buf, 'windows-1251'), encoding: 'windows-1251', how: 'detected' }
  }
}

/** Said next to a header the mapping does not match: the usual cause is an encoding guessed wrong. */
export function encodingNote(d: Pick<DecodedDeck, 'encoding' | 'how'>): string {
  return `the file was read as ${d.encoding} (${d.how}); if that is wrong, set deck.encoding (${DECK_ENCODINGS.join(', ')})`
}

function decode(buf: Uint8Array, encoding: DeckEncoding): string {
  return new TextDecoder(encoding).decode(buf)
}

function byteOrderMark(b: Uint8Array): { encoding: DeckEncoding; length: number } | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', length: 3 }
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 }
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 }
  return null
}

/** A deck's header is ASCII or Cyrillic: in UTF-16 every other byte of it is zero (ASCII) or 0x04 (Cyrillic). */
function utf16WithoutBom(b: Uint8Array): DeckEncoding | null {
  const n = Math.min(b.length - (b.length % 2), 512)
  if (n < 4) return null
  let evenZeros = 0
  let oddZeros = 0
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++
    if (b[i + 1] === 0) oddZeros++
  }
  const pairs = n / 2
  if (oddZeros > pairs * 0.4 && evenZeros === 0) return 'utf-16le'
  if (evenZeros > pairs * 0.4 && oddZeros === 0) return 'utf-16be'
  return null
}

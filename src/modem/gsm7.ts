/**
 * The GSM 7-bit default alphabet with its extension table (3GPP TS 23.038
 * §6.2.1, §6.2.1.1) and septet packing (§6.1.2.1.1). Shared by USSD replies
 * and SMS user data. Pure functions.
 */

/** GSM 03.38 default alphabet, by septet value (0x1B is ESC, the escape to the extension table). */
export const GSM7_DEFAULT =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'

export const GSM7_ESC = 0x1b

/** Extension table: the septet after ESC for each character (23.038 §6.2.1.1; the rest are unused). */
export const GSM7_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
])

const EXTENSION_CHAR = new Map([...GSM7_EXTENSION].map(([ch, s]) => [s, ch]))

/** Septet of a default-alphabet character, or -1 (ESC itself is not a character). */
export function defaultSeptet(ch: string): number {
  const s = ch.length === 1 ? GSM7_DEFAULT.indexOf(ch) : -1
  return s === GSM7_ESC ? -1 : s
}

/** Septets a character takes: 1 in the default alphabet, 2 (ESC + code) from the extension table, 0 when not representable. */
export function septetsOf(ch: string): number {
  if (defaultSeptet(ch) >= 0) return 1
  return GSM7_EXTENSION.has(ch) ? 2 : 0
}

/** Whether every character fits GSM-7 (default alphabet or extension table). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (septetsOf(ch) === 0) return false
  return true
}

/** Text → septets (extension characters as ESC + code); null when a character is not representable. */
export function gsm7Septets(text: string): number[] | null {
  const out: number[] = []
  for (const ch of text) {
    const s = defaultSeptet(ch)
    if (s >= 0) out.push(s)
    else {
      const ext = GSM7_EXTENSION.get(ch)
      if (ext === undefined) return null
      out.push(GSM7_ESC, ext)
    }
  }
  return out
}

/**
 * Septets → text; null when a septet is out of range, ESC ends the text or
 * escapes an unused code (23.038 §6.2.1.1 lets a phone show the default
 * character instead; we are strict so a bad encoder shows up).
 */
export function septetsToText(septets: readonly number[]): string | null {
  let out = ''
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]!
    if (!Number.isInteger(s) || s < 0 || s > 0x7f) return null
    if (s !== GSM7_ESC) {
      out += GSM7_DEFAULT[s]
      continue
    }
    const ch = EXTENSION_CHAR.get(septets[++i] ?? -1)
    if (ch === undefined) return null
    out += ch
  }
  return out
}

/**
 * Packs septets LSB first into octets (23.038 §6.1.2.1.1), after `fillBits`
 * zero bits: the fill that aligns text after a user data header to a septet
 * boundary (23.040 §9.2.3.24). Spare bits at the end are zero (SMS: the UDL
 * gives the count; the CR padding of §6.1.2.3 is for USSD).
 */
export function packSeptets(septets: readonly number[], fillBits = 0): Buffer {
  const out = Buffer.alloc(Math.ceil((fillBits + septets.length * 7) / 8))
  septets.forEach((septet, i) => {
    const s = septet & 0x7f
    const bit = fillBits + i * 7
    const at = bit >> 3
    const shift = bit & 7
    out[at]! |= (s << shift) & 0xff
    if (shift > 1) out[at + 1]! |= s >> (8 - shift)
  })
  return out
}

/** The inverse of packSeptets: `count` septets after `fillBits`; RangeError when `buf` is too short for them. */
export function unpackSeptets(buf: Uint8Array, count: number, fillBits = 0): number[] {
  if (Math.ceil((fillBits + count * 7) / 8) > buf.length) throw new RangeError(`${count} septets do not fit in ${buf.length} octets`)
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const bit = fillBits + i * 7
    const at = bit >> 3
    const shift = bit & 7
    let v = buf[at]! >> shift
    if (shift > 1) v |= buf[at + 1]! << (8 - shift)
    out.push(v & 0x7f)
  }
  return out
}

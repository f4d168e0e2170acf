/**
 * USSD replies (+CUSD) and the two text encodings modems use for them:
 * UCS2 as hex (Cyrillic balances) and GSM-7, plain or packed as hex (Huawei).
 * Pure functions, table-tested against real replies.
 */
import { GSM7_ESC, septetsToText, unpackSeptets } from './gsm7.js'
import { int, splitFields } from './parse.js'

/** UCS2 (UTF-16BE) as hex → text; null when it is not well-formed hex of 16-bit units. */
export function decodeUcs2Hex(hex: string): string | null {
  if (!/^(?:[0-9A-Fa-f]{4})+$/.test(hex)) return null
  let out = ''
  for (let i = 0; i < hex.length; i += 4) out += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16))
  return out
}

export function encodeUcs2Hex(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')
  return out
}

/** GSM-7 septets packed into octets, as hex → text (23.038 §6.1.2.1; a trailing CR fill is dropped). */
export function decodePackedGsm7Hex(hex: string): string | null {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return null
  const bytes = Buffer.from(hex, 'hex')
  const septets = unpackSeptets(bytes, Math.floor((bytes.length * 8) / 7))
  // 7 septets in 7 octets leave an 8th slot: a CR there (or a zero) is padding, not text
  if (bytes.length % 7 === 0 && (septets.at(-1) === 0x0d || septets.at(-1) === 0)) septets.pop()
  // the default alphabet only: an ESC (extension table) makes it not-text, as before
  return septets.includes(GSM7_ESC) ? null : septetsToText(septets)
}

/** Code points a UCS2 reply of ours plausibly holds: Latin, Cyrillic, Arabic, punctuation, currency. */
function plausibleText(s: string): boolean {
  for (const ch of s) {
    const c = ch.charCodeAt(0)
    const ok = (c >= 0x20 && c <= 0x24f) || c === 0x0a || c === 0x0d || (c >= 0x370 && c <= 0x6ff) || (c >= 0x2000 && c <= 0x20cf)
    if (!ok) return false
  }
  return true
}

/** 23.038 §5 CBS data coding: does this DCS say UCS2? */
function dcsIsUcs2(dcs: number | null): boolean {
  if (dcs === null) return false
  return dcs === 0x11 || ((dcs & 0xc0) === 0x40 && (dcs & 0x0c) === 0x08) || (dcs & 0xf0) === 0x90
}

/**
 * The text of a USSD reply. Modems encode by their character set (AT+CSCS),
 * not by the DCS the network sent, so the shape decides: hex of 16-bit units
 * that reads as text is UCS2; other hex with a GSM-7 DCS is packed GSM-7
 * (Huawei); anything else is the text itself.
 */
export function decodeUssdText(raw: string, dcs: number | null): string {
  const ucs2 = decodeUcs2Hex(raw)
  if (ucs2 !== null && (dcsIsUcs2(dcs) || plausibleText(ucs2))) return ucs2
  if (/^[0-9A-Fa-f]+$/.test(raw) && raw.length >= 14) {
    const packed = decodePackedGsm7Hex(raw)
    if (packed !== null && plausibleText(packed)) return packed
  }
  return raw
}

export interface CusdInfo {
  /** 0 done, 1 more action needed, 2 terminated by the network, 4 not supported, 5 time-out. */
  status: number
  /** The <str> field as sent (still encoded); null when absent. */
  text: string | null
  dcs: number | null
  /** The text as a person reads it; null when there is none. */
  decoded: string | null
}

/** +CUSD: <m>[,<str>[,<dcs>]] */
export function parseCusd(line: string): CusdInfo | null {
  if (!line.startsWith('+CUSD:')) return null
  const f = splitFields(line)
  const status = int(f[0]?.text)
  if (status === null) return null
  const text = f.length > 1 ? rawString(line) : null
  const dcs = int(f[2]?.text)
  return { status, text, dcs, decoded: text === null ? null : decodeUssdText(text, dcs) }
}

/** The quoted <str> exactly as sent (splitFields trims, and the text may start with a space). */
function rawString(line: string): string | null {
  const m = /^\+CUSD:\s*\d+\s*,\s*"([\s\S]*)"/.exec(line)
  if (m) return m[1]!
  const f = splitFields(line)
  return f[1]?.text ?? null
}

/** A money amount from a balance reply ("Баланс:2220,76р", "Vash balans 968.98 r."), or null. */
export function parseBalance(text: string): number | null {
  const m = /(-?\d+(?:[.,]\d{1,2})?)(?!\d)/.exec(text.replace(/(\d)\s(?=\d{3}\b)/g, '$1'))
  return m ? Number(m[1]!.replace(',', '.')) : null
}

/**
 * SMS-SUBMIT in PDU mode (AT+CMGF=0): splitting a text into parts, encoding
 * each part as a TPDU (3GPP TS 23.040 §9.2.2.2) and decoding one back for the
 * simulator and tests. Our own because the npm codecs split GSM-7 escape
 * pairs across parts and reuse concatenation reference 0. Pure functions.
 */
import { gsm7Septets, isGsm7, packSeptets, septetsOf, septetsToText, unpackSeptets } from './gsm7.js'
import { decodeUcs2Hex, encodeUcs2Hex } from './ussd.js'

export type SmsEncoding = 'gsm7' | 'ucs2'
export interface SmsPlan {
  encoding: SmsEncoding
  /** The text of each part, in order. */
  parts: string[]
}
export interface SmsConcat {
  /** Same for every part of one message, 0..255. */
  ref: number
  total: number
  /** 1-based. */
  seq: number
}
export interface EncodeOptions {
  /** Relative TP-VP octet (23.040 §9.2.3.12.1); default 0xA7 = 24 h; false: no validity period (TP-VPF 00). */
  validity?: number | false
}
export interface SubmitPdu {
  /** SCA '00' then the TPDU, upper-case hex, as written after AT+CMGS. */
  hex: string
  /** Octets after the SCA: the AT+CMGS=<length> argument. */
  tpduLength: number
}

/** User data limits (23.040 §9.2.3.16, 140 octets): one part, or a part after the 6-octet concatenation header. */
const LIMITS = { gsm7: { single: 160, multi: 153 }, ucs2: { single: 70, multi: 67 } } as const
const MAX_ADDRESS_DIGITS = 20 // 10 octets of semi-octets (23.040 §9.1.2.5)

/** Splits a text: GSM-7 when every char fits (extension chars count 2 septets), else UCS2; never splits an ESC or surrogate pair. */
export function planSms(text: string, opts: { maxParts?: number } = {}): SmsPlan {
  const maxParts = opts.maxParts ?? 10
  if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > 255) throw new Error(`maxParts must be an integer 1..255, got ${maxParts}`)
  if (text.length === 0) throw new Error('SMS text is empty')
  const encoding: SmsEncoding = isGsm7(text) ? 'gsm7' : 'ucs2'
  // Code points keep a surrogate pair together; an extension char is one code point of 2 septets.
  const chars = [...text]
  const size = (ch: string): number => (encoding === 'gsm7' ? septetsOf(ch) : ch.length)
  const units = chars.reduce((n, ch) => n + size(ch), 0)
  const limit = LIMITS[encoding]
  if (units <= limit.single) return { encoding, parts: [text] }
  const parts: string[] = []
  let part = ''
  let used = 0
  for (const ch of chars) {
    if (used + size(ch) > limit.multi) {
      parts.push(part)
      part = ''
      used = 0
    }
    part += ch
    used += size(ch)
  }
  parts.push(part)
  if (parts.length > maxParts) {
    const unit = encoding === 'gsm7' ? 'GSM-7 septets' : 'UCS2 characters'
    throw new Error(`SMS text is too long: ${units} ${unit} need ${parts.length} parts, more than the ${maxParts} allowed`)
  }
  return { encoding, parts }
}

/** One SMS-SUBMIT TPDU (with SCA '00': the SIM's SMSC) for one part; throws on a bad number, text or concat. */
export function encodeSubmitPdu(to: string, text: string, encoding: SmsEncoding, concat?: SmsConcat, opts: EncodeOptions = {}): SubmitPdu {
  const validity = opts.validity ?? 0xa7
  if (validity !== false && !byte(validity)) throw new Error(`validity must be an octet 0..255 or false, got ${validity}`)
  if (concat && !(byte(concat.ref) && byte(concat.total) && concat.total >= 1 && Number.isInteger(concat.seq) && concat.seq >= 1 && concat.seq <= concat.total))
    throw new Error(`bad concatenation ${JSON.stringify(concat)}: ref 0..255, total 1..255, seq 1..total`)
  // Concatenated SM, 8-bit reference IE (23.040 §9.2.3.24.1)
  const udh = concat ? Buffer.from([5, 0x00, 3, concat.ref, concat.total, concat.seq]) : Buffer.alloc(0)
  let udl: number
  let body: Buffer
  if (encoding === 'gsm7') {
    const septets = gsm7Septets(text)
    if (septets === null) throw new Error('text has characters outside the GSM-7 alphabet: send it as ucs2')
    // Text after a UDH starts on a septet boundary; the UDL counts the header's septets too (§9.2.3.16).
    const udhSeptets = Math.ceil((udh.length * 8) / 7)
    udl = udhSeptets + septets.length
    body = packSeptets(septets, udhSeptets * 7 - udh.length * 8)
    if (udl > LIMITS.gsm7.single) throw new Error(`text needs ${udl} septets with its header, more than 160: split it with planSms`)
  } else {
    body = Buffer.from(encodeUcs2Hex(text), 'hex')
    udl = udh.length + body.length
    if (udl > 140) throw new Error(`text needs ${udl} octets with its header, more than 140: split it with planSms`)
  }
  // First octet: TP-MTI 01 SUBMIT, TP-VPF 10 relative (bit 4), TP-UDHI (bit 6)  (§9.2.2.2)
  const firstOctet = 0x01 | (validity === false ? 0 : 0x10) | (concat ? 0x40 : 0)
  const tpdu = Buffer.concat([
    Buffer.from([firstOctet, 0x00]), // TP-MR 0: the modem sets it
    encodeAddress(to),
    Buffer.from([0x00, encoding === 'gsm7' ? 0x00 : 0x08]), // TP-PID, TP-DCS (23.038 §4)
    Buffer.from(validity === false ? [udl] : [validity, udl]),
    udh,
    body,
  ])
  return { hex: '00' + tpdu.toString('hex').toUpperCase(), tpduLength: tpdu.length }
}

/** All PDUs of a text, one per part, with the same reference for all parts of the message. */
export function submitPdus(to: string, text: string, ref: number, opts: { maxParts?: number } & EncodeOptions = {}): { encoding: SmsEncoding; pdus: SubmitPdu[] } {
  if (!byte(ref)) throw new Error(`concatenation reference must be 0..255, got ${ref}`)
  const { encoding, parts } = planSms(text, opts)
  const total = parts.length
  const pdus = parts.map((part, i) => encodeSubmitPdu(to, part, encoding, total > 1 ? { ref, total, seq: i + 1 } : undefined, opts))
  return { encoding, pdus }
}

export interface DecodedSubmit {
  to: string
  /** For '8bit' user data: the octets as upper-case hex. */
  text: string
  encoding: SmsEncoding | '8bit'
  concat: SmsConcat | null
  tpduLength: number
}

/** An SMS-SUBMIT PDU (with its SCA, as written to the modem) back to its parts; null when malformed. Never throws. */
export function decodeSubmitPdu(hex: string): DecodedSubmit | null {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return null
  const b = Buffer.from(hex, 'hex')
  let i = 1 + b[0]! // skip the SCA
  const tpduLength = b.length - i
  if (tpduLength < 7) return null // first octet, MR, DA length and type, PID, DCS, UDL at the least
  const firstOctet = b[i]!
  if ((firstOctet & 0x03) !== 0x01) return null // not an SMS-SUBMIT
  const digits = b[i + 2]!
  const daOctets = Math.ceil(digits / 2)
  const to = decodeAddress(digits, b[i + 3]!, b.subarray(i + 4, i + 4 + daOctets))
  i += 4 + daOctets + 1 // first octet, MR, DA length, DA type, DA digits; then TP-PID
  const alphabet = dcsAlphabet(b[i++] ?? -1)
  i += [0, 7, 1, 7][(firstOctet >> 3) & 0x03]! // TP-VP: none, enhanced, relative, absolute (§9.2.3.12)
  if (to === null || alphabet === null || i >= b.length) return null
  const udl = b[i++]!
  const ud = b.subarray(i)
  // the UDL must match the data left and fit one SM (23.040 §9.2.3.16)
  if (udl > (alphabet === 'gsm7' ? LIMITS.gsm7.single : 140)) return null
  if (ud.length !== (alphabet === 'gsm7' ? Math.ceil((udl * 7) / 8) : udl)) return null
  let headerOctets = 0
  let concat: SmsConcat | null = null
  if (firstOctet & 0x40) {
    headerOctets = 1 + (ud[0] ?? 0xff)
    const parsed = headerOctets <= ud.length ? parseConcat(ud.subarray(1, headerOctets)) : undefined
    if (parsed === undefined) return null
    concat = parsed
  }
  let text: string | null
  if (alphabet === 'gsm7') {
    const headerSeptets = Math.ceil((headerOctets * 8) / 7)
    if (headerSeptets > udl) return null
    // ud.length === ceil(udl*7/8), so the septets after the header and its fill bits are all there
    text = septetsToText(unpackSeptets(ud.subarray(headerOctets), udl - headerSeptets, headerSeptets * 7 - headerOctets * 8))
  } else {
    const data = ud.subarray(headerOctets)
    if (alphabet === '8bit') text = data.toString('hex').toUpperCase()
    else text = data.length === 0 ? '' : data.length % 2 === 0 ? decodeUcs2Hex(data.toString('hex')) : null
  }
  return text === null ? null : { to, text, encoding: alphabet, concat, tpduLength }
}

/** Why a destination number is refused, or null: '+' and 7..15 digits (E.164), or 3..20 digits (short or national). */
export function smsNumberProblem(to: string): string | null {
  if (to === '') return 'the number is empty'
  const international = to.startsWith('+')
  const digits = international ? to.slice(1) : to
  if (!/^\d*$/.test(digits)) return `'${to}' is not a number: only digits after an optional leading '+' (no spaces, dashes or letters)`
  if (international && (digits.length < 7 || digits.length > 15)) return `an international number has 7..15 digits after '+', '${to}' has ${digits.length}`
  if (!international && (digits.length < 3 || digits.length > 20)) return `a short or national number has 3..20 digits, '${to}' has ${digits.length}`
  return null
}

function byte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255
}

const SEMI_OCTETS = '0123456789*#' // BCD digits, then 1010 '*' and 1011 '#' (23.040 §9.1.2.3)

/** TP-DA (23.040 §9.1.2.5): digit count, type (0x91 international, 0x81 unknown/national), swapped semi-octets padded with F. */
function encodeAddress(to: string): Buffer {
  const m = /^(\+?)([0-9*#]{1,20})$/.exec(to)
  if (!m) throw new Error(`bad SMS destination '${to}': digits, '*' and '#' (at most ${MAX_ADDRESS_DIGITS}) after an optional '+'`)
  const digits = m[2]!
  const out = Buffer.alloc(2 + Math.ceil(digits.length / 2), 0xff)
  out[0] = digits.length
  out[1] = m[1] ? 0x91 : 0x81
  for (let k = 0; k < digits.length; k++) {
    const v = SEMI_OCTETS.indexOf(digits[k]!)
    const at = 2 + (k >> 1)
    out[at] = k % 2 === 0 ? (out[at]! & 0xf0) | v : (out[at]! & 0x0f) | (v << 4)
  }
  return out
}

/** The inverse of encodeAddress; null for alphanumeric addresses, bad semi-octets or a short field. */
function decodeAddress(digits: number, type: number | undefined, field: Buffer): string | null {
  if (type === undefined || digits < 1 || digits > MAX_ADDRESS_DIGITS || field.length !== Math.ceil(digits / 2)) return null
  if ((type & 0x70) === 0x50) return null // alphanumeric (TON 101): not something we send
  let out = (type & 0x70) === 0x10 ? '+' : ''
  for (let k = 0; k < digits; k++) {
    const ch = SEMI_OCTETS[k % 2 === 0 ? field[k >> 1]! & 0x0f : field[k >> 1]! >> 4]
    if (ch === undefined) return null
    out += ch
  }
  if (digits % 2 === 1 && field.at(-1)! >> 4 !== 0x0f) return null // the odd digit's pad must be F
  return out
}

/** 23.038 §4: the alphabet a TP-DCS selects; null for compressed, reserved or unknown groups. */
function dcsAlphabet(dcs: number): SmsEncoding | '8bit' | null {
  if (dcs < 0) return null
  if ((dcs & 0x80) === 0) {
    // 00xx general data coding, 01xx the same marked for automatic deletion; bit 5 = compressed (23.042)
    if (dcs & 0x20) return null
    return (['gsm7', '8bit', 'ucs2', null] as const)[(dcs >> 2) & 0x03]!
  }
  const group = dcs & 0xf0
  if (group === 0xc0 || group === 0xd0) return 'gsm7' // message waiting, discard / store
  if (group === 0xe0) return 'ucs2' // message waiting, store, UCS2
  if (group === 0xf0) return dcs & 0x04 ? '8bit' : 'gsm7' // data coding / message class
  return null // 1000..1011 reserved
}

/**
 * Concatenation from the UDH's information elements (23.040 §9.2.3.24):
 * IE 00 (8-bit reference) or 08 (16-bit); other IEs are skipped. undefined
 * when the IEs overrun the header or a concat IE is malformed.
 */
function parseConcat(h: Buffer): SmsConcat | null | undefined {
  let concat: SmsConcat | null = null
  for (let j = 0; j < h.length; ) {
    const iei = h[j]!
    const len = h[j + 1]
    if (len === undefined || j + 2 + len > h.length) return undefined
    const d = h.subarray(j + 2, j + 2 + len)
    if (iei === 0x00 || iei === 0x08) {
      if (len !== (iei === 0x00 ? 3 : 4)) return undefined
      const ref = iei === 0x00 ? d[0]! : d.readUInt16BE(0)
      const [total, seq] = [d[len - 2]!, d[len - 1]!]
      if (total < 1 || seq < 1 || seq > total) return undefined
      concat = { ref, total, seq }
    }
    j += 2 + len
  }
  return concat
}

/**
 * Pure parsers for what 3GPP TS 27.007 modems send. No I/O, table-tested.
 */
import type { Registration } from '../core/state.js'

export type FinalResult =
  | { ok: true; code: 'OK' | 'CONNECT'; detail?: string | null }
  | {
      ok: false
      code: 'ERROR' | 'CME ERROR' | 'CMS ERROR' | 'NO CARRIER' | 'BUSY' | 'NO ANSWER' | 'NO DIALTONE' | 'COMMAND NOT SUPPORT' | 'TOO MANY PARAMETERS'
      detail: string | null
    }

/**
 * A line that ends a command, or null when the line is not a final result
 * code. Verbose codes only (the driver sends ATV1). "CONNECT OK" and
 * "SEND OK" (SIMCom TCP status) are not finals; "CONNECT 115200" is.
 */
export function parseFinal(line: string): FinalResult | null {
  switch (line) {
    case 'OK':
      return { ok: true, code: 'OK' }
    case 'ERROR':
    case 'NO CARRIER':
    case 'BUSY':
    case 'NO ANSWER':
    case 'NO DIALTONE':
    case 'COMMAND NOT SUPPORT': // Huawei
    case 'TOO MANY PARAMETERS': // Huawei
      return { ok: false, code: line, detail: null }
  }
  const connect = /^CONNECT(?: (\d[\w/ .]*))?$/.exec(line)
  if (connect) return connect[1] === undefined ? { ok: true, code: 'CONNECT' } : { ok: true, code: 'CONNECT', detail: connect[1] }
  // the detail is a number or words: a "+" means another line was glued on (Huawei "+CME ERROR: 25+CNUM: ...")
  const m = /^\+(CME|CMS) ERROR:\s*([^+]*)$/.exec(line)
  if (m) return { ok: false, code: m[1] === 'CME' ? 'CME ERROR' : 'CMS ERROR', detail: m[2]!.trim() }
  return null
}

/** Unsolicited result codes this driver understands. */
export function isUnsolicited(line: string): boolean {
  return line === 'RING' || /^\+(CLIP|CREG|CGREG|CEREG|C5GREG|CRING|CMTI|CUSD|CLCC):/.test(line)
}

export interface Field {
  /** The text, unquoted and trimmed. */
  text: string
  /** Whether it was in quotes: a quoted field is a string (a LAC, a number), never a <stat>. */
  quoted: boolean
}

/** Split the fields after "+XXX:", respecting quotes; with whether each was quoted. */
export function splitFields(line: string): Field[] {
  const colon = line.indexOf(':')
  const rest = colon >= 0 ? line.slice(colon + 1) : line
  const out: Field[] = []
  let cur = ''
  let quoted = false
  let wasQuoted = false
  for (const ch of rest) {
    if (ch === '"') {
      quoted = !quoted
      wasQuoted = true
    } else if (ch === ',' && !quoted) {
      out.push({ text: cur.trim(), quoted: wasQuoted })
      cur = ''
      wasQuoted = false
    } else cur += ch
  }
  out.push({ text: cur.trim(), quoted: wasQuoted })
  return out
}

/** Split the fields after "+XXX:", respecting quotes; returns unquoted, trimmed fields. */
export function fields(line: string): string[] {
  return splitFields(line).map((f) => f.text)
}

/** A decimal field, zero padding allowed ("001"); null when empty or not a number. */
export function int(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : null
}

/** A hex field (LAC, TAC, cell id) upper-cased as sent; null when empty or not hex. */
function hex(f: Field | undefined): string | null {
  return f && /^[0-9A-Fa-f]+$/.test(f.text) ? f.text.toUpperCase() : null
}

const REG_STAT: Record<number, Registration> = {
  0: 'not-registered',
  1: 'home',
  2: 'searching',
  3: 'denied',
  4: 'unknown',
  5: 'roaming',
  // 6–7 are SMS-only registrations (home/roaming), 8 emergency only, 9–10 CSFB not preferred
  6: 'home',
  7: 'roaming',
  8: 'denied',
  9: 'home',
  10: 'roaming',
}

export interface CregInfo {
  registration: Registration
  lac: string | null
  cellId: string | null
}

export interface RegistrationReport extends CregInfo {
  /** Which command family: CREG (circuit), CGREG (GPRS), CEREG (LTE), C5GREG (NR). */
  family: 'CREG' | 'CGREG' | 'CEREG' | 'C5GREG'
  /** `answer` (leads with <n>, what AT+CxREG? returns) or `report` (leads with <stat>). */
  kind: 'answer' | 'report'
  /** 27.007 <stat> as sent. */
  stat: number
  /** 27.007 <AcT> (0 GSM, 2 UTRAN, 7 E-UTRAN, 11 NR, ...), when given. */
  act: number | null
}

/**
 * +CREG/+CGREG/+CEREG/+C5GREG in every shape modems send. Answers to
 * AT+CxREG? lead with <n> (`+CREG: 2,1,"18D8","FFFF"`); reports do not
 * (`+CREG: 1,"18D8","FFFF",7`), and some modems send answer-shaped lines
 * unsolicited. One field is a report, two an answer; with more, the second
 * field decides: an unquoted number of at most three digits is a <stat>,
 * anything else (quoted, longer, hex) is a LAC. Fields may be quoted or
 * not, zero-padded, spaced, empty, or followed by extras (RAC, reject
 * causes, PSM timers, NSSAI), which are ignored.
 */
export function parseRegistration(line: string): RegistrationReport | null {
  const m = /^\+(CREG|CGREG|CEREG|C5GREG):/.exec(line)
  if (!m) return null
  const f = splitFields(line)
  const second = f[1]
  const answer = f.length === 2 || (f.length > 2 && second !== undefined && !second.quoted && /^\d{1,3}$/.test(second.text))
  const stat = int((answer ? f[1] : f[0])?.text)
  if (stat === null) return null
  let loc = f.slice(answer ? 2 : 1)
  // Novatel puts an extra short field between the TAC and the cell id: "1F00, 20 ,79D903 ,7"
  if (loc.length >= 4 && /^\d{1,2}$/.test(loc[1]!.text) && /^[0-9A-Fa-f]{4,}$/.test(loc[2]!.text) && int(loc[3]!.text) !== null) {
    loc = [loc[0]!, ...loc.slice(2)]
  }
  return {
    family: m[1] as RegistrationReport['family'],
    kind: answer ? 'answer' : 'report',
    stat,
    registration: REG_STAT[stat] ?? 'unknown',
    lac: hex(loc[0]),
    cellId: hex(loc[1]),
    act: int(loc[2]?.text),
  }
}

/** Registration info from any +CxREG line (both shapes); null when the line is not one. */
export function parseCreg(line: string): CregInfo | null {
  const r = parseRegistration(line)
  return r && { registration: r.registration, lac: r.lac, cellId: r.cellId }
}

/**
 * +CSQ: <rssi>,<ber> → CSQ, dBm and bit error rate. 27.007: 0 → ≤ -113 dBm,
 * 31 → ≥ -51 dBm, 99 unknown; Quectel adds 100..191 for TD-SCDMA
 * (-116..-25 dBm) with 199 unknown. A test answer with ranges is null.
 */
export function parseCsq(line: string): { csq: number | null; rssiDbm: number | null; ber: number | null } | null {
  if (!line.startsWith('+CSQ:')) return null
  const [rssi, ber] = fields(line)
  const csq = int(rssi)
  if (csq === null) return null
  const b = int(ber)
  const berOut = b === null || b === 99 ? null : b
  if (csq <= 31) return { csq, rssiDbm: -113 + 2 * csq, ber: berOut }
  if (csq >= 100 && csq <= 191) return { csq, rssiDbm: -116 + (csq - 100), ber: berOut }
  return { csq: null, rssiDbm: null, ber: berOut }
}

export interface CopsInfo {
  mode: number
  format: number | null
  operator: string | null
  act: number | null
}

/** +COPS: <mode>[,<format>,<oper>[,<AcT>]] in full. */
export function parseCopsInfo(line: string): CopsInfo | null {
  if (!line.startsWith('+COPS:')) return null
  const f = fields(line)
  const mode = int(f[0])
  if (mode === null) return null
  return { mode, format: int(f[1]), operator: f[2] ? f[2] : null, act: int(f[3]) }
}

/** +COPS: <mode>[,<format>,<oper>[,<AcT>]] → the operator name, or null when not registered. */
export function parseCops(line: string): string | null {
  return parseCopsInfo(line)?.operator ?? null
}

/** +CPIN: READY | SIM PIN | ... */
export function parseCpin(line: string): string | null {
  if (!line.startsWith('+CPIN:')) return null
  return line.slice(6).trim() || null
}

/**
 * Pure parsers for what 3GPP TS 27.007 modems send. No I/O, table-tested.
 */
import type { Registration } from '../core/state.js'

export type FinalResult =
  | { ok: true; code: 'OK' | 'CONNECT' }
  | { ok: false; code: 'ERROR' | 'CME ERROR' | 'CMS ERROR' | 'NO CARRIER' | 'BUSY' | 'NO ANSWER' | 'NO DIALTONE'; detail: string | null }

/** A line that ends a command, or null when the line is not a final result code. */
export function parseFinal(line: string): FinalResult | null {
  switch (line) {
    case 'OK':
      return { ok: true, code: 'OK' }
    case 'ERROR':
    case 'NO CARRIER':
    case 'BUSY':
    case 'NO ANSWER':
    case 'NO DIALTONE':
      return { ok: false, code: line, detail: null }
  }
  if (line === 'CONNECT' || line.startsWith('CONNECT ')) return { ok: true, code: 'CONNECT' }
  const m = /^\+(CME|CMS) ERROR:\s*(.*)$/.exec(line)
  if (m) return { ok: false, code: m[1] === 'CME' ? 'CME ERROR' : 'CMS ERROR', detail: m[2]!.trim() }
  return null
}

/** Unsolicited result codes this driver understands. */
export function isUnsolicited(line: string): boolean {
  return line === 'RING' || /^\+(CLIP|CREG|CRING):/.test(line)
}

/** Split the fields after "+XXX:", respecting quotes; returns unquoted, trimmed fields. */
export function fields(line: string): string[] {
  const colon = line.indexOf(':')
  const rest = colon >= 0 ? line.slice(colon + 1) : line
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (const ch of rest) {
    if (ch === '"') quoted = !quoted
    else if (ch === ',' && !quoted) {
      out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  out.push(cur.trim())
  return out
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

/**
 * +CREG in both shapes: the answer to AT+CREG? carries <n> first
 * (`+CREG: 2,1,"18D8","FFFF"`), the unsolicited report does not
 * (`+CREG: 1,"18D8","FFFF"`, or `+CREG: 1,"18D8","FFFF",7` with the access
 * technology). One field is a report, two an answer; with more, the second
 * field tells: a stat is one or two digits, a LAC is longer hex.
 */
export function parseCreg(line: string): CregInfo | null {
  if (!/^\+C(E|G)?REG:/.test(line)) return null
  const f = fields(line)
  const answer = f.length === 2 || (f.length >= 3 && /^\d{1,3}$/.test(f[1] ?? '') && Number(f[1]) <= 10)
  const stat = answer ? f[1] : f[0]
  const loc = answer ? f.slice(2) : f.slice(1)
  if (stat === undefined || !/^\d+$/.test(stat)) return null
  const registration = REG_STAT[Number(stat)] ?? 'unknown'
  const hex = (s: string | undefined) => (s && /^[0-9A-Fa-f]+$/.test(s) ? s.toUpperCase() : null)
  return { registration, lac: hex(loc[0]), cellId: hex(loc[1]) }
}

/** +CSQ: <rssi>,<ber> → CSQ and dBm (27.007: 0 → ≤ -113 dBm, 31 → ≥ -51 dBm, 99 unknown). */
export function parseCsq(line: string): { csq: number | null; rssiDbm: number | null } | null {
  if (!line.startsWith('+CSQ:')) return null
  const raw = fields(line)[0]
  if (raw === undefined || !/^\d+$/.test(raw)) return null
  const csq = Number(raw)
  if (csq === 99 || csq > 31) return { csq: null, rssiDbm: null }
  return { csq, rssiDbm: -113 + 2 * csq }
}

/** +COPS: <mode>[,<format>,<oper>[,<AcT>]] → the operator name, or null when not registered. */
export function parseCops(line: string): string | null {
  if (!line.startsWith('+COPS:')) return null
  const op = fields(line)[2]
  return op ? op : null
}

/** +CLIP: "<number>",<type>,... → the caller's number, E.164 when the type says international. */
export function parseClip(line: string): { callerId: string | null } | null {
  if (!line.startsWith('+CLIP:')) return null
  const f = fields(line)
  const number = (f[0] ?? '').replace(/[^0-9+*#]/g, '')
  if (!number) return { callerId: null }
  const type = Number(f[1])
  if (type === 145 && !number.startsWith('+')) return { callerId: `+${number}` }
  return { callerId: number }
}

/** +CPIN: READY | SIM PIN | ... */
export function parseCpin(line: string): string | null {
  if (!line.startsWith('+CPIN:')) return null
  return line.slice(6).trim() || null
}

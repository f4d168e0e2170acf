/** Parsers for call lines: the caller ID of an incoming call and the call list. Pure. */
import { int, splitFields } from './parse.js'

export interface ClipInfo {
  /** The number as sent, or null when empty or withheld. */
  number: string | null
  /** 129 national/unknown, 145 international, 161 national, 128 restricted. */
  type: number | null
  /** 0 valid, 1 withheld by the caller, 2 not available. */
  validity: number | null
}

/** A number field: digits with an optional + and the DTMF signs; anything else ("number pres restricted") is no number. */
function dialable(text: string | undefined): string | null {
  const n = (text ?? '').replace(/[\s-]/g, '')
  return /^\+?[0-9*#]+$/.test(n) ? n : null
}

/**
 * +CLIP: <number>,<type>[,<subaddr>,<satype>,<alpha>,<CLI validity>].
 * The number may be quoted, unquoted, empty, or text saying it is withheld.
 */
export function parseClipInfo(line: string): ClipInfo | null {
  if (!line.startsWith('+CLIP:')) return null
  const f = splitFields(line)
  return { number: dialable(f[0]?.text), type: int(f[1]?.text), validity: int(f[5]?.text) }
}

/** The caller of a +CLIP in E.164 when the type says international (145), else as sent; null when withheld. */
export function parseClip(line: string): { callerId: string | null } | null {
  const c = parseClipInfo(line)
  if (!c) return null
  if (c.number === null || c.validity === 1 || c.validity === 2) return { callerId: null }
  return { callerId: c.type === 145 && !c.number.startsWith('+') ? `+${c.number}` : c.number }
}

export interface ClccEntry {
  index: number
  dir: 'mo' | 'mt'
  /** 0 active, 1 held, 2 dialing, 3 alerting, 4 incoming, 5 waiting. */
  stat: 0 | 1 | 2 | 3 | 4 | 5
  /** 0 voice, 1 data, 2 fax, ... */
  mode: number
  mpty: number
  number: string | null
  type: number | null
}

/** +CLCC: <id>,<dir>,<stat>,<mode>,<mpty>[,<number>,<type>[,<alpha>[,<priority>[,<CLI validity>]]]] */
export function parseClcc(line: string): ClccEntry | null {
  if (!line.startsWith('+CLCC:')) return null
  const f = splitFields(line)
  const [index, dir, stat, mode, mpty] = [0, 1, 2, 3, 4].map((i) => int(f[i]?.text))
  if (index === null || (dir !== 0 && dir !== 1) || stat === null || stat === undefined || stat > 5 || mode === null || mpty === null) return null
  return {
    index: index!,
    dir: dir === 0 ? 'mo' : 'mt',
    stat: stat as ClccEntry['stat'],
    mode: mode!,
    mpty: mpty!,
    number: dialable(f[5]?.text),
    type: int(f[6]?.text),
  }
}

/** +CMTI: <mem>,<index>: a new SMS stored at <index>. */
export function parseCmti(line: string): { storage: string; index: number } | null {
  if (!line.startsWith('+CMTI:')) return null
  const f = splitFields(line)
  const index = int(f[1]?.text)
  return f[0]?.text && index !== null ? { storage: f[0].text, index } : null
}

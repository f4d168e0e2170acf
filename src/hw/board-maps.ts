/**
 * The Raspberry Pi pin maps in boards/<name>.yaml: header pin → GPIO
 * character device line, with the names an installer knows. Read once,
 * synchronously (validation is synchronous), and checked as they are read.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { packageRoot } from '../core/version.js'

export const PI_BOARDS = ['pi-3b-plus', 'pi-4b', 'pi-5', 'cm4', 'pi-zero-2w'] as const
export type PiBoardName = (typeof PI_BOARDS)[number]

export interface BoardPin {
  /** GPIO17: the BCM name. */
  name: string
  header: number
  line: number
  also: string[]
}

export interface BoardMap {
  board: string
  description: string
  /** The chip is the first of these labels found; else the fallback device. */
  chipLabels: string[]
  chipFallback: string
  /** The GPIO pins, in header order. */
  pins: BoardPin[]
  /** Every header pin: GPIO17, 3V3, 5V, GND. */
  header: Record<number, string>
}

export type PinResolution = { ok: true; pin: BoardPin } | { ok: false; message: string }

const cache = new Map<string, BoardMap>()

export function loadBoardMap(name: PiBoardName, dir = join(packageRoot(), 'boards')): BoardMap {
  const file = join(dir, `${name}.yaml`)
  const hit = cache.get(file)
  if (hit) return hit
  const bad = (why: string) => new Error(`${file}: ${why}`)
  let doc: unknown
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw bad((err as Error).message)
  }
  const d = doc as { board?: unknown; description?: unknown; gpiochip?: { labels?: unknown; fallback?: unknown }; header?: Record<string, unknown> }
  if (!d || typeof d !== 'object' || d.board !== name) throw bad(`board: must be ${name}`)
  const labels = d.gpiochip?.labels
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string') || typeof d.gpiochip?.fallback !== 'string') throw bad('gpiochip: needs labels (a list) and fallback (a device path)')
  if (!d.header || typeof d.header !== 'object') throw bad('header: missing')
  const pins: BoardPin[] = []
  const header: Record<number, string> = {}
  for (const [key, v] of Object.entries(d.header)) {
    const pin = Number(key)
    if (!Number.isInteger(pin) || pin < 1 || pin > 40) throw bad(`header pin ${key}: not 1..40`)
    if (typeof v === 'string') {
      header[pin] = v
      continue
    }
    const g = v as { gpio?: unknown; line?: unknown; also?: unknown }
    if (!g || !Number.isInteger(g.gpio) || !Number.isInteger(g.line)) throw bad(`header pin ${key}: needs gpio and line (integers) or a power/ground name`)
    const also = Array.isArray(g.also) ? g.also.map(String) : []
    pins.push({ name: `GPIO${g.gpio as number}`, header: pin, line: g.line as number, also })
    header[pin] = `GPIO${g.gpio as number}`
  }
  const map: BoardMap = { board: name, description: String(d.description ?? name), chipLabels: labels as string[], chipFallback: d.gpiochip.fallback, pins: pins.sort((a, b) => a.header - b.header), header }
  cache.set(file, map)
  return map
}

const POWER: Record<string, string> = { '3V3': '3.3 V power', '5V': '5 V power', GND: 'ground' }

/** A config pin on a board: GPIO17 (BCM name) or pin11 (header pin), any case, spaces ignored. */
export function resolvePin(map: BoardMap, ref: string | number): PinResolution {
  const gpios = map.pins.map((p) => Number(p.name.slice(4)))
  const range = `GPIO${Math.min(...gpios)}..GPIO${Math.max(...gpios)}`
  if (typeof ref === 'number') {
    const asGpio = map.pins.find((p) => p.name === `GPIO${ref}`)
    const atHeader = map.header[ref]
    return {
      ok: false,
      message: `${ref} is ambiguous on ${map.board}: write GPIO${ref}${asGpio ? ` (header pin ${asGpio.header})` : ' (no such GPIO)'} or pin${ref}${atHeader ? ` (${atHeader})` : ' (no such header pin)'}`,
    }
  }
  const text = ref.replace(/\s+/g, '').toUpperCase()
  const gpio = /^GPIO(\d+)$/.exec(text)
  if (gpio) {
    const pin = map.pins.find((p) => p.name === `GPIO${Number(gpio[1])}`)
    return pin ? { ok: true, pin } : { ok: false, message: `${map.board} has no ${ref}; its GPIOs are ${range}` }
  }
  const header = /^PIN(\d+)$/.exec(text)
  if (header) {
    const n = Number(header[1])
    const what = map.header[n]
    if (what === undefined) return { ok: false, message: `${map.board}'s header has pins 1..40, not ${n}` }
    const pin = map.pins.find((p) => p.header === n)
    return pin ? { ok: true, pin } : { ok: false, message: `header pin ${n} is ${POWER[what] ?? what}, not a GPIO` }
  }
  return { ok: false, message: `"${ref}" is not a pin of ${map.board}: write GPIO17 (the BCM name) or pin11 (the header pin); GPIOs are ${range}` }
}

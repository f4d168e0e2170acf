/**
 * The real chip: node-libgpiod (libgpiod 1.x). Loaded only when a Pi board
 * is configured: it is an optional dependency that compiles against
 * libgpiod-dev, and a box without it must still start and say why its
 * lamps are dark. Edge events come from libgpiod's gpiomon (gpiomon.ts):
 * node-libgpiod cannot read them.
 */
import { createRequire } from 'node:module'
import type { Bias, GpioChip } from './gpio-chip.js'
import { gpiomonWatch, type Spawn } from './gpiomon.js'

interface NativeLine {
  requestOutputModeFlags(consumer: string, flags: number, value: number): void
  requestInputModeFlags(consumer: string, flags: number): void
  getValue(): 0 | 1
  setValue(v: number): void
  release(): void
}
interface Native {
  getChipNames(): string[]
  Chip: new (id: string | number) => { label: string; numberOfLines: number; name: string }
  Line: (new (chip: unknown, offset: number) => NativeLine) & { RequestFlags: Record<'BIAS_DISABLE' | 'BIAS_PULL_DOWN' | 'BIAS_PULL_UP', number> }
}

export const LIBGPIOD_MISSING = 'GPIO: node-libgpiod is not installed or not built (apt-get install libgpiod-dev, then npm rebuild node-libgpiod)'

function loadNative(): Native {
  try {
    return createRequire(import.meta.url)('node-libgpiod') as Native
  } catch (err) {
    throw new Error(`${LIBGPIOD_MISSING}: ${(err as Error).message}`)
  }
}

/** The chip with the first of `labels` that exists, else the `fallback` device. */
export function openLibgpiodChip(opts: { labels: string[]; fallback: string; spawn?: Spawn }, native: () => Native = loadNative): GpioChip {
  const g = native()
  const names = g.getChipNames()
  let chip: InstanceType<Native['Chip']> | null = null
  for (const label of opts.labels) {
    for (const name of names) {
      const c = new g.Chip(name)
      if (c.label === label) {
        chip = c
        break
      }
    }
    if (chip) break
  }
  if (!chip) {
    try {
      chip = new g.Chip(opts.fallback.replace(/^\/dev\//, ''))
    } catch (err) {
      throw new Error(`GPIO: no chip labelled ${opts.labels.join(' or ')} among [${names.join(', ')}], and ${opts.fallback} cannot be opened: ${(err as Error).message}`)
    }
  }
  const flags: Record<Bias, number> = { 'pull-up': g.Line.RequestFlags.BIAS_PULL_UP, 'pull-down': g.Line.RequestFlags.BIAS_PULL_DOWN, disable: g.Line.RequestFlags.BIAS_DISABLE, 'as-is': 0 }
  const the = chip
  const lines = new Map<number, NativeLine>()
  // node-libgpiod makes a Line for an offset the chip lacks, throws EINVAL from it, and segfaults when that
  // half-made Line is collected (found on QEMU's virt machine, whose one chip has 8 lines): never make one.
  // One Line per offset, kept: libgpiod 1.x gives every Line of an offset the same native line, and a Line
  // releases it when collected, so a second Line (an input whose bias changed, an input made an output)
  // lost its request at the next garbage collection (on the image's kernel: EPERM from getValue, the line unused)
  const lineOf = (offset: number) => {
    if (!(Number.isInteger(offset) && offset >= 0 && offset < the.numberOfLines)) throw new Error(`line ${offset} is not on ${the.name} (${the.label}: lines 0-${the.numberOfLines - 1}); is this the Pi's GPIO chip?`)
    let line = lines.get(offset)
    if (!line) lines.set(offset, (line = new g.Line(the, offset)))
    return line
  }
  return {
    label: the.label,
    lineCount: the.numberOfLines,
    requestOutput(offset, initial, consumer) {
      const line = lineOf(offset)
      line.requestOutputModeFlags(consumer, 0, initial)
      return { set: (v) => line.setValue(v), release: () => line.release() }
    },
    requestInput(offset, bias, consumer) {
      const line = lineOf(offset)
      line.requestInputModeFlags(consumer, flags[bias])
      return { get: () => line.getValue(), release: () => line.release() }
    },
    close() {
      // node-libgpiod closes the chip when it is collected; the lines are released by GpiodIO
    },
    watch(offsets, bias, handlers) {
      for (const offset of offsets) lineOf(offset) // an offset the chip lacks is refused here too
      return gpiomonWatch({ chip: the.name, lines: offsets, bias, handlers, spawn: opts.spawn })
    },
  }
}

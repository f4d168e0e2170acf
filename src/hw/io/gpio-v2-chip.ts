/**
 * The real chip through the kernel's GPIO v2 uAPI (Linux 5.10+; the only one on kernels without
 * CONFIG_GPIO_CDEV_V1, as trixie-backports' 7.x and the Pi 5's RP1), by our own small N-API addon
 * (native/gpio-v2/gpio_v2.c): one request fd per line, values by ioctl, and edge events read from
 * a watch's request fd on Node's loop (no gpiomon child, no poll). Preferred to node-libgpiod
 * (libgpiod 1.x, ABI v1) wherever the addon is built; gpio.ts falls back to that one otherwise.
 */
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Bias, GpioChip, GpioWatch } from './gpio-chip.js'

export interface GpioV2Native {
  chipInfo(path: string): { name: string; label: string; lines: number }
  request(path: string, offsets: number[], flags: number, values: number, consumer: string): number
  getValues(fd: number, mask: number): number
  setValues(fd: number, bits: number, mask: number): void
  close(fd: number): void
  /** Calls back (offset, rising 0|1, 0) per edge, or (-1, 0, errno) once when reading failed. */
  watch(fd: number, cb: (offset: number, rising: number, errno: number) => void): unknown
  unwatch(handle: unknown): void
  flags: Record<'INPUT' | 'OUTPUT' | 'EDGE_RISING' | 'EDGE_FALLING' | 'BIAS_PULL_UP' | 'BIAS_PULL_DOWN' | 'BIAS_DISABLED', number>
  /** /dev's gpiochip devices; the addon does not list them (tests give theirs). */
  chips?(): string[]
}

export const GPIO_V2_ADDON = join('native', 'gpio-v2', 'gpio_v2.node')

/** The addon next to the package (src/hw/io/ in development, dist/ when built), or why not. */
export function loadGpioV2(from = dirname(fileURLToPath(import.meta.url))): GpioV2Native {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const file = join(dir, GPIO_V2_ADDON)
    if (existsSync(file)) return createRequire(import.meta.url)(file) as GpioV2Native
  }
  throw new Error(`GPIO: the v2 addon (${GPIO_V2_ADDON}) is not built`)
}

function devChips(): string[] {
  return readdirSync('/dev').filter((n) => /^gpiochip\d+$/.test(n)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8))).map((n) => `/dev/${n}`)
}

/** The chip with the first of `labels` that exists, else the `fallback` device. */
export function openGpioV2Chip(opts: { labels: string[]; fallback: string }, native: () => GpioV2Native = loadGpioV2): GpioChip {
  const g = native()
  const paths = g.chips ? g.chips() : devChips()
  const infos = paths.map((path) => ({ path, ...g.chipInfo(path) }))
  let chip = opts.labels.map((l) => infos.find((c) => c.label === l)).find((c) => c)
  if (!chip) {
    try {
      chip = { path: opts.fallback, ...g.chipInfo(opts.fallback) }
    } catch (err) {
      throw new Error(`GPIO: no chip labelled ${opts.labels.join(' or ')} among [${infos.map((c) => `${c.name} ${c.label}`).join(', ')}], and ${opts.fallback} cannot be opened: ${(err as Error).message}`)
    }
  }
  const the = chip
  const F = g.flags
  const biasFlag: Record<Bias, number> = { 'pull-up': F.BIAS_PULL_UP, 'pull-down': F.BIAS_PULL_DOWN, disable: F.BIAS_DISABLED, 'as-is': 0 }
  const check = (offset: number) => {
    if (!(Number.isInteger(offset) && offset >= 0 && offset < the.lines)) throw new Error(`line ${offset} is not on ${the.name} (${the.label}: lines 0-${the.lines - 1}); is this the Pi's GPIO chip?`)
  }
  // a request's fd is closed once: a second release (or one after close) must not close an fd reused since
  const releaser = (fd: number) => {
    let open = true
    return () => {
      if (open) g.close(fd)
      open = false
    }
  }
  return {
    label: the.label,
    lineCount: the.lines,
    requestOutput(offset, initial, consumer) {
      check(offset)
      const fd = g.request(the.path, [offset], F.OUTPUT, initial, consumer)
      return { set: (v) => g.setValues(fd, v, 1), release: releaser(fd) }
    },
    requestInput(offset, bias, consumer) {
      check(offset)
      const fd = g.request(the.path, [offset], F.INPUT | biasFlag[bias], 0, consumer)
      return { get: () => (g.getValues(fd, 1) & 1 ? 1 : 0), release: releaser(fd) }
    },
    close() {
      // nothing held by the chip itself: every line is its own request fd, released by GpiodIO
    },
    watch(offsets, bias, handlers): GpioWatch {
      offsets.forEach(check)
      let fd: number
      try {
        fd = g.request(the.path, offsets, F.INPUT | biasFlag[bias] | F.EDGE_RISING | F.EDGE_FALLING, 0, 'linewatch')
      } catch (err) {
        queueMicrotask(() => handlers.failed(err as Error)) // as a watch that could not start: its lines stay free
        return { close: async () => {} }
      }
      const release = releaser(fd)
      let live = true
      const handle = g.watch(fd, (offset, rising, errno) => {
        if (!live) return
        if (offset >= 0) return handlers.edge(offset, rising ? 1 : 0)
        live = false
        g.unwatch(handle)
        release()
        handlers.failed(new Error(`GPIO: reading edge events from ${the.name} failed (errno ${errno})`))
      })
      return {
        close: async () => {
          if (!live) return
          live = false
          g.unwatch(handle)
          release()
        },
      }
    },
  }
}

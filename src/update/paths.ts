import { realpathSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { release } from 'node:os'
import { BOARD } from './bundle.js'
import type { Slot } from './boot-state.js'

/** Where the image keeps what updates need (docs/updates.md); each can be overridden on the command line. */
export const BOOT_DIR = '/boot/firmware'
export const PUBLIC_KEY = '/usr/share/linewatch/update-key.pub'
export const BOARD_FILE = '/usr/share/linewatch/board'
export const LOCK = '/run/linewatch-update.lock'
/** Written by the initramfs script: the slot it booted. */
export const RUNNING_FILE = '/run/linewatch-slot'
/**
 * A slot's partition: 2 (a) or 3 (b) of the card whose partition 1 is LWBOOT, found by position, as the
 * initramfs finds it, not by the file system's label: while a slot is being written it carries the
 * bundle's label (linewatch-a), and after a power cut then the label names two partitions, or none.
 * Where LWBOOT is not partition 1 of a disk (a development machine), the label.
 */
export function slotDevice(s: Slot, bootLink = '/dev/disk/by-label/LWBOOT'): string {
  try {
    const boot = realpathSync(bootLink)
    if (/\D1$/.test(boot)) return `${boot.slice(0, -1)}${s === 'a' ? 2 : 3}`
  } catch {
    // no LWBOOT here
  }
  return `/dev/disk/by-label/linewatch-${s}`
}

/** The image's board name, or rpi-arm64 (the only one so far). */
export async function imageBoard(file = BOARD_FILE): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => BOARD)).trim() || BOARD
}

/** On the image (its board file exists) the running kernel; elsewhere null (not checked). */
export async function runningKernel(file = BOARD_FILE): Promise<string | null> {
  return (await stat(file).catch(() => null)) ? release() : null
}

/** The slot the box runs: what the initramfs said, else the slot whose device holds `/`. */
export async function runningSlot(slots: Record<Slot, string> = { a: slotDevice('a'), b: slotDevice('b') }, file = RUNNING_FILE): Promise<Slot | null> {
  const said = (await readFile(file, 'utf8').catch(() => '')).trim()
  if (said === 'a' || said === 'b') return said
  const root = (await stat('/')).dev
  for (const s of ['a', 'b'] as const) {
    const dev = await stat(slots[s]).catch(() => null)
    if (dev?.isBlockDevice() && dev.rdev === root) return s
  }
  return null
}

import { createHash } from 'node:crypto'
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The A/B boot state on the boot partition (docs/updates.md): two copies, each with a sequence number
 * and a SHA-256 of its lines. FAT has no journal, so a write goes to the older copy and a torn one is
 * recognised by its sum; the reader takes the newest good copy. The initramfs shell script
 * (image/initramfs-linewatch-slot) reads and writes the same lines.
 */
export type Slot = 'a' | 'b'
export const SLOTS: readonly Slot[] = ['a', 'b']
export const STATE_FILES = ['linewatch-boot.0', 'linewatch-boot.1'] as const

export interface BootState {
  seq: number
  active: Slot
  /** The slot to boot once (set by an update, consumed by the initramfs). */
  try: Slot | null
  /** The slot booted on trust and not yet confirmed healthy. */
  trying: Slot | null
  /** The slot that was tried and not confirmed: the old system reports it, then clears it. */
  fallback: Slot | null
  versions: Record<Slot, string | null>
}

/** A card with no state yet: slot a, as cmdline.txt's root= says. */
export const INITIAL_STATE: BootState = { seq: 0, active: 'a', try: null, trying: null, fallback: null, versions: { a: null, b: null } }

export const other = (s: Slot): Slot => (s === 'a' ? 'b' : 'a')

export function formatState(s: BootState): string {
  const body = [
    'linewatch-boot=1',
    `seq=${s.seq}`,
    `active=${s.active}`,
    `try=${s.try ?? ''}`,
    `trying=${s.trying ?? ''}`,
    `fallback=${s.fallback ?? ''}`,
    `version_a=${s.versions.a ?? ''}`,
    `version_b=${s.versions.b ?? ''}`,
  ].map((l) => `${l}\n`).join('')
  return `${body}sum=${createHash('sha256').update(body).digest('hex')}\n`
}

const slotOrNull = (v: string | undefined): Slot | null | undefined => (v === '' ? null : v === 'a' || v === 'b' ? v : undefined)

/** One copy's text → its state, or null when it is torn, foreign or has a bad sum. */
export function parseState(text: string): BootState | null {
  const m = /^([\s\S]*\n)sum=([0-9a-f]{64})\n?$/.exec(text)
  const body = m?.[1]
  if (!body || createHash('sha256').update(body).digest('hex') !== m?.[2]) return null
  const kv = new Map<string, string>()
  for (const line of body.split('\n').filter(Boolean)) {
    const eq = line.indexOf('=')
    if (eq < 1) return null
    kv.set(line.slice(0, eq), line.slice(eq + 1))
  }
  const seq = Number(kv.get('seq'))
  const active = slotOrNull(kv.get('active'))
  const t = slotOrNull(kv.get('try'))
  const trying = slotOrNull(kv.get('trying'))
  const fallback = slotOrNull(kv.get('fallback'))
  if (kv.get('linewatch-boot') !== '1' || !Number.isSafeInteger(seq) || seq < 0 || !active) return null
  if (t === undefined || trying === undefined || fallback === undefined) return null
  return { seq, active, try: t, trying, fallback, versions: { a: kv.get('version_a') || null, b: kv.get('version_b') || null } }
}

/** The newest good copy of the two (null entries: missing or unreadable files). */
export function pickState(copies: (string | null)[]): { state: BootState; index: number } | null {
  let best: { state: BootState; index: number } | null = null
  copies.forEach((text, index) => {
    const state = text === null ? null : parseState(text)
    if (state && (!best || state.seq > best.state.seq)) best = { state, index }
  })
  return best
}

export interface BootChoice {
  boot: Slot
  /** The state to write before the chosen root runs (null: nothing changes). */
  write: BootState | null
}

/** The initramfs's rules (the shell script does the same): consume a try, or fall back from an unconfirmed one. */
export function chooseBoot(s: BootState): BootChoice {
  if (s.try) return { boot: s.try, write: { ...s, seq: s.seq + 1, try: null, trying: s.try } }
  if (s.trying) return { boot: s.active, write: { ...s, seq: s.seq + 1, trying: null, fallback: s.trying } }
  return { boot: s.active, write: null }
}

/** Both copies on a boot partition folder (a mounted LWBOOT; a plain folder in tests). */
export class BootStateFile {
  constructor(readonly dir: string) {}

  async readCopies(): Promise<(string | null)[]> {
    return Promise.all(STATE_FILES.map((f) => readFile(join(this.dir, f), 'utf8').catch(() => null)))
  }

  async read(): Promise<BootState> {
    return pickState(await this.readCopies())?.state ?? INITIAL_STATE
  }

  /** Writes `next` (its seq is set to one above the newest) over the older copy, synced. */
  async write(next: Omit<BootState, 'seq'>): Promise<BootState> {
    const found = pickState(await this.readCopies())
    const seq = (found?.state.seq ?? 0) + 1
    const index = found ? 1 - found.index : 0
    const state: BootState = { ...next, seq }
    const file = join(this.dir, STATE_FILES[index === 1 ? 1 : 0])
    // temp + rename keeps an old copy readable if the card tears the new one; on FAT the rename is
    // not atomic either, which the other copy covers
    const tmp = `${file}.tmp`
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(formatState(state))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
    const dh = await open(this.dir, 'r').catch(() => null)
    if (dh) await dh.sync().catch(() => {}).finally(() => dh.close())
    return state
  }

  /** Applies a change to the newest state and writes it. */
  async update(change: (s: BootState) => Omit<BootState, 'seq'>): Promise<BootState> {
    return this.write(change(await this.read()))
  }
}

/** Marks `slot` healthy when it is the one on trial: it becomes the active slot. */
export function confirmed(s: BootState, running: Slot): BootState | null {
  if (s.trying !== running) return null
  return { ...s, active: running, trying: null, fallback: null }
}

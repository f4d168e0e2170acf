import { spawnSync } from 'node:child_process'
import type { KeyObject } from 'node:crypto'
import { close, createReadStream, createWriteStream, fsync, open as openFd } from 'node:fs'
import { promisify } from 'node:util'
import { readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { BootStateFile, other, type BootState, type Slot } from './boot-state.js'
import { carryIntoSlot } from './carry.js'
import { BundleError, checkFits, checkPayload, hashing, readHeader, type BoxIdentity, type Manifest } from './bundle.js'

/**
 * Installing a bundle into the slot that is not running (docs/updates.md, `linewatch update`): lock,
 * verify every byte, clear a stale try, write with a running SHA-256, fsync, read back, and only then
 * mark the slot to try once. Until that last write the boot state still boots the running slot, so a
 * power cut at any earlier moment changes nothing.
 */
const fsOpen = promisify(openFd)
const fsFsync = promisify(fsync)
const fsClose = promisify(close)

export type Stage = 'lock' | 'verify' | 'prepare' | 'write' | 'readback' | 'mark' | 'done'
export const STAGES: readonly Stage[] = ['lock', 'verify', 'prepare', 'write', 'readback', 'mark', 'done']

export interface ProgressEvent {
  stage: Stage
  done: number
  total: number
  percent: number
}

export interface InstallOptions {
  publicKey: KeyObject
  box: BoxIdentity
  /** The mounted boot partition (the boot state's folder). */
  bootDir: string
  /** Each slot's block device (a plain file in tests). */
  slots: Record<Slot, string>
  running: Slot
  lockPath: string
  force?: boolean
  onProgress?: (p: ProgressEvent) => void
  /** Drops the slot's cached pages so the read-back comes from the card (default: blockdev --flushbufs on a block device). */
  dropCache?: (path: string) => Promise<void>
  /** Names the written file system linewatch-<slot> (default: e2label on a block device; nothing on a file). */
  relabel?: (path: string, label: string) => Promise<void>
  /** Carries the installer's settings into the written slot (default: carryIntoSlot: mounts a block device; nothing on a file). */
  carry?: (path: string) => Promise<string[]>
}

export interface Installed {
  slot: Slot
  manifest: Manifest
  state: BootState
  /** What was carried from the running system into the new slot (carry.ts). */
  carried: string[]
}

export class UpdateError extends Error {
  constructor(readonly stage: Stage, message: string, readonly code?: string) {
    super(message)
  }
}

/** One update at a time: a lock file with the pid; a dead pid's lock is taken over. */
export async function takeLock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o644 })
      return () => rm(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) throw new UpdateError('lock', `an update is already running (pid ${pid})`)
      await rm(path, { force: true })
    }
  }
  throw new UpdateError('lock', `cannot take the lock ${path}`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A slot's size: a block device's from sysfs, a file's own (0: a new file, no limit). */
export async function slotSize(path: string): Promise<number | null> {
  const st = await stat(path).catch(() => null)
  if (!st) return null
  if (st.isBlockDevice()) {
    const sectors = await readFile(`/sys/class/block/${basename(await realpath(path))}/size`, 'utf8').catch(() => null)
    return sectors === null ? null : Number(sectors.trim()) * 512
  }
  return st.size > 0 ? st.size : null
}

/**
 * The bundle's file system carries the label of the root it was built from (linewatch-a); the slots are
 * found by partition (paths.ts, the initramfs), but lsblk and a person reading the card go by the label,
 * so the written slot is named after itself before it is marked.
 */
async function e2label(path: string, label: string): Promise<void> {
  if (!(await stat(path)).isBlockDevice()) return
  const r = spawnSync('e2label', [path, label], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`e2label ${path} ${label}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`)
}

async function flushBufs(path: string): Promise<void> {
  if ((await stat(path)).isBlockDevice()) spawnSync('blockdev', ['--flushbufs', path], { stdio: 'ignore' })
}

export async function install(bundle: string, o: InstallOptions): Promise<Installed> {
  const report = (stage: Stage, done: number, total: number) => o.onProgress?.({ stage, done, total, percent: total > 0 ? Math.floor((done * 100) / total) : 100 })
  const target = other(o.running)
  // the device itself: slotDevice gives the partition on the box, but a by-label link (its fallback, or a
  // --slot-a/-b given) is renamed by udev once the bundle's superblock is written (seen in QEMU: ENOENT)
  const device = await realpath(o.slots[target]).catch(() => o.slots[target])
  report('lock', 0, 1)
  const unlock = await takeLock(o.lockPath)
  try {
    const states = new BootStateFile(o.bootDir)
    const before = await states.read()
    // the other slot is the only known-good system while this one is on trial
    if (before.trying) throw new UpdateError('lock', `slot ${before.trying} is still on trial (not yet confirmed healthy): no update until it is`)
    report('lock', 1, 1)

    const header = await wrap('verify', () => readHeader(bundle, o.publicKey))
    const m = header.manifest
    await wrap('verify', async () => checkFits(m, o.box, { force: o.force, slotSize: await slotSize(device) }))
    await wrap('verify', () => checkPayload(bundle, header, (d, t) => report('verify', d, t)))

    report('prepare', 0, 1)
    // an update staged and never booted points at the slot about to be overwritten
    if (before.try === target) await states.write({ ...before, try: null })
    report('prepare', 1, 1)

    const total = m.image.size
    const payload = hashing()
    const raw = hashing((n) => report('write', n, total))
    // a numeric fd: a FileHandle lent to a stream that must not close it cannot be closed at all
    const fd = await fsOpen(device, (await stat(device).catch(() => null)) ? 'r+' : 'w')
    try {
      // no `start`: write(2) from offset 0 where the fd was opened (pwrite would refuse a pipe)
      await pipeline(createReadStream(bundle, { start: header.payloadOffset }), payload, createGunzip(), raw, createWriteStream('', { fd, autoClose: false }))
      await fsFsync(fd)
    } catch (err) {
      await fsClose(fd).catch(() => {})
      throw err
    }
    await fsClose(fd)
    // the bundle could have changed since it was verified (a stick pulled, a file replaced)
    if (payload.digest() !== m.payload.sha256) throw new UpdateError('write', 'the bundle changed while it was written: its payload SHA-256 differs now')
    if (raw.bytes() !== total || raw.digest() !== m.image.sha256) throw new UpdateError('write', `the unpacked image is ${raw.bytes()} bytes with another SHA-256 than the manifest's`)

    await (o.dropCache ?? flushBufs)(device)
    const back = hashing((n) => report('readback', n, total))
    if (total > 0) {
      await pipeline(createReadStream(device, { start: 0, end: total - 1 }), back, async (src) => {
        for await (const _ of src);
      })
    }
    if (back.bytes() !== total || (total > 0 && back.digest() !== m.image.sha256)) throw new UpdateError('readback', `slot ${target} does not read back as written (${back.bytes()} of ${total} bytes, SHA-256 differs): a failing card?`)

    report('mark', 0, 1)
    const carried = await (o.carry ?? carryIntoSlot)(device).catch((err: Error) => {
      throw new UpdateError('mark', `the installer's settings could not be carried into slot ${target}: ${err.message}`)
    })
    await (o.relabel ?? e2label)(device, `linewatch-${target}`).catch((err: Error) => {
      throw new UpdateError('mark', `slot ${target} could not be named linewatch-${target}: ${err.message}`)
    })
    const now = await states.read()
    // the running slot, not on trial, is the known-good one
    const state = await states.write({ ...now, active: o.running, try: target, trying: null, versions: { ...now.versions, [target]: m.version, [o.running]: o.box.version } })
    report('mark', 1, 1)
    report('done', 1, 1)
    return { slot: target, manifest: m, state, carried }
  } finally {
    await unlock()
  }
}

async function wrap<T>(stage: Stage, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof BundleError) throw new UpdateError(stage, err.message, err.code)
    throw err
  }
}

import { chown, open, rename, mkdir, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { countWrite } from './disk-writes.js'

export interface AtomicWriteOptions {
  /** the file's mode, exactly (set after the open, which the umask narrows); default 0644 */
  mode?: number
  /** owner and group, given only when running as root */
  owner?: { uid: number; gid: number }
  /** access and modification times to keep (a config's times decide which copy counts) */
  times?: { atime: Date; mtime: Date }
  /** the temporary file's name; default `<path>.tmp-<pid>` (two processes never share one) */
  tmp?: string
  /** called once the temporary file is on the card, before the rename (tests cut the power there) */
  afterTemp?: () => Promise<void> | void
}

/**
 * Write a whole file so that a power cut leaves the old one or the new one, never half:
 * a temporary file beside it, fsync, rename, then fsync the folder so the rename itself is on the card.
 * A number as the third argument is the mode.
 */
export async function writeFileAtomic(path: string, text: string, options: number | AtomicWriteOptions = {}): Promise<void> {
  const o = typeof options === 'number' ? { mode: options } : options
  const mode = o.mode ?? 0o644
  await mkdir(dirname(path), { recursive: true })
  const tmp = o.tmp ?? `${path}.tmp-${process.pid}`
  await rm(tmp, { force: true }) // a leftover from a power cut would keep its old mode
  const file = await open(tmp, 'w', mode)
  try {
    await file.writeFile(text)
    await file.chmod(mode)
    if (o.owner && process.getuid?.() === 0) await file.chown(o.owner.uid, o.owner.gid)
    if (o.times) await file.utimes(o.times.atime, o.times.mtime)
    await file.sync()
    countWrite(Buffer.byteLength(text))
  } finally {
    await file.close()
  }
  try {
    await o.afterTemp?.()
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  const dir = await open(dirname(path), 'r').catch(() => null)
  await dir?.sync().catch(() => {})
  await dir?.close()
}

/**
 * Run as root (`sudo linewatch passwd`, firstboot), a file made in the state folder would be root's:
 * give it (and `extra` folders) to the folder's owner, the service user.
 */
export async function ownLikeFolder(folder: string, ...paths: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return
  const owner = await stat(folder)
  for (const p of paths) await chown(p, owner.uid, owner.gid)
}

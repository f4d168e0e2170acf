import { chown, open, rename, mkdir, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { countWrite } from './disk-writes.js'

/**
 * Write a whole file so that a power cut leaves the old one or the new one, never half:
 * a temporary file beside it, fsync, rename, then fsync the folder so the rename itself is on the card.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  await rm(tmp, { force: true }) // a leftover from a power cut would keep its old mode
  const file = await open(tmp, 'w', mode)
  try {
    await file.writeFile(text)
    await file.sync()
    countWrite(Buffer.byteLength(text))
  } finally {
    await file.close()
  }
  try {
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

import { access, constants, statfs } from 'node:fs/promises'

/** Below this the next state file may not fit: said before a write fails, not after. */
export const MIN_FREE_BYTES = 1024 * 1024

/**
 * Why the state folder cannot take writes now (read-only, not writable, full), or null. Reads only:
 * access() reports a file system remounted read-only (EROFS) without writing a byte to the card.
 */
export async function storageProblem(dir: string, minFree = MIN_FREE_BYTES): Promise<string | null> {
  try {
    await access(dir, constants.W_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EROFS') return `${dir} is on a read-only file system (EROFS): the card may be failing`
    if (code === 'EACCES') return `${dir} is not writable by the service user (EACCES)`
    return `${dir}: ${code ?? String(err)}`
  }
  const s = await statfs(dir)
  const free = s.bavail * s.bsize
  if (free < minFree) return `${dir} is full (${Math.round(free / 1024)} KiB free)`
  return null
}

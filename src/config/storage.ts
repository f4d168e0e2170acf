import { access, constants, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export const DEFAULT_STATE_DIR = '/var/lib/linewatch'

/**
 * Where the box keeps its state: the configured folder, else /var/lib/linewatch,
 * else (a developer's machine, not root) .linewatch-state under the working directory.
 */
export async function resolveStateDir(configured: string | undefined, cwd = process.cwd()): Promise<string> {
  if (configured) {
    const dir = resolve(cwd, configured)
    await mkdir(dir, { recursive: true })
    return dir
  }
  try {
    await mkdir(DEFAULT_STATE_DIR, { recursive: true })
    await access(DEFAULT_STATE_DIR, constants.W_OK)
    return DEFAULT_STATE_DIR
  } catch {
    const dir = join(cwd, '.linewatch-state')
    await mkdir(dir, { recursive: true })
    return dir
  }
}

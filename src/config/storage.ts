import { access, constants, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export const DEFAULT_STATE_DIR = '/var/lib/linewatch'

/**
 * Where the box keeps its state: the configured folder, else /var/lib/linewatch,
 * else (a developer's machine, not root) .linewatch-state under the working directory.
 */
export async function resolveStateDir(configured: string | undefined, cwd = process.cwd(), preferred = DEFAULT_STATE_DIR): Promise<string> {
  if (configured) {
    const dir = resolve(cwd, configured)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    return dir
  }
  try {
    await mkdir(preferred, { recursive: true, mode: 0o700 })
    await access(preferred, constants.W_OK)
    return preferred
  } catch {
    const dir = join(cwd, '.linewatch-state')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    return dir
  }
}

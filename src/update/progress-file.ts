/**
 * The progress file an update run as root writes for whoever follows it (the console that handed it off,
 * the box that publishes it). The latest record wins: a record is written when its stage, whole percent or
 * end changes, one write at a time, and the records that come while one is written replace each other.
 * A write per record queued one for every 64 KiB chunk of a 1.2 GB slot (~40,000 with the readback): in
 * QEMU the update was still writing that backlog minutes after `done`, 650 MB of it in memory, and its
 * reboot came that late.
 */
import { rename, writeFile } from 'node:fs/promises'

/** What a record must have; the rest (bytes, carried files) is written as given. */
export type ProgressFileRecord = { stage: string; percent?: number; ok?: boolean; message?: string }

/**
 * Temp + rename: a reader (the box, the console's follower) never sees half a record. Not fsynced: these files
 * only live while an update runs. `mode` for the temp file's creation (default: writeFile's).
 */
export async function writeByRename(path: string, text: string, mode?: number): Promise<void> {
  await writeFile(`${path}.tmp`, text, mode === undefined ? {} : { mode })
  await rename(`${path}.tmp`, path)
}

const defaultWrite = (path: string, text: string) => writeByRename(path, text)

export class ProgressFile {
  #pending: ProgressFileRecord | null = null
  #said = ''
  #writing: Promise<void> | null = null
  readonly #write: (path: string, text: string) => Promise<void>

  constructor(readonly path: string, write = defaultWrite) {
    this.#write = write
  }

  /** Write `p` soon, unless it says what the last one said; never waits. */
  put<T extends ProgressFileRecord>(p: T): void {
    const said = `${p.stage} ${p.percent ?? ''} ${p.ok ?? ''} ${p.message ?? ''}`
    if (said === this.#said) return
    this.#said = said
    this.#pending = p
    this.#writing ??= this.#drain()
  }

  /** Resolves once the last record put is in the file (or its write failed: a follower is not worth an update). */
  async flushed(): Promise<void> {
    while (this.#writing) await this.#writing
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const p = this.#pending
      this.#pending = null
      await this.#write(this.path, JSON.stringify(p)).catch(() => {})
    }
    this.#writing = null
  }
}

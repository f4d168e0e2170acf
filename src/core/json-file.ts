import { rename } from 'node:fs/promises'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import { errorMessage } from './errors.js'
import type { Logger } from './logger.js'

/**
 * A small JSON state file on the SD card, through lowdb (steno writes a temp
 * file and renames it, so a power cut leaves the old or the new file, never
 * half of one). Saves coalesce: while one write runs, any number of changes
 * make one more write, not one each.
 */
export class JsonFileState<T> {
  readonly #db: Low<T>
  readonly #file: string
  readonly #log: Logger
  #writing: Promise<void> | null = null
  #dirty = false
  /** Writes done since start: for the bench's bytes-per-hour figure. */
  writes = 0

  constructor(file: string, fallback: T, log: Logger) {
    this.#file = file
    this.#log = log
    this.#db = new Low<T>(new JSONFile<T>(file), fallback)
  }

  get data(): T {
    return this.#db.data
  }

  set data(v: T) {
    this.#db.data = v
  }

  /**
   * Read the file. A damaged one (or one that fails `valid`) must not stop the
   * box: it is kept aside for a person as `<file>.damaged-<now>` and `fallback` used.
   */
  async load(valid: (d: unknown) => d is T, fallback: () => T, now: number): Promise<void> {
    try {
      await this.#db.read()
      if (!valid(this.#db.data)) throw new Error('unexpected content')
    } catch (err) {
      const aside = `${this.#file}.damaged-${now}`
      this.#log.error({ err: errorMessage(err), file: this.#file, aside }, 'state file unreadable; starting without it')
      await rename(this.#file, aside).catch(() => {})
      this.#db.data = fallback()
    }
  }

  /** Write `data` soon; returns when a write that includes this change has finished. */
  save(): Promise<void> {
    this.#dirty = true
    this.#writing ??= this.#flush()
    return this.#writing
  }

  /** Wait for the writes in progress. */
  async flushed(): Promise<void> {
    await this.#writing
  }

  async #flush(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false
        this.writes++
        try {
          await this.#db.write()
        } catch (err) {
          this.#log.error({ err: errorMessage(err), file: this.#file }, 'cannot save state file')
        }
      }
    } finally {
      this.#writing = null
    }
  }
}

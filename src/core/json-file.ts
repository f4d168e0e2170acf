import { readFile, rename } from 'node:fs/promises'
import { Low, type Adapter } from 'lowdb'
import { writeFileAtomic } from './atomic-file.js'
import { errorMessage } from './errors.js'
import type { Logger } from './logger.js'

/**
 * lowdb's JSONFile writes through steno: a temp file renamed, but never
 * fsynced, so after a power cut the renamed file can be empty on the card.
 * This adapter writes through writeFileAtomic (fsync, rename, fsync of the
 * folder) and reads what is there.
 */
class DurableJsonFile<T> implements Adapter<T> {
  constructor(readonly file: string) {}

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async write(data: T): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(data, null, 2), 0o600)
  }
}

/**
 * A small JSON state file on the SD card, through lowdb with a durable
 * adapter: a power cut leaves the old or the new file, never half of one, and
 * a save that returned is on the card. Saves coalesce: while one write runs,
 * any number of changes make one more write, not one each.
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
    this.#db = new Low<T>(new DurableJsonFile<T>(file), fallback)
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

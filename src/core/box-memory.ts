import { join } from 'node:path'
import type { Clock, Timer } from './clock.js'
import { JsonFileState } from './json-file.js'
import type { Logger } from './logger.js'

/** A part of the box whose knowledge must outlive a restart (a line's hold-down, a path's breaker). */
export interface Remembering<T> {
  /** What to keep, as plain JSON. */
  remember(): T
  /** What was kept before the restart; called once, before the part starts. */
  recall(saved: T, now: number): void
  /** Set by BoxMemory: call it after each change worth keeping. */
  memoryChanged?: () => void
}

type Saved = Record<string, unknown>

/** Changes are written together at most this often: an SD card wears with every write, and none of this is worth a write per change. */
export const MEMORY_BATCH_MS = 2000

/**
 * What the box learnt and must not forget at a restart, in one file
 * (`<state>/memory.json`): each part's `remember()` is read when the batch is
 * written, so ten changes in a second cost one write. A power cut loses at
 * most the last batch; the file itself is never half written (JsonFileState).
 */
export class BoxMemory {
  readonly #file: JsonFileState<Saved>
  readonly #clock: Clock
  readonly #parts = new Map<string, Remembering<unknown>>()
  #timer: Timer | null = null
  #loaded = false

  constructor(deps: { stateDir: string; clock: Clock; log: Logger }) {
    this.#clock = deps.clock
    this.#file = new JsonFileState<Saved>(join(deps.stateDir, 'memory.json'), {}, deps.log)
  }

  async load(): Promise<void> {
    const valid = (d: unknown): d is Saved => !!d && typeof d === 'object' && !Array.isArray(d)
    await this.#file.load(valid, () => ({}), this.#clock.now())
    this.#loaded = true
  }

  /** Give the part what it kept last time (if anything), and write its changes from now on. */
  keep<T>(name: string, part: Remembering<T>): void {
    if (!this.#loaded) throw new Error('BoxMemory: load() first')
    const saved = this.#file.data[name]
    if (saved !== undefined) part.recall(saved as T, this.#clock.now())
    this.#parts.set(name, part as Remembering<unknown>)
    part.memoryChanged = () => this.#changed()
  }

  /** Write now whatever waits (at a clean stop). */
  async flush(): Promise<void> {
    if (this.#timer) {
      this.#timer.cancel()
      this.#timer = null
      this.#collect()
      void this.#file.save()
    }
    await this.#file.flushed()
  }

  /** Writes since start (the bench's bytes-per-hour). */
  get writes(): number {
    return this.#file.writes
  }

  #changed(): void {
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = null
      this.#collect()
      void this.#file.save()
    }, MEMORY_BATCH_MS)
  }

  #collect(): void {
    for (const [name, part] of this.#parts) this.#file.data[name] = part.remember()
  }
}

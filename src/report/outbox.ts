import { rename } from 'node:fs/promises'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'

export interface OutboxMessage {
  /** Increasing number, so the office server can spot a gap or a duplicate. */
  seq: number
  topic: string
  payload: string
}

interface OutboxFile {
  nextSeq: number
  messages: OutboxMessage[]
}

/**
 * QoS 1 messages (alerts, events) wait here until the broker acknowledges
 * them: kept on disk, so neither a broker that is away nor a reboot loses one.
 * The file is rewritten atomically (temp file + rename) on each change; these
 * messages are rare (state changes), so the SD card sees few writes. When it
 * is full, the oldest are dropped and counted, rather than the box stalling.
 */
export class Outbox {
  readonly #db: Low<OutboxFile>
  readonly #file: string
  readonly #log: Logger
  readonly #max: number
  #writing: Promise<void> = Promise.resolve()
  #draining = false
  dropped = 0

  constructor(deps: { file: string; log: Logger; max?: number }) {
    this.#file = deps.file
    this.#log = deps.log
    this.#max = deps.max ?? 5000
    this.#db = new Low<OutboxFile>(new JSONFile<OutboxFile>(deps.file), { nextSeq: 1, messages: [] })
  }

  get size(): number {
    return this.#db.data.messages.length
  }

  get messages(): readonly OutboxMessage[] {
    return this.#db.data.messages
  }

  async load(now: number): Promise<void> {
    try {
      await this.#db.read()
      const d = this.#db.data
      if (!Array.isArray(d?.messages) || typeof d.nextSeq !== 'number') throw new Error('not an outbox file')
      if (d.messages.length > 0) this.#log.info({ pending: d.messages.length }, 'messages from before the restart are waiting for the broker')
    } catch (err) {
      const aside = `${this.#file}.damaged-${now}`
      this.#log.error({ err: errorMessage(err), aside }, 'outbox file unreadable; starting empty')
      await rename(this.#file, aside).catch(() => {})
      this.#db.data = { nextSeq: 1, messages: [] }
    }
  }

  add(topic: string, payload: string): OutboxMessage {
    const d = this.#db.data
    const msg = { seq: d.nextSeq++, topic, payload }
    d.messages.push(msg)
    if (d.messages.length > this.#max) {
      const drop = d.messages.length - this.#max
      d.messages.splice(0, drop)
      this.dropped += drop
      this.#log.error({ dropped: this.dropped }, 'outbox full: oldest messages dropped')
    }
    this.#persist()
    return msg
  }

  /** Send everything in order; stop at the first failure (the broker went away) and keep the rest. */
  async drain(send: (m: OutboxMessage) => Promise<void>): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (;;) {
        const head = this.#db.data.messages[0]
        if (!head) break
        await send(head)
        if (this.#db.data.messages[0] === head) this.#db.data.messages.shift()
        this.#persist()
      }
    } catch {
      // left for the next connection
    } finally {
      this.#draining = false
    }
  }

  /** Wait for the file to hold everything added so far. */
  async flushed(): Promise<void> {
    await this.#writing
  }

  #persist(): void {
    this.#writing = this.#writing.then(async () => {
      try {
        await this.#db.write()
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'cannot save the outbox')
      }
    })
  }
}

import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'

export interface OutboxMessage {
  /** Increasing number, also in the payload as `seq`, so the office server can drop a duplicate (QoS 1 is at least once) and spot a gap. */
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
 * The file is rewritten atomically (temp file + rename), and changes made
 * while a write runs share the next one, so a drain after an outage costs a
 * few writes, not one per message. When it is full, the oldest are dropped
 * and counted, rather than the box stalling.
 */
export class Outbox {
  readonly #file: JsonFileState<OutboxFile>
  readonly #log: Logger
  readonly #max: number
  #draining = false
  dropped = 0

  constructor(deps: { file: string; log: Logger; max?: number }) {
    this.#log = deps.log
    this.#max = deps.max ?? 5000
    this.#file = new JsonFileState<OutboxFile>(deps.file, { nextSeq: 1, messages: [] }, deps.log)
  }

  get size(): number {
    return this.#file.data.messages.length
  }

  get messages(): readonly OutboxMessage[] {
    return this.#file.data.messages
  }

  async load(now: number): Promise<void> {
    const valid = (d: unknown): d is OutboxFile => Array.isArray((d as OutboxFile)?.messages) && typeof (d as OutboxFile).nextSeq === 'number'
    await this.#file.load(valid, () => ({ nextSeq: 1, messages: [] }), now)
    if (this.size > 0) this.#log.info({ pending: this.size }, 'messages from before the restart are waiting for the broker')
  }

  add(topic: string, body: object): OutboxMessage {
    const d = this.#file.data
    const seq = d.nextSeq++
    const msg = { seq, topic, payload: JSON.stringify({ ...body, seq }) }
    d.messages.push(msg)
    if (d.messages.length > this.#max) {
      const drop = d.messages.length - this.#max
      d.messages.splice(0, drop)
      this.dropped += drop
      this.#log.error({ dropped: this.dropped }, 'outbox full: oldest messages dropped')
    }
    void this.#file.save()
    return msg
  }

  /** Send everything in order; stop at the first failure (the broker went away) and keep the rest. */
  async drain(send: (m: OutboxMessage) => Promise<void>): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (;;) {
        const head = this.#file.data.messages[0]
        if (!head) break
        await send(head)
        if (this.#file.data.messages[0] === head) this.#file.data.messages.shift()
        void this.#file.save()
      }
    } catch {
      // left for the next connection
    } finally {
      this.#draining = false
    }
  }

  /** Wait for the file to hold everything added so far. */
  flushed(): Promise<void> {
    return this.#file.flushed()
  }

  /** File writes since start. */
  get writes(): number {
    return this.#file.writes
  }
}

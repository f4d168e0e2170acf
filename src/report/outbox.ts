import type { Journal } from '../core/journal.js'
import type { Logger } from '../core/logger.js'

export interface OutboxMessage {
  /** Increasing number, also in the payload as `seq`, so the office server can drop a duplicate (QoS 1 is at least once) and spot a gap. */
  seq: number
  topic: string
  payload: string
}

/** What goes first when the disk budget is reached: state events, then call records, then alerts. */
export type OutboxKind = 'event' | 'call' | 'alert'
const DROP_ORDER: OutboxKind[] = ['event', 'call', 'alert']
export const kindOf = (topic: string): OutboxKind => (topic.endsWith('/alert') ? 'alert' : topic.endsWith('/call') ? 'call' : 'event')

export type DropCounts = Record<OutboxKind, number>
const noDrops = (): DropCounts => ({ event: 0, call: 0, alert: 0 })

/** One line of the outbox's history in the journal. */
type OutboxRecord =
  | { m: [number, string, string] }
  | { done: number }
  | { drop: number[] }
  | { next: number; dropped: DropCounts }

const sizeOf = (m: OutboxMessage) => m.topic.length + m.payload.length + 16
/**
 * Messages sent at once before their PUBACKs are awaited: a drain is not one round trip per message.
 * Large, because a broker with Nagle's algorithm on (mosquitto's default, set_tcp_nodelay false) holds
 * back its last PUBACK of a burst until the box's delayed ACK: ~40 ms per window (measured: 16 → 360
 * msg/s, 64 → 3,700, 256 → 9,600 against mosquitto 2.0.11 on loopback; with nodelay on, ~9,000 for all three).
 */
const WINDOW = 256

/**
 * QoS 1 messages (alerts, events, calls) wait here until they are delivered:
 * each added message is in the journal (fsynced with whatever else changed in
 * that moment) before it can be sent, so neither a broker that is away nor a
 * power cut loses one. Delivered means the broker's PUBACK, or, with the
 * office's acknowledgement on, the office's `<base>/ack` (a PUBACK is not
 * durable on every broker). Over the disk budget the oldest state events go
 * first, then call records, alerts last; every drop is counted and reported.
 */
export class Outbox {
  readonly #log: Logger
  readonly #budget: number
  readonly #officeAck: boolean
  #write: ((r: OutboxRecord) => Promise<void>) | null = null
  #journal: Journal | null = null
  #messages: OutboxMessage[] = []
  #bytes = 0
  #nextSeq = 1
  /** Sent in this connection and acknowledged by the broker, waiting for the office's word (office ack on). */
  #sentUpTo = 0
  #draining = false
  /** A drain asked for while one ran. */
  #wanted: ((m: OutboxMessage) => Promise<void>) | null = null
  /** Counts connections, so a drain of an old one cannot move #sentUpTo. */
  #connection = 0
  /** The first message waiting at the last resendIfStalled(). */
  #headSeen: number | null = null
  /** The highest seq on the card: nothing is sent before it is there, so a seq the office has was never given to another message. */
  #durable = 0
  /** Called when more messages are on the card (the reporter drains then). */
  onDurable: (() => void) | null = null
  /** Dropped for the budget and not yet reported to the office. */
  dropped: DropCounts = noDrops()

  constructor(deps: { log: Logger; budgetBytes?: number; officeAck?: boolean }) {
    this.#log = deps.log
    this.#budget = deps.budgetBytes ?? 10 * 1024 * 1024
    this.#officeAck = deps.officeAck ?? false
  }

  get size(): number {
    return this.#messages.length
  }

  /** The seq given to the newest message (0: none yet): the office should end up with every seq up to it. */
  get lastSeq(): number {
    return this.#nextSeq - 1
  }

  get messages(): readonly OutboxMessage[] {
    return this.#messages
  }

  /** The messages' bytes on the card (roughly): what the budget counts. */
  get bytes(): number {
    return this.#bytes
  }

  /** Take the outbox's history from the journal and write to it from now on. */
  load(journal: Journal): void {
    this.#journal = journal
    this.#write = journal.section('outbox', {
      replay: (records) => {
        for (const r of records as OutboxRecord[]) this.#apply(r)
        this.#durable = this.#nextSeq - 1
        if (this.size > 0) this.#log.info({ pending: this.size }, 'messages from before the restart are waiting for the broker')
      },
      live: () => [{ next: this.#nextSeq, dropped: this.dropped }, ...this.#messages.map((m) => ({ m: [m.seq, m.topic, m.payload] }))],
    })
  }

  /** Queue a message; it is sent once it is on the card. */
  add(topic: string, body: object): OutboxMessage {
    const seq = this.#nextSeq++
    const msg = { seq, topic, payload: JSON.stringify({ ...body, seq }) }
    this.#messages.push(msg)
    this.#bytes += sizeOf(msg)
    void this.#save({ m: [seq, topic, msg.payload] }).then(() => {
      this.#durable = Math.max(this.#durable, seq)
      this.onDurable?.()
    })
    if (this.#bytes > this.#budget) this.#overBudget()
    return msg
  }

  /**
   * Send everything not yet delivered, in order; stop at the first failure (the broker went away)
   * and keep the rest. A drain asked for while one runs runs after it (a new connection's drain
   * waits for the old one to give up, then starts from what the office has not confirmed).
   */
  async drain(send: (m: OutboxMessage) => Promise<void>): Promise<void> {
    this.#wanted = send
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#wanted) {
        const next = this.#wanted
        this.#wanted = null
        await this.#drainOnce(next)
      }
    } finally {
      this.#draining = false
    }
  }

  async #drainOnce(send: (m: OutboxMessage) => Promise<void>): Promise<void> {
    const connection = this.#connection
    try {
      for (;;) {
        const from = this.#firstAfter(this.#sentUpTo)
        const chunk = this.#messages.slice(from, from + WINDOW).filter((m) => m.seq <= this.#durable)
        if (!chunk.length) break
        // all of a window or none: a failure sends the whole window again (the same seq: the office drops the copy)
        await Promise.all(chunk.map(send))
        const last = chunk.at(-1)!.seq
        if (!this.#officeAck) this.#done(last)
        // what the last connection sent says nothing of the new one's
        else if (connection === this.#connection) this.#sentUpTo = Math.max(this.#sentUpTo, last)
        else break
      }
    } catch {
      // left for the next connection
    }
  }

  /** A new connection: with the office's acknowledgement on, everything it has not confirmed is sent again. */
  reconnected(): void {
    this.#sentUpTo = 0
    this.#connection++
  }

  /**
   * Called now and then (office ack on): when the office's ack has not moved since the last call
   * while messages it has not confirmed were sent, they are sent again (a broker that dropped them
   * for a slow office, or lost them in a crash). Returns whether it did.
   */
  resendIfStalled(): boolean {
    const head = this.#messages[0]?.seq ?? null
    const stalled = this.#officeAck && head !== null && this.#sentUpTo >= head && head === this.#headSeen
    this.#headSeen = head
    if (stalled) this.reconnected()
    return stalled
  }

  /** The office has stored everything up to `seq` (`<base>/ack`): only now is it gone from the box. */
  officeStored(seq: number): void {
    if (!this.#officeAck || !Number.isSafeInteger(seq) || seq < 1) return
    if (this.#messages[0] && this.#messages[0].seq <= seq) this.#done(Math.min(seq, this.#nextSeq - 1))
  }

  /** The drops since the last report, and start counting again (the report goes out as an event). */
  takeDropReport(): DropCounts | null {
    const d = this.dropped
    if (d.event + d.call + d.alert === 0) return null
    this.dropped = noDrops()
    void this.#save({ next: this.#nextSeq, dropped: this.dropped })
    return d
  }

  /** The index of the first message after `seq` (they are in seq order). */
  #firstAfter(seq: number): number {
    let lo = 0
    let hi = this.#messages.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.#messages[mid]!.seq <= seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #done(seq: number): void {
    if (!this.#takeUpTo(seq)) return
    void this.#save({ done: seq })
  }

  /** Forget the messages up to `seq`; how many. */
  #takeUpTo(seq: number): number {
    const n = this.#firstAfter(seq)
    for (let i = 0; i < n; i++) this.#bytes -= sizeOf(this.#messages[i]!)
    this.#messages.splice(0, n)
    return n
  }

  #overBudget(): void {
    const gone: number[] = []
    for (const kind of DROP_ORDER) {
      for (let i = 0; i < this.#messages.length && this.#bytes > this.#budget; ) {
        const m = this.#messages[i]!
        // never the newest: it is what was just said
        if (kindOf(m.topic) !== kind || i === this.#messages.length - 1) {
          i++
          continue
        }
        this.#messages.splice(i, 1)
        this.#bytes -= sizeOf(m)
        this.dropped[kind]++
        gone.push(m.seq)
      }
    }
    if (!gone.length) return
    void this.#save({ drop: gone })
    this.#log.error({ dropped: this.dropped, budgetBytes: this.#budget }, 'outbox over its disk budget: oldest messages dropped (state events first, alerts last)')
  }

  #apply(r: OutboxRecord): void {
    if ('m' in r && Array.isArray(r.m)) {
      const [seq, topic, payload] = r.m
      const msg = { seq, topic, payload }
      this.#messages.push(msg)
      this.#bytes += sizeOf(msg)
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1)
    } else if ('done' in r) {
      this.#takeUpTo(r.done)
    } else if ('drop' in r && Array.isArray(r.drop)) {
      const gone = new Set(r.drop)
      this.#messages = this.#messages.filter((m) => {
        if (!gone.has(m.seq)) return true
        this.#bytes -= sizeOf(m)
        this.dropped[kindOf(m.topic)]++
        return false
      })
    } else if ('next' in r) {
      this.#nextSeq = Math.max(this.#nextSeq, r.next)
      this.dropped = { ...noDrops(), ...r.dropped }
    }
  }

  async #save(r: OutboxRecord): Promise<void> {
    await this.#write?.(r)
    this.#journal?.maybeCompact(this.#bytes)
  }
}

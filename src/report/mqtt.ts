import { brokerAuth } from './mqtt-options.js'
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import type { MqttConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { within } from '../core/within.js'
import { Backoff } from '../core/backoff.js'
import type { Logger } from '../core/logger.js'
import type { DayFigures, RoutingStats } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { Outbox } from './outbox.js'
import type { Journal } from '../core/journal.js'
import { clearRetained } from './clear-retained.js'
import { existsSync, rmSync } from 'node:fs'
import { baseTopic, type StateEvent, type TopicPayloads } from './topics.js'

const RETAINED: IClientPublishOptions = { qos: 1, retain: true }
const DURABLE: IClientPublishOptions = { qos: 1, retain: false }
/** Shutdown budget (within the box's 2 s): the `offline` acknowledgement, then the DISCONNECT. */
const OFFLINE_ACK_MS = 800
const DISCONNECT_MS = 500
/** A message of the outbox without its PUBACK this long is sent again (from the outbox, on the next drain). */
const PUBACK_MS = 10_000
/** With the office's acknowledgement on: what it has not confirmed for this long is sent again. */
const OFFICE_RESEND_MS = 30_000
/** After a switch to a metered uplink, and after each connection, changes go at once this long: the switch itself is news. */
const SWITCH_REPORT_MS = 5000
/** A CONNACK that refuses the protocol version: 3.1.1's return code 1, MQTT 5's reason 0x84. */
const PROTOCOL_REFUSED = new Set([1, 0x84])

/**
 * The session the box asks for. MQTT 5: the session outlives a connection
 * (clean start off, an expiry), so what the office sends while the box is away
 * waits for it, and the will is delayed, so a reconnect within the delay never
 * shows the box offline. 3.1.1 has neither: a clean session and a will at once.
 */
function sessionOptions(cfg: MqttConfig, base: string, v5: boolean): Partial<IClientOptions> {
  const will = { topic: `${base}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true }
  if (!v5) return { protocolVersion: 4, clean: true, properties: undefined, will }
  return {
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: cfg.sessionExpirySeconds },
    will: { ...will, properties: { willDelayInterval: cfg.willDelaySeconds } },
  }
}

/** 10.0.0.2 and ::ffff:10.0.0.2 are one address. */
const plainAddress = (a: string) => a.replace(/^::ffff:/, '')
const isLoopback = (a: string) => a.startsWith('127.') || a === '::1'

/**
 * Publishes the store to the broker: retained state per part, `status` with a
 * last will, QoS 1 alerts and events. Reconnects with exponential back-off
 * and jitter (many boxes of a chain must not hammer a returning broker in
 * step). While away, retained state is not queued (the whole state is sent
 * again on connect); alerts and events wait in the durable Outbox until the
 * broker acknowledges them.
 */
/** Whether a topic matches a filter with `+` (one level) and a trailing `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}

export class MqttReporter {
  readonly base: string
  readonly #cfg: MqttConfig
  readonly #store: StateStore
  readonly #clock: Clock
  readonly #log: Logger
  readonly #clientId: string
  #client: MqttClient | null = null
  #retry: Timer | null = null
  readonly #backoff: Backoff
  #stopping = false
  /** The next reconnect goes at once (the traffic moved to another uplink), not after the back-off. */
  #atOnce = false
  /** >0: retained state is held and sent this often (a metered uplink); the newest per topic wins. */
  #throttleMs = 0
  /** Retained state is held only from this moment on (see SWITCH_REPORT_MS). */
  #holdFrom = 0
  /** The protocol of the connection being made: MQTT 5 unless the broker refused it (mqtt.protocol: auto). */
  #v5: boolean
  readonly #held = new Map<string, string>()
  #stats: RoutingStats | null = null
  /** Today's call figures (src/stats), in `<base>/stats` as `calls`. */
  #figures: DayFigures | null = null
  #heldTimer: Timer | null = null
  #resend: Timer | null = null
  readonly outbox: Outbox
  readonly #onChange = (c: StoreChange) => this.#publishChange(c)
  readonly #listeners: { filter: string; on: (topic: string, payload: Buffer, packet: IPublishPacket) => void; retained: boolean }[] = []
  readonly #connectHooks: (() => void)[] = []

  /** After a factory reset: this mark file exists until the box has cleared its old retained topics. */
  readonly #clearMark: string | undefined
  #clearing = false

  readonly #journal: Journal

  constructor(deps: { config: MqttConfig; site: string; box: string; store: StateStore; clock: Clock; log: Logger; journal: Journal; clearRetainedMark?: string }) {
    this.#journal = deps.journal
    this.#clearMark = deps.clearRetainedMark
    this.#cfg = deps.config
    this.#store = deps.store
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'mqtt' })
    this.base = baseTopic(deps.config.baseTopic, deps.site, deps.box)
    this.#clientId = deps.config.clientId ?? `linewatch-${deps.site}-${deps.box}`
    this.#backoff = new Backoff(deps.config.reconnectMinMs, deps.config.reconnectMaxMs, 0.2)
    this.outbox = new Outbox({ log: this.#log, budgetBytes: deps.config.outboxKB * 1024, officeAck: deps.config.officeAck })
    // the office's word that it has stored everything up to a seq: only then is it gone from the box
    if (deps.config.officeAck) this.listen('ack', (_topic, payload) => this.#officeAck(payload))
    this.#v5 = deps.config.protocol !== '3.1.1'
  }

  /** The MQTT version in use (or being tried): 5 or 4 (3.1.1). */
  get protocolVersion(): 5 | 4 {
    return this.#v5 ? 5 : 4
  }

  get connected(): boolean {
    return this.#client?.connected ?? false
  }

  /**
   * Hear messages on `<base>/<filter>` (`+` matches one level). Subscribed on
   * each connect (clean session: the broker forgets subscriptions), QoS 1.
   * Call before start.
   */
  listen(filter: string, on: (topic: string, payload: Buffer, packet: IPublishPacket) => void): void {
    this.#listeners.push({ filter: `${this.base}/${filter}`, on, retained: false })
  }

  /**
   * Hear a topic outside `<base>` (Home Assistant's): the filter as it is. With `retained`, the broker's
   * retained copies are heard too (what the box itself left there before). Call before start.
   */
  listenTopic(filter: string, on: (topic: string, payload: Buffer) => void, opts: { retained?: boolean } = {}): void {
    this.#listeners.push({ filter, on, retained: opts.retained ?? false })
  }

  /** Called on every connection, after the whole state went out. */
  onConnect(hook: () => void): void {
    this.#connectHooks.push(hook)
  }

  /**
   * A message outside `<base>`, QoS 1, only while connected and not through the outbox: its owner sends it
   * again on every connection (onConnect). An empty retained payload deletes the broker's retained copy.
   */
  publishTopic(topic: string, payload: string, retain: boolean): void {
    if (!this.connected) return
    this.#client?.publish(topic, payload, retain ? RETAINED : DURABLE, (err) => {
      if (err && !this.#stopping && err.message !== 'Message removed') this.#log.warn({ topic, err: errorMessage(err) }, 'publish failed')
    })
  }

  async start(): Promise<void> {
    this.#stopping = false
    this.outbox.load(this.#journal)
    this.outbox.onDurable = () => this.#drain()
    if (this.#cfg.officeAck) {
      this.#resend = this.#clock.setInterval(() => {
        if (this.connected && this.outbox.resendIfStalled()) {
          this.#log.warn({ waiting: this.outbox.size }, 'the office has not confirmed what was sent: sending it again')
          this.#drain()
        }
      }, OFFICE_RESEND_MS)
    }
    this.#client = mqtt.connect(this.#cfg.url, {
      clientId: this.#clientId,
      ...brokerAuth(this.#cfg),
      reconnectPeriod: 0, // our own back-off below
      connectTimeout: 10_000,
      resubscribe: false, // #publishAll subscribes on every connection
      // mqtt-packet's cache of every 16-bit number as its own 2-byte Buffer: 65,536 objects, 6 MB of heap
      // for a box that sends a few messages a minute (issue 20; measured with a heap snapshot)
      writeCache: false,
      ...sessionOptions(this.#cfg, this.base, this.#v5),
    })
    this.#client.on('connect', () => this.#onConnect())
    this.#client.on('close', () => {
      // what was held is stale by the next connect, which sends the whole state anyway
      this.#held.clear()
      this.#abandonInFlight()
      this.#scheduleReconnect()
    })
    this.#client.on('error', (err) => {
      const code = (err as { code?: number }).code
      if (this.#v5 && this.#cfg.protocol === 'auto' && code !== undefined && PROTOCOL_REFUSED.has(code) && this.#client) {
        // the close that follows reconnects at once, in 3.1.1
        this.#v5 = false
        Object.assign(this.#client.options, sessionOptions(this.#cfg, this.base, false))
        this.#atOnce = true
        return this.#log.warn('the broker does not speak MQTT 5: using 3.1.1 (no will delay: an uplink switch shows the box offline for a moment)')
      }
      this.#log.warn({ err: errorMessage(err) }, 'broker error')
    })
    this.#client.on('message', (topic, payload, packet) => {
      // what we listen to are events: a retained copy would be heard again on every reconnect (unless asked for)
      const heard = this.#listeners.filter((l) => topicMatches(l.filter, topic) && (l.retained || !packet.retain))
      if (packet.retain && !heard.length) return this.#clearing ? undefined : this.#log.warn({ topic }, 'retained message ignored (publish reports without retain)')
      for (const l of heard) {
        try {
          l.on(topic, payload, packet)
        } catch (err) {
          this.#log.warn({ topic, err: errorMessage(err) }, 'message handler failed')
        }
      }
    })
    this.#store.on('change', this.#onChange)
  }

  /**
   * The traffic moved to another uplink: the connection, if any, runs over
   * the dead one (TCP would notice only after its keepalive), so drop it and
   * connect again now, without the back-off.
   */
  reconnectNow(): void {
    const client = this.#client
    if (this.#stopping || !client) return
    this.#retry?.cancel()
    this.#retry = null
    this.#backoff.reset()
    this.#atOnce = true
    const stream = client.stream
    // a live or half-open stream: destroying it brings 'close', and the reconnect from there
    if (stream && !stream.destroyed) stream.destroy()
    else this.#scheduleReconnect()
  }

  /**
   * The traffic now leaves by the uplink with this address (null: unknown).
   * A connection made from another address runs over the old path: a source
   * rule keeps it there, dead or alive, until TCP gives up. Move it now. One
   * to a broker on this machine never leaves it and stays.
   */
  follow(address: string | null): void {
    const local = this.#client?.stream && 'localAddress' in this.#client.stream ? (this.#client.stream as { localAddress?: string }).localAddress : undefined
    if (this.connected && local && (isLoopback(plainAddress(local)) || plainAddress(local) === address)) return
    this.reconnectNow()
  }

  /**
   * A command's result on `<base>/<topic>`, and, when the request (MQTT 5) named a response topic, there
   * too with its correlation data. QoS 1, not retained, not queued, like any reply.
   */
  commandResult(topic: string, payload: unknown, request: IPublishPacket): void {
    this.respond(topic, payload)
    const responseTopic = request.properties?.responseTopic
    if (!responseTopic || !this.connected || !this.#v5) return
    const correlationData = request.properties?.correlationData
    this.#client?.publish(responseTopic, JSON.stringify(payload), { ...DURABLE, properties: correlationData ? { correlationData } : {} }, (err) => {
      if (err && !this.#stopping && err.message !== 'Message removed') this.#log.warn({ responseTopic, err: errorMessage(err) }, 'reply failed')
    })
  }

  /** A reply to a request (QoS 1, not retained, not queued: an answer is no use once the asker has given up). */
  respond(topic: string, payload: unknown): void {
    if (!this.connected) return
    this.#client?.publish(`${this.base}/${topic}`, JSON.stringify(payload), DURABLE, (err) => {
      if (err && !this.#stopping && err.message !== 'Message removed') this.#log.warn({ topic, err: errorMessage(err) }, 'reply failed')
    })
  }

  /** Hold retained state and send it every `ms` (0: at once again). Alerts and events always go at once. */
  throttle(ms: number): void {
    if (ms === this.#throttleMs || this.#stopping) return
    if (this.#throttleMs === 0) this.#holdFrom = this.#clock.now() + SWITCH_REPORT_MS
    this.#throttleMs = ms
    this.#heldTimer?.cancel()
    this.#heldTimer = null
    if (ms === 0) this.#flushHeld()
    else this.#heldTimer = this.#clock.setInterval(() => this.#flushHeld(), ms)
  }

  #flushHeld(): void {
    if (!this.connected) return
    for (const [topic, body] of this.#held) this.#client?.publish(topic, body, RETAINED)
    this.#held.clear()
  }

  /** Say `offline` ourselves and disconnect cleanly, so the broker does not send the will. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.#retry?.cancel()
    this.#heldTimer?.cancel()
    this.#resend?.cancel()
    this.#store.off('change', this.#onChange)
    const client = this.#client
    if (!client) return
    if (client.connected) await within(client.publishAsync(`${this.base}/status`, 'offline', RETAINED), OFFLINE_ACK_MS).catch(() => false)
    // Nothing unacknowledged may hold up the DISCONNECT: the outbox still has it for next time.
    this.#abandonInFlight()
    // a clean DISCONNECT, so the broker drops the will; a broker that does not take it in time is cut off
    const clean = await within(new Promise<void>((r) => client.end(!client.connected, {}, () => r())), DISCONNECT_MS)
    if (!clean) client.stream?.destroy()
    this.#client = null
  }

  /** `<base>/ack`: `{"seq":N}` or the bare number. */
  #officeAck(payload: Buffer): void {
    const text = payload.toString().trim()
    let seq = Number(text)
    if (!Number.isSafeInteger(seq)) {
      try {
        seq = Number((JSON.parse(text) as { seq?: unknown }).seq)
      } catch {
        seq = NaN
      }
    }
    if (!Number.isSafeInteger(seq) || seq < 1) return this.#log.warn({ payload: text.slice(0, 80) }, 'ack: not a seq ({"seq":N} or N); ignored')
    this.outbox.officeStored(seq)
  }

  /** Retained state: sent only while connected; on connect the whole state is sent again. */
  #publishRetained<T extends keyof TopicPayloads & string>(topic: T, payload: TopicPayloads[T]): void {
    if (!this.connected) return
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
    if (this.#throttleMs > 0 && topic !== 'status' && this.#clock.now() >= this.#holdFrom) {
      this.#held.set(`${this.base}/${topic}`, body)
      return
    }
    this.#client?.publish(`${this.base}/${topic}`, body, RETAINED, (err) => {
      // "Message removed": dropped with a lost connection (#abandonInFlight); the whole state goes again on connect
      if (err && !this.#stopping && err.message !== 'Message removed') this.#log.warn({ topic, err: errorMessage(err) }, 'publish failed')
    })
  }

  /** `<base>/stats`: routing's totals (zeros without routing) with today's call figures when there are some. */
  #publishStats(): void {
    const f = this.#figures
    const routing = this.#stats ?? (f ? { day: f.day, currency: null, paths: {}, total: { attempts: 0, answered: 0, seconds: 0, cost: 0 }, bundles: [], ts: f.ts } : null)
    if (routing) this.#publishRetained('stats', f ? { ...routing, calls: f } : routing)
  }

  /** QoS 1 messages go through the outbox: none is lost while the broker is away or the box restarts. */
  #publishDurable<T extends 'alert' | 'event' | 'call' | 'stats/day'>(topic: T, payload: TopicPayloads[T]): void {
    // sent once it is on the card (Outbox.onDurable)
    this.outbox.add(`${this.base}/${topic}`, payload)
  }

  /**
   * Drop what mqtt.js still waits a PUBACK for. After a lost connection it
   * would wait forever (clean session: nobody resends it), holding up the
   * outbox and a clean disconnect. The outbox is the durable copy: whatever
   * was not acknowledged is sent again from there.
   */
  #abandonInFlight(): void {
    const client = this.#client
    if (!client) return
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id))
  }

  #drain(): void {
    const client = this.#client
    if (!client?.connected) return
    void this.outbox
      .drain(async (m) => {
        if (!client.connected) throw new Error('disconnected')
        // a PUBACK that never comes (a connection half gone) must not hold the outbox for ever
        if (!(await within(client.publishAsync(m.topic, m.payload, DURABLE), PUBACK_MS))) throw new Error('no PUBACK')
      })
      .then(() => {
        // what was dropped for the disk budget is said once the office can hear it: the seq gaps are explained
        const dropped = client.connected && this.outbox.size === 0 ? this.outbox.takeDropReport() : null
        if (dropped) this.#publishDurable('event', { type: 'dropped', dropped, ts: this.#clock.now() })
      })
  }

  #onConnect(): void {
    // small packets (PUBACKs, state) go at once, not after the broker's delayed ACK
    ;(this.#client?.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true)
    this.#backoff.reset()
    this.outbox.reconnected()
    this.#log.info({ base: this.base }, 'connected to broker')
    if (this.#clearMark && existsSync(this.#clearMark) && this.#client) {
      this.#clearing = true
      void clearRetained(this.#client, this.base)
        .then((topics) => {
          rmSync(this.#clearMark!, { force: true })
          this.#log.warn({ cleared: topics.length }, 'factory reset: the retained topics the box had left on the broker are cleared')
        })
        .catch((err) => this.#log.warn({ err: errorMessage(err) }, 'factory reset: clearing the old retained topics failed; tried again at the next connection'))
        .finally(() => {
          this.#clearing = false
          if (this.connected) this.#publishAll()
        })
      return
    }
    this.#publishAll()
  }

  /** The whole state, the subscriptions and what waits in the outbox: on every connection. */
  #publishAll(): void {
    // the first report on a new connection goes whole and at once, throttled or not
    this.#holdFrom = this.#clock.now() + SWITCH_REPORT_MS
    this.#publishRetained('status', 'online')
    const snap = this.#store.snapshot
    for (const m of Object.values(snap.modems)) this.#publishRetained(`modem/${m.id}`, m)
    for (const l of Object.values(snap.lines)) this.#publishRetained(`line/${l.id}`, l)
    for (const u of Object.values(snap.uplinks)) this.#publishRetained(`uplink/${u.id}`, u)
    this.#publishRetained('panel', snap.panel)
    if (snap.sitePhone) this.#publishRetained('site/phone', snap.sitePhone)
    this.#publishStats()
    for (const l of this.#listeners) {
      // MQTT 5 keeps the retain flag of a message published retained while we are subscribed (rap), so a
      // retained command is ignored then too; MQTT 3.1.1 clears it on live messages: only replays are seen as retained
      this.#client?.subscribe(l.filter, { qos: 1, ...(this.#v5 && !l.retained ? { rap: true } : {}) }, (err) => {
        if (err && !this.#stopping) this.#log.warn({ filter: l.filter, err: errorMessage(err) }, 'subscribe failed')
      })
    }
    for (const hook of this.#connectHooks) hook()
    this.#drain()
  }

  #scheduleReconnect(): void {
    if (this.#stopping || !this.#client || this.#retry) return
    const wait = this.#atOnce ? 0 : this.#backoff.next()
    this.#atOnce = false
    this.#log.warn({ retryMs: wait }, 'broker connection lost; retrying')
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = null
      if (!this.#stopping) this.#client?.reconnect()
    }, wait)
  }

  #publishChange(c: StoreChange): void {
    if (c.kind === 'alert') return this.#publishDurable('alert', c.next)
    if (c.kind === 'call' || c.kind === 'routed') return this.#publishDurable('call', c.next)
    if (c.kind === 'stats') {
      // not in the snapshot: kept here, so a reconnect sends it again with the rest of the state
      this.#stats = c.next
      return this.#publishStats()
    }
    if (c.kind === 'figures') {
      // a finished day goes once, durably; today's ride in the retained stats
      if (c.id === 'day') return this.#publishDurable('stats/day', c.next)
      this.#figures = c.next
      return this.#publishStats()
    }
    if (c.kind === 'event') return this.#publishDurable('event', c.next)
    if (c.kind === 'site') return this.#publishRetained('site/phone', c.next)
    if (c.kind === 'panel') return this.#publishRetained('panel', c.next)
    this.#publishRetained(`${c.kind}/${c.id}`, c.next)
    // a step repeated (the power key's second press) is a new event too: `since` tells them apart
    if (c.kind === 'modem' && c.prev && (c.prev.recovery?.step !== c.next.recovery?.step || c.prev.recovery?.since !== c.next.recovery?.since)) {
      const r = c.next.recovery ?? c.prev.recovery
      this.#publishDurable('event', { type: 'recovery', source: `modem/${c.id}`, step: c.next.recovery?.step ?? 'recovered', round: r?.round ?? 0, ts: c.next.ts })
    }
    if (c.prev?.state !== c.next.state) {
      const event: StateEvent = { type: 'state', source: `${c.kind}/${c.id}`, from: c.prev?.state ?? null, to: c.next.state, reason: c.next.reason, ts: c.next.ts }
      this.#publishDurable('event', event)
    }
  }
}

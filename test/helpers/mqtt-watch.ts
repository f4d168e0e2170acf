import mqtt, { type MqttClient } from 'mqtt'
import { within } from '../../src/core/within.js'
import { waitFor } from './flush.js'

export interface Seen {
  topic: string
  payload: string
  retain: boolean
}

/** A subscriber that remembers everything it sees under a topic filter. */
export class MqttWatch {
  readonly seen: Seen[] = []
  readonly client: MqttClient

  private constructor(client: MqttClient) {
    this.client = client
    client.on('message', (topic, payload, packet) => this.seen.push({ topic, payload: payload.toString(), retain: packet.retain }))
  }

  /** `session` names a persistent session (as the office server keeps), so QoS 1 messages wait for it. */
  static async open(url: string, filter: string, session?: string): Promise<MqttWatch> {
    const clientId = session ?? `watch-${Math.random().toString(16).slice(2)}`
    const client = mqtt.connect(url, { reconnectPeriod: 200, clientId, clean: session === undefined })
    const w = new MqttWatch(client)
    client.on('connect', () => void client.subscribeAsync(filter, { qos: 1 }).catch(() => {}))
    client.on('error', () => {})
    await waitFor(() => client.connected, 5000, 'watcher to connect')
    if (!(await within(client.subscribeAsync(filter, { qos: 1 }), 5000))) throw new Error(`no SUBACK for ${filter} in 5 s`)
    return w
  }

  /** The newest payload on a topic, parsed when it is JSON. */
  last(topic: string): unknown {
    const m = this.seen.filter((s) => s.topic === topic).at(-1)
    if (!m) return undefined
    try {
      return JSON.parse(m.payload)
    } catch {
      return m.payload
    }
  }

  async until(check: (w: MqttWatch) => boolean, what: string, ms = 10000): Promise<void> {
    await waitFor(() => check(this), ms, what)
  }

  close(): Promise<void> {
    return this.client.endAsync(true)
  }
}

/** What a fresh subscriber gets as retained on a topic (the broker's stored copy). */
export async function retained(url: string, topic: string, ms = 2000): Promise<unknown> {
  const w = await MqttWatch.open(url, topic)
  try {
    await w.until((x) => x.seen.some((s) => s.retain), `retained ${topic}`, ms)
    return w.last(topic)
  } finally {
    await w.close()
  }
}

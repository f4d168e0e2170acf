/**
 * After a factory reset (factory-reset.txt on the boot partition) the box
 * takes back what it left on the office's broker: every retained message
 * under its own `<base>/` is cleared (an empty retained payload) at its next
 * connection, before it publishes its fresh state. `linewatch firstboot`
 * leaves the mark in the state folder; the reporter removes it once done.
 */
import type { MqttClient, Packet } from 'mqtt'

/** The mark's name in the state folder. */
export const CLEAR_RETAINED_MARK = 'clear-retained'

/** How long after the subscription the broker's retained copies are awaited (they come at once after SUBACK). */
const QUIET_MS = 1500

/** Clear every retained topic under `base/`; resolves with the topics cleared. */
export async function clearRetained(client: MqttClient, base: string, quietMs = QUIET_MS): Promise<string[]> {
  const found = new Set<string>()
  const onMessage = (topic: string, payload: Buffer, packet: Packet) => {
    if ((packet as { retain?: boolean }).retain && payload.length > 0 && topic.startsWith(`${base}/`)) found.add(topic)
  }
  client.on('message', onMessage)
  try {
    await client.subscribeAsync(`${base}/#`, { qos: 1 })
    await new Promise((r) => setTimeout(r, quietMs))
    await client.unsubscribeAsync(`${base}/#`)
  } finally {
    client.off('message', onMessage)
  }
  await Promise.all([...found].map((topic) => client.publishAsync(topic, '', { qos: 1, retain: true })))
  return [...found].sort()
}

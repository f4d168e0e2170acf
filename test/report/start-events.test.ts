/**
 * Every state change the office can see has its event, the first ones at
 * start-up included: a part that is known at once (an analog line whose
 * voltage is there at power-on, a SIP trunk that answers the first probe)
 * changes state while the box is still starting, and the reporter must
 * already be listening. The broker is away here, so each event waits in the
 * durable outbox, where it is counted.
 */
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { waitFor } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

t.test('a line that is up at once at start-up: its event from unknown is in the outbox', async (t) => {
  for (let run = 1; run <= 3; run++) {
    const dir = tempDir(t)
    const { config, problems } = validateConfigText(`site: shop1
box: b1
board: sim
lines:
  - { id: pots1, kind: analog, numbers: ["+74951110003"], analog: { voltage: { pin: 11, settleMs: 0 } } }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(dir, 'state')}" }
`)
    t.same(problems, [])
    const box = new Box({ config: config!, log: silentLogger() })
    await box.start()
    await waitFor(() => box.store.get('line', 'pots1')?.state === 'up', 5000, 'the line up')
    const events = box.mqtt.outbox.messages.filter((m) => m.topic.endsWith('event')).map((m) => JSON.parse(m.payload) as { type: string; source: string; from: string | null; to: string })
    const first = events.find((e) => e.type === 'state' && e.source === 'line/pots1')
    t.match(first, { from: 'unknown', to: 'up' }, `run ${run}: the line's first change has its event`)
    await box.stop()
  }
})

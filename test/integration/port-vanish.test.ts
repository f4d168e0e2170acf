/**
 * The gateway's port disappears (a USB modem re-enumerating) and comes back
 * under the same stable name: the box reports the modem down with the reason
 * and reopens the port by itself, with back-off.
 */
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { systemClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { SimModem } from '../../src/sim/modem.js'
import { linkSimModem } from '../../src/sim/serial-link.js'
import { waitFor } from '../helpers/flush.js'
import { missing, socatPair } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

t.test('port vanishes and returns: down with the reason, then reopened and up', { skip: missing('socat') }, async (t) => {
  const pty = await socatPair()
  t.teardown(() => pty.close())
  const sim = new SimModem({ clock: systemClock })
  let link = await linkSimModem(sim, pty.gateway)
  t.teardown(() => link.close())
  const { config } = validateConfigText(`
site: s
box: b
board: sim
modems: [{ id: gw1, port: "${pty.box}", pollSeconds: 1, commandTimeoutMs: 500 }]
lines: [{ id: gsm1, kind: gsm, modem: gw1 }]
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${tempDir(t, 'lw-vanish-')}" }
`)
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  const modem = () => box.store.get('modem', 'gw1')!
  await waitFor(() => modem().state === 'up', 10_000, 'modem up')

  await link.close()
  const restarted = pty.restart()
  await waitFor(() => modem().state === 'down', 10_000, 'modem down when its port goes')
  t.match(modem().reason, new RegExp(`port ${pty.box}`), 'the reason names the port')
  t.equal(box.store.get('line', 'gsm1')!.state, 'down')
  await restarted
  link = await linkSimModem(sim, pty.gateway)
  await waitFor(() => modem().state === 'up', 15_000, 'modem up again on the reopened port')
  t.match(modem(), { answering: true, registration: 'home' })
})

import t from 'tap'
import { SerialPortStream, type DisconnectedError } from '@serialport/stream'
import { FakeClock } from '../../src/core/clock.js'
import { SimBinding, SimGateway } from '../../src/sim/binding.js'
import { modemAction } from '../../src/sim/controls.js'
import { SimModem } from '../../src/sim/modem.js'
import type { PersonalityName } from '../../src/sim/personalities.js'
import { flush } from '../helpers/flush.js'

function rig(personality: PersonalityName = 'quectel') {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const modem = gw.add('x', new SimModem({ clock, personality, bootMs: 1000 }))
  const binding = new SimBinding(gw)
  return { clock, gw, modem, binding }
}

/** Open sim:x as the driver does; resolves with the stream, rejects with the open error. */
function open(binding: SimBinding): Promise<{ port: SerialPortStream; received: () => string; closed: Promise<DisconnectedError | null> }> {
  return new Promise((resolve, reject) => {
    const port = new SerialPortStream({ binding, path: 'sim:x', baudRate: 115200, autoOpen: false })
    let data = ''
    const closed = new Promise<DisconnectedError | null>((r) => port.once('close', r))
    port.open((err) => {
      if (err) return reject(err)
      port.on('data', (b: Buffer) => (data += b.toString('latin1')))
      resolve({
        port,
        received: () => {
          const was = data
          data = ''
          return was
        },
        closed,
      })
    })
  })
}

t.test('a vanished port: the open stream sees a disconnect and closes; opens fail with ENOENT until it is back', async (t) => {
  const { gw, binding } = rig()
  const a = await open(binding)
  a.port.write('AT\r')
  await flush()
  t.equal(a.received(), 'AT\r\r\nOK\r\n', 'talks through the stream')

  let errors = 0
  a.port.on('error', () => errors++)
  gw.vanish('x')
  const err = await a.closed
  t.equal(err?.disconnected, true, "'close' with a DisconnectedError, as on a USB unplug")
  t.equal(a.port.isOpen, false)
  t.equal(errors, 0, "no 'error' event, just the close")
  t.same(await binding.list(), [], 'not listed while gone')

  const failed = await open(binding).then(
    () => null,
    (e: NodeJS.ErrnoException) => e,
  )
  t.equal(failed?.code, 'ENOENT')
  t.equal(failed?.message, 'Error: No such file or directory, cannot open sim:x', "bindings-cpp's wording")

  gw.reappear('x')
  const b = await open(binding)
  b.port.write('AT+CSQ\r')
  await flush()
  t.equal(b.received(), 'AT+CSQ\r\r\n+CSQ: 21,99\r\n\r\nOK\r\n', 'opens and answers again')
  b.port.close()
  await b.closed
})

t.test('a stream nobody reads from finds out on its next write', async (t) => {
  const { gw, binding } = rig()
  const port = new SerialPortStream({ binding, path: 'sim:x', baudRate: 115200 })
  await new Promise((r) => port.once('open', r))
  const closed = new Promise((r) => port.once('close', r))
  const errors: NodeJS.ErrnoException[] = []
  port.on('error', (e) => errors.push(e))
  gw.vanish('x')
  port.write('AT\r')
  await closed
  await flush()
  t.equal(port.isOpen, false, 'closed')
  t.match(errors, [{ code: 'ENXIO' }], "the failed write is an 'error', as with a real unplugged device")
})

t.test('a USB module takes its port with it while it is off', async (t) => {
  const { clock, gw, modem, binding } = rig('quectel')
  const a = await open(binding)
  modem.pressPowerKey()
  const err = await a.closed
  t.equal(a.received(), '\r\nPOWERED DOWN\r\n', 'what it said before it went reaches the host')
  t.equal(err?.disconnected, true, 'then the port closes as unplugged')
  t.equal(gw.present('x'), false)
  await t.rejects(open(binding), { code: 'ENOENT' }, 'cannot be opened while the module is off')
  gw.reappear('x')
  t.equal(gw.present('x'), false, 'return does not bring back the port of a module that is off')

  modem.pressPowerKey()
  t.equal(gw.present('x'), true, 'the port is back as soon as it starts booting')
  const b = await open(binding)
  clock.advance(1000)
  await flush()
  t.match(b.received(), /^\r\nRDY\r\n/, 'the boot banners arrive on the new port')

  modem.setPower(false)
  t.equal((await b.closed)?.disconnected, true, 'a supply cut takes the port too')
  modem.setPower(true)
  t.equal(gw.present('x'), true, 'an EC25 boots when the supply returns, and its port comes back')
})

t.test('a UART module (SIM800) keeps its port while it is off', async (t) => {
  const { gw, modem, binding } = rig('simcom')
  const a = await open(binding)
  let closed = false
  a.port.on('close', () => (closed = true))
  modem.pressPowerKey()
  await flush()
  t.equal(a.received(), '\r\nNORMAL POWER DOWN\r\n')
  t.equal(closed, false, 'the UART stays open')
  t.equal(gw.present('x'), true)
  a.port.write('AT\r')
  await flush()
  t.equal(a.received(), '', 'but nothing answers')
  a.port.close()
  await a.closed
})

t.test('vanish and reappear name a modem the gateway has', async (t) => {
  const { gw } = rig()
  t.throws(() => gw.vanish('nope'), /no simulated modem "nope"/)
  t.throws(() => gw.reappear('nope'), /no simulated modem "nope"/)
})

t.test("the demo's actions: hang, reboot, slow, vanish/return, power-off/power-on", async (t) => {
  const { clock, gw, modem } = rig('simcom')
  t.match(modemAction(gw, 'x', 'hang'), /hung/)
  t.equal(modem.hung, 'soft')
  t.match(modemAction(gw, 'x', 'mute'), /hung hard/)
  t.equal(modem.hung, 'hard')
  modemAction(gw, 'x', 'reboot')
  clock.advance(1000)
  t.equal(modem.boots, 1, 'reboot = rebootByItself')
  t.equal(modem.hung, null)
  modemAction(gw, 'x', 'slow')
  t.equal(modem.replyDelayMs, 2500, 'slow without a number: 2.5 s')
  modemAction(gw, 'x', 'slow', '700')
  t.equal(modem.replyDelayMs, 700)
  t.match(modemAction(gw, 'x', 'slow', '0'), /at once again/)
  t.equal(modem.replyDelayMs, 0)
  t.throws(() => modemAction(gw, 'x', 'slow', 'soon'), /delay in ms/)
  modemAction(gw, 'x', 'vanish')
  t.equal(gw.present('x'), false)
  t.match(modemAction(gw, 'x', 'return'), /port is back/)
  t.equal(gw.present('x'), true)
  modemAction(gw, 'x', 'power-off')
  t.equal(modem.powered, false)
  t.match(modemAction(gw, 'x', 'power-on'), /stays off until its power key/, 'a SIM800 waits for PWRKEY')
  t.equal(modem.powered, false)
  t.throws(() => modemAction(gw, 'x', 'reboot'), /switched off/)

  const usb = rig('quectel')
  t.match(modemAction(usb.gw, 'x', 'power-off'), /USB port is gone/)
  t.match(modemAction(usb.gw, 'x', 'return'), /stays away while the USB module is switched off/)
  t.match(modemAction(usb.gw, 'x', 'power-on'), /booting/)
  t.equal(usb.gw.present('x'), true)
})

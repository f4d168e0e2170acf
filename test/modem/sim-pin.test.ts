/**
 * A SIM with a PIN lock: the box enters the PIN from the config after every
 * boot of the module, never logs it, and never sends a PIN the SIM refused a
 * second time, not even across restarts (three wrong PINs and the SIM wants its
 * PUK, which means a drive to the store).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/index.js'
import { redactConfig } from '../../src/config/redact.js'
import { FakeClock } from '../../src/core/clock.js'
import { createLogger } from '../../src/core/logger.js'
import { SerialOpener } from '../../src/hw/serial.js'
import { ModemDriver } from '../../src/modem/driver.js'
import { SimPinLedger } from '../../src/modem/pin-ledger.js'
import { SimBinding, SimGateway } from '../../src/sim/binding.js'
import { SimModem } from '../../src/sim/modem.js'
import { advance } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const SIM_PIN = '4721'

/** One simulated module whose SIM asks for SIM_PIN; `start` runs a fresh driver (a restart of the box) with a ledger read from `stateDir`. */
function rig(stateDir: string) {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const sim = gw.add('gsm1', new SimModem({ clock, simPin: SIM_PIN, bootMs: 3000 }))
  const commands: string[] = []
  sim.on('command', (c) => commands.push(c))
  const logs = new PassThrough()
  let logText = ''
  logs.on('data', (d: Buffer) => (logText += d.toString()))
  const start = async (simPin: string | undefined) => {
    const { store } = testStore(clock)
    const log = createLogger({ level: 'debug', destination: logs })
    const pinLedger = new SimPinLedger()
    await pinLedger.open(stateDir, log, clock.now())
    const driver = new ModemDriver({
      config: { id: 'gsm1', port: 'sim:gsm1', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30, simPin },
      store,
      clock,
      opener: new SerialOpener(new SimBinding(gw)),
      log,
      pinLedger,
    })
    driver.start()
    await driver.settled()
    return { driver, modem: () => store.get('modem', 'gsm1')! }
  }
  const pinsSent = () => commands.filter((c) => c.startsWith('AT+CPIN='))
  return { clock, sim, commands, pinsSent, start, logs: () => logText }
}

t.test('the right PIN: entered once, the SIM ready, the module on the network, the PIN nowhere in the log', async (t) => {
  const r = rig(tempDir(t, 'lw-pin-'))
  const { driver, modem } = await r.start(SIM_PIN)
  t.same(r.pinsSent(), [`AT+CPIN="${SIM_PIN}"`], 'sent once')
  t.match(modem(), { sim: 'READY', registration: 'home', identity: { iccid: '89701020304050607080' } })
  t.notMatch(r.logs(), SIM_PIN, 'not in the log')
  t.match(r.logs(), /SIM PIN entered/)

  // the module power-cycles: its SIM locks again, and the box unlocks it again
  r.sim.rebootByItself()
  await advance(r.clock, 6000)
  await advance(r.clock, 10_000)
  t.equal(r.sim.boots, 1)
  t.same(r.pinsSent(), [`AT+CPIN="${SIM_PIN}"`, `AT+CPIN="${SIM_PIN}"`], 'entered again after the module booted')
  t.match(modem(), { sim: 'READY', registration: 'home' })
  await driver.stop()
})

t.test('a wrong PIN is sent once, ever: restarts do not spend the SIM\'s other tries; the fixed PIN is tried', async (t) => {
  const dir = tempDir(t, 'lw-pin-')
  const r = rig(dir)
  let box = await r.start('0000')
  t.same(r.pinsSent(), ['AT+CPIN="0000"'])
  t.match(box.modem().sim, /^SIM PIN \(the PIN in the config was refused/, 'the SIM state says why')
  t.not(box.modem().registration, 'home', 'a locked SIM is off the network')
  t.equal(r.sim.pinTriesLeft, 2)
  t.notMatch(await readFile(join(dir, 'sim-pins.json'), 'utf8'), '0000', 'the ledger keeps a mark, not the PIN')
  await box.driver.stop()

  for (let i = 0; i < 5; i++) {
    box = await r.start('0000')
    t.match(box.modem().sim, /was refused/)
    await box.driver.stop()
  }
  t.same(r.pinsSent(), ['AT+CPIN="0000"'], 'five restarts later: still sent once')
  t.equal(r.sim.pinTriesLeft, 2, 'two tries left for the installer')
  t.match(r.logs(), /refused the PIN in the config/)
  t.match(r.logs(), /not sent again/)
  t.notMatch(r.logs(), '0000')

  box = await r.start(SIM_PIN)
  t.equal(r.pinsSent().length, 2, 'the installer fixed the config: the new PIN is tried')
  t.match(box.modem(), { sim: 'READY', registration: 'home' })
  t.equal(r.sim.pinTriesLeft, 3)
  await box.driver.stop()
})

t.test('no PIN in the config: the box says the SIM wants one and sends nothing', async (t) => {
  const r = rig(tempDir(t, 'lw-pin-'))
  const { driver, modem } = await r.start(undefined)
  t.same(r.pinsSent(), [])
  t.equal(modem().sim, 'SIM PIN')
  t.match(modem().identity, { iccid: null, imsi: null }, 'a locked SIM cannot be read')
  await driver.stop()
})

t.test('three different wrong PINs, each tried once: then the SIM wants its PUK and gets nothing more', async (t) => {
  const r = rig(tempDir(t, 'lw-pin-'))
  for (const wrong of ['1111', '2222', '3333']) {
    const box = await r.start(wrong)
    await box.driver.stop()
  }
  t.equal(r.sim.pinTriesLeft, 0)
  const last = await r.start(SIM_PIN)
  t.equal(r.pinsSent().length, 3, 'the right PIN is not sent to a SIM that wants its PUK')
  t.equal(last.modem().sim, 'SIM PUK')
  await last.driver.stop()
})

t.test('config: simPinFile, its checks, and the PIN redacted (a GPIO pin is not)', async (t) => {
  const dir = tempDir(t, 'lw-pin-cfg-')
  const file = join(dir, 'linewatch.yaml')
  const yaml = (modem: string) => `site: s\nbox: b\nboard: sim\nmodems:\n  - { id: gsm1, port: sim:gsm1, powerKey: { pin: 17 }, ${modem} }\n`
  await writeFile(join(dir, 'sim.pin'), `${SIM_PIN}\n`)
  await writeFile(file, yaml('simPinFile: sim.pin'))
  const config = await loadConfig(file)
  t.equal(config.modems[0]!.simPin, SIM_PIN, 'read from its file')
  const shown = redactConfig(config)
  t.equal(shown.modems[0]!.simPin, '[redacted]')
  t.equal(shown.modems[0]!.powerKey!.pin, 17, 'the power key GPIO is shown')

  const refused = async (modem: string, message: RegExp) => {
    await writeFile(file, yaml(modem))
    const err = await loadConfig(file).then(() => null, (e: unknown) => e)
    t.ok(err instanceof ConfigError, modem)
    t.match((err as Error).message, message)
    t.notMatch((err as Error).message, /12ab|4721/, 'never the file\'s contents')
  }
  await writeFile(join(dir, 'bad.pin'), '12ab\n')
  await refused('simPinFile: bad.pin', /bad\.pin: its first line must be the PIN, 4 to 8 digits/)
  await refused('simPinFile: none.pin', /cannot read .*none\.pin: ENOENT/)
  await refused('simPin: "12"', /simPin/)
  await refused(`simPin: "${SIM_PIN}", simPinFile: sim.pin`, /not both/)
})

import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { SerialOpener } from '../../src/hw/serial.js'
import { ModemDriver } from '../../src/modem/driver.js'
import { SimBinding, SimGateway } from '../../src/sim/binding.js'
import { SimModem } from '../../src/sim/modem.js'
import type { ModemConfig } from '../../src/config/schema.js'
import { advance, flush, waitFor } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'
import { modemRig } from '../helpers/modem-rig.js'

const setup = (port = 'sim:gsm1', extra: Partial<ModemConfig> = {}) => modemRig({ port, ...extra })

t.test('initialises the modem, then reads signal, registration and operator', async (t) => {
  const { driver, commands, modem } = setup()
  driver.start()
  await driver.settled()
  t.same(commands, ['ATE0', 'ATV1', 'AT+CMEE=2', 'AT+CLIP=1', 'AT+CREG=2', 'AT+CPIN?', 'AT+CGMI', 'AT+CGMM', 'AT+CGMR', 'AT+CGSN', 'AT+CCID', 'AT+QCCID', 'AT+CIMI', 'AT+CSQ', 'AT+CREG?', 'AT+COPS?'])
  t.match(modem(), { state: 'up', answering: true, registration: 'home', operator: 'MegaFon', sim: 'READY', signal: { csq: 21, rssiDbm: -71 }, lac: '18D8' })
  t.same(modem().identity, { manufacturer: 'Quectel', model: 'EC25', firmware: 'EC25EFAR06A06M4G', imei: '867698041234567', iccid: '89701020304050607080', imsi: '250026612345678' })
  await driver.stop()
})

t.test('polls on the clock; signal changes show up', async (t) => {
  const { driver, sim, clock, modem, commands } = setup()
  driver.start()
  await driver.settled()
  sim.setSignal(5)
  commands.length = 0
  clock.advance(10_000)
  await flush()
  t.same(commands, ['AT+CSQ', 'AT+CREG?', 'AT+COPS?'], 'init is not repeated')
  t.same(modem().signal, { csq: 5, rssiDbm: -103 })
  await driver.stop()
})

t.test('an unsolicited +CREG between polls changes the state at once', async (t) => {
  const { driver, sim, modem } = setup()
  driver.start()
  await driver.settled()
  sim.setRegistration('denied')
  await flush()
  t.match(modem(), { state: 'degraded', registration: 'denied', reason: 'not registered (denied)', operator: null })
  sim.setRegistration('home')
  await flush()
  t.match(modem(), { state: 'up', registration: 'home' })
  await driver.stop()
})

t.test('RING and +CLIP make one call with the caller id', async (t) => {
  const { driver, sim, clock, modem } = setup()
  driver.start()
  await driver.settled()
  sim.ring('+79161234567', { times: 3, intervalMs: 4000 })
  await flush()
  t.match(modem().ringing, { callerId: '+79161234567' })
  for (let i = 0; i < 2; i++) {
    clock.advance(4000)
    await flush()
  }
  t.equal(modem().callsSeen, 0, 'still the same call while it rings')
  clock.advance(8000)
  await flush()
  t.equal(modem().ringing, null)
  t.equal(modem().callsSeen, 1)
  t.match(modem().lastCall, { direction: 'in', number: '+79161234567', state: 'ended', outcome: 'missed' })
  await driver.stop()
})

t.test('a modem that stops answering goes down after the limit of timeouts, and recovers', async (t) => {
  const { driver, sim, clock, modem, commands } = setup()
  driver.start()
  await driver.settled()
  sim.setAnswering(false)
  clock.advance(10_000) // poll: AT+CSQ goes unanswered
  await flush()
  clock.advance(1000)
  await flush()
  t.equal(modem().state, 'up', 'one timeout is not enough')
  clock.advance(10_000)
  await flush()
  clock.advance(1000)
  await flush()
  t.match(modem(), { state: 'down', answering: false, reason: 'not answering' })
  sim.setAnswering(true)
  commands.length = 0
  await advance(clock, 10_000)
  t.same(commands.slice(0, 2), ['AT', 'ATE0'], 'found by the ladder\'s probe, then initialised again (it may have rebooted)')
  t.match(modem(), { state: 'up', answering: true })
  await driver.stop()
})

t.test('garbage on the line does not upset the driver', async (t) => {
  const { driver, sim, clock, modem } = setup()
  driver.start()
  await driver.settled()
  sim.sendGarbage(Buffer.from([0xff, 0x00, 0x13, 0x8a, 0x0d, 0x0a, 0xfe]))
  sim.setSignal(30)
  clock.advance(10_000)
  await flush()
  t.match(modem(), { state: 'up', signal: { csq: 30 } })
  await driver.stop()
})

t.test('a port that does not exist makes the modem down with the reason, and is retried with back-off', async (t) => {
  const { driver, modem, clock, opens } = setup('/dev/ttyLINEWATCH-NOPE')
  driver.start()
  await driver.settled()
  t.match(modem(), { state: 'down', answering: false })
  t.match(modem().reason, /\/dev\/ttyLINEWATCH-NOPE/)
  t.equal(opens.count, 1)
  await driver.stop()
})

t.test('a port that cannot be opened is tried again after 1 s, 2 s, 4 s (same episode)', async (t) => {
  // a sim: port with no simulated modem fails to open without real I/O, so the clock alone decides
  const { driver, modem, clock, opens } = setup('sim:absent')
  driver.start()
  await driver.settled()
  const since = modem().since
  t.equal(opens.count, 1)
  await advance(clock, 1000)
  t.equal(opens.count, 2, 'tried again after 1 s')
  await advance(clock, 1900)
  t.equal(opens.count, 2, 'then waits 2 s')
  await advance(clock, 100)
  t.equal(opens.count, 3)
  await advance(clock, 4000)
  t.equal(opens.count, 4, 'then 4 s')
  t.equal(modem().since, since, 'still down after the retries, same episode')
  await driver.stop()
})

t.test('a sim: port with no simulated modem is down, not a crash', async (t) => {
  const { driver, modem } = setup('sim:nothing')
  driver.start()
  await driver.settled()
  t.match(modem(), { state: 'down' })
  t.match(modem().reason, /no simulated modem "nothing"/)
  await driver.stop()
})

t.test('a registration report that arrives while AT+CREG? is answered is not overwritten by the older answer', async (t) => {
  const { driver, sim, clock, modem, commands } = setup()
  driver.start()
  await driver.settled()
  // the modem answers AT+CREG? (registered) and, right behind it, reports the loss of registration
  sim.on('command', (c) => {
    if (c === 'AT+CREG?') queueMicrotask(() => sim.setRegistration('not-registered')) // same read as the answer
  })
  commands.length = 0
  clock.advance(10_000)
  await waitFor(() => commands.includes('AT+COPS?'), 2000, 'the poll to reach AT+COPS?')
  await flush(50) // and its answer to be applied
  t.match(modem(), { registration: 'not-registered', state: 'degraded' })
  await driver.stop()
})

t.test('identity: a missing SIM leaves ICCID and IMSI empty, and the SIM error is the modem\'s sim state', async (t) => {
  const { driver, sim, modem } = setup()
  sim.simPresent = false
  driver.start()
  await driver.settled()
  t.match(modem().identity, { manufacturer: 'Quectel', imei: '867698041234567', iccid: null, imsi: null })
  t.equal(modem().sim, 'SIM not inserted')
  await driver.stop()
})

t.test('each simulated personality is read right: identity, registration with its location, caller id', async (t) => {
  for (const personality of ['quectel', 'simcom', 'huawei'] as const) {
    const clock = new FakeClock()
    const gw = new SimGateway()
    const sim = gw.add('m', new SimModem({ clock, personality, operator: 'Beeline' }))
    const { store } = testStore(clock)
    const driver = new ModemDriver({
      config: { id: 'm', port: 'sim:m', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 },
      store,
      clock,
      opener: new SerialOpener(new SimBinding(gw)),
      log: silentLogger(),
    })
    driver.start()
    await driver.settled()
    const p = sim.personality
    t.match(store.get('modem', 'm'), { state: 'up', registration: 'home', lac: '18D8', cellId: '0C3F12', operator: 'Beeline' }, `${personality}: registered`)
    t.match(store.get('modem', 'm')!.identity, { manufacturer: p.manufacturer, model: p.model, iccid: '89701020304050607080' }, `${personality}: identity`)
    sim.setRegistration('roaming') // an unsolicited report in the personality's own shape
    await flush()
    t.match(store.get('modem', 'm'), { registration: 'roaming', lac: '18D8' }, `${personality}: report parsed`)
    sim.ring('+79031234567', { times: 1 })
    await flush()
    t.match(store.get('modem', 'm')!.ringing, { callerId: '+79031234567' }, `${personality}: caller id`)
    await driver.stop()
    sim.stop()
  }
})

t.test('several modems: one that hangs never stalls another', async (t) => {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const a = gw.add('a', new SimModem({ clock }))
  const b = gw.add('b', new SimModem({ clock, personality: 'simcom' }))
  const { store } = testStore(clock)
  const opener = new SerialOpener(new SimBinding(gw))
  const make = (id: string) =>
    new ModemDriver({
      config: { id, port: `sim:${id}`, baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 },
      store,
      clock,
      opener,
      log: silentLogger(),
    })
  const [da, db] = [make('a'), make('b')]
  da.start()
  db.start()
  await Promise.all([da.settled(), db.settled()])
  a.setAnswering(false)
  const seenB: number[] = []
  b.on('command', (c) => c === 'AT+CSQ' && seenB.push(clock.now()))
  for (let i = 0; i < 6; i++) {
    b.setSignal(10 + i)
    await advance(clock, 10_000)
    t.equal(store.get('modem', 'b')!.signal.csq, 10 + i, `b polled on time while a is silent (${i + 1})`)
  }
  t.match(store.get('modem', 'a'), { state: 'down', recovery: { step: 'rest', round: 1 } }, 'a went through its ladder meanwhile')
  t.match(store.get('modem', 'b'), { state: 'up' })
  t.equal(seenB.length, 6, 'b: one poll every 10 s, none skipped')
  await Promise.all([da.stop(), db.stop()])
})

t.test('a SIM pulled while running is seen from the unsolicited +CPIN', async (t) => {
  const { driver, sim, modem } = setup()
  driver.start()
  await driver.settled()
  sim.sendGarbage(Buffer.from('\r\n+CPIN: NOT INSERTED\r\n'))
  await flush()
  t.equal(modem().sim, 'NOT INSERTED')
  sim.sendGarbage(Buffer.from('\r\n+CPIN: READY\r\n'))
  await flush()
  t.equal(modem().sim, 'READY')
  await driver.stop()
})

t.test('the SIM balance by USSD on a schedule, read from a UCS2 reply', async (t) => {
  const { driver, sim, clock, modem, commands } = setup('sim:gsm1', { balance: { ussd: '*100#', everyMinutes: 60 } })
  driver.start()
  await driver.settled()
  t.equal(modem().balance, null)
  await advance(clock, 60_000, 1000)
  t.ok(commands.includes('AT+CUSD=1,"*100#",15'), 'asked a minute after start')
  await advance(clock, 3000)
  t.match(modem().balance, { amount: 123.45, text: 'Баланс: 123,45 р.' })
  sim.balanceText = 'Ваш баланс -15,20 руб.'
  await advance(clock, 3_600_000, 500)
  t.match(modem().balance, { amount: -15.2 }, 'checked again an hour later')
  t.match(modem(), { state: 'up', recovery: null }, 'the checks did not upset the polls')
  await driver.stop()
})

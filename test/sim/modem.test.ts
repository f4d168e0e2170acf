import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { parseClcc } from '../../src/modem/calls.js'
import { SimModem, type SimModemOptions } from '../../src/sim/modem.js'
import { PERSONALITIES } from '../../src/sim/personalities.js'

function sim(opts: Omit<SimModemOptions, 'clock'> = {}) {
  const clock = new FakeClock()
  const modem = new SimModem({ clock, ...opts })
  let out = ''
  modem.on('output', (b) => (out += b.toString('latin1')))
  const power: boolean[] = []
  modem.on('power', (on) => power.push(on))
  const take = (): string => {
    const was = out
    out = ''
    return was
  }
  return { clock, modem, power, take }
}

/** Lines as a module frames them. */
const lines = (...l: string[]) => l.map((x) => `\r\n${x}\r\n`).join('')
const QUECTEL_BANNERS = lines(...PERSONALITIES.quectel.bootBanners)

t.test('echoes until ATE0, frames answers with CRLF', async (t) => {
  const { modem, take } = sim()
  modem.write('AT\r')
  t.equal(take(), 'AT\r\r\nOK\r\n', 'echo then OK')
  modem.write('ATE0\r')
  t.equal(take(), 'ATE0\r\r\nOK\r\n', 'ATE0 itself is still echoed')
  modem.write('AT+CSQ\r')
  t.equal(take(), '\r\n+CSQ: 21,99\r\n\r\nOK\r\n', 'no echo after ATE0')
})

t.test('a command typed in pieces is answered once it ends with CR', async (t) => {
  const { modem, take } = sim()
  modem.write('ATE0\r')
  take()
  modem.write('AT+C')
  modem.write('REG?')
  t.equal(take(), '')
  modem.write('\r')
  t.equal(take(), '\r\n+CREG: 0,1\r\n\r\nOK\r\n')
})

t.test('registration reports follow AT+CREG=2, with location when registered', async (t) => {
  const { modem, take } = sim()
  modem.write('ATE0\rAT+CREG=2\r')
  take()
  modem.setRegistration('not-registered')
  t.equal(take(), '\r\n+CREG: 0\r\n')
  modem.setRegistration('roaming')
  t.equal(take(), '\r\n+CREG: 5,"18D8","0C3F12",7\r\n', 'Quectel: quoted, with the access technology')
  modem.write('AT+CREG?\r')
  t.equal(take(), '\r\n+CREG: 2,5,"18D8","0C3F12",7\r\n\r\nOK\r\n')
})

t.test('a Huawei-style module writes the location as bare hex and boots with ^SYSSTART', async (t) => {
  const { clock, modem, take } = sim({ personality: 'huawei', bootMs: 1000 })
  modem.write('ATE0\rAT+CREG=2\r')
  take()
  modem.setRegistration('roaming')
  t.equal(take(), '\r\n+CREG: 5,18D8,0C3F12\r\n')
  modem.pressPowerKey() // off (a Huawei stick says nothing)
  modem.pressPowerKey() // on again
  clock.advance(1000)
  t.match(take(), /^\r\n\^SYSSTART\r\n/)
  t.equal(modem.echo, true, 'settings back to defaults after the boot')
})

t.test('rings with the caller id once +CLIP is on, on the clock', async (t) => {
  const { clock, modem, take } = sim()
  modem.write('ATE0\r')
  modem.ring('+79161234567', { times: 2, intervalMs: 4000 })
  take()
  modem.write('AT+CLIP=1\r')
  take()
  modem.ring('+79161234567', { times: 2, intervalMs: 4000 })
  t.equal(take(), '\r\nRING\r\n\r\n+CLIP: "+79161234567",145,,,,0\r\n')
  clock.advance(3999)
  t.equal(take(), '')
  clock.advance(1)
  t.equal(take(), '\r\nRING\r\n\r\n+CLIP: "+79161234567",145,,,,0\r\n')
  clock.advance(10000)
  t.equal(take(), '', 'stops after the given rings')
  modem.ring(null, { times: 1 })
  t.equal(take(), '\r\nRING\r\n\r\n+CLIP: "",128,,,,1\r\n', 'withheld number')
})

t.test('errors: unknown command, verbose CME errors after AT+CMEE=2', async (t) => {
  const { modem, take } = sim()
  modem.write('ATE0\r')
  take()
  modem.write('AT+NOPE\r')
  t.equal(take(), '\r\nERROR\r\n')
  modem.simPresent = false
  modem.write('AT+CPIN?\r')
  t.equal(take(), '\r\nERROR\r\n')
  modem.write('AT+CMEE=2\r')
  take()
  modem.write('AT+CPIN?\r')
  t.equal(take(), '\r\n+CME ERROR: SIM not inserted\r\n')
})

t.test('a modem that stops answering says nothing at all, then answers again', async (t) => {
  const { modem, take } = sim()
  modem.setAnswering(false)
  modem.write('AT\r')
  t.equal(take(), '')
  modem.setAnswering(true)
  modem.write('AT\r')
  t.equal(take(), 'AT\r\r\nOK\r\n')
})

// ---------------------------------------------------------------- power

t.test('the power key toggles: POWERED DOWN and silence, then a boot with banners', async (t) => {
  const { clock, modem, power, take } = sim({ bootMs: 3000 })
  modem.write('ATE0\r')
  take()
  modem.pressPowerKey()
  t.equal(take(), lines('POWERED DOWN'), 'an EC25 says it is going')
  t.equal(modem.powered, false)
  t.same(power, [false])
  modem.write('AT\r')
  clock.advance(60_000)
  t.equal(take(), '', 'off: no echo, no answer, no boot by itself')
  t.equal(modem.boots, 0)

  modem.pressPowerKey()
  t.equal(modem.powered, true, 'on as soon as the key is pressed')
  t.same(power, [false, true])
  modem.write('AT\r')
  clock.advance(2999)
  t.equal(take(), '', 'silent while it boots')
  clock.advance(1)
  t.equal(take(), QUECTEL_BANNERS)
  t.equal(modem.boots, 1)
  modem.write('AT\r')
  t.equal(take(), 'AT\r\r\nOK\r\n', 'answers, with echo back on')
})

t.test('power-down lines per module; none from a hung or booting one', async (t) => {
  for (const [personality, said] of [['simcom', lines('NORMAL POWER DOWN')], ['huawei', '']] as const) {
    const { modem, take } = sim({ personality })
    modem.pressPowerKey()
    t.equal(take(), said, personality)
    t.equal(modem.powered, false)
  }
  const hung = sim()
  hung.modem.setAnswering(false)
  hung.modem.pressPowerKey()
  t.equal(hung.take(), '', 'hung firmware says nothing')
  t.equal(hung.modem.powered, false, 'but the key still switches it off')

  const booting = sim({ bootMs: 3000 })
  booting.modem.write('AT+CFUN=1,1\r')
  booting.take()
  booting.modem.pressPowerKey()
  booting.clock.advance(10_000)
  t.equal(booting.take(), '', 'pressed while booting: off, no line, no banners later')
  t.equal(booting.modem.powered, false)
  t.equal(booting.modem.boots, 0)
})

t.test('setPower: a cut is dead at once; an EC25 boots when power returns, a SIM800 waits for its key', async (t) => {
  const q = sim({ bootMs: 1000 })
  q.modem.write('ATE0\rATD+79161234567;\r')
  q.clock.advance(5000)
  t.equal(q.modem.calls[0]?.stat, 0, 'a call is up')
  q.take()
  q.modem.setPower(false)
  t.equal(q.take(), '', 'no power-down line, no NO CARRIER')
  t.equal(q.modem.powered, false)
  t.same(q.modem.calls, [], 'the call is gone')
  q.modem.pressPowerKey()
  q.clock.advance(5000)
  t.equal(q.take(), '', 'the key does nothing without supply')
  q.modem.setPower(true)
  t.same(q.power, [false, true])
  q.clock.advance(1000)
  t.equal(q.take(), QUECTEL_BANNERS, 'bootsOnPower: it starts by itself')
  t.equal(q.modem.boots, 1)

  const s = sim({ personality: 'simcom', bootMs: 1000 })
  s.modem.setPower(false)
  s.modem.setPower(true)
  s.clock.advance(60_000)
  t.equal(s.take(), '', 'a SIM800 stays off when the supply returns')
  t.equal(s.modem.powered, false)
  t.same(s.power, [false])
  s.modem.pressPowerKey()
  s.clock.advance(1000)
  t.equal(s.take(), lines(...PERSONALITIES.simcom.bootBanners), 'until PWRKEY is pulsed')
  t.equal(s.modem.boots, 1)
})

// ---------------------------------------------------------------- hangs, slowness, its own reboots

t.test('a soft hang answers nothing but still obeys AT+CFUN=1,1; a hard one hears nothing', async (t) => {
  const soft = sim({ bootMs: 2000 })
  const heard: string[] = []
  soft.modem.on('command', (c) => heard.push(c))
  soft.modem.write('AT+CREG=2\r')
  soft.take()
  soft.modem.hang('soft')
  t.equal(soft.modem.answering, false)
  soft.modem.write('AT\rAT+CSQ\r')
  soft.modem.setRegistration('roaming')
  t.equal(soft.take(), '', 'no echo, no answers, no unsolicited lines')
  t.same(heard.slice(-2), ['AT', 'AT+CSQ'], 'the parser still reads the lines')
  soft.modem.write('AT+CFUN=1,1\r')
  t.equal(soft.take(), '', 'a soft reset without OK')
  soft.clock.advance(2000)
  t.equal(soft.take(), QUECTEL_BANNERS, 'and it reboots')
  t.equal(soft.modem.hung, null, 'the reboot cleared the hang')
  soft.modem.write('AT\r')
  t.equal(soft.take(), 'AT\r\r\nOK\r\n')

  const hard = sim({ bootMs: 2000 })
  const heardHard: string[] = []
  hard.modem.on('command', (c) => heardHard.push(c))
  hard.modem.hang('hard')
  hard.modem.write('AT+CFUN=1,1\r')
  hard.clock.advance(60_000)
  t.equal(hard.take(), '', 'hard: not even a soft reset')
  t.same(heardHard, [], 'it hears nothing')
  t.equal(hard.modem.boots, 0)
  hard.modem.pressPowerKey()
  hard.modem.pressPowerKey()
  hard.clock.advance(2000)
  t.equal(hard.take(), QUECTEL_BANNERS, 'the power key, twice, brings it back')
  t.equal(hard.modem.answering, true)
})

t.test('slow replies come replyDelayMs late, in order; echo and unsolicited lines do not wait', async (t) => {
  const { clock, modem, take } = sim()
  modem.write('AT+CREG=1\r')
  take()
  modem.replyDelayMs = 2500
  modem.write('AT+CSQ\rAT+CGMI\r')
  t.equal(take(), 'AT+CSQ\rAT+CGMI\r', 'the echo at once')
  clock.advance(1000)
  modem.setRegistration('roaming')
  t.equal(take(), lines('+CREG: 5'), 'a URC is not held back')
  modem.replyDelayMs = 0
  modem.write('ATE0\r')
  t.equal(take(), 'ATE0\r', 'an answer never overtakes an earlier one, even when the delay is gone')
  clock.advance(1499)
  t.equal(take(), '')
  clock.advance(1)
  t.equal(take(), lines('+CSQ: 21,99', 'OK', 'Quectel', 'OK', 'OK'), 'all of them, in order')
  modem.write('AT\r')
  t.equal(take(), lines('OK'), 'at once again')
})

t.test('rebootByItself: silent for bootMs, then banners and defaults; optionally says it is going', async (t) => {
  const { clock, modem, take } = sim({ bootMs: 3000 })
  modem.write('ATE0\r')
  modem.hang('soft')
  take()
  modem.rebootByItself()
  t.equal(take(), '', 'a watchdog reset says nothing')
  t.equal(modem.powered, true, 'it never lost power')
  modem.write('AT\r')
  clock.advance(2999)
  t.equal(take(), '', 'silent while it boots')
  clock.advance(1)
  t.equal(take(), QUECTEL_BANNERS)
  t.equal(modem.boots, 1)
  t.equal(modem.hung, null)
  modem.write('AT\r')
  t.equal(take(), 'AT\r\r\nOK\r\n', 'echo is back on: settings are defaults')

  modem.rebootByItself({ announce: true })
  t.equal(take(), lines('POWERED DOWN'))
  clock.advance(3000)
  t.equal(modem.boots, 2)
})

// ---------------------------------------------------------------- calls

function callSim(opts: Omit<SimModemOptions, 'clock'> = {}) {
  const s = sim(opts)
  s.modem.write('ATE0\rAT+CLIP=1\r')
  s.take()
  const clcc = () => {
    s.modem.write('AT+CLCC\r')
    return s.take()
  }
  return { ...s, clcc }
}

t.test('ATD<number>; dials: OK at once, dialing, alerting after 1 s, active when answered', async (t) => {
  const { clock, modem, take, clcc } = callSim()
  t.equal(clcc(), lines('OK'), 'no calls: just OK')
  modem.write('ATD+79161234567;\r')
  t.equal(take(), lines('OK'))
  t.equal(clcc(), lines('+CLCC: 1,0,2,0,0,"+79161234567",145', 'OK'), 'dialing')
  clock.advance(1000)
  t.equal(clcc(), lines('+CLCC: 1,0,3,0,0,"+79161234567",145', 'OK'), 'alerting')
  clock.advance(2999)
  t.equal(modem.calls[0]?.stat, 3)
  clock.advance(1)
  const answer = clcc()
  t.equal(answer, lines('+CLCC: 1,0,0,0,0,"+79161234567",145', 'OK'), 'active after answerAfterMs')
  t.same(parseClcc(answer.split('\r\n')[1]!), { index: 1, dir: 'mo', stat: 0, mode: 0, mpty: 0, number: '+79161234567', type: 145 }, "the driver's parser reads it")
  t.equal(take(), '', 'answering is silent on a Quectel')

  modem.hangUpRemote()
  t.equal(take(), lines('NO CARRIER'), 'the far end hangs up')
  t.equal(clcc(), lines('OK'))
})

t.test('outgoing busy, no answer, failure; data calls', async (t) => {
  const busy = callSim()
  busy.modem.outgoing = 'busy'
  busy.modem.write('ATD88005553535;\r')
  t.equal(busy.take(), lines('OK'))
  busy.clock.advance(1000)
  t.equal(busy.clcc(), lines('+CLCC: 1,0,3,0,0,"88005553535",129', 'OK'), 'national number: type 129')
  busy.clock.advance(1000)
  t.equal(busy.take(), lines('BUSY'))
  t.same(busy.modem.calls, [])

  const noAnswer = callSim()
  noAnswer.modem.outgoing = 'no-answer'
  noAnswer.modem.write('ATD88005553535;\r')
  noAnswer.take()
  noAnswer.clock.advance(1000 + 29_999)
  t.equal(noAnswer.take(), '')
  t.equal(noAnswer.modem.calls[0]?.stat, 3, 'still alerting')
  noAnswer.clock.advance(1)
  t.equal(noAnswer.take(), lines('NO ANSWER'))

  const fail = callSim()
  fail.modem.outgoing = 'fail'
  fail.modem.write('ATD88005553535;\r')
  fail.take()
  fail.clock.advance(999)
  t.equal(fail.clcc(), lines('+CLCC: 1,0,2,0,0,"88005553535",129', 'OK'))
  fail.clock.advance(1)
  t.equal(fail.take(), lines('NO CARRIER'), 'refused while being set up')
  t.same(fail.modem.calls, [])

  const data = callSim()
  data.modem.write('ATD88005553535\r')
  t.equal(data.take(), lines('NO CARRIER'), 'no ";": a data call, which it does not do')
  t.same(data.modem.calls, [])
})

t.test('ATH hangs up without NO CARRIER; ATA answers a ringing call', async (t) => {
  const { clock, modem, take, clcc } = callSim()
  modem.write('ATD+79161234567;\r')
  clock.advance(5000)
  take()
  modem.write('ATH\r')
  t.equal(take(), lines('OK'), 'a local hang-up: OK, no NO CARRIER')
  clock.advance(60_000)
  t.equal(take(), '')
  t.same(modem.calls, [])

  modem.write('ATA\r')
  t.equal(take(), lines('NO CARRIER'), 'nothing to answer')

  modem.ring('+79031234567', { times: 3, intervalMs: 4000 })
  t.equal(take(), lines('RING', '+CLIP: "+79031234567",145,,,,0'))
  const ringing = clcc()
  t.equal(ringing, lines('+CLCC: 1,1,4,0,0,"+79031234567",145', 'OK'), 'incoming: stat 4')
  t.match(parseClcc(ringing.split('\r\n')[1]!), { dir: 'mt', stat: 4, number: '+79031234567' })
  modem.write('ATA\r')
  t.equal(take(), lines('OK'))
  t.equal(clcc(), lines('+CLCC: 1,1,0,0,0,"+79031234567",145', 'OK'), 'active')
  clock.advance(20_000)
  t.equal(take(), '', 'the ringing stopped')
  modem.write('ATH0\r')
  t.equal(take(), lines('OK'))
  t.same(modem.calls, [])
})

t.test('an unanswered incoming call ends when the ringing stops', async (t) => {
  const { clock, modem, take } = callSim()
  modem.ring(null, { times: 2, intervalMs: 4000 })
  t.equal(take(), lines('RING', '+CLIP: "",128,,,,1'))
  t.same(modem.calls, [{ index: 1, dir: 'mt', stat: 4, number: '', type: 128 }])
  clock.advance(4000)
  t.equal(take(), lines('RING', '+CLIP: "",128,,,,1'))
  t.equal(modem.calls.length, 1, 'still ringing between RINGs')
  clock.advance(4000)
  t.equal(take(), '', 'the caller gave up: no line for it')
  t.same(modem.calls, [])
  modem.write('ATA\r')
  t.equal(take(), lines('NO CARRIER'))

  modem.ring('+79031234567', { times: 5 })
  take()
  modem.hangUpRemote()
  t.equal(take(), '', 'a ringing caller who hangs up: the RINGs just stop')
  clock.advance(30_000)
  t.equal(take(), '')
})

t.test('SIMCom with AT+CLCC=1 reports every call state unsolicited; a Quectel does not take AT+CLCC=1', async (t) => {
  const { clock, modem, take } = callSim({ personality: 'simcom' })
  modem.write('AT+CLCC=1\r')
  t.equal(take(), lines('OK'))
  modem.write('ATD+79161234567;\r')
  t.equal(take(), lines('OK', '+CLCC: 1,0,2,0,0,"+79161234567",145'))
  clock.advance(1000)
  const alerting = take()
  t.equal(alerting, lines('+CLCC: 1,0,3,0,0,"+79161234567",145'))
  t.match(parseClcc(alerting.trim()), { index: 1, dir: 'mo', stat: 3, number: '+79161234567', type: 145 })
  clock.advance(3000)
  t.equal(take(), lines('+CLCC: 1,0,0,0,0,"+79161234567",145'))
  modem.hangUpRemote()
  t.equal(take(), lines('+CLCC: 1,0,6,0,0,"+79161234567",145', 'NO CARRIER'), 'stat 6 (SIMCom: disconnected), then NO CARRIER')

  modem.ring('+79031234567', { times: 1 })
  t.equal(take(), lines('+CLCC: 1,1,4,0,0,"+79031234567",145', 'RING', '+CLIP: "+79031234567",145,,,,0'))
  modem.write('ATA\r')
  t.equal(take(), lines('OK', '+CLCC: 1,1,0,0,0,"+79031234567",145'))
  modem.write('ATH\r')
  t.equal(take(), lines('OK', '+CLCC: 1,1,6,0,0,"+79031234567",145'))

  const q = callSim()
  q.modem.write('AT+CLCC=1\r')
  t.equal(q.take(), lines('ERROR'), 'Quectel: no such setting')
  q.modem.write('ATD+79161234567;\r')
  q.clock.advance(5000)
  t.equal(q.take(), lines('OK'), 'and no unsolicited +CLCC')
})

// ---------------------------------------------------------------- SMS

function smsSim(opts: Omit<SimModemOptions, 'clock'> = {}) {
  const s = sim(opts)
  s.modem.write('ATE0\rAT+CMEE=2\r')
  s.take()
  return s
}

t.test('SMS in text mode: prompt, body up to Ctrl-Z, +CMGS after the network delay', async (t) => {
  const { clock, modem, take } = smsSim()
  modem.write('AT+CMGF=1\r')
  t.equal(take(), lines('OK'))
  modem.write('AT+CSCS?\r')
  t.equal(take(), lines('+CSCS: "GSM"', 'OK'), 'an EC25 starts in GSM')
  modem.write('AT+CSMP=17,167,0,0\r')
  t.equal(take(), lines('OK'))
  modem.write('AT+CMGS="+79161234567"\r')
  t.equal(take(), '\r\n> ', 'the prompt, with no line end after it')
  modem.write('Line 1 is down')
  t.equal(take(), '', 'no echo after ATE0')
  modem.write('\x1a')
  clock.advance(1499)
  t.equal(take(), '')
  t.same(modem.sent, [], 'not sent before the network took it')
  clock.advance(1)
  t.equal(take(), lines('+CMGS: 1', 'OK'))
  t.same(modem.sent, [{ mode: 'text', cscs: 'GSM', dcs: 0, to: '+79161234567', body: 'Line 1 is down', at: clock.now() }])
  modem.write('AT\r')
  t.equal(take(), lines('OK'), 'commands again after the message')
})

t.test('SMS text mode with echo, and in UCS2', async (t) => {
  const { clock, modem, take } = sim({ personality: 'simcom' })
  modem.write('AT+CMGF=1\r')
  take()
  modem.write('AT+CSCS="UCS2"\rAT+CSMP=17,167,0,8\r')
  t.equal(take(), 'AT+CSCS="UCS2"\r' + lines('OK') + 'AT+CSMP=17,167,0,8\r' + lines('OK'))
  modem.write('AT+CMGS="002B0037003900310036"\r')
  t.equal(take(), 'AT+CMGS="002B0037003900310036"\r\r\n> ', 'the command echoed, then the prompt')
  modem.write('041B0438043D0438044F\x1a')
  t.equal(take(), '041B0438043D0438044F', 'the body is echoed, Ctrl-Z is not')
  clock.advance(1500)
  t.equal(take(), lines('+CMGS: 1', 'OK'))
  t.same(modem.sent, [{ mode: 'text', cscs: 'UCS2', dcs: 8, to: '002B0037003900310036', body: '041B0438043D0438044F', at: clock.now() }])
})

t.test('SMS in PDU mode: AT+CMGS=<TPDU length>, hex body; a wrong length is refused', async (t) => {
  const { clock, modem, take } = smsSim()
  // SMSC "00" (use the SIM's) + a 19-octet SMS-SUBMIT TPDU
  const pdu = '0011000B919761211111F70000AA05E8329BFD06'
  const tpduLength = pdu.length / 2 - 1
  modem.write('AT+CMGF?\r')
  t.equal(take(), lines('+CMGF: 0', 'OK'), 'PDU mode after boot')
  modem.write(`AT+CMGS=${tpduLength}\r`)
  t.equal(take(), '\r\n> ')
  modem.write(`${pdu}\x1a`)
  clock.advance(1500)
  t.equal(take(), lines('+CMGS: 1', 'OK'))
  t.same(modem.sent, [{ mode: 'pdu', cscs: 'GSM', dcs: null, to: null, body: pdu, at: clock.now() }])

  modem.write(`AT+CMGS=${tpduLength + 1}\r`)
  take()
  modem.write(`${pdu}\x1a`)
  t.equal(take(), lines('+CMS ERROR: 304'), 'the length does not match the PDU')
  modem.write('AT+CMGS="+79161234567"\r')
  t.equal(take(), lines('+CMS ERROR: 304'), 'a text-mode address in PDU mode')
  t.equal(modem.sent.length, 1)
})

t.test('ESC cancels the message: OK, nothing sent', async (t) => {
  const { clock, modem, take } = smsSim()
  modem.write('AT+CMGF=1\rAT+CMGS="+79161234567"\r')
  t.equal(take(), lines('OK') + '\r\n> ')
  modem.write('never mind\x1b')
  t.equal(take(), lines('OK'))
  clock.advance(10_000)
  t.equal(take(), '')
  t.same(modem.sent, [])
  modem.write('AT+CSQ\r')
  t.equal(take(), lines('+CSQ: 21,99', 'OK'), 'back to commands')
})

t.test('smsFails: +CMS ERROR for the sends while set; mr counts only what was sent, and wraps', async (t) => {
  const { clock, modem, take } = smsSim()
  modem.smsDelayMs = 0
  const send = (text: string) => {
    modem.write(`AT+CMGS="+79161234567"\r${text}\x1a`)
    clock.advance(0)
    return take()
  }
  modem.write('AT+CMGF=1\r')
  take()
  t.equal(send('one'), '\r\n> ' + lines('+CMGS: 1', 'OK'))
  modem.smsFails = 500
  t.equal(send('two'), '\r\n> ' + lines('+CMS ERROR: 500'))
  t.equal(send('three'), '\r\n> ' + lines('+CMS ERROR: 500'), 'for every send while set')
  modem.smsFails = 'unknown error'
  t.equal(send('four'), '\r\n> ' + lines('+CMS ERROR: unknown error'))
  modem.smsFails = null
  t.equal(send('five'), '\r\n> ' + lines('+CMGS: 2', 'OK'), 'failed sends used no reference')
  t.same(modem.sent.map((m) => m.body), ['one', 'five'])
  for (let i = 3; i <= 255; i++) send(`n${i}`)
  t.equal(send('wraps'), '\r\n> ' + lines('+CMGS: 0', 'OK'), 'after 255 comes 0')
  t.equal(send('again'), '\r\n> ' + lines('+CMGS: 1', 'OK'))

  modem.setRegistration('not-registered')
  t.equal(send('no network'), '\r\n> ' + lines('+CMS ERROR: 331'), 'no network service')
})

t.test('in the UCS2 character set caller IDs and operator names come as UCS2 hex, as on real modules', async (t) => {
  const { modem, take } = sim()
  modem.write('ATE0\rAT+CLIP=1\rAT+CSCS="UCS2"\r')
  take()
  modem.ring('+79161234567', { times: 1 })
  t.match(take(), /\+CLIP: "002B00370039003100360031003200330034003500360037",145/)
  modem.write('AT+COPS?\r')
  t.match(take(), /\+COPS: 0,0,"00530069006D00540065006C",7/)
  modem.write('AT+CSCS="GSM"\r')
  take()
  modem.write('AT+COPS?\r')
  t.match(take(), /\+COPS: 0,0,"SimTel",7/)
  modem.stop()
})

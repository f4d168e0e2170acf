import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { SimModem, type SimModemOptions } from '../../src/sim/modem.js'

function sim(opts: Omit<SimModemOptions, 'clock'> = {}) {
  const clock = new FakeClock()
  const modem = new SimModem({ clock, ...opts })
  let out = ''
  modem.on('output', (b) => (out += b.toString('latin1')))
  return { clock, modem, take: () => [out, (out = '')][0] }
}

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
  modem.pressPowerKey()
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

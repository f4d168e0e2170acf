import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { ErrorCode, LinewatchError } from '../../src/core/errors.js'
import { AtEngine } from '../../src/modem/engine.js'
import { FakePort } from '../helpers/fake-port.js'
import { flush } from '../helpers/flush.js'

function setup() {
  const port = new FakePort()
  const clock = new FakeClock()
  const engine = new AtEngine(port, clock, { defaultTimeoutMs: 1000 })
  const urcs: string[] = []
  const strays: string[] = []
  engine.on('urc', (l) => urcs.push(l))
  engine.on('stray', (l) => strays.push(l))
  return { port, clock, engine, urcs, strays }
}

t.test('a command gets its answer lines and OK; exact bytes are written', async (t) => {
  const { port, engine } = setup()
  const p = engine.send('AT+CSQ', { expect: '+CSQ:' })
  t.same(port.written, ['AT+CSQ\r'])
  port.modem('\r\n+CSQ: 17,99\r\n\r\nOK\r\n')
  const r = await p
  t.same(r.lines, ['+CSQ: 17,99'])
  t.same(r.final, { ok: true, code: 'OK' })
})

t.test('unsolicited lines between the echo and the result go to urc, not the answer', async (t) => {
  const { port, engine, urcs } = setup()
  const p = engine.send('AT+CSQ', { expect: '+CSQ:' })
  port.modem('AT+CSQ\r\r\nRING\r\n\r\n+CLIP: "+79161234567",145,,,,0\r\n\r\n+CSQ: 9,99\r\n\r\n+CREG: 1,"18D8","0C3F12"\r\n\r\nOK\r\n')
  const r = await p
  t.same(r.lines, ['+CSQ: 9,99'], 'echo dropped, only the answer kept')
  t.same(urcs, ['RING', '+CLIP: "+79161234567",145,,,,0', '+CREG: 1,"18D8","0C3F12"'])
})

t.test('known unsolicited lines are recognised during a command without an expected prefix', async (t) => {
  const { port, engine, urcs } = setup()
  const p = engine.send('ATI')
  port.modem('\r\nQuectel\r\nRING\r\nEC25\r\n\r\nOK\r\n')
  t.same((await p).lines, ['Quectel', 'EC25'])
  t.same(urcs, ['RING'])
})

t.test('unsolicited lines with no command in flight', async (t) => {
  const { port, urcs, strays } = setup()
  port.modem('\r\nRING\r\n\r\n+CREG: 0\r\n\r\nOK\r\n')
  await flush()
  t.same(urcs, ['RING', '+CREG: 0'])
  t.same(strays, ['OK'], 'a final result code with nobody waiting is reported as stray')
})

t.test('a command with no final result code times out; the next one goes out', async (t) => {
  const { port, clock, engine } = setup()
  const first = engine.send('AT+COPS?', { timeoutMs: 500 })
  const second = engine.send('AT')
  t.same(port.written, ['AT+COPS?\r'], 'one command in flight')
  clock.advance(499)
  await flush()
  t.same(port.written, ['AT+COPS?\r'])
  clock.advance(1)
  await t.rejects(first, { code: ErrorCode.AT_TIMEOUT })
  t.same(port.written, ['AT+COPS?\r'], 'a short quiet time first')
  clock.advance(300)
  t.same(port.written, ['AT+COPS?\r', 'AT\r'])
  port.modem('\r\nOK\r\n')
  t.same((await second).final.code, 'OK')
})

t.test('a late answer to a timed-out command is not taken as the next command\'s', async (t) => {
  const { port, clock, engine, strays, urcs } = setup()
  const first = engine.send('AT+COPS?', { timeoutMs: 500, expect: '+COPS:' })
  const second = engine.send('AT+CSQ', { expect: '+CSQ:' })
  clock.advance(500)
  await t.rejects(first, { code: ErrorCode.AT_TIMEOUT })
  port.modem('\r\n+COPS: 0,0,"MTS",7\r\n\r\nOK\r\n\r\nRING\r\n') // the slow modem answers at last
  await flush()
  t.same(strays, ['OK'], 'the late OK is a stray')
  t.same(urcs, ['+COPS: 0,0,"MTS",7', 'RING'], 'unsolicited lines still get through')
  clock.advance(300)
  port.modem('\r\n+CSQ: 12,99\r\n\r\nOK\r\n')
  t.same((await second).lines, ['+CSQ: 12,99'])
})

t.test('ERROR and +CME ERROR reject with AT_ERROR and the detail', async (t) => {
  const { port, engine } = setup()
  const a = engine.send('AT+FOO')
  port.modem('\r\nERROR\r\n')
  await t.rejects(a, { code: ErrorCode.AT_ERROR, message: 'AT+FOO: ERROR' })
  const b = engine.send('AT+CPIN?')
  port.modem('\r\n+CME ERROR: SIM not inserted\r\n')
  const err = (await b.catch((e: unknown) => e)) as LinewatchError
  t.equal(err.code, ErrorCode.AT_ERROR)
  t.match(err.message, /SIM not inserted/)
})

t.test('garbage between lines does not break the answer', async (t) => {
  const { port, engine } = setup()
  let dropped = 0
  engine.on('discard', (n) => (dropped += n))
  const p = engine.send('AT+CSQ', { expect: '+CSQ:' })
  port.modem(Buffer.from([0xff, 0xfe, 0x00]))
  port.modem('\r\n+CSQ: 4,99\r\n')
  port.modem(Buffer.from([0x8a, 0x91]))
  port.modem('\r\nOK\r\n')
  t.same((await p).lines, ['+CSQ: 4,99'])
  t.equal(dropped, 5)
})

t.test('the SMS prompt gets the body and Ctrl-Z', async (t) => {
  const { port, engine } = setup()
  const p = engine.send('AT+CMGS="+79161234567"', { body: 'Line 1 down', timeoutMs: 60000 })
  port.modem('\r\n> ')
  await flush()
  t.same(port.written, ['AT+CMGS="+79161234567"\r', 'Line 1 down\x1a'])
  port.modem('\r\n+CMGS: 12\r\n\r\nOK\r\n')
  t.same((await p).lines, ['+CMGS: 12'])
})

t.test('a second prompt (a module prompts again after a CR) does not send the body twice', async (t) => {
  const { port, engine } = setup()
  const p = engine.send('AT+CMGS="+79161234567"', { body: 'x', timeoutMs: 60000 })
  port.modem('\r\n> ')
  await flush()
  port.modem('\r\n> ')
  await flush()
  t.same(port.written, ['AT+CMGS="+79161234567"\r', 'x\x1a'])
  port.modem('\r\n+CMGS: 3\r\n\r\nOK\r\n')
  t.same((await p).lines, ['+CMGS: 3'])
})

t.test('no prompt in time: ESC cancels the message and the command times out at once, not after the long timeout', async (t) => {
  const { port, engine, clock } = setup()
  const p = engine.send('AT+CMGS="+79161234567"', { body: 'x', timeoutMs: 120_000, promptTimeoutMs: 5000 })
  p.catch(() => {})
  clock.advance(5000)
  await t.rejects(p, { code: ErrorCode.AT_TIMEOUT, message: /no "> " prompt in 5000 ms/ })
  t.same(port.written, ['AT+CMGS="+79161234567"\r', '\x1b'])
})

t.test('after the prompt the whole timeout runs; a module that never answers is cancelled with ESC too', async (t) => {
  const { port, engine, clock } = setup()
  const p = engine.send('AT+CMGS=23', { body: '0011', timeoutMs: 120_000, promptTimeoutMs: 5000 })
  p.catch(() => {})
  clock.advance(4000)
  port.modem('\r\n> ')
  await flush()
  clock.advance(119_999)
  await flush()
  t.same(port.written, ['AT+CMGS=23\r', '0011\x1a'], 'still waiting for the network')
  clock.advance(1)
  await t.rejects(p, { code: ErrorCode.AT_TIMEOUT, message: /no final result code in 120000 ms/ })
  t.equal(port.written.at(-1), '\x1b')
})

t.test('a port that closes rejects the command in flight and everything queued', async (t) => {
  const { port, engine } = setup()
  const a = engine.send('AT')
  const b = engine.send('AT+CSQ')
  port.destroy()
  await t.rejects(a, { code: ErrorCode.AT_PORT_CLOSED })
  await t.rejects(b, { code: ErrorCode.AT_PORT_CLOSED })
  await t.rejects(engine.send('AT'), { code: ErrorCode.AT_PORT_CLOSED }, 'and later sends')
})

t.test('a call ending (NO CARRIER, BUSY) while another command is in flight is unsolicited, not that command\'s result', async (t) => {
  const { port, engine, urcs, strays } = setup()
  const csq = engine.send('AT+CSQ', { expect: '+CSQ:' })
  port.modem('\r\nNO CARRIER\r\n\r\n+CSQ: 17,99\r\n\r\nOK\r\n')
  t.same((await csq).lines, ['+CSQ: 17,99'], 'AT+CSQ still gets its own OK')
  port.modem('\r\nBUSY\r\n')
  await flush()
  t.same(urcs, ['NO CARRIER', 'BUSY'], 'with no command in flight too: a call event, not a stray result')
  t.same(strays, [])
})

t.test('the same codes are the result of a dial or an answer', async (t) => {
  const { port, engine } = setup()
  const dial = engine.send('ATD+79031234567;')
  port.modem('\r\nBUSY\r\n')
  await t.rejects(dial, { code: ErrorCode.AT_ERROR, message: /BUSY/ })
  const answer = engine.send('ATA')
  port.modem('\r\nNO CARRIER\r\n')
  await t.rejects(answer, { code: ErrorCode.AT_ERROR, message: /NO CARRIER/ })
})

t.test('boot banners while a command waits are unsolicited: the module rebooted under it', async (t) => {
  const { port, engine, urcs } = setup()
  const p = engine.send('ATE0')
  port.modem('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n')
  await flush()
  t.same(urcs, ['RDY', '+CFUN: 1', '+CPIN: READY', 'SMS Ready'])
  port.modem('ATE0\r\r\nOK\r\n')
  t.same((await p).lines, [], 'none of it taken as the answer')
  const cpin = engine.send('AT+CPIN?', { expect: '+CPIN:' })
  port.modem('\r\n+CPIN: READY\r\n\r\nOK\r\n')
  t.same((await cpin).lines, ['+CPIN: READY'], 'but the answer to AT+CPIN? is still the answer')
})

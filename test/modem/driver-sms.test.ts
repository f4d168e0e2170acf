/** SMS through the real driver and the simulated module: text mode, UCS2, long texts as concatenated PDUs, failures. */
import t from 'tap'
import { ErrorCode } from '../../src/core/errors.js'
import { decodeSubmitPdu } from '../../src/modem/sms.js'
import { decodeUcs2Hex, encodeUcs2Hex } from '../../src/modem/ussd.js'
import { advance } from '../helpers/flush.js'
import { modemRig } from '../helpers/modem-rig.js'

async function rig(extra: Parameters<typeof modemRig>[0] = {}, personality: 'quectel' | 'simcom' | 'huawei' = 'quectel') {
  const r = modemRig(extra, { personality })
  r.driver.start()
  await r.driver.settled()
  return r
}

/** Run a send to its end on the fake clock. */
async function sent<T>(r: { clock: { advance(ms: number): void } }, p: Promise<T>, ms = 10_000): Promise<T> {
  p.catch(() => {})
  await advance(r.clock, ms)
  return p
}

t.test('plain ASCII: one part in text mode, IRA, and the character set put back', async (t) => {
  const r = await rig({}, 'simcom')
  r.commands.length = 0
  const res = await sent(r, r.driver.sendSms('+79031234567', 'Line gsm1 down since 12:30 (modem not answering)'))
  t.same(res, { to: '+79031234567', encoding: 'gsm7', mode: 'text', parts: 1, references: [1] })
  t.same(r.commands.filter((c) => !/^AT\+(CSQ|CREG\?|COPS\?)$/.test(c)), ['AT+CMGF=1', 'AT+CSCS?', 'AT+CSCS="IRA"', 'AT+CSMP=17,167,0,0', 'AT+CMGS="+79031234567"', 'AT+CSCS="IRA"'])
  t.match(r.sim.sent, [{ mode: 'text', cscs: 'IRA', to: '+79031234567', body: 'Line gsm1 down since 12:30 (modem not answering)' }])
  await r.driver.stop()
})

t.test('Cyrillic: one UCS2 part in PDU mode; the character set is never switched to UCS2', async (t) => {
  const r = await rig()
  const text = 'Линия gsm1 не работает с 12:30'
  const res = await sent(r, r.driver.sendSms('+79031234567', text))
  t.match(res, { encoding: 'ucs2', mode: 'pdu', parts: 1 })
  const pdu = decodeSubmitPdu(r.sim.sent[0]!.body)
  t.match(pdu, { to: '+79031234567', text, encoding: 'ucs2', concat: null })
  t.notOk(r.commands.some((c) => c.startsWith('AT+CSCS')), 'in UCS2 the module would write caller IDs in hex for the while')
  await r.driver.stop()
})

t.test('a call arriving during an SMS keeps its caller ID', async (t) => {
  const r = await rig()
  r.sim.smsDelayMs = 5000
  const p = r.driver.sendSms('+79031234567', 'Проверка связи')
  await advance(r.clock, 1000)
  r.sim.ring('+79161234567', { times: 1 })
  await sent(r, p)
  t.equal(r.modem().lastCall?.number, '+79161234567')
  await r.driver.stop()
})

t.test('text with a line break goes as PDU: in text mode a CR would end the line and prompt for another', async (t) => {
  const r = await rig()
  const res = await sent(r, r.driver.sendSms('+79031234567', 'Line gsm1 down\nsince 12:30'))
  t.match(res, { encoding: 'gsm7', mode: 'pdu', parts: 1 })
  t.equal(decodeSubmitPdu(r.sim.sent[0]!.body)?.text, 'Line gsm1 down\nsince 12:30')
  await r.driver.stop()
})

t.test('a long Cyrillic text: concatenated parts in PDU mode, one reference, in order', async (t) => {
  const r = await rig({}, 'huawei')
  const text = 'Внимание: линия gsm1 не работает с 12:30, звонки переведены на sip1. '.repeat(3)
  const res = await sent(r, r.driver.sendSms('+79031234567', text), 20_000)
  t.match(res, { encoding: 'ucs2', mode: 'pdu', parts: 4 })
  t.same(res.references, [1, 2, 3, 4])
  const parts = r.sim.sent.map((s) => ({ ...s, pdu: decodeSubmitPdu(s.body) }))
  t.ok(parts.every((p) => p.mode === 'pdu' && p.pdu !== null), 'four PDUs the decoder reads')
  const refs = new Set(parts.map((p) => p.pdu!.concat!.ref))
  t.equal(refs.size, 1, 'one concatenation reference for all parts')
  t.same(parts.map((p) => [p.pdu!.concat!.seq, p.pdu!.concat!.total, p.pdu!.to]), [1, 2, 3, 4].map((n) => [n, 4, '+79031234567']))
  t.equal(parts.map((p) => p.pdu!.text).join(''), text, 'the parts put together give the text back')
  t.ok(r.commands.some((c) => /^AT\+CMGS=\d+$/.test(c)) && r.commands.at(-1) !== 'AT+CMGF=0', 'PDU mode for the parts, text mode again after')
  const again = await sent(r, r.driver.sendSms('+79031234567', text), 20_000)
  t.equal(again.parts, 4)
  const next = decodeSubmitPdu(r.sim.sent.at(-1)!.body)!.concat!.ref
  t.not(next, [...refs][0], 'the next long message gets another reference, so phones do not mix them')
  await r.driver.stop()
})

t.test('the network refuses (+CMS ERROR): the error says so; a long text says how many parts went', async (t) => {
  const r = await rig()
  r.sim.smsFails = 500
  await t.rejects(sent(r, r.driver.sendSms('+79031234567', 'test')), { code: ErrorCode.AT_ERROR, message: /CMS ERROR: 500/ })
  r.sim.smsFails = null
  // the second part fails: the first is already out, and a retry would send it twice
  let n = 0
  r.sim.on('command', (c) => {
    if (c.startsWith('AT+CMGS=') && ++n === 2) r.sim.smsFails = 38
  })
  await t.rejects(sent(r, r.driver.sendSms('+79031234567', 'x'.repeat(400)), 20_000), { message: /after 1 of 3 parts were sent/ })
  t.match(r.modem(), { state: 'up', answering: true }, 'a refused SMS is not a dead modem')
  await r.driver.stop()
})

t.test('bad requests are refused before anything reaches the module', async (t) => {
  const r = await rig()
  r.commands.length = 0
  await t.rejects(r.driver.sendSms('+7903abc', 'x'), { code: ErrorCode.INVALID_INPUT })
  await t.rejects(r.driver.sendSms('+79031234567', ''), { code: ErrorCode.INVALID_INPUT, message: /empty/ })
  await t.rejects(r.driver.sendSms('+79031234567', 'Ж'.repeat(671)), { code: ErrorCode.INVALID_INPUT, message: /parts/ })
  t.same(r.commands, [])
  await r.driver.stop()
})

t.test('the balance USSD waits for an SMS that changed the character set', async (t) => {
  const r = await rig({ balance: { ussd: '*100#', everyMinutes: 60 } })
  r.sim.smsDelayMs = 5000
  await advance(r.clock, 59_000)
  const p = r.driver.sendSms('+79031234567', 'Line gsm1 down')
  await sent(r, p, 15_000) // the balance check falls due at 60 s, in the middle of the SMS
  const i = r.commands.indexOf('AT+CUSD=1,"*100#",15')
  t.ok(i > 0, 'the balance was checked')
  const ira = r.commands.indexOf('AT+CSCS="IRA"')
  const restored = r.commands.findIndex((c, k) => k > ira && c === 'AT+CSCS="GSM"')
  t.ok(ira > 0 && restored > ira, 'IRA for the SMS, then the module\'s own set back')
  t.ok(i < ira || i > restored, 'the USSD not between AT+CSCS="IRA" and its restore')
  t.match(r.modem().balance, { amount: 123.45 })
  await r.driver.stop()
})

t.test('a module slow to take an SMS is not called hung: the network, not the module, is slow', async (t) => {
  const r = await rig({ unansweredLimit: 1 })
  r.sim.smsDelayMs = 200_000 // longer than the 120 s the box waits
  await t.rejects(sent(r, r.driver.sendSms('+79031234567', 'Line gsm1 down'), 130_000), { code: ErrorCode.AT_TIMEOUT })
  t.match(r.modem(), { answering: true, recovery: null }, 'no soft reset for a slow network')
  await r.driver.stop()
})

t.test('a modem whose port is not open refuses at once', async (t) => {
  const r = modemRig({ port: 'sim:absent' })
  r.driver.start()
  await r.driver.settled()
  await t.rejects(r.driver.sendSms('+79031234567', 'x'), { code: ErrorCode.AT_PORT_CLOSED })
  await t.rejects(r.driver.dial('+79031234567'), { code: ErrorCode.AT_PORT_CLOSED })
  await r.driver.stop()
})

import t from 'tap'
import { parseClip } from '../../src/modem/calls.js'
import { fields, parseCops, parseCpin, parseCreg, parseCsq, parseFinal, isUnsolicited } from '../../src/modem/parse.js'

t.test('final result codes', async (t) => {
  const table: [string, unknown][] = [
    ['OK', { ok: true, code: 'OK' }],
    ['ERROR', { ok: false, code: 'ERROR', detail: null }],
    ['+CME ERROR: 10', { ok: false, code: 'CME ERROR', detail: '10' }],
    ['+CME ERROR: SIM not inserted', { ok: false, code: 'CME ERROR', detail: 'SIM not inserted' }],
    ['+CMS ERROR: 500', { ok: false, code: 'CMS ERROR', detail: '500' }],
    ['NO CARRIER', { ok: false, code: 'NO CARRIER', detail: null }],
    ['BUSY', { ok: false, code: 'BUSY', detail: null }],
    ['NO ANSWER', { ok: false, code: 'NO ANSWER', detail: null }],
    ['NO DIALTONE', { ok: false, code: 'NO DIALTONE', detail: null }],
    ['CONNECT 115200', { ok: true, code: 'CONNECT', detail: '115200' }],
    ['CONNECT OK', null],
    ['SEND OK', null],
    ['COMMAND NOT SUPPORT', { ok: false, code: 'COMMAND NOT SUPPORT', detail: null }],
    ['+CSQ: 21,99', null],
    ['RING', null],
    ['OKAY', null],
  ]
  for (const [line, want] of table) t.same(parseFinal(line), want, line)
})

t.test('+CREG in the shapes modems send', async (t) => {
  const table: [string, unknown][] = [
    ['+CREG: 1', { registration: 'home', lac: null, cellId: null }],
    ['+CREG: 0', { registration: 'not-registered', lac: null, cellId: null }],
    ['+CREG: 5,"18d8","0c3f12"', { registration: 'roaming', lac: '18D8', cellId: '0C3F12' }],
    ['+CREG: 2,1,"18D8","FFFF"', { registration: 'home', lac: '18D8', cellId: 'FFFF' }],
    ['+CREG: 2,3', { registration: 'denied', lac: null, cellId: null }],
    ['+CREG: 0,2', { registration: 'searching', lac: null, cellId: null }],
    ['+CREG: 2,1,"18D8","0C3F12",7', { registration: 'home', lac: '18D8', cellId: '0C3F12' }],
    ['+CREG:002,001,"18d8","ffff"', { registration: 'home', lac: '18D8', cellId: 'FFFF' }],
    ['+CREG: 1,4', { registration: 'unknown', lac: null, cellId: null }],
    ['+CREG: 1,"18D8","0C3F12",7', { registration: 'home', lac: '18D8', cellId: '0C3F12' }],
    ['+CREG: 5,"1234","0C3F12",2', { registration: 'roaming', lac: '1234', cellId: '0C3F12' }],
    ['+CREG: x', null],
    ['+CSQ: 1,2', null],
  ]
  for (const [line, want] of table) t.same(parseCreg(line), want, line)
})

t.test('+CSQ to dBm, 99 unknown', async (t) => {
  t.same(parseCsq('+CSQ: 21,99'), { csq: 21, rssiDbm: -71, ber: null })
  t.same(parseCsq('+CSQ: 0,0'), { csq: 0, rssiDbm: -113, ber: 0 })
  t.same(parseCsq('+CSQ: 31,0'), { csq: 31, rssiDbm: -51, ber: 0 })
  t.same(parseCsq('+CSQ: 99,99'), { csq: null, rssiDbm: null, ber: null })
  t.same(parseCsq('+CSQ: 150,99'), { csq: 150, rssiDbm: -66, ber: null }, 'Quectel TD-SCDMA range')
  t.equal(parseCsq('+CSQ: (0-31,99),(0-7,99)'), null, 'a test answer is not a reading')
  t.equal(parseCsq('+CSQ: ,'), null)
  t.equal(parseCsq('+CREG: 1'), null)
})

t.test('+CLIP caller id', async (t) => {
  t.same(parseClip('+CLIP: "+79161234567",145,,,,0'), { callerId: '+79161234567' })
  t.same(parseClip('+CLIP: "79161234567",145'), { callerId: '+79161234567' }, 'type 145 without + gets one')
  t.same(parseClip('+CLIP: "84951234567",129'), { callerId: '84951234567' }, 'national stays as sent')
  t.same(parseClip('+CLIP: "",128,,,,1'), { callerId: null }, 'withheld')
  t.equal(parseClip('RING'), null)
})

t.test('+COPS, +CPIN, fields, unsolicited', async (t) => {
  t.equal(parseCops('+COPS: 0,0,"MegaFon",7'), 'MegaFon')
  t.equal(parseCops('+COPS: 0'), null)
  t.equal(parseCpin('+CPIN: READY'), 'READY')
  t.equal(parseCpin('+CPIN: SIM PIN'), 'SIM PIN')
  t.same(fields('+X: "a,b", 2 ,"c"'), ['a,b', '2', 'c'])
  t.ok(isUnsolicited('RING'))
  t.ok(isUnsolicited('+CLIP: "1",129'))
  t.ok(isUnsolicited('+CREG: 1'))
  t.notOk(isUnsolicited('+CSQ: 1,1'))
})

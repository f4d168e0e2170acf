import t from 'tap'
import { decodePackedGsm7Hex, decodeUcs2Hex, decodeUssdText, encodeUcs2Hex, parseBalance } from '../../src/modem/ussd.js'

t.test('UCS2 hex both ways', async (t) => {
  const text = 'Баланс: 12,50 р.'
  t.equal(decodeUcs2Hex(encodeUcs2Hex(text)), text)
  t.equal(encodeUcs2Hex('Ab'), '00410062')
  t.equal(decodeUcs2Hex('0041006'), null, 'not whole 16-bit units')
  t.equal(decodeUcs2Hex('zz41'), null)
})

t.test('packed GSM-7 hex (Huawei sends USSD replies so)', async (t) => {
  t.equal(decodePackedGsm7Hex('C8329BFD06'), 'Hello')
  t.equal(decodePackedGsm7Hex('XYZ'), null)
})

t.test('a reply that merely looks like hex stays text', async (t) => {
  t.equal(decodeUssdText('CAFE', 15), 'CAFE')
  t.equal(decodeUssdText('Balance 10', 15), 'Balance 10')
})

t.test('balance amounts', async (t) => {
  const table: [string, number | null][] = [
    ['Баланс:2220,76р', 2220.76],
    ['Vash balans 968.98 r.', 968.98],
    ['Ваш баланс -15,20 руб.', -15.2],
    ['Balance: 1 234,50 rub', 1234.5],
    ['Service not allowed.', null],
  ]
  for (const [text, want] of table) t.equal(parseBalance(text), want, text)
})

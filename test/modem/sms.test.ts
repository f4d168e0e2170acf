import t, { type Test } from 'tap'
import { gsm7Septets, isGsm7, packSeptets, septetsOf, septetsToText, unpackSeptets } from '../../src/modem/gsm7.js'
import { decodeSubmitPdu, encodeSubmitPdu, planSms, smsNumberProblem, submitPdus } from '../../src/modem/sms.js'
import { prng } from '../../src/sim/prng.js'

t.test('published vectors', async (t) => {
  // node-sms-pdu README: national number, first octet 01 (no validity period)
  t.equal(
    encodeSubmitPdu('09012345678', 'How are you doing?', 'gsm7', undefined, { validity: false }).hex,
    '0001000B819010325476F8000012C8F71D14969741F9771D447EA7DDE71F',
  )
  t.equal(encodeSubmitPdu('09012345678', 'こんにちわ', 'ucs2', undefined, { validity: false }).hex, '0001000B819010325476F800080A30533093306B3061308F')
  // dreamfabric.com/sms: "hellohello" to +46708251358, relative validity 0xAA (4 days)
  const dream = encodeSubmitPdu('+46708251358', 'hellohello', 'gsm7', undefined, { validity: 0xaa })
  t.same(dream, { hex: '0011000B916407281553F80000AA0AE8329BFD4697D9EC37', tpduLength: 23 })
  t.equal(packSeptets(gsm7Septets('hellohello')!).toString('hex').toUpperCase(), 'E8329BFD4697D9EC37')
  t.same(decodeSubmitPdu(dream.hex), { to: '+46708251358', text: 'hellohello', encoding: 'gsm7', concat: null, tpduLength: 23 })
  t.same(decodeSubmitPdu('0001000B819010325476F800080A30533093306B3061308F'), {
    to: '09012345678',
    text: 'こんにちわ',
    encoding: 'ucs2',
    concat: null,
    tpduLength: 23,
  })
})

t.test('our defaults: 0x11 with 24 h validity, 0x51 with a concatenation header and fill bit', async (t) => {
  t.same(encodeSubmitPdu('+79031234567', 'Hi', 'gsm7'), { hex: '0011000B919730214365F70000A7' + '02C834', tpduLength: 16 })
  // UDH 05 00 03 ref total seq = 6 octets = 48 bits; 1 fill bit puts 'H' (0x48) at bit 49: 0x48<<1 = 0x90, then 'i' = 0x69
  t.equal(encodeSubmitPdu('+79031234567', 'Hi', 'gsm7', { ref: 0x2a, total: 2, seq: 1 }).hex, '0051000B919730214365F70000A709' + '0500032A0201' + '9069')
  // UCS2: UDL counts octets, header included
  t.equal(encodeSubmitPdu('+79031234567', 'Ли', 'ucs2', { ref: 255, total: 3, seq: 3 }).hex, '0051000B919730214365F70008A70A' + '050003FF0303' + '041B0438')
  // '*' and '#' are semi-octets A and B; type 0x81 without '+'
  t.equal(encodeSubmitPdu('*100#', 'x', 'gsm7').hex.slice(0, 16), '00110005811A00FB')
  t.equal(decodeSubmitPdu(encodeSubmitPdu('*100#', 'x', 'gsm7').hex)?.to, '*100#')
})

t.test('GSM-7 alphabet and packing', async (t) => {
  t.same(gsm7Septets('@{€'), [0x00, 0x1b, 0x28, 0x1b, 0x65])
  t.equal(gsm7Septets('Ж'), null)
  t.equal(septetsOf('a'), 1)
  t.equal(septetsOf('~'), 2)
  t.equal(septetsOf('Ж'), 0)
  t.ok(isGsm7('price: 5€ ^ {x} [y] ~|\\ \f'), 'the extension table counts for SMS')
  t.notOk(isGsm7('\x1b'), 'ESC is not a character')
  t.notOk(isGsm7('😀'))
  t.ok(isGsm7('Line 1 down: modem gsm1 not answering @ 12:00'))
  t.notOk(isGsm7('Линия 1 не работает'), 'Cyrillic needs UCS2')
  t.equal(septetsToText([0x1b, 0x65, 0x41]), '€A')
  t.equal(septetsToText([0x41, 0x1b]), null, 'ESC at the end')
  t.equal(septetsToText([0x1b, 0x41]), null, 'ESC before an unused code')
  t.equal(septetsToText([0x80]), null)
  t.throws(() => unpackSeptets(Buffer.from([1, 2]), 3), RangeError)

  // against a plain bit-string model of 23.038 §6.1.2.1.1: septets LSB first after the fill bits
  const rnd = prng(7)
  for (let k = 0; k < 500; k++) {
    const septets = Array.from({ length: Math.floor(rnd() * 30) }, () => Math.floor(rnd() * 128))
    const fill = Math.floor(rnd() * 7)
    let bits = '0'.repeat(fill) + septets.map((s) => [...s.toString(2).padStart(7, '0')].reverse().join('')).join('')
    bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0')
    const want = Buffer.from(bits.match(/.{8}/g)?.map((o) => parseInt([...o].reverse().join(''), 2)) ?? [])
    const packed = packSeptets(septets, fill)
    if (!packed.equals(want)) return t.fail(`pack ${septets} fill ${fill}: ${packed.toString('hex')} != ${want.toString('hex')}`)
    if (unpackSeptets(packed, septets.length, fill).join() !== septets.join()) return t.fail(`unpack ${septets} fill ${fill}`)
  }
  t.pass('500 random septet strings pack as the bit model says and unpack back')
})

/** submitPdus → decodeSubmitPdu per part: same number, encoding, text, and a consistent concat header. */
function roundTrip(t: Test, to: string, text: string, ref = 0x5a): { encoding: string; parts: string[] } {
  const { encoding, pdus } = submitPdus(to, text, ref)
  const decoded = pdus.map((p) => decodeSubmitPdu(p.hex))
  const parts: string[] = []
  decoded.forEach((d, i) => {
    const pdu = pdus[i]!
    if (d === null) return t.fail(`part ${i + 1} of ${JSON.stringify(text)} does not decode: ${pdu.hex}`)
    t.equal(d.to, to)
    t.equal(d.encoding, encoding)
    t.same(d.concat, pdus.length > 1 ? { ref, total: pdus.length, seq: i + 1 } : null)
    t.equal(pdu.tpduLength, pdu.hex.length / 2 - 1)
    t.equal(d.tpduLength, pdu.tpduLength)
    t.equal(pdu.hex.slice(8, 10), to.startsWith('+') ? '91' : '81', 'type of number')
    parts.push(d.text)
  })
  t.equal(parts.join(''), text, `${JSON.stringify(text.slice(0, 30))}… comes back whole`)
  return { encoding, parts }
}

t.test('round trips', async (t) => {
  t.equal(roundTrip(t, '+79031234567', 'Line 1 down: modem gsm1 not answering @ 12:00').encoding, 'gsm7')
  t.equal(roundTrip(t, '89031234567', 'ext: {}[]€^~|\\ and a form feed\f').encoding, 'gsm7')
  t.equal(roundTrip(t, '900', 'Линия gsm1 не работает').encoding, 'ucs2')
  t.equal(roundTrip(t, '+79031234567', '🔥 gsm1 down 🚨 since 12:00').encoding, 'ucs2')
  t.equal(roundTrip(t, '+79031234567', '€'.repeat(500)).parts.length, 7, '1000 septets at 152 a part (76 € each)')
})

t.test('part boundaries', async (t) => {
  t.equal(roundTrip(t, '+79031234567', 'a'.repeat(160)).parts.length, 1)
  t.same(roundTrip(t, '+79031234567', 'a'.repeat(161)).parts, ['a'.repeat(153), 'a'.repeat(8)])
  t.equal(roundTrip(t, '+79031234567', 'Ж'.repeat(70)).parts.length, 1)
  t.same(roundTrip(t, '+79031234567', 'Ж'.repeat(71)).parts, ['Ж'.repeat(67), 'Ж'.repeat(4)])
  // an extension char is 2 septets (node-pdu counts 1)
  t.equal(planSms('a'.repeat(158) + '€').parts.length, 1, '160 septets')
  t.equal(planSms('a'.repeat(159) + '€').parts.length, 2, '161 septets')
  // the ESC pair would straddle septets 153/154: it moves whole to the next part
  t.same(roundTrip(t, '+79031234567', 'a'.repeat(152) + '{' + 'b'.repeat(10)).parts, ['a'.repeat(152), '{' + 'b'.repeat(10)])
  const first = submitPdus('+79031234567', 'a'.repeat(152) + '{' + 'b'.repeat(10), 1).pdus[0]!
  t.equal(first.hex.slice(28, 30), '9F', 'UDL 159 = 7 header septets + 152')
  // a surrogate pair would straddle units 67/68: it moves whole
  t.same(roundTrip(t, '+79031234567', 'Ж'.repeat(66) + '😀' + 'Ж'.repeat(10)).parts, ['Ж'.repeat(66), '😀' + 'Ж'.repeat(10)])
})

t.test('random texts: every part fits 140 octets and the message comes back', async (t) => {
  const rnd = prng(20261124)
  const pools = ['abcXYZ 019@£$\n', '{}[]€^~|\\', 'ЛинияЖ', '😀🚨', 'é\r']
  let multi = 0
  for (let k = 0; k < 1000; k++) {
    const allowed = pools.filter(() => rnd() < 0.5).join('') || 'a'
    const chars = [...allowed]
    const text = Array.from({ length: 1 + Math.floor(rnd() * 450) }, () => chars[Math.floor(rnd() * chars.length)]!).join('')
    const { encoding, pdus } = submitPdus('+79031234567', text, k % 256, { maxParts: 255 })
    let back = ''
    for (const p of pdus) {
      const d = decodeSubmitPdu(p.hex)
      // TPDU = 14 header octets for this 11-digit number + at most 140 of user data
      if (d === null || d.encoding !== encoding || p.tpduLength > 154) return t.fail(`bad part for ${JSON.stringify(text)}: ${p.hex}`)
      back += d.text
    }
    if (back !== text) return t.fail(`${JSON.stringify(text)} came back as ${JSON.stringify(back)}`)
    if (pdus.length > 1) multi++
  }
  t.ok(multi > 300, `many multi-part messages (${multi})`)
})

t.test('refusals', async (t) => {
  t.throws(() => planSms(''), /empty/)
  t.throws(() => planSms('a'.repeat(153 * 10 + 1)), /11 parts, more than the 10 allowed/)
  t.equal(planSms('a'.repeat(153 * 10)).parts.length, 10)
  t.throws(() => planSms('Ж'.repeat(135), { maxParts: 2 }), /UCS2 characters need 3 parts, more than the 2 allowed/)
  t.throws(() => planSms('a', { maxParts: 0 }), /maxParts/)
  t.throws(() => encodeSubmitPdu('abc', 'x', 'gsm7'), /bad SMS destination/)
  t.throws(() => encodeSubmitPdu('+', 'x', 'gsm7'), /bad SMS destination/)
  t.throws(() => encodeSubmitPdu('1'.repeat(21), 'x', 'gsm7'), /bad SMS destination/)
  t.throws(() => encodeSubmitPdu('900', 'Ж', 'gsm7'), /outside the GSM-7 alphabet/)
  t.throws(() => encodeSubmitPdu('900', 'a'.repeat(161), 'gsm7'), /more than 160/)
  t.throws(() => encodeSubmitPdu('900', 'a'.repeat(154), 'gsm7', { ref: 1, total: 2, seq: 1 }), /more than 160/)
  t.throws(() => encodeSubmitPdu('900', 'Ж'.repeat(68), 'ucs2', { ref: 1, total: 2, seq: 1 }), /more than 140/)
  t.throws(() => encodeSubmitPdu('900', 'x', 'gsm7', { ref: 1, total: 2, seq: 3 }), /bad concatenation/)
  t.throws(() => encodeSubmitPdu('900', 'x', 'gsm7', { ref: 256, total: 2, seq: 1 }), /bad concatenation/)
  t.throws(() => submitPdus('900', 'x', -1), /reference/)

  for (const ok of ['+79031234567', '900', '89031234567']) t.equal(smsNumberProblem(ok), null, ok)
  for (const bad of ['', '+', 'abc', '+7903123456789012', '12', '+7 903 123-45-67', '1'.repeat(21)]) {
    const why = smsNumberProblem(bad)
    t.ok(typeof why === 'string' && why.length > 10, `${JSON.stringify(bad)}: ${why}`)
  }
})

t.test('decoding: other forms a SUBMIT may take', async (t) => {
  const tpdu = encodeSubmitPdu('+79031234567', 'Hi', 'gsm7').hex.slice(2)
  t.same(decodeSubmitPdu('07917283010010F5' + tpdu)?.tpduLength, tpdu.length / 2, 'an explicit SCA is skipped')
  // 16-bit reference concatenation IE (IEI 08), UCS2
  t.same(decodeSubmitPdu('0051000B919730214365F70008A70B' + '06080400100302' + '041B0438')?.concat, { ref: 16, total: 3, seq: 2 })
  // 8-bit data: the octets as hex
  t.same(decodeSubmitPdu('0011000B919730214365F70004A703CAFE01'), { to: '+79031234567', text: 'CAFE01', encoding: '8bit', concat: null, tpduLength: 17 })
  // enhanced validity period (TP-VPF 01): 7 octets skipped
  t.equal(decodeSubmitPdu('0009000B919730214365F7000001000000000000' + '02C834')?.text, 'Hi')
})

t.test('decoding refuses malformed PDUs without throwing', async (t) => {
  const good = encodeSubmitPdu('+79031234567', 'Hi there', 'gsm7', { ref: 9, total: 2, seq: 1 }).hex
  const bad: [string, string][] = [
    ['', 'empty'],
    ['zz', 'not hex'],
    ['0011000', 'odd length'],
    ['00', 'SCA only'],
    ['FF' + good.slice(2), 'SCA longer than the PDU'],
    [good + '00', 'a trailing octet'],
    ['07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37', 'an SMS-DELIVER (dreamfabric)'],
    [good.slice(0, 2) + '52' + good.slice(4), 'TP-MTI 10 (COMMAND)'],
    [good.slice(0, 24) + '0C' + good.slice(26), 'reserved DCS alphabet'],
    [good.slice(0, 24) + '20' + good.slice(26), 'compressed DCS'],
    ['0051000B919730214365F70000A709' + '0500032A0203' + '9069', 'seq > total'],
    ['0051000B919730214365F70000A709' + '0500032A0200' + '9069', 'seq 0'],
    ['0051000B919730214365F70000A709' + '0600032A0201' + '9069', 'UDH longer than its IEs'],
    ['0051000B919730214365F70008A70A' + '050003FF0303' + '041B04', 'UCS2 octets short of the UDL'],
    ['0011000B919730214365F70008A703' + '041B04', 'UCS2 odd octets'],
    ['0011000B919730214365970000A702C834', 'odd digit not padded with F'],
    ['0011000B919730214365F70000A7A1' + '00'.repeat(141), 'UDL over 160 septets'],
  ]
  for (const [hex, why] of bad) t.equal(decodeSubmitPdu(hex), null, why)
  for (let n = 2; n < good.length; n += 2) if (decodeSubmitPdu(good.slice(0, n)) !== null) t.fail(`truncated to ${n / 2} octets still decodes`)
  t.not(decodeSubmitPdu(good), null, 'the unmutated PDU decodes')
})

t.test('20,000 random mutations of valid PDUs: null or a consistent result, never a throw', async (t) => {
  const rnd = prng(20261125)
  const base = [
    ...submitPdus('+79031234567', 'Line 1 down {gsm1} €5 '.repeat(12), 3).pdus,
    ...submitPdus('900', 'Линия 😀 не работает '.repeat(6), 200).pdus,
    encodeSubmitPdu('09012345678', 'How are you doing?', 'gsm7', undefined, { validity: false }),
  ].map((p) => p.hex)
  const octet = (): string => Math.floor(rnd() * 256).toString(16).padStart(2, '0')
  let decoded = 0
  for (let k = 0; k < 20_000; k++) {
    let hex = base[Math.floor(rnd() * base.length)]!
    for (let e = 1 + Math.floor(rnd() * 3); e > 0; e--) {
      // edits favour the header, where the lengths are
      const at = 2 * Math.floor((rnd() < 0.6 ? rnd() * 20 : rnd() * (hex.length / 2)))
      const op = rnd()
      if (op < 0.4) hex = hex.slice(0, at) + octet() + hex.slice(at + 2)
      else if (op < 0.6) hex = hex.slice(0, at) + hex.slice(at + 2)
      else if (op < 0.8) hex = hex.slice(0, at) + octet() + hex.slice(at)
      else if (op < 0.9) hex = hex.slice(0, at)
      else hex = hex.slice(0, at + 1) + 'g' + hex.slice(at + 2)
    }
    let out: ReturnType<typeof decodeSubmitPdu>
    try {
      out = decodeSubmitPdu(hex)
    } catch (err) {
      return t.fail(`threw on ${hex}: ${(err as Error).message}`)
    }
    if (out === null) continue
    decoded++
    const sca = parseInt(hex.slice(0, 2), 16)
    if (out.tpduLength !== hex.length / 2 - 1 - sca) return t.fail(`tpduLength ${out.tpduLength} for ${hex}`)
    if (out.concat && !(out.concat.seq >= 1 && out.concat.seq <= out.concat.total)) return t.fail(`concat ${JSON.stringify(out.concat)} for ${hex}`)
  }
  t.ok(decoded > 1000 && decoded < 19_000, `some mutations still decode, most do not (${decoded} of 20,000)`)
})

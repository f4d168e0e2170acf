import t from 'tap'
import { normaliseDialled, type DialPlan } from '../../src/lcr/dialplan.js'

const RU: DialPlan = { countryCode: '7', nationalPrefix: '8', internationalPrefix: '810', areaCode: '495', localDigits: 7 }
const DE: DialPlan = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00', areaCode: '30', localDigits: 8 }

t.test('what the PBX dials, in E.164', async (t) => {
  const cases: [string, DialPlan | undefined, string, string | null][] = [
    ['+79161234567', RU, '+79161234567', '89161234567'],
    ['89161234567', RU, '+79161234567', '89161234567'],
    ['8 (916) 123-45-67', RU, '+79161234567', '89161234567'],
    ['81049301234567', RU, '+49301234567', null],
    ['1234567', RU, '+74951234567', '84951234567'],
    ['030 1234 5678', DE, '+493012345678', '03012345678'],
    ['0044207946000', DE, '+44207946000', null],
    ['12345678', DE, '+493012345678', '03012345678'],
    ['+442079460000', undefined, '+442079460000', null],
    ['451234', { countryCode: '49', nationalPrefix: '0', areaCode: '8152', localDigits: 6 }, '+498152451234', '08152451234'],
  ]
  for (const [input, plan, e164, national] of cases) {
    const n = normaliseDialled(input, plan)
    t.same(n, { ok: true, e164, digits: e164.slice(1), national }, `${input} → ${e164}`)
  }
})

t.test('what cannot be normalised is refused with the reason', async (t) => {
  const refused = (input: string, plan: DialPlan | undefined, why: RegExp) => {
    const n = normaliseDialled(input, plan)
    t.equal(n.ok, false, input)
    if (!n.ok) t.match(n.reason, why, `${input}: ${n.reason}`)
  }
  refused('112', RU, /short number/)
  refused('0800', RU, /short number/)
  refused('abc123', RU, /not a phone number/)
  refused('+7916', RU, /valid E\.164/)
  refused('+0123456789', RU, /valid E\.164/)
  refused('8100', RU, /short number/)
  refused('81012', RU, /short number/)
  refused('8101234', RU, /international prefix 810 does not give a valid E\.164/)
  refused('79161234567', RU, /neither \+E\.164 nor 810… nor 8… nor 7 local digits/)
  refused('89161234567', undefined, /no numbering plan/)
  refused('123456', { countryCode: '7' }, /short number/)
  refused('9161234567', { countryCode: '7' }, /a form the numbering plan knows/)
  refused('+1234567890123456', RU, /valid E\.164/)
})

import t from 'tap'
import { callerIdE164, toE164 } from '../../src/numbers/e164.js'

const RU = { countryCode: '7', nationalPrefix: '8', internationalPrefix: '810' }
const DE = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' }

t.test('national and international forms to E.164, by the site\'s plan', async (t) => {
  const cases: [string, typeof RU | null, string | null][] = [
    ['89161234567', RU, '+79161234567'], // a Russian mobile as a Russian network sends it (type 129)
    ['84951234567', RU, '+74951234567'],
    ['81049301234567', RU, '+49301234567'], // 810 then the country code
    ['+79161234567', RU, '+79161234567'],
    ['+7 (916) 123-45-67', RU, '+79161234567'],
    ['030123456', DE, '+4930123456'],
    ['0049301234567', DE, '+49301234567'],
    ['0', DE, null], // too short to be a number
    ['900', RU, null], // a short service number: no E.164 form
    ['1234567', RU, null], // local, no trunk prefix: the area code is unknown here
    ['89161234567', null, null], // no plan: cannot tell
    ['number pres restricted', RU, null],
    ['+12', RU, null],
    ['8', RU, null],
  ]
  for (const [n, plan, want] of cases) t.equal(toE164(n, plan), want, `${n} → ${want}`)
})

t.test('a caller ID keeps what the plan cannot tell, and withheld stays withheld', async (t) => {
  t.equal(callerIdE164('89161234567', RU), '+79161234567')
  t.equal(callerIdE164('900', RU), '900')
  t.equal(callerIdE164(null, RU), null)
  t.equal(callerIdE164('89161234567', undefined), '89161234567')
})

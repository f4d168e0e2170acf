import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { SimGateway } from '../../src/sim/binding.js'
import { SimModem } from '../../src/sim/modem.js'

function net() {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const a = gw.add('a', new SimModem({ clock, msisdn: '+74951110001' }))
  const b = gw.add('b', new SimModem({ clock, personality: 'simcom', msisdn: '+74951110002' }))
  const out = { a: '', b: '' }
  a.on('output', (x) => (out.a += x.toString('latin1')))
  b.on('output', (x) => (out.b += x.toString('latin1')))
  for (const m of [a, b]) m.write('ATE0\rAT+CLIP=1\r')
  const take = (k: 'a' | 'b') => [out[k], (out[k] = '')][0]
  take('a')
  take('b')
  return { clock, a, b, take }
}

t.test('a call to another module\'s number rings it with the caller\'s number; its answer and hang-up reach the caller', async (t) => {
  const { clock, a, b, take } = net()
  a.write('ATD84951110002;\r') // national form: the same number
  t.equal(take('a'), '\r\nOK\r\n')
  clock.advance(1000)
  t.match(take('b'), /RING\r\n\r\n\+CLIP: "\+74951110001",145/, 'b rings with a\'s number')
  t.same(a.calls.map((c) => c.stat), [3], 'a hears it alerting')
  b.write('ATA\r')
  t.same(a.calls.map((c) => c.stat), [0], 'answered at b: active at a')
  b.write('ATH\r')
  t.match(take('a'), /NO CARRIER/, 'b hung up: NO CARRIER at a')
  t.same([a.calls, b.calls], [[], []])
})

t.test('the caller hangs up while it rings: the ringing stops; nobody answers: NO ANSWER at the caller', async (t) => {
  const { clock, a, b, take } = net()
  a.write('ATD+74951110002;\r')
  clock.advance(1000)
  t.equal(b.calls.length, 1)
  a.write('ATH\r')
  t.same(b.calls, [], 'no call left at b')
  t.notMatch(take('b'), /NO CARRIER/, 'a ringing call just stops')
  take('a')
  a.write('ATD+74951110002;\r')
  clock.advance(1000 + 8 * 4000)
  t.match(take('a'), /NO ANSWER/)
  t.same([a.calls, b.calls], [[], []])
  a.write('ATD+79990000000;\r')
  clock.advance(1000 + 3000)
  t.same(a.calls.map((c) => c.stat), [0], 'a number not on the network: the knob decides (answer)')
})

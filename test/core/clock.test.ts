import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'

t.test('timers fire in due order while time moves, and only then', async (t) => {
  const c = new FakeClock(0)
  const fired: string[] = []
  c.setTimeout(() => fired.push(`b@${c.now()}`), 200)
  c.setTimeout(() => fired.push(`a@${c.now()}`), 100)
  const every = c.setInterval(() => fired.push(`i@${c.now()}`), 150)
  c.advance(99)
  t.same(fired, [])
  c.advance(251)
  t.same(fired, ['a@100', 'i@150', 'b@200', 'i@300'])
  t.equal(c.now(), 350)
  every.cancel()
  c.advance(1000)
  t.equal(fired.length, 4, 'a cancelled interval stays quiet')
  t.equal(c.pending, 0)
})

t.test('a timer set by a timer fires in the same advance when due', async (t) => {
  const c = new FakeClock(0)
  const fired: number[] = []
  c.setTimeout(() => c.setTimeout(() => fired.push(c.now()), 50), 100)
  c.advance(200)
  t.same(fired, [150])
})

import t from 'tap'
import { LineStateMachine, type LineHysteresis } from '../../src/lines/state-machine.js'

const S = 1000
const H: LineHysteresis = { downAfter: 2, downAfterSeconds: 10, upAfter: 2, holdDownSeconds: 120 }
const up = { state: 'up' as const, reason: 'answers 200' }
const down = { state: 'down' as const, reason: 'no answer' }

function started(h = H) {
  const m = new LineStateMachine(h, 'starting')
  m.observe(up, 0)
  return m
}

t.test('the first word after unknown is taken at once', async (t) => {
  const m = new LineStateMachine(H, 'starting')
  t.equal(m.state, 'unknown')
  t.equal(m.reason, 'starting')
  t.ok(m.observe(down, 0))
  t.equal(m.state, 'down', 'a line found down at start is down, not suspected')
  const m2 = new LineStateMachine(H, 'starting')
  m2.observe(up, 0)
  t.equal(m2.state, 'up', 'no hold-down for a line never seen bad')
})

t.test('down needs downAfter reports over downAfterSeconds (count and time)', async (t) => {
  const m = started()
  t.notOk(m.observe(down, 1 * S), 'one report changes nothing')
  t.equal(m.state, 'up')
  t.match(m.transition, { to: 'down', since: 1 * S, at: null }, 'pending until a second report')
  m.observe(down, 2 * S)
  t.equal(m.state, 'up', 'two reports, but only 1 s of it')
  t.equal(m.deadline, 11 * S, 'the time runs out 10 s after the first report')
  t.notOk(m.tick(10 * S))
  t.ok(m.tick(11 * S))
  t.equal(m.state, 'down')
  t.equal(m.reason, 'no answer')
  t.equal(m.transition, null)
})

t.test('a good report in between starts the count again', async (t) => {
  const m = started()
  m.observe(down, 1 * S)
  m.observe(up, 2 * S)
  t.equal(m.transition, null)
  m.observe(down, 20 * S)
  t.equal(m.state, 'up', 'one report after the reset is not enough')
  m.observe(down, 31 * S)
  t.equal(m.state, 'down')
})

t.test('a firm report is taken at once (the line voltage gone)', async (t) => {
  const m = started()
  t.ok(m.observe({ state: 'down', reason: 'no line voltage', firm: true }, 5 * S))
  t.equal(m.state, 'down')
})

t.test('back up only after upAfter reports and the hold-down', async (t) => {
  const m = started()
  m.observe({ ...down, firm: true }, 0)
  m.observe(up, 10 * S)
  t.equal(m.state, 'down')
  t.match(m.transition, { to: 'up', since: 10 * S, at: null })
  m.observe(up, 20 * S)
  t.equal(m.deadline, 130 * S)
  t.notOk(m.tick(129 * S))
  t.equal(m.state, 'down', 'still held down')
  m.tick(130 * S)
  t.equal(m.state, 'up')
})

t.test('a bad report during the hold-down starts it again', async (t) => {
  const m = started()
  m.observe({ ...down, firm: true }, 0)
  m.observe(up, 10 * S)
  m.observe(up, 20 * S)
  m.observe(down, 100 * S)
  t.equal(m.transition, null)
  m.observe(up, 110 * S)
  m.observe(up, 120 * S)
  m.tick(130 * S)
  t.equal(m.state, 'down', 'the first good stretch does not count')
  m.tick(230 * S)
  t.equal(m.state, 'up')
})

t.test('a flapping line waits longer each time, and forgets once it stays up', async (t) => {
  const h = { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 60 }
  const m = started(h)
  let now = 0
  const cycle = () => {
    m.observe(down, (now += S))
    const from = (now += S)
    m.observe(up, from)
    m.tick(m.deadline!)
    now = m.deadline ?? now
    t.equal(m.state, 'up')
  }
  const holds: number[] = []
  for (let i = 0; i < 6; i++) {
    m.observe(down, (now += S))
    m.observe(up, (now += S))
    holds.push(m.holdDownMs / S)
    m.tick((now += m.holdDownMs))
    t.equal(m.state, 'up')
  }
  t.same(holds, [60, 120, 240, 480, 960, 960], 'doubles, at most 16 times')
  now += 5 * 60 * S
  cycle()
  t.equal(m.holdDownMs, 60 * S, 'a line up for five hold-downs is not flapping')
})

t.test('unknown is published at once; up after it waits out the hold-down of a line last seen bad', async (t) => {
  const m = started()
  m.observe({ ...down, firm: true }, 0)
  t.ok(m.observe({ state: 'unknown', reason: 'waiting for modem m1' }, 5 * S))
  t.equal(m.state, 'unknown')
  m.observe(up, 6 * S)
  m.observe(up, 7 * S)
  t.equal(m.state, 'unknown', 'not up yet: the line was down before')
  m.tick(126 * S)
  t.equal(m.state, 'up')
})

t.test('degraded and down move between each other with the same rules', async (t) => {
  const m = started({ downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 30 })
  m.observe({ state: 'degraded', reason: '503' }, 0)
  t.equal(m.state, 'degraded')
  m.observe(down, S)
  t.equal(m.state, 'down')
  m.observe({ state: 'degraded', reason: '503' }, 2 * S)
  t.equal(m.state, 'down', 'better, but held down')
  m.observe(up, 3 * S)
  t.match(m.transition, { to: 'up', since: 2 * S }, 'the better stretch runs on from degraded to up')
  m.tick(32 * S)
  t.equal(m.state, 'up')
})

t.test('the reason follows the sources while the state stays', async (t) => {
  const m = started()
  t.ok(m.observe({ state: 'up', reason: 'answers 200 in 12 ms' }, S))
  t.equal(m.reason, 'answers 200 in 12 ms')
})

t.test('unknown in between neither skips the hysteresis nor adds a hold-down to a line that was up', async (t) => {
  const m = started({ downAfter: 3, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 120 })
  m.observe({ state: 'degraded', reason: '503' }, 1 * S)
  m.observe({ state: 'unknown', reason: 'waiting for modem m1' }, 2 * S)
  t.equal(m.state, 'unknown')
  m.observe(down, 3 * S)
  t.equal(m.state, 'unknown', 'down after unknown still needs its reports')
  m.observe(down, 4 * S)
  m.observe(down, 5 * S)
  t.equal(m.state, 'down')
  const m2 = started()
  m2.observe({ state: 'unknown', reason: 'waiting' }, S)
  m2.observe(up, 2 * S)
  t.equal(m2.state, 'up', 'back to what it was before unknown: at once')
})

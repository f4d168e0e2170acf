import t from 'tap'
import { isPathFault, PathBreaker, PathQuality } from '../../src/lcr/path-health.js'

t.test('only path faults count against a path, not the callee', async (t) => {
  for (const cause of ['CONGESTION', 'CHANUNAVAIL', '503', 'sip 408', 'SIP-503', '34', 'Q850 42', '44', '47', 'channel unavailable', 'no free channel', 'network out of order'])
    t.ok(isPathFault('failed', cause), `failed ${cause}: a path fault`)
  for (const cause of ['BUSY', '486', '404', '17', '16', 'NOANSWER', 'user busy', '', '3400'])
    t.notOk(isPathFault('failed', cause), `failed ${cause || '(no cause)'}: not a path fault`)
  t.notOk(isPathFault('failed', null))
  t.notOk(isPathFault('busy', 'CONGESTION'), 'busy never counts')
  t.notOk(isPathFault('no-answer', '503'), 'no answer never counts')
  t.notOk(isPathFault('answered', '503'))
})

t.test('N faults in a row open the breaker; after a while one call may try; an answer closes it', async (t) => {
  const b = new PathBreaker(3, 60_000)
  b.record(true, 0, false)
  b.record(true, 1, false)
  t.ok(b.allows(2), 'two faults: still closed')
  b.record(false, 3, true)
  b.record(true, 4, false)
  b.record(true, 5, false)
  t.ok(b.allows(6), 'the count starts again after a success')
  b.record(true, 6, false)
  t.notOk(b.allows(7), 'three in a row: open')
  t.same(b.state(7), { state: 'open', faultsInRow: 3, retryAt: 60_006 })
  t.notOk(b.allows(60_005))
  t.ok(b.allows(60_006), 'half-open at retryAt')
  t.equal(b.state(60_006).state, 'half-open')
  b.offered(60_006)
  t.notOk(b.allows(60_007), 'one trial at a time')
  b.record(true, 60_010, false)
  t.same(b.state(60_011), { state: 'open', faultsInRow: 4, retryAt: 60_010 + 120_000 }, 'a failed trial opens it again, for twice as long')
  b.offered(180_010)
  b.record(false, 180_020, true)
  t.same(b.state(180_021), { state: 'closed', faultsInRow: 0, retryAt: null }, 'an answer closes it')
  b.record(true, 200_000, false)
  b.record(true, 200_001, false)
  b.record(true, 200_002, false)
  t.equal(b.state(200_003).retryAt, 260_002, 'closed again: back to the first open time')
})

t.test('a trial offered but never reported stops blocking after two minutes', async (t) => {
  const b = new PathBreaker(1, 1000)
  b.record(true, 0, false)
  b.offered(1000)
  t.notOk(b.allows(1000 + 119_999), 'waiting for the trial\'s report')
  t.ok(b.allows(1000 + 120_000), 'no report in two minutes: another call may try')
  b.offered(121_000)
  t.notOk(b.allows(121_001), 'and that one is the trial now')
})

t.test('while open: calls failing together do not stack the wait; a cancelled trial closes nothing; busy proves the path', async (t) => {
  const b = new PathBreaker(3, 300_000)
  for (let i = 0; i < 3; i++) b.record(true, i, false)
  for (let i = 3; i < 8; i++) b.record(true, i, false)
  t.equal(b.state(8).retryAt, 2 + 300_000, 'five more faults from calls already under way: still the first 300 s')
  b.offered(300_002)
  b.record(false, 300_010, false)
  t.match(b.state(300_011), { state: 'half-open', faultsInRow: 8 }, 'a cancelled or unclear report: still half-open, not closed')
  t.ok(b.allows(300_011), 'and the next call may try')
  b.offered(300_011)
  b.record(false, 300_020, true)
  t.equal(b.state(300_021).state, 'closed', 'busy: the path reached the callee')
})

t.test('the open time doubles at most 16×', async (t) => {
  const b = new PathBreaker(1, 1000)
  let now = 0
  const waits: number[] = []
  for (let i = 0; i < 7; i++) {
    b.record(true, now, false)
    const at = b.state(now).retryAt!
    waits.push(at - now)
    now = at
    b.offered(now)
  }
  t.same(waits, [1000, 2000, 4000, 8000, 16000, 16000, 16000])
})

t.test('answer-seizure ratio over the recent attempts; uses counted', async (t) => {
  const q = new PathQuality(10)
  for (let i = 0; i < 4; i++) q.record('answered')
  t.equal(q.asr, null, 'too few yet')
  q.record('busy')
  t.equal(q.asr, 0.8)
  for (let i = 0; i < 10; i++) q.record(i % 2 ? 'answered' : 'failed')
  t.equal(q.asr, 0.5, 'only the last 10')
  t.equal(q.uses, 15)
})

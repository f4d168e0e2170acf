import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { RingDetector, type RingCadence } from '../../src/lines/ring-detect.js'

const CADENCE: RingCadence = { pulseGapMs: 100, minBurstMs: 150, maxBurstMs: 3000, callGapMs: 8000 }

function rig(cfg = CADENCE) {
  const clock = new FakeClock()
  const t0 = clock.now()
  const log: string[] = []
  const det = new RingDetector(cfg, clock, {
    call: (at) => log.push(`call @${at - t0}`),
    ring: (r) => log.push(`ring ${r.ringNo} @${r.at - t0} on ${r.onMs} off ${r.offMs}`),
    callEnd: (r) => log.push(`end @${r.at - t0} rings ${r.rings}`),
    rejected: (r) => log.push(`rejected ${r.why} @${r.at - t0} ${r.ms}`),
  })
  /** A 25 Hz ring through an opto-coupler: low/high every 10 ms for `ms`. */
  const pulses = (ms: number, halfPeriodMs = 10) => {
    for (let x = 0; x < ms; x += 2 * halfPeriodMs) {
      det.edge(true)
      clock.advance(halfPeriodMs)
      det.edge(false)
      clock.advance(halfPeriodMs)
    }
  }
  const steady = (ms: number) => {
    det.edge(true)
    clock.advance(ms)
    det.edge(false)
  }
  return { clock, det, log, pulses, steady }
}

t.test('a pulsing ring at the Russian cadence (1 s on, 4 s off) is one call of three rings', async (t) => {
  const { clock, det, log, pulses } = rig()
  for (let i = 0; i < 3; i++) {
    pulses(1000)
    clock.advance(4000)
  }
  t.ok(det.inCall)
  clock.advance(8000)
  t.notOk(det.inCall)
  t.same(log, ['call @0', 'ring 1 @0 on 990 off null', 'ring 2 @5000 on 990 off 4010', 'ring 3 @10000 on 990 off 4010', 'end @18990 rings 3'])
})

t.test('a filtered (steady) detector and the UK double ring', async (t) => {
  const { clock, log, steady } = rig()
  steady(400)
  clock.advance(200)
  steady(400)
  clock.advance(2000)
  steady(400)
  clock.advance(9000)
  t.match(log[0], 'call @0')
  t.equal(log.filter((l) => l.startsWith('ring')).length, 3, 'each burst of the double ring is a ring')
  t.match(log.at(-1), /^end @.* rings 3$/, 'one call')
})

t.test('debounce: spikes and pulse dialling are not rings', async (t) => {
  const { clock, log, steady, pulses } = rig()
  steady(5) // a spike
  clock.advance(500)
  pulses(100) // 100 ms of pulses: too short
  clock.advance(500)
  t.same(log, ['rejected short @0 5', 'rejected short @505 90'])
})

t.test('a detector stuck active is reported once, not taken for a ring', async (t) => {
  const { clock, det, log } = rig()
  det.edge(true)
  clock.advance(10_000)
  t.same(log, ['rejected long @0 3001'])
  det.edge(false)
  clock.advance(1000)
  t.same(log, ['rejected long @0 3001'], 'letting go is not a ring either')
  det.edge(true)
  clock.advance(1000)
  det.edge(false)
  clock.advance(200)
  t.match(log.at(-1), /^ring 1 @11000 on 1000/, 'and it works again afterwards')
})

t.test('a new call after the call gap', async (t) => {
  const { clock, log, steady } = rig()
  steady(1000)
  clock.advance(9000)
  steady(1000)
  clock.advance(9000)
  t.equal(log.filter((l) => l.startsWith('call')).length, 2)
  t.equal(log.filter((l) => l.startsWith('end')).length, 2)
})

t.test('stop leaves no timer behind', async (t) => {
  const { clock, det, pulses } = rig()
  pulses(400)
  det.stop()
  t.equal(clock.pending, 0)
})

t.test('the tail of a pulsing burst held too long is no ring either', async (t) => {
  const { clock, log, pulses } = rig()
  pulses(3500)
  clock.advance(1000)
  t.same(log, ['rejected long @0 3001'], 'one rejection, no call from what follows it')
  pulses(1000)
  clock.advance(200)
  t.match(log.at(-1), /^ring 1 @4500 on 990/, 'a real ring after the input went quiet counts')
})

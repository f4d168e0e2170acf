import t from 'tap'
import { mosFromR, voiceQuality } from '../../src/uplinks/quality.js'

t.test('a clean, near link: R about 93, MOS about 4.4', async (t) => {
  const q = voiceQuality(0, 20, 0)
  // one way 20/2 + codec 10 = 20 ms: 94.2 − 0.024×20 = 93.72
  t.equal(q.rFactor, 93.7)
  t.equal(q.mos, 4.42)
  const q0 = voiceQuality(0, 0, 0)
  t.equal(q0.rFactor, 94, 'the codec delay alone costs 0.24')
  t.ok(q0.mos >= 4.4 && q0.mos <= 4.45, `MOS ${q0.mos}`)
})

t.test('loss lowers R and MOS monotonically', async (t) => {
  let prev = voiceQuality(0, 40, 2)
  for (const loss of [0.5, 1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 100]) {
    const q = voiceQuality(loss, 40, 2)
    t.ok(q.rFactor < prev.rFactor, `R at ${loss}% (${q.rFactor}) below the step before (${prev.rFactor})`)
    t.ok(q.mos <= prev.mos, `MOS at ${loss}% (${q.mos}) not above the step before (${prev.mos})`)
    prev = q
  }
})

t.test('delay lowers R and MOS monotonically', async (t) => {
  let prev = voiceQuality(1, 0, 0)
  for (const rtt of [10, 50, 100, 200, 300, 340, 360, 400, 600, 800]) {
    const q = voiceQuality(1, rtt, 0)
    t.ok(q.rFactor < prev.rFactor, `R at ${rtt} ms (${q.rFactor}) below the step before (${prev.rFactor})`)
    t.ok(q.mos <= prev.mos, `MOS at ${rtt} ms`)
    prev = q
  }
})

t.test('jitter counts as delay (the jitter buffer holds twice the jitter)', async (t) => {
  t.equal(voiceQuality(0, 20, 10).rFactor, voiceQuality(0, 60, 0).rFactor, 'jitter 10 ms = 40 ms more round trip')
  t.ok(voiceQuality(0, 20, 30).rFactor < voiceQuality(0, 20, 10).rFactor)
})

t.test('5% loss sounds fair (MOS 3.8–3.9), 10% poor (below 3.6)', async (t) => {
  const five = voiceQuality(5, 20, 2)
  t.ok(five.mos >= 3.8 && five.mos <= 3.9, `MOS ${five.mos} at 5%`)
  t.ok(five.rFactor > 75 && five.rFactor < 78, `R ${five.rFactor} at 5%`)
  const ten = voiceQuality(10, 20, 2)
  t.ok(ten.mos < 3.6, `MOS ${ten.mos} at 10%`)
  t.ok(ten.mos > 3.2, `MOS ${ten.mos} at 10% is poor, not hopeless`)
})

t.test('above 177 ms one way each ms costs more (the kink)', async (t) => {
  // one way = rtt/2 + 10: 60 → 110 ms (below the kink), 210 → 260 ms (above it); 50 ms more each time
  const below = voiceQuality(0, 100, 0).rFactor - voiceQuality(0, 200, 0).rFactor
  const above = voiceQuality(0, 400, 0).rFactor - voiceQuality(0, 500, 0).rFactor
  t.equal(Math.round(below * 10) / 10, 1.2, '0.024 per ms one way below the kink')
  t.equal(Math.round(above * 10) / 10, 6.7, '0.024 + 0.11 per ms one way above it')
  t.ok(above > 5 * below)
  // right at the kink: 177.3 ms one way is rtt 334.6; just either side of it
  const atKink = voiceQuality(0, 334.6, 0).rFactor
  t.equal(atKink, Math.round((94.2 - 0.024 * 177.3) * 10) / 10, 'no extra cost up to the kink')
})

t.test('R and MOS stay in their bounds', async (t) => {
  const worst = voiceQuality(100, 2000, 500)
  t.equal(worst.rFactor, 0)
  t.equal(worst.mos, 1)
  t.equal(mosFromR(0), 1)
  t.equal(mosFromR(-20), 1)
  t.equal(mosFromR(100), 4.5)
  t.equal(mosFromR(150), 4.5)
  t.ok(mosFromR(99.9) <= 4.5)
  t.ok(Math.abs(mosFromR(50) - 2.58) < 0.01, `R 50 → MOS ${mosFromR(50)}`)
  t.ok(Math.abs(mosFromR(93.2) - 4.41) < 0.01, `R 93.2 → MOS ${mosFromR(93.2)}`)
  // monotonic from where the curve starts rising (see the next test for below)
  let prev = mosFromR(10)
  for (let r = 11; r <= 100; r++) {
    const m = mosFromR(r)
    if (m < prev) t.fail(`MOS falls between R ${r - 1} and ${r}`)
    prev = m
  }
  t.pass('MOS rises with R from 10 to 100')
})

// G.107's cubic dips below 1 for 0 < R < ~6.5: the MOS is kept within its documented 1 … 4.5.
t.test('MOS is never below 1, even for R just above 0', async (t) => {
  for (const r of [1, 3, 6]) t.ok(mosFromR(r) >= 1, `R ${r} → MOS ${mosFromR(r).toFixed(3)}`)
  // as a link measures it: nearly everything lost and what answers slow, R about 3
  const q = voiceQuality(99, 380, 0)
  t.ok(q.rFactor > 0 && q.rFactor < 6.5, `R ${q.rFactor}`)
  t.ok(q.mos >= 1, `MOS ${q.mos}`)
})

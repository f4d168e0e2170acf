import t from 'tap'
import { main } from '../../src/main.js'
import { formatDay, runDay, type Detection } from '../../src/sim/day.js'

const find = (ds: Detection[], name: string) => ds.find((d) => d.detector === name)

t.test('the scripted day: a line going deaf at the exchange at 11:40 is found by silence and test calls, sooner with history', async (t) => {
  const r = await runDay({ seed: 1, fault: 'deaf' })
  t.equal(r.faultAt, '11:40')
  t.ok(r.calls.line1 > 300 && r.calls.line2 > 100, `Poisson calls by hour: ${r.calls.line1} and ${r.calls.line2}`)
  const [fresh, learnt] = r.runs
  for (const run of r.runs) {
    t.equal(find(run.detections, 'line voltage')?.at, null, 'the voltage stays: that detector cannot see it')
    for (const d of run.detections) if (d.minutesAfterFault !== null) t.ok(d.minutesAfterFault >= 0, `${d.detector}: nothing before the fault`)
    const test = find(run.detections, 'test call')!
    t.ok(test.minutesAfterFault !== null && test.minutesAfterFault <= 60, `a test call within the hour (+${test.minutesAfterFault} min)`)
  }
  const fixed = find(fresh!.detections, 'silence: 30-minute rule')!
  t.ok(fixed.minutesAfterFault !== null && fixed.minutesAfterFault <= 30, `no history: the 30-minute rule fires (+${fixed.minutesAfterFault} min)`)
  t.equal(find(fresh!.detections, 'silence: adaptive detector')?.at, null, 'no history: no adaptive verdict')
  const adaptive = find(learnt!.detections, 'silence: adaptive detector')!
  t.ok(adaptive.minutesAfterFault !== null && adaptive.minutesAfterFault < fixed.minutesAfterFault!, `with history the adaptive detector is faster at noon (+${adaptive.minutesAfterFault} min)`)
  t.match(formatDay(r), /history: 28 days\n(.*\n)*  silence: adaptive detector +\d\d:\d\d {2}\(\+\d+ min\)/)
})

t.test('the scripted day with a cable cut: the line voltage finds it at once', async (t) => {
  const r = await runDay({ seed: 2, fault: 'cut', dieAt: 14 * 60 + 5 })
  t.equal(r.faultAt, '14:05')
  const run = r.runs[0]!
  t.match(find(run.detections, 'line voltage'), { at: '14:05', minutesAfterFault: 0 })
  t.match(find(run.detections, 'line state down'), { minutesAfterFault: 0 })
  t.match(find(run.detections, 'alert line/line1/down'), { minutesAfterFault: 0 })
})

t.test('linewatch sim day refuses bad options', async (t) => {
  const err: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write
  try {
    t.equal(await main(['sim', 'day', '--fault', 'flood']), 2)
    t.equal(await main(['sim', 'day', '--at', '25:00']), 2)
    t.equal(await main(['sim', 'day', '--seed', 'x']), 2)
  } finally {
    process.stderr.write = write
  }
  t.match(err.join(''), /--fault: deaf or cut, not flood[\s\S]*--at: HH:MM, not 25:00[\s\S]*--seed: not an integer: x/)
})

import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { RecoveryLadder, type RecoveryStep } from '../../src/modem/recovery.js'

function ladder(wired: { powerKey?: boolean; powerCut?: boolean } = {}) {
  const clock = new FakeClock(0)
  const log: string[] = []
  let portOpen = true
  const l = new RecoveryLadder(
    clock,
    {
      softReset: () => void log.push(`cfun@${clock.now()}`),
      portOpen: () => portOpen,
      powerKey: wired.powerKey ? () => log.push(`pwrkey@${clock.now()}`) : null,
      powerCut: wired.powerCut ? () => log.push(`cut@${clock.now()}`) : null,
      report: (step: RecoveryStep | null, round: number) => log.push(`${step ?? 'recovered'}#${round}`),
    },
    { bootWaitMs: 30_000, keyReleaseMs: 3_000, restMinMs: 300_000, restMaxMs: 1_200_000 },
  )
  return { clock, log, l, setPort: (open: boolean) => (portOpen = open) }
}

t.test('soft reset, then the power key twice (it toggles), each with a wait for the boot, then a growing rest', async (t) => {
  const { clock, log, l } = ladder({ powerKey: true })
  l.begin()
  l.begin() // a second "not answering" while recovering changes nothing
  t.same(log, ['soft-reset#1', 'cfun@0'])
  clock.advance(30_000)
  t.same(log.slice(2), ['power-key#1', 'pwrkey@30000'])
  clock.advance(30_000)
  t.same(log.slice(4), ['power-key#1', 'pwrkey@60000'], 'a second press: the first may have switched a hung module off')
  clock.advance(30_000)
  t.same(log.slice(6), ['rest#1'])
  clock.advance(300_000)
  t.same(log.slice(7), ['soft-reset#2', 'cfun@390000'], 'round 2 after a 5 min rest')
  clock.advance(90_000)
  t.same(log.slice(9), ['power-key#2', 'pwrkey@420000', 'power-key#2', 'pwrkey@450000', 'rest#2'])
  clock.advance(599_999)
  t.equal(log.length, 14, 'the rest has doubled to 10 min')
  clock.advance(1)
  t.same(log.slice(14), ['soft-reset#3', 'cfun@1080000'])
  l.stop()
})

t.test('a power cut comes after the key, and the key once more for modules that stay off when power returns', async (t) => {
  const { clock, log, l } = ladder({ powerKey: true, powerCut: true })
  t.same(l.steps, ['soft-reset', 'power-key', 'power-key', 'power-cut', 'power-key'])
  l.begin()
  clock.advance(150_000)
  t.same(log, ['soft-reset#1', 'cfun@0', 'power-key#1', 'pwrkey@30000', 'power-key#1', 'pwrkey@60000', 'power-cut#1', 'cut@90000', 'power-key#1', 'pwrkey@120000', 'rest#1'])
  l.stop()
  const cutOnly = ladder({ powerCut: true })
  t.same(cutOnly.l.steps, ['soft-reset', 'power-cut'], 'a cut alone: no key to press after it')
})

t.test('an answer ends the ladder; the next failure starts again from the bottom', async (t) => {
  const { clock, log, l } = ladder({ powerKey: true })
  l.begin()
  clock.advance(30_000)
  l.end()
  t.same(log, ['soft-reset#1', 'cfun@0', 'power-key#1', 'pwrkey@30000', 'recovered#1'])
  clock.advance(1_000_000)
  t.equal(log.length, 5, 'no second press after recovery: it would switch the module off again')
  l.begin()
  t.same(log.slice(5), ['soft-reset#1', `cfun@${clock.now()}`])
  l.stop()
})

t.test('"powering down" after a press: the second press goes as soon as the key is free', async (t) => {
  const { clock, log, l } = ladder({ powerKey: true })
  l.begin()
  l.poweredDown() // during the soft reset's wait it means nothing
  t.same(log, ['soft-reset#1', 'cfun@0'])
  clock.advance(30_000)
  clock.advance(2_000)
  l.poweredDown()
  clock.advance(2_999)
  t.same(log.slice(2), ['power-key#1', 'pwrkey@30000'], 'not while the key may still be held')
  clock.advance(1)
  t.same(log.slice(4), ['power-key#1', 'pwrkey@35000'], 'once the key is released and the module off: not a whole boot wait later')
  l.stop()
})

t.test('without a port the soft reset is skipped; portBack() gives a returning port a whole boot wait', async (t) => {
  const { clock, log, l, setPort } = ladder({ powerKey: true })
  setPort(false)
  l.begin()
  t.same(log, ['power-key#1', 'pwrkey@0'], 'nobody to send AT+CFUN to: straight to the key')
  clock.advance(20_000)
  l.portBack() // the port came back at 20 s
  clock.advance(29_999)
  t.equal(log.length, 2, 'no second press while the returning module gets its boot wait')
  clock.advance(1)
  t.same(log.slice(2), ['power-key#1', 'pwrkey@50000'])
  l.stop()
})

t.test('without anything wired the ladder is the soft reset alone', async (t) => {
  const { clock, log, l } = ladder()
  t.notOk(l.hasHardwareSteps)
  l.begin()
  clock.advance(30_000)
  t.same(log, ['soft-reset#1', 'cfun@0', 'rest#1'])
  l.stop()
  clock.advance(10_000_000)
  t.equal(log.length, 3, 'stopped: nothing more')
})

t.test('a lost port: the ladder starts after two boot waits away, or at the fifth loss in ten minutes; never without hardware', async (t) => {
  const away = ladder({ powerKey: true })
  away.setPort(false)
  away.l.portLost()
  away.clock.advance(59_999)
  t.same(away.log, [], 'a re-enumerating module gets two boot waits to come back')
  away.clock.advance(1)
  t.same(away.log, ['power-key#1', 'pwrkey@60000'])
  away.l.stop()

  const back = ladder({ powerKey: true })
  back.l.portLost()
  back.clock.advance(30_000)
  back.l.portBack()
  back.clock.advance(600_000)
  t.same(back.log, [], 'back in time: only reopened')

  const flapping = ladder({ powerKey: true })
  flapping.setPort(false)
  for (let i = 0; i < 4; i++) {
    flapping.l.portLost()
    flapping.clock.advance(1000)
    flapping.l.portBack()
  }
  t.same(flapping.log, [])
  flapping.l.portLost()
  t.same(flapping.log, ['power-key#1', `pwrkey@${flapping.clock.now()}`], 'the fifth loss in ten minutes')
  flapping.l.stop()

  const bare = ladder()
  bare.setPort(false)
  for (let i = 0; i < 6; i++) bare.l.portLost()
  bare.clock.advance(600_000)
  t.same(bare.log, [], 'nothing wired: a lost port is only reopened')
})

t.test('reactive waits: silence moves on after quietMs, a sign of life gets the whole wait, a port gone after a press is a module off', async (t) => {
  const clock = new FakeClock(0)
  const log: string[] = []
  let portOpen = true
  let answer: (yes: boolean) => void = () => {}
  const l = new RecoveryLadder(
    clock,
    {
      softReset: () => new Promise<boolean>((r) => (answer = r)),
      portOpen: () => portOpen,
      powerKey: () => log.push(`pwrkey@${clock.now()}`),
      powerCut: () => log.push(`cut@${clock.now()}`),
      report: (step, round) => step && log.push(`${step}#${round}@${clock.now()}`),
    },
    { bootWaitMs: 30_000, quietMs: 8_000, cutOffMs: 3_000, keyReleaseMs: 2_800 },
  )
  l.begin()
  answer(false) // the reset went unanswered
  await Promise.resolve()
  clock.advance(7_999)
  t.same(log, ['soft-reset#1@0'], 'silent: not yet')
  clock.advance(1)
  t.same(log.slice(1), ['power-key#1@8000', 'pwrkey@8000'], 'silence for quietMs: the reset did nothing')
  clock.advance(1_000)
  portOpen = false
  l.portLost() // the press switched it off and its USB port went
  clock.advance(2_799)
  t.equal(log.length, 3, 'not while the key may still be held')
  clock.advance(1)
  t.same(log.slice(3), ['power-key#1@11800', 'pwrkey@11800'], 'pressed again once the key is free')
  clock.advance(29_999)
  t.equal(log.length, 5, 'the press that switches it on is waited out whole (it says nothing until booted)')
  clock.advance(1)
  t.same(log.slice(5), ['power-cut#1@41800', 'cut@41800'])
  l.stop()

  // a sign of life during the quiet window: the whole boot wait from the step
  log.length = 0
  portOpen = true
  l.begin()
  clock.advance(5_000)
  l.alive() // noise on the line: it is booting
  clock.advance(24_999)
  t.same(log, [`soft-reset#1@${clock.now() - 29_999}`], 'no step while it boots')
  clock.advance(1)
  t.match(log[1], /^power-key#1/, 'the whole boot wait, not more')
  l.stop()

  // the reset answered OK: it heard it and is restarting
  log.length = 0
  l.begin()
  const start = clock.now()
  answer(true)
  await Promise.resolve()
  await Promise.resolve()
  clock.advance(29_999)
  t.equal(log.length, 1, 'a reset it answered gets the whole boot wait')
  clock.advance(1)
  t.equal(log[1], `power-key#1@${start + 30_000}`)
  l.stop()
})

t.test('the second round gives silence the whole boot wait; fixedWaits is the old ladder', async (t) => {
  const clock = new FakeClock(0)
  const times: number[] = []
  const make = (fixedWaits: boolean) =>
    new RecoveryLadder(
      clock,
      { softReset: () => Promise.resolve(false), portOpen: () => true, powerKey: () => {}, powerCut: null, report: (s) => s && times.push(clock.now()) },
      { bootWaitMs: 30_000, quietMs: 8_000, keyReleaseMs: 2_800, restMinMs: 60_000, fixedWaits },
    )
  const l = make(false)
  l.begin()
  clock.advance(24_000 + 60_000 + 90_000)
  const gaps = times.slice(1).map((ms, i) => ms - times[i]!)
  t.same(gaps, [8_000, 8_000, 8_000, 60_000, 30_000, 30_000, 30_000], 'round 1 quick, rest, round 2 with the whole wait after each step')
  l.stop()
  times.length = 0
  const old = make(true)
  old.begin()
  clock.advance(90_000)
  t.same(times.slice(1).map((ms, i) => ms - times[i]!), [30_000, 30_000, 30_000], 'fixed waits: the whole boot wait after every step')
  old.stop()
})

t.test('a USB port leaving after the soft reset is a module restarting; leaving during a cut is the cut', async (t) => {
  const clock = new FakeClock(0)
  const log: string[] = []
  let portOpen = true
  const l = new RecoveryLadder(
    clock,
    { softReset: () => {}, portOpen: () => portOpen, powerKey: null, powerCut: () => log.push(`cut@${clock.now()}`), report: (s) => s && log.push(`${s}@${clock.now()}`) },
    { bootWaitMs: 30_000, quietMs: 8_000, cutOffMs: 3_000 },
  )
  l.begin()
  clock.advance(1_000)
  portOpen = false
  l.portLost()
  clock.advance(28_999)
  t.same(log, ['soft-reset@0'], 'restarting: the whole boot wait')
  clock.advance(1)
  t.same(log.slice(1), ['power-cut@30000', 'cut@30000'])
  l.portLost() // the cut took the port: says nothing about a boot
  clock.advance(8_000 + 3_000)
  t.same(log.slice(3), ['rest@41000'], 'silence after the cut: quietMs + offMs')
  l.stop()
})

import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { RecoveryLadder, type RecoveryStep } from '../../src/modem/recovery.js'

function ladder(withPowerKey: boolean) {
  const clock = new FakeClock(0)
  const log: string[] = []
  const l = new RecoveryLadder(
    clock,
    {
      softReset: () => log.push(`cfun@${clock.now()}`),
      powerKey: withPowerKey ? () => log.push(`pwrkey@${clock.now()}`) : null,
      report: (step: RecoveryStep | null, round: number) => log.push(`${step ?? 'recovered'}#${round}`),
    },
    { bootWaitMs: 30_000, restMinMs: 300_000, restMaxMs: 1_200_000 },
  )
  return { clock, log, l }
}

t.test('soft reset, then the power key, each with a wait for the boot, then a growing rest', async (t) => {
  const { clock, log, l } = ladder(true)
  l.begin()
  l.begin() // a second "not answering" while recovering changes nothing
  t.same(log, ['soft-reset#1', 'cfun@0'])
  clock.advance(30_000)
  t.same(log.slice(2), ['power-key#1', 'pwrkey@30000'])
  clock.advance(30_000)
  t.same(log.slice(4), ['rest#1'])
  clock.advance(300_000)
  t.same(log.slice(5), ['soft-reset#2', 'cfun@360000'], 'round 2 after a 5 min rest')
  clock.advance(60_000)
  t.same(log.slice(7), ['power-key#2', 'pwrkey@390000', 'rest#2'])
  clock.advance(599_999)
  t.equal(log.length, 10, 'the rest has doubled to 10 min')
  clock.advance(1)
  t.same(log.slice(10), ['soft-reset#3', 'cfun@1020000'])
})

t.test('an answer ends the ladder; the next failure starts again from the bottom', async (t) => {
  const { clock, log, l } = ladder(true)
  l.begin()
  clock.advance(30_000)
  l.end()
  t.same(log, ['soft-reset#1', 'cfun@0', 'power-key#1', 'pwrkey@30000', 'recovered#1'])
  clock.advance(1_000_000)
  t.equal(log.length, 5, 'no step after recovery')
  l.begin()
  t.same(log.slice(5), ['soft-reset#1', `cfun@${clock.now()}`])
  l.stop()
})

t.test('without a power key wired the ladder is the soft reset alone', async (t) => {
  const { clock, log, l } = ladder(false)
  l.begin()
  clock.advance(30_000)
  t.same(log, ['soft-reset#1', 'cfun@0', 'rest#1'])
  l.stop()
  clock.advance(10_000_000)
  t.equal(log.length, 3, 'stopped: nothing more')
})

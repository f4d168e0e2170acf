/**
 * Telling a hung module from a busy one (real driver, simulated module in AT
 * bytes, FakeClock). After a first unanswered command the box asks `AT` at
 * once instead of a poll later, so a hung module is called down two timeouts
 * after the poll; a module that was only briefly busy (a late answer, one
 * command missed, a call under way) is never reset. The rig: poll 10 s,
 * timeout 1 s, unanswered limit 2, the engine's resync 0.3 s after a timeout.
 */
import t from 'tap'
import { advance } from '../helpers/flush.js'
import { modemRig } from '../helpers/modem-rig.js'

const KEY = { pin: 8, pulseMs: 800 }
const POLL_MS = 10_000
const TIMEOUT_MS = 1000
const RESYNC_MS = 300

type Rig = ReturnType<typeof modemRig>

/** Every state the modem went through and whether the ladder ever started, from now on. */
function watch(rig: Rig) {
  const states: [string, number][] = []
  let ladder = false
  const t0 = rig.clock.now()
  rig.store.on('change', (c) => {
    if (c.kind !== 'modem') return
    if (c.next.state !== c.prev?.state) states.push([c.next.state, rig.clock.now() - t0])
    if (c.next.recovery) ladder = true
  })
  return { states, ladder: () => ladder, downAt: () => states.find(([s]) => s === 'down')?.[1] ?? NaN }
}

/** Every command line the box wrote from now on, heard or not (a deaf module records nothing itself). */
function written(rig: Rig): string[] {
  const lines: string[] = []
  const write = rig.sim.write.bind(rig.sim)
  rig.sim.write = (data) => {
    lines.push(...String(data).split('\r').filter((l) => l.startsWith('AT')))
    write(data)
  }
  return lines
}

async function started(rig: Rig) {
  rig.driver.start()
  await rig.driver.settled()
  rig.commands.length = 0
  return { ...watch(rig), sent: written(rig) }
}

t.test('a hung module is called down at the second timeout back to back, not a poll later', async (t) => {
  const rig = modemRig({ powerKey: KEY })
  const w = await started(rig)
  rig.sim.hang('hard')
  await advance(rig.clock, POLL_MS + 2 * TIMEOUT_MS + RESYNC_MS + 200)
  t.same(w.sent, ['AT+CSQ', 'AT'], 'the poll went unanswered: `AT` at once, and nothing else before the ladder')
  const down = w.downAt()
  t.ok(down >= POLL_MS + 2 * TIMEOUT_MS + RESYNC_MS - 100 && down <= POLL_MS + 2 * TIMEOUT_MS + RESYNC_MS + 200, `down ${down} ms after the hang`)
  t.ok(down < 2 * POLL_MS, 'before the next poll (the old pace)')
  t.ok(w.ladder(), 'the ladder started')
  await rig.driver.stop()
})

t.test('a module briefly busy (answers late: the network is slow to say) is not reset', async (t) => {
  const rig = modemRig({ powerKey: KEY })
  const w = await started(rig)
  await advance(rig.clock, POLL_MS - 200)
  rig.sim.replyDelayMs = 1500 // the poll's AT+CSQ is answered 0.5 s after its timeout
  await advance(rig.clock, 3000)
  rig.sim.replyDelayMs = 0
  await advance(rig.clock, 2 * POLL_MS)
  t.same(w.sent.slice(0, 2), ['AT+CSQ', 'AT'], 'its poll timed out and `AT` was asked at once')
  t.same(w.states, [], 'never called down')
  t.notOk(w.ladder(), 'no ladder step')
  t.notOk(rig.commands.includes('AT+CFUN=1,1'), 'no soft reset')
  t.equal(rig.presses().length, 0, 'no press')
  t.match(rig.modem(), { state: 'up', answering: true })
  await rig.driver.stop()
})

t.test('a module that misses one command (busy for a moment) answers the `AT` sent at once and is not reset', async (t) => {
  const rig = modemRig({ powerKey: KEY }, { personality: 'simcom' })
  const w = await started(rig)
  await advance(rig.clock, POLL_MS - 200)
  rig.sim.hang('hard') // deaf while the poll's AT+CSQ comes in
  await advance(rig.clock, 800)
  rig.sim.setAnswering(true)
  await advance(rig.clock, 2 * POLL_MS)
  t.same(w.sent.slice(0, 2), ['AT+CSQ', 'AT'], 'the missed AT+CSQ was followed by `AT` at once')
  t.same(rig.commands.slice(0, 1), ['AT'], 'it heard the `AT`, not the AT+CSQ')
  t.same(w.states, [], 'never called down')
  t.notOk(w.ladder(), 'no ladder step')
  t.equal(rig.sim.boots, 0, 'not restarted')
  t.match(rig.modem(), { state: 'up', answering: true })
  await rig.driver.stop()
})

t.test('during a call an unanswered AT+CLCC is not followed by `AT`: the call keeps its own pace, and nothing is reset', async (t) => {
  const rig = modemRig({ powerKey: KEY })
  const { sent } = await started(rig)
  rig.sim.answerAfterMs = 1000
  const done = rig.driver.dial('+74951234567', { ringSeconds: 30, talkSeconds: 6 })
  await advance(rig.clock, 3000)
  t.match(rig.modem().call, { state: 'active' })
  const w = watch(rig)
  const from = sent.length
  rig.sim.hang('hard') // one AT+CLCC goes unanswered
  await advance(rig.clock, 900)
  rig.sim.setAnswering(true)
  await advance(rig.clock, 10_000)
  const call = await done
  const during = sent.slice(from)
  t.ok(during.includes('AT+CLCC'), 'the call was followed')
  t.notOk(during.includes('AT'), 'no `AT` in the middle of the call')
  t.match(call, { outcome: 'answered' })
  t.notOk(w.ladder(), 'no ladder step')
  t.equal(rig.sim.boots, 0)
  await rig.driver.stop()
})

t.test('a module restarting (asked by the office, or announcing its power-down) gets the poll period, not `AT` at once', async (t) => {
  // a UART module that boots in 8 s without a banner: no port lost, no RDY, only silence while it boots
  for (const how of ['office', 'announced'] as const) {
    const rig = modemRig({ powerKey: KEY }, { personality: 'simcom', bootMs: 8000, silentBoot: true })
    const w = await started(rig)
    await advance(rig.clock, POLL_MS - 500)
    const restart = how === 'office' ? rig.driver.restart({ power: false, force: false }) : null
    if (how === 'announced') rig.sim.rebootByItself({ announce: true })
    await advance(rig.clock, 2 * POLL_MS + 3000)
    if (restart) t.ok((await restart).seconds <= 2 * POLL_MS, `${how}: the restart was waited out`)
    t.ok(w.sent.includes('AT+CSQ'), `${how}: a poll went out while it booted`)
    t.notOk(w.sent.includes('AT'), `${how}: no \`AT\` at once while it restarts`)
    t.same(w.states, [], `${how}: never called down`)
    t.notOk(w.ladder(), `${how}: no ladder step`)
    t.equal(rig.sim.boots, 1, `${how}: booted once`)
    t.match(rig.modem(), { state: 'up', answering: true })
    await rig.driver.stop()
  }
})

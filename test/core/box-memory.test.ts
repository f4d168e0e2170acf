/**
 * What the box must not forget at a restart (issue 18): a line that was down
 * waits out its hold-down after a reboot instead of being up at once; a
 * circuit-broken path is not offered again; learnt call durations and the
 * report ids already counted survive; the PBX's calls in progress still hold
 * their channels. All in `<state>/memory.json`, written in batches.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { BoxMemory, MEMORY_BATCH_MS } from '../../src/core/box-memory.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { ChannelWatch } from '../../src/lines/channels.js'
import { LineMonitor } from '../../src/lines/monitor.js'
import { flush } from '../helpers/flush.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const HOLD_DOWN_S = 120
const line = { id: 'trunk', kind: 'sip' as const, numbers: [], channels: 2, ...LINE_DEFAULTS, hysteresis: { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: HOLD_DOWN_S } }

/** One life of the box's line parts on a state folder: a monitor and a channel watch kept by a BoxMemory. */
async function life(dir: string, clock: FakeClock) {
  const { store } = testStore(clock)
  const lines = new LineMonitor(store, [line])
  const channels = new ChannelWatch({ store, lines: [line] })
  const memory = new BoxMemory({ stateDir: dir, clock, log: silentLogger() })
  await memory.load()
  memory.keep('lines', lines)
  memory.keep('channels', channels)
  lines.start()
  channels.start()
  const state = () => store.get('line', 'trunk')!
  return { store, lines, channels, memory, state }
}

t.test('a line that was down is not up at once after a restart: it waits out its hold-down', async (t) => {
  const dir = tempDir(t, 'lw-memory-')
  const clock = new FakeClock()
  const first = await life(dir, clock)
  first.lines.signal('trunk', 'registration', { state: 'down', reason: 'PBX: trunk failed', firm: true })
  t.equal(first.state().state, 'down')
  clock.advance(MEMORY_BATCH_MS)
  await first.memory.flush()
  const kept = JSON.parse(await readFile(join(dir, 'memory.json'), 'utf8')) as { lines: Record<string, { lastKnown: string }> }
  t.match(kept.lines.trunk, { lastKnown: 'down' }, 'in memory.json')
  first.lines.stop()

  clock.advance(30_000) // the reboot
  const second = await life(dir, clock)
  second.lines.signal('trunk', 'registration', { state: 'up', reason: 'PBX: trunk registered' })
  t.not(second.state().state, 'up', 'not up at once')
  t.match(second.state().transition, { to: 'up' }, 'up is waiting for its hold-down')
  clock.advance(HOLD_DOWN_S * 1000)
  await flush()
  t.equal(second.state().state, 'up', 'up after the hold-down')
  second.lines.stop()

  // a line that was up is up at once after a restart, as before
  clock.advance(MEMORY_BATCH_MS)
  await second.memory.flush()
  const third = await life(dir, clock)
  third.lines.signal('trunk', 'registration', { state: 'up', reason: 'PBX: trunk registered' })
  t.equal(third.state().state, 'up', 'a line that was up: at once')
  third.lines.stop()
})

t.test('changes are written in batches: many changes in a second are one write', async (t) => {
  const dir = tempDir(t, 'lw-memory-')
  const clock = new FakeClock()
  const box = await life(dir, clock)
  for (let i = 0; i < 50; i++) box.channels.started('trunk', `call-${i}`, clock.now())
  for (let i = 0; i < 48; i++) box.channels.ended('trunk', `call-${i}`)
  t.equal(box.memory.writes, 0, 'nothing written yet')
  clock.advance(MEMORY_BATCH_MS)
  await box.memory.flush()
  t.equal(box.memory.writes, 1, '98 changes, one write')

  // the two calls still up hold their channels after a restart, and a repeated report of one is not a new call
  const again = await life(dir, clock)
  t.match(again.state().channelUse, { busy: 2 })
  t.equal(again.channels.started('trunk', 'call-49', clock.now()), false, 'a repeated report (QoS 1 redelivery after the restart) is the same call')
  t.equal(again.channels.started('trunk', 'call-50', clock.now()), true)
  again.lines.stop()
  box.lines.stop()
})

t.test('a damaged memory.json is set aside and the box starts without it', async (t) => {
  const dir = tempDir(t, 'lw-memory-')
  const { writeFile, readdir } = await import('node:fs/promises')
  await writeFile(join(dir, 'memory.json'), '{"lines": {"trunk": ')
  const clock = new FakeClock()
  const box = await life(dir, clock)
  box.lines.signal('trunk', 'registration', { state: 'up', reason: 'ok' })
  t.equal(box.state().state, 'up')
  t.ok((await readdir(dir)).some((f) => f.startsWith('memory.json.damaged-')), 'kept aside for a person')
  // junk of the right shape is ignored field by field
  await writeFile(join(dir, 'memory.json'), JSON.stringify({ lines: { trunk: { lastKnown: 'sideways', flaps: 'x' } }, channels: { trunk: [[1, 'x'], 'y'] } }))
  const junk = await life(dir, clock)
  junk.lines.signal('trunk', 'registration', { state: 'up', reason: 'ok' })
  t.equal(junk.state().state, 'up')
  t.match(junk.state().channelUse, { busy: 0 })
  box.lines.stop()
  junk.lines.stop()
})

t.test('the whole box: a circuit-broken path stays out after a restart; learnt durations and counted report ids survive', async (t) => {
  const dir = tempDir(t, 'lw-memory-box-')
  const { writeFile } = await import('node:fs/promises')
  await writeFile(join(dir, 'deck.csv'), 'prefix,rate\n7,1.00\n')
  const yaml = `site: shop1
box: b1
board: sim
lines:
  - { id: sip1, kind: sip, numbers: ["+74951110000"], channels: 4, pbxReports: true }
  - { id: sip2, kind: sip, numbers: ["+74951110000"], channels: 4, pbxReports: true }
routing:
  expectedSeconds: 60
  breaker: { faults: 3, openSeconds: 600 }
  plans: [{ id: carrier, currency: RUB, deck: { file: deck.csv } }]
  paths: [{ id: a, line: sip1, dial: "PJSIP/{e164}@a", plan: carrier }, { id: b, line: sip2, dial: "PJSIP/{e164}@b", plan: carrier }]
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(dir, 'state')}" }
`
  const { config, problems } = validateConfigText(yaml)
  t.same(problems, [])
  const clock = new FakeClock()
  const start = async () => {
    const box = new Box({ config: structuredClone(config!), clock, log: silentLogger(), configDir: dir })
    await box.start()
    return box
  }
  const first = await start()
  t.teardown(() => first.stop())
  for (let i = 0; i < 3; i++) t.equal(first.routing.report({ id: `f${i}`, path: 'a', to: '+74957770000', outcome: 'failed', cause: '503' }), null)
  for (let i = 0; i < 3; i++) first.routing.report({ id: `ok${i}`, path: 'b', to: '+74957770000', outcome: 'answered', seconds: 300 })
  const route = (box: Box) => {
    const answer = box.routing.route('+74957770000')
    if (!answer.ok) throw new Error(answer.reason)
    return answer
  }
  t.match(route(first).excluded, [{ path: 'a', reason: /circuit-broken/ }])
  t.equal(route(first).expectedSeconds, 300, 'learnt: calls there last 5 min')
  await first.stop()

  clock.advance(60_000)
  const second = await start()
  t.teardown(() => second.stop())
  const answer = route(second)
  t.match(answer.excluded, [{ path: 'a', reason: /circuit-broken/ }], 'the broken path is still out after the restart')
  t.equal(answer.expectedSeconds, 300, 'the learnt duration survived')
  let routed = 0
  second.store.on('change', (c) => void (c.kind === 'routed' && routed++))
  second.routing.report({ id: 'ok2', path: 'b', to: '+74957770000', outcome: 'answered', seconds: 300 })
  t.equal(routed, 0, 'a report counted before the restart is not counted again')
  second.routing.report({ id: 'ok3', path: 'b', to: '+74957770000', outcome: 'answered', seconds: 300 })
  t.equal(routed, 1, 'a new one is')
  await second.stop()
})

/**
 * The PBX as a source of call records (lines[].pbxReports): a call with an id
 * is recorded at its hang-up with what the PBX knew (answered, ring time,
 * queue, agent); unanswered in a queue is abandoned, otherwise missed; copies
 * and stray hang-ups change nothing; and a call the line's modem also saw is
 * one record with both sources.
 */
import { join } from 'node:path'
import t from 'tap'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { StateStore } from '../../src/core/store.js'
import { StatsService } from '../../src/stats/service.js'
import { tempDir } from '../helpers/tmp.js'

t.test('PBX reports become call records', async (t) => {
  const dir = tempDir(t)
  const { config, problems } = validateConfigText(`site: s\nbox: b\nboard: sim\nnumbering: { countryCode: "7", nationalPrefix: "8" }\nmodems: [{ id: m1, port: "sim:m1" }]\nlines:\n  - { id: gsm1, kind: gsm, modem: m1, numbers: ["+74951110001"], pbxReports: true }\n  - { id: sip1, kind: sip, numbers: ["+74951110000"], pbxReports: true }\nstorage: { dir: "${dir}" }\n`)
  t.same(problems, [])
  const clock = new FakeClock(Date.UTC(2026, 11, 3, 9))
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: clock.now() }, clock)
  const stats = new StatsService({ config: config!, store, clock, log: silentLogger(), testCall: () => null })
  stats.start(join(dir))
  t.teardown(() => stats.stop())
  const t0 = clock.now()
  const pbx = (line: string, r: object) => stats.pbxReport(line, r as never, clock.now())

  pbx('sip1', { type: 'call', id: 'a', callerId: '89161112233', queue: 'sales' })
  pbx('sip1', { type: 'call', id: 'a', callerId: '89161112233' }) // a copy
  clock.advance(12_000)
  pbx('sip1', { type: 'hangup', id: 'a', answeredAt: t0 + 12_000 - 4000, agent: 'olga' })
  pbx('sip1', { type: 'call', id: 'b', callerId: '+79160000002', queue: 'sales' })
  clock.advance(30_000)
  pbx('sip1', { type: 'hangup', id: 'b' })
  pbx('sip1', { type: 'call', id: 'c', callerId: null })
  clock.advance(20_000)
  pbx('sip1', { type: 'hangup', id: 'c', ringSeconds: 20 })
  pbx('sip1', { type: 'hangup', id: 'nobody' })
  pbx('sip1', { type: 'call', id: 'd', direction: 'out', callerId: '+79031234567' })
  clock.advance(5000)
  pbx('sip1', { type: 'hangup', id: 'd', answeredAt: clock.now() - 5000 })
  pbx('sip1', { type: 'call', callerId: '+79035550000' }) // no id: counts for the line, not recorded
  // reports that cross: the hang-up first, its call a moment later
  pbx('sip1', { type: 'hangup', id: 'e', at: clock.now() })
  pbx('sip1', { type: 'call', id: 'e', callerId: '+79160000005', at: clock.now() - 10_000 })
  pbx('sip1', { type: 'refused', cause: '503' })
  pbx('sip1', { type: 'refused', cause: 'CONGESTION' })

  const rows = stats.calls({ from: '2026-12-03' })
  t.same(rows.map((r) => [r.id, r.direction, r.caller, r.called, r.outcome, r.ringMs, r.talkMs, r.queue ?? null, r.agent ?? null]), [
    ['pbx-sip1-a', 'in', '+79161112233', '+74951110000', 'answered', 8000, 4000, 'sales', 'olga'],
    ['pbx-sip1-b', 'in', '+79160000002', '+74951110000', 'abandoned', 30_000, null, 'sales', null],
    ['pbx-sip1-c', 'in', null, '+74951110000', 'missed', 20_000, null, null, null],
    ['pbx-sip1-e', 'in', '+79160000005', '+74951110000', 'missed', 10_000, null, null, null],
    ['pbx-sip1-d', 'out', '+74951110000', '+79031234567', 'answered', 0, 5000, null, null],
  ], 'answered with ring and talk, abandoned in a queue, missed, a hang-up before its call, outgoing; the copy and the stray hang-up change nothing')

  const capacity = (stats.figures({ from: '2026-12-03' }) as { capacity: { line: string; blocked: number; peak: { calls: number } }[] }).capacity
  t.match(capacity.find((c) => c.line === 'sip1'), { blocked: 2, peak: { calls: 2 } }, "the carrier's refusals are blocked attempts (and d overlapped e)")

  // gsm1: its modem saw the ring and the caller; the PBX says an agent answered after 6 s
  const start = clock.now()
  store.recordCall({ id: `m1-${start}`, direction: 'in', line: 'gsm1', modem: 'm1', callerId: '+79167777777', dialed: null, state: 'ringing', outcome: null, startedAt: start, answeredAt: null, endedAt: null })
  clock.advance(1000)
  pbx('gsm1', { type: 'call', id: 'g1', callerId: '+79167777777' })
  clock.advance(65_000)
  store.recordCall({ id: `m1-${start}`, direction: 'in', line: 'gsm1', modem: 'm1', callerId: '+79167777777', dialed: null, state: 'ended', outcome: 'missed', startedAt: start, answeredAt: null, endedAt: clock.now() })
  pbx('gsm1', { type: 'hangup', id: 'g1', answeredAt: start + 7000 })
  const gsm = stats.calls({ from: '2026-12-03', line: 'gsm1' })
  t.equal(gsm.length, 1, 'the modem and the PBX saw one call')
  t.match(gsm[0], { id: `m1-${start}`, outcome: 'answered', caller: '+79167777777', ringMs: 7000, talkMs: 59_000 }, "the modem's start (the caller heard the ring from then), the PBX's answer")
  t.same(gsm[0]!.sources.sort(), ['modem', 'pbx'])
})

/**
 * A box without a battery clock starts on the last clock it saved (here three
 * days behind); NTP then sets it at once. The calls recorded before the sync
 * move with the clock (the times between them were right), so they count on
 * the real day, are not pruned as old, and the line's history has no hole; a
 * second jump (a person setting the clock) is left alone and logged; a box
 * whose clock was synchronised at start corrects nothing.
 */
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'
import type { CallRow } from '../../src/stats/call-log.js'
import { StatsService } from '../../src/stats/service.js'
import { tempDir } from '../helpers/tmp.js'

const MIN = 60_000
const DAY = 86_400_000
/** What the box's clock says at power-on: the clock saved at the last shutdown, three days ago. */
const SAVED = Date.UTC(2026, 11, 1, 7, 0) // 10:00 in Moscow
const BEHIND = 3 * DAY + 2 * 3600_000

const missed = (id: string, started: number): CallRow => ({
  id, line: 'gsm1', direction: 'in', caller: '+79161112233', called: null, started, answered: null, ended: started + 30_000, ringMs: 30_000, talkMs: null, outcome: 'missed', path: null, cost: null, currency: null, test: false, sources: ['modem'],
})

function box(t: Test, opts: { clockSyncedAtStart?: boolean } = {}) {
  const dir = tempDir(t)
  const { config } = validateConfigText(`site: s\nbox: b\nboard: sim\ntimezone: Europe/Moscow\nmodems: [{ id: m1, port: "sim:m1" }]\nlines: [{ id: gsm1, kind: gsm, modem: m1 }]\nstorage: { dir: "${dir}" }\n`)
  const clock = new FakeClock(SAVED)
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: clock.now() }, clock)
  store.init('line', { id: 'gsm1', kind: 'gsm', state: 'up', since: clock.now(), reason: 'registered', signals: {}, lastCallAt: null } as never)
  const warnings: string[] = []
  const log = { ...console, warn: (o: unknown, m?: string) => warnings.push(`${m} ${JSON.stringify(o)}`), info() {}, debug() {}, error() {}, child() { return this } }
  const stats = new StatsService({ config: config!, store, clock, log: log as never, testCall: () => null, ...opts })
  stats.start(join(dir))
  t.teardown(() => stats.stop())
  return { stats, clock, warnings }
}

const figures = (stats: StatsService, day: string) => stats.figures({ from: day, to: day }) as { lines: { line: string; total: { incoming: { offered: number } } }[]; availability: { line: string; days: { day: string; up: number; unknown: number }[] }[] }

t.test('the first sync moves the records made on the saved clock; a later jump does not', async (t) => {
  const { stats, clock, warnings } = box(t)
  stats.tick(clock.now())
  clock.advance(5 * MIN)
  stats.log!.put(missed('before-sync', clock.now())) // 10:05 on the saved clock: really Dec 4, 12:05
  clock.advance(MIN)
  stats.tick(clock.now())
  clock.jump(BEHIND) // NTP: Dec 4, 12:06
  clock.advance(MIN)
  stats.tick(clock.now())
  t.match(warnings.join('\n'), /the clock was set \(first sync\).*"seconds":266400,"moved":1/, 'said in the log, with the calls moved')
  t.equal(stats.log!.get('before-sync')!.started, SAVED + 5 * MIN + BEHIND, 'the call is at the real time it rang')
  t.equal(figures(stats, '2026-12-04').lines[0]!.total.incoming.offered, 1, 'it counts on the real day')
  t.equal(figures(stats, '2026-12-01').lines[0]?.total.incoming.offered ?? 0, 0, 'not on the saved clock\'s day')
  const avail = figures(stats, '2026-12-04').availability[0]!.days[0]!
  t.ok(avail.up >= 7 && avail.unknown > 700, `the line is up since the box started on the real clock (${avail.up} min up), unknown before`)

  stats.log!.put(missed('after-sync', clock.now()))
  clock.jump(-10 * MIN) // someone sets the clock back: not the first sync
  clock.advance(MIN)
  stats.tick(clock.now())
  t.equal(stats.log!.get('after-sync')!.started, SAVED + BEHIND + 7 * MIN, 'a later jump moves nothing')
  t.match(warnings.at(-1), /the clock was moved; the call records keep the times they were given/)
})

t.test('a clock already synchronised at start is trusted: a jump moves nothing', async (t) => {
  const { stats, clock, warnings } = box(t, { clockSyncedAtStart: true })
  stats.tick(clock.now())
  stats.log!.put(missed('c', clock.now()))
  clock.jump(BEHIND)
  clock.advance(MIN)
  stats.tick(clock.now())
  t.equal(stats.log!.get('c')!.started, SAVED)
  t.match(warnings.join('\n'), /keep the times they were given/)
})

t.test('small drift (NTP slewing, a slow tick) is not a jump', async (t) => {
  const { stats, clock, warnings } = box(t)
  stats.tick(clock.now())
  stats.log!.put(missed('c', clock.now()))
  clock.jump(90_000)
  clock.advance(MIN)
  stats.tick(clock.now())
  t.equal(stats.log!.get('c')!.started, SAVED)
  t.same(warnings, [])
})

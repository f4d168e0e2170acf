/**
 * Today's figures in `<base>/stats` and a finished day on `<base>/stats/day`
 * (the statistics service on the simulated clock): today's go out when they
 * change and not on an idle minute; a day is sent once after the site's
 * midnight, not again after a restart, and a box that was off over midnight
 * sends the day it missed.
 */
import { join } from 'node:path'
import t from 'tap'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { DayFigures } from '../../src/core/state.js'
import { StateStore } from '../../src/core/store.js'
import type { CallRow } from '../../src/stats/call-log.js'
import { StatsService } from '../../src/stats/service.js'
import { dayStart } from '../../src/stats/site-time.js'
import { tempDir } from '../helpers/tmp.js'

const TZ = 'Europe/Moscow'
const row = (id: string, started: number, over: Partial<CallRow> = {}): CallRow => ({
  id, line: 'gsm1', direction: 'in', caller: '+79161112233', called: '+74951110001', started, answered: started + 8000, ended: started + 68_000, ringMs: 8000, talkMs: 60_000, outcome: 'answered', path: null, cost: null, currency: null, test: false, sources: ['modem'], ...over,
})

t.test("today's figures when they change, a finished day once, across restarts", async (t) => {
  const dir = tempDir(t)
  const { config } = validateConfigText(`site: s\nbox: b\nboard: sim\ntimezone: ${TZ}\nmodems: [{ id: m1, port: "sim:m1" }]\nlines: [{ id: gsm1, kind: gsm, modem: m1 }]\nstorage: { dir: "${dir}" }\n`)
  const clock = new FakeClock(dayStart('2026-12-03', TZ) + 10 * 3600_000) // 10:00 site time
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: clock.now() }, clock)
  const seen: { id: string; f: DayFigures }[] = []
  store.on('change', (c) => c.kind === 'figures' && seen.push({ id: c.id, f: c.next }))
  const start = () => {
    const s = new StatsService({ config: config!, store, clock, log: silentLogger(), testCall: () => null })
    s.start(join(dir))
    return s
  }
  let stats = start()
  stats.log!.put(row('a', clock.now() - 3600_000))
  stats.log!.put(row('m', clock.now() - 1800_000, { answered: null, talkMs: null, outcome: 'missed', ringMs: 30_000, ended: clock.now() - 1770_000 }))
  stats.tick(clock.now())
  t.equal(seen.length, 1, 'the first tick says today')
  t.match(seen[0], { id: 'today', f: { day: '2026-12-03', lines: { '*': { incoming: { offered: 2, answered: 1, missed: 1, serviceLevel: 50 } } }, missed: { count: 1, open: 1 }, hours: [{ hour: 9, offered: 2 }] } })
  clock.advance(60_000)
  stats.tick(clock.now())
  t.equal(seen.length, 1, 'an idle minute sends nothing')
  stats.log!.put(row('back', clock.now(), { direction: 'out', caller: '+74951110001', called: '+79161112233' }))
  stats.tick(clock.now())
  t.match(seen.at(-1), { id: 'today', f: { missed: { open: 0 }, lines: { '*': { outgoing: { attempts: 1 } } } } }, 'the call back closes the missed call')

  // past the site's midnight: yesterday's figures once
  clock.advance(dayStart('2026-12-04', TZ) + 60_000 - clock.now())
  stats.tick(clock.now())
  const days = () => seen.filter((s) => s.id === 'day')
  t.equal(days().length, 1, 'the finished day, once')
  t.match(days()[0]!.f, { day: '2026-12-03', lines: { '*': { incoming: { offered: 2 } } }, missed: { count: 1, open: 0 } })
  t.match(seen.filter((x) => x.id === 'today').at(-1), { id: 'today', f: { day: '2026-12-04', lines: { '*': { incoming: { offered: 0 } } } } }, 'and today starts from nothing')
  stats.tick(clock.now() + 60_000)
  t.equal(days().length, 1, 'not again the next minute')
  stats.stop()
  stats = start()
  stats.tick(clock.now())
  t.equal(days().length, 1, 'nor after a restart')

  // off over the next midnight: the day it missed goes when it is back
  stats.stop()
  clock.advance(dayStart('2026-12-05', TZ) + 5 * 3600_000 - clock.now())
  stats = start()
  stats.tick(clock.now())
  t.same(days().map((d) => d.f.day), ['2026-12-03', '2026-12-04'], 'the day missed while off')
  stats.stop()
})

/**
 * An analog line's ring detect as a source of call records (GPIO through the
 * simulated FXO port, the box on the simulated clock): a call only the ring
 * detect saw is recorded from its first ring to the end of its last, offered
 * with outcome `unknown` (the ringing stops alike for an answer and for a
 * caller giving up) and left out of the service level; on a line whose PBX
 * reports its calls, the ring detect's call and the PBX's are one record with
 * the PBX's answer, whichever comes first.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { advance } from '../helpers/flush.js'

const CONFIG = (dir: string) => `
site: s
box: b
board: sim
timezone: Europe/Moscow
numbering: { countryCode: "7", nationalPrefix: "8", internationalPrefix: "810", areaCode: "495", localDigits: 7 }
lines:
  - { id: pots1, kind: analog, numbers: ["+74951110001"], pbxReports: true, analog: { voltage: { pin: 11 }, ring: { pin: 12 } } }
  - { id: pots2, kind: analog, numbers: ["+74951110002"], analog: { voltage: { pin: 13 }, ring: { pin: 14 } } }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0, auth: none }
storage: { dir: "${dir}" }
`

interface Row { id: string; line: string; outcome: string; sources: string[]; started: number; answered: number | null; ended: number; ringMs: number; talkMs: number | null; caller: string | null; agent?: string }

t.test("the ring detect's calls: alone they are offered with an unknown answer; with the PBX's report, one record", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-ring-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { config } = validateConfigText(CONFIG(dir))
  const start = Date.UTC(2026, 11, 3, 8, 0) // 11:00 in Moscow
  const clock = new FakeClock(start)
  const box = new Box({ config: config!, clock, log: silentLogger() })
  await box.start()
  t.teardown(() => box.stop())
  const sim = box.simulator!
  for (const l of sim.analogLines.values()) l.cadence = { onMs: 1000, offMs: 4000, hz: 0, rings: 3 }
  const get = async (path: string) => (await fetch(`${box.httpUrl}${path}`)).json()
  const report = (body: unknown) => fetch(`${box.httpUrl}/api/v1/lines/pots1/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  await advance(clock, 5000)

  // pots2: three rings, nobody can say whether they were answered
  const rang = clock.now()
  sim.connect('+74951110002', '+79161112233', { answered() {}, ended() {} })
  await advance(clock, 30_000)
  let rows = ((await get('/api/v1/stats/calls')) as { calls: Row[] }).calls
  t.equal(rows.length, 1, 'one call recorded')
  t.match(rows[0], { line: 'pots2', outcome: 'unknown', sources: ['ring'], caller: null, answered: null, talkMs: null })
  t.ok(Math.abs(rows[0]!.started - rang) <= 200, `from its first ring (+${rows[0]!.started - rang} ms)`)
  t.ok(Math.abs(rows[0]!.ringMs - 11_000) <= 300, `to the end of its last ring: 3 rings of 1 s, 4 s apart (${rows[0]!.ringMs} ms)`)
  let f = (await get('/api/v1/stats')) as { lines: { line: string; total: { incoming: { offered: number; unknown: number; answered: number; missed: number; serviceLevel: number | null } } }[] }
  t.match(f.lines.find((l) => l.line === 'pots2')!.total.incoming, { offered: 1, unknown: 1, answered: 0, missed: 0, serviceLevel: null }, 'offered; out of the service level')

  // pots1: the PBX reports it too (call at the first ring, answered after the second, hung up 2 min later)
  const first = clock.now()
  sim.connect('+74951110001', '+79165550000', { answered() {}, ended() {} })
  t.equal((await report({ type: 'call', id: 'p1', callerId: '89165550000', at: first })).status, 202)
  await advance(clock, 30_000) // the ringing is over: the ring detect's call waits for the PBX's hang-up
  t.match(((await get('/api/v1/stats/calls')) as { calls: Row[] }).calls.filter((r) => r.line === 'pots1'), [{ outcome: 'unknown', sources: ['ring'] }], 'until the PBX hangs up, the ring detect\'s word')
  await advance(clock, first + 126_000 - clock.now())
  t.equal((await report({ type: 'hangup', id: 'p1', at: first + 126_000, answeredAt: first + 6000, agent: 'anna' })).status, 202)
  await advance(clock, 2000)
  rows = ((await get('/api/v1/stats/calls')) as { calls: Row[] }).calls.filter((r) => r.line === 'pots1')
  t.equal(rows.length, 1, 'one record for the ring and the report')
  t.match(rows[0], { outcome: 'answered', caller: '+79165550000', answered: first + 6000, ended: first + 126_000, talkMs: 120_000, agent: 'anna' })
  t.same(rows[0]!.sources.sort(), ['pbx', 'ring'])

  // a missed one where the PBX's hang-up comes before the ring detect has called the ringing over
  const second = clock.now()
  sim.connect('+74951110001', '+79167770000', { answered() {}, ended() {} })
  await report({ type: 'call', id: 'p2', callerId: '+79167770000', at: second })
  await advance(clock, 11_500)
  await report({ type: 'hangup', id: 'p2', at: second + 11_000 })
  await advance(clock, 20_000)
  rows = ((await get('/api/v1/stats/calls')) as { calls: Row[] }).calls.filter((r) => r.line === 'pots1')
  t.equal(rows.length, 2, 'still one record a call')
  t.match(rows[1], { outcome: 'missed', caller: '+79167770000' })
  t.same(rows[1]!.sources.sort(), ['pbx', 'ring'])
  f = (await get('/api/v1/stats')) as typeof f
  t.match(f.lines.find((l) => l.line === '*')!.total.incoming, { offered: 3, answered: 1, missed: 1, unknown: 1, serviceLevel: 50 }, 'the store: the service level over the two calls whose answer is known')
})

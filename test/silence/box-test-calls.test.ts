/**
 * The silence watch's own test calls through the whole box (src/app.ts wires the box's test caller into it):
 * an analog line that goes deaf at the exchange in the evening, when no statistics can see it, is tested
 * with a call from the GSM modem and flagged within silence.testCalls.withinMinutes; with perDay: 0 it is not.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'

const CONFIG = (dir: string, perDay: number) => `
site: s
box: b
board: sim
timezone: Europe/Moscow
modems:
  - { id: gsm1, port: "sim:gsm1", pollSeconds: 60, commandTimeoutMs: 2000 }
lines:
  - { id: line1, kind: analog, numbers: ["+74951110001"], analog: { voltage: { pin: 11 }, ring: { pin: 12 } } }
silence:
  testCalls: { perDay: ${perDay}, withinMinutes: 30 }
testCalls: { ringSeconds: 20 }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 0, auth: none }
storage: { dir: "${dir}" }
`

/** 19:00 on a Tuesday in Moscow: after business hours. */
const START = Date.parse('2026-11-24T16:00:00Z')
const MIN = 60_000

async function evening(t: Test, perDay: number): Promise<{ testedAt: number | null; ok: boolean | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-silence-box-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { config } = validateConfigText(CONFIG(dir, perDay))
  const clock = new FakeClock(START)
  const box = new Box({ config: config!, clock, log: silentLogger() })
  let tested: { at: number; ok: boolean } | null = null
  box.store.on('change', (c) => {
    if (c.kind === 'line' && c.id === 'line1' && c.next.lastTestCall && c.next.lastTestCall !== c.prev?.lastTestCall && !tested) tested = { at: clock.now(), ok: c.next.lastTestCall.ok }
  })
  await box.start()
  t.teardown(() => box.stop())
  const deafAt = START + 5 * MIN
  for (let now = START + 1000; now <= START + 40 * MIN; now += 1000) {
    clock.advance(now - clock.now())
    if (now === deafAt) box.simulator!.analogLines.get('line1')!.deafen()
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r))
  }
  const r = tested as { at: number; ok: boolean } | null
  return { testedAt: r ? (r.at - deafAt) / MIN : null, ok: r ? r.ok : null }
}

t.test('a line deaf since 19:05 is tested by the silence watch and flagged within 30 minutes', async (t) => {
  const r = await evening(t, 120)
  t.not(r.testedAt, null, 'a test call was placed')
  t.ok(r.testedAt! <= 30, `within 30 minutes (+${r.testedAt?.toFixed(1)} min)`)
  t.equal(r.ok, false, 'the test call failed: the ring never arrived')
})

t.test('with silence.testCalls.perDay: 0 the silence watch places no test call', async (t) => {
  const r = await evening(t, 0)
  t.equal(r.testedAt, null)
})

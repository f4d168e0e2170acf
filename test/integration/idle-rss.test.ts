/**
 * Idle memory must not creep up (issue 20): `linewatch run` on the one-modem config and on the shipped
 * example, with the settings bin/linewatch.js ships (malloc's environment, V8's flags), each as a ratio to bare Node measured in the same run
 * (machines differ; the ratio travels). Fails when a ratio is more than 20 % above the committed one in
 * test/fixtures/idle-rss.json. After a change that is meant to cost memory, record the new figures with
 * `LINEWATCH_RSS_RECORD=1 npx tap test/integration/idle-rss.test.ts` and say why in the commit.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { arch, cpus } from 'node:os'
import t from 'tap'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { bareNodeRss, idleRss, shippedSettings, type IdleConfig } from '../helpers/idle-rss.js'
import { missing } from '../helpers/real.js'

const FIXTURE = new URL('../fixtures/idle-rss.json', import.meta.url)
const ALLOWED = 1.2

interface Recorded {
  recorded: string
  machine: string
  node: string
  flags: string[]
  env: Record<string, string>
  bareMb: number
  configs: Record<string, { rssMb: number; ratio: number }>
}

const skip = process.platform !== 'linux' ? 'reads /proc (Linux only)' : missing('socat')

t.test('idle RSS of linewatch run against bare Node, within 20 % of the committed ratio', { skip, timeout: 240_000 }, async (t) => {
  const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Recorded
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  const shipped = shippedSettings()
  t.same({ flags: shipped.flags, env: shipped.env }, { flags: committed.flags, env: committed.env }, 'the committed figures were taken with the settings bin/linewatch.js ships')
  const bareMb = await bareNodeRss()
  const now: Recorded = { recorded: new Date().toISOString().slice(0, 10), machine: `${arch()} ${cpus()[0]?.model ?? ''} x${cpus().length}`.trim(), node: process.version, flags: shipped.flags, env: shipped.env, bareMb: round(bareMb), configs: {} }
  for (const kind of ['minimal', 'example'] as IdleConfig[]) {
    const { rssMb } = await idleRss(kind, { mqttUrl: broker.url })
    const ratio = rssMb / bareMb
    now.configs[kind] = { rssMb: round(rssMb), ratio: round(ratio, 2) }
    const limit = committed.configs[kind]!.ratio * ALLOWED
    t.ok(ratio <= limit, `${kind}: ${rssMb.toFixed(1)} MB = ${ratio.toFixed(2)} x bare Node (${bareMb.toFixed(1)} MB); committed ${committed.configs[kind]!.ratio} x, limit ${limit.toFixed(2)} x`)
  }
  if (process.env.LINEWATCH_RSS_RECORD === '1') {
    writeFileSync(FIXTURE, `${JSON.stringify(now, null, 2)}\n`)
    t.comment(`recorded ${FIXTURE.pathname}`)
  }
})

function round(x: number, digits = 1): number {
  return Number(x.toFixed(digits))
}

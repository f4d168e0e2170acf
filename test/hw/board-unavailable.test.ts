/**
 * A Pi board whose GPIO cannot be opened (no GPIO chip here, or node-libgpiod not built) on a box with
 * no panel and no analog line: the IO plugin's 'error' was an uncaught exception that killed the box at
 * start (found measuring the idle memory of a one-modem config). It is logged; the box runs on.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { createLogger } from '../../src/core/logger.js'
import { Writable } from 'node:stream'

t.test('a Pi board without a usable GPIO chip and no panel: the box starts, says so once, serves /healthz', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-nogpio-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { config, problems } = validateConfigText(`site: s\nbox: b\nboard: pi-4b\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp: { host: 127.0.0.1, port: 0, auth: none, tls: "off" }\nstorage: { dir: "${dir}" }\n`)
  t.same(problems, [])
  const lines: string[] = []
  const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) })
  const box = new Box({ config: config!, log: createLogger({ level: 'error', destination: sink }) })
  const uncaught: unknown[] = []
  const onUncaught = (e: unknown) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  t.teardown(() => process.off('uncaughtException', onUncaught))
  await box.start()
  t.teardown(() => box.stop())
  await new Promise((r) => setTimeout(r, 200))
  t.same(uncaught, [], 'no uncaught exception')
  const res = await fetch(`${box.httpUrl}/healthz`)
  t.equal(res.status, 200, 'the box serves /healthz')
  const said = lines.filter((l) => l.includes('IO board error'))
  t.equal(said.length, 1, 'the board error is logged once')
  t.match(said[0], /"board":"pi-4b"/)
})

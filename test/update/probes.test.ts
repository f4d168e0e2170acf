/**
 * The confirmation's real probes against a local HTTP server standing for the box (docs/updates.md):
 * /healthz must answer 200; MQTT is asked with the token on /api/v1/health; no mqtt.url in the file
 * means no broker to wait for.
 */
import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import type { Config } from '../../src/config/schema.js'
import { realProbes } from '../../src/update/confirm-cli.js'

async function box(t: Test, health: { status: number; mqtt: string }) {
  const seen: (string | undefined)[] = []
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return res.writeHead(health.status).end('{"ok":true}')
    if (req.url === '/api/v1/health') {
      seen.push(req.headers.authorization)
      if (req.headers.authorization !== 'Bearer tok-123') return res.writeHead(401).end('{}')
      return res.writeHead(200).end(JSON.stringify({ ok: true, mqtt: health.mqtt }))
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const config = { board: 'sim', http: { port, tls: 'auto' } } as unknown as Config
  return { config, seen }
}

t.test('healthy box: /healthz 200, MQTT connected when asked with the token', async (t) => {
  const b = await box(t, { status: 200, mqtt: 'connected' })
  const p = realProbes(b.config, true, async () => 'tok-123')
  t.equal(await p.healthz(), null)
  t.equal(await p.mqtt(), null)
  t.same(b.seen, ['Bearer tok-123'])
})

t.test('not healthy: /healthz failing, MQTT disconnected, no token', async (t) => {
  const b = await box(t, { status: 503, mqtt: 'disconnected' })
  t.match(await realProbes(b.config, true, async () => 'tok-123').healthz(), /answered 503/)
  t.match(await realProbes(b.config, true, async () => 'tok-123').mqtt(), /disconnected/)
  t.match(await realProbes(b.config, true, async () => null).mqtt(), /answered 401/)
  t.equal(await realProbes(b.config, false, async () => null).mqtt(), null, 'no mqtt.url in the file: nothing to wait for')
})

t.test('nothing listening: the probe throws, which counts as unhealthy', async (t) => {
  const config = { board: 'sim', http: { port: 1, tls: 'off' } } as unknown as Config
  await t.rejects(realProbes(config, false, async () => null).healthz(), /ECONNREFUSED/)
})

/**
 * Hostile input at a running box (the demo: its HTTP routes, its broker):
 * generated requests (every route, wrong methods, mutated paths and queries,
 * bodies of the wrong type or shape, random bytes, bodies over the limit) and
 * junk on every MQTT topic the box listens to. Never a 5xx, never a crash;
 * afterwards the box still answers, is still on MQTT, and still reports every
 * line and uplink. The same requests at a box with the login on, each with
 * junk, stale or real credentials: never a 5xx, and no change made by a
 * credential that lacks the permission or the CSRF token. Seeded: a failure replays. LINEWATCH_FUZZ_N sets the count
 * (3,000 requests and 3,000 MQTT payloads by default; the long run is
 * LINEWATCH_FUZZ_N=100000).
 */
import mqtt from 'mqtt'
import t from 'tap'
import { prng } from '../../src/sim/prng.js'
import { runDemo } from '../../src/sim/demo.js'
import { junkBody, junkValue, throwRequests } from '../../src/sim/http-fuzz.js'
import { waitFor } from '../helpers/flush.js'
import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'
import { testWeb } from '../helpers/web.js'

const N = Number(process.env.LINEWATCH_FUZZ_N ?? 3000)
t.test(`${N} generated requests and ${N} junk MQTT payloads: no 5xx, no crash, the box still reports`, async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const { box } = demo
  await waitFor(() => box.mqtt.connected && box.store.get('line', 'gsm1')?.state === 'up', 15_000, 'the demo up')
  const rnd = prng(16_17)
  const { statuses, fives } = await throwRequests(box.web, N, rnd, () => ({}))
  t.same(fives, [], `no 5xx (statuses: ${JSON.stringify(Object.fromEntries(statuses))})`)
  t.ok((statuses.get(413) ?? 0) > 0, 'bodies over the limit were refused with 413')

  // junk on every topic the box listens to
  const client = await mqtt.connectAsync(box.config.mqtt.url, { clientId: 'fuzzer' })
  t.teardown(() => client.endAsync(true))
  const base = box.mqtt.base
  const topics = ['panel/test', 'panel/silence', 'pbx/pots1/report', 'pbx/gsm1/report', 'pbx/../report', 'route/request']
  for (let i = 0; i < N; i++) {
    const body = junkBody(rnd) ?? ''
    await client.publishAsync(`${base}/${topics[Math.floor(rnd() * topics.length)]}`, typeof body === 'string' ? body.slice(0, 10_000) : body, { qos: 0 })
  }
  // a good request after all that is still answered
  const answer = new Promise<string>((resolve) => client.on('message', (_topic, payload) => resolve(payload.toString())))
  await client.subscribeAsync(`${base}/route/response/after-fuzz`, { qos: 1 })
  await client.publishAsync(`${base}/route/request`, JSON.stringify({ id: 'after-fuzz', to: '89161234567' }), { qos: 1 })
  t.match(JSON.parse(await answer), { ok: true, e164: '+79161234567' }, 'routing still answers over MQTT')

  const health = await box.web.inject('/api/v1/health')
  t.match(health.json(), { ok: true, mqtt: 'connected' }, 'still on MQTT')
  const state = box.store.snapshot
  t.same(Object.keys(state.lines).sort(), ['gsm1', 'gsm2', 'pots1', 'sip1'], 'every line still reported')
  t.same(Object.keys(state.uplinks).sort(), ['lte', 'wan1', 'wan2'], 'every uplink still reported')
})

t.test(`${N} generated requests at a box with the login on, with junk, stale and real credentials: no 5xx, nothing done without the permission`, async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 11, 3, 9))
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, clock)
  const done = { silenced: 0, tests: 0 }
  const { app, auth } = testWeb({ http: { auth: 'required' }, store, panel: { lampTest: () => void done.tests++, silence: () => void done.silenced++ } })
  t.teardown(() => app.close())
  await auth.credentials.setPassword('admin', 'admin password 1', 'admin', clock.now())
  const read = await auth.credentials.addToken('reader', ['read'], clock.now())
  const login = await app.inject({ method: 'POST', url: '/login', payload: 'user=admin&password=admin%20password%201', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  const rnd = prng(17_17)
  const credentials = [
    {}, { authorization: 'Bearer lwt_forged' }, { authorization: `Bearer ${read}` }, { authorization: String(junkValue(rnd)).slice(0, 100) },
    { cookie }, { cookie: `${cookie}x` }, { cookie: 'lw_session=' + 'A'.repeat(43) }, { cookie, 'x-csrf-token': 'guess' }, { cookie, origin: 'http://evil.example' },
  ] as Record<string, string>[]
  const { statuses, fives } = await throwRequests(app, N, rnd, () => credentials[Math.floor(rnd() * credentials.length)]!)
  t.same(fives, [], `no 5xx (statuses: ${JSON.stringify(Object.fromEntries(statuses))})`)
  t.ok((statuses.get(401) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0, 'refusals of both kinds happened')
  t.same(done, { silenced: 0, tests: 0 }, 'no change went through: none of the credentials could make one (a read token; a session without its CSRF token)')
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie } })).statusCode, 200, 'the real login still works after all that')
})

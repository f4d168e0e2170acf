import { LINE_DEFAULTS } from '../helpers/parts.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import type { LineConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import type { SitePhoneEvent } from '../../src/core/state.js'
import { SitePhoneAction, sitePhone } from '../../src/actions/site-phone.js'
import { initialLine } from '../../src/lines/monitor.js'
import { waitFor } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const LINES: LineConfig[] = [
  { id: 'sip1', kind: 'sip', numbers: ['+74951110000', '+74951110009'], channels: 10, ...LINE_DEFAULTS },
  { id: 'gsm1', kind: 'gsm', numbers: ['+74951110001'], channels: 1, modem: 'm1', ...LINE_DEFAULTS },
  { id: 'fax', kind: 'analog', numbers: [], channels: 1, ...LINE_DEFAULTS },
]

t.test('the working line\'s number first; config order within a state', async (t) => {
  const up = { state: 'up' } as const
  const down = { state: 'down' } as const
  const s = (a: object, b: object) => sitePhone(LINES, { sip1: { ...initialLine(LINES[0]!, 0), ...a }, gsm1: { ...initialLine(LINES[1]!, 0), ...b } })
  t.same(s(up, up), { primary: '+74951110000', numbers: ['+74951110000', '+74951110009', '+74951110001'], lines: [{ id: 'sip1', state: 'up', numbers: ['+74951110000', '+74951110009'] }, { id: 'gsm1', state: 'up', numbers: ['+74951110001'] }] })
  t.match(s(down, up), { primary: '+74951110001', numbers: ['+74951110001', '+74951110000', '+74951110009'] }, 'sip1 down: the GSM line\'s number goes first')
  t.match(s(down, down), { primary: null }, 'nothing works: no number to show')
})

async function site(t: Test, failures: number) {
  const bodies: { auth: string | undefined; body: { primary: string } }[] = []
  let left = failures
  const server = createServer((req, res) => {
    let data = ''
    req.on('data', (d) => (data += d))
    req.on('end', () => {
      bodies.push({ auth: req.headers.authorization, body: JSON.parse(data) })
      res.writeHead(left-- > 0 ? 503 : 200).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/phone`, bodies }
}

t.test('the webhook gets each change, retried with back-off until the site says 2xx, and after a restart what it has not acknowledged', async (t) => {
  const web = await site(t, 2)
  const dir = tempDir(t, 'lw-site-')
  const { store, clock } = testStore()
  for (const l of LINES) store.init('line', { ...initialLine(l, 0), state: 'up' })
  const events: SitePhoneEvent[] = []
  store.on('change', (c) => c.kind === 'event' && c.next.type === 'site-phone' && events.push(c.next))
  const action = new SitePhoneAction({ store, lines: LINES, webhook: { url: web.url, token: 'site-token-123' }, clock, stateDir: dir, log: silentLogger() })
  await action.start()
  t.match(store.snapshot.sitePhone, { primary: '+74951110000' })
  clock.advance(0)
  await waitFor(() => events.length === 1, 2000, 'the first attempt')
  t.match(events[0], { state: 'failed', detail: /HTTP 503; retrying/ })
  clock.advance(5_000)
  await waitFor(() => events.length === 2, 2000, 'the second attempt, 5 s later')
  store.update('line', 'sip1', { state: 'down', reason: 'trunk unregistered' })
  clock.advance(10_000)
  await waitFor(() => events.length === 3, 2000, 'the third, 10 s later')
  t.match(events[2], { state: 'sent', primary: '+74951110001' }, 'with the latest state: gsm1 first')
  t.same(web.bodies.map((b) => b.body.primary), ['+74951110000', '+74951110000', '+74951110001'])
  t.equal(web.bodies[0]!.auth, 'Bearer site-token-123')
  // the site goes away; sip1 comes back; the box restarts before the site took it
  store.update('line', 'sip1', { state: 'up' })
  await action.stop()
  const again = new SitePhoneAction({ store, lines: LINES, webhook: { url: web.url }, clock, stateDir: dir, log: silentLogger() })
  await again.start()
  clock.advance(0)
  await waitFor(() => web.bodies.length === 4, 2000, 'the change not acknowledged, sent after the restart')
  t.equal(web.bodies[3]!.body.primary, '+74951110000')
  await again.stop()
  const third = new SitePhoneAction({ store, lines: LINES, webhook: { url: web.url }, clock, stateDir: dir, log: silentLogger() })
  await third.start()
  clock.advance(0)
  await new Promise((r) => setTimeout(r, 200))
  t.equal(web.bodies.length, 4, 'acknowledged already: not sent again')
  await third.stop()
})

t.test('at boot, with every line still unknown, the site is not told anything (it would lose its number)', async (t) => {
  const web = await site(t, 0)
  const { store, clock } = testStore()
  for (const l of LINES) store.init('line', initialLine(l, 0))
  const action = new SitePhoneAction({ store, lines: LINES, webhook: { url: web.url }, clock, stateDir: tempDir(t, 'lw-site-'), log: silentLogger() })
  await action.start()
  clock.advance(0)
  await new Promise((r) => setTimeout(r, 100))
  t.equal(web.bodies.length, 0, 'all unknown: nothing sent')
  store.update('line', 'gsm1', { state: 'up' })
  clock.advance(0)
  await waitFor(() => web.bodies.length === 1, 2000, 'the first known state')
  t.equal(web.bodies[0]!.body.primary, '+74951110001')
  await action.stop()
})

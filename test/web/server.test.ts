import { connect } from 'node:net'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { StateStore } from '../../src/core/store.js'
import { initialLine } from '../../src/lines/monitor.js'
import { testWeb } from '../helpers/web.js'

function setup(token?: string) {
  const clock = new FakeClock()
  const store = new StateStore({ site: 'shop', box: 'b1', version: 't', startedAt: 0 }, clock)
  store.init('line', initialLine({ id: 'l1', kind: 'gsm', numbers: ['+74950000001'], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  const { app } = testWeb({ http: { token }, store })
  return { app, store }
}

t.test('healthz, state and the page', async (t) => {
  const { app, store } = setup()
  const h = await app.inject('/healthz')
  t.equal(h.statusCode, 200)
  t.same(h.json(), { ok: true }, 'up, and nothing more: no version, no state')
  store.update('line', 'l1', { state: 'down', reason: 'modem m: not answering' })
  const s = await app.inject('/api/v1/state')
  t.match(s.json(), { box: { site: 'shop' }, lines: { l1: { state: 'down', reason: 'modem m: not answering' } } })
  const page = await app.inject('/')
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /<body data-demo="false">/, 'no simulator controls outside the demo')
  t.match(page.headers['content-security-policy'], /^default-src 'none'; script-src 'self'; style-src 'self';.*frame-ancestors 'none'/, 'nothing inline, never in a frame')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal(page.headers['x-frame-options'], 'DENY')
  const script = await app.inject('/page.js')
  t.match(script.headers['content-type'], /text\/javascript/)
  t.match(script.body, /EventSource\('\/api\/v1\/events'/)
  t.match((await app.inject('/page.css')).headers['content-type'], /text\/css/)
  await app.close()
})

t.test('with a token, everything but /healthz needs it', async (t) => {
  const { app } = setup('s3cret-token-0123456789')
  t.equal((await app.inject('/healthz')).statusCode, 200)
  t.equal((await app.inject('/healthz?probe=1')).statusCode, 200)
  t.equal((await app.inject('/api/v1/state')).statusCode, 401)
  t.equal((await app.inject('/api/v1/state?x=/healthz')).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { authorization: 'Bearer wrong' } })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { authorization: 'Bearer s3cret-token-0123456789' } })).statusCode, 200)
  const viaQuery = await app.inject('/?token=s3cret-token-0123456789')
  t.equal(viaQuery.statusCode, 303, 'a token in the URL is not a login (it would end up in histories and logs)')
  t.equal(viaQuery.headers.location, '/setup')
  t.equal((await app.inject('//..%2fx')).statusCode, 404, 'a path URL() cannot parse (//host) is simply not there, not a 500')
  // a raw path that URL() would resolve to /healthz is not /healthz to the router: it needs the token
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const status = await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write('GET /api/v1/x/..\\..\\..\\..\\/..\\healthz HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n'))
    let got = ''
    sock.on('data', (d) => (got += d.toString()))
    sock.on('end', () => resolve(got.split('\r\n')[0] ?? ''))
    sock.on('error', reject)
  })
  t.match(status, /^HTTP\/1\.1 404/, 'a dotted path to /healthz is not /healthz')
  await app.close()
})

t.test('the event stream sends the snapshot, then each change', async (t) => {
  const { app, store } = setup()
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const ac = new AbortController()
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { signal: ac.signal })
  t.match(res.headers.get('content-type'), /text\/event-stream/)
  const reader = res.body!.getReader()
  let text = ''
  const read = async (until: RegExp) => {
    while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value)
  }
  await read(/event: snapshot\ndata: .*\n\n/)
  store.update('line', 'l1', { state: 'up', reason: 'registered' })
  await read(/event: change\ndata: .*"kind":"line".*\n\n/)
  t.match(text, /"state":"up"/)
  const listening = store.listenerCount('change')
  ac.abort()
  await new Promise((r) => setTimeout(r, 100))
  t.equal(store.listenerCount('change'), listening - 1, 'a closed stream stops listening')
  await app.close()
})

import { LINE_DEFAULTS } from '../helpers/parts.js'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { LineMonitor } from '../../src/lines/monitor.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { LineConfig } from '../../src/config/schema.js'
import { initialLine } from '../../src/lines/monitor.js'
import { SipMonitor, sipLineState } from '../../src/lines/sip-monitor.js'
import { optionsRequest, parseResponse, probeSip, type SipProbeResult } from '../../src/lines/sip-options.js'
import { flush, waitFor } from '../helpers/flush.js'
import { freePort, missing, terminate } from '../helpers/real.js'
import { testStore } from '../helpers/store.js'

const SIP = { proxy: 'sip.carrier.example', port: 5060, transport: 'udp' as const, everySeconds: 30, timeoutMs: 2000, downAfter: 3 }

/** A 200 OK to a request, with its Via, From, To, Call-ID and CSeq, as a proxy answers. */
function okFor(request: string, code = '200 OK'): string {
  const keep = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l))
  return [`SIP/2.0 ${code}`, ...keep, 'Content-Length: 0', '', ''].join('\r\n')
}

t.test('the OPTIONS request and the answer it matches', async (t) => {
  const req = optionsRequest({ host: 'sip.carrier.example', port: 5060, transport: 'udp', timeoutMs: 1 }, { address: '10.0.0.2', port: 40000 }, { branch: 'abc', tag: 't1', callId: 'c1@linewatch', cseq: 7 })
  t.match(req, /^OPTIONS sip:sip\.carrier\.example:5060 SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP 10\.0\.0\.2:40000;branch=z9hG4bKabc;rport\r\n/)
  t.match(req, /\r\nCall-ID: c1@linewatch\r\nCSeq: 7 OPTIONS\r\n/)
  t.ok(req.endsWith('Content-Length: 0\r\n\r\n'))
  t.same(parseResponse(okFor(req), 'c1@linewatch'), { code: 200, reason: 'OK' })
  t.same(parseResponse('SIP/2.0 404 Not Found\r\ni: c1@linewatch\r\n\r\n', 'c1@linewatch'), { code: 404, reason: 'Not Found' }, 'compact header form')
  t.equal(parseResponse('SIP/2.0 100 Trying\r\nCall-ID: c1@linewatch\r\n\r\n', 'c1@linewatch'), null, 'provisional: not final')
  t.equal(parseResponse(okFor(req).replace('c1@linewatch', 'other'), 'c1@linewatch'), null, 'another request\'s answer')
  t.equal(parseResponse('garbage\r\n\r\n', 'c1@linewatch'), null)
})

t.test('UDP: a lost request is sent again (500 ms, doubling); a silent proxy is a timeout', async (t) => {
  const server = createSocket('udp4')
  let seen = 0
  server.on('message', (msg, from) => {
    if (++seen === 1) return // the first one is lost
    server.send(okFor(msg.toString('latin1')), from.port, from.address)
  })
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const r = await probeSip({ host: '127.0.0.1', port: server.address().port, transport: 'udp', timeoutMs: 2000 })
  t.match(r, { code: 200, reason: 'OK' })
  t.ok(r.rttMs! >= 450, `answered to the resend, ~500 ms later (${r.rttMs} ms)`)
  t.equal(seen, 2)
  const silent = createSocket('udp4')
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r))
  t.teardown(() => silent.close())
  t.same(await probeSip({ host: '127.0.0.1', port: silent.address().port, transport: 'udp', timeoutMs: 700 }), { code: null, reason: 'no answer in 700 ms', rttMs: null })
})

t.test('TCP: the answer may come in pieces; a closed port is an error, not a hang', async (t) => {
  const server = createServer((s) => {
    let text = ''
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (!text.includes('\r\n\r\n')) return
      const answer = okFor(text, '503 Service Unavailable')
      s.write(answer.slice(0, 10))
      setTimeout(() => s.write(answer.slice(10)), 20)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  t.match(await probeSip({ host: '127.0.0.1', port: (server.address() as { port: number }).port, transport: 'tcp', timeoutMs: 2000 }), { code: 503, reason: 'Service Unavailable' })
  const closed = await probeSip({ host: '127.0.0.1', port: await freePort(), transport: 'tcp', timeoutMs: 2000 })
  t.match(closed, { code: null, reason: /ECONNREFUSED/ })
})

t.test('the line\'s state from the probes: an answer is up, 503 degraded, downAfter misses in a row down, one miss nothing', async (t) => {
  const ok: SipProbeResult = { code: 200, reason: 'OK', rttMs: 12 }
  const lost: SipProbeResult = { code: null, reason: 'no answer in 2000 ms', rttMs: null }
  t.same(sipLineState(SIP, ok, 0, 'unknown'), { state: 'up', reason: 'SIP proxy sip.carrier.example:5060/udp answers 200 OK in 12 ms' })
  t.match(sipLineState(SIP, { code: 404, reason: 'Not Found', rttMs: 9 }, 0, 'down'), { state: 'up' }, 'any final answer: the proxy is there')
  t.match(sipLineState(SIP, { code: 503, reason: 'Service Unavailable', rttMs: 9 }, 0, 'up'), { state: 'degraded' })
  t.match(sipLineState(SIP, lost, 1, 'up'), { state: 'up', reason: /1 of 3 before down/ })
  t.match(sipLineState(SIP, lost, 3, 'up'), { state: 'down', reason: /no answer to SIP OPTIONS from sip\.carrier\.example:5060\/udp \(3 in a row/ })
})

t.test('the monitor probes on the clock and keeps the line\'s state and probe', async (t) => {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const line: LineConfig = { id: 'trunk', kind: 'sip', numbers: [], channels: 10, ...LINE_DEFAULTS, sip: SIP }
  const lines = new LineMonitor(store, [line])
  const answers: SipProbeResult[] = [{ code: 200, reason: 'OK', rttMs: 20 }, ...Array<SipProbeResult>(3).fill({ code: null, reason: 'no answer in 2000 ms', rttMs: null }), { code: 200, reason: 'OK', rttMs: 25 }]
  const targets: unknown[] = []
  const monitor = new SipMonitor({ store, signals: lines, lines: [line], clock, log: silentLogger(), probe: async (target) => (targets.push(target), answers.shift()!) })
  monitor.start()
  await flush()
  t.match(store.get('line', 'trunk'), { state: 'up', probe: { code: 200, rttMs: 20 } })
  t.same(targets[0], { host: 'sip.carrier.example', port: 5060, transport: 'udp', timeoutMs: 2000 })
  const states: string[] = []
  for (let i = 0; i < 4; i++) {
    clock.advance(30_000)
    await flush()
    states.push(store.get('line', 'trunk')!.state)
  }
  t.same(states, ['up', 'up', 'down', 'up'], 'two misses tolerated, the third is down, an answer is up again')
  monitor.stop()
  clock.advance(600_000)
  await flush()
  t.equal(targets.length, 5, 'stopped: no more probes')
})

const sippMissing = missing('sipp')
for (const transport of ['udp', 'tcp'] as const) {
  t.test(`against a real SIP peer (sipp answering OPTIONS over ${transport})`, { skip: sippMissing }, async (t) => {
    const port = await freePort()
    const scenario = fileURLToPath(new URL('../fixtures/sipp-options-uas.xml', import.meta.url))
    const sipp = spawn('sipp', ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-t', transport === 'udp' ? 'u1' : 't1', '-nostdin'], { stdio: 'ignore' })
    t.teardown(() => terminate(sipp))
    let r: SipProbeResult = { code: null, reason: '', rttMs: null }
    await waitFor(async () => (r = await probeSip({ host: '127.0.0.1', port, transport, timeoutMs: 1000 })).code !== null, 10_000, 'sipp to answer')
    t.match(r, { code: 200, reason: 'OK' })
    t.ok(r.rttMs! >= 0 && r.rttMs! < 1000)
    await terminate(sipp)
    t.match(await probeSip({ host: '127.0.0.1', port, transport, timeoutMs: 800 }), { code: null }, 'sipp gone: no answer')
  })
}

t.test('signals combine to the worst known one: the PBX saying the trunk is unregistered is enough', async (t) => {
  const { combineSignals } = await import('../../src/lines/signals.js')
  t.same(combineSignals({}), { state: 'unknown', reason: 'nothing reports on this line yet', firm: false })
  const at = 0
  t.match(combineSignals({ options: { state: 'up', reason: 'proxy answers', at }, registration: { state: 'unknown', reason: '?', at } }), { state: 'up' }, 'unknown counts only when nothing knows')
  t.match(combineSignals({ options: { state: 'up', reason: 'proxy answers', at }, registration: { state: 'down', reason: 'PBX: trunk unregistered', at } }), { state: 'down', reason: 'PBX: trunk unregistered' })
  t.match(combineSignals({ calls: { state: 'down', reason: 'test call failed', at }, voltage: { state: 'down', reason: 'no line voltage', at, firm: true } }), { reason: 'no line voltage', firm: true }, 'a firm word leads among equals')
  const { store } = testStore()
  const line: LineConfig = { id: 'trunk', kind: 'sip', numbers: [], channels: 10, ...LINE_DEFAULTS, pbxReports: true }
  const lines = new LineMonitor(store, [line])
  lines.signal('trunk', 'options', { state: 'up', reason: 'SIP proxy answers 200 OK' })
  lines.signal('trunk', 'registration', { state: 'down', reason: 'PBX: trunk unregistered' })
  t.match(store.get('line', 'trunk'), { state: 'down', reason: 'PBX: trunk unregistered' })
  lines.signal('trunk', 'registration', { state: 'up', reason: 'PBX: trunk registered' })
  t.match(store.get('line', 'trunk'), { state: 'up' })
})

t.test('a call the PBX reports counts on the line as a ring would', async (t) => {
  const { store, clock } = testStore()
  const line: LineConfig = { id: 'trunk', kind: 'sip', numbers: [], channels: 10, ...LINE_DEFAULTS, pbxReports: true }
  const monitor = new LineMonitor(store, [line])
  monitor.start()
  monitor.incomingCall('trunk', { callerId: '+79161234567', at: clock.now() })
  monitor.incomingCall('trunk', { callerId: null, at: clock.now() })
  t.match(store.get('line', 'trunk'), { lastCallAt: clock.now(), lastCallerId: '+79161234567', callsThisHour: 2 })
  monitor.stop()
})

t.test('a proxy name that does not resolve is a failed probe, not a crash; IPv6 addresses are bracketed', async (t) => {
  const r = await probeSip({ host: 'no-such-proxy.invalid', port: 5060, transport: 'udp', timeoutMs: 3000 })
  t.equal(r.code, null)
  t.ok(r.reason.length > 0, `reason: ${r.reason}`)
  const req = optionsRequest({ host: '2001:db8::1', port: 5060, transport: 'udp', timeoutMs: 1 }, { address: '2001:db8::2', port: 40000 }, { branch: 'b', tag: 't', callId: 'c', cseq: 1 })
  t.match(req, /^OPTIONS sip:\[2001:db8::1\]:5060 SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP \[2001:db8::2\]:40000;/)
})

t.test('TCP: a message with a body before our answer does not hide it', async (t) => {
  const server = createServer((s) => {
    let text = ''
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (!text.includes('\r\n\r\n')) return
      const noise = 'NOTIFY sip:x SIP/2.0\r\nCall-ID: other\r\nContent-Length: 12\r\n\r\nhello\r\n\r\nxxx'
      s.write(noise + okFor(text))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  t.match(await probeSip({ host: '127.0.0.1', port: (server.address() as { port: number }).port, transport: 'tcp', timeoutMs: 2000 }), { code: 200 })
})

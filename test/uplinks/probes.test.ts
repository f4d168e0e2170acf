import { spawn, spawnSync } from 'node:child_process'
import { createSocket, type RemoteInfo } from 'node:dgram'
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { describeTarget, interfaceAddress, pingRtt, probe, type ProbeBinding, type ProbeTarget } from '../../src/uplinks/probes.js'
import { freePort, missing } from '../helpers/real.js'

const LO: ProbeBinding = { interface: 'lo', address: '127.0.0.1' }
/** Generous: a probe must come back soon after its timeout, not at any particular moment. */
const MARGIN_MS = 300

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const r = await p
  return [r, performance.now() - started]
}

async function httpServer(t: Test, handler: RequestListener): Promise<string> {
  const srv = createHttpServer(handler)
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    srv.closeAllConnections()
    srv.close()
  })
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`
}

t.test('describeTarget labels', async (t) => {
  t.equal(describeTarget({ type: 'icmp', host: '198.18.0.1' }), 'icmp 198.18.0.1')
  t.equal(describeTarget({ type: 'tcp', host: '198.18.0.1', port: 443 }), 'tcp 198.18.0.1:443')
  t.equal(describeTarget({ type: 'tcp', host: '2001:db8::1', port: 443 }), 'tcp [2001:db8::1]:443')
  t.equal(describeTarget({ type: 'http', url: 'http://x/' }), 'http http://x/')
  t.equal(describeTarget({ type: 'dns', server: '198.18.0.1', name: 'example.org' }), 'dns example.org @198.18.0.1')
  t.equal(describeTarget({ type: 'dns', server: '198.18.0.1', port: 53, name: 'example.org' }), 'dns example.org @198.18.0.1')
  t.equal(describeTarget({ type: 'dns', server: '198.18.0.1', port: 5353, name: 'example.org' }), 'dns example.org @198.18.0.1:5353')
})

t.test('interfaceAddress', async (t) => {
  t.equal(interfaceAddress('lo'), '127.0.0.1')
  t.equal(interfaceAddress('lw-nosuch0'), null)
})

t.test('no IPv4 address: tcp, http and dns refuse rather than leave by another uplink', async (t) => {
  let touched = 0
  const srv = createServer((s) => {
    touched++
    s.destroy()
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  t.teardown(() => srv.close())
  const port = (srv.address() as AddressInfo).port
  const unbound: ProbeBinding = { interface: 'wwan0', address: null }
  const targets: ProbeTarget[] = [
    { type: 'tcp', host: '127.0.0.1', port },
    { type: 'http', url: `http://127.0.0.1:${port}/` },
    { type: 'dns', server: '127.0.0.1', port, name: 'example.org' },
  ]
  for (const target of targets) t.same(await probe(target, unbound, 1000), { ok: false, rttMs: null, error: 'wwan0 has no IPv4 address' }, target.type)
  t.equal(touched, 0, 'nothing was sent')
})

t.test('tcp', async (t) => {
  const srv = createServer((s) => s.destroy())
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  t.teardown(() => srv.close())
  const open = await probe({ type: 'tcp', host: '127.0.0.1', port: (srv.address() as AddressInfo).port }, LO, 1000)
  t.equal(open.ok, true, 'a listening port')
  t.type(open.rttMs, 'number')

  const refused = await probe({ type: 'tcp', host: '127.0.0.1', port: await freePort() }, LO, 1000)
  t.equal(refused.ok, true, 'a closed port answers with a RST: the path works')
  t.type(refused.rttMs, 'number')

  t.match(await probe({ type: 'tcp', host: 'no-such-host.invalid', port: 80 }, LO, 1000), { ok: false, rttMs: null, error: /^(ENOTFOUND|EAI_AGAIN|timed out)/ }, 'a name that does not resolve')
})

t.test('tcp: SYNs swallowed (a listener that never accepts, its queue full) time out', async (t) => {
  // a child that listens and then blocks its event loop: the kernel queues a connection or two, then drops SYNs
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,15000),20)})"], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => child.kill('SIGKILL'))
  const port = Number(await new Promise<string>((r) => child.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))))
  await new Promise((r) => setTimeout(r, 100))
  const fillers: Socket[] = []
  t.teardown(() => fillers.forEach((s) => s.destroy()))
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}))
  await new Promise((r) => setTimeout(r, 200))
  const [r, ms] = await timed(probe({ type: 'tcp', host: '127.0.0.1', port }, LO, 400))
  t.same(r, { ok: false, rttMs: null, error: 'timed out after 400 ms' })
  t.ok(ms < 400 + MARGIN_MS, `came back in ${Math.round(ms)} ms`)
})

t.test('tcp: a non-routable address fails (at once here, bound to loopback; by timeout on a real uplink)', async (t) => {
  const [r, ms] = await timed(probe({ type: 'tcp', host: '10.255.255.1', port: 443 }, LO, 400))
  t.equal(r.ok, false, `failed: ${r.error}`)
  t.type(r.error, 'string')
  t.ok(ms < 400 + MARGIN_MS, `came back in ${Math.round(ms)} ms`)
})

t.test('http', async (t) => {
  const noContent = await httpServer(t, (_req, res) => res.writeHead(204).end())
  const r = await probe({ type: 'http', url: noContent }, LO, 1000)
  t.equal(r.ok, true, '204')
  t.type(r.rttMs, 'number')

  const notFound = await httpServer(t, (_req, res) => res.writeHead(404).end('no'))
  t.equal((await probe({ type: 'http', url: notFound }, LO, 1000)).ok, true, '404: the far end answered')

  const broken = await httpServer(t, (_req, res) => res.writeHead(503).end('busy'))
  const b = await probe({ type: 'http', url: broken }, LO, 1000)
  t.match(b, { ok: false, error: 'HTTP 503' })

  // headers sent, the body never ends: the probe must not wait for it
  const endless = await httpServer(t, (_req, res) => res.writeHead(200).write('and'))
  t.equal((await probe({ type: 'http', url: endless }, LO, 1000)).ok, true, 'a body that never ends')

  const silent = await httpServer(t, () => {})
  const [s, ms] = await timed(probe({ type: 'http', url: silent }, LO, 400))
  t.same(s, { ok: false, rttMs: null, error: 'timed out after 400 ms' }, 'a server that never answers')
  t.ok(ms < 400 + MARGIN_MS, `came back in ${Math.round(ms)} ms`)

  const hangup = createServer((sock) => sock.destroy())
  await new Promise<void>((r) => hangup.listen(0, '127.0.0.1', r))
  t.teardown(() => hangup.close())
  const h = await probe({ type: 'http', url: `http://127.0.0.1:${(hangup.address() as AddressInfo).port}/` }, LO, 1000)
  t.equal(h.ok, false, `accepts and closes: ${h.error}`)
  t.type(h.error, 'string')

  t.same(await probe({ type: 'http', url: 'ftp://x/' }, LO, 1000), { ok: false, rttMs: null, error: 'not an http(s) URL: ftp://x/' })
  t.same(await probe({ type: 'http', url: 'not a url' }, LO, 1000), { ok: false, rttMs: null, error: 'bad URL not a url' })
})

/** A DNS server on loopback answering every query with `rcode` (an A record when 0), or never when null. */
async function dnsServer(t: Test, rcode: number | null): Promise<{ port: number; seen: RemoteInfo[] }> {
  const sock = createSocket('udp4')
  const seen: RemoteInfo[] = []
  sock.on('message', (q, from) => {
    seen.push(from)
    if (rcode === null) return
    // the question: a name of labels ending at a zero byte, then QTYPE and QCLASS
    let end = 12
    while (q[end]) end += q[end]! + 1
    const question = q.subarray(12, end + 5)
    const header = Buffer.alloc(12)
    q.copy(header, 0, 0, 2) // the query's id
    header.writeUInt16BE(0x8180 | rcode, 2) // a response, recursion desired and available
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(rcode === 0 ? 1 : 0, 6)
    // the answer: a pointer to the question's name, A, IN, TTL 60, 192.0.2.7
    const answer = rcode === 0 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]) : Buffer.alloc(0)
    sock.send(Buffer.concat([header, question, answer]), from.port, from.address)
  })
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
  t.teardown(() => sock.close())
  return { port: sock.address().port, seen }
}

t.test('dns', async (t) => {
  const answers = await dnsServer(t, 0)
  const a = await probe({ type: 'dns', server: '127.0.0.1', port: answers.port, name: 'example.org' }, LO, 1000)
  t.equal(a.ok, true, 'an A record')
  t.type(a.rttMs, 'number')
  t.equal(answers.seen.length, 1, 'one query')
  t.equal(answers.seen[0]?.address, '127.0.0.1', 'from the bound address')

  const nx = await dnsServer(t, 3)
  const n = await probe({ type: 'dns', server: '127.0.0.1', port: nx.port, name: 'nothing.example.org' }, LO, 1000)
  t.equal(n.ok, true, `NXDOMAIN is an answer: the server is there (${n.error ?? ''})`)
  t.equal(nx.seen.length, 1)

  const silent = await dnsServer(t, null)
  const [s, ms] = await timed(probe({ type: 'dns', server: '127.0.0.1', port: silent.port, name: 'example.org' }, LO, 400))
  t.same(s, { ok: false, rttMs: null, error: 'timed out after 400 ms' }, 'a server that never answers')
  t.ok(ms < 400 + MARGIN_MS, `came back in ${Math.round(ms)} ms`)
  t.ok(silent.seen.length >= 1, 'it was asked')

  t.same(await probe({ type: 'dns', server: 'not-an-ip', name: 'example.org' }, LO, 400), { ok: false, rttMs: null, error: 'ERR_INVALID_IP_ADDRESS' })
})

t.test('the round trip from ping output', async (t) => {
  t.equal(pingRtt('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.040 ms\n'), 0)
  t.equal(pingRtt('64 bytes from 1.1.1.1: icmp_seq=1 ttl=57 time=12.36 ms\n'), 12.4)
  t.equal(pingRtt('rtt min/avg/max/mdev = 1.094/2.094/3.094/0.000 ms\n'), 2.1, 'iputils -q summary')
  t.equal(pingRtt('round-trip min/avg/max = 0.058/7.25/9.0 ms\n'), 7.3, 'busybox')
  t.equal(pingRtt('1 packets transmitted, 0 received, 100% packet loss, time 0ms\n'), null)
})

const noPing = missing('ping') || (spawnSync('ping', ['-n', '-q', '-c', '1', '-W', '1', '-I', 'lo', '127.0.0.1']).status !== 0 && 'ping cannot run here (no raw or ICMP socket permission?)')

t.test('icmp', { skip: noPing }, async (t) => {
  const r = await probe({ type: 'icmp', host: '127.0.0.1' }, { interface: 'lo', address: null }, 1000)
  t.equal(r.ok, true, `127.0.0.1 on lo (${r.error ?? ''})`)
  t.type(r.rttMs, 'number')

  const [gone, ms] = await timed(probe({ type: 'icmp', host: '127.0.0.1' }, { interface: 'lw-nosuch0', address: null }, 1000))
  t.equal(gone.ok, false, 'an interface that does not exist')
  t.match(gone.error, /lw-nosuch0|No such device/)
  t.ok(ms < 1000 + MARGIN_MS, `came back in ${Math.round(ms)} ms`)

  // out of lo to an address nothing there answers: -W takes the fraction, so this is 0.4 s, not 1 s
  const [lost, lostMs] = await timed(probe({ type: 'icmp', host: '10.255.255.1' }, LO, 400))
  t.equal(lost.ok, false, `no reply: ${lost.error}`)
  t.ok(lostMs < 400 + MARGIN_MS, `came back in ${Math.round(lostMs)} ms`)

  t.same(await probe({ type: 'icmp', host: '-f' }, LO, 1000), { ok: false, rttMs: null, error: 'bad host -f' }, 'not an option to ping')
})

t.test('icmp without ping', async (t) => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  t.teardown(() => void (process.env.PATH = path))
  t.same(await probe({ type: 'icmp', host: '127.0.0.1' }, LO, 1000), { ok: false, rttMs: null, error: 'ping is not installed' })
})

/**
 * The network-namespace harness itself: two providers that forward, can be cut
 * or made lossy one at a time, an internet with probe services, a way back to
 * the root namespace, and nothing left behind.
 */
import { spawnSync } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { waitFor } from '../helpers/flush.js'
import { makeTopology, netnsUnavailable, type Topology } from '../helpers/netns.js'
import { terminate } from '../helpers/real.js'

const skip = netnsUnavailable()
const servicesScript = fileURLToPath(new URL('../helpers/internet-services.mjs', import.meta.url))

async function topology(t: Test): Promise<Topology> {
  const topo = await makeTopology()
  t.teardown(() => topo.destroy())
  return topo
}

/** The box's default route through uplink i (0 or 1). */
async function defaultVia(topo: Topology, i: 0 | 1, metric: number, verb = 'add'): Promise<void> {
  const u = topo.uplinks[i]
  const r = await topo.exec('box', 'ip', ['route', verb, 'default', 'via', u.gateway, 'dev', u.interface, 'metric', String(metric)])
  if (r.code !== 0) throw new Error(`ip route ${verb} default via ${u.gateway}: ${r.stderr}`)
}

/** Pings from the box bound to an interface; how many of `count` came back. */
async function ping(topo: Topology, dev: string, count = 1, target = topo.targets[0]): Promise<number> {
  const r = await topo.exec('box', 'ping', ['-n', '-q', '-c', String(count), '-i', '0.05', '-W', '0.5', '-I', dev, target])
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout)
  if (!m) throw new Error(`ping said: ${r.stdout} ${r.stderr}`)
  return Number(m[2])
}

t.test('each provider forwards; ping -I needs a default route on that interface', { skip }, async (t) => {
  const topo = await topology(t)
  const [up1, up2] = topo.uplinks
  t.same(await topo.defaultRoutes(), [], 'the box starts without a default route')
  t.equal(await ping(topo, 'up1'), 0, 'no route at all: nothing goes out')
  await defaultVia(topo, 0, 10)
  t.equal(await ping(topo, 'up1'), 1, 'via isp1')
  t.equal(await ping(topo, 'up1', 1, topo.targets[1]), 1, 'the second target too')
  // with SO_BINDTODEVICE and no route out of that device the kernel takes the
  // target for on-link and ARPs for it on up2, which nobody answers
  t.equal(await ping(topo, 'up2'), 0, 'up2 without a route of its own: no answer')
  await defaultVia(topo, 1, 20)
  t.equal(await ping(topo, 'up2'), 1, 'via isp2 once it has a (higher-metric) default route')
  t.same(await topo.defaultRoutes(), [
    { dev: 'up1', via: up1.gateway, metric: 10 },
    { dev: 'up2', via: up2.gateway, metric: 20 },
  ])
})

t.test('cut, lossy and restore act on one provider only, and repeat safely', { skip }, async (t) => {
  const topo = await topology(t)
  await defaultVia(topo, 0, 10)
  await defaultVia(topo, 1, 20)
  await topo.cut('isp1')
  await topo.cut('isp1')
  t.equal(await ping(topo, 'up1', 3), 0, 'isp1 cut')
  t.equal(await ping(topo, 'up2', 3), 3, 'isp2 unaffected')
  const gw = await topo.exec('box', 'ping', ['-c1', '-W1', '-I', 'up1', topo.uplinks[0].gateway])
  t.equal(gw.code, 0, 'the cut provider\'s own gateway still answers (only forwarding stops)')
  await topo.restore('isp1')
  await topo.restore('isp1')
  t.equal(await ping(topo, 'up1', 3), 3, 'isp1 restored')

  await topo.lossy('isp1', 50)
  const got = await ping(topo, 'up1', 40)
  t.ok(got >= 4 && got <= 36, `lossy 50: ${40 - got} of 40 pings lost, between 10% and 90%`)
  t.equal(await ping(topo, 'up2', 10), 10, 'isp2 lossless meanwhile')
  await topo.cut('isp1')
  t.equal(await ping(topo, 'up1', 3), 0, 'lossy then cut: cut')
  await topo.restore('isp1')
  t.equal(await ping(topo, 'up1', 10), 10, 'restored: lossless again')
})

// one node run in the box: a TCP connect, an HTTP GET and an A query, each with a 1 s limit
const PROBE = `
const net = require('node:net'), http = require('node:http'), dns = require('node:dns')
const [host, tcp, web, dnsPort] = process.argv.slice(1)
const limit = (p) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error('timeout')), 1000))]).catch((e) => 'error: ' + e.message)
const connect = new Promise((ok, no) => { const s = net.connect(+tcp, host, () => { s.destroy(); ok('connected') }); s.on('error', no) })
const get = new Promise((ok, no) => http.get({ host, port: +web, path: '/' }, (r) => { r.resume(); ok(r.statusCode) }).on('error', no))
const r = new dns.promises.Resolver({ timeout: 500, tries: 1 })
r.setServers([host + ':' + dnsPort])
Promise.all([limit(connect), limit(get), limit(r.resolve4('example.com'))]).then(([tcp, http, dns]) => { console.log(JSON.stringify({ tcp, http, dns })); process.exit(0) })
`

t.test('internet services answer the box through whichever provider its default route uses', { skip }, async (t) => {
  const topo = await topology(t)
  const [a, b] = topo.targets
  const svc = topo.spawnIn('internet', process.execPath, [servicesScript, '--host', a, '--host', b, '--tcp', '443', '--http', '80', '--dns', '53'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => terminate(svc))
  let out = ''
  svc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  svc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor(() => out.includes('ready') || svc.exitCode !== null, 5000, 'internet-services to say ready')
  t.equal(out, 'ready\n', 'services ready')

  const probe = async (host: string) => {
    const r = await topo.exec('box', process.execPath, ['-e', PROBE, host, '443', '80', '53'])
    try {
      return JSON.parse(r.stdout) as unknown
    } catch {
      return `${r.stdout} ${r.stderr}`
    }
  }
  const fine = { tcp: 'connected', http: 204, dns: ['192.0.2.1'] }
  await defaultVia(topo, 0, 10)
  t.same(await probe(a), fine, 'via isp1, first target')
  t.same(await probe(b), fine, 'via isp1, second target')
  await topo.cut('isp1')
  t.match(await probe(a), { tcp: /timeout/, http: /timeout/, dns: /error/ }, 'nothing answers with isp1 cut')
  await defaultVia(topo, 1, 10, 'replace')
  await topo.exec('box', 'ip', ['route', 'del', 'default', 'dev', 'up1'])
  t.same(await topo.defaultRoutes(), [{ dev: 'up2', via: topo.uplinks[1].gateway, metric: 10 }])
  t.same(await probe(a), fine, 'via isp2')

  await terminate(svc)
  t.equal(svc.exitCode, 0, 'exits cleanly on SIGTERM')
})

t.test('the box reaches a server in the root namespace, from the address of the uplink in use', { skip }, async (t) => {
  const topo = await topology(t)
  const peers: string[] = []
  const server = createServer((s: Socket) => {
    peers.push(s.remoteAddress ?? '')
    s.end('hello\n')
  })
  await new Promise<void>((r) => server.listen(0, topo.rootAddress, r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const port = (server.address() as { port: number }).port
  const CONNECT = `const s = require('node:net').connect(+process.argv[2], process.argv[1]); s.setTimeout(2000, () => { console.log('timeout'); process.exit(1) }); s.on('data', (d) => { process.stdout.write(d); process.exit(0) }); s.on('error', (e) => { console.log(e.message); process.exit(1) })`
  const connect = () => topo.exec('box', process.execPath, ['-e', CONNECT, topo.rootAddress, String(port)])

  t.not((await connect()).stdout, 'hello\n', 'no default route: no way out')
  await defaultVia(topo, 0, 10)
  t.equal((await connect()).stdout, 'hello\n', 'through isp1')
  await defaultVia(topo, 1, 5)
  t.equal((await connect()).stdout, 'hello\n', 'through isp2 (lower metric)')
  t.same(peers, [topo.uplinks[0].address, topo.uplinks[1].address], 'not NATed: the server sees each uplink\'s own address')
})

t.test('destroy leaves nothing behind, with a process still inside; topologies built at once do not collide', { skip }, async (t) => {
  const [one, two] = await Promise.all([makeTopology(), makeTopology()])
  t.teardown(() => one.destroy())
  t.teardown(() => two.destroy())
  t.not(one.tag, two.tag)
  t.not(one.rootAddress, two.rootAddress)
  for (const topo of [one, two]) {
    await defaultVia(topo, 0, 10)
    t.equal((await topo.exec('box', 'ping', ['-c1', '-W1', topo.rootAddress])).code, 0, `${topo.tag}: the box pings the root namespace`)
  }

  const sleeper = one.spawnIn('box', 'sleep', ['60'], { stdio: 'ignore' })
  const gone = new Promise((r) => sleeper.once('exit', r))
  t.teardown(() => terminate(sleeper))
  await waitFor(() => spawnSync('ip', ['netns', 'pids', one.ns.box], { encoding: 'utf8' }).stdout.trim() !== '', 5000, 'sleep to run in the box')
  const n = one.rootAddress.split('.')[1]
  t.match(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, one.tag, 'namespaces there before')

  await one.destroy()
  await one.destroy()
  await gone
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
  t.notMatch(list, one.tag, 'no namespace of the topology left')
  t.match(list, two.tag, 'the other topology untouched')
  t.not(spawnSync('ip', ['link', 'show', `lw${one.tag}`]).status, 0, 'root-side veth gone')
  t.equal(spawnSync('ip', ['route', 'show', `10.${n}.0.0/16`], { encoding: 'utf8' }).stdout, '', 'root route gone')
  t.equal((await two.exec('box', 'ping', ['-c1', '-W1', two.rootAddress])).code, 0, 'the other topology still works')
})

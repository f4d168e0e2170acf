/**
 * The box's side of an update from afar (docs/updates.md): a download cut half-way resumes with an
 * HTTP Range where it stopped; a wrong checksum, a bundle signed by another key and a card too full are
 * refused; a good one leaves the request the root side installs, whose progress is then published;
 * a fallback left by the root side raises box/update once.
 */
import { generateKeyPairSync, createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import type { AlertRecord } from '../../src/core/state.js'
import { createBundle } from '../../src/update/bundle.js'
import { FILES, UpdateService, type UpdateProgress } from '../../src/update/service.js'
import { tempDir } from '../helpers/tmp.js'

const keys = generateKeyPairSync('ed25519')

async function served(t: Parameters<typeof tempDir>[0], body: Buffer, o: { cutAt?: number; ranges?: boolean } = {}) {
  const seen: (string | undefined)[] = []
  let cut = o.cutAt
  const server: Server = createServer((req, res) => {
    seen.push(req.headers.range)
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const from = m && o.ranges !== false ? Number(m[1]) : 0
    const part = body.subarray(from)
    res.writeHead(from > 0 ? 206 : 200, { 'content-length': part.length, ...(from > 0 ? { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}) })
    if (cut !== undefined) {
      // the office's link drops half-way: the socket closes mid-body
      res.write(part.subarray(0, cut))
      cut = undefined
      setTimeout(() => res.destroy(), 20)
      return
    }
    res.end(part)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/b.lwb`, seen }
}

async function setup(t: Parameters<typeof tempDir>[0], o: { free?: number; signer?: typeof keys } = {}) {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'root.img'), Buffer.concat([randomBytes(300_000), Buffer.alloc(300_000)]))
  await createBundle({ image: join(dir, 'root.img'), out: join(dir, 'b.lwb'), privateKey: (o.signer ?? keys).privateKey, version: '9.9.9', kernel: 'k' })
  const bundle = readFileSync(join(dir, 'b.lwb'))
  writeFileSync(join(dir, 'pub.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }))
  const said: UpdateProgress[] = []
  const alerts: Omit<AlertRecord, 'ts'>[] = []
  const clock = new FakeClock()
  const svc = new UpdateService({ stateDir: join(dir, 'state'), clock, setAlert: (a) => alerts.push(a), publish: (p) => said.push(p), publicKeyPath: join(dir, 'pub.pem'), pollMs: 1000, freeBytes: async () => o.free ?? 1e12 })
  await svc.start()
  t.teardown(() => svc.stop())
  return { dir, bundle, sha: createHash('sha256').update(bundle).digest('hex'), said, alerts, clock, svc }
}

t.test('a download cut half-way resumes with a Range and is queued for the root side', async (t) => {
  const s = await setup(t)
  const srv = await served(t, s.bundle, { cutAt: 200_000 })
  const first = await s.svc.fromUrl({ url: srv.url, sha256: s.sha })
  t.equal(first.ok, false, first.message)
  const part = readFileSync(join(s.svc.dir, FILES.part))
  t.ok(part.length > 100_000 && part.length < s.bundle.length, `kept ${part.length} bytes`)
  t.ok(part.equals(s.bundle.subarray(0, part.length)), 'what was kept is the start of the bundle')
  const second = await s.svc.fromUrl({ url: srv.url, sha256: s.sha })
  t.equal(second.ok, true, second.message)
  t.same(srv.seen, [undefined, `bytes=${part.length}-`], 'the second asked only for the rest')
  t.ok(readFileSync(join(s.svc.dir, FILES.bundle)).equals(s.bundle), 'the bundle arrived whole')
  t.match(JSON.parse(readFileSync(join(s.svc.dir, FILES.request), 'utf8')), { file: join(s.svc.dir, FILES.bundle), force: false, version: '9.9.9' })
  t.same(s.said.map((p) => p.stage).filter((st, i, a) => st !== a[i - 1]), ['download', 'failed', 'download', 'check', 'queued'])
  t.ok(s.svc.busy, 'a second update is refused while this one runs')
  t.match(await s.svc.fromUrl({ url: srv.url, sha256: s.sha }), { ok: false, message: /already under way/ })
  // the root side's progress, then its end, are read back and published
  writeFileSync(join(s.svc.dir, FILES.progress), JSON.stringify({ stage: 'write', done: 50, total: 100, percent: 50 }))
  s.clock.advance(1000)
  await new Promise((r) => setTimeout(r, 50))
  t.match(s.said.at(-1), { stage: 'write', percent: 50 })
  writeFileSync(join(s.svc.dir, FILES.progress), JSON.stringify({ stage: 'done', done: 1, total: 1, percent: 100, ok: true, message: 'written to slot b' }))
  s.clock.advance(1000)
  await new Promise((r) => setTimeout(r, 50))
  t.match(s.said.at(-1), { stage: 'done', ok: true })
  t.notOk(s.svc.busy)
})

t.test('a server without ranges: the download starts over', async (t) => {
  const s = await setup(t)
  const srv = await served(t, s.bundle, { cutAt: 100_000, ranges: false })
  t.equal((await s.svc.fromUrl({ url: srv.url, sha256: s.sha })).ok, false)
  t.equal((await s.svc.fromUrl({ url: srv.url, sha256: s.sha })).ok, true)
  t.ok(readFileSync(join(s.svc.dir, FILES.bundle)).equals(s.bundle))
})

t.test('refused: a wrong checksum (removed), another key, a card too full (nothing written)', async (t) => {
  const s = await setup(t)
  const srv = await served(t, s.bundle)
  const bad = await s.svc.fromUrl({ url: srv.url, sha256: '0'.repeat(64) })
  t.match(bad, { ok: false, message: /SHA-256 .* is not the one given/ })
  t.notOk(existsSync(join(s.svc.dir, FILES.bundle)))
  t.notOk(existsSync(join(s.svc.dir, FILES.request)))

  const other = await setup(t, { signer: generateKeyPairSync('ed25519') })
  const srv2 = await served(t, other.bundle)
  t.match(await other.svc.fromUrl({ url: srv2.url, sha256: other.sha }), { ok: false, message: /bad signature/ })
  t.notOk(existsSync(join(other.svc.dir, FILES.request)))

  const full = await setup(t, { free: 10 * 1024 * 1024 })
  const srv3 = await served(t, full.bundle)
  t.match(await full.svc.fromUrl({ url: srv3.url, sha256: full.sha }), { ok: false, message: /card full/ })
  t.notOk(existsSync(join(full.svc.dir, FILES.part)), 'not a byte downloaded')
})

t.test('a fallback left by the root side raises box/update once; a confirmation clears it', async (t) => {
  const dir = tempDir(t)
  const upd = join(dir, 'update')
  mkdirSync(upd)
  writeFileSync(join(upd, FILES.fallback), JSON.stringify({ type: 'update', stage: 'fell-back', slot: 'b', version: '1.5.0', message: 'the update to 1.5.0 (slot b) did not prove healthy: back on 1.4.0 (slot a)' }))
  const alerts: Omit<AlertRecord, 'ts'>[] = []
  const said: UpdateProgress[] = []
  const svc = new UpdateService({ stateDir: dir, clock: new FakeClock(), setAlert: (a) => alerts.push(a), publish: (p) => said.push(p) })
  await svc.start()
  t.teardown(() => svc.stop())
  t.match(alerts, [{ id: 'box/update', severity: 'major', state: 'raised', message: /did not prove healthy/ }])
  t.match(said, [{ stage: 'fell-back', ok: false }])
  t.notOk(existsSync(join(upd, FILES.fallback)), 'said once')
  svc.stop()
  await svc.start()
  t.equal(alerts.length, 1, 'not again at the next start')
  svc.stop()
  // the confirmation arrives while the box runs: seen within 30 s
  const clock = new FakeClock()
  const running = new UpdateService({ stateDir: dir, clock, setAlert: (a) => alerts.push(a), publish: (p) => said.push(p) })
  await running.start()
  t.teardown(() => running.stop())
  writeFileSync(join(upd, FILES.confirmed), JSON.stringify({ message: 'linewatch 1.6.0 (slot b) confirmed healthy after the update' }))
  clock.advance(30_000)
  for (let i = 0; i < 50 && alerts.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
  t.match(alerts.at(-1), { id: 'box/update', state: 'cleared' })
  t.match(said.at(-1), { stage: 'confirmed', ok: true })
})

t.test('an update typed at the console is followed from its progress file: the page and MQTT see it; a stale file is not an update', async (t) => {
  const s = await setup(t)
  const file = join(s.svc.dir, FILES.progress)
  // a file a cut left behind long ago: nothing under way
  writeFileSync(file, JSON.stringify({ stage: 'write', done: 10, total: 100, percent: 10 }))
  const old = new Date(Date.now() - 5 * 60_000)
  utimesSync(file, old, old)
  s.clock.advance(30_000)
  await new Promise((r) => setTimeout(r, 50))
  t.notOk(s.svc.busy, 'an old file is not followed')
  // linewatch update FILE at the console, writing here
  writeFileSync(file, JSON.stringify({ stage: 'write', done: 30, total: 100, percent: 30 }))
  s.clock.advance(30_000)
  await new Promise((r) => setTimeout(r, 50))
  t.ok(s.svc.busy, 'followed: an office update is refused meanwhile')
  s.clock.advance(1000)
  await new Promise((r) => setTimeout(r, 50))
  t.match(s.said.at(-1), { stage: 'write', percent: 30 })
  // then it stops moving (the console's update was cut off): after STALE_MS it is said failed, the box free again
  const stale = new Date(Date.now() - 11 * 60_000)
  utimesSync(file, stale, stale)
  s.clock.advance(1000)
  await new Promise((r) => setTimeout(r, 50))
  t.match(s.said.at(-1), { stage: 'failed', ok: false, message: /no progress for 10 min \(at write 30 %\)/ })
  t.notOk(s.svc.busy)
})

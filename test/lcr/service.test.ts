/**
 * Least-cost routing through the box's interfaces, on the demo (simulated
 * lines, the example rate decks, the embedded broker): HTTP, MQTT request and
 * response, the CLI; and the rate decks' last-good copy across a reboot.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { runRoute } from '../../src/lcr/cli.js'
import { DeckLibrary } from '../../src/lcr/decks.js'
import { runDemo } from '../../src/sim/demo.js'
import type { PlanConfig } from '../../src/config/schema.js'
import { waitFor } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

t.test('the demo routes over HTTP, MQTT and the CLI, and takes the PBX\'s attempt reports', async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const { box } = demo
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up' && box.store.get('line', 'pots1')?.state === 'up', 15_000, 'the demo lines up')
  const get = async (path: string) => {
    const r = await fetch(`${box.httpUrl}${path}`)
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  const post = async (body: unknown) => {
    const r = await fetch(`${box.httpUrl}/api/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }

  const mobile = await get('/api/v1/route?to=8%20916%20123-45-67')
  t.equal(mobile.status, 200)
  t.match(mobile.body, { ok: true, e164: '+79161234567', expectedSeconds: 60 })
  const paths = mobile.body.paths as { path: string; cost: number; bundle: string | null }[]
  t.same(paths.slice(0, 2).map((p) => [p.path, p.cost, p.bundle]), [['gsm1', 0, 'mobile300'], ['gsm2', 0, 'mobile300']], 'the SIMs\' bundle first')
  // curl -G 'http://box/api/v1/route?to=+79161234567': the + unencoded, read as a space by any URL decoder
  t.match(await get('/api/v1/route?to=+79161234567'), { status: 200, body: { ok: true, e164: '+79161234567' } }, 'an unencoded + is the + it was')
  t.match(await get('/api/v1/route?to=%2B79161234567'), { status: 200, body: { ok: true, e164: '+79161234567' } }, 'an encoded one too')
  t.match(await get('/api/v1/route?to=%20abc'), { status: 400, body: { error: 'bad-number' } }, 'a space before letters is still refused')
  t.match(await get('/api/v1/route?to=112'), { status: 400, body: { error: 'bad-number', message: /short number/ } })
  t.match(await get('/api/v1/route'), { status: 400, body: { message: /give the number/ } })
  t.match(await get('/api/v1/route?to=1234567&to=7654321'), { status: 400 }, 'two numbers: refused, not a crash')
  t.equal(await runRoute(['1234567', '--url', '127.0.0.1:8080'], () => {}), 2, 'a --url that is not a URL: a usage error')

  const routed: Record<string, unknown>[] = []
  const stats: Record<string, unknown>[] = []
  box.store.on('change', (c) => {
    if (c.kind === 'routed') routed.push(c.next as unknown as Record<string, unknown>)
    if (c.kind === 'stats') stats.push(c.next as unknown as Record<string, unknown>)
  })
  t.match(await post({ path: 'gsm1', to: '89161234567', outcome: 'answered', seconds: 42 }), { status: 202, body: { ok: true } })
  t.match(routed.at(-1), { type: 'routed', path: 'gsm1', line: 'gsm1', to: '+79161234567', outcome: 'answered', seconds: 42, cost: 0, bundle: 'mobile300' }, 'the attempt priced: the bundle covered it')
  t.match(stats.at(-1), { currency: 'RUB', paths: { gsm1: { attempts: 1, answered: 1, seconds: 42, cost: 0 } }, total: { attempts: 1 } })
  t.match(await post({ path: 'gsm9', to: '89161234567', outcome: 'answered' }), { status: 400, body: { message: /no path "gsm9"/ } })
  t.match(await post({ path: 'gsm1', to: '89161234567', outcome: 'lost' }), { status: 400 })
  t.same(await post({ path: 'gsm1', to: '89161234567' }), { status: 400, body: { error: 'bad-report', message: 'give either "outcome" or "dialstatus" (one of them)' } }, 'neither: one clear line, not every oneOf branch')
  t.match(await post({ path: 'gsm1', to: '89161234567', outcome: 'busy', dialstatus: 'BUSY' }), { status: 400, body: { message: /one of them/ } }, 'both: refused')
  t.match(await post({ path: 'gsm1', to: '89161234567', outcome: 'failed', colour: 'red' }), { status: 400 })
  t.match(await post({ path: 'pots1', to: '1234567', dialstatus: 'CONGESTION' }), { status: 202 }, 'Asterisk\'s DIALSTATUS as it is')
  t.match(await post({ path: 'pots1', to: '1234567' }), { status: 400 }, 'neither outcome nor dialstatus')
  const plain = await fetch(`${box.httpUrl}/api/v1/route?to=1234567&format=asterisk`)
  t.match(await plain.text(), /^pots1!DAHDI\/g1\/84951234567!\+74951110003\|sip1!PJSIP\/\+74951234567@carrier!\+74951110000\|gsm/, 'the plain form for a dialplan')
  t.equal(await (await fetch(`${box.httpUrl}/api/v1/route?to=112&format=asterisk`)).text(), '', 'nothing to dial: empty')
  const routing = await get('/api/v1/routing')
  t.match(routing.body, { paths: [{ id: 'sip1' }, { id: 'pots1', uses: 1, breaker: { faultsInRow: 1 } }, { id: 'gsm1', uses: 1 }, { id: 'gsm2', uses: 0 }] })
  t.same((routing.body.bundles as unknown[]).slice(0, 2), [{ plan: 'sims', bundle: 'mobile300', path: 'gsm1', secondsLeft: 300 * 60 - 60 }, { plan: 'sims', bundle: 'mobile300', path: 'gsm2', secondsLeft: 300 * 60 }], '42 s counted as a started minute, on gsm1 alone: a bundle belongs to its SIM')
  t.match(routing.body.decks, [{ plan: 'carrier', source: 'file', rows: 8, refused: null }, { plan: 'sims', source: 'file', rows: 2 }])

  // a long call to a mobile on gsm2: its bundle's minutes nearly gone, the rest paid by the second
  t.match(await post({ path: 'gsm2', to: '89161234567', outcome: 'answered', seconds: 17_400 }), { status: 202 })
  t.match(routed.at(-1), { path: 'gsm2', bundle: 'mobile300', cost: 0 }, 'all of it within the bundle')
  t.match(box.store.snapshot.alerts['routing/bundle/sims/mobile300/gsm2'], { severity: 'minor', message: 'Path gsm2: bundle mobile300 is nearly used up: 10 of 300 min left; calls will then be paid by the minute' })
  t.equal(box.store.snapshot.alerts['routing/bundle/sims/mobile300/gsm1'], undefined, 'gsm1\'s own bundle is not low')
  const afterGsm2 = (await get('/api/v1/route?to=89161234567')).body.paths as { path: string; cost: number; bundle: string | null }[]
  t.match(afterGsm2.find((p) => p.path === 'gsm1'), { cost: 0, bundle: 'mobile300' }, 'gsm1 still calls free: gsm2\'s minutes are not its minutes')
  t.match(await post({ path: 'gsm2', to: '89161234567', outcome: 'answered', seconds: 1200 }), { status: 202 })
  t.match(routed.at(-1), { bundle: 'mobile300', cost: 18 }, 'gsm2\'s last 10 minutes free, the other 10 at 1.80/min by the second')
  t.match(stats.at(-1), { total: { attempts: 4, answered: 3, seconds: 18_642, cost: 18 } })

  const reload = await fetch(`${box.httpUrl}/api/v1/routing/reload`, { method: 'POST' })
  t.match(await reload.json(), { decks: [{ plan: 'carrier', source: 'file', refused: null }, { plan: 'sims' }] }, 'the decks imported again on demand')

  // MQTT: a request with an id, the answer on route/response/<id>
  const base = box.mqtt.base
  const client = await mqtt.connectAsync(box.config.mqtt.url, { clientId: 'pbx-test' })
  t.teardown(() => client.endAsync(true))
  const answers = new Map<string, Record<string, unknown>>()
  client.on('message', (topic, payload) => topic.includes('/route/response/') && answers.set(topic.split('/').at(-1)!, JSON.parse(payload.toString()) as Record<string, unknown>))
  await client.subscribeAsync(`${base}/route/response/+`, { qos: 1 })
  const retainedStats = new Promise<Record<string, unknown>>((resolve) => client.on('message', (topic, payload) => topic === `${base}/stats` && resolve(JSON.parse(payload.toString()) as Record<string, unknown>)))
  await client.subscribeAsync(`${base}/stats`, { qos: 1 })
  t.match(await retainedStats, { total: { attempts: 4, cost: 18 } }, 'the day\'s totals retained on <base>/stats')
  await client.publishAsync(`${base}/route/request`, 'not json', { qos: 1 })
  await client.publishAsync(`${base}/route/request`, JSON.stringify({ id: 'a/b', to: '1234567' }), { qos: 1 })
  await client.publishAsync(`${base}/route/request`, JSON.stringify({ id: 'r2', to: 5 }), { qos: 1 })
  await client.publishAsync(`${base}/route/request`, JSON.stringify({ id: 'r1', to: '1234567' }), { qos: 1 })
  await waitFor(() => answers.has('r1') && answers.has('r2'), 5000, 'the answers')
  t.match(answers.get('r1'), { ok: true, e164: '+74951234567', paths: [{ path: 'pots1' }, { path: 'sip1' }] }, 'the same answer as over HTTP')
  t.match(answers.get('r2'), { ok: false, reason: /"to" must be the number dialled/ })
  t.same([...answers.keys()].sort(), ['r1', 'r2'], 'garbage and an id with a slash get no answer')

  // the CLI asks the running box
  let out = ''
  t.equal(await runRoute(['1234567', '--url', box.httpUrl], (s) => (out += s)), 0)
  t.match(out, /^1234567 → \+74951234567, priced for 60 s\n#\s+path\s+cost/)
  t.match(out, /1\s+pots1\s+0\.[69]000 RUB\s+0\.[69]\/min 7495/, "the carrier's Moscow rate (day or evening) first")
  out = ''
  t.equal(await runRoute(['+493012345678', '--url', box.httpUrl, '--json'], (s) => (out += s)), 0)
  t.match(JSON.parse(out), { ok: true, excluded: [{ path: 'gsm1', reason: /no rate for \+493012345678/ }, { path: 'gsm2' }] })
  t.equal(await runRoute(['112', '--url', box.httpUrl], () => {}), 1, 'a refused number: exit 1')
  t.equal(await runRoute([], () => {}), 2, 'no number: a usage error')
  t.equal(await runRoute(['1234567', '--url', 'http://127.0.0.1:1'], () => {}), 1, 'no box there: exit 1')
})

t.test('a bad deck is refused with its lines, the last good one stays, and survives a reboot', async (t) => {
  const dir = tempDir(t, 'lw-decks-')
  const file = join(dir, 'deck.csv')
  const plan: PlanConfig = { id: 'p', currency: 'RUB', deck: { file: 'deck.csv' }, bands: [], bundles: [] }
  await writeFile(file, 'prefix,rate\n7495,0.9\n79,2.2\n')
  const lib = new DeckLibrary({ plans: [plan], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  t.match(await lib.load(plan, 1), { source: 'file', rows: 2, refused: null })
  await writeFile(file, 'prefix,rate\nabc,x\n7,-1\n')
  const bad = await lib.load(plan, 2)
  t.match(bad, { source: 'file', rows: 2, loadedAt: 1, problemCount: 3, refused: /; the last good deck stays in use$/ }, 'refused; the deck of the first import stays in use')
  t.same(bad.problems.map((p) => p.line), [2, 2, 3], 'each problem with its line in the file (line 2 has two)')
  t.equal(lib.get('p')?.lookup('74951234567', 3, null)?.ratePerMinute, 0.9)
  const reboot = new DeckLibrary({ plans: [plan], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  t.match(await reboot.load(plan, 4), { source: 'last-good', rows: 2, refused: /; the last good copy is used$/ }, 'after a reboot with the bad file: the kept copy')
  t.equal(reboot.get('p')?.lookup('79161234567', 5, null)?.ratePerMinute, 2.2)
  const none = new DeckLibrary({ plans: [{ ...plan, id: 'q', deck: { file: 'missing.csv' } }], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  t.match(await none.loadAll(6), [{ plan: 'q', source: null, refused: /cannot read .*missing\.csv.*; there is no earlier deck: plan q has no rates until a good one is imported$/ }])
  t.notMatch(none.status[0]!.refused, /keeping the last good/, 'no promise of a deck that does not exist')
  t.equal(none.get('q'), null)
})

t.test('an upgrade keeps the bundle counts: a routing.json counted per plan migrates to each SIM of the plan', async (t) => {
  const { RoutingService } = await import('../../src/lcr/service.js')
  const { validateConfigText } = await import('../../src/config/index.js')
  const { testStore } = await import('../helpers/store.js')
  const dir = tempDir(t, 'lw-routing-')
  await writeFile(join(dir, 'sims.csv'), 'prefix,rate\n79,1.8\n')
  const { config } = validateConfigText(`site: s
box: b
board: sim
timezone: Europe/Moscow
modems: [{ id: m1, port: "sim:m1" }, { id: m2, port: "sim:m2" }]
lines:
  - { id: gsm1, kind: gsm, numbers: ["+79031110001"], modem: m1 }
  - { id: gsm2, kind: gsm, numbers: ["+79031110002"], modem: m2 }
numbering: { countryCode: "7", nationalPrefix: "8", internationalPrefix: "810" }
routing:
  plans: [{ id: sims, currency: RUB, deck: { file: sims.csv }, bundles: [{ id: mobile300, minutes: 300, prefixes: ["79"] }] }]
  paths: [{ id: gsm1, line: gsm1, plan: sims, dial: "{national}" }, { id: gsm2, line: gsm2, plan: sims, dial: "{national}" }]
`)
  const { FakeClock } = await import('../../src/core/clock.js')
  const { store, clock } = testStore(new FakeClock(Date.parse('2026-11-20T09:00:00Z')))
  const period = '2026-11'
  // the file as the box before this change wrote it: one count per plan and bundle
  await writeFile(join(dir, 'routing.json'), JSON.stringify({ counts: { 'sims/mobile300': { period, seconds: 17_000 } }, today: { day: '', paths: {} } }))
  const service = new RoutingService({ config: config!, store, clock, log: silentLogger(), configDir: dir })
  await service.start(dir)
  t.same(service.status().bundles, [
    { plan: 'sims', bundle: 'mobile300', path: 'gsm1', secondsLeft: 1000 },
    { plan: 'sims', bundle: 'mobile300', path: 'gsm2', secondsLeft: 1000 },
  ], 'each SIM starts from what the plan had used: nothing lost, nobody richer than before')
  await service.stop()
  const { readFile } = await import('node:fs/promises')
  t.same(JSON.parse(await readFile(join(dir, 'routing.json'), 'utf8')).counts, { 'gsm1/sims/mobile300': { period, seconds: 17_000 }, 'gsm2/sims/mobile300': { period, seconds: 17_000 } }, 'written back in the new form')
})

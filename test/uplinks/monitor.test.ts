import { Ajv } from 'ajv'
import t from 'tap'
import { FailoverSchema, UplinkSchema, type FailoverConfig, type UplinkConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { UplinkEvent } from '../../src/core/state.js'
import { SimInternet } from '../../src/sim/internet.js'
import { prng } from '../../src/sim/prng.js'
import { UplinkMonitor } from '../../src/uplinks/monitor.js'
import type { CarrierWatcher } from '../../src/uplinks/carrier.js'
import type { Prober } from '../../src/uplinks/probes.js'
import type { RouteControl, UplinkRoute } from '../../src/uplinks/routes.js'
import { testStore } from '../helpers/store.js'

const S = 1000
const ajv = new Ajv({ useDefaults: true, strict: false })
const uplinkDefaults = ajv.compile<UplinkConfig>(UplinkSchema)
const failoverDefaults = ajv.compile<FailoverConfig>(FailoverSchema)

const TARGETS = [
  { type: 'icmp' as const, host: '198.18.0.1' },
  { type: 'tcp' as const, host: '198.18.0.2', port: 443 },
]

/** An uplink as the config loader makes it (schema defaults: every 1 s, timeout 1 s, down after 3, hold-down 30 s). */
function uplink(id: string, gateway: string, patch: Record<string, unknown> = {}): UplinkConfig {
  const cfg = { id, interface: `sim:${id}`, gateway, probes: { targets: TARGETS }, ...patch }
  if (!uplinkDefaults(cfg)) throw new Error(`bad test uplink: ${JSON.stringify(uplinkDefaults.errors)}`)
  return cfg
}

function failover(patch: Record<string, unknown> = {}): FailoverConfig {
  const cfg = { ...patch }
  if (!failoverDefaults(cfg)) throw new Error(`bad test failover: ${JSON.stringify(failoverDefaults.errors)}`)
  return cfg
}

const WIRED = () => [uplink('a', '192.0.2.1'), uplink('b', '198.51.100.1')]
const WITH_LTE = () => [...WIRED(), uplink('lte', '203.0.113.1', { metered: true })]

interface RigOptions {
  uplinks?: UplinkConfig[]
  /** 'sim': the simulated internet sets the routes (metrics mode); null: report mode; or a RouteControl of the test's. */
  routes?: 'sim' | null | ((internet: SimInternet) => RouteControl)
  seed?: number
  failover?: Record<string, unknown>
  carrier?: CarrierWatcher | null
}

/** A monitor on a FakeClock over the simulated internet, with everything it says recorded. */
function rig(opts: RigOptions = {}) {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const internet = new SimInternet(clock, prng(opts.seed ?? 7))
  const uplinks = opts.uplinks ?? WIRED()
  for (const u of uplinks) internet.add(u.interface)
  const events: UplinkEvent[] = []
  store.on('change', (c) => {
    if (c.kind === 'event' && c.next.type === 'uplink') events.push(c.next)
  })
  const probes = new Map<string, number>()
  const prober: Prober = (target, bind, timeoutMs) => {
    probes.set(bind.interface, (probes.get(bind.interface) ?? 0) + 1)
    return internet.probe(target, bind, timeoutMs)
  }
  const switches: [string | null, string | null][] = []
  const routes = opts.routes === undefined || opts.routes === 'sim' ? internet : opts.routes === null ? null : opts.routes(internet)
  /** Addresses the test sets (DHCP gave another, or took it away); the others as the simulator says. */
  const addresses = new Map<string, string | null>()
  const monitor = new UplinkMonitor({
    store,
    uplinks,
    failover: failover(opts.failover),
    clock,
    log: silentLogger(),
    prober,
    addressOf: (iface) => (addresses.has(iface) ? addresses.get(iface)! : internet.addressOf(iface)),
    routes,
    onSwitch: (from, to) => switches.push([from, to?.id ?? null]),
    ...(opts.carrier !== undefined ? { carrier: opts.carrier } : {}),
  })
  for (const u of monitor.initial(clock.now())) store.init('uplink', u)
  /** Let `ms` of simulated time pass, in steps, letting the promise chains run between steps. */
  async function run(ms: number, step = 50): Promise<void> {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done))
      await new Promise<void>((r) => setImmediate(r))
    }
  }
  /** Run until `check` holds (at most `max` ms): the simulated ms it took, or -1. */
  async function until(check: () => boolean, max: number, step = 50): Promise<number> {
    const from = clock.now()
    while (clock.now() - from < max) {
      await run(step, step)
      if (check()) return clock.now() - from
    }
    return -1
  }
  const link = (id: string) => internet.links.get(`sim:${id}`)!
  return { clock, store, internet, monitor, events, switches, probes, addresses, run, until, link }
}

/** Every timer the monitor made is gone: the clock has nothing left to fire. */
async function stopped(r: ReturnType<typeof rig>): Promise<void> {
  const done = r.monitor.stop()
  // probes in flight end by their timeout, on the fake clock
  await r.run(1500)
  await done
}

/** The interface the route with the lowest metric uses, and all of them by metric. */
const byMetric = (routes: UplinkRoute[]) => [...routes].sort((x, y) => x.metric - y.metric).map((r) => `${r.id} ${r.metric}`)

t.test('after start the preferred wired uplink carries the traffic', async (t) => {
  const r = rig({ uplinks: WITH_LTE() })
  t.equal(r.monitor.active, null)
  t.same(
    Object.values(r.store.snapshot.uplinks).map((u) => [u.id, u.state, u.active, u.preference, u.metered]),
    [
      ['a', 'unknown', false, 1, false],
      ['b', 'unknown', false, 2, false],
      ['lte', 'unknown', false, 3, true],
    ],
  )
  r.monitor.start()
  await r.run(5 * S)
  t.equal(r.monitor.active, 'a')
  t.equal(r.internet.defaultInterface, 'sim:a')
  t.same(byMetric(r.internet.routes), ['a 10', 'b 111', 'lte 112'], 'the others: metric + 100 + their index')
  t.same(
    r.internet.routes.map((x) => [x.id, x.interface, x.gateway, x.table, x.address]),
    [
      ['a', 'sim:a', '192.0.2.1', 100, '192.0.2.10'],
      ['b', 'sim:b', '198.51.100.1', 101, '192.0.2.11'],
      ['lte', 'sim:lte', '203.0.113.1', 102, '192.0.2.12'],
    ],
  )
  t.equal(r.events.length, 1, 'one event: the first choice')
  t.match(r.events[0], { type: 'uplink', from: null, to: 'a', reason: 'first choice; a works', routes: 'set', conntrack: null, detail: '' })
  t.ok(r.events[0]!.ts - r.clock.now() > -5 * S && r.events[0]!.ts - r.clock.now() < -4 * S, 'chosen as soon as both wired uplinks had answered')
  t.same(r.switches, [[null, 'a']])
  t.same(
    Object.values(r.store.snapshot.uplinks).map((u) => [u.id, u.state, u.active]),
    [
      ['a', 'up', true],
      ['b', 'up', false],
      ['lte', 'up', false],
    ],
  )
  await stopped(r)
  t.equal(r.clock.pending, 0)
})

t.test('a wired uplink that answers late still gets its startup grace', async (t) => {
  const r = rig()
  r.link('a').cut = true
  r.monitor.start()
  await r.run(2500)
  t.equal(r.monitor.active, null, 'b answers at once, but a is still unknown: no choice yet')
  await r.run(2000)
  t.equal(r.monitor.active, 'b', 'a down after 3 rounds: b')
  t.same(r.switches, [[null, 'b']])
  t.same(r.internet.flushed, [], 'no flush on the first choice')
  await stopped(r)
})

// Cut 500 ms after a round began: the next round, 500 ms later, is the first to go unanswered.
t.test('without suspicion (suspectTimeoutMs 0), a cut moves the traffic after downAfter rounds', async (t) => {
  const r = rig({ uplinks: WIRED().map((u) => ({ ...u, probes: { ...u.probes, suspectTimeoutMs: 0 } })) })
  r.monitor.start()
  await r.run(10_500)
  const before = r.probes.get('sim:a')!
  r.link('a').cut = true
  const took = await r.until(() => r.monitor.active === 'b', 10 * S)
  // (seen at the first 50 ms step after the decision)
  t.ok(took >= 3500 && took <= 3550, `moved ${took} ms after the cut: the next round and two more, the last waited out for its 1 s timeout`)
  t.equal(r.probes.get('sim:a')! - before, 3 * 2, 'three rounds a second apart, no quick rounds')
  await stopped(r)
})

t.test('cutting the active uplink: suspicion moves the traffic one timeout after the first unanswered round began', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(10_500)
  t.equal(r.monitor.active, 'a')
  const before = r.probes.get('sim:a')!
  r.link('a').cut = true
  const took = await r.until(() => r.monitor.active === 'b', 10 * S)
  t.ok(took >= 1500 && took <= 1550, `moved ${took} ms after the cut: unanswered after 250 ms, two quick rounds of 250 ms while that round waits out its 1 s`)
  t.equal(r.probes.get('sim:a')! - before, 3 * 2, 'one round and two quick ones, each to both targets')
  t.equal(r.events.length, 2)
  t.match(r.events[1], { type: 'uplink', from: 'a', to: 'b', reason: 'a is not working; b works', routes: 'set', conntrack: '0 entries of 192.0.2.10 deleted', detail: '' })
  t.same(r.switches, [
    [null, 'a'],
    ['a', 'b'],
  ])
  t.same(byMetric(r.internet.routes), ['b 10', 'a 110'])
  t.same(r.internet.flushed, ['192.0.2.10'], "only the dead uplink's address is flushed")
  const a = r.store.get('uplink', 'a')!
  t.match(a, { state: 'down', active: false, failbackAt: null, reason: /^3 rounds failed in a row \(icmp 198\.18\.0\.1: timeout; tcp 198\.18\.0\.2:443: timeout\)$/ })
  t.same(a.probes, [
    { target: 'icmp 198.18.0.1', ok: false, rttMs: null, error: 'timeout' },
    { target: 'tcp 198.18.0.2:443', ok: false, rttMs: null, error: 'timeout' },
  ])
  t.equal(r.store.get('uplink', 'b')!.active, true)
  await r.run(20 * S)
  t.equal(r.events.length, 2, 'and nothing more while it stays cut')
  await stopped(r)
})

// A link that suddenly answers in 600 ms (a saturated upload) is slow, not dead: the quick rounds of its first
// suspicion fail at 250 ms, but the round that raised it answers within its 1 s, and the next suspicions wait 4×600 ms.
t.test('suspicion: a slow link that still answers within timeoutMs is neither down nor lossy', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(10_500)
  const before = r.probes.get('sim:a')!
  r.link('a').rttMs = 600
  r.link('a').jitterMs = 0
  const states = new Set<string>()
  const losses = new Set<number | null>()
  r.store.on('change', (c) => {
    if (c.kind !== 'uplink' || c.id !== 'a') return
    states.add(c.next.state)
    losses.add(c.next.lossPct)
  })
  await r.run(60 * S)
  t.notOk(states.has('down'), `never down (states: ${[...states].join(', ')})`)
  t.equal(r.monitor.active, 'a')
  t.equal(r.probes.get('sim:a')! - before, (60 + 2) * 2, 'one suspicion (two quick rounds), then a round a second')
  t.same([...losses], [0], 'the quick rounds that timed out were never counted as loss')
  await stopped(r)
})

// Issue 20: the rounds kept after a heal still held the outage's last failed rounds, so a clean link
// read degraded (MOS ≈ 2.8) for ~20 s after it came back.
t.test('a healed uplink is judged on the rounds since it came back: up, not degraded', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(10_500)
  r.link('a').cut = true
  await r.run(20 * S)
  t.equal(r.store.get('uplink', 'a')!.state, 'down')
  const states: string[] = ['down']
  r.store.on('change', (c) => {
    if (c.kind === 'uplink' && c.id === 'a' && c.next.state !== states.at(-1)) states.push(c.next.state)
  })
  r.link('a').cut = false
  t.ok((await r.until(() => r.store.get('uplink', 'a')!.state === 'up', 20 * S)) > 0, 'up again')
  await r.run(40 * S)
  t.same(states, ['down', 'up'], 'up from the first good verdict on, never degraded')
  const a = r.store.get('uplink', 'a')!
  t.equal(a.lossPct, 0, 'no loss in the rounds since it came back')
  t.ok(a.mos! >= 4.3, `MOS ${a.mos} on a clean link`)
  await stopped(r)
})

t.test('the carrier lost: down and the traffic moved at once, without waiting for a round', async (t) => {
  let tell: ((iface: string, carrier: boolean) => void) | null = null
  let watched: string[] = []
  let stoppedWatch = false
  const r = rig({ carrier: (ifaces, onChange) => ((watched = ifaces), (tell = onChange), { stop: () => (stoppedWatch = true) }) })
  r.monitor.start()
  t.same(watched, ['sim:a', 'sim:b'])
  await r.run(10_500)
  t.equal(r.monitor.active, 'a')
  tell!('sim:b', true)
  t.equal(r.store.get('uplink', 'b')!.state, 'up', 'carrier news of a working link changes nothing')
  r.link('a').cut = true
  tell!('sim:a', false)
  await r.run(50)
  t.equal(r.monitor.active, 'b', 'moved within one 50 ms step')
  t.match(r.store.get('uplink', 'a'), { state: 'down', reason: 'sim:a lost its carrier' })
  t.match(r.events.at(-1), { from: 'a', to: 'b', conntrack: '0 entries of 192.0.2.10 deleted' })
  tell!('sim:a', true)
  await r.run(3 * S)
  t.equal(r.store.get('uplink', 'a')!.state, 'down', 'the carrier back is not enough: the probes decide')
  r.link('a').cut = false
  t.ok((await r.until(() => r.store.get('uplink', 'a')!.state === 'up', 20 * S)) > 0, 'up again by its probes')
  await stopped(r)
  t.ok(stoppedWatch, 'the watch stopped with the monitor')
})

t.test('failover.watchCarrier false: no carrier watch', async (t) => {
  let asked = false
  const r = rig({ failover: { watchCarrier: false }, carrier: () => ((asked = true), { stop: () => {} }) })
  r.monitor.start()
  await r.run(S)
  t.notOk(asked)
  await stopped(r)
})

t.test('a restored uplink gets the traffic back only after its hold-down, without a flush', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(10_500)
  r.link('a').cut = true
  await r.run(6 * S)
  t.equal(r.monitor.active, 'b')
  r.link('a').cut = false
  const upIn = await r.until(() => r.store.get('uplink', 'a')!.state !== 'down', 20 * S)
  t.ok(upIn > 0 && upIn <= 10 * S, `a up again ${upIn} ms after the restore`)
  const failbackAt = r.store.get('uplink', 'a')!.failbackAt!
  t.equal(r.store.get('uplink', 'a')!.holdDownMs, 30 * S)
  t.equal(failbackAt - r.store.get('uplink', 'a')!.since, 30 * S, 'failbackAt is its hold-down after it came back')
  await r.run(failbackAt - r.clock.now() - 1500)
  t.equal(r.monitor.active, 'b', 'not before its hold-down')
  t.equal(r.events.length, 2)
  await r.run(2500)
  t.equal(r.monitor.active, 'a', 'back once the hold-down is over')
  t.equal(r.events.length, 3)
  t.match(r.events[2], { from: 'b', to: 'a', reason: 'a is preferred and has been up for its hold-down', routes: 'set', conntrack: null })
  t.same(r.internet.flushed, ['192.0.2.10'], 'no flush on fail-back: b still works')
  t.same(byMetric(r.internet.routes), ['a 10', 'b 111'])
  t.same(r.switches.at(-1), ['b', 'a'])
  await stopped(r)
})

t.test('5% random loss on the active uplink for 10 minutes: no switch', async (t) => {
  const r = rig({ seed: 42 })
  r.monitor.start()
  await r.run(5 * S)
  r.link('a').lossPct = 5
  const states = new Set<string>()
  r.store.on('change', (c) => {
    if (c.kind === 'uplink' && c.id === 'a') states.add(c.next.state)
  })
  await r.run(600 * S, 250)
  t.equal(r.monitor.active, 'a')
  t.equal(r.events.length, 1, 'only the first choice')
  t.notOk(states.has('down'), `a never down (states seen: ${[...states].join(', ')})`)
  const a = r.store.get('uplink', 'a')!
  t.ok(a.lossPct! > 0 && a.lossPct! < 20, `loss over the window ${a.lossPct}%`)
  t.ok(a.rttMs! > 17 && a.rttMs! < 23, `rtt ${a.rttMs} ms`)
  await stopped(r)
})

t.test('a metered uplink: only when every wired one is down; probed every standbyEveryMs while idle, everyMs in use', async (t) => {
  const r = rig({ uplinks: WITH_LTE() })
  r.monitor.start()
  await r.run(120_500, 250)
  t.equal(r.probes.get('sim:lte'), 5 * 2, 'idle: a round every 30 s (0, 30, 60, 90, 120 s), 2 targets each')
  t.equal(r.probes.get('sim:a'), 121 * 2, 'a wired uplink: every second')
  r.link('a').cut = true
  await r.run(5 * S)
  t.equal(r.monitor.active, 'b', 'a down: the other wired uplink, not the metered one')
  r.link('b').cut = true
  await r.run(5 * S)
  t.equal(r.monitor.active, 'lte', 'both wired down: the metered one')
  t.match(r.events.at(-1), { from: 'b', to: 'lte', reason: 'b is not working; lte is the metered fallback: no wired uplink works', routes: 'set', conntrack: '0 entries of 192.0.2.11 deleted' })
  t.same(byMetric(r.internet.routes), ['lte 10', 'a 110', 'b 111'])
  t.same(r.switches, [
    [null, 'a'],
    ['a', 'b'],
    ['b', 'lte'],
  ])
  // in use: every second, once the standby round already planned has run
  await r.run(30 * S, 250)
  const before = r.probes.get('sim:lte')!
  await r.run(60 * S, 250)
  t.equal(r.probes.get('sim:lte')! - before, 60 * 2, 'in use: a round every second')
  await stopped(r)
})

t.test('from the metered uplink back to a wired one after its hold-down; then the metered one idles again', async (t) => {
  const r = rig({ uplinks: WITH_LTE() })
  r.monitor.start()
  await r.run(5 * S)
  r.link('a').cut = true
  r.link('b').cut = true
  const moved = await r.until(() => r.monitor.active === 'lte', 10 * S)
  t.ok(moved > 0, `on lte ${moved} ms after both wired ones were cut`)
  t.same(r.switches.slice(1).at(-1), [r.switches.at(-1)![0], 'lte'])
  // 5 s on lte (the cuts stay short: see the tracker's bouncing after a long cut)
  await r.run(2 * S)
  r.link('b').cut = false
  const bUp = await r.until(() => r.store.get('uplink', 'b')!.state === 'up', 20 * S)
  t.ok(bUp > 0, `b up again after ${bUp} ms`)
  t.equal(r.monitor.active, 'lte', 'not back to b at once')
  const failbackAt = r.store.get('uplink', 'b')!.failbackAt!
  await r.run(failbackAt - r.clock.now() - 1000)
  t.equal(r.monitor.active, 'lte', 'not before b’s hold-down')
  await r.run(2000)
  t.equal(r.monitor.active, 'b', 'back to wired b after its hold-down')
  t.match(r.events.at(-1), { from: 'lte', to: 'b', reason: 'b is wired and has been up for its hold-down', routes: 'set', conntrack: null })
  t.same(r.switches.at(-1), ['lte', 'b'])
  t.same(byMetric(r.internet.routes), ['b 10', 'a 110', 'lte 112'])
  // idle again: a round every 30 s, once the 1 s round already planned has run
  await r.run(2 * S, 250)
  const idle = r.probes.get('sim:lte')!
  await r.run(60 * S, 250)
  t.equal(r.probes.get('sim:lte')! - idle, 2 * 2, 'idle again: every 30 s')
  await stopped(r)
})

// The tracker's bouncing after a long cut (see tracker.test.ts, "after a long cut the uplink stays up once back"),
// as the box sees it: a 60 s outage of the preferred uplink keeps the traffic away from it for 8 minutes, not 30 s.
t.test('after a 60 s cut the preferred uplink gets the traffic back after its 30 s hold-down', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(35 * S, 250)
  r.link('a').cut = true
  await r.run(60 * S, 250)
  t.equal(r.monitor.active, 'b')
  r.link('a').cut = false
  const back = await r.until(() => r.monitor.active === 'a', 600 * S, 250)
  t.ok(back > 30 * S && back <= 50 * S, `back on a ${back / S} s after the restore (up after ~8 good rounds, then 30 s)`)
  t.equal(r.store.get('uplink', 'a')!.holdDownMs, 30 * S, 'one cut is not flapping')
  await stopped(r)
})

t.test('when nothing works the traffic stays where it was, and nobody is told', async (t) => {
  const r = rig({ uplinks: WITH_LTE() })
  r.monitor.start()
  await r.run(5 * S)
  for (const id of ['b', 'lte']) r.link(id).cut = true
  // an idle metered uplink is probed every 30 s: 3 failed rounds take 90 s
  await r.run(100 * S, 250)
  t.equal(r.store.get('uplink', 'lte')!.state, 'down')
  t.equal(r.monitor.active, 'a')
  t.equal(r.events.length, 1)
  r.link('a').cut = true
  await r.run(10 * S)
  t.same(
    Object.values(r.store.snapshot.uplinks).map((u) => u.state),
    ['down', 'down', 'down'],
  )
  t.equal(r.monitor.active, 'a', 'no uplink works: the choice stays')
  t.equal(r.events.length, 1, 'no event')
  t.same(r.switches, [[null, 'a']], 'onSwitch only on a switch')
  t.same(r.internet.flushed, [], 'no flush')
  await stopped(r)
})

t.test('nothing works from the start: no choice, no event, no call', async (t) => {
  const r = rig()
  r.link('a').cut = true
  r.link('b').cut = true
  r.monitor.start()
  await r.run(20 * S)
  t.equal(r.monitor.active, null)
  t.same(r.events, [])
  t.same(r.switches, [])
  t.same(byMetric(r.internet.routes), ['a 110', 'b 111'], 'only the routes set at start, none in use')
  r.link('b').cut = false
  await r.run(10 * S)
  t.equal(r.monitor.active, 'b', 'the first that comes back')
  t.same(r.switches, [[null, 'b']])
  await stopped(r)
})

t.test('report mode: events say "reported" and no route is touched', async (t) => {
  const r = rig({ routes: null })
  r.monitor.start()
  await r.run(10 * S)
  r.link('a').cut = true
  await r.run(5 * S)
  t.equal(r.monitor.active, 'b')
  t.same(
    r.events.map((e) => [e.from, e.to, e.routes, e.conntrack, e.detail]),
    [
      [null, 'a', 'reported', null, ''],
      ['a', 'b', 'reported', null, ''],
    ],
  )
  t.same(r.internet.routes, [], 'no route set')
  t.same(r.internet.flushed, [], 'no conntrack flush')
  t.same(r.switches, [
    [null, 'a'],
    ['a', 'b'],
  ])
  t.equal(r.store.get('uplink', 'b')!.active, true)
  await r.run(120 * S, 250)
  t.same(r.internet.routes, [], 'no repair either')
  await stopped(r)
})

t.test('routes refused: the event says "failed" with the error, no flush; tried again at the repair', async (t) => {
  const calls: UplinkRoute[][] = []
  const flushes: string[] = []
  const refusing = (): RouteControl => ({
    apply: async (routes) => {
      calls.push(routes)
      throw new Error('ip route add default via 192.0.2.1 dev sim:a metric 10: RTNETLINK answers: Operation not permitted')
    },
    flushConntrack: async (address) => {
      flushes.push(address)
      return { deleted: 1 }
    },
  })
  const r = rig({ routes: refusing })
  r.monitor.start()
  await r.run(10 * S)
  t.equal(r.monitor.active, 'a', 'the choice is made all the same')
  t.match(r.events, [{ from: null, to: 'a', routes: 'failed', detail: /RTNETLINK answers: Operation not permitted/, conntrack: null }])
  t.same(r.switches, [[null, 'a']])
  r.link('a').cut = true
  await r.run(5 * S)
  t.match(r.events[1], { from: 'a', to: 'b', routes: 'failed', detail: /Operation not permitted/, conntrack: null })
  t.same(flushes, [], 'no flush while the routes still point at the old uplink')
  const n = calls.length
  t.equal(n, 3, 'at start, the first choice, the switch')
  await r.run(60 * S, 250)
  t.equal(calls.length, n + 1, 'the repair every 60 s tries again')
  t.equal(r.events.length, 2, 'the repair makes no event')
  await stopped(r)
})

t.test('metrics mode repairs the routes every minute; a new address is applied at once', async (t) => {
  const applied: UplinkRoute[][] = []
  const r = rig({
    routes: (internet) => ({
      apply: async (routes) => {
        applied.push(routes.map((x) => ({ ...x })))
        await internet.apply(routes)
      },
      flushConntrack: (a) => internet.flushConntrack(a),
    }),
  })
  r.monitor.start()
  await r.run(5 * S)
  t.same(
    applied.map((routes) => byMetric(routes)),
    [
      ['a 110', 'b 111'],
      ['a 10', 'b 111'],
    ],
    'at start every uplink’s route, none in use (so the probes have a way out); then the first choice',
  )
  await r.run(60 * S, 250)
  t.equal(applied.length, 3, 'and again at the repair a minute after the start')
  t.same(applied[2], applied[1], 'the same routes')
  r.addresses.set('sim:b', '192.0.2.99')
  await r.run(2 * S)
  t.equal(applied.length, 4, 'a new address: applied at the next round of that uplink, not at the next repair')
  t.equal(applied[3]!.find((x) => x.id === 'b')!.address, '192.0.2.99')
  t.equal(r.internet.routes.find((x) => x.id === 'b')!.address, '192.0.2.99')
  r.addresses.set('sim:b', null)
  await r.run(2 * S)
  t.equal(applied.length, 5)
  t.equal(applied[4]!.find((x) => x.id === 'b')!.address, null, 'no address: null (no rule)')
  t.equal(r.events.length, 1, 'no event for any of it')
  await stopped(r)
  t.equal(r.clock.pending, 0)
})

t.test('the store shows each uplink: active, loss, rtt, MOS, the last probes', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.run(12 * S)
  const a = r.store.get('uplink', 'a')!
  t.match(a, { id: 'a', interface: 'sim:a', state: 'up', active: true, lossPct: 0, metered: false, preference: 1, holdDownMs: 30 * S })
  t.ok(a.rttMs! >= 18 && a.rttMs! <= 22, `rtt ${a.rttMs} (20 ± 2)`)
  t.ok(a.jitterMs! > 0 && a.jitterMs! <= 4, `jitter ${a.jitterMs}`)
  t.ok(a.mos! > 4.3 && a.mos! <= 4.5, `MOS ${a.mos}`)
  t.ok(a.rFactor! > 90, `R ${a.rFactor}`)
  t.equal(a.probes.length, 2)
  t.match(a.probes, [
    { target: 'icmp 198.18.0.1', ok: true, rttMs: Number },
    { target: 'tcp 198.18.0.2:443', ok: true, rttMs: Number },
  ])
  t.equal(a.failbackAt, a.since, 'never down: failbackAt is when it came up')
  const b = r.store.get('uplink', 'b')!
  t.match(b, { id: 'b', state: 'up', active: false, lossPct: 0 })
  t.ok(b.rttMs! >= 28 && b.rttMs! <= 32, `b rtt ${b.rttMs} (30 ± 2)`)
  await stopped(r)
})

t.test('measurements reach the store at most every 10 s unless the state changes', async (t) => {
  const r = rig()
  let updates = 0
  r.store.on('change', (c) => {
    if (c.kind === 'uplink' && c.id === 'a') updates++
  })
  r.monitor.start()
  await r.run(5 * S)
  const first = updates
  t.ok(first >= 1 && first <= 3, `at the start: state and active (${first})`)
  await r.run(60 * S, 250)
  t.ok(updates - first >= 5 && updates - first <= 7, `60 s: about one a 10 s (${updates - first})`)
  await stopped(r)
})

t.test('stop() right after start() leaves nothing behind', async (t) => {
  const r = rig()
  r.monitor.start()
  await r.monitor.stop()
  t.equal(r.clock.pending, 0)
  await r.run(10 * S)
  t.same([...r.probes.values()], [], 'never probed')
  t.equal(r.monitor.active, null)
})

t.test('stop() leaves no timer on the clock and probes no more', async (t) => {
  const r = rig({ uplinks: WITH_LTE() })
  r.monitor.start()
  await r.run(3 * S)
  t.ok(r.clock.pending > 0)
  r.link('a').cut = true // a probe in flight when stop() is called
  await r.run(1200)
  await stopped(r)
  t.equal(r.clock.pending, 0, 'nothing pending')
  const count = [...r.probes.values()].reduce((x, y) => x + y, 0)
  await r.run(60 * S, 1000)
  t.equal([...r.probes.values()].reduce((x, y) => x + y, 0), count, 'no probe after stop')
  t.equal(r.clock.pending, 0)
})

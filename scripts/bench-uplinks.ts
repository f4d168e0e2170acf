/**
 * Uplink failover (issue 5).
 *  - Cut to switch, measured: the real box (`linewatch run`) in a network namespace with two veth
 *    uplinks to two provider namespaces (test/helpers/netns.ts); one provider's forwarding is cut
 *    with nftables at a random moment, and the default route in the box namespace is polled every
 *    20 ms until it leaves that provider. Needs root, iproute2, nftables, ping; skipped otherwise.
 *  - Cut to switch, computed from each tool's documented detection (probe every `every` s, each
 *    waiting `timeout` s, down after `fails` failures in a row), over a uniform phase between the
 *    cut and the tool's probe schedule: linewatch's defaults, OpenWrt mwan3 (10 s, 4 s, 5) and
 *    Teltonika RutOS (3 s, 2 s, 3).
 *  - False switches: the UplinkMonitor on the simulated clock, two wired uplinks with two targets
 *    each, 5 % random packet loss each way on the one in use (9.75 % of probes), 10 minutes, many
 *    seeds; and the same loss through the consecutive-failure rule of mwan3 and RutOS.
 */
import { FakeClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { Value } from '@sinclair/typebox/value'
import { FailoverSchema, UplinkSchema, type UplinkConfig } from '../src/config/schema.js'
import { SimInternet } from '../src/sim/internet.js'
import { prng } from '../src/sim/prng.js'
import { UplinkMonitor } from '../src/uplinks/monitor.js'
import { performance } from 'node:perf_hooks'
import { startLab } from '../test/helpers/failover-lab.js'
import { makeTopology, netnsUnavailable } from '../test/helpers/netns.js'

type Figure = { figure: string; value: number; unit: string }

export interface Detection {
  name: string
  every: number
  timeout: number
  fails: number
}

/** linewatch's defaults (uplinks[].probes and thresholds), next to the two tools' defaults. */
export const DETECTIONS: Detection[] = [
  { name: 'linewatch (1 s, 1 s, 3 rounds)', every: 1, timeout: 1, fails: 3 },
  { name: 'OpenWrt mwan3 (10 s, 4 s, 5 failures)', every: 10, timeout: 4, fails: 5 },
  { name: 'Teltonika RutOS (3 s, 2 s, 3 failures)', every: 3, timeout: 2, fails: 3 },
]

/**
 * Seconds from the cut to "down" when the next probe leaves `phase` s after the cut: that probe and
 * the next fails−1 go unanswered; the last is given up `timeout` s after it left.
 */
export function detectionSeconds(d: Detection, phase: number): number {
  return phase + (d.fails - 1) * d.every + d.timeout
}

const PACKET_LOSS = 0.05
/** A probe is lost when its request or its reply is. */
const PROBE_LOSS = 1 - (1 - PACKET_LOSS) ** 2
const LOSSY_MINUTES = 10
const SEEDS = 30

function uplink(id: string, preference: number): UplinkConfig {
  return Value.Default(UplinkSchema, {
    id,
    interface: `sim:${id}`,
    gateway: `192.0.2.${preference}`,
    preference,
    probes: { targets: [{ type: 'icmp', host: '198.18.0.1' }, { type: 'icmp', host: '198.18.0.2' }] },
  }) as UplinkConfig
}

/** Switches of the UplinkMonitor over `minutes` of lossy probing on the uplink in use. */
async function lossySwitches(seed: number, minutes: number): Promise<number> {
  const clock = new FakeClock()
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: clock.now() }, clock)
  const internet = new SimInternet(clock, prng(seed))
  const uplinks = [uplink('a', 1), uplink('b', 2)]
  for (const u of uplinks) internet.add(u.interface)
  const monitor = new UplinkMonitor({
    store,
    uplinks,
    failover: Value.Default(FailoverSchema, {}) as never,
    clock,
    log: silentLogger(),
    prober: internet.probe,
    addressOf: internet.addressOf,
    routes: internet,
    onSwitch: () => {},
  })
  for (const u of monitor.initial(clock.now())) store.init('uplink', u)
  let switches = 0
  store.on('change', (c) => {
    if (c.kind === 'event' && c.next.type === 'uplink' && c.next.from !== null) switches++
  })
  monitor.start()
  await run(clock, 10_000)
  internet.links.get('sim:a')!.lossPct = PROBE_LOSS * 100
  await run(clock, minutes * 60_000)
  // the round under way waits for its probes, which wait for the simulated clock
  const stopped = monitor.stop()
  await run(clock, 2000)
  await stopped
  return switches
}

async function run(clock: FakeClock, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step)
    await new Promise((r) => setImmediate(r))
  }
}

/** Consecutive-failure detection at a probe loss: false "down"s in `minutes`, by simulation (each probe round: every target lost). */
function consecutiveFalseDowns(d: Detection, targets: number, minutes: number, rnd: () => number): number {
  let streak = 0
  let downs = 0
  for (let t = 0; t < minutes * 60; t += d.every) {
    const failed = Array.from({ length: targets }, () => rnd() < PROBE_LOSS).every(Boolean)
    streak = failed ? streak + 1 : 0
    if (streak === d.fails) downs++
  }
  return downs
}

export async function benchUplinksSimulated(): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const d of DETECTIONS) {
    const phases = Array.from({ length: 1001 }, (_, i) => (i / 1000) * d.every * 0.999)
    const times = phases.map((p) => detectionSeconds(d, p))
    figures.push({ figure: `cut → down, computed: ${d.name}, mean`, value: round(mean(times)), unit: 's' })
    figures.push({ figure: `cut → down, computed: ${d.name}, worst`, value: round(Math.max(...times)), unit: 's' })
  }
  let ours = 0
  for (let seed = 1; seed <= SEEDS; seed++) ours += await lossySwitches(seed, LOSSY_MINUTES)
  figures.push({ figure: `false switches, linewatch monitor, 5 % loss, ${SEEDS} runs × ${LOSSY_MINUTES} simulated min`, value: ours, unit: 'switches' })
  const rnd = prng(99)
  for (const d of DETECTIONS.slice(1)) {
    let downs = 0
    for (let i = 0; i < SEEDS; i++) downs += consecutiveFalseDowns(d, 2, LOSSY_MINUTES, rnd)
    figures.push({ figure: `false downs, ${d.name.split(' (')[0]} rule, 2 targets, same loss, ${SEEDS} × ${LOSSY_MINUTES} min`, value: downs, unit: 'downs' })
  }
  return figures
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const round = (x: number, digits = 1) => Number(x.toFixed(digits))

const CUTS = 6
const HOLD_DOWN_S = 5
const REAL_LOSSY_S = 60

/**
 * The real box in the namespace lab: CUTS cuts of the provider in use, each at a random moment
 * of the probe cycle, timed to the default route leaving it; then REAL_LOSSY_S s of 5 % packet
 * loss (each way) on the one in use, counting the times the route moved. `skipped` says why when it cannot run.
 */
export async function benchUplinksNamespace(): Promise<{ figures: Figure[]; skipped?: string }> {
  const why = netnsUnavailable()
  if (why) return { figures: [], skipped: why }
  const topo = await makeTopology()
  const lab = await startLab(topo, { holdDownSeconds: HOLD_DOWN_S })
  try {
    await lab.waitRoute('up1', 20_000)
    const times: number[] = []
    const rnd = prng(5)
    // cut the uplink in use, then the other once the first is back: each cut moves the traffic
    // (failing back to one cut again and again would be flapping, and wait out a growing hold-down);
    // an even count ends on isp1, the preferred one, so no fail-back is pending in the lossy minute
    let [active, spare] = topo.uplinks
    for (let i = 0; i < CUTS; i++) {
      await new Promise((r) => setTimeout(r, 10_000 + rnd() * 1000))
      const cutAt = performance.now()
      await topo.cut(active.id)
      times.push((await lab.waitRoute(spare.interface, 30_000)) - cutAt)
      await topo.restore(active.id)
      ;[active, spare] = [spare, active]
    }
    await new Promise((r) => setTimeout(r, 10_000))
    await topo.lossy(active.id, PROBE_LOSS * 100)
    let moves = 0
    let last = await lab.routeDev()
    const end = performance.now() + REAL_LOSSY_S * 1000
    while (performance.now() < end) {
      const dev = await lab.routeDev()
      if (dev !== last) moves++
      last = dev
      await new Promise((r) => setTimeout(r, 100))
    }
    return {
      figures: [
        { figure: `cut → route switch, measured in namespaces, mean of ${CUTS}`, value: round(mean(times) / 1000), unit: 's' },
        { figure: `cut → route switch, measured in namespaces, worst of ${CUTS}`, value: round(Math.max(...times) / 1000), unit: 's' },
        { figure: `route moves in ${REAL_LOSSY_S} s of 5 % packet loss, measured in namespaces`, value: moves, unit: 'moves' },
      ],
    }
  } finally {
    await lab.stop()
    await topo.destroy()
  }
}

const CPU_SECONDS = 30

/** Clock ticks of the process's waited-for children (/proc/self/stat cutime + cstime), in ms; null off Linux. */
async function childrenCpuMs(): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises')
    const stat = await readFile('/proc/self/stat', 'utf8')
    // the fields after the command name in parentheses: cutime and cstime are the 14th and 15th of them
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100
  } catch {
    return null
  }
}

/**
 * What probing costs at idle: the UplinkMonitor with the real prober, two uplinks of two ICMP
 * targets each (`ping` on lo, one process per probe), a round a second, for CPU_SECONDS.
 * The box's own CPU and that of the ping processes, as a share of one core.
 */
export async function benchProbeCpu(): Promise<Figure[]> {
  const { probe, interfaceAddress } = await import('../src/uplinks/probes.js')
  const { systemClock } = await import('../src/core/clock.js')
  const ping = await probe({ type: 'icmp', host: '127.0.0.1' }, { interface: 'lo', address: '127.0.0.1' }, 1000)
  if (!ping.ok) {
    console.log(`probe CPU skipped: ping on lo does not work here (${ping.error})`)
    return []
  }
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: Date.now() }, systemClock)
  const uplinks = ['a', 'b'].map((id, i) => ({ ...uplink(id, i + 1), interface: 'lo', probes: { ...uplink(id, i + 1).probes, targets: [{ type: 'icmp' as const, host: '127.0.0.1' }, { type: 'icmp' as const, host: '127.0.0.2' }] } }))
  const monitor = new UplinkMonitor({ store, uplinks, failover: Value.Default(FailoverSchema, {}) as never, clock: systemClock, log: silentLogger(), prober: probe, addressOf: interfaceAddress, routes: null, onSwitch: () => {} })
  for (const u of monitor.initial(Date.now())) store.init('uplink', u)
  const own0 = process.cpuUsage()
  const kids0 = await childrenCpuMs()
  monitor.start()
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
  await monitor.stop()
  const own = process.cpuUsage(own0)
  const kids1 = await childrenCpuMs()
  const ownMs = (own.user + own.system) / 1000
  const figures: Figure[] = [{ figure: `probing at idle: the box's own CPU, 2 uplinks × 2 ICMP targets, 1 round/s, ${CPU_SECONDS} s`, value: round((100 * ownMs) / (CPU_SECONDS * 1000), 2), unit: '% of a core' }]
  if (kids0 !== null && kids1 !== null) figures.push({ figure: `probing at idle: the ping processes' CPU (4 per second)`, value: round((100 * (kids1 - kids0)) / (CPU_SECONDS * 1000), 2), unit: '% of a core' })
  return figures
}

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
import { PING_PACKET_BYTES, type Prober } from '../src/uplinks/probes.js'
import { pathToFileURL } from 'node:url'
import { spawn } from 'node:child_process'
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

/** linewatch's defaults before issue 20 (no suspicion), next to the two tools' defaults. */
export const DETECTIONS: Detection[] = [
  { name: 'linewatch before issue 20 (1 s, 1 s, 3 rounds)', every: 1, timeout: 1, fails: 3 },
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
const SEEDS = 100
const SIM_CUTS = 100

/** The detection settings compared: today's (before issue 20) and the new defaults. */
export const SETTINGS = {
  old: { name: 'old settings (no suspicion, no carrier watch)', probes: { suspectTimeoutMs: 0 }, failover: { watchCarrier: false } },
  new: { name: 'new defaults (suspicion 250 ms, carrier watch)', probes: {}, failover: {} },
} as const
type Setting = (typeof SETTINGS)[keyof typeof SETTINGS]

function uplink(id: string, preference: number, probes: Record<string, unknown> = {}): UplinkConfig {
  return Value.Default(UplinkSchema, {
    id,
    interface: `sim:${id}`,
    gateway: `192.0.2.${preference}`,
    preference,
    probes: { targets: [{ type: 'icmp', host: '198.18.0.1' }, { type: 'icmp', host: '198.18.0.2' }], ...probes },
  }) as UplinkConfig
}

/** The UplinkMonitor on a FakeClock over the simulated internet, two wired uplinks; every switch after the first choice counted. */
function simulated(seed: number, setting: Setting) {
  const clock = new FakeClock()
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: clock.now() }, clock)
  const internet = new SimInternet(clock, prng(seed))
  const uplinks = [uplink('a', 1, setting.probes), uplink('b', 2, setting.probes)]
  for (const u of uplinks) internet.add(u.interface)
  let probes = 0
  const monitor = new UplinkMonitor({
    store,
    uplinks,
    failover: Value.Default(FailoverSchema, { ...setting.failover }) as never,
    clock,
    log: silentLogger(),
    prober: (t, b, ms) => (b.interface === 'sim:a' && probes++, internet.probe(t, b, ms)),
    addressOf: internet.addressOf,
    routes: internet,
    onSwitch: () => {},
  })
  for (const u of monitor.initial(clock.now())) store.init('uplink', u)
  const sw = { count: 0 }
  store.on('change', (c) => {
    if (c.kind === 'event' && c.next.type === 'uplink' && c.next.from !== null) sw.count++
  })
  const stop = async () => {
    // the round under way waits for its probes, which wait for the simulated clock
    const stopped = monitor.stop()
    await run(clock, 2000)
    await stopped
  }
  return { clock, internet, monitor, sw, stop, probes: () => probes }
}

/** Switches over `minutes` of lossy probing on the uplink in use, and the probes sent to it meanwhile. */
async function lossySwitches(seed: number, minutes: number, setting: Setting): Promise<{ switches: number; probes: number }> {
  const m = simulated(seed, setting)
  m.monitor.start()
  await run(m.clock, 10_000)
  m.internet.links.get('sim:a')!.lossPct = PROBE_LOSS * 100
  const before = m.probes()
  await run(m.clock, minutes * 60_000)
  const probes = m.probes() - before
  await m.stop()
  return { switches: m.sw.count, probes }
}

/** Simulated ms from a cut of the uplink in use, at a random moment of its probe cycle, to the traffic moved. */
async function simulatedCut(seed: number, setting: Setting): Promise<number> {
  const m = simulated(seed, setting)
  m.monitor.start()
  await run(m.clock, 10_000 + Math.floor(prng(seed * 7919)() * 100) * 10, 10)
  m.internet.links.get('sim:a')!.cut = true
  const from = m.clock.now()
  while (m.monitor.active !== 'b' && m.clock.now() - from < 10_000) await run(m.clock, 10, 10)
  const took = m.clock.now() - from
  await m.stop()
  return took
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

/** The LTE plan the probe traffic is compared with. */
const PLAN_BYTES_PER_MONTH = 1e9
/** ping's default payload before issue 20 (84-byte packets); now PING_PACKET_BYTES. */
const OLD_PING_PACKET_BYTES = 84

/** Probe traffic (IP bytes, echo and reply) per day of `targets` ICMP targets at a round every `everyS`. */
const icmpBytesPerDay = (targets: number, everyS: number, packet: number, extra = 1) => (86_400 / everyS) * targets * 2 * packet * extra

export async function benchUplinksSimulated(): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const d of DETECTIONS) {
    const phases = Array.from({ length: 1001 }, (_, i) => (i / 1000) * d.every * 0.999)
    const times = phases.map((p) => detectionSeconds(d, p))
    figures.push({ figure: `cut → down, computed: ${d.name}, mean`, value: round(mean(times)), unit: 's' })
    figures.push({ figure: `cut → down, computed: ${d.name}, worst`, value: round(Math.max(...times)), unit: 's' })
  }
  const extra: Record<string, number> = {}
  for (const setting of [SETTINGS.old, SETTINGS.new]) {
    const cuts: number[] = []
    for (let seed = 1; seed <= SIM_CUTS; seed++) cuts.push(await simulatedCut(seed, setting))
    figures.push({ figure: `cut → switch, UplinkMonitor on the simulated clock, ${setting.name}, mean of ${SIM_CUTS}`, value: round(mean(cuts) / 1000, 2), unit: 's' })
    figures.push({ figure: `cut → switch, UplinkMonitor on the simulated clock, ${setting.name}, worst of ${SIM_CUTS}`, value: round(Math.max(...cuts) / 1000, 2), unit: 's' })
    let switches = 0
    let probes = 0
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await lossySwitches(seed, LOSSY_MINUTES, setting)
      switches += r.switches
      probes += r.probes
    }
    // probes a round a second would send: the rest are suspicion's quick rounds
    extra[setting.name] = probes / (SEEDS * LOSSY_MINUTES * 60 * 2)
    figures.push({ figure: `false switches, 5 % loss each way, ${SEEDS} runs × ${LOSSY_MINUTES} simulated min, ${setting.name}`, value: switches, unit: 'switches' })
    figures.push({ figure: `probes sent under 5 % loss per probe of a round a second, ${setting.name}`, value: round(extra[setting.name]!, 3), unit: '×' })
  }
  // a false "down" needs downAfter failed rounds in a row, each with every target lost (both settings): per round q³
  const q = PROBE_LOSS ** 2
  figures.push({ figure: `false downs expected per day of 5 % loss each way (2 targets, 3 rounds of both lost in a row), either setting`, value: round(86_400 * q ** 3 * extra[SETTINGS.new.name]!, 3), unit: 'per day' })
  const rnd = prng(99)
  for (const d of DETECTIONS.slice(1)) {
    let downs = 0
    for (let i = 0; i < SEEDS; i++) downs += consecutiveFalseDowns(d, 2, LOSSY_MINUTES, rnd)
    figures.push({ figure: `false downs, ${d.name.split(' (')[0]} rule, 2 targets, same loss, ${SEEDS} × ${LOSSY_MINUTES} min`, value: downs, unit: 'downs' })
  }
  // Probe traffic at IP level (echo + reply), two ICMP targets: an uplink in use (a round a second) and an idle metered one (every 30 s)
  const pct = (bytesPerDay: number) => round((100 * bytesPerDay * 30) / PLAN_BYTES_PER_MONTH, 1)
  const rows: [string, number][] = [
    ['before issue 20 (84-byte pings)', icmpBytesPerDay(2, 1, OLD_PING_PACKET_BYTES)],
    [`now (${PING_PACKET_BYTES}-byte pings, suspicion's extra probes at 5 % loss included)`, icmpBytesPerDay(2, 1, PING_PACKET_BYTES, extra[SETTINGS.new.name])],
  ]
  for (const [when, perDay] of rows) {
    figures.push({ figure: `probe traffic of an uplink in use, 2 ICMP targets, a round a second, ${when}`, value: round(perDay / 1e6, 1), unit: 'MB/day' })
    figures.push({ figure: `… the same as a share of a 1 GB/month LTE plan, ${when}`, value: pct(perDay), unit: '% of plan' })
  }
  const standby = icmpBytesPerDay(2, 30, PING_PACKET_BYTES)
  figures.push({ figure: `probe traffic of an idle metered uplink (every 30 s), 2 ICMP targets, now`, value: round((standby * 30) / 1e6, 1), unit: 'MB/month' })
  figures.push({ figure: `… the same as a share of a 1 GB/month LTE plan`, value: pct(standby), unit: '% of plan' })
  return figures
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const round = (x: number, digits = 1) => Number(x.toFixed(digits))

const CUTS = 6
const BUSY_CUTS = 4
const UNPLUGS = 4
const HOLD_DOWN_S = 5
const REAL_LOSSY_S = 60
const TRAFFIC_S = 30

/** Two busy loops (the box has two cores) at normal priority, to time cuts with the CPU taken. */
function busyCpu(): { stop(): void } {
  const kids = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  return { stop: () => kids.forEach((k) => k.kill('SIGKILL')) }
}

/**
 * One box in a fresh namespace lab with `setting`: `cuts` nftables cuts of the provider in use (each
 * at a random moment of the probe cycle, timed to the default route leaving it), alternating between
 * the two providers; then, if asked, cuts with the CPU busy, unplugged links (carrier lost), the bytes
 * on the wire at idle, and REAL_LOSSY_S s of 5 % packet loss each way counting route moves.
 */
async function labRun(setting: Setting, opts: { busy: boolean; unplug: boolean; traffic: boolean }): Promise<Figure[]> {
  const topo = await makeTopology()
  const lab = await startLab(topo, { holdDownSeconds: HOLD_DOWN_S, probes: { ...setting.probes }, failover: { ...setting.failover } })
  const rnd = prng(5)
  const figures: Figure[] = []
  try {
    await lab.waitRoute('up1', 20_000)
    // cut the uplink in use, then the other once the first is back: each cut moves the traffic
    // (failing back to one cut again and again would be flapping, and wait out a growing hold-down);
    // an even count ends on isp1, the preferred one, so no fail-back is pending afterwards
    let [active, spare] = topo.uplinks
    const series = async (n: number, how: 'cut' | 'unplug'): Promise<number[]> => {
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setTimeout(r, 10_000 + rnd() * 1000))
        // timed from the moment the cut is in force (nft or ip has applied it), not from before their
        // start: under load starting them takes 50–150 ms, which is the bench's, not the box's
        await (how === 'cut' ? topo.cut(active.id) : topo.unplug(active.id))
        const cutAt = performance.now()
        times.push((await lab.waitRoute(spare.interface, 30_000)) - cutAt)
        await (how === 'cut' ? topo.restore(active.id) : topo.plug(active.id))
        ;[active, spare] = [spare, active]
      }
      return times
    }
    const row = (what: string, times: number[]) => {
      figures.push({ figure: `${what}, measured in namespaces, ${setting.name}, mean of ${times.length}`, value: round(mean(times) / 1000, 2), unit: 's' })
      figures.push({ figure: `${what}, measured in namespaces, ${setting.name}, worst of ${times.length}`, value: round(Math.max(...times) / 1000, 2), unit: 's' })
    }
    row('cut → route switch', await series(CUTS, 'cut'))
    if (opts.busy) {
      const busy = busyCpu()
      try {
        row('cut → route switch with both cores busy', await series(BUSY_CUTS, 'cut'))
      } finally {
        busy.stop()
      }
    }
    if (opts.unplug) row('link unplugged (carrier lost) → route switch', await series(UNPLUGS, 'unplug'))
    await new Promise((r) => setTimeout(r, 10_000))
    if (opts.traffic) {
      const b0 = await topo.bytes('isp1')
      await new Promise((r) => setTimeout(r, TRAFFIC_S * 1000))
      const perDay = (((await topo.bytes('isp1')) - b0) * 86_400) / TRAFFIC_S
      figures.push({ figure: `probe traffic on the wire (Ethernet bytes both ways) of the uplink in use, 2 ICMP targets, ${setting.name}`, value: round(perDay / 1e6, 1), unit: 'MB/day' })
    }
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
    figures.push({ figure: `route moves in ${REAL_LOSSY_S} s of 5 % packet loss each way, measured in namespaces, ${setting.name}`, value: moves, unit: 'moves' })
    return figures
  } finally {
    await lab.stop()
    await topo.destroy()
  }
}

/**
 * The real box (dist/, as `npm run bench` builds it) in the namespace lab, once with the old
 * detection settings and once with the new defaults, in one run. The route change is the new code's in both.
 * Other work on the machine shares its CPU: the "busy" rows add two busy loops on top.
 * `skipped` says why when it cannot run.
 */
export async function benchUplinksNamespace(): Promise<{ figures: Figure[]; skipped?: string }> {
  const why = netnsUnavailable()
  if (why) return { figures: [], skipped: why }
  const old = await labRun(SETTINGS.old, { busy: true, unplug: false, traffic: false })
  const now = await labRun(SETTINGS.new, { busy: true, unplug: true, traffic: true })
  return { figures: [...old, ...now] }
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
 * What probing costs at idle: the UplinkMonitor with the real prober, two uplinks of two targets
 * each on lo, a round a second, for CPU_SECONDS: ICMP (one `ping` process per probe), then TCP
 * (a connect to a closed port of lo, refused: no process). The box's own CPU and that of its
 * children (the pings, and the carrier watch's one `ip monitor`), as a share of one core.
 */
export async function benchProbeCpu(): Promise<Figure[]> {
  const { probe, interfaceAddress } = await import('../src/uplinks/probes.js')
  const ping = await probe({ type: 'icmp', host: '127.0.0.1' }, { interface: 'lo', address: '127.0.0.1' }, 1000)
  if (!ping.ok) {
    console.log(`probe CPU skipped: ping on lo does not work here (${ping.error})`)
    return []
  }
  const icmp = [{ type: 'icmp' as const, host: '127.0.0.1' }, { type: 'icmp' as const, host: '127.0.0.2' }]
  const tcp = [{ type: 'tcp' as const, host: '127.0.0.1', port: 9 }, { type: 'tcp' as const, host: '127.0.0.2', port: 9 }]
  const figures: Figure[] = []
  for (const [kind, targets] of [['ICMP', icmp], ['TCP', tcp]] as const) {
    const { ownPct, kidsPct } = await probeCpu(targets, probe, interfaceAddress)
    figures.push({ figure: `probing at idle: the box's own CPU, 2 uplinks × 2 ${kind} targets, 1 round/s, ${CPU_SECONDS} s`, value: ownPct, unit: '% of a core' })
    if (kidsPct !== null) figures.push({ figure: `probing at idle: its child processes' CPU, ${kind} (${kind === 'ICMP' ? '4 pings a second' : 'none but the carrier watch'})`, value: kidsPct, unit: '% of a core' })
  }
  return figures
}

async function probeCpu(targets: UplinkConfig['probes']['targets'], probe: Prober, addressOf: (iface: string) => string | null): Promise<{ ownPct: number; kidsPct: number | null }> {
  const { systemClock } = await import('../src/core/clock.js')
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: Date.now() }, systemClock)
  const uplinks = ['a', 'b'].map((id, i) => ({ ...uplink(id, i + 1), interface: 'lo', probes: { ...uplink(id, i + 1).probes, targets } }))
  const monitor = new UplinkMonitor({ store, uplinks, failover: Value.Default(FailoverSchema, {}) as never, clock: systemClock, log: silentLogger(), prober: probe, addressOf, routes: null, onSwitch: () => {} })
  for (const u of monitor.initial(Date.now())) store.init('uplink', u)
  const own0 = process.cpuUsage()
  const kids0 = await childrenCpuMs()
  monitor.start()
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
  await monitor.stop()
  // the carrier watch's ip monitor, killed at stop, is waited for (and counted) once it has exited
  await new Promise((r) => setTimeout(r, 200))
  const own = process.cpuUsage(own0)
  const kids1 = await childrenCpuMs()
  const pct = (ms: number) => round((100 * ms) / (CPU_SECONDS * 1000), 2)
  return { ownPct: pct((own.user + own.system) / 1000), kidsPct: kids0 !== null && kids1 !== null ? pct(kids1 - kids0) : null }
}

/** Run alone: every figure of this file (`node --import=@tapjs/... scripts/bench-uplinks.ts`, as root for the namespaces). */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lab = await benchUplinksNamespace()
  if (lab.skipped) console.log(`namespaces skipped: ${lab.skipped}`)
  const figures = [...(await benchUplinksSimulated()), ...(await benchProbeCpu()), ...lab.figures]
  for (const f of figures) console.log(`${f.figure}\t${f.value} ${f.unit}`)
}

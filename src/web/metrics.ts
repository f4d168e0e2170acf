/**
 * `GET /metrics`: the box in Prometheus' text exposition format (version 0.0.4).
 * Written here rather than with prom-client: the format is a few lines of text,
 * and prom-client with its default collectors added 6 MB of RSS to a box that
 * must fit in 60 (measured: node --expose-gc, import + collectDefaultMetrics +
 * one scrape, 6.0–6.3 MB against 0.7 MB for this module's loop-delay monitor).
 *
 * Gauges are read from the snapshot at scrape time; counters count what the
 * store announced since the box started (Prometheus' rate() handles the reset
 * a restart makes).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { PartState, Registration, Snapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import type { DropCounts } from '../report/outbox.js'

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const PART_STATES: readonly PartState[] = ['up', 'degraded', 'down', 'unknown']
const REGISTRATIONS: readonly Registration[] = ['home', 'roaming', 'searching', 'denied', 'unknown', 'not-registered']

/** What the office link looks like now: null when the box has no broker configured. */
export interface OfficeLinkFigures {
  connected: boolean
  outbox: number
  dropped: DropCounts
}

type Labels = Record<string, string>
type Sample = [Labels, number | null]

/** Label values escaped as the format says: backslash, double quote and newline. */
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const labelText = (l: Labels) => {
  const keys = Object.keys(l)
  return keys.length ? `{${keys.map((k) => `${k}="${escape(l[k]!)}"`).join(',')}}` : ''
}

class Exposition {
  readonly #out: string[] = []

  family(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
    const known = samples.filter((s): s is [Labels, number] => s[1] !== null && Number.isFinite(s[1]))
    if (!known.length) return
    this.#out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of known) this.#out.push(`${name}${labelText(labels)} ${value}`)
  }

  text(): string {
    return this.#out.join('\n') + '\n'
  }
}

/** One series per state, 1 for the one in force (a Prometheus "state set"), so a dashboard can count and graph each. */
const stateSet = <T extends string>(labels: Labels, states: readonly T[], current: T): Sample[] =>
  states.map((s) => [{ ...labels, state: s }, s === current ? 1 : 0])

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000)

/** Counts of what happened since start, kept from the store's announcements. */
class Counters {
  /** line|direction|outcome → calls ended */
  readonly calls = new Map<string, number>()
  /** path|outcome → attempts; path → seconds and cost (with its currency) */
  readonly attempts = new Map<string, number>()
  readonly talk = new Map<string, number>()
  readonly cost = new Map<string, { currency: string; amount: number }>()

  take(c: StoreChange): void {
    if (c.kind === 'call' && c.next.outcome && !c.prev?.outcome) {
      const key = `${c.next.line ?? ''}|${c.next.direction}|${c.next.outcome}`
      this.calls.set(key, (this.calls.get(key) ?? 0) + 1)
    } else if (c.kind === 'routed') {
      const r = c.next
      const key = `${r.path}|${r.outcome}`
      this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1)
      this.talk.set(r.path, (this.talk.get(r.path) ?? 0) + r.seconds)
      const was = this.cost.get(r.path)
      this.cost.set(r.path, { currency: r.currency, amount: (was?.amount ?? 0) + r.cost })
    }
  }
}

export interface MetricsDeps {
  store: StateStore
  office: () => OfficeLinkFigures | null
}

/** Collects the figures; `text()` renders one scrape. `stop()` lets go of the store and the loop monitor. */
export class BoxMetrics {
  readonly #deps: MetricsDeps
  readonly #counters = new Counters()
  readonly #loop: IntervalHistogram
  readonly #onChange = (c: StoreChange) => this.#counters.take(c)
  #lag: { max: number; p99: number; p50: number } | null = null

  constructor(deps: MetricsDeps) {
    this.#deps = deps
    deps.store.on('change', this.#onChange)
    // sampled every 20 ms by libuv's timer, not by a JavaScript interval: it costs the loop nothing
    this.#loop = monitorEventLoopDelay({ resolution: 20 })
    this.#loop.enable()
  }

  stop(): void {
    this.#deps.store.off('change', this.#onChange)
    this.#loop.disable()
  }

  text(): string {
    const x = new Exposition()
    const snap = this.#deps.store.snapshot
    this.#parts(x, snap)
    this.#traffic(x)
    this.#office(x, snap)
    this.#process(x)
    return x.text()
  }

  #parts(x: Exposition, snap: Readonly<Snapshot>): void {
    const lines = Object.values(snap.lines)
    x.family('linewatch_line_state', 'gauge', 'A phone line\'s state: 1 for the state it is in.', lines.flatMap((l) => stateSet({ line: l.id, kind: l.kind }, PART_STATES, l.state)))
    x.family('linewatch_line_routable', 'gauge', 'Whether routing may offer the line (1) or has withdrawn it (0).', lines.map((l) => [{ line: l.id }, l.routable ? 1 : 0]))
    x.family('linewatch_line_channels_busy', 'gauge', 'Calls on the line now.', lines.map((l) => [{ line: l.id }, l.channelUse.busy]))
    x.family('linewatch_line_channels', 'gauge', 'Channels the line has (lines[].channels).', lines.map((l) => [{ line: l.id }, l.channels]))
    x.family('linewatch_line_calls_this_hour', 'gauge', 'Incoming calls seen on the line this clock hour.', lines.map((l) => [{ line: l.id }, l.callsThisHour]))

    const uplinks = Object.values(snap.uplinks)
    x.family('linewatch_uplink_state', 'gauge', 'An internet uplink\'s state: 1 for the state it is in.', uplinks.flatMap((u) => stateSet({ uplink: u.id, interface: u.interface }, PART_STATES, u.state)))
    x.family('linewatch_uplink_active', 'gauge', 'Whether the box\'s traffic goes out through this uplink.', uplinks.map((u) => [{ uplink: u.id }, u.active ? 1 : 0]))
    x.family('linewatch_uplink_rtt_seconds', 'gauge', 'Mean probe round-trip time over the last window.', uplinks.map((u) => [{ uplink: u.id }, seconds(u.rttMs)]))
    x.family('linewatch_uplink_jitter_seconds', 'gauge', 'Probe jitter over the last window.', uplinks.map((u) => [{ uplink: u.id }, seconds(u.jitterMs)]))
    x.family('linewatch_uplink_loss_ratio', 'gauge', 'Share of probes lost over the last window (0..1).', uplinks.map((u) => [{ uplink: u.id }, u.lossPct === null ? null : u.lossPct / 100]))
    x.family('linewatch_uplink_mos', 'gauge', 'Estimated voice quality (E-model MOS, 1..4.5).', uplinks.map((u) => [{ uplink: u.id }, u.mos]))

    const modems = Object.values(snap.modems)
    x.family('linewatch_modem_state', 'gauge', 'A GSM modem\'s state: 1 for the state it is in.', modems.flatMap((m) => stateSet({ modem: m.id }, PART_STATES, m.state)))
    x.family('linewatch_modem_registration', 'gauge', 'A modem\'s network registration: 1 for the one in force.', modems.flatMap((m) => stateSet({ modem: m.id }, REGISTRATIONS, m.registration)))
    x.family('linewatch_modem_signal_dbm', 'gauge', 'Received signal strength (from AT+CSQ).', modems.map((m) => [{ modem: m.id }, m.signal.rssiDbm]))
    x.family('linewatch_modem_sim_balance', 'gauge', 'The SIM\'s balance at its last check.', modems.map((m) => [{ modem: m.id }, m.balance?.amount ?? null]))
    x.family('linewatch_modem_calls_seen_total', 'counter', 'Calls the modem has seen since start.', modems.map((m) => [{ modem: m.id }, m.callsSeen]))

    const bySeverity = new Map<string, number>()
    for (const a of Object.values(snap.alerts)) if (a.state === 'raised') bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1)
    x.family('linewatch_alerts_raised', 'gauge', 'Alerts raised and not cleared.', ['critical', 'major', 'minor', 'info'].map((s) => [{ severity: s }, bySeverity.get(s) ?? 0]))
  }

  #traffic(x: Exposition): void {
    const c = this.#counters
    x.family('linewatch_calls_total', 'counter', 'Calls ended since start, by line, direction and outcome.', [...c.calls].map(([k, n]) => {
      const [line, direction, outcome] = k.split('|') as [string, string, string]
      return [{ line, direction, outcome }, n]
    }))
    x.family('linewatch_routed_attempts_total', 'counter', 'Outgoing attempts the PBX reported, by path and outcome.', [...c.attempts].map(([k, n]) => {
      const [path, outcome] = k.split('|') as [string, string]
      return [{ path, outcome }, n]
    }))
    x.family('linewatch_routed_talk_seconds_total', 'counter', 'Talk time of answered routed calls, by path.', [...c.talk].map(([path, s]) => [{ path }, s]))
    x.family('linewatch_routed_cost_total', 'counter', 'What routed calls cost on their paths\' plans, by path.', [...c.cost].map(([path, v]) => [{ path, currency: v.currency }, v.amount]))
  }

  #office(x: Exposition, snap: Readonly<Snapshot>): void {
    const link = this.#deps.office()
    x.family('linewatch_info', 'gauge', 'The box: its site, name and firmware version.', [[{ site: snap.box.site, box: snap.box.box, version: snap.box.version }, 1]])
    x.family('linewatch_start_time_seconds', 'gauge', 'When the box started (Unix time).', [[{}, snap.box.startedAt / 1000]])
    if (!link) return
    x.family('linewatch_mqtt_connected', 'gauge', 'Whether the box is connected to its broker.', [[{}, link.connected ? 1 : 0]])
    x.family('linewatch_outbox_messages', 'gauge', 'QoS 1 messages waiting for the broker (or the office\'s acknowledgement).', [[{}, link.outbox]])
    x.family('linewatch_outbox_dropped', 'gauge', 'Messages dropped for the outbox\'s disk budget and not yet reported to the office.', Object.entries(link.dropped).map(([kind, n]) => [{ kind }, n]))
  }

  #process(x: Exposition): void {
    const mem = process.memoryUsage()
    x.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [[{}, mem.rss]])
    x.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.', [[{}, mem.heapUsed]])
    const cpu = process.cpuUsage()
    x.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.', [[{}, (cpu.user + cpu.system) / 1e6]])
    // the lag since the last scrape, so each scrape reads its own interval (names as prom-client's); a
    // scrape sooner than the monitor's first sample shows the previous interval's figures again
    const h = this.#loop
    if (h.count) this.#lag = { max: h.max / 1e9, p99: h.percentile(99) / 1e9, p50: h.percentile(50) / 1e9 }
    h.reset()
    const lag = this.#lag
    if (!lag) return
    x.family('nodejs_eventloop_lag_max_seconds', 'gauge', 'The worst event-loop delay since the last scrape.', [[{}, lag.max]])
    x.family('nodejs_eventloop_lag_p99_seconds', 'gauge', 'The 99th percentile of the event-loop delay since the last scrape.', [[{}, lag.p99]])
    x.family('nodejs_eventloop_lag_p50_seconds', 'gauge', 'The median event-loop delay since the last scrape.', [[{}, lag.p50]])
  }
}

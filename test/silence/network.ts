/**
 * A simulated phone network for the silence watch's test calls, for the tests
 * and scripts/bench-silence.ts: the box's real TestCaller dials from a spare
 * modem; a line that works rings a few seconds later (its lastCallAt, as the
 * line's modem or the PBX would report it), a dead one never does and the
 * call times out. Lines die with `dead.add(id)`.
 */
import type { LineConfig } from '../../src/config/schema.js'
import type { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { ModemCall } from '../../src/core/state.js'
import type { StateStore } from '../../src/core/store.js'
import { TestCaller } from '../../src/actions/test-call.js'
import { initialModem } from '../../src/modem/modem-state.js'
import type { SilenceTester } from '../../src/silence/probe.js'
import type { SilenceWatch } from '../../src/silence/watch.js'

const MIN = 60_000
/** From dialling to the ring on the called line. */
const RING_DELAY_MS = 5_000

export interface SimNetwork {
  caller: TestCaller
  tester: SilenceTester
  /** Lines that take no calls (the exchange stopped putting them through). */
  dead: Set<string>
  /** Every test call dialled: line and time. */
  dialled: { line: string; at: number }[]
}

export function simNetwork(store: StateStore, clock: FakeClock, lines: LineConfig[], ringSeconds = 30): SimNetwork {
  store.init('modem', { ...initialModem({ id: 'tester', port: 'sim:tester', baudRate: 115200, pollSeconds: 60, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 }, clock.now()), state: 'up' })
  const dead = new Set<string>()
  const dialled: SimNetwork['dialled'] = []
  let out: { finish(outcome: ModemCall['outcome']): void } | null = null
  const caller = new TestCaller({
    store,
    lines,
    config: { everyMinutes: 0, ringSeconds, fromModems: [] },
    clock,
    log: silentLogger(),
    modems: {
      dial: (_from, number, opts) =>
        new Promise<ModemCall>((resolve) => {
          const line = lines.find((l) => l.numbers.includes(number))
          const startedAt = clock.now()
          if (line) dialled.push({ line: line.id, at: startedAt })
          const ring = line && !dead.has(line.id) ? clock.setTimeout(() => store.update('line', line.id, { lastCallAt: clock.now() }), RING_DELAY_MS) : null
          const timeout = clock.setTimeout(() => finish('no-answer'), (opts.ringSeconds ?? 30) * 1000)
          const finish = (outcome: ModemCall['outcome']) => {
            ring?.cancel()
            timeout.cancel()
            out = null
            resolve({ direction: 'out', number, state: 'ended', outcome, startedAt, answeredAt: null, endedAt: clock.now() })
          }
          out = { finish }
        }),
      cancel: async () => out?.finish('cancelled'),
    },
  })
  const tester: SilenceTester = {
    can: (id) => caller.testable.some((l) => l.id === id),
    run: (id) => caller.run(id),
    testing: () => caller.current?.line ?? null,
    ringSeconds,
  }
  return { caller, tester, dead, dialled }
}

/**
 * Play customer calls (per line, sorted) into the watch minute by minute up to `to`, as the box's minute
 * tick would; while a test call is out, second by second, letting its promises run. Ends early once `stop()`.
 */
export async function playWithTests(run: { clock: FakeClock; store: StateStore; watch: SilenceWatch }, calls: Record<string, number[]>, to: number, stop: () => boolean = () => false): Promise<void> {
  const next: Record<string, number> = Object.fromEntries(Object.keys(calls).map((k) => [k, 0]))
  const deliver = (upTo: number) => {
    for (const [line, times] of Object.entries(calls)) {
      while (next[line]! < times.length && times[next[line]!]! <= upTo) run.store.update('line', line, { lastCallAt: times[next[line]!++]! })
    }
  }
  for (let now = run.clock.now() + MIN; now <= to && !stop(); now += MIN) {
    deliver(now)
    if (now > run.clock.now()) run.clock.advance(now - run.clock.now())
    run.watch.tick(now)
    // two lines' tests queue one after the other: what is left goes on after the next tick
    while (run.watch.testsInFlight > 0 && run.clock.now() + 1000 < now + MIN) {
      await new Promise<void>((r) => setImmediate(r))
      if (run.watch.testsInFlight === 0) break
      run.clock.advance(1000)
      deliver(run.clock.now())
    }
  }
}

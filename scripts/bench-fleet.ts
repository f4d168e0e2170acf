/**
 * 14. The fleet (scripts/fleet.ts): 200 real boxes in four processes against one mosquitto for
 * LINEWATCH_BENCH_FLEET_S (120) s of seeded faults with a broker restart at 40 %: messages/s the office
 * received, the broker's CPU, and the end-to-end latency (the message's `ts` → the office) at p50 and p99
 * (the p99 holds what waited out the restart). Without mosquitto it is skipped (said so).
 */
import { startMosquittoForBench } from './bench-mosquitto.js'
import { runFleet } from './fleet.js'

type Figure = { figure: string; value: number; unit: string }

const SECONDS = Number(process.env.LINEWATCH_BENCH_FLEET_S ?? 120)

export async function benchFleet(): Promise<{ figures: Figure[]; skipped?: string }> {
  const broker = await startMosquittoForBench()
  if ('skipped' in broker) return { figures: [], skipped: broker.skipped }
  try {
    const r = await runFleet({ broker, boxes: 200, processes: 4, seconds: SECONDS, seed: 2026, restartAfterSeconds: Math.round(SECONDS * 0.4) })
    const name = `fleet: 200 boxes, ${SECONDS} s, broker restarted once`
    return {
      figures: [
        { figure: `${name}: messages to the office`, value: r.messagesPerSecond, unit: 'msg/s' },
        { figure: `${name}: broker CPU`, value: r.brokerCpuPercent, unit: '% of a core' },
        { figure: `${name}: latency p50`, value: r.latencyP50Ms, unit: 'ms' },
        { figure: `${name}: latency p99`, value: r.latencyP99Ms, unit: 'ms' },
        { figure: `${name}: copies dropped by seq`, value: r.duplicates, unit: 'messages' },
        { figure: `${name}: seqs missing or alerts miscounted`, value: r.problems.length, unit: 'boxes' },
      ],
    }
  } finally {
    await broker.stop()
  }
}

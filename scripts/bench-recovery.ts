/**
 * Recovery on the simulated clock: a Quectel-like module hangs at t = 0 and
 * only its power key brings it back. Measured in simulated seconds (what
 * the configured timings make of it), with the real driver and simulator:
 * when the box calls it down, each ladder step, and when it is usable again.
 */
import { modemRig } from '../src/sim/rig.js'

type Figure = { figure: string; value: number; unit: string }

const tick = () => new Promise<void>((r) => setImmediate(r))

export async function benchRecovery(): Promise<Figure[]> {
  // EC25: ~10 s from PWRKEY to RDY
  const { clock, sim, store, driver } = modemRig({ id: 'm', port: 'sim:gsm1', commandTimeoutMs: 3000, bootWaitSeconds: 30, powerKey: { pin: 8, pulseMs: 800 } }, { bootMs: 10_000 })
  driver.start()
  await driver.settled()
  const t0 = clock.now()
  const at: Record<string, number> = {}
  store.on('change', (c) => {
    if (c.kind !== 'modem') return
    const s = (c.next.recovery?.step ?? (c.next.state === 'up' ? 'up' : c.next.state === 'down' ? 'down' : null)) as string | null
    if (s && at[s] === undefined && clock.now() > t0) at[s] = (clock.now() - t0) / 1000
  })
  sim.setAnswering(false)
  for (let ms = 0; ms < 300_000 && at.up === undefined; ms += 100) {
    clock.advance(100)
    for (let i = 0; i < 5; i++) await tick()
  }
  await driver.stop()
  sim.stop()
  const fig = (name: string, key: string): Figure => ({ figure: `hung modem → ${name} (poll 10 s, timeout 3 s, boot wait 30 s)`, value: at[key] ?? -1, unit: 's simulated' })
  return [fig('called down', 'down'), fig('soft reset sent', 'soft-reset'), fig('power key pulsed', 'power-key'), fig('usable again', 'up')]
}

/**
 * Recovery on the simulated clock, with the real driver and simulator wired
 * as on the board (poll 10 s, timeout 3 s, two timeouts, boot wait 30 s, an
 * EC25-like module that takes 10 s to boot). Three hangs: one a soft reset
 * cures, one only the power key cures (it toggles: the first press switches
 * the hung module off, the second on), one deaf even to its key, cured by a
 * power cut (3 s off). Seconds from the hang to: called down, each ladder
 * step, usable again.
 */
import type { ModemConfig } from '../src/config/schema.js'
import { modemRig } from '../src/sim/rig.js'

type Figure = { figure: string; value: number; unit: string }

const tick = () => new Promise<void>((r) => setImmediate(r))

async function scenario(name: string, extra: Partial<ModemConfig>, hang: 'soft' | 'hard', keyIgnored = false): Promise<Figure[]> {
  const rig = modemRig({ commandTimeoutMs: 3000, bootWaitSeconds: 30, ...extra }, { bootMs: 10_000 })
  const { clock, sim, store, driver } = rig
  driver.start()
  await driver.settled()
  const t0 = clock.now()
  const events: [string, number][] = []
  store.on('change', (c) => {
    if (c.kind !== 'modem' || clock.now() === t0) return
    const at = (clock.now() - t0) / 1000
    const r = c.next.recovery
    if (r && (r.step !== c.prev?.recovery?.step || r.since !== c.prev.recovery.since)) events.push([r.step, at])
    if (c.next.state !== c.prev?.state) events.push([c.next.state === 'up' ? 'usable again' : `called ${c.next.state}`, at])
  })
  if (keyIgnored) {
    const press = sim.pressPowerKey.bind(sim)
    sim.pressPowerKey = () => (sim.hung ? undefined : press())
  }
  sim.hang(hang)
  for (let ms = 0; ms < 600_000 && !events.some(([e]) => e === 'usable again'); ms += 100) {
    clock.advance(100)
    for (let i = 0; i < 5; i++) await tick()
  }
  await driver.stop()
  sim.stop()
  return events.map(([e, at]) => ({ figure: `${name} → ${e}`, value: at, unit: 's simulated' }))
}

export async function benchRecovery(): Promise<Figure[]> {
  const key = { pin: 8, pulseMs: 800 }
  const cut = { pin: 9, cutLevel: 1, offMs: 3000 }
  return [
    ...(await scenario('soft hang (hears AT+CFUN=1,1)', { powerKey: key }, 'soft')),
    ...(await scenario('hard hang, power key wired', { powerKey: key }, 'hard')),
    ...(await scenario('hard hang, deaf to its key, power cut wired', { powerKey: key, powerCut: cut }, 'hard', true)),
  ]
}

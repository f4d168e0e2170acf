/**
 * Recovery on the simulated clock, with the real driver and simulator wired
 * as on the board (poll 10 s, timeout 3 s, two timeouts, boot wait 30 s,
 * quietSeconds 8), for each simulated personality, booting as long as the
 * real module does (personality typicalBootMs: Quectel EC25 on USB 12 s,
 * SIMCom SIM800 on a UART 3 s, Huawei E173 on USB 10 s).
 * Three hangs: one a soft reset cures, one only the power key cures (it
 * toggles: the first press switches the hung module off, the second on), one
 * deaf even to its key, cured by a power cut (3 s off). A USB module that
 * restarts on AT+CFUN=1,1 drops off the bus at once and is enumerated again
 * 2 s before its boot banner (the simulator keeps a rebooting module's port;
 * a real USB module does not). Each run three times, in the same process:
 * "old ladder" is a fixed boot wait after every step and no probes (the
 * driver's fixedWaits, kept for this bench only); "today" reacts to the module
 * but finds the hang at the poll's pace (a second timeout only at the next
 * poll: quickProbe false); "new" also asks `AT` at once after a first timeout.
 * Seconds from the hang to: called down, each ladder step, usable again.
 */
import type { ModemConfig } from '../src/config/schema.js'
import { FakeClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { outputPins } from '../src/hw/gpio.js'
import { SerialOpener } from '../src/hw/serial.js'
import { ModemDriver } from '../src/modem/driver.js'
import { SimBinding, SimGateway } from '../src/sim/binding.js'
import { SimIO } from '../src/sim/gpio.js'
import { SimModem } from '../src/sim/modem.js'
import { PERSONALITIES, type PersonalityName } from '../src/sim/personalities.js'
import { wireSimModem } from '../src/sim/wiring.js'

type Figure = { figure: string; value: number; unit: string }
type Hang = { name: string; extra: Partial<ModemConfig>; kind: 'soft' | 'hard'; keyIgnored?: boolean }
type Variant = 'old' | 'today' | 'new'
const VARIANTS: Record<Variant, { label: string; fixedWaits: boolean; quickProbe: boolean }> = {
  old: { label: 'old ladder (fixed waits)', fixedWaits: true, quickProbe: false },
  today: { label: 'today (reactive ladder, hang found at the poll pace)', fixedWaits: false, quickProbe: false },
  new: { label: 'new (reactive ladder, AT at once after a timeout)', fixedWaits: false, quickProbe: true },
}

const tick = () => new Promise<void>((r) => setImmediate(r))
const KEY = { pin: 8, pulseMs: 800 }
const CUT = { pin: 9, cutLevel: 1, offMs: 3000 }
const HANGS: Hang[] = [
  { name: 'soft hang (hears AT+CFUN=1,1)', extra: { powerKey: KEY }, kind: 'soft' },
  { name: 'hard hang, power key wired', extra: { powerKey: KEY }, kind: 'hard' },
  { name: 'hard hang, deaf to its key, power cut wired', extra: { powerKey: KEY, powerCut: CUT }, kind: 'hard', keyIgnored: true },
]
const MODULES: [PersonalityName, string][] = [
  ['quectel', 'EC25 (USB)'],
  ['simcom', 'SIM800 (UART)'],
  ['huawei', 'E173 (USB)'],
]

/** One hang on one module: [event, seconds from the hang]. */
async function scenario(hang: Hang, personality: PersonalityName, variant: Variant): Promise<[string, number][]> {
  const { fixedWaits, quickProbe } = VARIANTS[variant]
  const clock = new FakeClock()
  const gw = new SimGateway()
  const bootMs = PERSONALITIES[personality].typicalBootMs
  const sim = gw.add('gsm1', new SimModem({ clock, personality, operator: 'MegaFon', bootMs }))
  const config: ModemConfig = { id: 'gsm1', port: 'sim:gsm1', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 3000, unansweredLimit: 2, bootWaitSeconds: 30, ...hang.extra }
  const io = new SimIO({ pinCount: 20 })
  wireSimModem(io, sim, config)
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, clock)
  const opener = new SerialOpener(new SimBinding(gw))
  const driver = new ModemDriver({ config, store, clock, opener, log: silentLogger(), pins: outputPins(io, clock), fixedWaits, quickProbe })
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
  if (sim.personality.usb) {
    sim.on('command', (c) => {
      if (c.toUpperCase() !== 'AT+CFUN=1,1') return
      gw.vanish('gsm1')
      clock.setTimeout(() => gw.reappear('gsm1'), bootMs - 2000)
    })
  }
  if (hang.keyIgnored) {
    const press = sim.pressPowerKey.bind(sim)
    sim.pressPowerKey = () => (sim.hung ? undefined : press())
  }
  sim.hang(hang.kind)
  for (let ms = 0; ms < 600_000 && !events.some(([e]) => e === 'usable again'); ms += 100) {
    clock.advance(100)
    for (let i = 0; i < 5; i++) await tick()
  }
  await driver.stop()
  sim.stop()
  return events
}

const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10

export async function benchRecovery(): Promise<Figure[]> {
  const headline: Figure[] = []
  const detail: Figure[] = []
  const variants = Object.keys(VARIANTS) as Variant[]
  const usable: Record<Variant, number[]> = { old: [], today: [], new: [] }
  const keyOnly: Record<Variant, number[]> = { old: [], today: [], new: [] }
  const cut: Record<Variant, number[]> = { old: [], today: [], new: [] }
  for (const hang of HANGS) {
    for (const [personality, label] of MODULES) {
      for (const which of variants) {
        const events = await scenario(hang, personality, which)
        const back = events.find(([e]) => e === 'usable again')?.[1] ?? NaN
        usable[which].push(back)
        if (hang.kind === 'hard' && !hang.keyIgnored) keyOnly[which].push(back)
        if (hang.keyIgnored) cut[which].push(back)
        for (const [e, at] of events) detail.push({ figure: `recovery ${VARIANTS[which].label}: ${hang.name}, ${label} → ${e}`, value: at, unit: 's simulated' })
      }
    }
  }
  for (const which of variants) {
    const name = VARIANTS[which].label
    headline.push({ figure: `hung modem → usable again, ${name}: mean of 3 hangs × 3 modules`, value: mean(usable[which]), unit: 's simulated' })
    headline.push({ figure: `hung modem → usable again, ${name}: worst of 3 hangs × 3 modules`, value: Math.max(...usable[which]), unit: 's simulated' })
    headline.push({ figure: `hung modem → usable again, ${name}: hard hang, power key, mean of 3 modules`, value: mean(keyOnly[which]), unit: 's simulated' })
    headline.push({ figure: `hung modem → usable again, ${name}: deaf to its key, power cut, mean of 3 modules`, value: mean(cut[which]), unit: 's simulated' })
  }
  return [...headline, ...detail]
}

/**
 * The trial boot's confirmation on the simulated clock (docs/updates.md): a healthy system is confirmed
 * and becomes the active slot; one that stays unhealthy, or is healthy only once, reboots at the deadline
 * and the next boot falls back; the old system then has a fallback to report.
 */
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { BootStateFile, chooseBoot, INITIAL_STATE } from '../../src/update/boot-state.js'
import { confirmTrial, fallbackReport, IN_A_ROW, type HealthProbes } from '../../src/update/confirm.js'
import { advance } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

const MIN = 60_000

/** The loop reads the boot state (real file I/O) before its first round: wait for that round. */
async function started(p: { calls: number }): Promise<void> {
  while (p.calls === 0) await new Promise((r) => setTimeout(r, 2))
}

/** A card just booted into slot b on trial. */
async function onTrial(t: Parameters<typeof tempDir>[0]) {
  const states = new BootStateFile(tempDir(t))
  await states.write({ ...INITIAL_STATE, try: 'b', versions: { a: '1.4.0', b: '1.5.0' } })
  const boot = chooseBoot(await states.read())
  await states.write(boot.write!)
  return states
}

/** Probes whose answers the test sets; `calls` counts the rounds. */
function probes(health: { service: string | null; healthz: string | null; mqtt: string | null }) {
  const p = { calls: 0, health } as { calls: number; health: typeof health } & HealthProbes
  p.service = async () => (p.calls++, p.health.service)
  p.healthz = async () => p.health.healthz
  p.mqtt = async () => p.health.mqtt
  return p
}

t.test('healthy twice in a row: confirmed, b becomes the active slot and stays', async (t) => {
  const states = await onTrial(t)
  const clock = new FakeClock()
  const p = probes({ service: 'linewatch.service is activating', healthz: null, mqtt: null })
  const reboots: string[] = []
  const done = confirmTrial({ states, running: 'b', probes: p, clock, withinMs: 10 * MIN, pollMs: 10_000, reboot: async (w) => void reboots.push(w) })
  await started(p)
  await advance(clock, 30_000, 1000)
  p.health.service = null
  await advance(clock, 30_000, 1000)
  const r = await done
  t.equal(r.outcome, 'confirmed')
  t.ok(p.calls >= IN_A_ROW + 1)
  t.same(reboots, [])
  const s = await states.read()
  t.match(s, { active: 'b', trying: null, try: null, fallback: null })
  t.equal(chooseBoot(s).boot, 'b')
})

t.test('never on MQTT: at the deadline it reboots with the reason, and the next boot is the old slot', async (t) => {
  const states = await onTrial(t)
  const clock = new FakeClock()
  const p = probes({ service: null, healthz: null, mqtt: 'the box is disconnected connected to its broker' })
  const reboots: string[] = []
  const start = clock.now()
  let rebootedAt = 0
  const done = confirmTrial({ states, running: 'b', probes: p, clock, withinMs: 10 * MIN, pollMs: 10_000, reboot: async (w) => void (reboots.push(w), (rebootedAt = clock.now())) })
  await started(p)
  await advance(clock, 9 * MIN, 5000)
  t.same(reboots, [], 'not before the deadline')
  await advance(clock, 2 * MIN, 5000)
  const r = await done
  t.equal(r.outcome, 'rebooting')
  t.equal(reboots.length, 1)
  t.match(reboots[0], /not healthy within 10 min \(mqtt: /)
  t.ok(rebootedAt - start <= 10 * MIN && rebootedAt - start > 9 * MIN, `rebooted at ${(rebootedAt - start) / 1000} s`)
  const next = chooseBoot(await states.read())
  t.equal(next.boot, 'a', 'the initramfs falls back')
  t.match(fallbackReport(next.write!), { type: 'update', stage: 'fell-back', slot: 'b', version: '1.5.0', running: 'a', runningVersion: '1.4.0' })
})

t.test('healthy only in single rounds (a crash loop) is not confirmed', async (t) => {
  const states = await onTrial(t)
  const clock = new FakeClock()
  const p = probes({ service: null, healthz: null, mqtt: null })
  // every other round the service is down again
  const service = p.service
  p.service = async () => {
    await service()
    return p.calls % 2 === 0 ? 'linewatch.service is failed' : null
  }
  const reboots: string[] = []
  const done = confirmTrial({ states, running: 'b', probes: p, clock, withinMs: 3 * MIN, pollMs: 10_000, reboot: async (w) => void reboots.push(w) })
  await started(p)
  await advance(clock, 4 * MIN, 5000)
  t.equal((await done).outcome, 'rebooting')
  t.equal((await states.read()).trying, 'b', 'still on trial: the next boot falls back')
})

t.test('a probe that throws counts as unhealthy; nothing on trial: nothing to do', async (t) => {
  const states = await onTrial(t)
  const clock = new FakeClock()
  const p = probes({ service: null, healthz: null, mqtt: null })
  p.healthz = async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:8080')
  }
  const reboots: string[] = []
  let rounds = 0
  const svc = p.service
  p.service = async () => (rounds++, svc())
  const done = confirmTrial({ states, running: 'b', probes: p, clock, withinMs: 2 * MIN, pollMs: 10_000, reboot: async (w) => void reboots.push(w) })
  await started({ get calls() { return rounds } })
  await advance(clock, 3 * MIN, 5000)
  t.equal((await done).outcome, 'rebooting')
  t.match(reboots[0], /ECONNREFUSED/)
  t.same(await confirmTrial({ states, running: 'a', probes: p, clock, withinMs: MIN, reboot: async () => void t.fail('no reboot') }), { outcome: 'not-on-trial' })
  t.equal(fallbackReport(INITIAL_STATE), null)
})

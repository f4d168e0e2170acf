/**
 * The ladder reacts to the module instead of sleeping (simulated module in AT
 * bytes, FakeClock): a boot banner or an answer to a probe ends it, silence
 * after a step moves on after quietSeconds, a module gone off after a press
 * gets the next press once the key is free, a sign of life (noise, a port
 * back) gets the whole boot wait. The rig: poll 10 s, timeout 1 s, unanswered
 * limit 2, boot wait 20 s, quietSeconds 8, a module that boots in 3 s.
 */
import t from 'tap'
import type { PersonalityName } from '../../src/sim/personalities.js'
import { advance } from '../helpers/flush.js'
import { modemRig } from '../helpers/modem-rig.js'

const KEY = { pin: 8, pulseMs: 800 }
const CUT = { pin: 9, cutLevel: 1, offMs: 3000 }
const BOOT_MS = 3000
/** From the hang to "not answering": the poll at 10 s times out at 11 s, the `AT` sent at once (after 0.3 s) at 12.3 s. */
const DETECT_MS = 12_300
const QUIET_MS = 8000
const KEY_FREE_MS = KEY.pulseMs + 2000

type Rig = ReturnType<typeof modemRig>

/** Each ladder step and the recovery, with the simulated time since `t0`. */
function timeline(rig: Rig) {
  const seen: [string, number][] = []
  const t0 = rig.clock.now()
  rig.store.on('change', (c) => {
    if (c.kind !== 'modem') return
    const r = c.next.recovery
    const at = rig.clock.now() - t0
    if (r && (r.step !== c.prev?.recovery?.step || r.since !== c.prev.recovery.since)) seen.push([r.step, at])
    if (!r && c.prev?.recovery) seen.push(['recovered', at])
    if (c.next.state === 'up' && c.prev?.state !== 'up') seen.push(['usable', at])
  })
  return { seen, steps: () => seen.map(([s]) => s).filter((s) => s !== 'usable'), at: (s: string) => seen.find(([x]) => x === s)?.[1] ?? NaN }
}

/** Hang the module, run until it is usable again (or `limitMs`); the timeline from the hang. */
async function hangAndRecover(rig: Rig, hang: 'soft' | 'hard', limitMs = 120_000) {
  rig.driver.start()
  await rig.driver.settled()
  const tl = timeline(rig)
  rig.sim.hang(hang)
  for (let ms = 0; ms < limitMs && !tl.seen.some(([s]) => s === 'usable'); ms += 500) await advance(rig.clock, 500)
  await rig.driver.stop()
  return tl
}

const PERSONALITIES: PersonalityName[] = ['quectel', 'simcom', 'huawei']

for (const personality of PERSONALITIES) {
  // USB modules take their port with them when a press switches them off; a UART module (the SIM800) just goes quiet
  const usb = personality !== 'simcom'
  for (const silentBoot of [false, true]) {
    const how = silentBoot ? 'no boot banner (found by a probe)' : 'its boot banner'
    // a probe every 2 s with a 1 s timeout finds a module without a banner within 3 s of its boot
    const found = silentBoot ? 3000 : 0
    const margin = 1000

    t.test(`${personality}, soft hang, ${how}: back one boot after the reset`, async (t) => {
      const rig = modemRig({ powerKey: KEY }, { personality, silentBoot })
      const tl = await hangAndRecover(rig, 'soft')
      t.same(tl.steps(), ['soft-reset', 'recovered'])
      t.equal(rig.presses().length, 0, 'no press on a module that heard the reset')
      t.ok(tl.at('recovered') - tl.at('soft-reset') <= BOOT_MS + found + margin, `back ${tl.at('recovered') - tl.at('soft-reset')} ms after the reset`)
      t.ok(tl.at('usable') <= DETECT_MS + BOOT_MS + found + 2 * margin, `usable ${tl.at('usable')} ms after the hang`)
    })

    t.test(`${personality}, hard hang, power key, ${how}: each step waits only as long as the module says nothing`, async (t) => {
      const rig = modemRig({ powerKey: KEY }, { personality, silentBoot })
      const tl = await hangAndRecover(rig, 'hard')
      t.same(tl.steps(), ['soft-reset', 'power-key', 'power-key', 'recovered'])
      const [, reset, press1, press2] = tl.seen.map(([, at]) => at)
      t.ok(press1! - reset! <= QUIET_MS + margin, `the reset went unheard: the first press ${press1! - reset!} ms later`)
      // a USB module switched off by the first press takes its port with it: pressed again once the key is free
      const second = usb ? KEY_FREE_MS : QUIET_MS
      t.ok(press2! - press1! <= second + margin, `the second press ${press2! - press1!} ms after the first`)
      t.ok(tl.at('recovered') - press2! <= BOOT_MS + found + margin, `back ${tl.at('recovered') - press2!} ms after the second press`)
      t.ok(tl.at('usable') <= DETECT_MS + QUIET_MS + second + BOOT_MS + found + 4 * margin, `usable ${tl.at('usable')} ms after the hang`)
      t.equal(rig.sim.boots, 1)
    })
  }
}

t.test('a module that stays hung still climbs the whole ladder; the second round gives every step the whole boot wait', async (t) => {
  const rig = modemRig({ powerKey: KEY, powerCut: CUT })
  const { sim, clock, driver } = rig
  sim.pressPowerKey = () => {} // latched up: deaf to its key
  sim.setPower = () => {} // and the supply switch does not reach it
  driver.start()
  await driver.settled()
  const tl = timeline(rig)
  sim.hang('hard')
  await advance(clock, DETECT_MS + 4 * QUIET_MS + CUT.offMs + 20_000 + 300_000 + 5 * 20_000 + CUT.offMs + 2000, 250)
  const round = ['soft-reset', 'power-key', 'power-key', 'power-cut', 'power-key', 'rest']
  t.same(tl.steps(), [...round, ...round])
  const at = tl.seen.map(([, ms]) => ms)
  const gaps = at.slice(1).map((ms, i) => ms - at[i]!)
  const near = (got: number[], want: number[]) => got.every((g, i) => Math.abs(g - want[i]!) <= 1000)
  // the press after the cut is one that switches a module on (a SIM800 stays off when power returns): waited out whole
  t.ok(near(gaps.slice(0, 5), [QUIET_MS, QUIET_MS, QUIET_MS, QUIET_MS + CUT.offMs, 20_000]), `round 1: silence moves on after quietSeconds (${gaps.slice(0, 5)})`)
  t.ok(near(gaps.slice(6, 11), [20_000, 20_000, 20_000, 20_000 + CUT.offMs, 20_000]), `round 2: the whole boot wait after each step (${gaps.slice(6, 11)})`)
  t.equal(rig.presses().length, 6, 'every press of both rounds was made')
  await driver.stop()
})

t.test('a boot banner that arrives while the reset is still unanswered is not the module back', async (t) => {
  const rig = modemRig({ powerKey: KEY }, { personality: 'simcom' })
  const { sim } = rig
  // a stale RDY on the line just as the reset goes out (its OK is still to come): the restart itself is still ahead
  sim.on('command', (c) => c === 'AT+CFUN=1,1' && sim.sendGarbage(Buffer.from('\r\nRDY\r\n')))
  const tl = await hangAndRecover(rig, 'soft')
  t.same(tl.steps(), ['soft-reset', 'recovered'], 'recovered once, and no second round of resets')
  t.ok(tl.at('recovered') - tl.at('soft-reset') >= BOOT_MS, `recovered ${tl.at('recovered') - tl.at('soft-reset')} ms after the reset: after its boot, not at the stale banner`)
  t.equal(sim.boots, 1)
  t.equal(rig.presses().length, 0)
})

t.test('noise while booting is a sign of life: the module gets the whole boot wait, and the noise is no answer', async (t) => {
  // a SIM800 that heard the reset without a word and takes 12 s to boot (longer than quietSeconds)
  const rig = modemRig({ powerKey: KEY }, { personality: 'simcom', bootMs: 12_000, bootNoise: true })
  const tl = await hangAndRecover(rig, 'soft')
  t.same(tl.steps(), ['soft-reset', 'recovered'])
  t.equal(rig.presses().length, 0, 'no press switched the booting module off')
  t.ok(tl.at('recovered') - tl.at('soft-reset') >= 12_000, 'recovered at its boot banner, not at the noise')

  const quiet = modemRig({ powerKey: KEY }, { personality: 'simcom', bootMs: 12_000 })
  const tq = await hangAndRecover(quiet, 'soft')
  t.ok(quiet.presses().length > 0, 'without the noise the same module looks dead after quietSeconds (what the noise saved)')
  t.ok(tq.steps().at(-1) === 'recovered', 'and is still brought back by the key')
})

t.test('quietSeconds is at most bootWaitSeconds', async (t) => {
  const rig = modemRig({ powerKey: KEY, bootWaitSeconds: 5, quietSeconds: 60 }, { personality: 'simcom' })
  const tl = await hangAndRecover(rig, 'hard')
  t.ok(tl.at('power-key') - tl.at('soft-reset') <= 5000 + 500, 'the reset is followed by the key after the boot wait at most')
})

/**
 * Memory under fuzz: the whole modem stack (framer, engine, parsers, driver,
 * store) on a simulated module whose line carries random bytes and mutated
 * real replies between its answers. heapUsed after a forced GC at a warm-up
 * point and at the end: a leak per case would show as growth. Also whether
 * the modem was still up (the engine resynchronised every time).
 */
import { modemRig } from '../src/sim/rig.js'
import { prng } from '../src/sim/prng.js'

type Figure = { figure: string; value: number; unit: string }

const CASES = Number(process.env.LINEWATCH_BENCH_FUZZ_CASES ?? 200_000)
const SAMPLES = [
  '+CREG: 2,1,"18D8","0C3F12",7',
  '+CEREG: 2,1, 1F00, 79D903 ,7',
  '+CREG:002,001,"18d8","ffff"',
  '+CSQ: 17,99',
  '+CLIP: "+79161234567",145,,,,0',
  '+CUSD: 0,"04110430043b0430043d0441003a0020003100320033002c00340035",72',
  '+CLCC: 1,1,4,0,0,"+79031234567",145',
  '+CMTI: "SM",3',
  'RING',
  'NO CARRIER',
  '+CME ERROR: SIM not inserted',
  '> ',
]

function fuzzChunk(rnd: () => number): Buffer {
  if (rnd() < 0.3) return Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)))
  const chars = [...SAMPLES[Math.floor(rnd() * SAMPLES.length)]!]
  for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) chars.splice(Math.floor(rnd() * (chars.length + 1)), rnd() < 0.5 ? 1 : 0, String.fromCharCode(Math.floor(rnd() * 256)))
  return Buffer.from(`\r\n${chars.join('')}${rnd() < 0.9 ? '\r\n' : ''}`, 'latin1')
}

const heapAfterGc = (): number => {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

export async function benchFuzzMemory(): Promise<Figure[]> {
  const rig = modemRig({ pollSeconds: 1, commandTimeoutMs: 500 })
  const { driver, sim, clock, modem } = rig
  rig.commands.length = 0
  sim.on('command', () => rig.commands.length > 1000 && (rig.commands.length = 0)) // the rig's log must not be the leak
  driver.start()
  await driver.settled()
  const rnd = prng(20261123)
  const tick = () => new Promise<void>((r) => setImmediate(r))
  const warm = Math.min(20_000, CASES / 10)
  let warmHeap = 0
  let downAfterBurst = 0
  const t0 = performance.now()
  for (let i = 1; i <= CASES; i++) {
    sim.sendGarbage(fuzzChunk(rnd))
    if (i % 50 === 0) {
      clock.advance(1000) // a poll between bursts: the engine must have resynchronised to get its answer
      for (let k = 0; k < 8; k++) await tick()
      if (!modem().answering) downAfterBurst++
    }
    if (i === warm) warmHeap = heapAfterGc()
  }
  const seconds = (performance.now() - t0) / 1000
  const endHeap = heapAfterGc()
  await driver.stop()
  sim.stop()
  const MiB = 1024 * 1024
  const r = (n: number) => Math.round(n * 100) / 100
  return [
    { figure: `fuzz: cases on the modem line (random bytes, mutated replies)`, value: CASES, unit: 'cases' },
    { figure: `fuzz: heapUsed after ${warm.toLocaleString('en-US')} cases (warm)`, value: r(warmHeap / MiB), unit: 'MiB' },
    { figure: `fuzz: heapUsed after ${CASES.toLocaleString('en-US')} cases`, value: r(endHeap / MiB), unit: 'MiB' },
    { figure: 'fuzz: polls that found the modem not answering', value: downAfterBurst, unit: 'polls' },
    { figure: 'fuzz: cases per second through the whole stack', value: Math.round(CASES / seconds), unit: 'cases/s' },
  ]
}

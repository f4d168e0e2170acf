/**
 * 12. The login (bench-security.ts): what one password check costs the box (scrypt, N=2^14 r=8 p=5),
 *     and how long 1,000 wrong guesses at one user take through the real POST /login with its
 *     brake, on the simulated clock (each 429 is waited out as its Retry-After says). Then the
 *     demo box under LINEWATCH_BENCH_FUZZ_N (20,000) generated hostile requests: requests/s and
 *     RSS before, 2 s after and 32 s after, idle (GC forced when run with --expose-gc, as npm run bench does).
 * Run alone: node dist/scripts/bench-security.js
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { setTimeout } from 'node:timers/promises'
import { hashPassword, verifyPassword } from '../src/auth/passwords.js'
import { runDemo } from '../src/sim/demo.js'
import { throwRequests } from '../src/sim/http-fuzz.js'
import { prng } from '../src/sim/prng.js'
import { FakeClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { WebAuth } from '../src/web/auth.js'
import { buildWebServer } from '../src/web/index.js'

type Figure = { figure: string; value: number; unit: string }

const GUESSES = 1000
const MiB = 1024 * 1024

const FUZZ_N = Number(process.env.LINEWATCH_BENCH_FUZZ_N ?? 20_000)

async function benchFuzzRss(): Promise<Figure[]> {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  try {
    await setTimeout(3000)
    const gc = () => (globalThis as { gc?: () => void }).gc?.()
    gc()
    const before = process.memoryUsage().rss
    const t0 = performance.now()
    const { fives } = await throwRequests(demo.box.web, FUZZ_N, prng(20), () => ({}))
    const seconds = (performance.now() - t0) / 1000
    await setTimeout(2000)
    gc()
    const soon = process.memoryUsage().rss
    // V8's memory reducer gives the grown heap back once the box has been idle a while
    await setTimeout(30_000)
    gc()
    const after = process.memoryUsage().rss
    return [
      { figure: `fuzz: ${FUZZ_N.toLocaleString('en-US')} hostile requests at the demo, answered per second`, value: Math.round(FUZZ_N / seconds), unit: 'req/s' },
      { figure: 'fuzz: of them answered 5xx', value: fives.length, unit: 'requests' },
      { figure: 'fuzz: RSS before', value: Number((before / MiB).toFixed(1)), unit: 'MiB' },
      { figure: 'fuzz: RSS 2 s after', value: Number((soon / MiB).toFixed(1)), unit: 'MiB' },
      { figure: 'fuzz: RSS 32 s after (idle)', value: Number((after / MiB).toFixed(1)), unit: 'MiB' },
      { figure: 'fuzz: RSS 32 s after / before', value: Math.round((after / before) * 100), unit: '%' },
    ]
  } finally {
    await demo.stop()
  }
}

export async function benchSecurity(): Promise<Figure[]> {
  return [...(await benchLogin()), ...(await benchFuzzRss())]
}

async function benchLogin(): Promise<Figure[]> {
  const hash = await hashPassword('the right password')
  const times: number[] = []
  const rss0 = process.memoryUsage().rss
  let rssPeak = rss0
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now()
    await verifyPassword(`guess ${i}`, hash)
    times.push(performance.now() - t0)
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }
  times.sort((a, b) => a - b)

  const dir = await mkdtemp(join(tmpdir(), 'linewatch-bench-auth-'))
  const clock = new FakeClock(Date.UTC(2026, 0, 1))
  const store = new StateStore({ site: 's', box: 'b', version: 'bench', startedAt: 0 }, clock)
  const auth = new WebAuth({ mode: 'required', sessionHours: 12, setupMinutes: 0, clock, log: silentLogger() })
  auth.open(dir)
  await auth.credentials.setPassword('admin', 'the right password', 'admin', 0)
  const app = buildWebServer({ config: { host: '127.0.0.1', port: 0, auth: 'required', tls: 'off', sessionHours: 12, setupMinutes: 0 }, auth, store, log: silentLogger(), mqttConnected: () => false })
  const start = clock.now()
  let checked = 0
  let braked = 0
  const wall0 = performance.now()
  while (checked < GUESSES) {
    const res = await app.inject({ method: 'POST', url: '/login', payload: `user=admin&password=guess-${checked}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    if (res.statusCode === 429) {
      braked++
      clock.advance(Number(res.headers['retry-after']) * 1000)
    } else if (res.statusCode === 401) checked++
    else throw new Error(`unexpected ${res.statusCode}`)
  }
  const wall = performance.now() - wall0
  await app.close()
  await rm(dir, { recursive: true, force: true })
  return [
    { figure: 'login: one password check (scrypt N=2^14 r=8 p=5), median of 10', value: Number(times[5]!.toFixed(1)), unit: 'ms' },
    { figure: `login: RSS growth over 10 password checks (MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? 'unset'}; the unit sets 131072)`, value: Number(((rssPeak - rss0) / MiB).toFixed(1)), unit: 'MiB' },
    { figure: `login: ${GUESSES} wrong guesses at one user, on the box's clock (brake)`, value: Number(((clock.now() - start) / 3_600_000).toFixed(1)), unit: 'h' },
    { figure: `login: refusals (429) answered without a check on the way`, value: braked, unit: 'requests' },
    { figure: `login: CPU time of the ${GUESSES} checked guesses (wall, this machine)`, value: Math.round(wall / 1000), unit: 's' },
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `fuzz` or `login` runs that part only
  const only = process.argv[2]
  const figures = only === 'fuzz' ? await benchFuzzRss() : only === 'login' ? await benchLogin() : await benchSecurity()
  for (const f of figures) console.log(`${f.figure}: ${f.value.toLocaleString('en-US')} ${f.unit}`)
}

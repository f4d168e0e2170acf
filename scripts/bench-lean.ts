/**
 * Lean and quick (issue 20): the box's memory and its command line, each next to what it would be without
 * this work, measured in the same run.
 *  - Idle RSS of `linewatch run` (test/helpers/idle-rss.ts) on the one-modem config, the shipped example and
 *    the demo, with the memory settings bin/linewatch.js ships (malloc's environment, V8's flags) and without
 *    them, next to bare Node; the private part.
 *  - What each module costs when imported alone into a fresh node (RSS and heap after a GC, shipped flags):
 *    the table docs/performance.md keeps.
 *  - The settings' CPU cost: scripts/flag-workload.ts (AT framing, a deck's parse and lookups, state to
 *    JSON, a deck in the worker beside the main thread, big buffers) under each flag set and the shipped
 *    settings, the median of 3 processes.
 *  - The command line: wall time of `linewatch route NUMBER` against a running demo box, the median of 9,
 *    next to the same command loading the whole firmware first (what it did before) and to bare Node;
 *    `validate`, `schema` and `--version` too.
 * Needs Linux (/proc) and socat for the modem configs; those rows are left out otherwise.
 */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { bareNodeRss, idleRss, shippedNodeFlags, shippedSettings, type IdleConfig } from '../test/helpers/idle-rss.js'
import { freePort, missing, terminate } from '../test/helpers/real.js'

type Figure = { figure: string; value: number; unit: string }

const dist = fileURLToPath(new URL('../', import.meta.url)) // dist/scripts/ → dist/
const repo = join(dist, '..')
const bin = join(repo, 'bin/linewatch.js')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (x: number, digits = 1) => Number(x.toFixed(digits))
/** No NODE_OPTIONS: a loader in the bench's own environment is no part of what is measured. */
const env = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'))

/** Modules as the box imports them: the libraries, then linewatch's own parts (each with what it pulls in). */
export const MODULES: [name: string, spec: string][] = [
  ['johnny-five (GPIO panel)', 'johnny-five'],
  ['firmata-io (board: firmata)', 'firmata-io'],
  ['modbus-serial (stack light)', 'modbus-serial'],
  ['serialport', 'serialport'],
  ['mqtt', 'mqtt'],
  ['aedes (demo broker)', 'aedes'],
  ['fastify', 'fastify'],
  ['pino', 'pino'],
  ['ajv', 'ajv'],
  ['@sinclair/typebox', '@sinclair/typebox'],
  ['yaml', 'yaml'],
  ['csv-parse', 'csv-parse'],
  ['better-sqlite3 (call records)', 'better-sqlite3'],
  ['uplot (read per request now)', 'uplot'],
  ['src/config (validator)', join(dist, 'src/config/index.js')],
  ['src/report (MQTT)', join(dist, 'src/report/index.js')],
  ['src/web (page, API)', join(dist, 'src/web/index.js')],
  ['src/modem', join(dist, 'src/modem/index.js')],
  ['src/lcr/service (routing)', join(dist, 'src/lcr/service.js')],
  ['src/stats/service (call records)', join(dist, 'src/stats/service.js')],
  ['src/sim/binding (simulator)', join(dist, 'src/sim/binding.js')],
  ['src/panel/build (panel)', join(dist, 'src/panel/build.js')],
  ['src/app (the whole box)', join(dist, 'src/app.js')],
]

const IMPORT_COST = `
const gc = () => { globalThis.gc(); globalThis.gc() }
const spec = process.argv[1]
gc(); const a = process.memoryUsage()
if (spec !== 'none') await import(spec)
gc(); const b = process.memoryUsage()
console.log(JSON.stringify({ rss: (b.rss - a.rss) / 1048576, heap: (b.heapUsed - a.heapUsed) / 1048576 }))`

/** RSS and heap a module adds to a fresh node with the shipped flags: the median of 3 processes. */
export function moduleCost(spec: string): { rss: number; heap: number } {
  const runs: { rss: number; heap: number }[] = []
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['--expose-gc', ...shippedNodeFlags(), '--input-type=module', '-e', IMPORT_COST, spec], { cwd: repo, env: env(), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`import ${spec}: ${r.stderr.slice(-500)}`)
    runs.push(JSON.parse(r.stdout))
  }
  return { rss: median(runs.map((r) => r.rss)), heap: median(runs.map((r) => r.heap)) }
}

type Workloads = Record<'at' | 'deck' | 'lookups' | 'state' | 'worker' | 'big', number>

/** scripts/flag-workload.ts under these V8 flags and malloc environment: each workload the median of 3 processes. */
function flagCost(flags: string[], mallocEnv: Record<string, string> = {}): Workloads {
  const runs = [0, 1, 2].map(() => {
    const r = spawnSync(process.execPath, [...flags, join(dist, 'scripts/flag-workload.js')], { env: { ...env(), ...mallocEnv }, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`flag-workload ${flags.join(' ')}: ${r.stderr.slice(-500)}`)
    return JSON.parse(r.stdout) as Workloads
  })
  const of = (k: keyof Workloads) => median(runs.map((r) => r[k]))
  return { at: of('at'), deck: of('deck'), lookups: of('lookups'), state: of('state'), worker: of('worker'), big: of('big') }
}

function wallMs(args: string[], runs = 9): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    spawnSync(process.execPath, args, { env: env(), stdio: 'ignore' })
    times.push(performance.now() - t0)
  }
  return round(median(times), 0)
}

async function benchCli(): Promise<Figure[]> {
  const port = await freePort()
  const demo = spawn(process.execPath, [bin, 'demo', '--http-port', String(port), '--http-host', '127.0.0.1'], { env: { ...env(), LINEWATCH_LOG_LEVEL: 'error' }, stdio: ['pipe', 'ignore', 'ignore'] })
  try {
    const url = `http://127.0.0.1:${port}`
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break
      await sleep(300)
    }
    const flags = shippedNodeFlags()
    const route = ['route', '+74951234567', '--url', url]
    // before: the command line imported the whole firmware whatever the subcommand
    const before = `const d = ${JSON.stringify(dist)}; await import(d + 'src/app.js'); const { main } = await import(d + 'src/main.js'); process.exit(await main(${JSON.stringify(route)}))`
    return [
      { figure: 'CLI: bare node -e 0 (wall, median of 9)', value: wallMs([...flags, '-e', '0']), unit: 'ms' },
      { figure: 'CLI: linewatch route NUMBER, loading the whole firmware first (before)', value: wallMs([...flags, '--input-type=module', '-e', before]), unit: 'ms' },
      { figure: 'CLI: linewatch route NUMBER (now)', value: wallMs([...flags, bin, ...route]), unit: 'ms' },
      { figure: 'CLI: linewatch --version', value: wallMs([...flags, bin, '--version']), unit: 'ms' },
      { figure: 'CLI: linewatch schema', value: wallMs([...flags, bin, 'schema'], 5), unit: 'ms' },
      { figure: 'CLI: linewatch validate examples/linewatch.yaml', value: wallMs([...flags, bin, 'validate', join(repo, 'examples/linewatch.yaml')], 5), unit: 'ms' },
    ]
  } finally {
    await terminate(demo)
  }
}

async function benchIdle(): Promise<Figure[]> {
  const { startEmbeddedBroker } = await import('../src/sim/broker.js')
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  const out: Figure[] = []
  try {
    out.push({ figure: 'idle RSS: bare Node (a process that only waits)', value: round(await bareNodeRss()), unit: 'MB' })
    const kinds: IdleConfig[] = missing('socat') ? ['demo'] : ['minimal', 'example', 'demo']
    for (const kind of kinds) {
      const now = await idleRss(kind, { mqttUrl: broker.url })
      const bare = await idleRss(kind, { mqttUrl: broker.url, nodeArgs: [] })
      out.push(
        { figure: `idle RSS: linewatch ${kind === 'demo' ? 'demo' : `run, ${kind} config`}, no memory settings`, value: round(bare.rssMb), unit: 'MB' },
        { figure: `idle RSS: linewatch ${kind === 'demo' ? 'demo' : `run, ${kind} config`} (now)`, value: round(now.rssMb), unit: 'MB' },
        { figure: `idle RSS: linewatch ${kind === 'demo' ? 'demo' : `run, ${kind} config`}, private part (RssAnon)`, value: round(now.anonMb), unit: 'MB' },
        { figure: `idle CPU: linewatch ${kind === 'demo' ? 'demo' : `run, ${kind} config`}, no memory settings / shipped`, value: round(bare.cpuPct, 2), unit: `% / ${round(now.cpuPct, 2)} % of a core` },
      )
    }
  } finally {
    await broker.close()
  }
  return out
}

export async function benchLean(): Promise<{ figures: Figure[]; skipped?: string }> {
  if (process.platform !== 'linux') return { figures: [], skipped: 'reads /proc (Linux only)' }
  const figures: Figure[] = [...(await benchIdle()), ...(await benchCli())]
  const none = flagCost([])
  const shipped = shippedSettings()
  const settings: [string, string[], Record<string, string>][] = [
    ['none', [], {}],
    ['--optimize-for-size', ['--optimize-for-size'], {}],
    ['--max-semi-space-size=1', ['--max-semi-space-size=1'], {}],
    ['shipped (malloc environment + V8 flags)', shipped.flags, shipped.env],
  ]
  for (const [name, flags, mallocEnv] of settings) {
    const c = name === 'none' ? none : flagCost(flags, mallocEnv)
    figures.push(
      { figure: `memory settings ${name}: AT framing 4 MB`, value: c.at, unit: `ms (${round(c.at / none.at, 2)} x none)` },
      { figure: `memory settings ${name}: deck of 50k rows parsed and indexed`, value: c.deck, unit: `ms (${round(c.deck / none.deck, 2)} x none)` },
      { figure: `memory settings ${name}: 200k route lookups`, value: c.lookups, unit: `ms (${round(c.lookups / none.lookups, 2)} x none)` },
      { figure: `memory settings ${name}: 20k states to JSON`, value: c.state, unit: `ms (${round(c.state / none.state, 2)} x none)` },
      { figure: `memory settings ${name}: 200k-row deck in the worker beside AT framing`, value: c.worker, unit: `ms (${round(c.worker / none.worker, 2)} x none)` },
      { figure: `memory settings ${name}: 2,000 buffers of 256 KiB`, value: c.big, unit: `ms (${round(c.big / none.big, 2)} x none)` },
    )
  }
  for (const [name, spec] of MODULES) {
    const c = moduleCost(spec)
    figures.push({ figure: `module ${name}: RSS / heap when imported alone`, value: round(c.rss), unit: `MB RSS, ${round(c.heap)} MB heap` })
  }
  return { figures }
}

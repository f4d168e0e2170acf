/**
 * The real box (`linewatch run`) inside the box namespace of a netns Topology,
 * its two uplinks through the two providers, probing the internet namespace.
 * Used by the failover tests and by `npm run bench` (the measured cut-to-switch).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { packageRoot } from '../../src/core/version.js'
import type { Topology } from './netns.js'
import { terminate } from './real.js'

/** bin/linewatch.js, whether this runs as test/helpers/*.ts or as dist/test/helpers/*.js. */
const linewatchBin = () => join(packageRoot(), 'bin', 'linewatch.js')

export interface LabOptions {
  holdDownSeconds: number
  /** Extra probe targets per uplink besides ICMP to both internet targets (e.g. a TCP port of internet-services). */
  extraTargets?: Record<string, unknown>[]
  mqttUrl?: string
  /** Merged into each uplink's `probes` (e.g. suspectTimeoutMs: 0 for the old detection). */
  probes?: Record<string, unknown>
  /** Merged into `failover` (e.g. watchCarrier: false). */
  failover?: Record<string, unknown>
}

export interface Lab {
  box: ChildProcess
  /** What the box logged (stdout and stderr lines). */
  log: string[]
  /** The interface of the default route in use in the box namespace (null: none). */
  routeDev(): Promise<string | null>
  /** Poll (every 20 ms) until the route in use is on `dev`; resolves with performance.now() when seen. */
  waitRoute(dev: string, ms: number): Promise<number>
  stop(): Promise<void>
}

export async function startLab(topo: Topology, opts: LabOptions): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-failover-'))
  const targets = [...topo.targets.map((host) => ({ type: 'icmp', host })), ...(opts.extraTargets ?? [])]
  const config = {
    site: 'lab',
    box: topo.tag,
    board: 'sim',
    uplinks: topo.uplinks.map((u) => ({ id: u.id, interface: u.interface, gateway: u.gateway, probes: { targets, ...opts.probes }, holdDownSeconds: opts.holdDownSeconds })),
    failover: { routes: 'metrics', ...opts.failover },
    // nothing listens there without a broker: the box retries quietly
    mqtt: { url: opts.mqttUrl ?? 'mqtt://127.0.0.1:1', reconnectMaxMs: 5000 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dir },
  }
  const file = join(dir, 'linewatch.json')
  // JSON is YAML: the box reads it as its config file
  await writeFile(file, JSON.stringify(config, null, 2))
  const box = topo.spawnIn('box', process.execPath, [linewatchBin(), 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LINEWATCH_LOG_LEVEL: 'info' } })
  const log: string[] = []
  const collect = (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean))
  box.stdout!.on('data', collect)
  box.stderr!.on('data', collect)
  const routeDev = async () => (await topo.defaultRoutes())[0]?.dev ?? null
  return {
    box,
    log,
    routeDev,
    async waitRoute(dev, ms) {
      const end = performance.now() + ms
      for (;;) {
        if ((await routeDev()) === dev) return performance.now()
        if (box.exitCode !== null) throw new Error(`the box exited (${box.exitCode}): ${log.slice(-5).join(' | ')}`)
        if (performance.now() > end) throw new Error(`no default route on ${dev} after ${ms} ms (routes: ${JSON.stringify(await topo.defaultRoutes())}); box said: ${log.slice(-5).join(' | ')}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop() {
      await terminate(box)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

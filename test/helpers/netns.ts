/**
 * A real internet for uplink-failover tests, built from network namespaces:
 *
 *   box ─up1── isp1 ──┐
 *                     internet (probe targets on lo) ── root namespace (rootAddress)
 *   box ─up2── isp2 ──┘
 *
 * Every call gets its own random tag (names) and subnet octet N (addresses),
 * so several test files can each build one at the same time. Needs root.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { missing } from './real.js'

export type Place = 'box' | 'isp1' | 'isp2' | 'internet'
export type Isp = 'isp1' | 'isp2'
export interface Uplink { id: Isp; interface: 'up1' | 'up2'; address: string; gateway: string }
export interface Route { dev: string; via: string; metric: number }
export interface Result { stdout: string; stderr: string; code: number }

export interface Topology {
  tag: string
  /** The namespaces' real names, for `ip -n` and `ip netns exec`. */
  ns: Record<Place, string>
  uplinks: [Uplink, Uplink]
  /** Two addresses in the internet namespace (198.18.N.1 and .2), the probe targets. */
  targets: [string, string]
  /** An address of the root namespace that the box reaches through whichever provider it routes by. */
  rootAddress: string
  /** Runs a command in a namespace (a Place, or one of `ns`'s names); never throws on a non-zero exit. */
  exec(where: Place | (string & {}), cmd: string, args: string[], input?: string): Promise<Result>
  spawnIn(where: Place | (string & {}), cmd: string, args: string[], opts?: SpawnOptions): ChildProcess
  /** The provider forwards nothing any more, either way (its own addresses still answer). */
  cut(isp: Isp): Promise<void>
  /** About `percent`% of round trips through the provider are lost (see `lossy` below). */
  lossy(isp: Isp, percent: number): Promise<void>
  restore(isp: Isp): Promise<void>
  /** The provider's end of the box's link set down (up): the box's interface loses (regains) its carrier, as a pulled cable. */
  unplug(isp: Isp): Promise<void>
  plug(isp: Isp): Promise<void>
  /** Bytes received plus sent on the box's interface to the provider so far. */
  bytes(isp: Isp): Promise<number>
  /** The box's default routes, lowest metric (the one in use) first. */
  defaultRoutes(): Promise<Route[]>
  /** Deletes everything this topology made; safe to call twice. */
  destroy(): Promise<void>
}

function run(cmd: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('error', (err) => resolve({ stdout, stderr: stderr + err.message, code: 127 }))
    p.on('close', (code, signal) => resolve({ stdout, stderr, code: code ?? (signal ? 128 : 1) }))
    // a command that exits before reading its input is its own failure, not a crash here
    p.stdin?.on('error', () => {}).end(input)
  })
}

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}

let unavailable: string | false | undefined
export function netnsUnavailable(): string | false {
  if (unavailable !== undefined) return unavailable
  unavailable = (() => {
    if (process.getuid?.() !== 0) return 'network namespaces need root'
    const gone = missing('ip') || missing('nft') || missing('ping') || missing('sysctl')
    if (gone) return gone
    const probe = `lw${randomBytes(3).toString('hex')}probe`
    const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
    if (add.status !== 0) return `ip netns add fails: ${(add.stderr || '').trim()}`
    // nf_tables may be missing from the kernel even when nft is installed
    const nft = spawnSync('ip', ['netns', 'exec', probe, 'nft', 'add table inet lwprobe'], { encoding: 'utf8' })
    spawnSync('ip', ['netns', 'del', probe])
    return nft.status === 0 ? false : `nftables does not work in a namespace: ${(nft.stderr || '').trim()}`
  })()
  return unavailable
}

/** Our own nftables table in a provider's namespace: replaced whole each time, so every call is idempotent. */
const TABLE = 'linewatch_test'
const table = (rule: string) =>
  `add table inet ${TABLE}\ndelete table inet ${TABLE}\n` +
  (rule ? `table inet ${TABLE} {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n  ${rule}\n }\n}\n` : '')

const alive = new Set<() => void>()
let hooked = false

export async function makeTopology(): Promise<Topology> {
  const tag = randomBytes(3).toString('hex')
  const ns: Record<Place, string> = { box: `lw${tag}box`, isp1: `lw${tag}isp1`, isp2: `lw${tag}isp2`, internet: `lw${tag}internet` }
  const rootLink = `lw${tag}` // 8 characters; the only name in the shared root namespace
  const made: string[] = [] // only what we created, so a failed start never deletes another run's namespace
  let linked = false
  let n = 0
  const name = (where: string) => {
    const real = (ns as Record<string, string>)[where] ?? where
    if (!Object.values(ns).includes(real)) throw new Error(`not a namespace of topology ${tag}: ${where}`)
    return real
  }
  const ip = (where: Place, ...args: string[]) => must('ip', ['-n', ns[where], ...args])

  // a test process that dies (uncaught exception, process.exit) skips its teardowns
  const sync = () => {
    for (const place of made) spawnSync('sh', ['-c', 'kill -9 $(ip netns pids "$0") 2>/dev/null; ip netns del "$0"', place], { stdio: 'ignore' })
    if (linked) spawnSync('ip', ['link', 'del', rootLink], { stdio: 'ignore' })
  }
  if (!hooked) process.once('exit', () => alive.forEach((f) => f()))
  hooked = true
  alive.add(sync)
  const destroy = async () => {
    alive.delete(sync)
    for (const place of [...made].reverse()) {
      // a process still inside keeps the namespace (and its veths) alive after `ip netns del`
      const pids = (await run('ip', ['netns', 'pids', place])).stdout.split(/\s+/).filter(Boolean)
      for (const pid of pids) try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone already */ }
      await run('ip', ['netns', 'del', place])
    }
    made.length = 0
    // deleting one end of a veth deletes the other, and the route with it
    if (linked) await run('ip', ['link', 'del', rootLink])
    linked = false
  }

  try {
    for (const place of Object.keys(ns) as Place[]) {
      await must('ip', ['netns', 'add', ns[place]])
      made.push(ns[place])
      // before any interface exists, so the new ones inherit default.rp_filter=0: replies may
      // come in on the uplink the box's default route does not use
      await must('ip', ['netns', 'exec', ns[place], 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', `net.ipv4.ip_forward=${place === 'box' ? 0 : 1}`])
      await ip(place, 'link', 'set', 'lo', 'up')
    }

    // Pick N: free in the root namespace, and the route add below fails (EEXIST) if a parallel run took it meanwhile.
    await must('ip', ['link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'root', 'netns', ns.internet])
    linked = true
    await ip('internet', 'link', 'set', 'root', 'up')
    await must('ip', ['link', 'set', rootLink, 'up'])
    for (let attempt = 0; ; attempt++) {
      const taken = (await must('ip', ['-4', 'route', 'show', 'table', 'all'])) + (await must('ip', ['-4', 'addr']))
      n = 100 + randomInt(151)
      if (taken.includes(`10.${n}.`) && attempt < 20) continue
      await must('ip', ['addr', 'add', `10.${n}.254.1/30`, 'dev', rootLink])
      const r = await run('ip', ['route', 'add', `10.${n}.0.0/16`, 'via', `10.${n}.254.2`, 'dev', rootLink])
      if (r.code === 0) break
      await must('ip', ['addr', 'flush', 'dev', rootLink])
      if (attempt >= 20) throw new Error(`no free 10.N.0.0/16 for the topology: ${r.stderr.trim()}`)
    }
    await ip('internet', 'addr', 'add', `10.${n}.254.2/30`, 'dev', 'root')

    const targets: [string, string] = [`198.18.${n}.1`, `198.18.${n}.2`]
    for (const t of targets) await ip('internet', 'addr', 'add', `${t}/32`, 'dev', 'lo')

    for (const k of [1, 2] as const) {
      const isp = `isp${k}` as const
      // created inside the namespaces, so names like up1 never meet other runs' in the root namespace
      await ip('box', 'link', 'add', `up${k}`, 'type', 'veth', 'peer', 'name', 'box', 'netns', ns[isp])
      await ip(isp, 'link', 'add', 'inet', 'type', 'veth', 'peer', 'name', isp, 'netns', ns.internet)
      await ip('box', 'addr', 'add', `10.${n}.${k}.2/24`, 'dev', `up${k}`)
      await ip(isp, 'addr', 'add', `10.${n}.${k}.1/24`, 'dev', 'box')
      await ip(isp, 'addr', 'add', `10.${n}.1${k}.1/30`, 'dev', 'inet')
      await ip('internet', 'addr', 'add', `10.${n}.1${k}.2/30`, 'dev', isp)
      for (const [where, dev] of [['box', `up${k}`], [isp, 'box'], [isp, 'inet'], ['internet', isp]] as const) await ip(where, 'link', 'set', dev, 'up')
      await ip(isp, 'route', 'add', 'default', 'via', `10.${n}.1${k}.2`)
      // not NATed: the internet routes each box subnet back through its own provider
      await ip('internet', 'route', 'add', `10.${n}.${k}.0/24`, 'via', `10.${n}.1${k}.1`)
    }

    const exec: Topology['exec'] = (where, cmd, args, input) => run('ip', ['netns', 'exec', name(where), cmd, ...args], input)
    const nft = async (isp: Isp, rule: string) => {
      const r = await exec(isp, 'nft', ['-f', '-'], table(rule))
      if (r.code !== 0) throw new Error(`nft in ${ns[isp]} failed: ${r.stderr.trim()}`)
    }
    return {
      tag,
      ns,
      uplinks: [
        { id: 'isp1', interface: 'up1', address: `10.${n}.1.2`, gateway: `10.${n}.1.1` },
        { id: 'isp2', interface: 'up2', address: `10.${n}.2.2`, gateway: `10.${n}.2.1` },
      ],
      targets,
      rootAddress: `10.${n}.254.1`,
      exec,
      // ip netns exec execs the command, so the child's pid is the command's own (terminate() reaches it)
      spawnIn: (where, cmd, args, opts = {}) => spawn('ip', ['netns', 'exec', name(where), cmd, ...args], opts),
      cut: (isp) => nft(isp, 'drop'),
      // A round trip crosses the provider twice; dropping q of the packets each way loses
      // 1-(1-q)² of round trips, so q = 1-√(1-p) makes lossy(isp, 50) lose about half the pings.
      lossy: (isp, percent) => {
        const q = 1 - Math.sqrt(1 - Math.min(Math.max(percent, 0), 100) / 100)
        return nft(isp, `numgen random mod 10000 < ${Math.round(q * 10000)} drop`)
      },
      restore: (isp) => nft(isp, ''),
      unplug: async (isp) => void (await ip(isp, 'link', 'set', 'box', 'down')),
      plug: async (isp) => void (await ip(isp, 'link', 'set', 'box', 'up')),
      async bytes(isp) {
        const [link] = JSON.parse(await ip('box', '-j', '-s', 'link', 'show', `up${isp.slice(3)}`)) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[]
        return link!.stats64.rx.bytes + link!.stats64.tx.bytes
      },
      async defaultRoutes() {
        const routes = JSON.parse((await ip('box', '-j', 'route', 'show', 'default')) || '[]') as { dev: string; gateway?: string; metric?: number }[]
        return routes.map((r) => ({ dev: r.dev, via: r.gateway ?? '', metric: r.metric ?? 0 })).sort((a, b) => a.metric - b.metric)
      },
      destroy,
    }
  } catch (err) {
    await destroy()
    throw err
  }
}

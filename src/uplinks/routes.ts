import { execFile } from 'node:child_process'
import { errorMessage } from '../core/errors.js'

/** One uplink's default route as the box wants it. */
export interface UplinkRoute {
  id: string
  interface: string
  gateway: string
  /** The lowest metric carries the traffic. */
  metric: number
  /** Its own table, looked up for packets from its address, so its probes leave by it whatever the main table says. */
  table: number
  /** Its IPv4 address now (null while it has none: no rule then). */
  address: string | null
}

/** What sets the routes: iproute2 on a real box, a table in memory in the simulator. */
export interface RouteControl {
  /** Each uplink's default route with its metric, and its source rule; idempotent (run again to repair). */
  apply(routes: UplinkRoute[]): Promise<void>
  /** Forget the connections of an address that no longer works; the count deleted, or why nothing was done. */
  flushConntrack(address: string): Promise<{ deleted: number } | { skipped: string }>
}

export type Run = (cmd: string, args: string[]) => Promise<{ stdout: string; stderr: string }>

const RUN_TIMEOUT_MS = 5000
/** Rule priorities: before the main table (32766), out of the way of hand-made rules near 0. */
const RULE_PRIORITY = 1000

export const execRun: Run = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: RUN_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException
        const said = String(stderr).trim()
        reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${e.code === 'ENOENT' ? 'not installed' : said || errorMessage(err)}`), { code: e.code, stderr: said }))
      } else resolve({ stdout: String(stdout), stderr: String(stderr) })
    })
  })

interface IpRoute {
  dst: string
  gateway?: string
  dev?: string
  metric?: number
}
interface IpRule {
  priority: number
  src?: string
  srclen?: number
  table?: string
}

/**
 * Routes by iproute2: every uplink keeps a default route (so each can be
 * probed and taken at once), and the metrics say which carries the traffic.
 * A route's metric cannot be changed in place, so the new one is added
 * before the old is deleted: there is never a moment without a default route,
 * and the uplink taking the traffic is promoted before anything is demoted.
 * In this mode the box owns the default routes of its uplinks: one put there
 * by DHCP with another metric is replaced.
 */
export class IpRouteControl implements RouteControl {
  /** The route last put first (gateway, device, metric): a new one is promoted before anything is read. */
  #top: string | null = null

  constructor(private readonly run: Run = execRun) {}

  async apply(routes: UplinkRoute[]): Promise<void> {
    const first = [...routes].sort((a, b) => a.metric - b.metric)[0]
    const top = first ? `${first.gateway} ${first.interface} ${first.metric}` : null
    // a switch: the traffic moves by this one command, without waiting for a process that lists the routes
    if (first && top !== this.#top) await this.run('ip', ['route', 'replace', 'default', 'via', first.gateway, 'dev', first.interface, 'metric', String(first.metric)])
    this.#top = top
    const present = JSON.parse((await this.run('ip', ['-j', '-4', 'route', 'show', 'default'])).stdout || '[]') as IpRoute[]
    // Promotion first, lowest metric first: IPv4's `replace` swaps the route holding that metric in
    // place, whatever its device, so one command moves the traffic from the old uplink to the new one
    // (no moment without a default route, none with the old one or a dead third one as the lowest).
    // The uplink it came from then gets its own demoted metric (metric + 100 + its index: no step
    // collides), and each device's routes of other metrics go.
    for (const r of [...routes].sort((a, b) => a.metric - b.metric)) {
      const mine = present.filter((p) => p.dev === r.interface)
      if (!mine.some((p) => p.gateway === r.gateway && (p.metric ?? 0) === r.metric)) {
        // replace, not add: a route of this metric with another gateway (changed config, DHCP) is swapped in one step
        await this.run('ip', ['route', 'replace', 'default', 'via', r.gateway, 'dev', r.interface, 'metric', String(r.metric)])
        // what held that metric is gone now, whichever device it was on
        for (let i = present.length - 1; i >= 0; i--) if ((present[i]!.metric ?? 0) === r.metric) present.splice(i, 1)
        present.push({ dst: 'default', gateway: r.gateway, dev: r.interface, metric: r.metric })
      }
      for (const old of present.filter((p) => p.dev === r.interface)) {
        if (old.gateway === r.gateway && (old.metric ?? 0) === r.metric) continue
        const via = old.gateway ? ['via', old.gateway] : []
        await this.#tolerate(['route', 'del', 'default', ...via, 'dev', r.interface, 'metric', String(old.metric ?? 0)], /No such process/)
        present.splice(present.indexOf(old), 1)
      }
    }
    const rules = JSON.parse((await this.run('ip', ['-j', '-4', 'rule', 'show'])).stdout || '[]') as IpRule[]
    for (const [i, r] of routes.entries()) {
      await this.run('ip', ['route', 'replace', 'default', 'via', r.gateway, 'dev', r.interface, 'table', String(r.table)])
      const ours = rules.filter((x) => x.table === String(r.table))
      const wanted = r.address
      for (const x of ours) if (x.src !== wanted || x.srclen !== 32) await this.#tolerate(['rule', 'del', 'priority', String(x.priority), 'table', String(r.table)], /No such file/)
      if (wanted && !ours.some((x) => x.src === wanted && x.srclen === 32)) await this.run('ip', ['rule', 'add', 'from', `${wanted}/32`, 'lookup', String(r.table), 'priority', String(RULE_PRIORITY + i)])
    }
  }

  async flushConntrack(address: string): Promise<{ deleted: number } | { skipped: string }> {
    let deleted = 0
    // the box's own connections from that address (-s), and those NATed to it (--reply-dst)
    for (const sel of [['-s', address], ['--reply-dst', address]]) {
      try {
        deleted += countDeleted((await this.run('conntrack', ['-D', ...sel])).stderr)
      } catch (err) {
        const e = err as { code?: string; stderr?: string }
        if (e.code === 'ENOENT') return { skipped: 'conntrack is not installed' }
        // conntrack exits 1 when nothing matched: that is not a failure
        if (e.stderr && /0 flow entries/.test(e.stderr)) continue
        return { skipped: errorMessage(err) }
      }
    }
    return { deleted }
  }

  async #tolerate(args: string[], benign: RegExp): Promise<void> {
    try {
      await this.run('ip', args)
    } catch (err) {
      if (!benign.test(errorMessage(err))) throw err
    }
  }
}

/** "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted." */
function countDeleted(said: string): number {
  const m = /(\d+) flow entr/.exec(said)
  return m ? Number(m[1]) : 0
}

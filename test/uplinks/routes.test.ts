import t from 'tap'
import { IpRouteControl, type Run, type UplinkRoute } from '../../src/uplinks/routes.js'

interface Route {
  gateway?: string
  dev: string
  metric: number
  protocol?: string
}
interface Rule {
  priority: number
  src?: string
  srclen?: number
  table: string
}

/** An error as execRun makes it: the command, then what the tool said. */
function failure(cmd: string, args: string[], said: string, code: number | string = 2): Error {
  return Object.assign(new Error(`${cmd} ${args.join(' ')}: ${said}`), { code, stderr: said })
}

/**
 * `ip` in memory: the main table's default routes, the uplinks' own tables and the rules, answering
 * `-j` shows as iproute2 does and refusing as the kernel does (IPv4: two default routes with one metric
 * are "File exists"; deleting what is not there "No such process"). Every mutating command is checked:
 * the main table must never be left without a default route once it had one.
 */
class FakeIp {
  main: Route[] = []
  tables = new Map<string, { gateway: string; dev: string }>()
  rules: Rule[] = [
    { priority: 0, table: 'local' },
    { priority: 32766, table: 'main' },
    { priority: 32767, table: 'default' },
  ]
  commands: string[] = []
  refused: string[] = []
  /** Every moment the main table had no default route, after a command. */
  gaps: string[] = []
  /** The device of the lowest-metric default route after each command that changed the main table. */
  lowest: string[] = []
  /** Refuse the commands matching this, with this text. */
  fail: { match: RegExp; said: string } | null = null

  readonly run: Run = async (cmd, args) => {
    const line = `${cmd} ${args.join(' ')}`
    this.commands.push(line)
    if (cmd !== 'ip') throw failure(cmd, args, 'not installed', 'ENOENT')
    if (this.fail && this.fail.match.test(line)) throw failure(cmd, args, this.fail.said)
    const had = this.main.length
    const before = JSON.stringify(this.main)
    const out = this.#ip(args)
    if (had > 0 && this.main.length === 0) this.gaps.push(line)
    if (JSON.stringify(this.main) !== before) this.lowest.push([...this.main].sort((x, y) => x.metric - y.metric)[0]?.dev ?? '-')
    return { stdout: out, stderr: '' }
  }

  #refuse(args: string[], said: string): never {
    this.refused.push(`${args.join(' ')} → ${said}`)
    throw failure('ip', args, said)
  }

  #ip(args: string[]): string {
    const a = args.join(' ')
    if (a === '-j -4 route show default')
      return JSON.stringify(
        this.main.map((r) => ({ dst: 'default', ...(r.gateway ? { gateway: r.gateway } : {}), dev: r.dev, ...(r.protocol ? { protocol: r.protocol } : {}), ...(r.metric ? { metric: r.metric } : {}), flags: [] })),
      )
    if (a === '-j -4 rule show') return JSON.stringify(this.rules.map((r) => ({ priority: r.priority, src: r.src ?? 'all', ...(r.srclen !== undefined ? { srclen: r.srclen } : {}), table: r.table })))
    let m = /^route add default via (\S+) dev (\S+) metric (\d+)$/.exec(a)
    if (m) {
      const metric = Number(m[3])
      if (this.main.some((r) => r.metric === metric)) this.#refuse(args, 'RTNETLINK answers: File exists')
      this.main.push({ gateway: m[1]!, dev: m[2]!, metric })
      return ''
    }
    m = /^route replace default via (\S+) dev (\S+) metric (\d+)$/.exec(a)
    if (m) {
      // IPv4 replaces the route of that metric in place, whatever its gateway and device, or adds one
      const metric = Number(m[3])
      const i = this.main.findIndex((r) => r.metric === metric)
      const route = { gateway: m[1]!, dev: m[2]!, metric }
      if (i >= 0) this.main[i] = route
      else this.main.push(route)
      return ''
    }
    m = /^route del default (?:via (\S+) )?dev (\S+) metric (\d+)$/.exec(a)
    if (m) {
      const [, gw, dev, metric] = m
      const i = this.main.findIndex((r) => r.dev === dev && r.metric === Number(metric) && (gw === undefined || r.gateway === gw))
      if (i < 0) this.#refuse(args, 'RTNETLINK answers: No such process')
      this.main.splice(i, 1)
      return ''
    }
    m = /^route replace default via (\S+) dev (\S+) table (\d+)$/.exec(a)
    if (m) {
      this.tables.set(m[3]!, { gateway: m[1]!, dev: m[2]! })
      return ''
    }
    m = /^rule del priority (\d+) table (\d+)$/.exec(a)
    if (m) {
      const i = this.rules.findIndex((r) => r.priority === Number(m![1]) && r.table === m![2])
      if (i < 0) this.#refuse(args, 'RTNETLINK answers: No such file or directory')
      this.rules.splice(i, 1)
      return ''
    }
    m = /^rule add from (\S+)\/32 lookup (\d+) priority (\d+)$/.exec(a)
    if (m) {
      const rule = { priority: Number(m[3]), src: m[1]!, srclen: 32, table: m[2]! }
      if (this.rules.some((r) => r.priority === rule.priority && r.src === rule.src && r.table === rule.table)) this.#refuse(args, 'RTNETLINK answers: File exists')
      this.rules.push(rule)
      this.rules.sort((x, y) => x.priority - y.priority)
      return ''
    }
    throw new Error(`the fake ip does not know: ip ${a}`)
  }

  /** The main table's default routes, lowest metric first, as "dev via gw metric m". */
  get defaults(): string[] {
    return [...this.main].sort((x, y) => x.metric - y.metric).map((r) => `${r.dev} via ${r.gateway ?? '-'} metric ${r.metric}`)
  }

  /** Our rules (not the kernel's three), as "from a/32 lookup t priority p". */
  get ours(): string[] {
    return this.rules.filter((r) => r.src).map((r) => `from ${r.src}/${r.srclen} lookup ${r.table} priority ${r.priority}`)
  }

  /** The commands that changed something, since `from`. */
  changes(from = 0): string[] {
    return this.commands.slice(from).filter((c) => !c.startsWith('ip -j'))
  }
}

const A = (patch: Partial<UplinkRoute> = {}): UplinkRoute => ({ id: 'a', interface: 'eth0', gateway: '192.0.2.1', metric: 10, table: 100, address: '192.0.2.10', ...patch })
const B = (patch: Partial<UplinkRoute> = {}): UplinkRoute => ({ id: 'b', interface: 'eth1', gateway: '198.51.100.1', metric: 111, table: 101, address: '198.51.100.10', ...patch })
const C = (patch: Partial<UplinkRoute> = {}): UplinkRoute => ({ id: 'c', interface: 'wwan0', gateway: '203.0.113.1', metric: 112, table: 102, address: '203.0.113.10', ...patch })

/** The routes as the monitor makes them with `active` carrying the traffic (metric 10; the others 10 + 100 + index). */
function withActive(active: string, list = [A, B, C]): UplinkRoute[] {
  return list.map((make, i) => {
    const r = make()
    return { ...r, metric: r.id === active ? 10 : 110 + i }
  })
}

t.test('first apply: a default route per uplink with its metric, its own table, a rule from its address', async (t) => {
  const ip = new FakeIp()
  await new IpRouteControl(ip.run).apply([A(), B()])
  t.same(ip.defaults, ['eth0 via 192.0.2.1 metric 10', 'eth1 via 198.51.100.1 metric 111'])
  t.same(Object.fromEntries(ip.tables), { 100: { gateway: '192.0.2.1', dev: 'eth0' }, 101: { gateway: '198.51.100.1', dev: 'eth1' } })
  t.same(ip.ours, ['from 192.0.2.10/32 lookup 100 priority 1000', 'from 198.51.100.10/32 lookup 101 priority 1001'])
  t.same(ip.refused, [], 'nothing refused')
  t.same(ip.changes(), [
    'ip route replace default via 192.0.2.1 dev eth0 metric 10',
    'ip route replace default via 198.51.100.1 dev eth1 metric 111',
    'ip route replace default via 192.0.2.1 dev eth0 table 100',
    'ip rule add from 192.0.2.10/32 lookup 100 priority 1000',
    'ip route replace default via 198.51.100.1 dev eth1 table 101',
    'ip rule add from 198.51.100.10/32 lookup 101 priority 1001',
  ])
})

t.test('switching the active uplink: never without a default route, never two with one metric', async (t) => {
  const ip = new FakeIp()
  const ctl = new IpRouteControl(ip.run)
  await ctl.apply(withActive('a'))
  t.same(ip.defaults, ['eth0 via 192.0.2.1 metric 10', 'eth1 via 198.51.100.1 metric 111', 'wwan0 via 203.0.113.1 metric 112'])
  const from = ip.commands.length
  ip.lowest = []
  await ctl.apply(withActive('b'))
  t.same(ip.defaults, ['eth1 via 198.51.100.1 metric 10', 'eth0 via 192.0.2.1 metric 110', 'wwan0 via 203.0.113.1 metric 112'])
  t.same(ip.changes(from).filter((c) => / route (replace|del) default .* metric /.test(c)), [
    'ip route replace default via 198.51.100.1 dev eth1 metric 10',
    'ip route del default via 198.51.100.1 dev eth1 metric 111',
    'ip route replace default via 192.0.2.1 dev eth0 metric 110',
  ], 'the promotion first: one replace takes metric 10 from eth0; then eth0 gets its demoted route')
  t.same(ip.lowest, ['eth1', 'eth1', 'eth1'], 'the traffic moved by the first command, straight from eth0 to eth1: never by wwan0')
  t.equal(ip.commands[from], 'ip route replace default via 198.51.100.1 dev eth1 metric 10', 'that command comes first: nothing is read before it')
  // every way from one to another, and back
  const order = ['c', 'a', 'c', 'b', 'a', 'b', 'c', 'a']
  for (const active of order) {
    await ctl.apply(withActive(active))
    const want = withActive(active).sort((x, y) => x.metric - y.metric)
    t.same(ip.defaults, want.map((r) => `${r.interface} via ${r.gateway} metric ${r.metric}`), `on ${active}`)
  }
  t.same(ip.refused, [], 'no command was refused (no "File exists", no "No such process")')
  t.same(ip.gaps, [], 'no command left the table without a default route')
})

t.test('a route put there by DHCP with another metric is replaced; other interfaces are left alone', async (t) => {
  const ip = new FakeIp()
  ip.main = [
    { gateway: '192.0.2.1', dev: 'eth0', metric: 100, protocol: 'dhcp' },
    { gateway: '198.51.100.1', dev: 'eth1', metric: 0, protocol: 'dhcp' },
    { gateway: '10.9.9.1', dev: 'wlan0', metric: 600, protocol: 'dhcp' },
  ]
  await new IpRouteControl(ip.run).apply([A(), B()])
  t.same(ip.defaults, ['eth0 via 192.0.2.1 metric 10', 'eth1 via 198.51.100.1 metric 111', 'wlan0 via 10.9.9.1 metric 600'])
  t.ok(ip.commands.includes('ip route del default via 198.51.100.1 dev eth1 metric 0'), 'a route without a metric is deleted as metric 0')
  t.same(ip.refused, [])
  t.same(ip.gaps, [])
})

t.test('a default route by another gateway on the device is replaced', async (t) => {
  const ip = new FakeIp()
  ip.main = [{ gateway: '192.0.2.254', dev: 'eth0', metric: 100, protocol: 'dhcp' }]
  await new IpRouteControl(ip.run).apply([A()])
  t.same(ip.defaults, ['eth0 via 192.0.2.1 metric 10'])
  t.same(ip.gaps, [])
})

// The device already has a default route with the wanted metric but another gateway (the gateway changed in the
// config, or DHCP chose the same metric): it must be swapped in place, never deleted after a refused add.
t.test('a gateway changed with the metric kept: replaced, never without a default route', async (t) => {
  const ip = new FakeIp()
  ip.main = [{ gateway: '192.0.2.254', dev: 'eth0', metric: 10 }]
  await new IpRouteControl(ip.run).apply([A()])
  t.same(ip.defaults, ['eth0 via 192.0.2.1 metric 10'], 'the new gateway in place')
  t.same(ip.gaps, [], 'no command left the table without a default route')
})

t.test('applying the same routes again changes no route and no rule', async (t) => {
  const ip = new FakeIp()
  const ctl = new IpRouteControl(ip.run)
  await ctl.apply(withActive('b'))
  const from = ip.commands.length
  await ctl.apply(withActive('b'))
  const again = ip.changes(from)
  t.same(
    again.filter((c) => / route (add|del) | route replace default .* metric | rule (add|del) /.test(c)),
    [],
    'no route or rule added or deleted',
  )
  t.same(again, ['ip route replace default via 192.0.2.1 dev eth0 table 100', 'ip route replace default via 198.51.100.1 dev eth1 table 101', 'ip route replace default via 203.0.113.1 dev wwan0 table 102'], 'only the idempotent table routes')
  t.same(ip.refused, [])
})

t.test('a new address replaces the rule; no address, no rule', async (t) => {
  const ip = new FakeIp()
  const ctl = new IpRouteControl(ip.run)
  await ctl.apply([A(), B()])
  let from = ip.commands.length
  await ctl.apply([A({ address: '192.0.2.20' }), B()])
  t.same(ip.ours, ['from 192.0.2.20/32 lookup 100 priority 1000', 'from 198.51.100.10/32 lookup 101 priority 1001'])
  t.same(ip.changes(from).filter((c) => / rule /.test(c)), ['ip rule del priority 1000 table 100', 'ip rule add from 192.0.2.20/32 lookup 100 priority 1000'])
  from = ip.commands.length
  await ctl.apply([A({ address: '192.0.2.20' }), B({ address: null })])
  t.same(ip.ours, ['from 192.0.2.20/32 lookup 100 priority 1000'], 'the address gone: its rule gone')
  t.same(ip.changes(from).filter((c) => / rule /.test(c)), ['ip rule del priority 1001 table 101'])
  t.same(Object.fromEntries(ip.tables)[101], { gateway: '198.51.100.1', dev: 'eth1' }, 'the table route stays')

  const fresh = new FakeIp()
  await new IpRouteControl(fresh.run).apply([A({ address: null })])
  t.same(fresh.ours, [], 'null from the start: no rule')
  t.same(fresh.defaults, ['eth0 via 192.0.2.1 metric 10'])
  t.same(fresh.rules.length, 3, "the kernel's own rules untouched")
})

t.test('iproute2 refusing something else: apply rejects with its text', async (t) => {
  const ip = new FakeIp()
  ip.fail = { match: /route replace default via \S+ dev \S+ metric/, said: 'Error: Nexthop has invalid gateway.' }
  await t.rejects(new IpRouteControl(ip.run).apply([A()]), { message: /Nexthop has invalid gateway/ })
})

/** conntrack as it answers: the count on stderr; exit 1 with "0 flow entries" when nothing matched. */
function conntrack(answers: Record<string, number | 'ENOENT' | Error>): { run: Run; calls: string[][] } {
  const calls: string[][] = []
  const run: Run = async (cmd, args) => {
    calls.push([cmd, ...args])
    const a = answers[args[1]!]
    if (a === 'ENOENT') throw Object.assign(new Error(`${cmd} ${args.join(' ')}: not installed`), { code: 'ENOENT' })
    if (a instanceof Error) throw a
    const said = `conntrack v1.4.7 (conntrack-tools): ${a ?? 0} flow entries have been deleted.`
    if (!a) throw failure(cmd, args, said, 1)
    return { stdout: '', stderr: said + '\n' }
  }
  return { run, calls }
}

t.test('flushConntrack sums what -s and --reply-dst deleted', async (t) => {
  const c = conntrack({ '-s': 3, '--reply-dst': 2 })
  t.same(await new IpRouteControl(c.run).flushConntrack('192.0.2.10'), { deleted: 5 })
  t.same(c.calls, [
    ['conntrack', '-D', '-s', '192.0.2.10'],
    ['conntrack', '-D', '--reply-dst', '192.0.2.10'],
  ])
})

t.test('flushConntrack: exit 1 with "0 flow entries" counts as 0', async (t) => {
  t.same(await new IpRouteControl(conntrack({ '-s': 0, '--reply-dst': 4 }).run).flushConntrack('192.0.2.10'), { deleted: 4 })
  t.same(await new IpRouteControl(conntrack({ '-s': 0, '--reply-dst': 0 }).run).flushConntrack('192.0.2.10'), { deleted: 0 })
})

t.test('flushConntrack: not installed, or refused', async (t) => {
  t.same(await new IpRouteControl(conntrack({ '-s': 'ENOENT' }).run).flushConntrack('192.0.2.10'), { skipped: 'conntrack is not installed' })
  const denied = failure('conntrack', ['-D', '-s', '192.0.2.10'], 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted', 1)
  const r = await new IpRouteControl(conntrack({ '-s': denied }).run).flushConntrack('192.0.2.10')
  t.match(r, { skipped: /Operation not permitted/ })
})

import { readFile } from 'node:fs/promises'
import t from 'tap'
import { formatProblem, validateConfigText } from '../../src/config/index.js'
import { DEMO_CONFIG_YAML } from '../../src/sim/demo-config.js'

/** Two wired uplinks and a metered one; line numbers below count from `site:` (line 1). */
const GOOD = `site: shop1
box: closet
board: sim
uplinks:
  - id: wan1
    interface: eth0
    gateway: 192.168.1.1
    probes:
      targets:
        - { type: icmp, host: 1.1.1.1 }
        - { type: tcp, host: 8.8.8.8, port: 443 }
  - id: wan2
    interface: eth1
    gateway: 10.0.0.1
    probes:
      targets:
        - { type: http, url: "http://connectivitycheck.gstatic.com/generate_204" }
        - { type: dns, host: 77.88.8.8, name: ya.ru }
  - id: lte
    interface: wwan0
    gateway: 10.64.64.64
    metered: true
    probes:
      targets:
        - { type: icmp, host: 1.1.1.1 }
`

function problems(text: string): string[] {
  const r = validateConfigText(text)
  return r.problems.map(formatProblem)
}

/** GOOD with one line replaced (the `from` text must occur exactly once). */
function edit(from: string, to: string, text = GOOD): string {
  if (text.split(from).length !== 2) throw new Error(`"${from}" is not in the config exactly once`)
  return text.replace(from, to)
}

t.test('a good config with two wired uplinks and a metered one passes, defaults filled in', async (t) => {
  const r = validateConfigText(GOOD)
  t.same(r.problems, [])
  t.match(r.config, {
    failover: { routes: 'metrics', metric: 10, table: 100, flushConntrack: true, meteredReportSeconds: 300 },
    uplinks: [
      {
        id: 'wan1',
        metered: false,
        probes: { everyMs: 1000, timeoutMs: 1000, standbyEveryMs: 30000, targets: [{ type: 'icmp', host: '1.1.1.1' }, { type: 'tcp', host: '8.8.8.8', port: 443 }] },
        thresholds: { downAfter: 3, downLossPct: 50, upAfter: 5, upLossPct: 20, windowRounds: 30, degradedMos: 3.6, recoverMos: 3.8 },
        holdDownSeconds: 30,
      },
      { id: 'wan2', metered: false, probes: { everyMs: 1000 }, thresholds: { downAfter: 3 }, holdDownSeconds: 30 },
      { id: 'lte', metered: true, holdDownSeconds: 30 },
    ],
  })
  t.equal(r.config?.uplinks[0]?.preference, undefined, 'no preference given: the order in the list decides (at run time)')
  t.equal(r.config?.uplinks[0]?.probes.failWhen, undefined, 'no failWhen: all targets must fail')
})

t.test('each probe type needs its own fields', async (t) => {
  t.same(problems(edit('{ type: tcp, host: 8.8.8.8, port: 443 }', '{ type: tcp, host: 8.8.8.8 }')), ['uplinks[0].probes.targets[1]: a tcp probe needs "port" (line 11)'])
  t.same(problems(edit('{ type: tcp, host: 8.8.8.8, port: 443 }', '{ type: tcp, port: 443 }')), ['uplinks[0].probes.targets[1]: a tcp probe needs "host" (line 11)'])
  t.same(problems(edit('        - { type: icmp, host: 1.1.1.1 }\n        - { type: tcp', '        - { type: icmp }\n        - { type: tcp')), ['uplinks[0].probes.targets[0]: a icmp probe needs "host" (line 10)'])
  t.same(problems(edit('{ type: http, url: "http://connectivitycheck.gstatic.com/generate_204" }', '{ type: http, host: example.com }')), ['uplinks[1].probes.targets[0]: a http probe needs "url" (line 17)'])
  t.same(problems(edit('{ type: dns, host: 77.88.8.8, name: ya.ru }', '{ type: dns, name: ya.ru }')), ['uplinks[1].probes.targets[1]: a dns probe needs "host" (line 18)'])
})

t.test('the schema refuses an unknown probe type, an empty target list, a bad gateway, a bad url', async (t) => {
  t.same(problems(edit('{ type: icmp, host: 1.1.1.1 }\n        - { type: tcp', '{ type: udp, host: 1.1.1.1 }\n        - { type: tcp')), ['uplinks[0].probes.targets[0].type: must be one of: icmp, tcp, http, dns (line 10)'])
  t.same(problems(edit(`    metered: true
    probes:
      targets:
        - { type: icmp, host: 1.1.1.1 }
`, `    metered: true
    probes:
      targets: []
`)), ['uplinks[2].probes.targets: must NOT have fewer than 1 items (line 24)'])
  t.same(problems(edit('gateway: 192.168.1.1', 'gateway: 300.1.1.1')), [`uplinks[0].gateway: must match pattern "${'^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$'}" (line 7)`])
  t.match(problems(edit('gateway: 192.168.1.1', 'gateway: 192.168.1')), [/^uplinks\[0\]\.gateway: must match pattern .* \(line 7\)$/])
  t.match(problems(edit('url: "http://connectivitycheck', 'url: "ftp://connectivitycheck')), [/^uplinks\[1\]\.probes\.targets\[0\]\.url: must match pattern "\^https\?:\/\/" \(line 17\)$/])
  t.same(problems(edit('    interface: eth0\n', '    interface: eth0\n    colour: red\n')), ['uplinks[0].colour: unknown key "colour" (line 7)'])
})

t.test('failWhen at most the number of targets', async (t) => {
  const failWhen = (n: number) => edit('    probes:\n      targets:\n        - { type: icmp, host: 1.1.1.1 }\n        - { type: tcp', `    probes:\n      failWhen: ${n}\n      targets:\n        - { type: icmp, host: 1.1.1.1 }\n        - { type: tcp`)
  t.same(problems(failWhen(2)), [], 'both of two')
  t.same(problems(failWhen(3)), ['uplinks[0].probes.failWhen: at most the number of targets (2) (line 9)'])
})

t.test('the round, MOS and loss thresholds must make sense together', async (t) => {
  const probes = (extra: string) => edit('    gateway: 10.0.0.1\n    probes:\n', `    gateway: 10.0.0.1\n    probes:\n${extra}`)
  t.same(problems(probes('      everyMs: 500\n      timeoutMs: 800\n')), ['uplinks[1].probes.timeoutMs: at most probes.everyMs (500): a round must end before the next starts (line 17)'])
  t.same(problems(probes('      everyMs: 500\n      timeoutMs: 500\n')), [], 'timeoutMs = everyMs is allowed')
  t.same(problems(probes('      timeoutMs: 2000\n')), ['uplinks[1].probes.timeoutMs: at most probes.everyMs (1000): a round must end before the next starts (line 16)'], 'against the default everyMs too')
  const thresholds = (body: string) => edit('    metered: true\n', `    metered: true\n    thresholds: { ${body} }\n`)
  t.same(problems(thresholds('degradedMos: 3.8, recoverMos: 3.5')), ['uplinks[2].thresholds.recoverMos: at least degradedMos (3.8) (line 23)'])
  t.same(problems(thresholds('degradedMos: 3.6, recoverMos: 3.6')), [], 'recoverMos = degradedMos is allowed')
  t.same(problems(thresholds('recoverMos: 3.5')), ['uplinks[2].thresholds.recoverMos: at least degradedMos (3.6) (line 23)'], 'against the default degradedMos')
  t.same(problems(thresholds('upLossPct: 30, downLossPct: 30')), ['uplinks[2].thresholds.upLossPct: below downLossPct (30) (line 23)'])
  t.same(problems(thresholds('upLossPct: 60')), ['uplinks[2].thresholds.upLossPct: below downLossPct (50) (line 23)'])
  t.same(problems(thresholds('upLossPct: 29, downLossPct: 30')), [])
})

t.test('metrics mode needs every gateway; report mode does not', async (t) => {
  const noGateway = edit('    gateway: 10.0.0.1\n', '')
  t.same(problems(noGateway), ['uplinks[1].gateway: needed when failover.routes is "metrics" (the box sets the default route through it); or set failover.routes to "report" (line 12)'], 'metrics by default')
  t.same(problems(`${noGateway}failover:\n  routes: metrics\n`), ['uplinks[1].gateway: needed when failover.routes is "metrics" (the box sets the default route through it); or set failover.routes to "report" (line 12)'])
  const report = validateConfigText(`${noGateway}failover:\n  routes: report\n`)
  t.same(report.problems, [])
  t.equal(report.config?.failover.routes, 'report')
  t.same(problems(`${GOOD}failover:\n  routes: static\n`), ['failover.routes: must be one of: metrics, report (line 27)'])
})

t.test('one uplink per interface, one per preference, no mixing of sim: and real ones, unique ids', async (t) => {
  t.same(problems(edit('interface: eth1', 'interface: eth0')), ['uplinks[1].interface: interface "eth0" is already used by uplinks[0] (line 13)'])
  const prefs = edit('    interface: wwan0\n', '    interface: wwan0\n    preference: 1\n', edit('    interface: eth0\n', '    interface: eth0\n    preference: 1\n'))
  t.same(problems(prefs), ['uplinks[2].preference: preference 1 is already used by uplinks[0] (line 22)'])
  const distinct = edit('    interface: wwan0\n', '    interface: wwan0\n    preference: 3\n', edit('    interface: eth0\n', '    interface: eth0\n    preference: 1\n'))
  t.same(problems(distinct), [], 'different preferences are fine')
  t.same(problems(edit('interface: eth1', 'interface: sim:wan2')), ['uplinks[1].interface: simulated (sim:) and real uplinks cannot be mixed (line 13)'])
  const allSim = GOOD.replace('interface: eth0', 'interface: sim:wan1').replace('interface: eth1', 'interface: sim:wan2').replace('interface: wwan0', 'interface: sim:lte')
  t.same(problems(allSim), [], 'all simulated is fine')
  t.same(problems(edit('id: wan2', 'id: wan1')), ['uplinks[1].id: duplicate uplink id "wan1" (line 12)'])
})

t.test('the example config and the demo config have uplinks and validate', async (t) => {
  const example = await readFile(new URL('../../examples/linewatch.yaml', import.meta.url), 'utf8')
  for (const [name, text] of [['examples/linewatch.yaml', example], ['DEMO_CONFIG_YAML', DEMO_CONFIG_YAML]] as const) {
    const r = validateConfigText(text)
    t.same(r.problems.map(formatProblem), [], `${name} is valid`)
    t.ok((r.config?.uplinks.length ?? 0) >= 2, `${name} shows failover between uplinks`)
  }
})

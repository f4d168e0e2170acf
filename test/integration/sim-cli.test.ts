/**
 * `linewatch run` against `linewatch sim modem` over a socat pseudo-terminal
 * pair: two processes, as an installer would try the box before the gateway
 * arrives. Each personality's identity, registration and caller ID must reach
 * MQTT, and a hang must start the recovery ladder.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { freePort, missing, socatPair } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'
import { linewatch, sigterm, type Running } from '../helpers/cli.js'

/** Stop it and give its exit code. */
const stop = async (r: Running) => (await sigterm(r)).code

/**
 * `linewatch sim modem` on one end of a socat pair and `linewatch run` on the other, with modem gw1 on
 * the box's end. `yaml` is the rest of the config (mqtt, http, lines...). Both stop at teardown.
 */
async function simAndBox(t: Test, personality: string, modem: string, yaml: (dir: string) => Promise<string>): Promise<{ sim: Running; box: Running }> {
  const pty = await socatPair()
  t.teardown(() => pty.close())
  const sim = linewatch(['sim', 'modem', '--port', pty.gateway, '--personality', personality])
  t.teardown(() => void stop(sim))
  await waitFor(() => sim.output().includes('simulated'), 10_000, 'the simulated modem to start')
  const dir = tempDir(t, 'lw-simcli-')
  const config = join(dir, 'linewatch.yaml')
  await writeFile(config, `site: bench\nbox: b1\nboard: sim\nmodems: [{ id: gw1, port: "${pty.box}", ${modem} }]\nstorage: { dir: "${join(dir, 'state')}" }\n${await yaml(dir)}`)
  const box = linewatch(['run', '--config', config])
  t.teardown(() => void stop(box))
  return { sim, box }
}

for (const personality of ['quectel', 'simcom', 'huawei'] as const) {
  t.test(`linewatch run against linewatch sim modem --personality ${personality}`, { skip: missing('socat') }, async (t) => {
    const broker = await startEmbeddedBroker('127.0.0.1', 0)
    t.teardown(() => broker.close())
    const watch = await MqttWatch.open(broker.url, 'linewatch/bench/b1/#')
    t.teardown(() => watch.close())
    const { sim, box } = await simAndBox(t, personality, 'pollSeconds: 1, commandTimeoutMs: 500', async () =>
      `lines: [{ id: gsm1, kind: gsm, modem: gw1 }]\nmqtt: { url: "${broker.url}", reconnectMinMs: 200 }\nhttp: { host: 127.0.0.1, port: ${await freePort()} }\n`,
    )
    const base = 'linewatch/bench/b1'
    const modem = () => watch.last(`${base}/modem/gw1`) as { state?: string; identity?: { manufacturer: string | null; model: string | null }; lac?: string } | undefined
    await watch.until(() => modem()?.state === 'up' && modem()?.identity?.model !== null, 'modem up and identified', 15_000)
    t.match(modem(), { state: 'up', registration: 'home', lac: '18D8', cellId: '0C3F12', signal: { csq: 21, rssiDbm: -71 }, sim: 'READY' })
    t.notOk(/personality/.test(JSON.stringify(modem())), 'nothing simulator-specific leaks')
    const expected = { quectel: 'Quectel', simcom: 'SIMCOM_Ltd', huawei: 'huawei' }[personality]
    t.equal(modem()?.identity?.manufacturer, expected, 'identity from the module')

    sim.proc.stdin!.write('ring +79031234567\n')
    await watch.until(() => watch.seen.some((s) => s.topic === `${base}/call` && s.payload.includes('"callerId":"+79031234567"')), 'caller id on MQTT')

    // a hang only a reset clears (the reply path is stuck): nobody types anything more, the box must bring it back
    sim.proc.stdin!.write('hang\n')
    const recovery = (step: string) => watch.seen.some((s) => s.topic === `${base}/event` && s.payload.includes('"type":"recovery"') && s.payload.includes(`"step":"${step}"`))
    await watch.until(() => recovery('soft-reset'), 'the recovery ladder to start', 15_000)
    await watch.until(() => recovery('recovered') && modem()?.state === 'up', 'recovered by itself', 20_000)
    t.match(sim.output(), /<- AT\+CFUN=1,1/, 'by the soft reset the simulator heard')

    t.equal(await stop(box), 0, 'linewatch run stops cleanly')
    t.equal(await stop(sim), 0, 'the simulator stops cleanly')
  })
}

t.test('over a real pty: an SMS in Cyrillic (three parts) and a test call through the HTTP API of linewatch run', { skip: missing('socat') }, async (t) => {
  const port = await freePort()
  const token = 'pty-test-token-0123456789'
  const { sim, box } = await simAndBox(t, 'simcom', 'pollSeconds: 2, commandTimeoutMs: 1000', async () =>
    `mqtt: { url: "mqtt://127.0.0.1:${await freePort()}" }\nhttp: { host: 127.0.0.1, port: ${port}, token: ${token} }\n`,
  )
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    return { status: res.status, json: (await res.json()) as Record<string, unknown> }
  }
  await waitFor(async () => ((await api('/api/v1/state').catch(() => null))?.json.modems as Record<string, { state: string }> | undefined)?.gw1?.state === 'up', 20_000, 'modem up')
  const text = 'Линия gsm1 не работает с 12:30. Звонки переведены на sip1, номер на сайте заменён. Проверьте SIM-карту и оплату у оператора.'
  const sms = await api('/api/v1/modems/gw1/sms', { to: '+79031234567', text })
  t.equal(sms.status, 200, JSON.stringify(sms.json))
  t.match(sms.json, { encoding: 'ucs2', mode: 'pdu', parts: 2 })
  await waitFor(() => sim.output().includes('(part 2/2)'), 5000, 'the module to have sent both parts')
  const shown = [...sim.output().matchAll(/SMS to \+79031234567 \(part \d\/2\): (.*)/g)].map((m) => m[1]).join('')
  t.equal(shown, text, 'the module got the text whole, in two parts, over the pty')
  const call = await api('/api/v1/modems/gw1/dial', { number: '+74951234567', ringSeconds: 20 })
  t.equal(call.status, 200, JSON.stringify(call.json))
  t.match(call.json, { direction: 'out', number: '+74951234567', outcome: 'answered' })
  t.match(sim.output(), /<- ATD\+74951234567;/)
  t.match(sim.output(), /<- ATH/)
  const calls = await api('/api/v1/calls')
  t.match((calls.json.calls as unknown[]).at(-1), { direction: 'out', dialed: '+74951234567', state: 'ended', outcome: 'answered' })
  t.equal((await api('/api/v1/modems/gw1/dial', { number: 'not a number' })).status, 400)
  t.equal(await stop(box), 0)
  t.equal(await stop(sim), 0)
})

t.test('linewatch sim: bad usage and unknown personality are refused', async (t) => {
  const a = linewatch(['sim', 'modem'])
  t.equal((await a.exited).code, 2)
  const b = linewatch(['sim', 'modem', '--port', '/dev/null', '--personality', 'nokia'])
  t.equal((await b.exited).code, 1)
  t.match(b.output(), /unknown personality "nokia"/)
})

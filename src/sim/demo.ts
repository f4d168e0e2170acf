import { packageRoot } from '../core/version.js'
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import mqtt from 'mqtt'
import type { FastifyInstance } from 'fastify'
import { Box } from '../app.js'
import { validateConfigText, formatProblem, isLoopback, type Config } from '../config/index.js'
import { errorMessage } from '../core/errors.js'
import { createLogger } from '../core/logger.js'
import type { MqttLogEntry } from '../web/index.js'
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js'
import { lineAction, modemAction, pressButton, uplinkAction, LINE_ACTIONS, MODEM_ACTIONS, UPLINK_ACTIONS } from './controls.js'
import { SIM_UPLINK_PREFIX } from './internet.js'
import { SimIO } from './gpio.js'
import { readSentSms } from './sms-text.js'
import { DEMO_CONFIG_YAML } from './demo-config.js'

export interface DemoOptions {
  mqttUrl?: string
  httpPort?: number
  httpHost?: string
  /** Read commands from this stream (the terminal); none when absent. */
  input?: NodeJS.ReadableStream
  print?: (line: string) => void
}

export interface RunningDemo {
  box: Box
  broker: EmbeddedBroker | null
  stop(): Promise<void>
}

export const HELP = `commands:
  break <modem>            the modem loses registration (the line goes down)
  heal <modem>             registered again, answering, good signal
  ring <modem> [number]    an incoming call with caller ID (or "withheld")
  mute <modem>             the modem hangs hard: watch the box soft-reset it, then press its power key
                           (twice: the key toggles) and, for gsm2, cut its power
  hang <modem>             a hang a soft reset cures; unmute <modem> answers again by hand
  reboot <modem>           the module restarts by itself (its own watchdog)
  slow <modem> [ms]        replies come late (slow 0: normal again)
  vanish / return <modem>  its USB port disappears / comes back
  power-off / power-on <modem>  its supply goes / comes back
  weak <modem> [csq]       weak signal; strong <modem> for a good one
  garbage <modem>          noise bytes on the serial line
  sms <modem> <number> <text>   send an SMS (long or Cyrillic texts too); the module prints what it sent
  dial <modem> <number>    a call: dial, wait for the answer, hang up
  cut / restore <line>     an analog line's cable is cut (voltage gone: down at once) / mended
  cut / restore <uplink>   an uplink's provider drops every packet / is normal again (wan1, wan2, lte)
  lossy <uplink> [pct]     the provider loses pct % of packets (default 5: reported, no switch)
  slow <uplink> [ms]       the provider's round trip becomes ms (default 400: degraded for calls)
  deafen <line>            the exchange stops putting calls through to an analog line (voltage stays)
  call <line> [number]     an incoming call rings an analog line's ring-detect input
  test <line>              a test call to a line from the other modem: does the ring arrive?
  press                    press the panel's silence button
  hold                     hold the silence button for 3 s: the lamp test
  stack off / stack on     the stack light stops answering on its RS-485 line / answers again
  state                    print the lines, the uplinks and the panel
  quit                     stop the demo`

export function demoConfig(opts: DemoOptions, brokerUrl: string, stateDir: string): Config {
  const result = validateConfigText(DEMO_CONFIG_YAML)
  if (!result.config) throw new Error(`demo config invalid: ${result.problems.map(formatProblem).join('; ')}`)
  const c = result.config
  c.mqtt.url = brokerUrl
  c.http.port = opts.httpPort ?? 8080
  c.http.host = opts.httpHost ?? '127.0.0.1'
  // the one documented exception to the login: the demo on loopback; on any other address it asks for one like a real box
  c.http.auth = isLoopback(c.http.host) ? 'none' : 'required'
  c.storage.dir = stateDir
  // the demo's rate decks are the examples shipped with the package
  for (const p of c.routing.plans) p.deck.file = join(packageRoot(), 'examples', p.deck.file)
  return c
}

/** The whole box on simulated hardware, an embedded broker unless one is given, the page on localhost. */
export async function runDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`))
  const broker = opts.mqttUrl ? null : await startEmbeddedBroker()
  // each demo its own throw-away state folder, removed when it stops
  const config = demoConfig(opts, opts.mqttUrl ?? broker!.url, mkdtempSync(join(tmpdir(), 'linewatch-demo-')))
  // the embedded broker (aedes) speaks 3.1.1 only: no MQTT 5 attempt to be refused first
  if (broker) config.mqtt.protocol = '3.1.1'
  const mqttLog = new EventEmitter<{ message: [MqttLogEntry] }>()
  let box: Box | null = null
  const extraRoutes = (app: FastifyInstance) => {
    // the page's simulator buttons: /api/v1/sim/<modem|line|uplink>/<name>/<action>
    for (const [part, act] of [['modem', modemAction], ['line', lineAction], ['uplink', uplinkAction]] as const) {
      app.post<{ Params: { name: string; action: string }; Querystring: { arg?: string } }>(`/api/v1/sim/${part}/:name/:action`, async (req, reply) => {
        try {
          const said = act(box!.simulator!, req.params.name, req.params.action, req.query.arg)
          print(`[page] ${said}`)
          return { ok: true, message: said }
        } catch (err) {
          return reply.code(400).send({ ok: false, error: errorMessage(err) })
        }
      })
    }
    app.post('/api/v1/sim/button/press', async () => {
      await pressButton(simIo(box!), Number(config.panel.button!.pin))
      print('[page] silence button pressed')
      return { ok: true }
    })
  }
  box = new Box({ config, log: createLogger({ level: process.env.LINEWATCH_LOG_LEVEL ?? 'warn', destination: process.stderr }), web: { mqttLog, extraRoutes } })
  for (const [name, sim] of box.simulator!.modems) {
    sim.on('sms', (sms) => {
      const m = readSentSms(sms)
      print(`[${name} module] SMS to ${m.to ?? '?'}${m.part ? ` (part ${m.part})` : ''}: ${m.text}`)
    })
  }
  try {
    await box.start()
  } catch (err) {
    // the box stopped its own parts; the broker and the state folder are the demo's
    await broker?.close()
    rmSync(config.storage.dir!, { recursive: true, force: true })
    throw err
  }

  // Watch what the box publishes, for the terminal and the page.
  const watcher = mqtt.connect(config.mqtt.url, { clientId: `linewatch-demo-watch-${process.pid}`, reconnectPeriod: 2000 })
  watcher.on('connect', () => void watcher.subscribeAsync(`${box!.mqtt.base}/#`).catch(() => {}))
  watcher.on('error', () => {})
  watcher.on('message', (topic, payload, packet) => {
    const entry = { topic, payload: payload.toString(), retain: packet.retain, ts: Date.now() }
    mqttLog.emit('message', entry)
    if (!topic.includes('/modem/')) print(`[mqtt] ${topic}${entry.retain ? ' (retained)' : ''} ${entry.payload.slice(0, 160)}`)
  })

  print(`linewatch demo: page ${box.httpUrl}  broker ${config.mqtt.url}  topics ${box.mqtt.base}/#`)
  print(`type "help" for commands; Ctrl-C to stop`)

  let rl: ReturnType<typeof createInterface> | null = null
  const stop = async () => {
    rl?.close()
    await box!.stop()
    await watcher.endAsync(true).catch(() => {})
    await broker?.close()
    rmSync(config.storage.dir!, { recursive: true, force: true })
  }
  if (opts.input) {
    rl = createInterface({ input: opts.input })
    rl.on('line', (text) => {
      const [cmd, name, arg] = text.trim().split(/\s+/)
      try {
        if (!cmd) return
        if (cmd === 'help') print(HELP)
        else if (cmd === 'press') void pressButton(simIo(box!), Number(config.panel.button!.pin)).then(() => print('silence button pressed'))
        else if (cmd === 'hold') void pressButton(simIo(box!), Number(config.panel.button!.pin), config.panel.button!.holdSeconds * 1000 + 200).then(() => print('silence button held: lamp test'))
        else if (cmd === 'stack') print(stackLightAction(box!, name))
        else if (cmd === 'state') print(describe(box!))
        else if (cmd === 'sms' || cmd === 'dial') void modemCommand(box!, text, print)
        else if (cmd === 'test') void box!.testCalls.run(name ?? '').then((r) => print(`test call to ${r.line}: ${r.ok ? 'passed' : 'FAILED'}: ${r.detail}`), (err: unknown) => print(errorMessage(err)))
        else if (cmd === 'quit' || cmd === 'exit') process.kill(process.pid, 'SIGTERM')
        else if ((UPLINK_ACTIONS as readonly string[]).includes(cmd) && box!.simulator!.internet?.links.has(`${SIM_UPLINK_PREFIX}${name}`)) print(uplinkAction(box!.simulator!, name ?? '', cmd, arg))
        else if ((MODEM_ACTIONS as readonly string[]).includes(cmd)) print(modemAction(box!.simulator!, name ?? '', cmd, arg))
        else if ((LINE_ACTIONS as readonly string[]).includes(cmd)) print(lineAction(box!.simulator!, name ?? '', cmd, arg))
        else print(`unknown command "${cmd}"; type "help"`)
      } catch (err) {
        print(errorMessage(err))
      }
    })
  }
  return { box, broker, stop }
}

/** `sms <modem> <number> <text>` and `dial <modem> <number>`: the driver's own calls, as the HTTP API makes them. */
async function modemCommand(box: Box, text: string, print: (l: string) => void): Promise<void> {
  const [cmd, id, number, ...words] = text.trim().split(/\s+/)
  const driver = box.modems.find((m) => m.id === id)
  if (!driver || !number) return print(`usage: ${cmd === 'sms' ? 'sms <modem> <number> <text>' : 'dial <modem> <number>'} (modems: ${box.modems.map((m) => m.id).join(', ')})`)
  try {
    if (cmd === 'sms') {
      const r = await driver.sendSms(number, words.join(' '))
      print(`${id}: SMS to ${number} sent in ${r.parts} part(s), ${r.encoding} (${r.mode} mode)`)
    } else {
      print(`${id}: dialling ${number}`)
      const c = await driver.dial(number, { ringSeconds: 20, talkSeconds: 2 })
      print(`${id}: call to ${number} ${c.outcome}`)
    }
  } catch (err) {
    print(`${id}: ${errorMessage(err)}`)
  }
}

function describe(box: Box): string {
  const s = box.store.snapshot
  const lines = Object.values(s.lines).map((l) => `  line ${l.id}: ${l.state} — ${l.reason}${l.transition ? ` (→ ${l.transition.to}${l.transition.at ? ` at ${new Date(l.transition.at).toLocaleTimeString()}` : ''})` : ''}`)
  const lamps = s.panel.lamps.map((l) => `${l.id}=${l.color}${l.pattern === 'steady' || l.pattern === 'off' ? '' : `(${l.pattern})`}`).join(' ')
  const uplinks = Object.values(s.uplinks).map((u) => `  uplink ${u.id}${u.active ? ' (in use)' : ''}: ${u.state} — ${u.reason}${u.mos !== null ? ` [loss ${u.lossPct}%, rtt ${u.rttMs} ms, MOS ${u.mos}]` : ''}`)
  return [...lines, ...uplinks, `  panel: ${lamps} buzzer=${s.panel.buzzer.on ? s.panel.buzzer.pattern : s.panel.buzzer.quiet ? 'quiet-hours' : s.panel.buzzer.muted ? 'silenced' : 'off'}`].join('\n')
}

/** The demo's board is always the simulated one. */
function simIo(box: Box): SimIO {
  if (!(box.io instanceof SimIO)) throw new Error('the demo needs board: sim')
  return box.io
}

function stackLightAction(box: Box, what: string | undefined): string {
  const slave = box.simulator?.modbus.get('stacklight')
  if (!slave) return 'no simulated stack light'
  if (what !== 'on' && what !== 'off') return 'stack on | stack off'
  slave.setAnswering(what === 'on')
  return what === 'on' ? 'stack light answers again (the box writes it at its next retry: retrySeconds, backing off to a minute)' : 'stack light stops answering: watch the alert, the GPIO lamps go on'
}

/** The simulated box: `linewatch demo`, `linewatch sim modem`, `linewatch sim day`. */
import { parseArgs } from 'node:util'
import { MODEM_BAUD_RATES } from '../config/schema.js'
import { errorMessage } from '../core/errors.js'
import { runSimModem } from '../sim/cli.js'
import { runDemo } from '../sim/demo.js'
import { formatDay, runDay, type Fault } from '../sim/day.js'
import { untilSignal } from './signals.js'

export async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'mqtt-url': { type: 'string' }, 'http-port': { type: 'string' }, 'http-host': { type: 'string' } } })
  const port = values['http-port'] === undefined ? undefined : Number(values['http-port'])
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--http-port: not a port number: ${values['http-port']}\n`)
    return 2
  }
  const running = await runDemo({ mqttUrl: values['mqtt-url'], httpPort: port, httpHost: values['http-host'], input: process.stdin })
  return untilSignal(() => running.stop())
}

export async function sim(args: string[]): Promise<number> {
  if (args[0] === 'day') return simDay(args.slice(1))
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, personality: { type: 'string', default: 'quectel' }, baud: { type: 'string', default: '115200' } },
  })
  if (positionals[0] !== 'modem' || positionals.length > 1 || !values.port) {
    process.stderr.write('usage: linewatch sim modem --port PATH [--personality quectel|simcom|huawei] [--baud N]\n       linewatch sim day [--seed N] [--fault deaf|cut] [--at HH:MM] [--json]\n')
    return 2
  }
  // the rates a modem's `baudRate` may have (docs/configuration.md)
  if (!(MODEM_BAUD_RATES as readonly number[]).includes(Number(values.baud))) {
    process.stderr.write(`--baud: one of ${MODEM_BAUD_RATES.join(', ')}, not ${values.baud}\n`)
    return 2
  }
  let running: Awaited<ReturnType<typeof runSimModem>>
  try {
    running = await runSimModem({
      port: values.port,
      personality: values.personality!,
      baudRate: Number(values.baud),
      input: process.stdin,
      print: (l) => process.stdout.write(`${l}\n`),
    })
  } catch (err) {
    process.stderr.write(`linewatch sim: ${errorMessage(err)}\n`)
    return 1
  }
  return untilSignal(() => running.stop())
}

async function simDay(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { seed: { type: 'string', default: '1' }, fault: { type: 'string', default: 'deaf' }, at: { type: 'string', default: '11:40' }, json: { type: 'boolean', default: false } } })
  const seed = Number(values.seed)
  const at = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(values.at!)
  const problem = !Number.isInteger(seed) ? `--seed: not an integer: ${values.seed}` : values.fault !== 'deaf' && values.fault !== 'cut' ? `--fault: deaf or cut, not ${values.fault}` : !at ? `--at: HH:MM, not ${values.at}` : null
  if (problem) {
    process.stderr.write(`${problem}\n`)
    return 2
  }
  const report = await runDay({ seed, fault: values.fault as Fault, dieAt: Number(at![1]) * 60 + Number(at![2]) })
  process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatDay(report)}\n`)
  return 0
}

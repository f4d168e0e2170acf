import { spawn } from 'node:child_process'
import { unwatchFile, watchFile } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Box } from './app.js'
import { ConfigError, jsonSchema, loadConfig, formatProblem, type Config } from './config/index.js'
import { BoxRunner, runConfig } from './config/reload.js'
import { panelOfBrokenConfig, runConfigErrorPanel } from './panel/config-error.js'
import { ErrorCode, errorMessage, hasCode, LinewatchError } from './core/errors.js'
import { createLogger } from './core/logger.js'
import { systemClock } from './core/clock.js'
import { SystemdNotifier } from './core/sd-notify.js'
import { Watchdog } from './core/watchdog.js'
import { VERSION } from './core/version.js'
import { runRoute } from './lcr/cli.js'
import { runPasswd, runToken } from './auth/cli.js'
import { exitCode, formatTable, runChecks } from './doctor/index.js'
import { applyBootFiles, HTTPS_STEP } from './firstboot/apply.js'
import { runSimModem } from './sim/cli.js'
import { runDemo } from './sim/demo.js'
import { formatDay, runDay, type Fault } from './sim/day.js'

export const DEFAULT_CONFIG = '/etc/linewatch/linewatch.yaml'
/** SIGTERM must leave nothing running within 2 s; this is the last resort. */
const HARD_STOP_MS = 1900

const USAGE = `linewatch ${VERSION} — call-center line watch box

usage:
  linewatch run [--config FILE]           run the box (default config ${DEFAULT_CONFIG})
  linewatch demo [--mqtt-url URL] [--http-port N] [--http-host H]
                                          the whole box on simulated hardware, page on http://127.0.0.1:8080
  linewatch validate FILE                 check a config; exit 1 with "path: message (line N)" per problem
  linewatch firstboot [--boot DIR] [--etc DIR] [--state DIR]
                                          apply the installer's files on the boot partition (factory reset,
                                          linewatch.yaml, admin and web passwords, Wi-Fi, SSH key, host name);
                                          secrets are removed from it
  linewatch doctor [--config FILE] [--json]
                                          check everything an installer can get wrong (config, modems and SIMs,
                                          GPIO, Modbus, MQTT, uplinks, clock, disk), each with its fix; exit 1 on a failure
  linewatch sim modem --port PATH [--personality quectel|simcom|huawei] [--baud N]
                                          a simulated module on a serial device (e.g. one end of a socat pty pair)
  linewatch sim day [--seed N] [--fault deaf|cut] [--at HH:MM] [--json]
                                          a scripted day at a store on the simulated clock: line 1 dies at 11:40;
                                          when each detector fired, without and with four weeks of history
  linewatch route NUMBER [--url URL] [--token T] [--json]
                                          ask the running box which paths a call to NUMBER takes, cheapest first
  linewatch passwd [USER] [--role viewer|operator|admin] [--remove]
                                          set a web user's password (default user admin), from the terminal or
                                          the first line of stdin; --remove deletes the user
  linewatch token add NAME --scope S[,S…] | list | revoke NAME
                                          API tokens: made with scopes (read, route, report, operate, admin, pbx,
                                          viewer, operator), shown once, stored hashed; revoked at once
                                          (passwd and token take [--config FILE | --state DIR])
  linewatch schema                        print the config's JSON Schema
  linewatch --version | --help

exit codes: 0 ok, 1 a config problem or a failure at start, 2 a usage error`

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return command ? 0 : 2
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  try {
    switch (command) {
      case 'validate':
        return await validate(rest)
      case 'schema':
        process.stdout.write(`${JSON.stringify(jsonSchema(), null, 2)}\n`)
        return 0
      case 'run':
        return await run(rest)
      case 'demo':
        return await demo(rest)
      case 'sim':
        return await sim(rest)
      case 'route':
        return await runRoute(rest)
      case 'doctor':
        return await doctor(rest)
      case 'firstboot':
        return await firstboot(rest)
      case 'passwd':
        return await runPasswd(rest, DEFAULT_CONFIG)
      case 'token':
        return await runToken(rest, DEFAULT_CONFIG)
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`)
        return 2
    }
  } catch (err) {
    if (err instanceof ConfigError || hasCode(err, ErrorCode.CONFIG_UNREADABLE)) {
      process.stderr.write(`${err.message}\n`)
      return 1
    }
    const errno = err as NodeJS.ErrnoException & { address?: string; port?: number }
    if (errno.code === 'EADDRINUSE' || errno.code === 'EACCES' || errno.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`linewatch: cannot listen on ${errno.address ?? ''}:${errno.port ?? ''}: ${errno.code}\n`)
      return 1
    }
    if (err instanceof LinewatchError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`linewatch: ${errorMessage(err)}\n`)
      return 2
    }
    throw err
  }
}

async function validate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
  const file = positionals[0]
  if (!file) {
    process.stderr.write('usage: linewatch validate FILE\n')
    return 2
  }
  try {
    await loadConfig(file)
    process.stdout.write(`${file}: ok\n`)
    return 0
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${file}: ${formatProblem(p)}\n`)
      return 1
    }
    process.stderr.write(`${errorMessage(err)}\n`)
    return 1
  }
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG } } })
  // every file the box writes (alerts, outbox, queues, decks, learnt rates) is its own: 0600, folders 0700
  process.umask(0o077)
  const file = values.config!
  const log = createLogger()
  let config: Config
  let source: string
  try {
    ;({ config, source } = await runConfig(file, log))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return showConfigError(file, err)
  }
  if (source !== file) log.warn({ config: source }, "running on the config the office sent (reload-config); an edit of the installer's file takes over again")
  // the office's reload-config restarts the box on a new config: the runner outlives each box
  const runner = new BoxRunner({
    file,
    config,
    clock: systemClock,
    log,
    make: (c, r) => new Box({ config: c, log, configDir: dirname(resolve(file)), reloadConfig: (req) => r.reload(req) }),
  })
  // a SIGTERM while the box starts (it may be online on MQTT already) is kept, and honoured once started:
  // Node's default would kill the process mid-start, with no clean disconnect and nothing flushed
  let early: string | null = null
  const onEarly = (sig: string) => void (early ??= sig)
  process.on('SIGTERM', onEarly)
  process.on('SIGINT', onEarly)
  await runner.box.start().finally(() => {
    process.off('SIGTERM', onEarly)
    process.off('SIGINT', onEarly)
  })
  // under systemd (Type=notify): ready once started, then the watchdog while healthy
  const systemd = SystemdNotifier.fromEnv(log)
  const watchdogMs = systemd?.watchdogMs
  const watchdog = systemd && watchdogMs ? new Watchdog({ notifier: systemd, intervalMs: watchdogMs, clock: systemClock, log, problem: () => runner.box.health() }) : null
  await systemd?.ready(`watching ${config.lines.length} lines, ${config.modems.length} modems`)
  watchdog?.start()
  return untilSignal(async () => {
    watchdog?.stop()
    await systemd?.stopping()
    await runner.box.stop()
  }, early)
}

/**
 * A config the box cannot use: each problem in the log with its path and line; the system lamp
 * shows the error pattern (when the file's board and panel are usable) until the file changes,
 * then the service exits 1 so that systemd starts it again on the new file.
 */
async function showConfigError(file: string, err: ConfigError): Promise<number> {
  for (const p of err.problems) process.stderr.write(`${file}: ${formatProblem(p)}\n`)
  const part = await panelOfBrokenConfig(file)
  if (!part.config) {
    process.stderr.write(`linewatch: the panel cannot show the error either (${part.reason})\n`)
    return 1
  }
  const log = createLogger()
  const panel = await runConfigErrorPanel({ config: part.config, log })
  log.error({ file, problems: err.problems.length }, 'configuration invalid: the system lamp shows the config error pattern until the file is fixed')
  // started as far as systemd is concerned (a start timeout would restart it, the panel blinking off and on);
  // alive for its watchdog while the panel shows the error
  const systemd = SystemdNotifier.fromEnv(log)
  await systemd?.ready(`configuration invalid: ${err.problems.length} problem(s) in ${file}`)
  const watchdogMs = systemd?.watchdogMs
  const watchdog = systemd && watchdogMs ? new Watchdog({ notifier: systemd, intervalMs: watchdogMs, clock: systemClock, log, problem: () => null }) : null
  watchdog?.start()
  const changed = new Promise<number>((res) => {
    watchFile(file, { interval: 2000 }, () => {
      unwatchFile(file)
      process.stderr.write(`linewatch: ${file} changed; exiting to start again on it\n`)
      res(1)
    })
  })
  const signalled = untilSignal(() => panel.stop())
  const code = await Promise.race([changed, signalled])
  watchdog?.stop()
  unwatchFile(file)
  await panel.stop()
  return code
}

/** The installer's files on the boot partition, applied (linewatch-firstboot.service); one line each to the journal. */
async function firstboot(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { boot: { type: 'string', default: '/boot/firmware' }, etc: { type: 'string', default: '/etc' }, state: { type: 'string' } } })
  const run = (cmd: string, a: string[], input?: string) =>
    new Promise<number>((res) => {
      const child = spawn(cmd, a, { stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] })
      child.once('error', () => res(127))
      child.once('exit', (code) => res(code ?? 1))
      if (input !== undefined) child.stdin!.end(input)
    })
  const applied = await applyBootFiles(values.boot!, { etc: values.etc!, state: values.state, run })
  for (const a of applied) process.stdout.write(`${a.file === HTTPS_STEP ? 'https' : `${values.boot}/${a.file}`}: ${a.action}\n`)
  if (applied.length === 0) process.stdout.write(`${values.boot}: nothing to apply\n`)
  return applied.every((a) => a.ok) ? 0 : 1
}

async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG }, json: { type: 'boolean', default: false } } })
  const results = await runChecks({ file: values.config! })
  process.stdout.write(`${values.json ? JSON.stringify({ ok: exitCode(results) === 0, checks: results }, null, 2) : formatTable(results)}\n`)
  return exitCode(results)
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'mqtt-url': { type: 'string' }, 'http-port': { type: 'string' }, 'http-host': { type: 'string' } } })
  const port = values['http-port'] === undefined ? undefined : Number(values['http-port'])
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--http-port: not a port number: ${values['http-port']}\n`)
    return 2
  }
  const running = await runDemo({ mqttUrl: values['mqtt-url'], httpPort: port, httpHost: values['http-host'], input: process.stdin })
  return untilSignal(() => running.stop())
}

async function sim(args: string[]): Promise<number> {
  if (args[0] === 'day') return simDay(args.slice(1))
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, personality: { type: 'string', default: 'quectel' }, baud: { type: 'string', default: '115200' } },
  })
  if (positionals[0] !== 'modem' || !values.port) {
    process.stderr.write('usage: linewatch sim modem --port PATH [--personality quectel|simcom|huawei] [--baud N]\n       linewatch sim day [--seed N] [--fault deaf|cut] [--at HH:MM] [--json]\n')
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

/** Wait for SIGTERM or SIGINT, then stop cleanly; exit 1 if stopping hangs. */
function untilSignal(stop: () => Promise<void>, already: string | null = null): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      process.stderr.write(`linewatch: ${sig}, stopping\n`)
      const hard = setTimeout(() => {
        process.stderr.write('linewatch: stop took too long; exiting\n')
        process.exit(1)
      }, HARD_STOP_MS)
      hard.unref()
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`linewatch: error while stopping: ${errorMessage(err)}\n`)
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    if (already) onSignal(already)
  })
}

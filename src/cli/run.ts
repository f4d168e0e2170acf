/** `linewatch run`: the box on the installer's config, under systemd (or a config error on the panel). */
import { unwatchFile, watchFile } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Box } from '../app.js'
import { ConfigError, formatProblem, type Config } from '../config/index.js'
import { BoxRunner, runConfig } from '../config/reload.js'
import { fileMigrationNote } from '../config/migrate-file.js'
import { panelOfBrokenConfig, runConfigErrorPanel } from '../panel/config-error.js'
import { createLogger } from '../core/logger.js'
import { systemClock } from '../core/clock.js'
import { SystemdNotifier } from '../core/sd-notify.js'
import { Watchdog } from '../core/watchdog.js'
import { DEFAULT_CONFIG } from './defaults.js'
import { untilSignal } from './signals.js'

export async function run(args: string[]): Promise<number> {
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
  const note = await fileMigrationNote(file)
  if (note) log.info(note)
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
  process.stderr.write(`${file}: ${err.problems.length} problem(s)\n`)
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

import { readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { IPublishPacket } from 'mqtt'
import type { Box } from '../app.js'
import type { Clock } from '../core/clock.js'
import { writeFileAtomic } from '../core/atomic-file.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CommandOutcome } from '../report/commands.js'
import { ConfigError, configFromText, formatProblem, loadConfig } from './validate.js'
import { resolveStateDir } from './storage.js'
import type { Config } from './schema.js'

/**
 * The config the office pushed (reload-config with a `config`), in the state
 * folder: /etc is read-only to the service (ProtectSystem=strict), and the
 * installer's file stays as the installer wrote it.
 */
export const OFFICE_CONFIG = 'office-config.yaml'
/** The one it replaced, put back if the box does not come up healthy on the new one. */
const OFFICE_CONFIG_PREVIOUS = 'office-config.previous.yaml'
/** How long a box on a new config has to be healthy: started, nothing stuck, on MQTT. */
export const HEALTHY_WITHIN_MS = 60_000
const HEALTH_POLL_MS = 1000

export interface RunConfig {
  config: Config
  /** The file it came from: the installer's, or the office's copy in the state folder. */
  source: string
}

/**
 * The config `linewatch run` starts on: the installer's file, or the office's
 * copy in the state folder when that is newer. An edit of the installer's
 * file after the push wins (the installer at the box knows best); an office
 * copy that no longer loads is set aside and the installer's file used.
 */
export async function runConfig(file: string, log: Logger): Promise<RunConfig> {
  const installer = await loadConfig(file)
  const office = await officeConfig(file, installer)
  if (!office) return { config: installer, source: file }
  if ('config' in office) return { config: office.config, source: office.path }
  log.error({ office: office.path, err: office.error }, "the office's config does not load: set aside; running on the installer's")
  await rename(office.path, `${office.path}.refused`).catch(() => {})
  return { config: installer, source: file }
}

/** The office's copy when it is newer than the installer's file: loaded, or why it does not load. Null when it does not count. */
export async function officeConfig(file: string, installer: Config): Promise<{ path: string; config: Config } | { path: string; error: string } | null> {
  const path = join(await resolveStateDir(installer.storage.dir), OFFICE_CONFIG)
  const [mine, theirs] = await Promise.all([stat(file), stat(path).catch(() => null)])
  if (!theirs || theirs.mtimeMs <= mine.mtimeMs) return null
  try {
    return { path, config: await configFromText(await readFile(path, 'utf8'), dirname(resolve(file)), path) }
  } catch (err) {
    return { path, error: err instanceof ConfigError ? err.problems.map(formatProblem).join('; ') : errorMessage(err) }
  }
}

/**
 * Runs the box for `linewatch run` and carries out the office's
 * reload-config: the new config is checked first (a bad one is refused and
 * nothing changes), the box restarts on it, and if that box is not healthy
 * within HEALTHY_WITHIN_MS the previous config is put back and the box
 * restarts on it. The result goes twice: `validated` from the old box, then
 * `applied` or `rolled-back` from the one that runs afterwards.
 */
export class BoxRunner {
  box: Box
  readonly #file: string
  readonly #make: (config: Config) => Box
  readonly #log: Logger
  readonly #clock: Clock
  readonly #healthyWithinMs: number
  #busy = false

  constructor(deps: { file: string; config: Config; make: (config: Config, runner: BoxRunner) => Box; log: Logger; clock: Clock; healthyWithinMs?: number }) {
    this.#file = deps.file
    this.#make = (config) => deps.make(config, this)
    this.#log = deps.log
    this.#clock = deps.clock
    this.#healthyWithinMs = deps.healthyWithinMs ?? HEALTHY_WITHIN_MS
    this.box = this.#make(deps.config)
  }

  /** The office's reload-config: the `validated` result (or the refusal) now; the rest once the box has restarted. */
  async reload(req: { text: string | null; id: string; request: IPublishPacket | undefined }): Promise<CommandOutcome> {
    if (this.#busy) return { ok: false, message: 'a config reload is already under way' }
    let next: Config
    try {
      next = req.text === null ? (await runConfig(this.#file, this.#log)).config : await configFromText(req.text, dirname(resolve(this.#file)), 'the config sent')
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [errorMessage(err)]
      return { ok: false, message: `the config is refused, nothing changed: ${problems.join('; ')}`, data: { problems } }
    }
    const before = this.box.config
    if ((next.storage.dir ?? null) !== (before.storage.dir ?? null)) {
      const problems = ['storage.dir cannot be changed from the office (the state folder holds this very config)']
      return { ok: false, message: `the config is refused, nothing changed: ${problems[0]}`, data: { problems } }
    }
    this.#busy = true
    // after the validated result has gone out through the box that is about to stop
    this.#clock.setTimeout(() => void this.#swap(before, next, req).finally(() => (this.#busy = false)), 200)
    return { ok: true, stage: 'validated', message: 'the config is valid: the box restarts on it now' }
  }

  async #swap(before: Config, next: Config, req: { text: string | null; id: string; request: IPublishPacket | undefined }): Promise<void> {
    const office = join(this.box.stateDir, OFFICE_CONFIG)
    const previous = join(this.box.stateDir, OFFICE_CONFIG_PREVIOUS)
    if (req.text !== null) {
      await rm(previous, { force: true })
      await rename(office, previous).catch(() => {})
      await writeFileAtomic(office, req.text, 0o600)
    }
    this.#log.warn({ from: req.text === null ? this.#file : 'the office' }, 'restarting on a new config')
    await this.box.stop()
    const problem = await this.#startHealthy(next)
    if (!problem) return this.#answer({ ok: true, stage: 'applied', message: 'running on the new config' }, req)
    this.#log.error({ problem }, 'the box is not healthy on the new config: back to the previous one')
    await this.box.stop()
    if (req.text !== null) {
      await rm(office, { force: true })
      await rename(previous, office).catch(() => {})
    }
    const again = await this.#startHealthy(before)
    if (again) this.#log.error({ problem: again }, 'the previous config is not healthy either')
    await this.#answer({ ok: false, stage: 'rolled-back', message: `not healthy on the new config within ${Math.round(this.#healthyWithinMs / 1000)} s (${problem}): back on the previous one` }, req)
  }

  /** A box started on this config; null once it is healthy, else why not. */
  async #startHealthy(config: Config): Promise<string | null> {
    this.box = this.#make(config)
    try {
      await this.box.start()
    } catch (err) {
      return `it did not start: ${errorMessage(err)}`
    }
    const until = this.#clock.now() + this.#healthyWithinMs
    for (;;) {
      const problem = this.box.health() ?? (this.box.mqtt.connected ? null : 'not connected to the MQTT broker')
      if (!problem || this.#clock.now() >= until) return problem
      await new Promise<void>((r) => this.#clock.setTimeout(r, HEALTH_POLL_MS))
    }
  }

  /** The final result, from the box that runs now: kept under the request's id, sent once it is on MQTT. */
  async #answer(outcome: CommandOutcome, req: { id: string; request: IPublishPacket | undefined }): Promise<void> {
    const result = { id: req.id, command: 'reload-config', ...outcome }
    this.box.commands?.record(result)
    const until = this.#clock.now() + this.#healthyWithinMs
    while (!this.box.mqtt?.connected && this.#clock.now() < until) await new Promise<void>((r) => this.#clock.setTimeout(r, HEALTH_POLL_MS))
    if (req.request) this.box.mqtt?.commandResult('cmd/reload-config/result', result, req.request)
    else this.box.mqtt?.respond('cmd/reload-config/result', result)
  }
}

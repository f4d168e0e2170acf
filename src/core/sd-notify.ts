/**
 * systemd's notify protocol (sd_notify(3)) through the systemd-notify command:
 * Node cannot send on a unix datagram socket, and a native module for one
 * message every few seconds is not worth a compiler on the image.
 *
 * systemd-notify runs as a child of the box and exits, which used to race
 * (systemd could not tell whose message it was once the sender was gone).
 * Since systemd 246 it waits, by a BARRIER=1 message, until the manager has
 * read the message (unless --no-block), so with NotifyAccess=all in the unit
 * each message is attributed to linewatch.service. --pid names the box as the
 * main process.
 */
import { spawn } from 'node:child_process'
import { errorMessage } from './errors.js'
import type { Logger } from './logger.js'

export type Spawner = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => Promise<number | null>

const spawnAndWait: Spawner = (cmd, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })

export class SystemdNotifier {
  readonly #env: NodeJS.ProcessEnv
  readonly #spawn: Spawner
  readonly #log: Logger
  readonly #pid: number
  #failedOnce = false

  /** null when not started by systemd as Type=notify (no NOTIFY_SOCKET). */
  static fromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env, spawner: Spawner = spawnAndWait, pid = process.pid): SystemdNotifier | null {
    return env.NOTIFY_SOCKET ? new SystemdNotifier(log, env, spawner, pid) : null
  }

  private constructor(log: Logger, env: NodeJS.ProcessEnv, spawner: Spawner, pid: number) {
    this.#log = log
    this.#env = env
    this.#spawn = spawner
    this.#pid = pid
  }

  /** The watchdog interval systemd asks for (WatchdogSec=), in ms; null when none, or when it is meant for another process. */
  get watchdogMs(): number | null {
    const usec = Number(this.#env.WATCHDOG_USEC)
    if (!Number.isFinite(usec) || usec <= 0) return null
    if (this.#env.WATCHDOG_PID && Number(this.#env.WATCHDOG_PID) !== this.#pid) return null
    return usec / 1000
  }

  ready(status: string): Promise<boolean> {
    return this.send({ READY: '1', STATUS: status })
  }

  watchdog(): Promise<boolean> {
    return this.send({ WATCHDOG: '1' })
  }

  stopping(): Promise<boolean> {
    return this.send({ STOPPING: '1' })
  }

  status(text: string): Promise<boolean> {
    return this.send({ STATUS: text })
  }

  /** Sends the variables; false (logged once) when systemd-notify is missing or fails. */
  async send(vars: Record<string, string>): Promise<boolean> {
    const args = [`--pid=${this.#pid}`, ...Object.entries(vars).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)]
    try {
      const code = await this.#spawn('systemd-notify', args, this.#env)
      if (code === 0) return true
      throw new Error(`systemd-notify exited with ${code}`)
    } catch (err) {
      if (!this.#failedOnce) this.#log.error({ err: errorMessage(err) }, 'cannot notify systemd (is systemd-notify installed?)')
      this.#failedOnce = true
      return false
    }
  }
}

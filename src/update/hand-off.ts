/**
 * `linewatch update FILE` typed at a login runs the install as a transient systemd service and only
 * follows it: the image has no pam_systemd, so a console login's processes belong to its getty's unit,
 * and systemd kills that unit's whole cgroup when the getty restarts after the logout, an update
 * with it (found in QEMU; docs/updates.md). Over SSH the same: closing the session must not stop it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import type { ProgressEvent } from './install.js'

export const HANDOFF_UNIT = 'linewatch-update-cli'
export const HANDOFF_PROGRESS = `/run/${HANDOFF_UNIT}.json`

/** A record of the progress file: a stage's progress, or the end with its message. */
export type ProgressRecord = ProgressEvent | { stage: string; ok: boolean; message: string; carried?: string[] }

export interface HandOffWhere {
  uid: number
  env: NodeJS.ProcessEnv
  /** systemd runs this machine (/run/systemd/system exists) */
  systemd: boolean
}

export const here = (): HandOffWhere => ({ uid: process.getuid?.() ?? -1, env: process.env, systemd: existsSync('/run/systemd/system') })

/** As root on a systemd machine, and not already a service (systemd gives every unit INVOCATION_ID). */
export function shouldHandOff(w: HandOffWhere): boolean {
  return w.uid === 0 && w.systemd && !w.env.INVOCATION_ID
}

export interface HandOffOptions {
  /** the update's own arguments (FILE absolute), given to `linewatch update --foreground` in the unit */
  args: string[]
  /** how to run linewatch: [node, ...its flags, the script] */
  self: string[]
  progressFile: string
  print: (p: ProgressRecord) => void
  out: (s: string) => void
  systemdRun?: string
  pollMs?: number
}

/**
 * Starts the unit and prints its progress file until the unit ends; returns its exit status. Leaving
 * (Ctrl-C, the logout) leaves the update running. systemd-run waits in its own session, so the
 * terminal's signals never reach it; it is only the messenger of the unit's exit status.
 */
export async function handOff(o: HandOffOptions): Promise<number> {
  await rm(o.progressFile, { force: true })
  const argv = ['--unit', HANDOFF_UNIT, '--collect', '--quiet', '--wait', '--', ...o.self, 'update', '--foreground', ...o.args]
  const child = spawn(o.systemdRun ?? 'systemd-run', argv, { stdio: ['ignore', 'inherit', 'inherit'], detached: true })
  o.out(`update: running as ${HANDOFF_UNIT}.service; a logout or Ctrl-C here does not stop it (journalctl -u ${HANDOFF_UNIT}, linewatch update --status)\n`)
  const leave = () => {
    o.out(`\nupdate: still running as ${HANDOFF_UNIT}.service\n`)
    process.exit(130)
  }
  process.once('SIGINT', leave)
  let seen = ''
  const follow = async () => {
    const text = await readFile(o.progressFile, 'utf8').catch(() => '')
    if (!text || text === seen) return
    seen = text
    try {
      o.print(JSON.parse(text) as ProgressRecord)
    } catch {
      // written by temp + rename: never half a record; a stranger's file is not ours to print
    }
  }
  const timer = setInterval(() => void follow(), o.pollMs ?? 250)
  try {
    const code = await new Promise<number>((resolve) => {
      child.once('error', (err) => {
        o.out(`update: cannot start systemd-run: ${err.message}\n`)
        resolve(1)
      })
      child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)))
    })
    await follow()
    return code
  } finally {
    clearInterval(timer)
    process.removeListener('SIGINT', leave)
  }
}

import { spawn, type ChildProcess } from 'node:child_process'

const bin = new URL('../../bin/linewatch.js', import.meta.url).pathname

export interface Running {
  proc: ChildProcess
  /** Everything it printed so far, stdout and stderr. */
  output(): string
  exited: Promise<{ code: number | null; at: number }>
}

/** The installed `linewatch` command as a child process (warnings and errors logged). */
export function linewatch(args: string[]): Running {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LINEWATCH_LOG_LEVEL: 'warn' } })
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; at: number }>((r) => proc.once('exit', (code) => r({ code, at: Date.now() })))
  return { proc, output: () => out, exited }
}

/** SIGTERM it (unless it is gone) and wait: its exit code and how long the stop took. */
export async function sigterm(r: Running): Promise<{ code: number | null; ms: number }> {
  const sent = Date.now()
  if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGTERM')
  const { code, at } = await r.exited
  return { code, ms: at - sent }
}

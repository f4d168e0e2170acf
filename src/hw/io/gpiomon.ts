/**
 * Edge events through libgpiod's own `gpiomon` (Debian package `gpiod`), one
 * long-lived child per chip and bias: node-libgpiod 0.5 can request edge
 * events but has no call that reads them (no event wait/read, no file
 * descriptor), and Node has no ioctl. The child sleeps in poll(2) until the
 * kernel reports an edge, so an idle box wakes for nothing.
 *
 * The child holds the lines while it runs (the kernel lets one request own a
 * line): GpiodIO reads their level before it starts the watch and follows the
 * edges after it.
 */
import { spawn as nodeSpawn } from 'node:child_process'
import type { Bias, GpioWatch, GpioWatchHandlers } from './gpio-chip.js'

/** What is used of a child process (tests give a fake). */
export interface WatchChild {
  stdout: { on(ev: 'data', fn: (chunk: Buffer | string) => void): unknown } | null
  stderr: { on(ev: 'data', fn: (chunk: Buffer | string) => void): unknown } | null
  on(ev: 'error', fn: (err: Error) => void): unknown
  on(ev: 'exit', fn: (code: number | null, signal: string | null) => void): unknown
  kill(signal?: NodeJS.Signals): boolean
}
export type Spawn = (command: string, args: string[]) => WatchChild

export const GPIOMON_MISSING = 'gpiomon is not installed (apt-get install gpiod)'

// a child left behind would hold its lines (EBUSY for the next start) until its next edge's write fails:
// the ones still running go with the process however it exits (a SIGKILL aside: systemd's cgroup takes those)
const running = new Set<WatchChild>()
let exitHook = false
const defaultSpawn: Spawn = (command, args) => {
  const child = nodeSpawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.on('exit', () => running.delete(child))
  child.on('error', () => running.delete(child))
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => running.forEach((c) => c.kill('SIGTERM')))
  }
  return child
}

/** The arguments: line-buffered (stdout is a pipe), "<offset> <0|1>" per edge. */
export function gpiomonArgs(chip: string, lines: number[], bias: Bias): string[] {
  return ['-b', ...(bias === 'as-is' ? [] : ['-B', bias]), '-F', '%o %e', chip, ...lines.map(String)]
}

export function gpiomonWatch(opts: { chip: string; lines: number[]; bias: Bias; handlers: GpioWatchHandlers; spawn?: Spawn; command?: string }): GpioWatch {
  const { handlers } = opts
  const watched = new Set(opts.lines)
  let closing = false
  let exited = false
  let failed = false
  let stderr = ''
  let partial = ''
  const exits: (() => void)[] = []
  const fail = (err: Error) => {
    if (failed || closing) return
    failed = true
    handlers.failed(err)
  }
  let child: WatchChild
  try {
    child = (opts.spawn ?? defaultSpawn)(opts.command ?? 'gpiomon', gpiomonArgs(opts.chip, opts.lines, opts.bias))
  } catch (err) {
    exited = true
    queueMicrotask(() => fail(new Error(`${GPIOMON_MISSING}: ${(err as Error).message}`)))
    return { close: async () => {} }
  }
  child.stdout?.on('data', (chunk) => {
    const text = partial + String(chunk)
    const rows = text.split('\n')
    partial = rows.pop() ?? ''
    for (const row of rows) {
      const m = /^(\d+) ([01])$/.exec(row.trim())
      if (m && watched.has(Number(m[1]))) handlers.edge(Number(m[1]), Number(m[2]) as 0 | 1)
    }
  })
  // the last words of a child that could not request its lines (busy, not on the chip)
  child.stderr?.on('data', (chunk) => void (stderr = (stderr + String(chunk)).slice(-400)))
  child.on('error', (err: Error & { code?: string }) => {
    // spawn failed (no child, so no 'exit' follows)
    exited = true
    fail(new Error(err.code === 'ENOENT' ? `${GPIOMON_MISSING}: ${err.message}` : `gpiomon: ${err.message}`))
    for (const f of exits.splice(0)) f()
  })
  child.on('exit', (code, signal) => {
    exited = true
    fail(new Error(`gpiomon ${opts.chip} ${opts.lines.join(' ')} stopped (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`))
    for (const f of exits.splice(0)) f()
  })
  return {
    close() {
      closing = true
      if (exited) return Promise.resolve()
      return new Promise<void>((resolve) => {
        exits.push(resolve)
        child.kill('SIGTERM')
      })
    },
  }
}

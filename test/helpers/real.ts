/**
 * Real parts for integration tests: a mosquitto broker and socat
 * pseudo-terminals. Each returns null-safe `skip` reasons when the program
 * is missing, so a developer's machine still passes with the tests skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './flush.js'

export function missing(program: string): string | false {
  const r = spawnSync('sh', ['-c', `command -v ${program}`])
  return r.status === 0 ? false : `${program} is not installed (CI installs it with apt-get)`
}

/** SIGTERM (or another signal) a child and wait until it has exited (nothing if it is gone already). */
export async function terminate(p: ChildProcess | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise((r) => p.once('exit', r))
  p.kill(signal)
  await exited
}

export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

export interface Mosquitto {
  url: string
  port: number
  log: string[]
  stop(): Promise<void>
  /** SIGKILL: no chance to save its persistence file. */
  kill(): Promise<void>
  start(): Promise<void>
}

/**
 * mosquitto on a free loopback port, with persistence: a restart keeps the
 * subscribers' sessions, as a production broker does, so QoS 1 messages sent
 * while a subscriber reconnects still reach it.
 */
/** `host`: the address it listens on (another than loopback for a box in a network namespace). */
/** `tls`: the listener's own lines (certfile, keyfile, require_certificate, password_file…); the URL is then mqtts:// (unless `secure` is false) and anonymous clients are refused. */
/** `tail`: lines at the end of the file (a bridge's `connection` block, whose options run to the end). */
export async function startMosquitto(host = '127.0.0.1', tls?: string[], secure = tls !== undefined, tail: string[] = []): Promise<Mosquitto> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'lw-mosq-'))
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(
    conf,
    [`listener ${port} ${host}`, ...(tls ?? ['allow_anonymous true']), 'persistence true', `persistence_location ${dir}/`, 'user root', 'log_dest stderr', 'log_type all', ...tail, ''].join('\n'),
  )
  let proc: ChildProcess | null = null
  const log: string[] = []
  const m: Mosquitto = {
    url: `${secure ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    port,
    log,
    async start() {
      proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
      const seen = log.length
      const collect = (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean))
      proc.stdout!.on('data', collect)
      proc.stderr!.on('data', collect)
      try {
        await waitFor(() => log.slice(seen).some((l) => /running/.test(l)), 5000, 'mosquitto to listen')
      } catch (err) {
        await m.stop()
        throw new Error(`${(err as Error).message}; mosquitto said: ${log.slice(seen).join(' | ')}`)
      }
    },
    async stop() {
      const p = proc
      proc = null
      await terminate(p)
    },
    async kill() {
      const p = proc
      proc = null
      await terminate(p, 'SIGKILL')
    },
  }
  await m.start()
  return m
}

export interface PtyPair {
  /** The end the simulated gateway sits on. */
  gateway: string
  /** The end the box opens, as it would /dev/gsm-gw1. */
  box: string
  close(): Promise<void>
}

export async function socatPair(): Promise<PtyPair & { restart(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-pty-'))
  const gateway = join(dir, 'gw')
  const box = join(dir, 'box')
  let proc: ChildProcess | null = null
  const start = async () => {
    proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${gateway}`, `pty,raw,echo=0,link=${box}`], { stdio: 'ignore' })
    await waitFor(() => existsSync(gateway) && existsSync(box), 5000, 'socat pseudo-terminals')
  }
  const kill = async () => {
    const p = proc
    proc = null
    await terminate(p)
  }
  await start()
  return {
    gateway,
    box,
    /** The device vanishes (USB re-enumeration) and comes back under the same names. */
    async restart() {
      await kill()
      await waitFor(() => !existsSync(box), 5000, 'the old pseudo-terminal to go')
      await start()
    },
    async close() {
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

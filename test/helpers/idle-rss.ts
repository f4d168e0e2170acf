/**
 * The idle memory of the installed command on three configs, as `ps` sees it (VmRSS of the process):
 *  - minimal: one modem (a `linewatch sim modem` in its own process, over a socat pty pair) and one GSM line
 *    on a Pi board, the office broker reachable;
 *  - example: examples/linewatch.yaml as shipped, its two modems on two such pairs, the broker local and
 *    plain, failover.routes: report (so the host's routes are never touched), the state folder a temp one;
 *  - demo: `linewatch demo`, the whole box on simulated hardware with its embedded broker.
 * Next to bare Node (a process that only waits), measured the same way, so a figure can be compared
 * across machines as a ratio. Used by the bench and by test/integration/idle-rss.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseDocument } from 'yaml'
import { waitFor } from './flush.js'
import { freePort, socatPair, terminate, type PtyPair } from './real.js'

export const CONFIGS = ['minimal', 'example', 'demo'] as const
export type IdleConfig = (typeof CONFIGS)[number]

/** The repository: two folders up from the .ts under tap, three from dist/test/helpers/ under the bench. */
const root = [new URL('../../', import.meta.url).pathname, new URL('../../../', import.meta.url).pathname].find((d) => existsSync(join(d, 'bin/linewatch.js')))!
const bin = join(root, 'bin/linewatch.js')

/**
 * What the box runs with: bin/linewatch.js's first line, `#!/usr/bin/env -S [NAME=VALUE ...] node [FLAGS ...]`
 * (glibc malloc's settings, then V8's flags; the image's wrapper reads the same line).
 */
export function shippedSettings(): { env: Record<string, string>; flags: string[] } {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0]!
  const m = /^#!\/usr\/bin\/env -S ((?:[A-Z_]+=\S+ )*)node(.*)$/.exec(first)
  if (!m) throw new Error(`bin/linewatch.js's first line is not "#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS": ${first}`)
  const env = Object.fromEntries(m[1]!.split(' ').filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]))
  return { env, flags: m[2]!.split(' ').filter(Boolean) }
}

/** The V8 flags of shippedSettings(). */
export const shippedNodeFlags = (): string[] => shippedSettings().flags

/**
 * Node started through `env -u NODE_OPTIONS` (which execs it: same pid): under tap, every spawn is given
 * NODE_OPTIONS with tap's process-info hook (+25 MB), whatever env the caller passes; no part of the box.
 */
function spawnNode(args: string[], opts: Parameters<typeof spawn>[2]): ChildProcess {
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], opts)
}

/** VmRSS of a process in MB (Linux), and RssAnon, its private part (the rest is Node's own file pages, shared), from one read. */
export function memoryMb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => {
    const kb = new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]
    if (!kb) throw new Error(`no ${name} for ${pid}`)
    return Number(kb) / 1024
  }
  return { rss: field('VmRSS'), anon: field('RssAnon') }
}

/** User + system CPU seconds of a process so far (/proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A node process that does nothing but wait: what Node itself costs on this machine. */
export async function bareNodeRss(settleMs = 1000): Promise<number> {
  const p = spawnNode(['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  try {
    await sleep(settleMs)
    return memoryMb(p.pid!).rss
  } finally {
    await terminate(p)
  }
}

function healthy(url: string): Promise<boolean> {
  return new Promise((res) => {
    const get = url.startsWith('https') ? request : httpRequest
    const req = get(url, { rejectUnauthorized: false, timeout: 1000 }, (r) => {
      r.resume()
      res(r.statusCode === 200)
    })
    req.once('error', () => res(false))
    req.once('timeout', () => req.destroy())
    req.end()
  })
}

interface Started {
  proc: ChildProcess
  cleanup(): Promise<void>
}

async function simModem(pairs: PtyPair[], extra: ChildProcess[]): Promise<string> {
  const pair = await socatPair()
  pairs.push(pair)
  const sim = spawn(process.execPath, [bin, 'sim', 'modem', '--port', pair.gateway], { stdio: ['pipe', 'pipe', 'ignore'] })
  extra.push(sim)
  let out = ''
  sim.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor(() => out.includes('simulated'), 10_000, 'the simulated modem to start')
  return pair.box
}

/** Write the config for `kind`, start `linewatch run` (or demo) on it and wait until /healthz answers. */
async function start(kind: IdleConfig, mqttUrl: string, env: NodeJS.ProcessEnv, nodeArgs: string[]): Promise<Started & { url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-rss-'))
  const pairs: PtyPair[] = []
  const extra: ChildProcess[] = []
  const port = await freePort()
  let args: string[]
  let url = `http://127.0.0.1:${port}/healthz`
  if (kind === 'demo') {
    args = ['demo', '--http-port', String(port), '--http-host', '127.0.0.1']
  } else {
    let yaml: string
    if (kind === 'minimal') {
      const modem = await simModem(pairs, extra)
      yaml = `site: rss\nbox: b1\nboard: pi-4b\nmodems: [{ id: gsm1, port: "${modem}" }]\nlines: [{ id: gsm-main, kind: gsm, modem: gsm1 }]\nmqtt: { url: "${mqttUrl}" }\nhttp: { host: 127.0.0.1, port: ${port}, tls: "off" }\nstorage: { dir: "${join(dir, 'state')}" }\n`
    } else {
      const doc = parseDocument(await readFile(join(root, 'examples/linewatch.yaml'), 'utf8'))
      doc.setIn(['modems', 0, 'port'], await simModem(pairs, extra))
      doc.setIn(['modems', 1, 'port'], await simModem(pairs, extra))
      doc.setIn(['mqtt', 'url'], mqttUrl)
      doc.setIn(['failover', 'routes'], 'report')
      doc.setIn(['http', 'host'], '127.0.0.1')
      doc.setIn(['http', 'port'], port)
      doc.setIn(['storage', 'dir'], join(dir, 'state'))
      yaml = doc.toString()
      url = `https://127.0.0.1:${port}/healthz`
    }
    await writeFile(join(dir, 'linewatch.yaml'), yaml)
    args = ['run', '--config', join(dir, 'linewatch.yaml')]
  }
  const proc = spawnNode([...nodeArgs, bin, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LINEWATCH_LOG_LEVEL: 'error', ...env } })
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const cleanup = async () => {
    await terminate(proc)
    for (const p of extra) await terminate(p)
    for (const p of pairs) await p.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`linewatch ${kind} exited ${proc.exitCode}: ${err.slice(-2000)}`)
      return healthy(url)
    }, 30_000, `linewatch ${kind} to answer /healthz`)
  } catch (e) {
    await cleanup()
    throw e
  }
  return { proc, url, cleanup }
}

export interface IdleRss {
  config: IdleConfig
  /** VmRSS after `idleMs` of idling, MB: the median of five readings a second apart. */
  rssMb: number
  /** The private part of that reading (RssAnon), MB. */
  anonMb: number
  /** The process's CPU while those readings were taken (idle), % of one core. */
  cpuPct: number
}

/**
 * Start the box on `kind` with the shipped settings (malloc's environment and V8's flags), or with only the
 * flags `nodeArgs` gives and no malloc setting; let it idle, read its RSS, stop it.
 */
export async function idleRss(kind: IdleConfig, opts: { mqttUrl: string; idleMs?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Promise<IdleRss> {
  const shipped = shippedSettings()
  const s = await start(kind, opts.mqttUrl, { ...(opts.nodeArgs ? {} : shipped.env), ...opts.env }, opts.nodeArgs ?? shipped.flags)
  try {
    await sleep(opts.idleMs ?? 10_000)
    const readings: { rss: number; anon: number }[] = []
    const cpu0 = cpuSeconds(s.proc.pid!)
    const t0 = Date.now()
    for (let i = 0; i < 5; i++) {
      readings.push(memoryMb(s.proc.pid!))
      await sleep(1000)
    }
    const cpuPct = ((cpuSeconds(s.proc.pid!) - cpu0) / ((Date.now() - t0) / 1000)) * 100
    readings.sort((a, b) => a.rss - b.rss)
    return { config: kind, rssMb: readings[2]!.rss, anonMb: readings[2]!.anon, cpuPct }
  } finally {
    await s.cleanup()
  }
}

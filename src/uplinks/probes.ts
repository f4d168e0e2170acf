/**
 * Uplink probes: one ICMP echo, TCP connect, HTTP GET or DNS query, leaving
 * by a given uplink. Each is bound to that uplink (ping to the interface by
 * name, the others to its IPv4 address) so that a probe of a dead uplink
 * cannot succeed by slipping out of another one via the default route.
 * A probe never rejects and never outlives its timeout by more than a little.
 */
import { spawn } from 'node:child_process'
import { promises as dnsPromises } from 'node:dns'
import { request as httpRequest, type ClientRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'

export type ProbeTarget =
  | { type: 'icmp'; host: string }
  | { type: 'tcp'; host: string; port: number }
  | { type: 'http'; url: string }
  | { type: 'dns'; server: string; port?: number; name: string }

/** Where a probe leaves from: the uplink's interface and its IPv4 address (null while it has none). */
export interface ProbeBinding {
  interface: string
  address: string | null
}

export interface ProbeResult {
  ok: boolean
  rttMs: number | null
  error?: string
}

export type Prober = (target: ProbeTarget, bind: ProbeBinding, timeoutMs: number) => Promise<ProbeResult>

/**
 * How long past its timeout (counted from the call, not from ping's start) a ping may run before it
 * is killed: just enough for a reply at the last moment to be read. A round ends on time even when
 * starting ping was slow (a busy CPU), so a cut is not seen later by the start-up time.
 */
const PING_GRACE_MS = 20
/** ICMP payload bytes: ping's timestamp (a struct timeval) needs 16 to time the round trip. */
export const PING_PAYLOAD = 16
/** An echo request or reply on the wire at IP level: 20 (IPv4) + 8 (ICMP) + the payload. */
export const PING_PACKET_BYTES = 20 + 8 + PING_PAYLOAD

const rtt = (ms: number) => Math.round(ms * 10) / 10
const since = (started: number) => rtt(performance.now() - started)
const fail = (error: string): ProbeResult => ({ ok: false, rttMs: null, error })
const timedOut = (ms: number) => fail(`timed out after ${ms} ms`)
/** An error as a short string: its code when it has one (ECONNRESET), else its message. */
const short = (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown }
  if (typeof e?.code === 'string') return e.code
  return typeof e?.message === 'string' ? e.message : String(err)
}
const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)

/** The interface's first IPv4 address (os.networkInterfaces), or null. */
export function interfaceAddress(iface: string): string | null {
  // Node 18.0–18.3 said 4 rather than 'IPv4'
  const v4 = networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' || (a.family as unknown) === 4)
  return v4?.address ?? null
}

/** Short human label for logs and state, e.g. "icmp 198.18.0.1", "tcp 198.18.0.1:443", "http http://x/", "dns example.org @198.18.0.1". */
export function describeTarget(t: ProbeTarget): string {
  switch (t.type) {
    case 'icmp':
      return `icmp ${t.host}`
    case 'tcp':
      return `tcp ${bracket(t.host)}:${t.port}`
    case 'http':
      return `http ${t.url}`
    case 'dns':
      return `dns ${t.name} @${t.port !== undefined && t.port !== 53 ? `${bracket(t.server)}:${t.port}` : t.server}`
  }
}

/** One probe; never rejects, never outlives timeoutMs by more than a little (kills/destroys what it started). */
export const probe: Prober = async (target, bind, timeoutMs) => {
  try {
    if (target.type === 'icmp') return await probeIcmp(target.host, bind.interface, timeoutMs)
    // unbound, the probe would leave by the default route and report another uplink's health
    if (bind.address === null) return fail(`${bind.interface} has no IPv4 address`)
    if (target.type === 'tcp') return await probeTcp(target.host, target.port, bind.address, timeoutMs)
    if (target.type === 'http') return await probeHttp(target.url, bind.address, timeoutMs)
    return await probeDns(target.server, target.port ?? 53, target.name, bind.address, timeoutMs)
  } catch (err) {
    return fail(short(err))
  }
}

/** The round trip from ping's output: the reply line (`time=1.23 ms`) or the summary (`rtt min/avg/max/mdev = …`, busybox `round-trip …`). */
export function pingRtt(output: string): number | null {
  const reply = /time[=<]\s*([\d.]+)\s*ms/.exec(output)
  const summary = /(?:rtt|round-trip) min\/avg\/max(?:\/\S+)? = [\d.]+\/([\d.]+)\//.exec(output)
  const ms = Number((reply ?? summary)?.[1] ?? NaN)
  return Number.isFinite(ms) ? rtt(ms) : null
}

/** Why a ping failed, from what it said: its error (stderr), an ICMP error ("From x Destination Host Unreachable"), or silence. */
function pingError(stdout: string, stderr: string, timeoutMs: number): string {
  const said = stderr.split('\n').map((l) => l.replace(/^ping:\s*/, '').trim()).filter((l) => l && !/^Warning:/i.test(l))
  if (said.length) return said[said.length - 1]!.slice(0, 160)
  const icmp = /^From \S+(?: \([^)]*\))?:? (?:icmp_seq=\d+ )?(.+)$/m.exec(stdout)
  return icmp ? icmp[1]!.trim().slice(0, 160) : `no reply in ${timeoutMs} ms`
}

function probeIcmp(host: string, iface: string, timeoutMs: number): Promise<ProbeResult> {
  // getopt would take "-f…" for an option
  if (host.startsWith('-')) return Promise.resolve(fail(`bad host ${host}`))
  return new Promise((resolve) => {
    // iputils ≥ 20210202 takes fractional seconds for -W; 0 would mean "wait forever"
    const wait = (Math.max(1, timeoutMs) / 1000).toFixed(3)
    // -I <name>: SO_BINDTODEVICE, out by that interface whatever the routes say; -s 16: the
    // smallest payload that still carries ping's timestamp (44-byte packets, not 84: a metered uplink pays for them)
    const child = spawn('ping', ['-n', '-q', '-c', '1', '-s', String(PING_PAYLOAD), '-W', wait, '-I', iface, host], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    })
    let stdout = ''
    let stderr = ''
    let done = false
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      resolve(r)
    }
    const deadline = setTimeout(() => finish(timedOut(timeoutMs)), timeoutMs + PING_GRACE_MS)
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4096)))
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)))
    child.on('error', (err: NodeJS.ErrnoException) => finish(fail(err.code === 'ENOENT' ? 'ping is not installed' : short(err))))
    // 'close', not 'exit': by then all of its output has been read
    child.on('close', (code) => {
      const ms = pingRtt(stdout)
      finish(code === 0 && ms !== null ? { ok: true, rttMs: ms } : fail(pingError(stdout, stderr, timeoutMs)))
    })
  })
}

function probeTcp(host: string, port: number, localAddress: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now()
    // family 4: the bound address is IPv4, so a name must resolve to an A record
    const socket = connect({ host, port, localAddress, family: 4 })
    let done = false
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      socket.destroy()
      resolve(r)
    }
    // an absolute deadline, not the socket's idle timeout
    const deadline = setTimeout(() => finish(timedOut(timeoutMs)), timeoutMs)
    socket.on('connect', () => finish({ ok: true, rttMs: since(started) }))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // refused: the far host answered with a RST, so the path there and back works
      if (err.code === 'ECONNREFUSED') return finish({ ok: true, rttMs: since(started) })
      finish(fail(short(err)))
    })
  })
}

function probeHttp(url: string, localAddress: string, timeoutMs: number): Promise<ProbeResult> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Promise.resolve(fail(`bad URL ${url}`))
  }
  const request = parsed.protocol === 'http:' ? httpRequest : parsed.protocol === 'https:' ? httpsRequest : null
  if (!request) return Promise.resolve(fail(`not an http(s) URL: ${url}`))
  return new Promise((resolve) => {
    const started = performance.now()
    let req: ClientRequest | null = null
    let done = false
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      req?.destroy()
      resolve(r)
    }
    const deadline = setTimeout(() => finish(timedOut(timeoutMs)), timeoutMs)
    // agent false: a fresh connection each time, so a kept-alive one cannot hide a dead path
    req = request(parsed, { method: 'GET', localAddress, family: 4, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'linewatch', connection: 'close' } }, (res) => {
      const ms = since(started)
      const status = res.statusCode ?? 0
      res.resume()
      res.on('error', () => {}) // destroyed mid-body below; nothing to report
      // any answer proves the path; a 5xx says the far end is there but broken
      finish(status < 500 ? { ok: true, rttMs: ms } : { ok: false, rttMs: ms, error: `HTTP ${status}` })
    })
    req.on('timeout', () => finish(timedOut(timeoutMs)))
    req.on('error', (err) => finish(fail(short(err))))
    req.end()
  })
}

/** c-ares codes for an rcode the server answered with: it is there and talking, whatever it thinks of the name. */
const DNS_ANSWERED = new Set(['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'EREFUSED', 'EFORMERR', 'ENOTIMP'])

function probeDns(server: string, port: number, name: string, localAddress: string, timeoutMs: number): Promise<ProbeResult> {
  const resolver = new dnsPromises.Resolver({ timeout: Math.max(1, timeoutMs), tries: 1 })
  resolver.setLocalAddress(localAddress)
  resolver.setServers([`${bracket(server)}:${port}`])
  return new Promise<ProbeResult>((resolve) => {
    const started = performance.now()
    let done = false
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      resolver.cancel() // the pending query (if any) then rejects with ECANCELLED, caught below
      resolve(r)
    }
    // c-ares keeps its own timer too; this one is the promise that it ends when we said
    const deadline = setTimeout(() => finish(timedOut(timeoutMs)), timeoutMs + 50)
    resolver.resolve4(name).then(
      () => finish({ ok: true, rttMs: since(started) }),
      (err: NodeJS.ErrnoException) => {
        if (err.code && DNS_ANSWERED.has(err.code)) return finish({ ok: true, rttMs: since(started) })
        finish(err.code === 'ETIMEOUT' ? timedOut(timeoutMs) : fail(short(err)))
      },
    )
  })
}

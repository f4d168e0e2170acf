/**
 * The kernel's word on each uplink's link: one long-lived `ip -o monitor link`
 * for all of them (no polling, no process per check). A pulled cable, a
 * provider's modem switched off or a USB modem gone shows here at once, seconds
 * before the probes could say so (and the kernel keeps using a route over a
 * link without carrier: it only marks it `linkdown`).
 */
import { spawn, type ChildProcess } from 'node:child_process'

/** Tells the monitor when an interface loses (false) or regains (true) its carrier. */
export interface CarrierWatch {
  stop(): void
}
export type CarrierWatcher = (interfaces: string[], onChange: (iface: string, carrier: boolean) => void, onError: (why: string) => void) => CarrierWatch

/**
 * One `ip -o monitor link` line ("3: eth0@if2: <NO-CARRIER,BROADCAST,UP> mtu 1500 … state DOWN …"):
 * the interface and whether it has a carrier, or null for what is not about a link's state
 * ("Deleted …" lines say the interface is gone: no carrier either).
 */
export function parseLinkLine(line: string): { iface: string; carrier: boolean } | null {
  const m = /^(Deleted )?(?:\[[A-Z]+\]\s*)?\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line.trim())
  if (!m) return null
  const flags = m[3]!.split(',')
  const state = /\bstate (\S+)/.exec(m[4]!)?.[1]
  if (m[1]) return { iface: m[2]!, carrier: false }
  // LOWER_UP is the driver's carrier; an interface set down by an admin has none to offer either
  const carrier = flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER') && flags.includes('UP') && state !== 'DOWN' && state !== 'LOWERLAYERDOWN'
  return { iface: m[2]!, carrier }
}

/** Restart a monitor that died at most this often. */
const RESTART_MS = 5000

/** The real watcher: `ip -o monitor link`, restarted if it dies, with each change told once. */
export const ipMonitorCarrier: CarrierWatcher = (interfaces, onChange, onError) => {
  const wanted = new Set(interfaces)
  const last = new Map<string, boolean>()
  let child: ChildProcess | null = null
  let stopped = false
  let restart: NodeJS.Timeout | null = null
  const start = () => {
    if (stopped) return
    let buffered = ''
    const p = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } })
    child = p
    p.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const seen = parseLinkLine(line)
        if (!seen || !wanted.has(seen.iface) || last.get(seen.iface) === seen.carrier) continue
        last.set(seen.iface, seen.carrier)
        onChange(seen.iface, seen.carrier)
      }
    })
    p.on('error', (err: NodeJS.ErrnoException) => {
      // no iproute2: nothing to restart; the probes still see a dead link, only later
      if (err.code === 'ENOENT') stopped = true
      onError(err.code === 'ENOENT' ? 'ip is not installed' : err.message)
    })
    p.on('close', () => {
      if (stopped || child !== p) return
      child = null
      restart = setTimeout(start, RESTART_MS)
      restart.unref()
    })
  }
  start()
  return {
    stop() {
      stopped = true
      if (restart) clearTimeout(restart)
      child?.kill()
      child = null
    },
  }
}

import { request as httpGet } from 'node:http'
import { request as httpsGet } from 'node:https'
import { parseArgs } from 'node:util'
import type { RouteAnswer, RouteOffer } from './router.js'

const USAGE = 'usage: linewatch route NUMBER [--url http://127.0.0.1:8080] [--token TOKEN] [--json]'

/**
 * `linewatch route NUMBER`: asks the running box (GET /api/v1/route), so the
 * answer is the one the PBX gets, with the paths' health as it is now.
 * Exit 0 with paths to try, 1 when none is left or the number is refused, 2 on a usage error.
 */
export async function runRoute(args: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string', default: process.env.LINEWATCH_URL ?? 'http://127.0.0.1:8080' }, token: { type: 'string', default: process.env.LINEWATCH_TOKEN }, json: { type: 'boolean', default: false } },
  })
  const number = positionals[0]
  if (!number || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  let url: URL
  try {
    url = new URL('/api/v1/route', values.url)
  } catch {
    process.stderr.write(`linewatch route: --url must be a URL such as http://127.0.0.1:8080, not "${values.url}"\n`)
    return 2
  }
  url.searchParams.set('to', number)
  // a look, not a call: a half-open path's one trial stays for the PBX
  url.searchParams.set('peek', '1')
  let res: { status: number; ok: boolean; text: string }
  try {
    res = await get(url, values.token ? { authorization: `Bearer ${values.token}` } : {}, 5000)
  } catch (err) {
    process.stderr.write(`linewatch route: the box does not answer at ${values.url} (${(err as Error).message}); is it running? --url says where\n`)
    return 1
  }
  const body = parseJson(res.text) as (RouteAnswer & { message?: string }) | null
  if (values.json) out(`${JSON.stringify(body, null, 2)}\n`)
  if (res.status === 404) {
    process.stderr.write('linewatch route: this box has no routing.paths configured\n')
    return 1
  }
  if (!res.ok || !body || !body.ok) {
    if (!values.json) process.stderr.write(`linewatch route: ${body?.message ?? (body && !body.ok ? body.reason : `HTTP ${res.status}`)}\n`)
    return 1
  }
  if (!values.json) out(formatRoute(body))
  return body.paths.length ? 0 : 1
}

/** The answer as a table: the paths in order, then those left out and why. */
export function formatRoute(a: Extract<RouteAnswer, { ok: true }>): string {
  const head = `${a.to} → ${a.e164}, priced for ${a.expectedSeconds} s\n`
  const rows = a.paths.map((p: RouteOffer, i) => [String(i + 1), p.path, p.bundle ? `0 (bundle ${p.bundle})` : `${p.cost.toFixed(4)} ${p.currency}`, `${p.ratePerMinute}/min ${p.prefix}${p.band ? ` ${p.band}` : ''}`, p.asr === null ? '—' : `${Math.round(p.asr * 100)}%`, p.callerId, p.dial])
  const table = rows.length ? columns([['#', 'path', 'cost', 'rate', 'ASR', 'shows', 'dial'], ...rows]) : 'no path can take this call\n'
  const left = a.excluded.map((e) => `  ${e.path}: ${e.reason}\n`).join('')
  return head + table + (left ? `left out:\n${left}` : '')
}

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows.map((r) => `${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}\n`).join('')
}

/**
 * One GET with node:http(s), not fetch: the PBX runs this per call, and fetch's first use loads undici
 * (~40 ms of CPU on x86, more on a Pi; issue 20 wants the whole command in 0.25 s).
 */
function get(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; ok: boolean; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { headers, timeout: timeoutMs }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, text }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)))
    req.on('error', reject)
    req.end()
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/**
 * Hostile HTTP requests for the fuzz test and the bench: every route of the
 * demo, often with the wrong method, mutated paths and queries, bodies of the
 * wrong type or shape, random bytes, bodies over the limit. Seeded (prng), so
 * a failure replays.
 */
import type { FastifyInstance } from 'fastify'
import { BODY_LIMIT } from '../web/server.js'

export const ROUTES: [string, string][] = [
  ['GET', '/healthz'], ['GET', '/api/v1/state'], ['GET', '/api/v1/calls'], ['GET', '/api/v1/panel'], ['GET', '/api/v1/route'],
  ['GET', '/api/v1/routing'], ['POST', '/api/v1/calls'], ['POST', '/api/v1/lines/pots1/report'], ['POST', '/api/v1/lines/gsm1/report'],
  ['POST', '/api/v1/lines/gsm1/test-call'], ['POST', '/api/v1/modems/gsm1/sms'], ['POST', '/api/v1/modems/gsm2/dial'],
  ['POST', '/api/v1/panel/test'], ['POST', '/api/v1/panel/silence'], ['POST', '/api/v1/routing/reload'], ['GET', '/'], ['GET', '/page.js'], ['POST', '/login'], ['POST', '/setup'], ['POST', '/logout'], ['GET', '/api/v1/config'], ['GET', '/api/v1/health'],
]
export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']
export const TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x', '']

export function junkValue(rnd: () => number, depth = 0): unknown {
  const r = rnd()
  if (r < 0.12) return null
  if (r < 0.24) return rnd() < 0.5
  if (r < 0.4) return [0, -1, 1e308, 3.5, -0.0, 2 ** 53, 86401][Math.floor(rnd() * 7)]
  if (r < 0.7) return ['', 'call', 'hangup', 'registration', 'answered', 'failed', '+79161234567', '89161234567', 'x'.repeat(Math.floor(rnd() * 300)), '\u0000\uffff', 'Линия', '{"a":1}', '../../etc/passwd', '<script>'][Math.floor(rnd() * 14)]
  if (depth > 3) return {}
  if (r < 0.85) return Array.from({ length: Math.floor(rnd() * 4) }, () => junkValue(rnd, depth + 1))
  const keys = ['type', 'id', 'callerId', 'to', 'path', 'outcome', 'dialstatus', 'seconds', 'cause', 'text', 'number', 'state', 'at', 'direction', '__proto__', 'constructor']
  return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)]!, junkValue(rnd, depth + 1)]))
}

export function junkBody(rnd: () => number): string | Buffer | undefined {
  const r = rnd()
  if (r < 0.15) return undefined
  if (r < 0.55) return JSON.stringify(junkValue(rnd))
  if (r < 0.8) return Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)))
  if (r < 0.9) return '{"type":"call",' // cut short
  return 'x'.repeat(BODY_LIMIT + 1 + Math.floor(rnd() * 1000))
}

export function junkPath(rnd: () => number, path: string): string {
  const r = rnd()
  const q = rnd() < 0.4 ? `?to=${encodeURIComponent(String(junkValue(rnd)))}&format=${['asterisk', 'json', 'x'][Math.floor(rnd() * 3)]}&peek=${Math.floor(rnd() * 3)}` : ''
  if (r < 0.6) return path + q
  if (r < 0.75) return path.replace(/[a-z0-9]+$/, encodeURIComponent(String(junkValue(rnd)).slice(0, 40))) + q
  if (r < 0.85) return `${path}/${'..%2f'.repeat(Math.floor(rnd() * 4))}x` + q
  return `/api/v1/${Math.floor(rnd() * 1e6).toString(36)}` + q
}

/** `n` generated requests (a route, often the wrong method, a mutated path, a junk body and type) with `extra` headers each; the statuses seen and any 5xx. */
export async function throwRequests(app: Pick<FastifyInstance, 'inject'>, n: number, rnd: () => number, extra: () => Record<string, string>) {
  const statuses = new Map<number, number>()
  const fives: string[] = []
  for (let i = 0; i < n; i++) {
    const [routeMethod, route] = ROUTES[Math.floor(rnd() * ROUTES.length)]!
    const method = rnd() < 0.8 ? routeMethod : METHODS[Math.floor(rnd() * METHODS.length)]!
    const body = method === 'GET' || method === 'HEAD' ? undefined : junkBody(rnd)
    const type = TYPES[Math.floor(rnd() * TYPES.length)]!
    const url = junkPath(rnd, route)
    const res = await app.inject({ method: method as 'GET', url, payload: body, headers: { ...extra(), ...(type ? { 'content-type': type } : {}) } })
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    if (res.statusCode >= 500) fives.push(`${method} ${url} (${type}): ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
  return { statuses, fives }
}

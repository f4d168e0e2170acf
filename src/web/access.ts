/**
 * Every HTTP route and the permission it needs, in one table so the policy can
 * be read (and tested) at a glance. A route missing here needs `admin`: a new
 * route is closed until someone decides otherwise. `public` routes are the
 * health check and what it takes to log in.
 */
import type { Permission } from '../auth/permissions.js'

export type Access = Permission | 'public'

export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /healthz': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /setup': 'public',
  'POST /setup': 'public',
  'GET /page.css': 'public',
  'POST /logout': 'read',
  'GET /': 'read',
  'GET /page.js': 'read',
  'GET /api/v1/health': 'read',
  'GET /metrics': 'metrics',
  'GET /api/v1/state': 'read',
  'GET /api/v1/calls': 'read',
  'GET /api/v1/panel': 'read',
  'GET /api/v1/events': 'read',
  'GET /api/v1/routing': 'read',
  'GET /api/v1/stats': 'read',
  'GET /api/v1/stats/calls': 'read',
  'POST /api/v1/stats/missed/:id/called-back': 'operate',
  'GET /stats': 'read',
  'GET /stats.js': 'read',
  'GET /stats.css': 'read',
  'GET /stats/month': 'read',
  'GET /stats-month.js': 'read',
  'GET /wallboard': 'read',
  'GET /wallboard.js': 'read',
  'GET /vendor/uplot.min.js': 'read',
  'GET /vendor/uplot.min.css': 'read',
  'GET /api/v1/route': 'route',
  'POST /api/v1/calls': 'report',
  'POST /api/v1/lines/:id/report': 'report',
  'POST /api/v1/panel/test': 'operate',
  'POST /api/v1/panel/silence': 'operate',
  'POST /api/v1/lines/:id/test-call': 'operate',
  'POST /api/v1/modems/:id/sms': 'operate',
  'POST /api/v1/modems/:id/dial': 'operate',
  'POST /api/v1/routing/reload': 'operate',
  'GET /api/v1/config': 'admin',
  'GET /api/v1/users': 'admin',
  'PUT /api/v1/users/:name': 'admin',
  'DELETE /api/v1/users/:name': 'admin',
  'GET /api/v1/tokens': 'admin',
  'POST /api/v1/tokens': 'admin',
  'DELETE /api/v1/tokens/:name': 'admin',
  'GET /api/v1/update': 'admin',
  'POST /api/v1/update': 'admin',
  'GET /update': 'admin',
  'GET /update.js': 'admin',
}

/** The simulator's controls (the demo only): operating the simulated world. */
const SIM_PREFIX = '/api/v1/sim/'

/**
 * Routes a PBX calls with no way to send a header (a dialplan's CURL()): the
 * token may come as ?token=. It is kept out of every log (the box logs route
 * patterns, never URLs).
 */
export const QUERY_TOKEN_ROUTES: ReadonlySet<string> = new Set(['GET /api/v1/route'])

export function isListed(method: string, url: string): boolean {
  return url.startsWith(SIM_PREFIX) || `${method} ${url}` in ROUTE_ACCESS
}

export function accessOf(method: string, url: string): Access {
  const m = method === 'HEAD' ? 'GET' : method
  if (url.startsWith(SIM_PREFIX)) return 'operate'
  return ROUTE_ACCESS[`${m} ${url}`] ?? 'admin'
}

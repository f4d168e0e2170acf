/**
 * Who may do what. Every HTTP route names the one permission it needs
 * (src/web/auth.ts refuses a route that names none); people have a role,
 * API tokens have scopes:
 *
 *   read      the page, the state, the event stream, routing's figures
 *   metrics   GET /metrics (a Prometheus server scrapes it)
 *   route     GET /api/v1/route (the PBX asks for a path)
 *   report    POST /api/v1/calls and /api/v1/lines/:id/report (the PBX tells what happened)
 *   operate   silence, lamp test, test calls, SMS, dialling, reloading decks
 *   admin     the config, users and tokens
 */
export const PERMISSIONS = ['read', 'metrics', 'route', 'report', 'operate', 'admin'] as const
export type Permission = (typeof PERMISSIONS)[number]

export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['read', 'metrics'],
  operator: ['read', 'metrics', 'route', 'report', 'operate'],
  admin: PERMISSIONS,
}

/** A token's scope words: a permission, a role (all its permissions) or `pbx` (route + report). */
const SCOPE_WORDS: Record<string, readonly Permission[]> = {
  ...Object.fromEntries(PERMISSIONS.map((p) => [p, [p]])),
  ...ROLE_PERMISSIONS,
  pbx: ['route', 'report'],
}

export const SCOPES = Object.keys(SCOPE_WORDS)

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s)
}

export function permissionsOfRole(role: Role): Set<Permission> {
  return new Set(ROLE_PERMISSIONS[role])
}

/** The permissions a token's scopes grant; throws naming an unknown word. */
export function permissionsOfScopes(scopes: readonly string[]): Set<Permission> {
  const out = new Set<Permission>()
  for (const s of scopes) {
    const granted = SCOPE_WORDS[s]
    if (!granted) throw new Error(`unknown scope "${s}" (one of ${SCOPES.join(', ')})`)
    for (const p of granted) out.add(p)
  }
  return out
}

/** The least role that has a permission: for the 403's message ("needs the operator role"). */
export function leastRoleWith(p: Permission): Role {
  return ROLES.find((r) => ROLE_PERMISSIONS[r].includes(p))!
}

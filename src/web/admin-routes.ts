/**
 * Users and API tokens over HTTP, for an admin (the same as `linewatch passwd`
 * and `linewatch token`, on the same credentials file). A token's text is in
 * the answer that makes it, and nowhere else ever again.
 */
import type { FastifyInstance } from 'fastify'
import { errorMessage } from '../core/errors.js'
import { ROLES, SCOPES, type Role } from '../auth/permissions.js'
import type { WebAuth } from './auth.js'

const userBody = {
  type: 'object',
  required: ['password', 'role'],
  additionalProperties: false,
  properties: { password: { type: 'string', maxLength: 256 }, role: { type: 'string', enum: [...ROLES] } },
} as const

const tokenBody = {
  type: 'object',
  required: ['name', 'scopes'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 32 }, scopes: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'string', enum: SCOPES } } },
} as const

export function adminRoutes(app: FastifyInstance, auth: WebAuth, now: () => number): void {
  const refused = (err: unknown) => ({ error: 'bad-request', message: errorMessage(err) })
  app.get('/api/v1/users', async () => ({ users: auth.credentials.users().map(({ name, role, changedAt }) => ({ name, role, changedAt })) }))
  app.put<{ Params: { name: string }; Body: { password: string; role: Role } }>('/api/v1/users/:name', { schema: { body: userBody } }, async (req, reply) => {
    try {
      const made = await auth.credentials.setPassword(req.params.name, req.body.password, req.body.role, now())
      // the user's other logins end: the one who changed their own password logs in again too
      auth.sessions.endUser(req.params.name)
      return reply.code(made ? 201 : 200).send({ name: req.params.name, role: req.body.role })
    } catch (err) {
      return reply.code(400).send(refused(err))
    }
  })
  app.delete<{ Params: { name: string } }>('/api/v1/users/:name', async (req, reply) => {
    if (req.identity?.session?.user === req.params.name) return reply.code(409).send({ error: 'conflict', message: 'you cannot remove yourself; another admin can, or linewatch passwd --remove' })
    if (!(await auth.credentials.removeUser(req.params.name))) return reply.code(404).send({ error: 'not-found', message: `no user "${req.params.name}"` })
    auth.sessions.endUser(req.params.name)
    return reply.code(204).send()
  })
  app.get('/api/v1/tokens', async () => ({ tokens: auth.credentials.tokens().map(({ name, scopes, createdAt }) => ({ name, scopes, createdAt })) }))
  app.post<{ Body: { name: string; scopes: string[] } }>('/api/v1/tokens', { schema: { body: tokenBody } }, async (req, reply) => {
    try {
      const token = await auth.credentials.addToken(req.body.name, req.body.scopes, now())
      return reply.code(201).header('cache-control', 'no-store').send({ name: req.body.name, scopes: req.body.scopes, token })
    } catch (err) {
      return reply.code(400).send(refused(err))
    }
  })
  app.delete<{ Params: { name: string } }>('/api/v1/tokens/:name', async (req, reply) => {
    if (!(await auth.credentials.revokeToken(req.params.name))) return reply.code(404).send({ error: 'not-found', message: `no token "${req.params.name}"` })
    return reply.code(204).send()
  })
}

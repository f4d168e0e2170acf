import type { FastifyInstance } from 'fastify'
import type { AttemptReport, RouteAnswer } from '../lcr/router.js'

/** What the HTTP side may ask of least-cost routing. */
export interface RoutingActions {
  route(to: string): RouteAnswer
  /** A refusal's text, or null when taken. */
  report(r: AttemptReport): string | null
  status(): unknown
}

const attemptBody = {
  type: 'object',
  required: ['path', 'to', 'outcome'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 32 },
    to: { type: 'string', minLength: 1, maxLength: 32 },
    outcome: { type: 'string', enum: ['answered', 'busy', 'no-answer', 'failed'] },
    cause: { type: ['string', 'null'], maxLength: 64, description: 'For failed: DIALSTATUS (CONGESTION, CHANUNAVAIL), a SIP status (503) or a Q.850 cause (34)' },
    seconds: { type: 'number', minimum: 0, maximum: 86400, description: 'For answered: the talk time' },
    id: { type: 'string', maxLength: 64 },
  },
} as const

/**
 * `GET /api/v1/route?to=NUMBER`: the paths to try, in order, and those left out with the reason;
 * `POST /api/v1/calls`: the PBX's report of one attempt; `GET /api/v1/routing`: breakers, ASR, bundles.
 */
export function routingRoutes(app: FastifyInstance, actions: RoutingActions): void {
  app.get<{ Querystring: { to?: string } }>('/api/v1/route', async (req, reply) => {
    const to = req.query.to
    if (!to) return reply.code(400).send({ error: 'bad-request', message: 'give the number: /api/v1/route?to=89161234567' })
    const answer = actions.route(to)
    return answer.ok ? answer : reply.code(400).send({ error: 'bad-number', message: answer.reason, to })
  })
  app.post<{ Body: AttemptReport & { id?: string } }>('/api/v1/calls', { schema: { body: attemptBody } }, async (req, reply) => {
    const { id: _id, ...attempt } = req.body
    const refused = actions.report(attempt)
    return refused ? reply.code(400).send({ error: 'bad-report', message: refused }) : reply.code(202).send({ ok: true })
  })
  app.get('/api/v1/routing', async () => actions.status())
}

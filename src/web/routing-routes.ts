import type { FastifyInstance } from 'fastify'
import type { AttemptReport, RouteAnswer } from '../lcr/router.js'

/** What the HTTP side may ask of least-cost routing. */
export interface RoutingActions {
  route(to: string, peek?: boolean): RouteAnswer
  /** A refusal's text, or null when taken. */
  report(r: AttemptReport): string | null
  status(): unknown
  /** Import the rate decks again; each keeps its last good deck when the new file is bad. */
  reload(): Promise<unknown>
}

const attemptBody = {
  type: 'object',
  required: ['path', 'to'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 32 },
    to: { type: 'string', minLength: 1, maxLength: 32 },
    outcome: { type: 'string', enum: ['answered', 'busy', 'no-answer', 'failed'] },
    dialstatus: { type: 'string', maxLength: 32, description: 'Instead of outcome: Asterisk\'s DIALSTATUS as it is (ANSWER, BUSY, NOANSWER, CONGESTION, CHANUNAVAIL, CANCEL, …)' },
    cause: { type: ['string', 'null'], maxLength: 64, description: 'For failed: DIALSTATUS (CONGESTION, CHANUNAVAIL), a SIP status (503) or a Q.850 cause (34)' },
    seconds: { type: 'number', minimum: 0, maximum: 86400, description: 'For answered: the talk time' },
    id: { type: 'string', minLength: 1, maxLength: 64, description: 'The attempt\'s own id: a report sent again with the same id is counted once' },
  },
} as const

/**
 * `GET /api/v1/route?to=NUMBER[&format=asterisk]`: the paths to try, in order, and those left out with the reason;
 * `POST /api/v1/calls`: the PBX's report of one attempt; `GET /api/v1/routing`: breakers, ASR, bundles.
 */
/** Asterisk's DIALSTATUS as an attempt's outcome: CONGESTION and CHANUNAVAIL are the path's faults (the cause says so). */
export function fromDialStatus(status: string): Pick<AttemptReport, 'outcome' | 'cause'> {
  const s = status.trim().toUpperCase()
  if (s === 'ANSWER') return { outcome: 'answered', cause: null }
  if (s === 'BUSY') return { outcome: 'busy', cause: null }
  if (s === 'NOANSWER' || s === 'CANCEL') return { outcome: 'no-answer', cause: null }
  return { outcome: 'failed', cause: s }
}

/**
 * A `+` sent unencoded in a query string arrives as a space (form encoding): `?to=+7916…` is what every
 * PBX's curl sends, so a leading space before the digits is read back as the `+` it was.
 */
export function restorePlus(to: string): string {
  return /^ \d/.test(to) ? `+${to.slice(1)}` : to
}

export function routingRoutes(app: FastifyInstance, actions: RoutingActions): void {
  const query = {
    type: 'object',
    additionalProperties: false,
    properties: { to: { type: 'string', maxLength: 32 }, format: { type: 'string', enum: ['json', 'asterisk'] }, peek: { type: 'string', enum: ['0', '1'] }, token: { type: 'string' } },
  } as const
  app.get<{ Querystring: { to?: string; format?: string; peek?: string } }>('/api/v1/route', { schema: { querystring: query } }, async (req, reply) => {
    const to = req.query.to === undefined ? undefined : restorePlus(req.query.to)
    if (!to) return reply.code(400).send({ error: 'bad-request', message: 'give the number: /api/v1/route?to=89161234567' })
    const answer = actions.route(to, req.query.peek === '1')
    // for a dialplan without a JSON parser: path!dial!callerid per path, paths separated by |; empty when none
    if (req.query.format === 'asterisk') return reply.type('text/plain').send(answer.ok ? answer.paths.map((p) => `${p.path}!${p.dial}!${p.callerId}`).join('|') : '')
    return answer.ok ? answer : reply.code(400).send({ error: 'bad-number', message: answer.reason, to })
  })
  app.post<{ Body: Omit<AttemptReport, 'outcome'> & { outcome?: AttemptReport['outcome']; dialstatus?: string; id?: string } }>('/api/v1/calls', { schema: { body: attemptBody } }, async (req, reply) => {
    const { dialstatus, outcome, ...rest } = req.body
    // one or the other: checked here, so the refusal says so in one line (a schema oneOf lists every branch)
    if ((dialstatus === undefined) === (outcome === undefined)) return reply.code(400).send({ error: 'bad-report', message: 'give either "outcome" or "dialstatus" (one of them)' })
    const attempt: AttemptReport = dialstatus !== undefined ? { ...rest, ...fromDialStatus(dialstatus) } : { ...rest, outcome: outcome! }
    const refused = actions.report(attempt)
    return refused ? reply.code(400).send({ error: 'bad-report', message: refused }) : reply.code(202).send({ ok: true })
  })
  app.get('/api/v1/routing', async () => actions.status())
  app.post('/api/v1/routing/reload', async () => ({ decks: await actions.reload() }))
}

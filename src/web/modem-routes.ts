import type { FastifyInstance, FastifyReply } from 'fastify'
import { ErrorCode, errorMessage, LinewatchError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ModemCall } from '../core/state.js'
import type { DialOptions } from '../modem/call-control.js'
import type { SmsResult } from '../modem/sms-sender.js'
import type { TestCallResult } from '../actions/test-call.js'
import { checkPbxReport, type PbxReport } from '../lines/pbx-report.js'


/** What the HTTP side may ask of a line. */
export interface LineActions {
  has(line: string): boolean
  test(line: string): Promise<TestCallResult>
  /** Whether the PBX reports on this line (lines[].pbxReports). */
  reports(line: string): boolean
  report(line: string, report: PbxReport): void
}

/** What the HTTP side may ask a modem to do. */
export interface ModemActions {
  has(modem: string): boolean
  sendSms(modem: string, to: string, text: string): Promise<SmsResult>
  dial(modem: string, number: string, opts: DialOptions): Promise<ModemCall>
}

/** Errors as HTTP statuses: our refusal 400, a call already up 409, the module's own "no" 502, no module 503, no answer 504. */
const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.INVALID_INPUT]: 400,
  [ErrorCode.AT_BUSY]: 409,
  [ErrorCode.AT_ERROR]: 502,
  [ErrorCode.AT_PORT_CLOSED]: 503,
  [ErrorCode.AT_TIMEOUT]: 504,
}

const smsBody = {
  type: 'object',
  required: ['to', 'text'],
  additionalProperties: false,
  properties: { to: { type: 'string', maxLength: 21 }, text: { type: 'string', minLength: 1, maxLength: 1530 } },
} as const

const dialBody = {
  type: 'object',
  required: ['number'],
  additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 21 },
    ringSeconds: { type: 'integer', minimum: 5, maximum: 120 },
    talkSeconds: { type: 'integer', minimum: 0, maximum: 600 },
  },
} as const

/** Actions cost money and reach people: never on a box open to anyone (403), and only on what exists (404). */
function guarded(opts: { spending: boolean }, what: string, has: (id: string) => boolean) {
  return (id: string, reply: FastifyReply): boolean => {
    if (!opts.spending) {
      void reply.code(403).send({ error: 'forbidden', message: 'sending SMS and calling need the box\'s login (http.auth: required): with http.auth: none anyone could spend money' })
      return false
    }
    if (!has(id)) {
      void reply.code(404).send({ error: 'not-found', message: `no ${what} "${id}"` })
      return false
    }
    return true
  }
}

function failed(log: Logger) {
  return (reply: FastifyReply, err: unknown) => {
    const code = err instanceof LinewatchError ? err.code : 'INTERNAL'
    if (!(err instanceof LinewatchError)) log.error({ err: errorMessage(err) }, 'action failed')
    return reply.code(STATUS[code] ?? 500).send({ error: code, message: errorMessage(err) })
  }
}

/** POST /api/v1/lines/:id/test-call: a test call now; answers with the result when it is over. */
export function lineRoutes(app: FastifyInstance, actions: LineActions, opts: { spending: boolean; log: Logger }): void {
  const guard = guarded(opts, 'line that can be tested', (id) => actions.has(id))
  const fail = failed(opts.log)
  // checked by the same function as MQTT's reports, so both name the one problem in the same words
  app.post<{ Params: { id: string } }>('/api/v1/lines/:id/report', async (req, reply) => {
    if (!actions.reports(req.params.id)) return reply.code(404).send({ error: 'not-found', message: `no line "${req.params.id}" with pbxReports` })
    const checked = checkPbxReport(req.body)
    if ('error' in checked) return reply.code(400).send({ error: 'bad-report', message: checked.error })
    actions.report(req.params.id, checked.report)
    return reply.code(202).send({ ok: true })
  })
  app.post<{ Params: { id: string } }>('/api/v1/lines/:id/test-call', async (req, reply) => {
    if (!guard(req.params.id, reply)) return reply
    try {
      return await actions.test(req.params.id)
    } catch (err) {
      return fail(reply, err)
    }
  })
}

export function modemRoutes(app: FastifyInstance, actions: ModemActions, opts: { spending: boolean; log: Logger }): void {
  const guard = guarded(opts, 'modem', (id) => actions.has(id))
  const fail = failed(opts.log)

  app.post<{ Params: { id: string }; Body: { to: string; text: string } }>('/api/v1/modems/:id/sms', { schema: { body: smsBody } }, async (req, reply) => {
    if (!guard(req.params.id, reply)) return reply
    try {
      return await actions.sendSms(req.params.id, req.body.to, req.body.text)
    } catch (err) {
      return fail(reply, err)
    }
  })

  app.post<{ Params: { id: string }; Body: { number: string; ringSeconds?: number; talkSeconds?: number } }>('/api/v1/modems/:id/dial', { schema: { body: dialBody } }, async (req, reply) => {
    if (!guard(req.params.id, reply)) return reply
    try {
      const { number, ...dialOpts } = req.body
      return await actions.dial(req.params.id, number, dialOpts)
    } catch (err) {
      return fail(reply, err)
    }
  })
}

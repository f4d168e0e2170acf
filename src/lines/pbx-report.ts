import { Ajv, type ErrorObject } from 'ajv'

/**
 * What the PBX reports on a line, by HTTP (POST /api/v1/lines/<id>/report)
 * or MQTT (<base>/pbx/<id>/report): one JSON object each.
 * - `call`: a call on the line: incoming (counted as the line's call; the
 *   default) or outgoing; with an `id`, it holds a channel until its `hangup`.
 * - `hangup`: the call with that id ended.
 * - `refused`: the carrier refused a call (congestion, 503, no channel).
 * - `registration`: the SIP trunk's registration state.
 */
/** What the PBX may add about a call, at its start or its hang-up, for the statistics (docs/stats.md). */
export interface PbxCallDetail {
  /** When it was answered (ms since the epoch). */
  answeredAt?: number
  /** How long it rang before the answer (or before the caller gave up). */
  ringSeconds?: number
  /** The queue it waited in: an unanswered call that was in a queue is `abandoned`, not `missed`. */
  queue?: string
  agent?: string
}

export type PbxReport =
  | ({ type: 'call'; callerId?: string | null; at?: number; id?: string; direction?: 'in' | 'out' } & PbxCallDetail)
  | ({ type: 'hangup'; id: string; at?: number } & PbxCallDetail)
  | { type: 'refused'; direction?: 'in' | 'out'; cause?: string }
  | { type: 'registration'; state: 'registered' | 'unregistered' | 'failed'; reason?: string }

const callId = { type: 'string', minLength: 1, maxLength: 64 } as const
const direction = { enum: ['in', 'out'] } as const
const detail = {
  answeredAt: { type: 'integer', minimum: 0 },
  ringSeconds: { type: 'number', minimum: 0, maximum: 3600 },
  queue: { type: 'string', minLength: 1, maxLength: 64 },
  agent: { type: 'string', minLength: 1, maxLength: 64 },
} as const

export const PBX_REPORT_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: { type: { const: 'call' }, callerId: { type: ['string', 'null'], maxLength: 32 }, at: { type: 'integer', minimum: 0 }, id: callId, direction, ...detail },
    },
    { type: 'object', required: ['type', 'id'], additionalProperties: false, properties: { type: { const: 'hangup' }, id: callId, at: { type: 'integer', minimum: 0 }, ...detail } },
    { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'refused' }, direction, cause: { type: 'string', maxLength: 200 } } },
    {
      type: 'object',
      required: ['type', 'state'],
      additionalProperties: false,
      properties: { type: { const: 'registration' }, state: { enum: ['registered', 'unregistered', 'failed'] }, reason: { type: 'string', maxLength: 200 } },
    },
  ],
} as const

const ajv = new Ajv({ allErrors: false, strict: false })
// one validator per kind, so a refusal names what is wrong with the kind that was meant
const byType = new Map(PBX_REPORT_SCHEMA.oneOf.map((branch) => [branch.properties.type.const as string, ajv.compile<PbxReport>(branch)]))

/** A report from its bytes (MQTT): the report, or why it is not one. */
export function parsePbxReport(bytes: Buffer | string): { report: PbxReport } | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString())
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` }
  }
  return checkPbxReport(value)
}

/**
 * A parsed report (HTTP's body, MQTT's JSON): the report, or the one thing wrong with it, said for the
 * kind its `type` names (not every branch of the schema's oneOf).
 */
export function checkPbxReport(value: unknown): { report: PbxReport } | { error: string } {
  const type = (value as { type?: unknown } | null)?.type
  const check = typeof type === 'string' ? byType.get(type) : undefined
  if (!check) return { error: `"type" must be one of ${[...byType.keys()].join(', ')}` }
  if (check(value)) return { report: value }
  return { error: `a ${type} report: ${describeAjvError(check.errors![0]!)}` }
}

const A: Record<string, string> = { string: 'a string', integer: 'an integer', number: 'a number', object: 'an object', boolean: 'true or false', null: 'null' }

/** One ajv error in words: `"callerId" must be a string or null`, not `/callerId must be string,null`. */
export function describeAjvError(e: ErrorObject): string {
  const field = e.instancePath ? `"${e.instancePath.slice(1).replace(/\//g, '.')}"` : 'it'
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return `"${String(p.missingProperty)}" is missing`
    case 'additionalProperties':
      return `"${String(p.additionalProperty)}" is not a field of it`
    case 'type':
      return `${field} must be ${String(p.type).split(',').map((x) => A[x] ?? x).join(' or ')}`
    case 'enum':
      return `${field} must be one of ${(p.allowedValues as unknown[]).join(', ')}`
    default:
      return `${field} ${e.message ?? 'is not valid'}`
  }
}

import { Ajv } from 'ajv'

/**
 * What the PBX reports on a line, by HTTP (POST /api/v1/lines/<id>/report)
 * or MQTT (<base>/pbx/<id>/report): one JSON object each.
 * - `call`: a call on the line: incoming (counted as the line's call; the
 *   default) or outgoing; with an `id`, it holds a channel until its `hangup`.
 * - `hangup`: the call with that id ended.
 * - `refused`: the carrier refused a call (congestion, 503, no channel).
 * - `registration`: the SIP trunk's registration state.
 */
export type PbxReport =
  | { type: 'call'; callerId?: string | null; at?: number; id?: string; direction?: 'in' | 'out' }
  | { type: 'hangup'; id: string }
  | { type: 'refused'; direction?: 'in' | 'out'; cause?: string }
  | { type: 'registration'; state: 'registered' | 'unregistered' | 'failed'; reason?: string }

const callId = { type: 'string', minLength: 1, maxLength: 64 } as const
const direction = { enum: ['in', 'out'] } as const

export const PBX_REPORT_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: { type: { const: 'call' }, callerId: { type: ['string', 'null'], maxLength: 32 }, at: { type: 'integer', minimum: 0 }, id: callId, direction },
    },
    { type: 'object', required: ['type', 'id'], additionalProperties: false, properties: { type: { const: 'hangup' }, id: callId } },
    { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'refused' }, direction, cause: { type: 'string', maxLength: 200 } } },
    {
      type: 'object',
      required: ['type', 'state'],
      additionalProperties: false,
      properties: { type: { const: 'registration' }, state: { enum: ['registered', 'unregistered', 'failed'] }, reason: { type: 'string', maxLength: 200 } },
    },
  ],
} as const

const check = new Ajv({ allErrors: false, strict: false }).compile<PbxReport>(PBX_REPORT_SCHEMA)

/** A report from its bytes (MQTT): the report, or why it is not one. */
export function parsePbxReport(bytes: Buffer | string): { report: PbxReport } | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString())
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` }
  }
  if (check(value)) return { report: value }
  // oneOf reports every branch; the `type` says which one was meant
  const type = (value as { type?: unknown } | null)?.type
  const known = ['call', 'hangup', 'refused', 'registration']
  if (typeof type !== 'string' || !known.includes(type)) return { error: `"type" must be one of ${known.join(', ')}` }
  const branch = check.errors?.find((e) => e.instancePath !== '' || e.keyword === 'required' || e.keyword === 'additionalProperties')
  return { error: `a ${type} report: ${branch ? `${branch.instancePath || '/'} ${branch.message}${branch.params && 'additionalProperty' in branch.params ? ` (${String(branch.params.additionalProperty)})` : ''}` : 'invalid'}` }
}

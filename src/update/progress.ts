import { Type } from '@sinclair/typebox'

/** The payload of `<base>/update` (retained): an update's progress (docs/mqtt.md, docs/updates.md). */
export const UPDATE_STAGES = ['download', 'check', 'queued', 'lock', 'verify', 'prepare', 'write', 'readback', 'mark', 'done', 'failed', 'fell-back', 'confirmed'] as const

export const UpdateProgressSchema = Type.Object(
  {
    stage: Type.Union(UPDATE_STAGES.map((s) => Type.Literal(s))),
    done: Type.Integer({ minimum: 0, description: 'bytes (or steps) done in this stage' }),
    total: Type.Integer({ minimum: 0 }),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
    ok: Type.Optional(Type.Boolean({ description: 'at the end: whether it went through' })),
    message: Type.Optional(Type.String()),
    ts: Type.Integer(),
  },
  { additionalProperties: false },
)

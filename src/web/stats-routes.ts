import type { FastifyInstance, FastifyReply } from 'fastify'
import type { CallRow } from '../stats/call-log.js'
import type { LineFigures } from '../stats/figures.js'
import { StatsError, type StatsQuery } from '../stats/service.js'
import { PERIODS } from '../stats/site-time.js'

/** A question the statistics cannot answer: 503 when the records are off or missing, else 400 (docs/stats.md). */
function refuse(reply: FastifyReply, message: string): FastifyReply {
  const off = message.startsWith('statistics are') || message.startsWith('no call records')
  return reply.code(off ? 503 : 400).send({ error: off ? 'unavailable' : 'bad-request', message })
}

/** What the HTTP side may ask of the statistics (src/stats/service.ts). */
export interface StatsActions {
  figures(q: StatsQuery): unknown
  calls(q: StatsQuery): CallRow[]
  /** A person marks a missed call as called back: false when there is no such missed call. */
  markCalledBack(id: string, by: string | null): boolean
}

const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const
const query = {
  type: 'object',
  additionalProperties: false,
  properties: { from: date, to: date, by: { type: 'string', enum: [...PERIODS] }, line: { type: 'string', maxLength: 32 }, format: { type: 'string', enum: ['json', 'csv'] } },
} as const

const CSV_COLUMNS = ['id', 'line', 'direction', 'caller', 'called', 'started', 'answered', 'ended', 'ringSeconds', 'talkSeconds', 'outcome', 'path', 'cost', 'currency', 'test'] as const

/**
 * One CSV field (RFC 4180). A caller ID is the caller's to choose (an alphanumeric sender): a field a
 * spreadsheet would run as a formula gets a leading `'`; an E.164 number keeps its `+`.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  let s = String(v)
  if (/^[=@\t\r-]/.test(s) || (s.startsWith('+') && !/^\+\d+$/.test(s))) s = `'${s}`
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function callsCsv(rows: readonly CallRow[]): string {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())
  const secs = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10)
  const lines = rows.map((r) => [r.id, r.line, r.direction, r.caller, r.called, iso(r.started), iso(r.answered), iso(r.ended), secs(r.ringMs), secs(r.talkMs), r.outcome, r.path, r.cost, r.currency, r.test ? 1 : 0].map(csvField).join(','))
  return `${CSV_COLUMNS.join(',')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`
}

const FIGURE_COLUMNS = ['line', 'bucket', 'offered', 'answered', 'missed', 'abandoned', 'unknown', 'serviceLevel', 'answerSecondsMean', 'answerSecondsP90', 'talkSecondsMean', 'outAttempts', 'outAnswered', 'asr', 'acd', 'outMinutes', 'cost'] as const

/** The figures for a spreadsheet: a row per line (and `*`, the store) and bucket of the period, then its total. */
export function figuresCsv(lines: readonly LineFigures[]): string {
  const rows = lines.flatMap((l) =>
    [...l.buckets, l.total].map(({ bucket, incoming: i, outgoing: o }) =>
      [l.line, bucket, i.offered, i.answered, i.missed, i.abandoned, i.unknown, i.serviceLevel, i.answerSeconds.mean, i.answerSeconds.p90, i.talkSeconds, o.attempts, o.answered, o.asr, o.acd, o.minutes, o.cost].map(csvField).join(','),
    ),
  )
  return `${FIGURE_COLUMNS.join(',')}\r\n${rows.map((l) => `${l}\r\n`).join('')}`
}

const attachment = (kind: string, q: StatsQuery) => `attachment; filename="${kind}-${q.from ?? 'today'}${q.to ? `-${q.to}` : ''}.csv"`

/** `GET /api/v1/stats` (the figures, JSON or CSV) and `GET /api/v1/stats/calls` (the records, JSON or CSV). */
export function statsRoutes(app: FastifyInstance, stats: StatsActions): void {
  const answer = <T>(fn: () => T) => {
    try {
      return { ok: true as const, value: fn() }
    } catch (err) {
      if (err instanceof StatsError) return { ok: false as const, message: err.message }
      throw err
    }
  }
  app.get<{ Querystring: StatsQuery & { format?: 'json' | 'csv' } }>('/api/v1/stats', { schema: { querystring: query } }, async (req, reply) => {
    const r = answer(() => stats.figures(req.query))
    if (!r.ok) return refuse(reply, r.message)
    if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment('figures', req.query)).send(figuresCsv((r.value as { lines: LineFigures[] }).lines))
    return r.value
  })
  app.get<{ Querystring: StatsQuery & { format?: 'json' | 'csv' } }>('/api/v1/stats/calls', { schema: { querystring: query } }, async (req, reply) => {
    const r = answer(() => stats.calls(req.query))
    if (!r.ok) return refuse(reply, r.message)
    if (req.query.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment('calls', req.query)).send(callsCsv(r.value))
    }
    return { calls: r.value }
  })
  app.post<{ Params: { id: string } }>('/api/v1/stats/missed/:id/called-back', { schema: { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] } } }, async (req, reply) => {
    const by = req.identity?.who ?? null
    const r = answer(() => stats.markCalledBack(req.params.id, by))
    if (!r.ok) return reply.code(503).send({ error: 'unavailable', message: r.message })
    if (!r.value) return reply.code(404).send({ error: 'not-found', message: `no missed call "${req.params.id.slice(0, 128)}"` })
    return { ok: true, id: req.params.id, by }
  })
}

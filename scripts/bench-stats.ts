/**
 * 15. The call records (bench-stats.ts): a store's month (6,000 calls over 30 days, seeded) written the way
 * the box writes them (each call once it has ended, a transaction each), next to the
 * alternative a user would pick, one JSON file rewritten whole (lowdb's way) at the same moments; bytes
 * handed to the disk per 1,000 calls (from /proc/self/io), the month's report (every line by day, paths,
 * missed calls and their call backs) in ms, best of 3, and the RSS the database and the report add.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { systemClock } from '../src/core/clock.js'
import { silentLogger } from '../src/core/logger.js'
import { prng } from '../src/sim/prng.js'
import type { CallRow } from '../src/stats/call-log.js'

type Figure = { figure: string; value: number; unit: string }

const CALLS = 6000
const DAYS = 30
const round = (x: number, digits = 1) => Number(x.toFixed(digits))

/** Bytes this process has passed to write() so far (Linux); null elsewhere. */
function written(): number | null {
  try {
    return Number(/wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1])
  } catch {
    return null
  }
}

function month(start: number): CallRow[] {
  const random = prng(19)
  const rows: CallRow[] = []
  for (let i = 0; i < CALLS; i++) {
    const day = Math.floor(random() * DAYS)
    const hour = 9 + Math.floor(random() * 10)
    const started = start + day * 86_400_000 + hour * 3600_000 + Math.floor(random() * 3600_000)
    const inbound = random() < 0.75
    const answered = random() < 0.85
    const ring = 3000 + Math.floor(random() * 30_000)
    const talk = answered ? 20_000 + Math.floor(random() * 300_000) : null
    rows.push({
      id: `gsm${1 + (i % 2)}-${started}`, line: `gsm${1 + (i % 2)}`, direction: inbound ? 'in' : 'out',
      caller: inbound ? `+7916${String(Math.floor(random() * 3000)).padStart(7, '0')}` : '+74951110001',
      called: inbound ? '+74951110001' : `+7916${String(Math.floor(random() * 3000)).padStart(7, '0')}`,
      started, answered: answered ? started + ring : null, ended: started + ring + (talk ?? 0), ringMs: ring, talkMs: talk,
      outcome: answered ? 'answered' : inbound ? 'missed' : 'no-answer', path: inbound ? null : `gsm${1 + (i % 2)}`, cost: inbound ? null : 0.5, currency: inbound ? null : 'RUB', test: false, sources: ['modem'],
    })
  }
  return rows.sort((a, b) => a.started - b.started)
}

/**
 * RSS of a fresh process that opens the database and makes the month's report, less that of one that
 * only loads the same modules: what the statistics cost a box, without this bench's own garbage.
 */
function reportRss(file: string, start: number): number {
  const dist = fileURLToPath(new URL('../src/stats/', import.meta.url))
  const script = (work: boolean) => `
    const { CallLog } = await import(${JSON.stringify(join(dist, 'call-log.js'))})
    const { lineFigures, missedCalls, pathFigures } = await import(${JSON.stringify(join(dist, 'figures.js'))})
    if (${work}) {
      const clock = { now: () => Date.now(), setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) }
      const log = new CallLog({ file: ${JSON.stringify(file)}, log: { warn() {}, info() {} }, clock, retentionMonths: 13, budgetBytes: 1e9 })
      const rows = log.between(${start}, ${start + DAYS * 86_400_000})
      lineFigures(rows, 'day', 'Europe/Moscow', { percent: 80, seconds: 20 })
      pathFigures(rows)
      missedCalls(rows, (n, a) => log.followUp(n, a), ${start + DAYS * 86_400_000})
    }
    globalThis.gc()
    process.stdout.write(String(process.memoryUsage().rss))`
  const rssOf = (work: boolean) => Number(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script(work)], { encoding: 'utf8' }))
  return (rssOf(true) - rssOf(false)) / 1e6
}

export async function benchStats(): Promise<{ figures: Figure[]; skipped?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-bench-stats-'))
  try {
    const { CallLog } = await import('../src/stats/call-log.js')
    const { lineFigures, missedCalls, pathFigures } = await import('../src/stats/figures.js')
    let log: InstanceType<typeof CallLog>
    try {
      log = new CallLog({ file: join(dir, 'calls.sqlite'), log: silentLogger(), clock: systemClock, retentionMonths: 13, budgetBytes: 1e9 })
    } catch (err) {
      return { figures: [], skipped: (err as Error).message }
    }
    const start = Date.UTC(2026, 10, 1)
    const rows = month(start)
    const w0 = written()
    for (const r of rows) {
      log.put(r)
      log.flush()
    }
    const sqliteBytes = w0 === null ? null : written()! - w0
    const report = () => {
      const got = log.between(start, start + DAYS * 86_400_000)
      lineFigures(got, 'day', 'Europe/Moscow', { percent: 80, seconds: 20 })
      pathFigures(got)
      return missedCalls(got, (n, after) => log.followUp(n, after), start + DAYS * 86_400_000).length
    }
    let best = Infinity
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      report()
      best = Math.min(best, performance.now() - t0)
    }
    const fileBytes = log.bytes()
    log.close()
    const rss = reportRss(join(dir, 'calls.sqlite'), start)
    // the alternative: the same records as one JSON file, rewritten whole (temp + rename) at the same moments
    const json = join(dir, 'calls.json')
    const kept: CallRow[] = []
    const j0 = written()
    for (const r of rows) {
      kept.push(r)
      writeFileSync(`${json}.tmp`, JSON.stringify(kept))
      renameSync(`${json}.tmp`, json)
    }
    const jsonBytes = j0 === null ? null : written()! - j0
    const figures: Figure[] = [
      { figure: `call records: database for a month (${CALLS} calls)`, value: round(fileBytes / 1e6, 2), unit: 'MB' },
      { figure: "call records: the month's report (by day, paths, missed calls and call backs), best of 3", value: round(best), unit: 'ms' },
      { figure: "call records: RSS a box adds to open the month's database and make its report", value: round(rss), unit: 'MB' },
    ]
    if (sqliteBytes !== null && jsonBytes !== null) {
      figures.push(
        { figure: 'call records: bytes written per 1,000 calls, SQLite (a transaction a call)', value: round(sqliteBytes / (CALLS / 1000) / 1e6, 2), unit: 'MB' },
        { figure: 'call records: bytes written per 1,000 calls, one JSON file rewritten whole', value: round(jsonBytes / (CALLS / 1000) / 1e6, 1), unit: 'MB' },
      )
    }
    return { figures }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

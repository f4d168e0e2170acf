/**
 * The call log on SQLite: rows written together, read back whole, merged
 * rows removed, pruned by age and by the disk budget, and a power cut (SIGKILL
 * of a writer in the middle of its transactions) that leaves a sound database
 * holding whole batches only.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { packageRoot } from '../../src/core/version.js'
import { CallLog, type CallRow } from '../../src/stats/call-log.js'
import { openDatabase } from '../../src/stats/db.js'
import { tempDir } from '../helpers/tmp.js'

const DAY = 86_400_000
const row = (id: string, started: number, over: Partial<CallRow> = {}): CallRow => ({
  id, line: 'gsm1', direction: 'in', caller: '+79161112233', called: '+74951110001', started, answered: null, ended: started + 20_000, ringMs: 20_000, talkMs: null, outcome: 'missed', path: null, cost: null, currency: null, test: false, sources: ['modem'], ...over,
})

function open(t: Test, over: { retentionMonths?: number; budgetBytes?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 3))
  const file = join(tempDir(t), 'calls.sqlite')
  const log = new CallLog({ file, log: silentLogger(), clock, retentionMonths: over.retentionMonths ?? 13, budgetBytes: over.budgetBytes ?? 200e6 })
  t.teardown(() => log.close())
  return { log, clock, file }
}

t.test('rows wait a second and are written in one go; a later put of the same id replaces it', async (t) => {
  const { log, clock, file } = open(t)
  t.match(log.engine, /^(node:sqlite|better-sqlite3)$/)
  const now = clock.now()
  log.put(row('a', now - 1000))
  log.put(row('b', now - 500, { direction: 'out', caller: null, called: '+79031234567', outcome: null, path: 'sip1', sources: ['modem', 'routing'] }))
  const other = openDatabase(file)
  t.teardown(() => other.close())
  const onDisk = () => Number((other.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n)
  t.equal(onDisk(), 0, 'nothing written yet')
  t.same(log.get('a')?.outcome, 'missed', 'but it can be read')
  clock.advance(1000)
  t.equal(onDisk(), 2, 'written a second later, together')
  log.put(row('a', now - 1000, { outcome: 'answered', answered: now, talkMs: 5000 }))
  log.remove('b')
  const rows = log.between(now - DAY, now + DAY)
  t.same(rows.map((r) => [r.id, r.outcome]), [['a', 'answered']], 'replaced, and the removed row gone')
  t.same(log.get('a'), row('a', now - 1000, { outcome: 'answered', answered: now, talkMs: 5000 }), 'every field read back as written')
})

t.test('prune: older than the retention, then the oldest until within the budget', async (t) => {
  const { log, clock } = open(t, { retentionMonths: 1 })
  const now = clock.now()
  for (let i = 0; i < 40; i++) log.put(row(`old${i}`, now - 40 * DAY - i))
  for (let i = 0; i < 40; i++) log.put(row(`new${i}`, now - i * 60_000))
  t.equal(log.prune(), 40, 'the calls over a month old')
  t.equal(log.count(), 40)
  const small = open(t, { budgetBytes: 64 * 1024 })
  for (let i = 0; i < 3000; i++) small.log.put(row(`r${String(i).padStart(5, '0')}`, now - (3000 - i) * 1000, { caller: `+7916${String(i).padStart(7, '0')}` }))
  small.log.flush()
  t.ok(small.log.bytes() > 64 * 1024, `over the budget first (${small.log.bytes()} B)`)
  const gone = small.log.prune()
  t.ok(gone > 0 && small.log.bytes() <= 64 * 1024, `within it after (${gone} oldest deleted, ${small.log.bytes()} B)`)
  const left = small.log.between(0, now + DAY)
  t.equal(left.at(-1)?.id, 'r02999', 'the newest kept')
  t.equal(left[0]!.id, `r${String(3000 - left.length).padStart(5, '0')}`, 'the oldest went first')
})

t.test('a power cut in the middle of writing leaves a sound database with whole batches', async (t) => {
  const file = join(tempDir(t), 'calls.sqlite')
  const module = join(packageRoot(), 'dist', 'src', 'stats', 'call-log.js')
  // a writer that puts 50 rows and flushes, over and over, until it is killed
  const script = `
    const { CallLog } = await import(${JSON.stringify(module)})
    const clock = { now: () => Date.now(), setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) }
    const log = new CallLog({ file: ${JSON.stringify(file)}, log: { warn() {}, info() {} }, clock, retentionMonths: 13, budgetBytes: 1e9 })
    let i = 0
    process.stdout.write('ready\\n')
    for (;;) {
      for (let k = 0; k < 50; k++, i++) log.put({ id: 'c' + i, line: 'gsm1', direction: 'in', caller: '+7916' + i, called: null, started: i, answered: null, ended: i, ringMs: 0, talkMs: null, outcome: 'missed', path: null, cost: null, currency: null, test: false, sources: ['modem'] })
      log.flush()
    }`
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((r) => child.stdout!.once('data', () => r()))
    await new Promise((r) => setTimeout(r, 150 + round * 70))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
  }
  const db = openDatabase(file)
  t.teardown(() => db.close())
  t.same(db.prepare('PRAGMA integrity_check').all(), [{ integrity_check: 'ok' }], 'integrity_check: ok')
  const n = Number((db.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n)
  t.ok(n > 0, `${n} rows survived`)
  // every run starts again at c0 and replaces the same ids: whole batches of 50 or nothing
  t.equal(n % 50, 0, 'only whole transactions')
})

t.test('a database from before the money figures opens with the new columns; its rows read with none, new rows keep them', async (t) => {
  const file = join(tempDir(t), 'calls.sqlite')
  const old = openDatabase(file)
  // the calls table as the first release of the statistics made it
  old.exec(`CREATE TABLE calls (id TEXT PRIMARY KEY, line TEXT, direction TEXT NOT NULL, caller TEXT, called TEXT, started INTEGER NOT NULL, answered INTEGER, ended INTEGER, ring_ms INTEGER, talk_ms INTEGER,
    outcome TEXT, path TEXT, cost REAL, currency TEXT, test INTEGER NOT NULL DEFAULT 0, sources TEXT NOT NULL, queue TEXT, agent TEXT) WITHOUT ROWID`)
  old.prepare(`INSERT INTO calls (id, direction, started, sources, outcome, path, cost, currency) VALUES ('old', 'out', ?, 'routing', 'answered', 'gsm1', 1.5, 'RUB')`).run(Date.UTC(2026, 11, 2))
  old.close()
  const log = new CallLog({ file, log: silentLogger(), clock: new FakeClock(Date.UTC(2026, 11, 3)), retentionMonths: 13, budgetBytes: 200e6 })
  t.teardown(() => log.close())
  const before = log.get('old')!
  t.match(before, { id: 'old', cost: 1.5 })
  t.notOk('bundleSeconds' in before || 'baselineCost' in before, 'an old row has neither')
  log.put(row('new', Date.UTC(2026, 11, 3), { direction: 'out', path: 'gsm1', cost: 0.9, bundleSeconds: 60, baselineCost: 3 }))
  log.flush()
  t.match(log.get('new'), { bundleSeconds: 60, baselineCost: 3 })
})

/**
 * The outbox on the journal: in order, nothing lost across a restart or a
 * power cut, group commit (one fsync per batch, at most one per 100 ms under
 * load), the disk budget (state events dropped first, alerts last, each drop
 * counted), the office's acknowledgement, and the move from outbox.json.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Journal, type JournalOptions } from '../../src/core/journal.js'
import { silentLogger } from '../../src/core/logger.js'
import { Outbox, type OutboxMessage } from '../../src/report/outbox.js'
import { adoptLegacyState } from '../../src/report/legacy-state.js'
import { tempDir } from '../helpers/tmp.js'

/** One life of an outbox on `dir`: `restart()` closes its journal (a clean stop) and opens the next. */
function open(t: Test, dir: string, opts: { budgetBytes?: number; officeAck?: boolean; journal?: JournalOptions } = {}) {
  const journal = new Journal(join(dir, 'journal.log'), silentLogger(), opts.journal)
  journal.open()
  t.teardown(() => journal.close())
  const box = new Outbox({ log: silentLogger(), budgetBytes: opts.budgetBytes, officeAck: opts.officeAck })
  box.load(journal)
  return { box, journal }
}
/** Long enough for the group commit to have written what was added. */
const settle = () => new Promise((r) => setTimeout(r, 150))

t.test('messages leave only when sent, in order; a failure keeps the rest; a restart keeps the numbering', async (t) => {
  const dir = tempDir(t)
  const { box, journal } = open(t, dir)
  box.add('a/alert', { n: 1 })
  box.add('a/event', { n: 2 })
  box.add('a/alert', { n: 3 })
  const sent: OutboxMessage[] = []
  await box.drain(async (m) => void sent.push(m))
  t.same(sent, [], 'nothing is sent before it is on the card (a seq the office has is never given again)')
  await settle()
  await box.drain(async (m) => {
    if (m.seq === 3) throw new Error('broker went away')
    sent.push(m)
  })
  // a window fails whole: 1 and 2 went, but 3 did not, so the window is sent again next time
  t.same(sent.map((m) => [m.seq, m.topic, m.payload]), [[1, 'a/alert', '{"n":1,"seq":1}'], [2, 'a/event', '{"n":2,"seq":2}']], 'in order, seq in the payload')
  t.same(box.messages.map((m) => m.seq), [1, 2, 3], 'nothing counted as sent from a window that failed')
  await box.drain(async () => {})
  t.equal(box.size, 0)
  box.add('a/event', { n: 4 })
  journal.close()
  const after = open(t, dir).box // a restart
  t.same(after.messages.map((m) => [m.seq, m.payload]), [[4, '{"n":4,"seq":4}']], 'the unsent one survives')
  t.equal(after.add('a/event', {}).seq, 5, 'numbering goes on after a restart')
})

t.test('a power cut: what add() had on the card survives; a torn last record is cut off', async (t) => {
  const dir = tempDir(t)
  const { box } = open(t, dir)
  for (let n = 1; n <= 3; n++) box.add('a/call', { n })
  await settle() // the group commit has run
  // the process dies without closing anything, mid-way through the next write
  const file = join(dir, 'journal.log')
  writeFileSync(file, `${readFileSync(file, 'utf8')}{"s":"outbox","r":{"m":[4,"a/call","{\\"n\\":4`)
  const after = new Outbox({ log: silentLogger() })
  const j = new Journal(file, silentLogger())
  j.open()
  t.teardown(() => j.close())
  after.load(j)
  t.same(after.messages.map((m) => m.seq), [1, 2, 3])
  t.equal(after.add('a/call', {}).seq, 4, 'the torn message was never on the card: its seq is given again')
  t.notOk(readFileSync(file, 'utf8').includes('\\"n\\":4'), 'the torn line is cut off')
})

t.test('group commit: a burst shares fsyncs, at most one per 100 ms', async (t) => {
  const { box, journal } = open(t, tempDir(t))
  const started = performance.now()
  for (let n = 0; n < 2000; n++) {
    box.add('x/event', { n })
    if (n % 100 === 0) await new Promise((r) => setTimeout(r, 10))
  }
  await settle()
  const ms = performance.now() - started
  t.ok(journal.fsyncs <= Math.ceil(ms / 100) + 2, `2,000 messages over ${ms.toFixed(0)} ms: ${journal.fsyncs} fsyncs`)
  t.ok(journal.fsyncs >= 1)
})

t.test('the journal is compacted once what it says is much less than its history', async (t) => {
  const dir = tempDir(t)
  const { box, journal } = open(t, dir, { journal: { compactBytes: 16 * 1024 } })
  for (let round = 0; round < 20; round++) {
    for (let n = 0; n < 50; n++) box.add('x/event', { round, n, text: 'x'.repeat(40) })
    await settle()
    await box.drain(async () => {})
  }
  t.ok(journal.bytes < 16 * 1024 * 2, `after 1,000 messages sent the file is ${journal.bytes} bytes`)
  box.add('x/event', { last: true })
  journal.close()
  const after = open(t, dir).box
  t.same(after.messages.map((m) => m.seq), [1001], 'and still says the right thing')
})

t.test('over the disk budget: state events go first, then calls, alerts last; each drop counted', async (t) => {
  const dir = tempDir(t)
  const { box, journal } = open(t, dir, { budgetBytes: 2000 })
  for (let n = 0; n < 10; n++) box.add('b/alert', { n, text: 'a'.repeat(50) })
  for (let n = 0; n < 10; n++) box.add('b/call', { n, text: 'c'.repeat(50) })
  for (let n = 0; n < 10; n++) box.add('b/event', { n, text: 'e'.repeat(50) })
  t.ok(box.bytes <= 2000, `within the budget: ${box.bytes} bytes`)
  const kinds = box.messages.map((m) => m.topic.split('/')[1])
  t.equal(kinds.filter((k) => k === 'alert').length, 10, 'every alert kept')
  t.ok(box.dropped.event >= 9, `state events dropped first (${box.dropped.event})`)
  t.ok(box.dropped.call > 0, `then calls (${box.dropped.call})`)
  t.equal(box.dropped.alert, 0)
  t.equal(box.messages.at(-1)!.topic, 'b/event', 'never the message just added')
  journal.close()
  const after = open(t, dir, { budgetBytes: 2000 }).box
  t.same(after.messages.map((m) => m.seq), box.messages.map((m) => m.seq), 'the drops are on the card too')
  t.same(after.dropped, box.dropped, 'and so are the counts')
  const report = after.takeDropReport()
  t.same(report, box.dropped)
  t.equal(after.takeDropReport(), null, 'reported once')
})

t.test('office acknowledgement: a PUBACK is not enough; the office\'s ack is; a reconnect sends the rest again', async (t) => {
  const dir = tempDir(t)
  const { box, journal } = open(t, dir, { officeAck: true })
  for (let n = 1; n <= 5; n++) box.add('o/event', { n })
  await settle()
  const sent: number[] = []
  await box.drain(async (m) => void sent.push(m.seq))
  t.same(sent, [1, 2, 3, 4, 5])
  t.equal(box.size, 5, 'all kept: the office has not said it stored them')
  await box.drain(async (m) => void sent.push(m.seq))
  t.equal(sent.length, 5, 'not sent twice on the same connection')
  box.officeStored(3)
  t.same(box.messages.map((m) => m.seq), [4, 5])
  box.reconnected()
  await box.drain(async (m) => void sent.push(m.seq))
  t.same(sent.slice(5), [4, 5], 'after a reconnect, everything above the office\'s ack again')
  box.officeStored(99)
  t.equal(box.size, 0)
  journal.close()
  t.equal(open(t, dir, { officeAck: true }).box.size, 0, 'the ack is on the card')
})

t.test('outbox.json and alerts.json from an older version become the journal; the old files go only after', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'outbox.json'), JSON.stringify({ nextSeq: 8, messages: [{ seq: 7, topic: 'a/alert', payload: '{"seq":7}' }] }))
  writeFileSync(join(dir, 'alerts.json'), JSON.stringify({ active: [{ id: 'x' }] }))
  const journal = new Journal(join(dir, 'journal.log'), silentLogger())
  journal.open()
  t.teardown(() => journal.close())
  const legacy = adoptLegacyState(journal, dir, silentLogger())
  const box = new Outbox({ log: silentLogger() })
  box.load(journal)
  let alerts: unknown[] = []
  journal.section('alerts', { replay: (r) => (alerts = r), live: () => alerts })
  t.same(box.messages.map((m) => m.seq), [7])
  t.equal(box.add('a/event', {}).seq, 8)
  t.same(alerts, [{ active: [{ id: 'x' }] }])
  legacy.done()
  t.notOk(existsSync(join(dir, 'outbox.json')))
  t.notOk(existsSync(join(dir, 'alerts.json')))
  journal.close()
  t.same(open(t, dir).box.messages.map((m) => m.seq), [7, 8])
})

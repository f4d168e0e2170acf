import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { Outbox, type OutboxMessage } from '../../src/report/outbox.js'
import { tempDir } from '../helpers/tmp.js'

async function open(file: string, max?: number): Promise<Outbox> {
  const o = new Outbox({ file, log: silentLogger(), max })
  await o.load(0)
  return o
}

t.test('messages leave only when sent, in order; a failure keeps the rest for next time', async (t) => {
  const file = join(tempDir(t), 'outbox.json')
  const box = await open(file)
  box.add('a/alert', { n: 1 })
  box.add('a/event', { n: 2 })
  box.add('a/alert', { n: 3 })
  const sent: OutboxMessage[] = []
  await box.drain(async (m) => {
    if (m.seq === 3) throw new Error('broker went away')
    sent.push(m)
  })
  t.same(sent.map((m) => [m.seq, m.topic, m.payload]), [[1, 'a/alert', '{"n":1,"seq":1}'], [2, 'a/event', '{"n":2,"seq":2}']], 'in order, seq in the payload')
  t.same(box.messages.map((m) => m.seq), [3])
  await box.flushed()
  const after = await open(file) // a reboot
  t.same(after.messages.map((m) => [m.seq, m.topic, m.payload]), [[3, 'a/alert', '{"n":3,"seq":3}']], 'the unsent one survives a restart')
  t.equal(after.add('a/event', {}).seq, 4, 'numbering goes on after a restart')
})

t.test('a second drain while one runs does not send twice', async (t) => {
  const box = await open(join(tempDir(t), 'outbox.json'))
  box.add('x', { n: 1 })
  let release = () => {}
  const gate = new Promise<void>((r) => (release = r))
  const sent: string[] = []
  const first = box.drain(async (m) => {
    await gate
    sent.push(m.payload)
  })
  const second = box.drain(async (m) => void sent.push(`again ${m.payload}`))
  release()
  await Promise.all([first, second])
  t.same(sent, ['{"n":1,"seq":1}'])
})

t.test('a burst of changes while a write runs shares one more write', async (t) => {
  const box = await open(join(tempDir(t), 'outbox.json'))
  for (let n = 0; n < 200; n++) box.add('x', { n })
  await box.flushed()
  t.ok(box.writes <= 3, `200 messages took ${box.writes} file writes`)
  await box.drain(async () => {})
  await box.flushed()
  t.equal(box.size, 0)
  t.ok(box.writes <= 6, `and draining them ${box.writes} in all`)
})

t.test('when full, the oldest are dropped and counted', async (t) => {
  const box = await open(join(tempDir(t), 'outbox.json'), 3)
  for (let n = 1; n <= 5; n++) box.add('x', { n })
  t.same(box.messages.map((m) => m.seq), [3, 4, 5])
  t.equal(box.dropped, 2)
})

t.test('a damaged outbox file (power cut mid-write on a bad card) is put aside; the box starts empty', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'outbox.json')
  writeFileSync(file, '{"nextSeq": 7, "messages": [{"seq": 6, "topic": "a", "pay')
  const box = await open(file)
  t.equal(box.size, 0)
  t.ok(readdirSync(dir).some((f) => f.startsWith('outbox.json.damaged-')))
  box.add('x', { fresh: true })
  await box.flushed()
  t.same((await open(file)).messages.map((m) => m.payload), ['{"fresh":true,"seq":1}'])
})

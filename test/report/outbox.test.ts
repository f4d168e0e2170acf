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
  box.add('a/alert', '1')
  box.add('a/event', '2')
  box.add('a/alert', '3')
  const sent: OutboxMessage[] = []
  await box.drain(async (m) => {
    if (m.payload === '3') throw new Error('broker went away')
    sent.push(m)
  })
  t.same(sent.map((m) => [m.seq, m.payload]), [[1, '1'], [2, '2']])
  t.same(box.messages.map((m) => m.payload), ['3'])
  await box.flushed()
  const after = await open(file) // a reboot
  t.same(after.messages.map((m) => [m.seq, m.topic, m.payload]), [[3, 'a/alert', '3']], 'the unsent one survives a restart')
  t.equal(after.add('a/event', '4').seq, 4, 'numbering goes on after a restart')
})

t.test('a second drain while one runs does not send twice', async (t) => {
  const box = await open(join(tempDir(t), 'outbox.json'))
  box.add('x', '1')
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
  t.same(sent, ['1'])
})

t.test('when full, the oldest are dropped and counted', async (t) => {
  const box = await open(join(tempDir(t), 'outbox.json'), 3)
  for (const p of ['1', '2', '3', '4', '5']) box.add('x', p)
  t.same(box.messages.map((m) => m.payload), ['3', '4', '5'])
  t.equal(box.dropped, 2)
})

t.test('a damaged outbox file (power cut mid-write on a bad card) is put aside; the box starts empty', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'outbox.json')
  writeFileSync(file, '{"nextSeq": 7, "messages": [{"seq": 6, "topic": "a", "pay')
  const box = await open(file)
  t.equal(box.size, 0)
  t.ok(readdirSync(dir).some((f) => f.startsWith('outbox.json.damaged-')))
  box.add('x', 'new')
  await box.flushed()
  t.same((await open(file)).messages.map((m) => m.payload), ['new'])
})

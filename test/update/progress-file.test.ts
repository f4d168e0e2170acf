/**
 * The progress file of an update run as root (src/update/progress-file.ts): the latest record wins. A write
 * per record left a backlog of ~40,000 writes for a 1.2 GB slot, and the reboot came minutes after `done`
 * (seen in QEMU, docs/updates.md).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ProgressFile } from '../../src/update/progress-file.js'

const tmp = () => mkdtempSync(join(tmpdir(), 'lw-progress-'))
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>

t.test('a 1.2 GB write in 64 KiB chunks: one write per whole percent, the end last', async (t) => {
  const path = join(tmp(), 'progress.json')
  const texts: string[] = []
  const file = new ProgressFile(path, async (p, text) => {
    texts.push(text)
    await writeFile(p, text)
  })
  const total = 1_304_428_544
  for (let done = 0; done <= total; done += 65536) file.put({ stage: 'write', done, total, percent: Math.floor((done * 100) / total) })
  file.put({ stage: 'done', done: 1, total: 1, percent: 100, ok: true, message: 'written to slot b', carried: ['etc/hostname'] })
  await file.flushed()
  t.ok(texts.length <= 102, `${texts.length} writes for ${Math.ceil(total / 65536)} records`)
  t.same(read(path), { stage: 'done', done: 1, total: 1, percent: 100, ok: true, message: 'written to slot b', carried: ['etc/hostname'] }, 'the end is what the file holds')
})

t.test('records put while one is written replace each other; each change of percent is a record', async (t) => {
  const path = join(tmp(), 'progress.json')
  const written: number[] = []
  let release!: () => void
  const file = new ProgressFile(path, async (_p, text) => {
    written.push((JSON.parse(text) as { percent: number }).percent)
    await new Promise<void>((r) => (release = r))
  })
  file.put({ stage: 'write', percent: 1 })
  file.put({ stage: 'write', percent: 2 })
  file.put({ stage: 'write', percent: 3 })
  t.same(written, [1], 'one write at a time')
  release()
  await new Promise((r) => setImmediate(r))
  t.same(written, [1, 3], '2 was replaced by 3 before its turn')
  const flushed = file.flushed()
  release()
  await flushed
  t.same(written, [1, 3])
})

t.test('the same record twice is written once; bytes within a percent are not a change', async (t) => {
  const written: string[] = []
  const file = new ProgressFile(join(tmp(), 'p.json'), async (_p, text) => void written.push(text))
  file.put({ stage: 'readback', done: 10, total: 1000, percent: 1 })
  await file.flushed()
  file.put({ stage: 'readback', done: 11, total: 1000, percent: 1 })
  file.put({ stage: 'readback', done: 10, total: 1000, percent: 1 })
  await file.flushed()
  t.equal(written.length, 1)
  file.put({ stage: 'readback', ok: false, percent: 1, message: 'does not read back' })
  await file.flushed()
  t.equal(written.length, 2, 'an end at the same percent is a change')
})

t.test('a write that fails does not stop the next, and flushed() still resolves', async (t) => {
  const path = join(tmp(), 'progress.json')
  let calls = 0
  const file = new ProgressFile(path, async (p, text) => {
    if (++calls === 1) throw new Error('ENOSPC')
    await writeFile(p, text)
  })
  file.put({ stage: 'verify', percent: 10 })
  await file.flushed()
  file.put({ stage: 'verify', percent: 20 })
  await file.flushed()
  t.same(read(path), { stage: 'verify', percent: 20 })
  await new ProgressFile(join(tmp(), 'none.json')).flushed()
  t.pass('flushed() with nothing put resolves')
})

t.test('the default writer: temp file renamed, none left beside it', async (t) => {
  const dir = tmp()
  const path = join(dir, 'progress.json')
  const file = new ProgressFile(path)
  file.put({ stage: 'lock', percent: 100 })
  await file.flushed()
  t.same(read(path), { stage: 'lock', percent: 100 })
  t.same(readdirSync(dir), ['progress.json'])
})

/**
 * A state folder that goes read-only (a failing card remounted by the kernel)
 * or fills up: an alert, the box running on from memory, cleared when it heals.
 * A real tmpfs remounted read-only and a tiny one filled (root only).
 */
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { storageProblem } from '../../src/core/storage-watch.js'
import { waitFor } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

const skip = process.getuid?.() !== 0 ? 'mounting a tmpfs needs root' : false

function tmpfs(t: Parameters<typeof tempDir>[0], size: string): string {
  const dir = tempDir(t, 'lw-tmpfs-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  t.teardown(() => execFileSync('umount', ['-l', dir]))
  return dir
}

t.test('storageProblem: fine, read-only, full', { skip }, async (t) => {
  const dir = tmpfs(t, '4m')
  t.equal(await storageProblem(dir), null)
  execFileSync('mount', ['-o', 'remount,ro', dir])
  t.match(await storageProblem(dir), /read-only file system \(EROFS\)/)
  execFileSync('mount', ['-o', 'remount,rw', dir])
  await writeFile(join(dir, 'filler'), Buffer.alloc(3.5 * 1024 * 1024))
  t.match(await storageProblem(dir), /is full \(\d+ KiB free\)/)
})

t.test('the box: its state folder remounted read-only raises box/storage, keeps working, clears when writable again', { skip }, async (t) => {
  const dir = tmpfs(t, '16m')
  const clock = new FakeClock(Date.UTC(2026, 11, 3, 10))
  // the call records off: `mount -o remount,ro` refuses while SQLite holds its file open for writing (the
  // kernel's own remount after a card error does not ask; the records then wait in memory, CallLog.flush)
  const { config } = validateConfigText(`site: s\nbox: b\nboard: sim\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp: { host: 127.0.0.1, port: 0, auth: none }\nstorage: { dir: "${dir}" }\nstats: { enabled: false }\n`)
  const box = new Box({ config: config!, log: silentLogger(), clock })
  t.teardown(() => box.stop())
  await box.start()
  t.notOk(box.store.snapshot.alerts['box/storage'], 'fine at start')
  execFileSync('mount', ['-o', 'remount,ro', dir])
  clock.advance(60_000)
  await waitFor(() => box.store.snapshot.alerts['box/storage'] !== undefined, 5000, 'the alert')
  t.match(box.store.snapshot.alerts['box/storage'], { severity: 'major', message: /^The box cannot save its state: .* read-only file system \(EROFS\)/ })
  const health = await box.web.inject('/api/v1/state')
  t.equal(health.statusCode, 200, 'and answers')
  execFileSync('mount', ['-o', 'remount,rw', dir])
  clock.advance(60_000)
  await waitFor(() => box.store.snapshot.alerts['box/storage'] === undefined, 5000, 'the alert cleared')
  t.pass('cleared when the folder is writable again')
})

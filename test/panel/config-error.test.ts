/**
 * A configuration the box cannot use: each problem is logged with its path
 * and line, and when the board and panel part of the file are usable the
 * system lamp shows the config error pattern (never a dark, "all fine"
 * panel) until the file changes.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { panelOfBrokenConfig, runConfigErrorPanel } from '../../src/panel/config-error.js'
import { frameAt } from '../../src/panel/index.js'
import { SimIO } from '../../src/sim/gpio.js'
import { linewatch, sigterm } from '../helpers/cli.js'
import { waitFor } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

// a modem line with a typo: the rest of the file is fine
const BROKEN = `site: shop1
box: b1
board: sim
modems:
  - { id: gsm1, port: /dev/ttyUSB0, baudrate: 115200 }
lines:
  - { id: l1, kind: gsm, numbers: ["+74951110001"], channels: 1, modem: gsm1 }
panel:
  lamps:
    - { id: sys, source: system, green: 2, red: 3 }
    - { id: l1, source: line/l1, green: 4, red: 5 }
  buzzer: { pin: 6 }
`

t.test('the panel part of a broken file: kept when usable, with its system lamps only', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, BROKEN)
  const part = await panelOfBrokenConfig(file)
  t.same(part.config?.panel.lamps.map((l) => l.id), ['sys'], 'the line lamp names a line the box will not watch: left out')
  await writeFile(file, BROKEN.replace('source: system', 'source: line/l1'))
  t.same(await panelOfBrokenConfig(file), { config: null, reason: 'no lamp with source: system' })
  await writeFile(file, BROKEN.replace('green: 2', 'green: 99'))
  t.match((await panelOfBrokenConfig(file)).reason, /board or panel invalid too: panel.lamps\[0\].green: board sim has pins 0..31/)
  await writeFile(file, 'site: [')
  t.match((await panelOfBrokenConfig(file)).reason, /cannot read the file/)
})

t.test('the config error pattern on the pins: three red flashes every 2 s, green dark, buzzer quiet', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, BROKEN)
  const part = await panelOfBrokenConfig(file)
  const clock = new FakeClock(1_700_000_000_000)
  const io = new SimIO({ pinCount: 8 })
  const running = await runConfigErrorPanel({ config: part.config!, log: silentLogger(), clock, io })
  t.teardown(() => running.stop())
  t.match(running.store.snapshot.panel.lamps, [{ id: 'sys', color: 'red', pattern: 'error' }])
  clock.advance(1000) // past the lamp test
  let flashes = 0
  let wrong = 0
  let last = io.level(3)
  for (let i = 0; i < 2000; i++) {
    clock.advance(1)
    if (io.level(3) === 1 && last === 0) flashes++
    last = io.level(3)
    if (io.level(3) !== (frameAt(running.store.snapshot.panel, clock.now()).lamps.sys === 'red' ? 1 : 0)) wrong++
    if (io.level(2) || io.level(6)) wrong++
  }
  t.equal(flashes, 3, 'three flashes in one 2 s period')
  t.equal(wrong, 0, 'the red die is the frame at every ms; green and the buzzer stay dark')
})

t.test('linewatch run on a broken file: the problem with its line, the panel up, exit 1 when the file changes', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, BROKEN)
  const r = linewatch(['run', '--config', file])
  t.teardown(() => r.proc.kill('SIGKILL'))
  await waitFor(() => /system lamp shows the config error pattern/.test(r.output()), 15000, 'the error mode')
  t.match(r.output(), /modems\[0\]\.baudrate: unknown key "baudrate".*\(line 5\)/)
  t.equal(r.proc.exitCode, null, 'still running: the lamp shows the error')
  await writeFile(file, BROKEN.replace('baudrate', 'baudRate'))
  const { code } = await r.exited
  t.equal(code, 1, 'exits to be started again on the new file')
  t.match(r.output(), /changed; exiting to start again on it/)
})

t.test('linewatch run on a broken file without a system lamp: exit 1 at once; SIGTERM in error mode: exit 0', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, BROKEN.replace('source: system', 'source: line/l1'))
  const r = linewatch(['run', '--config', file])
  const { code } = await r.exited
  t.equal(code, 1)
  t.match(r.output(), /the panel cannot show the error either \(no lamp with source: system\)/)
  await writeFile(file, BROKEN)
  const r2 = linewatch(['run', '--config', file])
  t.teardown(() => r2.proc.kill('SIGKILL'))
  await waitFor(() => /config error pattern/.test(r2.output()), 15000, 'the error mode')
  const stop = await sigterm(r2)
  t.equal(stop.code, 0)
})

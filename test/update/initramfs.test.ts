/**
 * The initramfs's slot chooser (image/initramfs-linewatch-slot) run by /bin/sh on this host, on a
 * folder standing for LWBOOT: it must pick the same slot and write the same state as chooseBoot
 * (src/update/boot-state.ts), in a copy the box's own reader accepts, and survive a torn copy.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { BootStateFile, chooseBoot, formatState, INITIAL_STATE, pickState, STATE_FILES, type BootState } from '../../src/update/boot-state.js'
import { tempDir } from '../helpers/tmp.js'

const script = new URL('../../image/initramfs-linewatch-slot', import.meta.url).pathname

function run(t: Parameters<typeof tempDir>[0], copies: (string | null)[], bootDev = '') {
  const dir = tempDir(t)
  const boot = join(dir, 'boot')
  mkdirSync(boot)
  copies.forEach((c, i) => c !== null && writeFileSync(join(boot, STATE_FILES[i === 1 ? 1 : 0]), c))
  const param = join(dir, 'param.conf')
  execFileSync('/bin/sh', [script], { env: { PATH: process.env.PATH, LW_BOOT_DIR: boot, LW_BOOT_DEV: bootDev, LW_PARAM_CONF: param, LW_RUN: dir }, stdio: ['ignore', 'ignore', 'pipe'] })
  const root = existsSync(param) ? /ROOT=LABEL=linewatch-([ab])/.exec(readFileSync(param, 'utf8'))?.[1] ?? null : null
  const ran = existsSync(join(dir, 'linewatch-slot')) ? readFileSync(join(dir, 'linewatch-slot'), 'utf8').trim() : null
  const trial = existsSync(join(dir, 'linewatch-trial'))
  const rootLine = existsSync(param) ? readFileSync(param, 'utf8').trim() : ''
  return { root, rootLine, ran, trial, boot, after: pickState(STATE_FILES.map((f) => (existsSync(join(boot, f)) ? readFileSync(join(boot, f), 'utf8') : null))) }
}

const base: BootState = { ...INITIAL_STATE, seq: 4, versions: { a: '1.4.0', b: '1.5.0' } }
const cases: [string, BootState][] = [
  ['nothing pending', base],
  ['a try of b', { ...base, try: 'b' }],
  ['b on trial, never confirmed', { ...base, trying: 'b' }],
  ['b active, a try of a', { ...base, active: 'b', try: 'a' }],
  ['a fallback not yet reported', { ...base, fallback: 'b' }],
]

for (const [name, state] of cases) {
  t.test(`${name}: the same choice and the same state as chooseBoot`, async (t) => {
    const want = chooseBoot(state)
    const older = formatState({ ...state, seq: state.seq - 1, try: null, trying: null })
    const r = run(t, [older, formatState(state)])
    t.equal(r.root, want.boot)
    t.equal(r.ran, want.boot)
    t.equal(r.trial, want.write?.trying === want.boot, 'the trial mark for the confirmation unit, on a trial boot only')
    t.same(r.after?.state, want.write ?? state, 'the state the box will read next')
    if (want.write) t.equal(r.after?.index, 0, 'written over the older copy')
  })
}

t.test('a torn newest copy: the previous one rules', async (t) => {
  const prev = formatState({ ...base, seq: 3 })
  const torn = formatState({ ...base, try: 'b' }).slice(0, 60)
  const r = run(t, [prev, torn])
  t.equal(r.root, 'a')
  const flipped = formatState({ ...base, try: 'b' }).replace('try=b', 'try=a')
  t.equal(run(t, [prev, flipped]).root, 'a', 'a changed line fails its sum')
})

t.test('no state at all: ROOT is left to the command line', async (t) => {
  const r = run(t, [null, null])
  t.equal(r.root, null)
  t.equal(r.after, null)
  t.equal(run(t, ['garbage\n', 'sum=00\n']).root, null)
})

t.test('the shell and the box take turns: update, trial boot, confirm, next boot', async (t) => {
  const dir = tempDir(t)
  const f = new BootStateFile(dir)
  await f.write({ ...INITIAL_STATE, versions: { a: '1.4.0', b: null } })
  await f.update((s) => ({ ...s, try: 'b', versions: { ...s.versions, b: '1.5.0' } }))
  const sh = () => {
    execFileSync('/bin/sh', [script], { env: { PATH: process.env.PATH, LW_BOOT_DIR: dir, LW_PARAM_CONF: join(dir, 'p'), LW_RUN: dir }, stdio: 'ignore' })
    return /linewatch-([ab])\n$/.exec(readFileSync(join(dir, 'p'), 'utf8'))?.[1]
  }
  t.equal(sh(), 'b', 'the trial boot')
  t.match(await f.read(), { trying: 'b', try: null })
  await f.update((s) => ({ ...s, active: 'b', trying: null }))
  t.equal(sh(), 'b', 'confirmed: b from now on')
  t.equal(sh(), 'b')
  t.match(await f.read(), { active: 'b', trying: null, fallback: null })
})

t.test('on a card the root is named by its partition, not by a label a half-written slot may carry too', async (t) => {
  t.equal(run(t, [formatState({ ...base, try: 'b' })], '/dev/mmcblk0p1').rootLine, 'ROOT=/dev/mmcblk0p3', 'slot b: partition 3 of the SD card')
  t.equal(run(t, [formatState(base)], '/dev/mmcblk0p1').rootLine, 'ROOT=/dev/mmcblk0p2', 'slot a: partition 2')
  t.equal(run(t, [formatState({ ...base, active: 'b' })], '/dev/vdb1').rootLine, 'ROOT=/dev/vdb3', 'a virtio disk (QEMU)')
  t.equal(run(t, [formatState(base)], '/dev/mmcblk0p5').rootLine, 'ROOT=LABEL=linewatch-a', 'LWBOOT not partition 1: by label')
})

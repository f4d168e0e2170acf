/**
 * `linewatch update FILE` on plain files standing for the slots and a folder for the boot partition
 * (docs/updates.md): the image lands in the other slot byte for byte and the slot is marked to try once;
 * a refused bundle writes nothing; a process killed mid-write leaves a state that boots the old slot.
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { update } from '../../src/cli/update.js'
import { chooseBoot, STATE_FILES } from '../../src/update/boot-state.js'
import { createBundle } from '../../src/update/bundle.js'
import { install, takeLock, type ProgressEvent } from '../../src/update/install.js'
import { VERSION } from '../../src/core/version.js'
import { compareVersions } from '../../src/update/version.js'
import { KERNEL, keys, NEWER, quiet, rig } from '../helpers/update-rig.js'

t.test('an update writes the other slot byte for byte, reads it back, then marks it to try once', async (t) => {
  const r = await rig(t)
  const { value: code, out } = await quiet(() => update([r.bundle, ...r.args]))
  t.equal(code, 0, out)
  t.ok(readFileSync(r.slots.b).subarray(0, r.image.length).equals(r.image), 'slot b holds the image')
  t.equal(readFileSync(r.slots.a, 'utf8'), 'the running system', 'the running slot is untouched')
  const s = await r.states.read()
  t.match(s, { active: 'a', try: 'b', trying: null, versions: { a: VERSION, b: NEWER } })
  t.equal(chooseBoot(s).boot, 'b', 'the next boot tries b')
  for (const stage of ['verify', 'prepare', 'write', 'readback', 'mark']) t.match(out, new RegExp(`^${stage}\\s+100 %`, 'm'), `progress of ${stage} shown`)
  t.match(out, /written to slot b, to be tried at the next boot/)
  t.notOk(existsSync(join(r.dir, 'lock')), 'the lock is released')
  // the read-only token the new system confirms itself with, stored hashed in the shared state folder
  const token = readFileSync(join(r.dir, 'state', 'update', 'confirm-token'), 'utf8').trim()
  const creds = JSON.parse(readFileSync(join(r.dir, 'state', 'credentials.json'), 'utf8')) as { tokens: { name: string; scopes: string[] }[] }
  t.match(creds.tokens, [{ name: 'update-confirm', scopes: ['read'] }])
  t.notOk(JSON.stringify(creds).includes(token), 'only its hash is kept')
})

t.test('the slot is written through the device its link names at the start, then named after itself before it is marked', async (t) => {
  // as /dev/disk/by-label/linewatch-b: udev moves the link once the bundle's superblock (label linewatch-a) is written
  const r = await rig(t)
  const link = join(r.dir, 'by-label-b')
  symlinkSync(r.slots.b, link)
  const calls: string[] = []
  const done = await install(r.bundle, {
    publicKey: keys.publicKey, box: { version: VERSION, board: 'rpi-arm64', kernel: KERNEL }, bootDir: r.boot, slots: { a: r.slots.a, b: link }, running: 'a', lockPath: join(r.dir, 'lock'),
    onProgress: (p) => { if (p.stage === 'write' && p.percent === 100 && existsSync(link)) renameSync(link, `${link}.gone`) },
    dropCache: async (dev) => { calls.push(`flush ${dev}`) },
    relabel: async (dev, label) => { calls.push(`label ${dev} ${label}: try=${(await r.states.read()).try}`) },
  })
  t.equal(done.slot, 'b')
  t.ok(readFileSync(r.slots.b).subarray(0, r.image.length).equals(r.image), 'slot b holds the image')
  t.same(calls, [`flush ${r.slots.b}`, `label ${r.slots.b} linewatch-b: try=null`], 'the real device throughout; named linewatch-b before the boot state says try b')
  t.equal((await r.states.read()).try, 'b')
})

t.test('a slot that cannot be named is not marked: the next boot is the running slot', async (t) => {
  const r = await rig(t)
  const err = await install(r.bundle, {
    publicKey: keys.publicKey, box: { version: VERSION, board: 'rpi-arm64', kernel: KERNEL }, bootDir: r.boot, slots: r.slots, running: 'a', lockPath: join(r.dir, 'lock'),
    dropCache: async () => {}, relabel: async () => { throw new Error('Bad magic number in super-block') },
  }).catch((e: unknown) => e)
  t.match(err, { stage: 'mark', message: /slot b could not be named linewatch-b: Bad magic number/ })
  t.equal(chooseBoot(await r.states.read()).boot, 'a')
})

t.test('stages come in order with bytes and per cent', async (t) => {
  const r = await rig(t)
  const seen: ProgressEvent[] = []
  await install(r.bundle, { publicKey: keys.publicKey, box: { version: VERSION, board: 'rpi-arm64', kernel: KERNEL }, bootDir: r.boot, slots: r.slots, running: 'a', lockPath: join(r.dir, 'lock'), onProgress: (p) => seen.push(p), dropCache: async () => {} })
  const order = [...new Set(seen.map((p) => p.stage))]
  t.same(order, ['lock', 'verify', 'prepare', 'write', 'readback', 'mark', 'done'])
  const writes = seen.filter((p) => p.stage === 'write')
  t.equal(writes.at(-1)?.done, r.image.length)
  t.ok(writes.every((p, i) => i === 0 || p.done >= writes[i - 1]!.done), 'bytes only grow')
})

t.test('refused bundles write nothing and leave the boot state alone', async (t) => {
  const cases: [string, (r: Awaited<ReturnType<typeof rig>>) => Promise<string[]> | string[], RegExp][] = [
    ['older version', async (r) => {
      await createBundle({ image: join(r.dir, 'root.img'), out: r.bundle, privateKey: keys.privateKey, version: '0.0.1', kernel: KERNEL })
      return [r.bundle]
    }, /refused at verify: .*older/],
    ['another key', async (r) => {
      await createBundle({ image: join(r.dir, 'root.img'), out: r.bundle, privateKey: generateKeyPairSync('ed25519').privateKey, version: NEWER, kernel: KERNEL })
      return [r.bundle]
    }, /bad signature/],
    ['a flipped payload byte', (r) => {
      const b = readFileSync(r.bundle)
      b.writeUInt8(b.readUInt8(b.length - 30) ^ 1, b.length - 30)
      writeFileSync(r.bundle, b)
      return [r.bundle]
    }, /corrupt/],
    ['another kernel', (r) => [r.bundle, '--kernel', '6.12.0-1-arm64'], /kernel/],
    ['another board', (r) => [r.bundle, '--board', 'rpi-armhf'], /board/],
  ]
  for (const [name, prep, why] of cases) {
    const r = await rig(t)
    const before = STATE_FILES.map((f) => (existsSync(join(r.boot, f)) ? readFileSync(join(r.boot, f), 'utf8') : null))
    const extra = await prep(r)
    const { value: code, out } = await quiet(() => update([...r.args, ...extra]))
    t.equal(code, 1, `${name}: refused`)
    t.match(out, why, name)
    t.ok(readFileSync(r.slots.b).equals(Buffer.alloc(2 * 1024 * 1024)), `${name}: slot b untouched`)
    t.same(STATE_FILES.map((f) => (existsSync(join(r.boot, f)) ? readFileSync(join(r.boot, f), 'utf8') : null)), before, `${name}: boot state untouched`)
  }
})

t.test('the same version passes with --force; an image larger than the slot never', async (t) => {
  const r = await rig(t, { version: VERSION })
  t.equal((await quiet(() => update([r.bundle, ...r.args]))).value, 1)
  t.equal((await quiet(() => update([r.bundle, ...r.args, '--force']))).value, 0)
  const small = await rig(t, { imageBytes: 1024 * 1024, slotBytes: 512 * 1024 })
  const { value, out } = await quiet(() => update([small.bundle, ...small.args, '--force']))
  t.equal(value, 1)
  t.match(out, /does not fit the slot/)
})

t.test('one update at a time; none while the running slot is on trial', async (t) => {
  const r = await rig(t)
  const release = await takeLock(join(r.dir, 'lock'))
  t.match((await quiet(() => update([r.bundle, ...r.args]))).out, /already running \(pid \d+\)/)
  await release()
  writeFileSync(join(r.dir, 'lock'), '999999999\n')
  t.equal((await quiet(() => update([r.bundle, ...r.args]))).value, 0, "a dead process's lock is taken over")
  // boot b on trial: slot a is the only known-good system
  const s = chooseBoot(await r.states.read())
  await r.states.write(s.write!)
  const { value, out } = await quiet(() => update([r.bundle, ...r.args.map((x) => (x === 'a' ? 'b' : x))]))
  t.equal(value, 1)
  t.match(out, /still on trial/)
})

t.test('a process killed mid-write (SIGKILL) leaves a boot state that boots the old slot', async (t) => {
  const r = await rig(t, { imageBytes: 8 * 1024 * 1024, slotBytes: 16 * 1024 * 1024 })
  // an update staged earlier and never booted: slot b marked to try
  await r.states.update((s) => ({ ...s, try: 'b', versions: { ...s.versions, b: '0.9.0' } }))
  // the slot is a FIFO nobody drains: the write blocks once its buffer is full, so the kill lands mid-write every time
  const fifo = join(r.dir, 'slot-fifo')
  execFileSync('mkfifo', [fifo])
  const args = r.args.map((x) => (x === r.slots.b ? fifo : x))
  const tsImport = process.execArgv.filter((a) => a.includes('typescript'))
  const child = spawn(process.execPath, [...tsImport, new URL('./fixtures/update-child.ts', import.meta.url).pathname, r.bundle, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise((res) => child.once('exit', (_c, sig) => res(sig ?? `exit code ${_c}`)))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const writing = await new Promise<boolean>((res) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (/"stage":"write"/.test(out)) res(true)
    })
    child.once('exit', () => res(false))
  })
  t.ok(writing, `the child reached the write: ${out}`)
  await new Promise((res) => setTimeout(res, 200))
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  t.notMatch(out, /"stage":"mark"/, 'it never reached the mark')
  const s = await r.states.read()
  t.equal(s.try, null, 'the stale try was cleared before the write')
  t.equal(chooseBoot(s).boot, 'a', 'the next boot is the old slot')
  // and the next update goes through, over the dead process's lock
  const { value, out: o2 } = await quiet(() => update([r.bundle, ...r.args]))
  t.equal(value, 0, o2)
  t.equal(chooseBoot(await r.states.read()).boot, 'b')
  t.ok(compareVersions(NEWER, VERSION) > 0)
})

t.test('a bundle on the boot partition is renamed before it is tried, so it is tried once', async (t) => {
  const r = await rig(t)
  const onBoot = join(r.boot, 'linewatch-update.lwb')
  writeFileSync(onBoot, readFileSync(r.bundle))
  const { value, out } = await quiet(() => update(['--boot-file', onBoot, ...r.args]))
  t.equal(value, 0, out)
  t.notOk(existsSync(onBoot))
  t.ok(existsSync(`${onBoot}.tried`))
  t.equal(chooseBoot(await r.states.read()).boot, 'b')
  t.equal((await quiet(() => update(['--boot-file', onBoot, ...r.args]))).value, 1, 'gone: nothing to do at the next boot')
})

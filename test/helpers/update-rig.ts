/**
 * A card on plain files for `linewatch update` (test/update): the slots, a folder for the boot partition,
 * a key pair, and a signed bundle of a newer version; `args` point the CLI at them (and keep it in the
 * foreground: a root test on a systemd machine would otherwise hand the update to systemd-run).
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { BootStateFile, INITIAL_STATE } from '../../src/update/boot-state.js'
import { createBundle } from '../../src/update/bundle.js'
import { VERSION } from '../../src/core/version.js'
import { tempDir } from './tmp.js'

export const keys = generateKeyPairSync('ed25519')
export const KERNEL = '6.1.0-28-arm64'
const [maj, min] = VERSION.split('.').map(Number) as [number, number]
export const NEWER = `${maj}.${min + 1}.0`

export async function rig(t: Test, o: { imageBytes?: number; version?: string; slotBytes?: number } = {}) {
  const dir = tempDir(t)
  const boot = join(dir, 'boot')
  execFileSync('mkdir', ['-p', boot])
  const image = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc((o.imageBytes ?? 1024 * 1024) - 64 * 1024, 7)])
  writeFileSync(join(dir, 'root.img'), image)
  const bundle = join(dir, 'x.lwb')
  await createBundle({ image: join(dir, 'root.img'), out: bundle, privateKey: keys.privateKey, version: o.version ?? NEWER, kernel: KERNEL })
  const slots = { a: join(dir, 'slot-a'), b: join(dir, 'slot-b') }
  writeFileSync(slots.a, 'the running system')
  writeFileSync(slots.b, Buffer.alloc(o.slotBytes ?? 2 * 1024 * 1024))
  const pub = join(dir, 'update-key.pub')
  writeFileSync(pub, keys.publicKey.export({ type: 'spki', format: 'pem' }))
  const states = new BootStateFile(boot)
  await states.write({ ...INITIAL_STATE, versions: { a: VERSION, b: null } })
  const args = ['--boot', boot, '--slot-a', slots.a, '--slot-b', slots.b, '--running', 'a', '--key', pub, '--board', 'rpi-arm64', '--kernel', KERNEL, '--lock', join(dir, 'lock'), '--state', join(dir, 'state'), '--no-reboot', '--foreground']
  return { dir, boot, image, bundle, slots, pub, states, args }
}

export const quiet = async <T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> => {
  const w = process.stdout.write.bind(process.stdout)
  const e = process.stderr.write.bind(process.stderr)
  let out = ''
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write
  process.stderr.write = ((s: string) => ((out += s), true)) as typeof process.stderr.write
  try {
    return { value: await fn(), out }
  } finally {
    process.stdout.write = w
    process.stderr.write = e
  }
}


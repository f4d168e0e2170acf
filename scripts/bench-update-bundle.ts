/**
 * Updates (issue 21) on this host, one run: a 128 MiB root image (a quarter random, the rest text and
 * zeros, roughly an ext4 root's mix) made into a signed bundle and installed into a file standing for
 * the other slot. "today" is how a box is updated now: the image written over by hand, a plain copy
 * with no check at all; "new" is linewatch update: verify every byte, write with a running SHA-256,
 * fsync, read back, mark. Keys are made for the run.
 *   node dist/scripts/bench-update-bundle.js   (after npm run build)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { closeSync, copyFileSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BootStateFile, INITIAL_STATE } from '../src/update/boot-state.js'
import { createBundle } from '../src/update/bundle.js'
import { install } from '../src/update/install.js'

type Figure = { figure: string; value: number; unit: string }

const MIB = 1024 * 1024
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d

function rootLikeImage(file: string, mib: number): void {
  const text = Buffer.from('#!/bin/sh\n# a line of a script or a config file in the root file system\nexec /usr/bin/node "$@"\n'.repeat(4096))
  const parts: Buffer[] = []
  for (let i = 0; i < mib; i++) parts.push(i % 4 === 0 ? randomBytes(MIB) : i % 4 === 1 ? text.subarray(0, MIB) : Buffer.alloc(MIB))
  writeFileSync(file, Buffer.concat(parts))
}

export async function benchUpdateBundle(mib = 128): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-update-'))
  try {
    const keys = generateKeyPairSync('ed25519')
    const image = join(dir, 'root.img')
    rootLikeImage(image, mib)
    const bytes = statSync(image).size

    // today: the image copied over the slot by hand (then a reboot and hope)
    const slotToday = join(dir, 'slot-today')
    let t = performance.now()
    copyFileSync(image, slotToday)
    const fd = openSync(slotToday, 'r+')
    fsyncSync(fd)
    closeSync(fd)
    const todayS = (performance.now() - t) / 1000

    t = performance.now()
    const bundle = join(dir, 'b.lwb')
    await createBundle({ image, out: bundle, privateKey: keys.privateKey, version: '99.0.0', kernel: 'k' })
    const makeS = (performance.now() - t) / 1000
    const bundleBytes = statSync(bundle).size

    const boot = join(dir, 'boot')
    mkdirSync(boot)
    await new BootStateFile(boot).write(INITIAL_STATE)
    const slotB = join(dir, 'slot-b')
    writeFileSync(slotB, Buffer.alloc(0))
    const stages = new Map<string, number>()
    let stage = ''
    let since = performance.now()
    t = performance.now()
    await install(bundle, {
      publicKey: keys.publicKey,
      box: { version: '1.0.0', board: 'rpi-arm64', kernel: 'k' },
      bootDir: boot,
      slots: { a: join(dir, 'slot-a'), b: slotB },
      running: 'a',
      lockPath: join(dir, 'lock'),
      onProgress: (p) => {
        if (p.stage === stage) return
        const now = performance.now()
        if (stage) stages.set(stage, (now - since) / 1000)
        stage = p.stage
        since = now
      },
    })
    const newS = (performance.now() - t) / 1000
    return [
      { figure: `update today: ${mib} MiB image copied over by hand, no check (s)`, value: round(todayS, 2), unit: 's' },
      { figure: `update new: linewatch update of the same image, verify + write + read back + mark (s)`, value: round(newS, 2), unit: 's' },
      { figure: 'update new: of which verify (signature, payload SHA-256) (s)', value: round(stages.get('verify') ?? 0, 2), unit: 's' },
      { figure: 'update new: of which write (gunzip, SHA-256, fsync) (s)', value: round(stages.get('write') ?? 0, 2), unit: 's' },
      { figure: 'update new: of which read back (s)', value: round(stages.get('readback') ?? 0, 2), unit: 's' },
      { figure: 'update new: image written per second', value: round(bytes / MIB / (stages.get('write') ?? newS), 0), unit: 'MiB/s' },
      { figure: 'bundle: made and signed (s)', value: round(makeS, 2), unit: 's' },
      { figure: 'bundle: size / image size (gzip -6)', value: round(bundleBytes / bytes, 3), unit: 'ratio' },
    ]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await benchUpdateBundle()) process.stdout.write(`${f.figure.padEnd(90)} ${String(f.value).padStart(8)} ${f.unit}\n`)
}

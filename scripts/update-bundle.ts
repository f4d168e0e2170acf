/**
 * The vendor's side of updates (docs/updates.md), after `npm run build`:
 *   node dist/scripts/update-bundle.js keygen --out DIR
 *   node dist/scripts/update-bundle.js make --key DIR/update-key.pem --image root.ext4 --version X.Y.Z --kernel KVER [--min-version X.Y.Z] [--board B] --out FILE.lwb
 *   node dist/scripts/update-bundle.js verify --pub DIR/update-key.pub FILE.lwb
 * The private key never goes into the repository or the image; the public one is baked into the image.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { checkPayload, createBundle, loadPrivateKey, loadPublicKey, readHeader } from '../src/update/bundle.js'

export function keygen(dir: string): { privatePath: string; publicPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  mkdirSync(dir, { recursive: true })
  const privatePath = join(dir, 'update-key.pem')
  const publicPath = join(dir, 'update-key.pub')
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' })
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 })
  return { privatePath, publicPath }
}

export async function cli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { out: { type: 'string' }, key: { type: 'string' }, pub: { type: 'string' }, image: { type: 'string' }, version: { type: 'string' }, kernel: { type: 'string' }, 'min-version': { type: 'string' }, board: { type: 'string' } },
  })
  if (cmd === 'keygen' && values.out) {
    const k = keygen(values.out)
    process.stdout.write(`private key ${k.privatePath} (keep it off the repository and the box)\npublic key ${k.publicPath} (bake it into the image)\n`)
    return 0
  }
  if (cmd === 'make' && values.key && values.image && values.version && values.kernel && values.out) {
    const m = await createBundle({ image: values.image, out: values.out, privateKey: loadPrivateKey(readFileSync(values.key)), version: values.version, kernel: values.kernel, minVersion: values['min-version'], board: values.board })
    process.stdout.write(`${values.out}: linewatch ${m.version} for ${m.board}, image ${m.image.size} bytes, payload ${m.payload.size} bytes\n`)
    return 0
  }
  if (cmd === 'verify' && values.pub && positionals[0]) {
    const header = await readHeader(positionals[0], loadPublicKey(readFileSync(values.pub)))
    await checkPayload(positionals[0], header)
    process.stdout.write(`${positionals[0]}: signature and checksum good: ${JSON.stringify(header.manifest)}\n`)
    return 0
  }
  process.stderr.write('usage: update-bundle keygen --out DIR | make --key PEM --image IMG --version V --kernel K [--min-version V] [--board B] --out FILE | verify --pub PUB FILE\n')
  return 2
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`update-bundle: ${err.message}\n`)
      process.exit(1)
    },
  )
}

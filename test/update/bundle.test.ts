/**
 * Bundles (docs/updates.md): a good one passes; a bad signature, another key, a flipped payload byte, a
 * truncated file, another board, an older or the same version, another kernel, an image larger than the
 * slot are each refused with their reason. Keys are made here; none is in the repository.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BundleError, checkFits, checkPayload, createBundle, MAGIC, readHeader } from '../../src/update/bundle.js'
import { tempDir } from '../helpers/tmp.js'

const keys = generateKeyPairSync('ed25519')
const box = { version: '1.4.0', board: 'rpi-arm64', kernel: '6.1.0-28-arm64' }

async function make(t: Test, o: { version?: string; board?: string; minVersion?: string; image?: Buffer } = {}) {
  const dir = tempDir(t)
  const image = join(dir, 'root.img')
  const img = o.image ?? Buffer.concat([randomBytes(50_000), Buffer.alloc(200_000)])
  writeFileSync(image, img)
  const out = join(dir, 'b.lwb')
  const manifest = await createBundle({ image, out, privateKey: keys.privateKey, version: o.version ?? '1.5.0', board: o.board, kernel: box.kernel, minVersion: o.minVersion })
  return { out, manifest, img }
}

const refusal = async (p: Promise<unknown>, code: string) => {
  try {
    await p
  } catch (err) {
    return err instanceof BundleError && err.code === code ? err.message : `wrong error: ${(err as Error).message}`
  }
  return 'not refused'
}

t.test('a good bundle: header, payload and fit pass; the manifest names the image', async (t) => {
  const { out, manifest, img } = await make(t)
  const h = await readHeader(out, keys.publicKey)
  t.equal(h.manifest.version, '1.5.0')
  t.equal(h.manifest.image.size, img.length)
  t.equal(manifest.payload.size, readFileSync(out).length - h.payloadOffset)
  t.ok(readFileSync(out).subarray(0, MAGIC.length).equals(MAGIC))
  let last = 0
  await checkPayload(out, h, (done) => (last = done))
  t.equal(last, manifest.payload.size, 'progress reaches the whole payload')
  t.doesNotThrow(() => checkFits(h.manifest, box, { slotSize: img.length }))
})

t.test('signature: another key, a changed manifest', async (t) => {
  const { out } = await make(t)
  const other = generateKeyPairSync('ed25519')
  t.match(await refusal(readHeader(out, other.publicKey), 'signature'), /bad signature/)
  const buf = readFileSync(out)
  const at = buf.indexOf('"1.5.0"')
  buf.write('"9.5.0"', at) // a forged version, same length
  writeFileSync(out, buf)
  t.match(await refusal(readHeader(out, keys.publicKey), 'signature'), /bad signature/)
})

t.test('payload: a flipped byte, a truncated or extended file, not a bundle', async (t) => {
  const { out } = await make(t)
  const h = await readHeader(out, keys.publicKey)
  const buf = readFileSync(out)
  buf.writeUInt8(buf.readUInt8(h.payloadOffset + 100) ^ 0xff, h.payloadOffset + 100)
  writeFileSync(out, buf)
  t.match(await refusal(checkPayload(out, await readHeader(out, keys.publicKey)), 'checksum'), /corrupt/)
  truncateSync(out, buf.length - 10)
  t.match(await refusal(readHeader(out, keys.publicKey), 'size'), /truncated/)
  appendFileSync(out, Buffer.alloc(20))
  t.match(await refusal(readHeader(out, keys.publicKey), 'size'), /truncated or appended/)
  writeFileSync(out, 'hello world, not a bundle at all')
  t.match(await refusal(readHeader(out, keys.publicKey), 'format'), /not a linewatch bundle/)
})

t.test('fit: board, versions, kernel, slot size; --force lets only the version and kernel through', async (t) => {
  const { out } = await make(t, { board: 'rpi-armhf' })
  const m = (await readHeader(out, keys.publicKey)).manifest
  t.throws(() => checkFits(m, box), { code: 'board' })
  t.throws(() => checkFits(m, box, { force: true }), { code: 'board' }, 'never forced')
  const good = { ...m, board: 'rpi-arm64' }
  t.throws(() => checkFits({ ...good, version: '1.4.0' }, box), { code: 'version', message: /the one running/ })
  t.throws(() => checkFits({ ...good, version: '1.3.9' }, box), { code: 'version', message: /older/ })
  t.doesNotThrow(() => checkFits({ ...good, version: '1.3.9' }, box, { force: true }))
  t.throws(() => checkFits({ ...good, minVersion: '1.4.1' }, box), { code: 'version', message: /at least 1.4.1/ })
  t.throws(() => checkFits({ ...good, kernel: '6.12.0-1-arm64' }, box), { code: 'kernel' })
  t.doesNotThrow(() => checkFits({ ...good, kernel: '6.12.0-1-arm64' }, { ...box, kernel: null }), 'no kernel known: not checked')
  t.throws(() => checkFits(good, box, { slotSize: good.image.size - 1 }), { code: 'size' })
})

import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rm, stat } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { compareVersions, isVersion } from './version.js'

/**
 * The update bundle (docs/updates.md): magic, manifest, ed25519 signature of the manifest, payload
 * (the root file system image, gzip). The manifest names the payload's and the image's SHA-256, so
 * the one signature covers every byte, and the header can be checked before the payload is read.
 */
export const MAGIC = Buffer.from('LWBUNDLE1\n')
export const BOARD = 'rpi-arm64'
const MAX_MANIFEST = 64 * 1024

export interface Manifest {
  format: 1
  product: 'linewatch'
  version: string
  board: string
  minVersion?: string
  kernel: string
  created: string
  payload: { compression: 'gzip'; size: number; sha256: string }
  image: { size: number; sha256: string }
}

export interface BundleHeader {
  manifest: Manifest
  manifestBytes: Buffer
  signature: Buffer
  payloadOffset: number
  fileSize: number
}

/** A refusal: `code` says which check, `message` why, in words. */
export class BundleError extends Error {
  constructor(readonly code: 'format' | 'signature' | 'board' | 'version' | 'kernel' | 'size' | 'checksum', message: string) {
    super(message)
  }
}

export const loadPublicKey = (pem: string | Buffer): KeyObject => createPublicKey(pem)
export const loadPrivateKey = (pem: string | Buffer): KeyObject => createPrivateKey(pem)

const hex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function checkManifest(m: unknown): Manifest {
  const bad = (why: string): never => {
    throw new BundleError('format', `manifest: ${why}`)
  }
  if (!m || typeof m !== 'object') bad('not an object')
  const o = m as Record<string, any>
  if (o.format !== 1) bad(`format ${JSON.stringify(o.format)} is not 1`)
  if (o.product !== 'linewatch') bad(`product ${JSON.stringify(o.product)} is not linewatch`)
  if (!isVersion(o.version)) bad(`version ${JSON.stringify(o.version)} is not x.y.z`)
  if (o.minVersion !== undefined && !isVersion(o.minVersion)) bad('minVersion is not x.y.z')
  if (typeof o.board !== 'string' || typeof o.kernel !== 'string') bad('board and kernel must be strings')
  if (o.payload?.compression !== 'gzip' || !count(o.payload?.size) || !hex64(o.payload?.sha256)) bad('payload must have compression gzip, size, sha256')
  if (!count(o.image?.size) || !hex64(o.image?.sha256)) bad('image must have size, sha256')
  return o as Manifest
}

/** Reads and checks the header; the signature is checked here, before anything else is trusted. */
export async function readHeader(path: string, publicKey: KeyObject): Promise<BundleHeader> {
  const fh = await open(path, 'r')
  try {
    const fileSize = (await fh.stat()).size
    const head = Buffer.alloc(MAGIC.length + 4)
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    if (bytesRead < head.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) throw new BundleError('format', 'not a linewatch bundle (no LWBUNDLE1 header)')
    const mlen = head.readUInt32BE(MAGIC.length)
    if (mlen < 2 || mlen > MAX_MANIFEST || MAGIC.length + 4 + mlen + 4 > fileSize) throw new BundleError('format', `manifest length ${mlen} does not fit the file`)
    const rest = Buffer.alloc(mlen + 4)
    await fh.read(rest, 0, rest.length, head.length)
    const manifestBytes = rest.subarray(0, mlen)
    const slen = rest.readUInt32BE(mlen)
    if (slen !== 64) throw new BundleError('format', `signature length ${slen} is not 64 (ed25519)`)
    const signature = Buffer.alloc(64)
    const sigAt = head.length + rest.length
    if ((await fh.read(signature, 0, 64, sigAt)).bytesRead < 64) throw new BundleError('format', 'the file ends inside the signature')
    if (!verify(null, manifestBytes, publicKey, signature)) throw new BundleError('signature', 'bad signature: not signed by the key this box trusts')
    let parsed: unknown
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8'))
    } catch {
      throw new BundleError('format', 'manifest is not JSON')
    }
    const manifest = checkManifest(parsed)
    const payloadOffset = sigAt + 64
    if (fileSize - payloadOffset !== manifest.payload.size) throw new BundleError('size', `payload is ${fileSize - payloadOffset} bytes, the manifest says ${manifest.payload.size} (truncated or appended to)`)
    return { manifest, manifestBytes, signature, payloadOffset, fileSize }
  } finally {
    await fh.close()
  }
}

export interface BoxIdentity {
  version: string
  board: string
  /** The running kernel (uname -r); null: not checked (a developer's machine). */
  kernel: string | null
}

/** Whether this box may install the bundle: board, versions, kernel, slot size. Throws BundleError. */
export function checkFits(m: Manifest, box: BoxIdentity, opts: { force?: boolean; slotSize?: number | null } = {}): void {
  if (m.board !== box.board) throw new BundleError('board', `bundle for board ${m.board}, this box is ${box.board}`)
  if (m.minVersion && compareVersions(box.version, m.minVersion) < 0) throw new BundleError('version', `bundle needs at least ${m.minVersion} installed first, this box runs ${box.version}`)
  const cmp = compareVersions(m.version, box.version)
  if (cmp <= 0 && !opts.force) throw new BundleError('version', `bundle version ${m.version} is ${cmp === 0 ? 'the one running' : `older than the running ${box.version}`} (--force to install it anyway)`)
  if (box.kernel !== null && m.kernel !== box.kernel && !opts.force) throw new BundleError('kernel', `bundle built for kernel ${m.kernel}, this box runs ${box.kernel}: its root would lack the running kernel's modules`)
  if (opts.slotSize != null && m.image.size > opts.slotSize) throw new BundleError('size', `image of ${m.image.size} bytes does not fit the slot of ${opts.slotSize} bytes`)
}

export type Progress = (done: number, total: number) => void

/** A pass-through that hashes and counts what goes by. */
export function hashing(onBytes?: (n: number) => void): Transform & { digest: () => string; bytes: () => number } {
  const h = createHash('sha256')
  let n = 0
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk)
      n += chunk.length
      onBytes?.(n)
      cb(null, chunk)
    },
  })
  return Object.assign(t, { digest: () => h.digest('hex'), bytes: () => n })
}

/** Hashes the whole payload against the manifest (before a byte of it is written anywhere). */
export async function checkPayload(path: string, header: BundleHeader, progress?: Progress): Promise<void> {
  const total = header.manifest.payload.size
  const h = hashing((n) => progress?.(n, total))
  await pipeline(createReadStream(path, { start: header.payloadOffset }), h, async (src) => {
    for await (const _ of src);
  })
  if (h.bytes() !== total) throw new BundleError('size', `payload is ${h.bytes()} bytes, the manifest says ${total}`)
  if (h.digest() !== header.manifest.payload.sha256) throw new BundleError('checksum', 'payload SHA-256 differs from the manifest: the bundle is corrupt')
}

/** Makes a bundle from a root file system image (the vendor's side: scripts/update-bundle.ts). */
export async function createBundle(o: { image: string; out: string; privateKey: KeyObject; version: string; board?: string; kernel: string; minVersion?: string; now?: Date }): Promise<Manifest> {
  const payloadTmp = `${o.out}.payload.tmp`
  try {
    const raw = hashing()
    const packed = hashing()
    await pipeline(createReadStream(o.image), raw, createGzip({ level: 6 }), packed, createWriteStream(payloadTmp))
    const manifest: Manifest = checkManifest({
      format: 1,
      product: 'linewatch',
      version: o.version,
      board: o.board ?? BOARD,
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      kernel: o.kernel,
      created: (o.now ?? new Date()).toISOString(),
      payload: { compression: 'gzip', size: (await stat(payloadTmp)).size, sha256: packed.digest() },
      image: { size: raw.bytes(), sha256: raw.digest() },
    })
    const manifestBytes = Buffer.from(JSON.stringify(manifest))
    const signature = sign(null, manifestBytes, o.privateKey)
    const len = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32BE(n)
      return b
    }
    const header = Buffer.concat([MAGIC, len(manifestBytes.length), manifestBytes, len(signature.length), signature])
    const out = createWriteStream(o.out)
    out.write(header)
    await pipeline(createReadStream(payloadTmp), out)
    return manifest
  } finally {
    await rm(payloadTmp, { force: true })
  }
}

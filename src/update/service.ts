import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock, Timer } from '../core/clock.js'
import type { AlertRecord } from '../core/state.js'
import { readHeader, loadPublicKey } from './bundle.js'
import { PUBLIC_KEY } from './paths.js'
import type { UPDATE_STAGES } from './progress.js'
import { writeByRename } from './progress-file.js'

/**
 * The box's side of an update asked from afar (the office's `update` command, the web page): the box
 * runs unprivileged, so it downloads the bundle into the state folder (resumed with HTTP Range, checked
 * against the checksum given and the baked key's signature) and leaves a request there;
 * linewatch-update.path starts linewatch-update.service (root), which installs it and writes its
 * progress back to the folder, which this service reads and publishes (docs/updates.md).
 */
export type UpdateStage = (typeof UPDATE_STAGES)[number]

export interface UpdateProgress {
  stage: UpdateStage
  done: number
  total: number
  percent: number
  ok?: boolean
  message?: string
  ts: number
}

export interface UpdateRequest {
  url: string
  sha256: string
  force?: boolean
}

export const updateDir = (stateDir: string) => join(stateDir, 'update')
export const FILES = { bundle: 'bundle.lwb', part: 'bundle.lwb.part', request: 'request.json', progress: 'progress.json', fallback: 'fallback.json', confirmed: 'confirmed.json' } as const
/** Room kept free on the card besides the bundle: the journal and the statistics must still be written. */
export const FREE_MARGIN = 64 * 1024 * 1024
/**
 * A progress file younger than this, not at its end, is an update under way (one typed at the console writes
 * here too); one that has not moved for STALE_MS is not any more (its writer was cut off).
 */
export const FRESH_MS = 60_000
export const STALE_MS = 10 * 60_000

export interface UpdateServiceDeps {
  stateDir: string
  clock: Clock
  setAlert: (a: Omit<AlertRecord, 'ts'>) => void
  publish?: (p: UpdateProgress) => void
  publicKeyPath?: string
  fetch?: typeof fetch
  pollMs?: number
  freeBytes?: (dir: string) => Promise<number>
}

export class UpdateService {
  readonly dir: string
  #last: UpdateProgress | null = null
  #busy = false
  #poll: Timer | null = null
  #watch: Timer | null = null
  readonly #d: UpdateServiceDeps

  constructor(deps: UpdateServiceDeps) {
    this.#d = deps
    this.dir = updateDir(deps.stateDir)
  }

  /** The latest progress (the page and a new MQTT connection show it). */
  get progress(): UpdateProgress | null {
    return this.#last
  }

  get busy(): boolean {
    return this.#busy
  }

  #say(p: Omit<UpdateProgress, 'ts' | 'percent'> & { percent?: number }): void {
    const percent = p.percent ?? (p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100)
    const next = { ...p, percent, ts: this.#d.clock.now() }
    // a line per stage and per 5 %: MQTT and the page need no more
    const prev = this.#last
    if (prev && prev.stage === next.stage && Math.floor(prev.percent / 5) === Math.floor(percent / 5) && next.ok === undefined) return
    this.#last = next
    this.#d.publish?.(next)
  }

  /** At start: what the root side left (a fallback, a confirmation) is said once, then removed. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await this.#handovers()
    // the confirmation comes minutes after the box started on the new system
    this.#watch = this.#d.clock.setInterval(() => void this.#handovers(), 30_000)
    // an install under way (the box restarted during it) is followed again
    if (await readJson(join(this.dir, FILES.request))) this.#follow()
  }

  async #handovers(): Promise<void> {
    // an update typed at the console (`linewatch update FILE`) writes its progress here too: followed, so that
    // the page and MQTT show it as they show the office's
    if (!this.#busy && (await this.#progressAge()) < FRESH_MS) {
      const p = await readJson<Omit<UpdateProgress, 'ts'>>(join(this.dir, FILES.progress))
      if (p && p.ok === undefined && p.stage !== 'done' && p.stage !== 'failed') this.#follow()
    }
    const fallback = await readJson<{ message: string; slot: string; version: string | null }>(join(this.dir, FILES.fallback))
    if (fallback) {
      this.#d.setAlert({ id: 'box/update', severity: 'major', source: 'box', state: 'raised', message: fallback.message })
      this.#say({ stage: 'fell-back', done: 0, total: 0, ok: false, message: fallback.message })
      await rm(join(this.dir, FILES.fallback), { force: true })
    }
    const confirmed = await readJson<{ message: string }>(join(this.dir, FILES.confirmed))
    if (confirmed) {
      this.#d.setAlert({ id: 'box/update', severity: 'major', source: 'box', state: 'cleared', message: confirmed.message })
      this.#say({ stage: 'confirmed', done: 1, total: 1, ok: true, message: confirmed.message })
      await rm(join(this.dir, FILES.confirmed), { force: true })
    }
  }

  stop(): void {
    this.#poll?.cancel()
    this.#poll = null
    this.#watch?.cancel()
    this.#watch = null
  }

  /** Download, check and hand over to the root side. Resolves when queued (or refused). */
  async fromUrl(req: UpdateRequest): Promise<{ ok: boolean; message: string }> {
    if (this.#busy) return { ok: false, message: 'an update is already under way' }
    this.#busy = true
    try {
      const file = await this.#download(req.url)
      this.#say({ stage: 'check', done: 0, total: 1 })
      const sum = await sha256Of(file)
      if (sum !== req.sha256.toLowerCase()) {
        await rm(file, { force: true })
        throw new Error(`the download's SHA-256 ${sum} is not the one given (${req.sha256}): removed`)
      }
      const header = await readHeader(file, loadPublicKey(await readFile(this.#d.publicKeyPath ?? PUBLIC_KEY)))
      this.#say({ stage: 'check', done: 1, total: 1 })
      await writeByRename(join(this.dir, FILES.progress), JSON.stringify({ stage: 'queued', done: 0, total: 1, percent: 0 }), 0o600)
      await writeByRename(join(this.dir, FILES.request), JSON.stringify({ file, force: req.force ?? false, version: header.manifest.version }), 0o600)
      const message = `linewatch ${header.manifest.version} downloaded and checked; the box installs it and reboots to try it`
      this.#say({ stage: 'queued', done: 0, total: 1, message })
      this.#follow()
      return { ok: true, message }
    } catch (err) {
      this.#busy = false
      const message = (err as Error).message
      this.#say({ stage: 'failed', done: 0, total: 0, ok: false, message })
      return { ok: false, message }
    }
  }

  async #download(url: string): Promise<string> {
    const part = join(this.dir, FILES.part)
    const have = (await stat(part).catch(() => null))?.size ?? 0
    const res = await (this.#d.fetch ?? fetch)(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {} })
    if (res.status !== 200 && res.status !== 206) throw new Error(`download: ${url} answered HTTP ${res.status}`)
    // a server without ranges sends it all again: start over
    const from = res.status === 206 ? have : 0
    const total = res.status === 206 ? Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN) : Number(res.headers.get('content-length') ?? NaN)
    if (!Number.isFinite(total)) throw new Error('download: the server did not say the size')
    const free = await (this.#d.freeBytes ?? freeBytes)(this.dir)
    if (total - from + FREE_MARGIN > free) {
      await res.body?.cancel()
      throw new Error(`card full: the bundle needs ${Math.ceil((total - from) / 1048576)} MiB and ${Math.ceil(FREE_MARGIN / 1048576)} MiB must stay free, ${Math.floor(free / 1048576)} MiB are`)
    }
    const fh = await open(part, from > 0 ? 'a' : 'w', 0o600)
    let done = from
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk)
        done += chunk.length
        this.#say({ stage: 'download', done, total })
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (done !== total) throw new Error(`download: ${done} of ${total} bytes; asked again, it resumes from there`)
    const file = join(this.dir, FILES.bundle)
    await rename(part, file)
    return file
  }

  /** Milliseconds since the progress file last changed (file times are the wall clock's), Infinity without one. */
  async #progressAge(): Promise<number> {
    const st = await stat(join(this.dir, FILES.progress)).catch(() => null)
    return st ? Date.now() - st.mtimeMs : Infinity
  }

  /** Reads the root side's progress until it is done or failed. */
  #follow(): void {
    this.#busy = true
    this.#poll?.cancel()
    this.#poll = this.#d.clock.setInterval(() => {
      void readJson<Omit<UpdateProgress, 'ts'>>(join(this.dir, FILES.progress)).then(async (read) => {
        if (!read) return
        let p = read
        const end = (q: typeof p) => q.stage === 'done' || q.stage === 'failed' || q.ok === false
        if (!end(p) && (await this.#progressAge()) > STALE_MS) p = { stage: 'failed', done: 0, total: 0, percent: 0, ok: false, message: `no progress for ${STALE_MS / 60_000} min (at ${p.stage} ${p.percent} %): the update was cut off` }
        this.#say(p)
        if (end(p)) {
          this.#busy = false
          this.#poll?.cancel()
          this.#poll = null
        }
      })
    }, this.#d.pollMs ?? 2000)
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch {
    return null
  }
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir)
  return s.bavail * s.bsize
}

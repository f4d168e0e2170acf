import { stat } from 'node:fs/promises'
import { extname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { PlanConfig } from '../config/schema.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { importDeck, LISTED, type DeckJob, type DeckOutcome } from './deck-import.js'
import type { DeckProblem } from './deck.js'
import { PrefixIndex } from './prefix-index.js'

export interface DeckStatus {
  plan: string
  file: string
  /** Where the deck in use came from: the file, or the last good copy kept in the state folder. */
  source: 'file' | 'last-good' | null
  rows: number
  prefixes: number
  loadedAt: number | null
  /** The last import's problems (at most 20 listed), with the file's line numbers. */
  problems: { line: number; message: string }[]
  problemCount: number
  /** Why the last import was not taken (null: it was). */
  refused: string | null
}

/** A file this big or bigger is imported in the worker: ~1 ms of parsing per 10 KiB on a Pi would block the loop more than 20 ms. */
export const WORKER_MIN_BYTES = 64 * 1024
// deck-worker.ts under tap (tap's TypeScript hook is inherited by the worker), deck-worker.js from dist/
const WORKER = new URL(`./deck-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/** One import in a worker thread; it rejects when the worker dies (out of memory, a bug) before answering. */
export function importInWorker(job: DeckJob): Promise<DeckOutcome> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: job })
    let answered = false
    w.once('message', (m: DeckOutcome) => {
      answered = true
      resolve(m)
    })
    w.once('error', reject)
    w.once('exit', (code) => answered || reject(new Error(`the deck worker stopped (exit code ${code}) before answering`)))
  })
}

/**
 * The rate decks of the plans. An import replaces a plan's deck only when it
 * is good (deckVerdict); a bad one is reported with its line numbers and the
 * last good deck stays. The last good file is kept in the state folder, so a
 * box that boots with a broken deck on disk still routes by the one before.
 *
 * A big deck is imported in a worker thread (importInWorker) while lookups go
 * on answering from the deck in use; the new one replaces it in one Map set,
 * so a lookup sees the old deck or the new, never a mix. Imports run one at
 * a time, in the order asked.
 */
export class DeckLibrary {
  readonly #plans: PlanConfig[]
  readonly #configDir: string
  readonly #dir: string
  readonly #log: Logger
  readonly #decks = new Map<string, PrefixIndex>()
  readonly #status = new Map<string, DeckStatus>()
  readonly #workerMinBytes: number
  #queue: Promise<unknown> = Promise.resolve()

  /** `workerMinBytes`: files at least this big are imported in a worker (tests set 0 or Infinity to choose). */
  constructor(deps: { plans: PlanConfig[]; configDir: string; stateDir: string; log: Logger; workerMinBytes?: number }) {
    this.#workerMinBytes = deps.workerMinBytes ?? WORKER_MIN_BYTES
    this.#plans = deps.plans
    this.#configDir = deps.configDir
    this.#dir = join(deps.stateDir, 'decks')
    this.#log = deps.log.child({ module: 'decks' })
  }

  get(plan: string): PrefixIndex | null {
    return this.#decks.get(plan) ?? null
  }

  get status(): DeckStatus[] {
    return this.#plans.map((p) => this.#status.get(p.id) ?? { plan: p.id, file: this.#file(p), source: null, rows: 0, prefixes: 0, loadedAt: null, problems: [], problemCount: 0, refused: null })
  }

  /** Import every plan's deck (at start, and on demand). */
  async loadAll(now: number): Promise<DeckStatus[]> {
    for (const p of this.#plans) await this.load(p, now)
    return this.status
  }

  load(plan: PlanConfig, now: number): Promise<DeckStatus> {
    const run = this.#queue.then(() => this.#load(plan, now))
    this.#queue = run.catch(() => {})
    return run
  }

  async #load(plan: PlanConfig, now: number): Promise<DeckStatus> {
    const file = this.#file(plan)
    const lastGood = join(this.#dir, `${plan.id}.csv`)
    const got = await this.#import({ kind: 'file', file, encoding: plan.deck.encoding, columns: plan.deck.columns, keepTo: lastGood })
    const { problems, problemCount } = got
    let refused = got.refused
    if (got.packed) {
      if (got.keepError !== null) this.#log.warn({ err: got.keepError, path: lastGood }, 'cannot keep a copy of the rate deck')
      return this.#use(plan, got, 'file', now, problems, problemCount, null)
    }
    if (!this.#decks.has(plan.id)) {
      // nothing in use yet (a boot): the copy of the last good file
      const kept = await this.#import({ kind: 'kept', file: lastGood, columns: plan.deck.columns })
      if (kept.packed) {
        this.#log.error({ plan: plan.id, file, refused, problems: problems.slice(0, 5) }, 'rate deck not taken; the last good copy from the state folder is used')
        return this.#use(plan, kept, 'last-good', now, problems, problemCount, `${refused}; the last good copy is used`)
      }
    }
    const kept = this.#decks.has(plan.id)
    // say what is true: the deck in use stays, or there is none and the plan has no rates
    refused = `${refused}; ${kept ? 'the last good deck stays in use' : `there is no earlier deck: plan ${plan.id} has no rates until a good one is imported`}`
    this.#log.error({ plan: plan.id, file, refused, problems: problems.slice(0, 5) }, kept ? 'rate deck not taken; the last good one stays' : 'rate deck not taken; no earlier deck, the plan has no rates')
    const prev = this.#status.get(plan.id)
    const status: DeckStatus = { ...(prev ?? { plan: plan.id, file, source: null, rows: 0, prefixes: 0, loadedAt: null }), problems, problemCount, refused }
    this.#status.set(plan.id, status)
    return status
  }

  /** In a worker for a big file, here for a small one; a worker that dies is reported like a file that cannot be read. */
  async #import(job: DeckJob): Promise<DeckOutcome> {
    const size = await stat(job.file).then((s) => s.size, () => 0)
    if (size < this.#workerMinBytes) return importDeck(job)
    try {
      return await importInWorker(job)
    } catch (err) {
      const refused = job.kind === 'file' ? `cannot import ${job.file}: ${errorMessage(err)}` : null
      if (job.kind === 'kept') this.#log.warn({ err: errorMessage(err), path: job.file }, 'cannot read the last good copy of the rate deck')
      return { packed: null, rows: 0, problems: [], problemCount: 0, refused, keepError: null }
    }
  }

  #use(plan: PlanConfig, got: DeckOutcome, source: 'file' | 'last-good', now: number, problems: DeckProblem[], problemCount: number, refused: string | null): DeckStatus {
    const index = new PrefixIndex(got.packed!)
    // the swap: one set; lookups before it answered from the old deck
    this.#decks.set(plan.id, index)
    const status: DeckStatus = { plan: plan.id, file: this.#file(plan), source, rows: index.rows, prefixes: index.size, loadedAt: now, problems, problemCount, refused }
    this.#status.set(plan.id, status)
    this.#log.info({ plan: plan.id, source, rows: index.rows, problems: problemCount }, 'rate deck in use')
    return status
  }

  #file(plan: PlanConfig): string {
    return isAbsolute(plan.deck.file) ? plan.deck.file : resolve(this.#configDir, plan.deck.file)
  }
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { PlanConfig } from '../config/schema.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { deckVerdict, parseDeck, type RateRow } from './deck.js'
import { decodeDeck, encodingNote } from './deck-encoding.js'
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

const LISTED = 20

/**
 * The rate decks of the plans. An import replaces a plan's deck only when it
 * is good (deckVerdict); a bad one is reported with its line numbers and the
 * last good deck stays. The last good file is kept in the state folder, so a
 * box that boots with a broken deck on disk still routes by the one before.
 */
export class DeckLibrary {
  readonly #plans: PlanConfig[]
  readonly #configDir: string
  readonly #dir: string
  readonly #log: Logger
  readonly #decks = new Map<string, PrefixIndex>()
  readonly #status = new Map<string, DeckStatus>()

  constructor(deps: { plans: PlanConfig[]; configDir: string; stateDir: string; log: Logger }) {
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

  async load(plan: PlanConfig, now: number): Promise<DeckStatus> {
    const file = this.#file(plan)
    const lastGood = join(this.#dir, `${plan.id}.csv`)
    let refused: string | null = null
    let problems: { line: number; message: string }[] = []
    let bytes: Buffer | null = null
    try {
      bytes = await readFile(file)
    } catch (err) {
      refused = `cannot read ${file}: ${errorMessage(err)}`
    }
    if (bytes !== null) {
      const decoded = decodeDeck(bytes, plan.deck.encoding)
      const parsed = parseDeck(decoded.text, plan.deck.columns)
      // a header that does not match is most often an encoding guessed wrong: say which one was used
      problems = parsed.problems.map((p) => (/ in the header/.test(p.message) ? { ...p, message: `${p.message}; ${encodingNote(decoded)}` } : p))
      const verdict = deckVerdict({ ...parsed, problems })
      if (verdict.ok) {
        this.#use(plan, parsed.rows, 'file', now, problems, null)
        // kept as UTF-8: the copy is read back without guessing
        await this.#keep(lastGood, decoded.text)
        return this.#status.get(plan.id)!
      }
      refused = verdict.message
    }
    if (!this.#decks.has(plan.id)) {
      // nothing in use yet (a boot): the copy of the last good file
      const kept = await readFile(lastGood, 'utf8').catch(() => null)
      if (kept !== null) {
        const parsed = parseDeck(kept, plan.deck.columns)
        if (parsed.rows.length) {
          this.#log.error({ plan: plan.id, file, refused, problems: problems.slice(0, 5) }, 'rate deck not taken; the last good copy from the state folder is used')
          return this.#use(plan, parsed.rows, 'last-good', now, problems, `${refused}; the last good copy is used`)
        }
      }
    }
    const kept = this.#decks.has(plan.id)
    // say what is true: the deck in use stays, or there is none and the plan has no rates
    refused = `${refused}; ${kept ? 'the last good deck stays in use' : `there is no earlier deck: plan ${plan.id} has no rates until a good one is imported`}`
    this.#log.error({ plan: plan.id, file, refused, problems: problems.slice(0, 5) }, kept ? 'rate deck not taken; the last good one stays' : 'rate deck not taken; no earlier deck, the plan has no rates')
    const prev = this.#status.get(plan.id)
    const status: DeckStatus = { ...(prev ?? { plan: plan.id, file, source: null, rows: 0, prefixes: 0, loadedAt: null }), problems: problems.slice(0, LISTED), problemCount: problems.length, refused }
    this.#status.set(plan.id, status)
    return status
  }

  #use(plan: PlanConfig, rows: RateRow[], source: 'file' | 'last-good', now: number, problems: { line: number; message: string }[], refused: string | null): DeckStatus {
    const index = new PrefixIndex(rows)
    this.#decks.set(plan.id, index)
    const status: DeckStatus = { plan: plan.id, file: this.#file(plan), source, rows: rows.length, prefixes: index.size, loadedAt: now, problems: problems.slice(0, LISTED), problemCount: problems.length, refused }
    this.#status.set(plan.id, status)
    this.#log.info({ plan: plan.id, source, rows: rows.length, problems: problems.length }, 'rate deck in use')
    return status
  }

  /** Written beside and renamed: a power cut leaves the old copy or the new one. */
  async #keep(path: string, text: string): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true })
      await writeFile(`${path}.tmp`, text)
      await rename(`${path}.tmp`, path)
    } catch (err) {
      this.#log.warn({ err: errorMessage(err), path }, 'cannot keep a copy of the rate deck')
    }
  }

  #file(plan: PlanConfig): string {
    return isAbsolute(plan.deck.file) ? plan.deck.file : resolve(this.#configDir, plan.deck.file)
  }
}

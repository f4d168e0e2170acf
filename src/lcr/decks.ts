import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { PlanConfig } from '../config/schema.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { deckVerdict, parseDeck, type RateRow } from './deck.js'
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
    let text: string | null = null
    let refused: string | null = null
    let problems: { line: number; message: string }[] = []
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      refused = `cannot read ${file}: ${errorMessage(err)}`
    }
    if (text !== null) {
      const parsed = parseDeck(text, plan.deck.columns)
      problems = parsed.problems
      const verdict = deckVerdict(parsed)
      if (verdict.ok) {
        this.#use(plan, parsed.rows, 'file', now, problems, null)
        await this.#keep(lastGood, text)
        return this.#status.get(plan.id)!
      }
      refused = verdict.message
    }
    this.#log.error({ plan: plan.id, file, refused, problems: problems.slice(0, 5) }, 'rate deck not taken; the last good one stays')
    if (!this.#decks.has(plan.id)) {
      // nothing in use yet (a boot): the copy of the last good file
      const kept = await readFile(lastGood, 'utf8').catch(() => null)
      if (kept !== null) {
        const parsed = parseDeck(kept, plan.deck.columns)
        if (parsed.rows.length) return this.#use(plan, parsed.rows, 'last-good', now, problems, refused)
      }
    }
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

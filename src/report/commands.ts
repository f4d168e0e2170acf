import { Ajv } from 'ajv'
import type { Static, TObject } from '@sinclair/typebox'
import type { IPublishPacket } from 'mqtt'
import type { Logger } from '../core/logger.js'
import { errorMessage } from '../core/errors.js'
import { describeAjvError } from '../lines/pbx-report.js'
import type { Remembering } from '../core/box-memory.js'
import { CommandId, type CommandResultSchema } from './command-schemas.js'

/** On `<base>/cmd/<name>/result` (and the MQTT 5 response topic when the request named one). */
export type CommandResult = Static<typeof CommandResultSchema>

/** What a command says back: its result without the request's id and name. */
export type CommandOutcome = Omit<CommandResult, 'id' | 'command' | 'repeated'>

/** One command: its request's schema (command-schemas.ts) and what it does with the fields besides `id`. */
export interface CommandSpec {
  schema: TObject
  /** ctx: the request's id, and its MQTT packet (for a result sent later, to its response topic). */
  run(args: Record<string, unknown>, ctx: { id: string; request?: IPublishPacket }): Promise<CommandOutcome> | CommandOutcome
}

const ID_PATTERN = new RegExp(CommandId.pattern!)
/** Ids remembered, so a command sent twice (QoS 1, an office retrying) runs once. */
const IDS_KEPT = 500

/**
 * The office's commands, `<base>/cmd/<name>` with a JSON body carrying an `id`:
 * each body checked against its command's schema, junk answered with an error
 * result (never a crash), a command switched off in the config refused, and an
 * id already done answered with its stored result instead of running again.
 */
export class OfficeCommands implements Remembering<[string, CommandResult][]> {
  memoryChanged?: () => void
  readonly #specs: Map<string, { spec: CommandSpec; check: ReturnType<Ajv['compile']> }>
  readonly #disabled: Set<string>
  readonly #log: Logger
  readonly #done = new Map<string, Promise<CommandResult>>()
  /** The results of the commands done, by name and id: kept across a restart. */
  readonly #results = new Map<string, CommandResult>()

  constructor(deps: { specs: Record<string, CommandSpec>; disabled: string[]; log: Logger }) {
    const ajv = new Ajv({ allErrors: false, strict: false })
    this.#specs = new Map(
      Object.entries(deps.specs).map(([name, spec]) => [
        name,
        { spec, check: ajv.compile(spec.schema) },
      ]),
    )
    this.#disabled = new Set(deps.disabled)
    this.#log = deps.log.child({ module: 'commands' })
  }

  remember(): [string, CommandResult][] {
    return [...this.#results]
  }

  recall(saved: [string, CommandResult][]): void {
    for (const entry of Array.isArray(saved) ? saved.slice(-IDS_KEPT) : []) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1]?.ok !== 'boolean') continue
      this.#results.set(entry[0], entry[1])
      this.#done.set(entry[0], Promise.resolve(entry[1]))
    }
  }

  /** The commands this box takes (the config's switched-off ones left out). */
  get names(): string[] {
    return [...this.#specs.keys()].filter((n) => !this.#disabled.has(n))
  }

  /** A request's bytes in, its result out (always one, whatever came in). */
  async handle(name: string, payload: Buffer | string, request?: IPublishPacket): Promise<CommandResult> {
    let body: unknown
    try {
      body = JSON.parse(payload.toString())
    } catch (err) {
      return { id: null, command: name, ok: false, message: `not JSON: ${errorMessage(err)}` }
    }
    const rawId = (body as { id?: unknown } | null)?.id
    const id = typeof rawId === 'string' && ID_PATTERN.test(rawId) ? rawId : null
    const fail = (message: string): CommandResult => ({ id, command: name, ok: false, message })
    const entry = this.#specs.get(name)
    if (!entry) return fail(`no command "${name}" (commands: ${this.names.join(', ')})`)
    if (this.#disabled.has(name)) return fail(`the command "${name}" is switched off in the config (mqtt.disabledCommands)`)
    if (!entry.check(body)) return fail(`a ${name} command: ${describeAjvError(entry.check.errors![0]!)}`)
    const key = `${name}\u0000${id!}`
    const before = this.#done.get(key)
    if (before) return { ...(await before), repeated: true }
    const run = this.#run(name, id!, entry.spec, body as Record<string, unknown>, request)
    this.#done.set(key, run)
    if (this.#done.size > IDS_KEPT) {
      const oldest = this.#done.keys().next().value!
      this.#done.delete(oldest)
      this.#results.delete(oldest)
    }
    const result = await run
    if (this.#done.has(key)) {
      this.#results.set(key, result)
      this.memoryChanged?.()
    }
    return result
  }

  /** A result that came later, from elsewhere (reload-config's, sent by the box started on the new config): kept as this id's. */
  record(result: CommandResult): void {
    if (!result.id) return
    const key = `${result.command}\u0000${result.id}`
    this.#results.set(key, result)
    this.#done.set(key, Promise.resolve(result))
    this.memoryChanged?.()
  }

  async #run(name: string, id: string, spec: CommandSpec, body: Record<string, unknown>, request?: IPublishPacket): Promise<CommandResult> {
    const { id: _id, ...args } = body
    try {
      const outcome = await spec.run(args, { id, request })
      this.#log.info({ command: name, id, ok: outcome.ok }, 'office command')
      return { id, command: name, ...outcome }
    } catch (err) {
      this.#log.warn({ command: name, id, err: errorMessage(err) }, 'office command failed')
      return { id, command: name, ok: false, message: errorMessage(err) }
    }
  }
}

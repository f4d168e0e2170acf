import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'

type Refused = Record<string, string>

/** A SIM PIN's mark: enough to know the installer changed it, kept in the 0700 state folder (the PIN itself is in the config). */
function mark(modem: string, pin: string): string {
  return createHash('sha256').update(`${modem}\0${pin}`).digest('hex').slice(0, 16)
}

/**
 * The SIM PINs a SIM has refused, per modem, kept across restarts: a SIM
 * allows three wrong PINs before it wants the PUK, and a box restarting in a
 * loop must not spend them. A refused PIN is never sent again; a different one
 * (the installer fixed the config) is tried once.
 */
export class SimPinLedger {
  #file: JsonFileState<Refused> | null = null
  #refused: Refused = {}

  /** Keep the ledger in `<stateDir>/sim-pins.json` (without it, in memory only). */
  async open(stateDir: string, log: Logger, now: number): Promise<void> {
    const file = new JsonFileState<Refused>(join(stateDir, 'sim-pins.json'), {}, log)
    const valid = (d: unknown): d is Refused => !!d && typeof d === 'object' && !Array.isArray(d) && Object.values(d).every((v) => typeof v === 'string')
    await file.load(valid, () => ({}), now)
    this.#file = file
    this.#refused = file.data
  }

  refused(modem: string, pin: string): boolean {
    return this.#refused[modem] === mark(modem, pin)
  }

  async refuse(modem: string, pin: string): Promise<void> {
    this.#refused[modem] = mark(modem, pin)
    await this.#file?.save()
  }

  /** The SIM took a PIN: a later refusal is news again. */
  async accepted(modem: string): Promise<void> {
    if (!(modem in this.#refused)) return
    delete this.#refused[modem]
    await this.#file?.save()
  }
}

/**
 * Logged-in browsers and the login's brake. Sessions live in memory only: a
 * restart logs everyone out, and nothing secret is ever written to the card.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import type { Role } from './permissions.js'

export interface Session {
  id: string
  /** Sent back by the page with every change it asks for (x-csrf-token), never in a cookie. */
  csrf: string
  user: string
  role: Role
  createdAt: number
  lastSeen: number
}

/** More sessions than a call room has screens; beyond it the least recently used goes. */
const MAX_SESSIONS = 64

export class Sessions {
  readonly #byId = new Map<string, Session>()
  readonly #clock: Clock
  readonly #idleMs: number

  constructor(clock: Clock, idleMs: number) {
    this.#clock = clock
    this.#idleMs = idleMs
  }

  create(user: string, role: Role): Session {
    const now = this.#clock.now()
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), user, role, createdAt: now, lastSeen: now }
    this.#byId.set(s.id, s)
    if (this.#byId.size > MAX_SESSIONS) this.#byId.delete(this.#byId.keys().next().value!)
    return s
  }

  /** The live session with this id (its idle time starts again), or null when unknown or expired. */
  use(id: string): Session | null {
    const s = this.#byId.get(id)
    if (!s) return null
    const now = this.#clock.now()
    if (now - s.lastSeen > this.#idleMs) {
      this.#byId.delete(id)
      return null
    }
    s.lastSeen = now
    // Map order is the eviction order: most recently used last
    this.#byId.delete(id)
    this.#byId.set(id, s)
    return s
  }

  end(id: string): void {
    this.#byId.delete(id)
  }

  /** A changed password or a removed user ends all of their sessions. */
  endUser(user: string): void {
    for (const [id, s] of this.#byId) if (s.user === user) this.#byId.delete(id)
  }

  get size(): number {
    return this.#byId.size
  }
}

/**
 * Wrong passwords slow down: the first FREE are answered at once, then each
 * further one locks the account for twice as long as the last, up to MAX_MS.
 * 1,000 guesses then take more than 16 hours. The lock is per user name (an
 * attacker has many addresses on a LAN but the box has one admin); unknown
 * names share one lock, so made-up names cannot fill the memory.
 */
export class LoginBrake {
  static readonly FREE = 5
  static readonly FIRST_MS = 1000
  static readonly MAX_MS = 60_000
  readonly #state = new Map<string, { failures: number; until: number }>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Milliseconds until this name may try again (0: now). */
  wait(key: string): number {
    return Math.max(0, (this.#state.get(key)?.until ?? 0) - this.#clock.now())
  }

  failed(key: string): void {
    const s = this.#state.get(key) ?? { failures: 0, until: 0 }
    s.failures++
    const over = s.failures - LoginBrake.FREE
    if (over > 0) s.until = this.#clock.now() + Math.min(LoginBrake.FIRST_MS * 2 ** Math.min(over - 1, 30), LoginBrake.MAX_MS)
    this.#state.set(key, s)
  }

  succeeded(key: string): void {
    this.#state.delete(key)
  }
}

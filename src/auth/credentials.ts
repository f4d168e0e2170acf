/**
 * The box's web users and API tokens, in `<state>/credentials.json` (0600,
 * owned by the service user; written whole and atomically). Never in the YAML.
 *
 * Passwords are scrypt hashes (passwords.ts). Tokens are 32 random bytes shown
 * once when made; the file keeps only their SHA-256 (a token is a random key,
 * not a word a person chose, so a fast hash is enough), and a presented token
 * is compared with every stored one in constant time.
 *
 * The box and `linewatch passwd` / `linewatch token` (another process) share
 * the file: the box reads it again whenever it has changed on disk.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, renameSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { ownLikeFolder, writeFileAtomic } from '../core/atomic-file.js'
import { errorMessage } from '../core/errors.js'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js'
import { isRole, permissionsOfScopes, type Role } from './permissions.js'

export interface UserRecord {
  name: string
  role: Role
  hash: string
  changedAt: number
}

export interface TokenRecord {
  name: string
  scopes: string[]
  /** SHA-256 of the token, hex. */
  sha256: string
  createdAt: number
}

interface CredentialsFile {
  version: 1
  users: UserRecord[]
  tokens: TokenRecord[]
}

export const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/
const sha256 = (s: string) => createHash('sha256').update(s).digest()
/** A hash no password matches: checking an unknown user costs as long as a known one. */
const DUMMY_HASH = 'scrypt$14$8$5$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

function valid(d: unknown): d is CredentialsFile {
  const f = d as CredentialsFile
  return (
    typeof f === 'object' && f !== null && f.version === 1 && Array.isArray(f.users) && Array.isArray(f.tokens) &&
    f.users.every((u) => typeof u?.name === 'string' && isRole(u.role) && typeof u.hash === 'string') &&
    f.tokens.every((t) => typeof t?.name === 'string' && Array.isArray(t.scopes) && /^[0-9a-f]{64}$/.test(t.sha256))
  )
}

export class Credentials {
  readonly file: string
  #data: CredentialsFile = { version: 1, users: [], tokens: [] }
  #seen = ''
  /** Why the file could not be read, when it exists but is damaged: the box then lets nobody set up. */
  damaged: string | null = null

  constructor(file: string) {
    this.file = file
  }

  /** The file as it is on disk now (read again only when it has changed). */
  #current(): CredentialsFile {
    let stamp: string
    try {
      const s = statSync(this.file)
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`
    } catch {
      stamp = 'absent'
    }
    if (stamp === this.#seen) return this.#data
    this.#seen = stamp
    this.damaged = null
    if (stamp === 'absent') return (this.#data = { version: 1, users: [], tokens: [] })
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'))
      if (!valid(parsed)) throw new Error('unexpected content')
      this.#data = parsed
    } catch (err) {
      // fail closed: a damaged file is not "no password yet", or anyone could run the setup
      this.damaged = `${this.file}: ${errorMessage(err)}`
      this.#data = { version: 1, users: [], tokens: [] }
    }
    return this.#data
  }

  users(): readonly UserRecord[] {
    return this.#current().users
  }

  tokens(): readonly TokenRecord[] {
    return this.#current().tokens
  }

  /** No password set and nothing damaged: the setup may run. */
  needsSetup(): boolean {
    return this.users().length === 0 && this.damaged === null
  }

  async #save(next: CredentialsFile): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 1)}\n`, 0o600)
    // `sudo linewatch passwd` runs as root: the file must stay the service user's
    await ownLikeFolder(dirname(this.file), this.file)
    this.#seen = ''
  }

  #writable(): CredentialsFile {
    const data = this.#current()
    if (this.damaged) {
      // set aside for a person, then start a clean file: `linewatch passwd` is how a damaged file is mended
      renameSync(this.file, `${this.file}.damaged-${Date.now()}`)
      this.#seen = ''
      return this.#current()
    }
    return structuredClone(data)
  }

  /** Set (or make) a user's password; returns whether the user is new. */
  async setPassword(name: string, password: string, role: Role, now: number): Promise<boolean> {
    if (!NAME.test(name)) throw new Error(`"${name}" is not a user name (a-z, 0-9, . _ -; up to 32)`)
    const problem = passwordProblem(password)
    if (problem) throw new Error(problem)
    const data = this.#writable()
    const hash = await hashPassword(password)
    const existing = data.users.find((u) => u.name === name)
    if (existing) Object.assign(existing, { hash, role, changedAt: now })
    else data.users.push({ name, role, hash, changedAt: now })
    await this.#save(data)
    return !existing
  }

  async removeUser(name: string): Promise<boolean> {
    const data = this.#writable()
    const before = data.users.length
    data.users = data.users.filter((u) => u.name !== name)
    if (data.users.length === before) return false
    await this.#save(data)
    return true
  }

  /** The user when the password is theirs, else null (in the same time either way). */
  async checkPassword(name: string, password: string): Promise<UserRecord | null> {
    const user = this.users().find((u) => u.name === name)
    const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH)
    return ok && user ? user : null
  }

  /** Make a token; the one time its text exists outside the caller is this return value. */
  async addToken(name: string, scopes: string[], now: number): Promise<string> {
    if (!NAME.test(name)) throw new Error(`"${name}" is not a token name (a-z, 0-9, . _ -; up to 32)`)
    if (scopes.length === 0) throw new Error('a token needs at least one scope')
    permissionsOfScopes(scopes)
    const data = this.#writable()
    if (data.tokens.some((t) => t.name === name)) throw new Error(`a token named "${name}" exists; revoke it first`)
    const token = `lwt_${randomBytes(32).toString('base64url')}`
    data.tokens.push({ name, scopes, sha256: sha256(token).toString('hex'), createdAt: now })
    await this.#save(data)
    return token
  }

  async revokeToken(name: string): Promise<boolean> {
    const data = this.#writable()
    const before = data.tokens.length
    data.tokens = data.tokens.filter((t) => t.name !== name)
    if (data.tokens.length === before) return false
    await this.#save(data)
    return true
  }

  /** The stored token this text is, comparing with every one in constant time. */
  findToken(presented: string): TokenRecord | null {
    const digest = sha256(presented)
    let found: TokenRecord | null = null
    for (const t of this.tokens()) if (timingSafeEqual(digest, Buffer.from(t.sha256, 'hex'))) found = t
    return found
  }
}

/** Two secrets compared in constant time whatever their lengths (the config's http.token). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b))
}

/**
 * Passwords are kept only as scrypt hashes (node:crypto), with their cost in
 * the string so it can be raised later without breaking the old ones:
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>
 *
 * The cost is OWASP's scrypt equivalent N=2^14, r=8, p=5: 16 MiB for the
 * length of one check (the box's memory budget has no room for 2^17's 128 MiB).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const COST = { log2N: 14, r: 8, p: 5 }
const KEY_BYTES = 32
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256

function derive(password: string, salt: Buffer, o: { log2N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** o.log2N, r: o.r, p: o.p, maxmem: 2 ** o.log2N * o.r * 128 * 2 }
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))))
}

/** Why a new password is refused, or null when it will do. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN) return `the password must have at least ${PASSWORD_MIN} characters`
  if (password.length > PASSWORD_MAX) return `the password must have at most ${PASSWORD_MAX} characters`
  if (password.trim() !== password) return 'the password must not start or end with a space'
  return null
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, COST)
  return `scrypt$${COST.log2N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

/** Constant-time check against a stored hash; a damaged hash is a mismatch, never a throw. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored)
  if (!m || password.length > PASSWORD_MAX) return false
  const [log2N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (log2N < 10 || log2N > 20 || r < 1 || p < 1) return false
  const expected = Buffer.from(m[5]!, 'base64')
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), { log2N, r, p })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

import { redactUrl } from '../core/logger.js'

/** Keys whose values are secrets wherever they appear in the config. */
// (`pin` alone is a GPIO number in this config, not a secret)
const SECRET_KEYS = new Set(['password', 'token', 'simpin', 'puk', 'secret'])

/** The config as an admin may read it back: every secret replaced, URLs without their passwords. */
export function redactConfig<T>(config: T): T {
  const walk = (v: unknown, key: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, key))
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]))
    if (SECRET_KEYS.has(key.toLowerCase()) && v !== undefined) return '[redacted]'
    return key === 'url' ? redactUrl(v) : v
  }
  return walk(config, '') as T
}

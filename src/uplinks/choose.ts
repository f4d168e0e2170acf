import type { PartState } from '../core/state.js'

export interface Candidate {
  id: string
  preference: number
  metered: boolean
  state: PartState
  /** From when traffic may fail back to it (null while down). */
  failbackAt: number | null
}

export interface Choice {
  id: string | null
  reason: string
}

const usable = (c: Candidate) => c.state === 'up' || c.state === 'degraded'
const byPreference = (a: Candidate, b: Candidate) => a.preference - b.preference

/**
 * Which uplink carries the traffic. Wired uplinks first, by preference; a
 * metered one only when no wired one works. A working uplink in use is left
 * only for a better one that has been back for its hold-down (so a flapping
 * preferred uplink does not drag the traffic along); one that stopped working
 * is left at once, for the best working one. With none working the choice
 * stays where it was: there is nowhere better to go. Pure.
 */
export function chooseUplink(candidates: Candidate[], current: string | null, now: number): Choice {
  const wired = candidates.filter((c) => !c.metered && usable(c)).sort(byPreference)
  const pool = wired.length ? wired : candidates.filter((c) => c.metered && usable(c)).sort(byPreference)
  if (pool.length === 0) return { id: current, reason: 'no uplink works' }
  const settled = (c: Candidate) => c.failbackAt !== null && c.failbackAt <= now
  const cur = candidates.find((c) => c.id === current)
  if (cur && usable(cur)) {
    const better = pool.find((c) => rank(c, cur) < 0 && settled(c))
    if (!better) return { id: cur.id, reason: `${cur.id} still works` }
    return { id: better.id, reason: `${better.id} is ${cur.metered && !better.metered ? 'wired' : 'preferred'} and has been up for its hold-down` }
  }
  const best = pool.find(settled) ?? pool[0]!
  const why = current === null ? 'first choice' : `${current} is not working`
  return { id: best.id, reason: `${why}; ${best.id} ${best.metered ? 'is the metered fallback: no wired uplink works' : 'works'}` }
}

/** Wired before metered, then by preference. */
const rank = (a: Candidate, b: Candidate) => Number(a.metered) - Number(b.metered) || byPreference(a, b)

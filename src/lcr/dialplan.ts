/**
 * What the PBX dials, in E.164, by the site's numbering plan: international
 * with "+" or the international prefix (810, 00), national with the national
 * prefix (8, 0), and a short local number with the site's area code. Anything
 * else is refused with the reason: a path is never priced for a guess. Pure.
 */
import type { NumberingPlan } from '../numbers/e164.js'

export interface DialPlan extends NumberingPlan {
  /** The site's area code, without the national prefix (495). */
  areaCode?: string
  /** The length of a local number (7 in Moscow). */
  localDigits?: number
}

export type Normalised = { ok: true; e164: string; digits: string; national: string | null } | { ok: false; reason: string }

const E164_DIGITS = /^[1-9]\d{6,14}$/
/** Shorter than any subscriber number: emergency and service numbers, which least-cost routing must not take. */
const SHORTEST = 7

export function normaliseDialled(input: string, plan: DialPlan | undefined): Normalised {
  const n = input.trim().replace(/[\s().-]/g, '')
  if (!/^\+?\d+$/.test(n)) return { ok: false, reason: `"${input}" is not a phone number (digits, optionally a leading +)` }
  const international = (digits: string, how: string): Normalised =>
    E164_DIGITS.test(digits) ? done(digits, plan) : { ok: false, reason: `"${input}"${how} does not give a valid E.164 number (7 to 15 digits, not starting with 0)` }
  if (n.startsWith('+')) return international(n.slice(1), '')
  // a local number may be shorter than a subscriber number elsewhere (6 digits in small towns)
  const local = plan?.areaCode && plan.localDigits && n.length === plan.localDigits
  if (n.length < SHORTEST && !local) return { ok: false, reason: `"${input}" is a short number (emergency or service): dial it on a carrier line, not by least cost` }
  if (!plan) return { ok: false, reason: `no numbering plan is configured (numbering): only +E.164 numbers can be routed, not "${input}"` }
  if (plan.internationalPrefix && n.startsWith(plan.internationalPrefix)) return international(n.slice(plan.internationalPrefix.length), ` with the international prefix ${plan.internationalPrefix}`)
  if (plan.nationalPrefix && n.startsWith(plan.nationalPrefix)) return international(plan.countryCode + n.slice(plan.nationalPrefix.length), ` with the national prefix ${plan.nationalPrefix}`)
  if (plan.areaCode && plan.localDigits && n.length === plan.localDigits) return international(plan.countryCode + plan.areaCode + n, ` as a local number in area ${plan.areaCode}`)
  const forms = [plan.internationalPrefix && `${plan.internationalPrefix}…`, plan.nationalPrefix && `${plan.nationalPrefix}…`, plan.localDigits && `${plan.localDigits} local digits`].filter(Boolean)
  return { ok: false, reason: `"${input}" is neither +E.164 nor ${forms.length ? forms.join(' nor ') : 'a form the numbering plan knows'}` }
}

function done(digits: string, plan: DialPlan | undefined): Normalised {
  const national = plan?.nationalPrefix && digits.startsWith(plan.countryCode) ? plan.nationalPrefix + digits.slice(plan.countryCode.length) : null
  return { ok: true, e164: `+${digits}`, digits, national }
}

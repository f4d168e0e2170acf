/**
 * Phone numbers to E.164 by the site's numbering plan. Caller IDs come as
 * the network sends them: international (type 145, with or without "+"),
 * or national with the trunk prefix ("89161234567" in Russia, "0612345678"
 * in much of Europe). The call-handling software looks callers up by
 * E.164, so the box writes them that way whenever the plan can tell. Pure.
 */

export interface NumberingPlan {
  /** The site's country calling code, without "+": "7", "49", "380". */
  countryCode: string
  /** Dialled before a national number: "8" in Russia, "0" in most of Europe. */
  nationalPrefix?: string
  /** Dialled before an international number: "810" in Russia, "00" in most of Europe. */
  internationalPrefix?: string
}

const E164 = /^\+[1-9]\d{6,14}$/

/**
 * The number in E.164, or null when the plan cannot tell (a short number, a local
 * number without its area code, text, no plan for a national number).
 */
export function toE164(number: string, plan: NumberingPlan | null | undefined): string | null {
  const n = number.replace(/[\s().-]/g, '')
  if (n.startsWith('+')) return E164.test(n) ? n : null
  if (!/^\d+$/.test(n) || !plan) return null
  const candidate =
    plan.internationalPrefix && n.startsWith(plan.internationalPrefix)
      ? `+${n.slice(plan.internationalPrefix.length)}`
      : plan.nationalPrefix && n.startsWith(plan.nationalPrefix)
        ? `+${plan.countryCode}${n.slice(plan.nationalPrefix.length)}`
        : null
  return candidate && E164.test(candidate) ? candidate : null
}

/** A caller ID for the records: E.164 when the plan tells, as sent otherwise (null stays null: withheld). */
export function callerIdE164(callerId: string | null, plan: NumberingPlan | null | undefined): string | null {
  return callerId === null ? null : (toE164(callerId, plan) ?? callerId)
}

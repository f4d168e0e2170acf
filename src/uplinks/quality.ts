/**
 * Voice quality from what the probes measure: the E-model (ITU-T G.107)
 * reduced to loss, latency and jitter as Cole and Rosenbluth did for VoIP
 * over IP networks ("Voice over IP performance monitoring", 2001), for G.711
 * with packet-loss concealment. Good enough to say "calls over this uplink
 * would sound bad", which is all the tracker needs.
 */

/** Codec and jitter-buffer delay added to the network's one-way delay, ms. */
const CODEC_MS = 10

export interface Quality {
  rFactor: number
  mos: number
}

/**
 * @param lossPct probe loss over the window, 0..100
 * @param rttMs mean round trip
 * @param jitterMs mean variation between successive round trips
 */
export function voiceQuality(lossPct: number, rttMs: number, jitterMs: number): Quality {
  // a jitter buffer sized at twice the jitter turns jitter into delay
  const oneWayMs = rttMs / 2 + 2 * jitterMs + CODEC_MS
  const delayImpairment = 0.024 * oneWayMs + (oneWayMs > 177.3 ? 0.11 * (oneWayMs - 177.3) : 0)
  const lossImpairment = 30 * Math.log(1 + 15 * (lossPct / 100))
  const r = Math.min(100, Math.max(0, 94.2 - delayImpairment - lossImpairment))
  return { rFactor: round1(r), mos: round2(mosFromR(r)) }
}

/** G.107 Annex B: R to the mean opinion score (1 … 4.5). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1
  if (r >= 100) return 4.5
  // the cubic dips just below 1 for R under ~6.5
  return Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r))
}

const round1 = (x: number) => Math.round(x * 10) / 10
const round2 = (x: number) => Math.round(x * 100) / 100

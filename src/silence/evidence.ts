/**
 * Is a line's silence improbable? Two detectors, pure.
 *
 * Fixed: the source article's rule, no call for `fixedMinutes` of business
 * hours. Adaptive: how likely a healthy line is to stay this silent, from its
 * own history (Poisson arrivals at its learnt hourly rates, allowing for those
 * rates being estimates: rates.ts logSilence), with the rates scaled by how
 * busy the other lines are against their own history right now. For a well
 * known busy hour it is close to exp(-expected calls).
 *
 * The alarm threshold is the false-alarm probability per hour, not per
 * silence: a line taking 60 calls an hour has 60 silences an hour, and
 * flagging each with probability 0.1 % would be a false alarm every 17
 * hours. So the silence must be improbable below α / (calls per hour now),
 * which keeps a healthy line's false alarms near α per hour at any rate.
 * The box acts on the adaptive detector once a line has history enough and
 * on the fixed rule until then: the fixed rule's alarms in quiet hours are
 * what the adaptive detector is there to avoid.
 */

export interface PeerActivity {
  /** Calls the other lines had during this line's silence. */
  seen: number
  /** Calls their own histories expected in that time. */
  expected: number
}

export interface SilenceEvidence {
  /** Minutes since the last call (or since the line was last known to work). */
  minutes: number
  /** Minutes of that in business hours: what the fixed rule counts. */
  businessMinutes: number
  /** Calls expected in the silence, after the peer factor. */
  expectedCalls: number
  /** Chance of a silence this long on a healthy line. */
  pValue: number
  /** How busy the other lines are against their history in the same time (1 = as usual, no peers = 1). */
  peerFactor: number
  /** Each detector's verdict on its own (the bench compares them). */
  fixedFires: boolean
  adaptiveFires: boolean
  /** The verdict the box acts on: the adaptive detector once the line has history enough, the fixed rule until then. */
  firing: 'fixed' | 'adaptive' | null
}

/** Half a call's weight each side keeps one or two calls from swinging the factor; within 1/4..4 either way. */
const PEER_SMOOTHING = 2
const PEER_MIN = 0.25
const PEER_MAX = 4

export function peerFactor(peers: PeerActivity | null): number {
  if (!peers) return 1
  const f = (peers.seen + PEER_SMOOTHING) / (peers.expected + PEER_SMOOTHING)
  return Math.min(PEER_MAX, Math.max(PEER_MIN, f))
}

export interface SilenceInput {
  minutes: number
  businessMinutes: number
  /** This line's own history, or null while it has too little to trust. */
  own: { expected: number; logSilence: (factor: number) => number; ratePerHour: number } | null
  peers: PeerActivity | null
  fixedMinutes: number
  falseAlarmProbability: number
  /** Whether now is in business hours (always true when none are configured): neither detector fires outside them. */
  businessNow: boolean
}

export function silenceEvidence(i: SilenceInput): SilenceEvidence {
  const factor = peerFactor(i.peers)
  const expectedCalls = i.own === null ? 0 : i.own.expected * factor
  const pValue = i.own === null ? 1 : Math.exp(i.own.logSilence(factor))
  const threshold = i.own === null ? 0 : i.falseAlarmProbability / Math.max(1, i.own.ratePerHour * factor)
  const adaptive = i.own !== null && i.businessNow && pValue < threshold
  const fixed = i.businessMinutes >= i.fixedMinutes
  return {
    minutes: i.minutes,
    businessMinutes: i.businessMinutes,
    expectedCalls,
    pValue,
    peerFactor: factor,
    fixedFires: fixed,
    adaptiveFires: adaptive,
    firing: i.own !== null ? (adaptive ? 'adaptive' : null) : fixed ? 'fixed' : null,
  }
}

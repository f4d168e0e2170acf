/**
 * Is a line's silence improbable? Two detectors, pure.
 *
 * Fixed: the source article's rule, no call for `fixedMinutes` of business
 * hours. Adaptive: the calls the line's own history expects in the silence
 * (the integral of its hourly rates), scaled by how busy the other lines are
 * against their own expectation right now; a healthy line goes that long
 * without a call with probability exp(-expected) (Poisson arrivals), and the
 * alarm is when that falls below the configured false-alarm probability.
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
  /** Expected calls by this line's own history; null while it has too little history to trust. */
  ownExpected: number | null
  peers: PeerActivity | null
  fixedMinutes: number
  falseAlarmProbability: number
}

export function silenceEvidence(i: SilenceInput): SilenceEvidence {
  const factor = peerFactor(i.peers)
  const expectedCalls = i.ownExpected === null ? 0 : i.ownExpected * factor
  const pValue = Math.exp(-expectedCalls)
  const adaptive = i.ownExpected !== null && pValue < i.falseAlarmProbability
  const fixed = i.businessMinutes >= i.fixedMinutes
  return {
    minutes: i.minutes,
    businessMinutes: i.businessMinutes,
    expectedCalls,
    pValue,
    peerFactor: factor,
    fixedFires: fixed,
    adaptiveFires: adaptive,
    firing: i.ownExpected !== null ? (adaptive ? 'adaptive' : null) : fixed ? 'fixed' : null,
  }
}

/**
 * Erlang B: the share of calls blocked when `traffic` erlangs are offered to
 * `channels` lines with no queue (a busy line is a lost call). The recursion
 * B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)) is exact and stays in [0, 1], so it
 * never overflows the way the factorial formula does.
 */
export function erlangB(traffic: number, channels: number): number {
  if (!(traffic >= 0) || !Number.isInteger(channels) || channels < 0) throw new RangeError(`erlangB: traffic ≥ 0 and a whole number of channels ≥ 0 (got ${traffic}, ${channels})`)
  let b = 1
  for (let n = 1; n <= channels; n++) b = (traffic * b) / (n + traffic * b)
  return b
}

/** The fewest channels that block at most `target` of the calls (e.g. 0.01) at this traffic. */
export function channelsFor(traffic: number, target: number, max = 1000): number {
  if (!(target > 0 && target < 1)) throw new RangeError(`channelsFor: a target between 0 and 1 (got ${target})`)
  if (!(traffic >= 0)) throw new RangeError(`channelsFor: traffic ≥ 0 (got ${traffic})`)
  if (traffic === 0) return 0
  let b = 1
  for (let n = 0; n <= max; n++) {
    if (n > 0) b = (traffic * b) / (n + traffic * b)
    if (b <= target) return n
  }
  throw new RangeError(`channelsFor: more than ${max} channels for ${traffic} erlangs`)
}

/** Offered traffic in erlangs: calls in the hour times their mean holding time in hours. */
export function erlangs(callsPerHour: number, meanHoldSeconds: number): number {
  return (callsPerHour * meanHoldSeconds) / 3600
}

/** Release versions as package.json has them: x.y.z with an optional -prerelease (before the release). */
const RE = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/

export const isVersion = (v: unknown): v is string => typeof v === 'string' && RE.test(v)

/** <0, 0, >0 like a sort comparator; a prerelease sorts before its release (1.5.0-rc.1 < 1.5.0). */
export function compareVersions(a: string, b: string): number {
  const ma = RE.exec(a)
  const mb = RE.exec(b)
  if (!ma || !mb) throw new Error(`not a version: ${ma ? b : a}`)
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i])
    if (d !== 0) return d
  }
  if (ma[4] === mb[4]) return 0
  if (ma[4] === undefined) return 1
  if (mb[4] === undefined) return -1
  const pa = ma[4].split('.')
  const pb = mb[4].split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x) ? Number(x) : NaN
    const ny = /^\d+$/.test(y) ? Number(y) : NaN
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny
    } else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

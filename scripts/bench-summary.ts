/**
 * Issue 20's table: each of its rows with the value before the change and now, both measured in this bench
 * run (the "before" is the old code path or the old settings, kept for the bench), next to the target.
 * Rows are found in the full figure list by name; a row whose figures are missing (no socat, no root, no
 * better-sqlite3) reads "—".
 */
type Figure = { figure: string; value: number; unit: string }

interface Row {
  what: string
  before: RegExp
  now: RegExp
  /** The target: at most (<=) or at least (>=) this; null: no worse than before. */
  target: number | null
  than: '<=' | '>='
  unit: string
}

const ROWS: Row[] = [
  { what: 'linewatch run, one modem + one GSM line: idle RSS', before: /^idle RSS: linewatch run, minimal config, no memory settings$/, now: /^idle RSS: linewatch run, minimal config \(now\)$/, target: 60, than: '<=', unit: 'MB' },
  { what: 'linewatch run, the example config: idle RSS', before: /^idle RSS: linewatch run, example config, no memory settings$/, now: /^idle RSS: linewatch run, example config \(now\)$/, target: 70, than: '<=', unit: 'MB' },
  { what: 'linewatch route NUMBER: wall time', before: /^CLI: linewatch route NUMBER, loading the whole firmware first/, now: /^CLI: linewatch route NUMBER \(now\)$/, target: 250, than: '<=', unit: 'ms' },
  { what: 'uplink cut → route moved (namespaces): mean', before: /^cut → route switch, measured in namespaces, old settings.*mean/, now: /^cut → route switch, measured in namespaces, new defaults.*mean/, target: 2, than: '<=', unit: 's' },
  { what: 'uplink cut → route moved (namespaces): worst', before: /^cut → route switch, measured in namespaces, old settings.*worst/, now: /^cut → route switch, measured in namespaces, new defaults.*worst/, target: 3, than: '<=', unit: 's' },
  { what: 'uplink cut → route moved, both cores busy: worst', before: /^cut → route switch with both cores busy, measured in namespaces, old settings.*worst/, now: /^cut → route switch with both cores busy, measured in namespaces, new defaults.*worst/, target: 4, than: '<=', unit: 's' },
  { what: 'false switches at 5 % loss each way (simulated, many runs)', before: /^false switches, 5 % loss each way.*old settings/, now: /^false switches, 5 % loss each way.*new defaults/, target: 0, than: '<=', unit: 'switches' },
  { what: 'route moves at 5 % loss each way (namespaces)', before: /^route moves in .* of 5 % packet loss.*old settings/, now: /^route moves in .* of 5 % packet loss.*new defaults/, target: 0, than: '<=', unit: 'moves' },
  { what: '1M-prefix deck: heap', before: /^LCR deck 1M prefixes, today.*: heap growth$/, now: /^LCR deck 1M prefixes, packed.*: heap growth \+ the packed arrays/, target: 60, than: '<=', unit: 'MiB' },
  { what: '1M-prefix deck: load', before: /^LCR deck 1M prefixes, today.*: load$/, now: /^LCR deck 1M prefixes, packed.*: load$/, target: 1.5, than: '<=', unit: 's' },
  { what: '1M-prefix deck: event loop blocked at most during the load', before: /^LCR deck 1M prefixes, today.*: event loop blocked at most$/, now: /^LCR deck 1M prefixes, packed.*: event loop blocked at most$/, target: 20, than: '<=', unit: 'ms' },
  { what: '1M-prefix deck: lookups / SQLite (mod_lcr-style query)', before: /^LCR deck 1M prefixes: today's lookups \/ SQLite's$/, now: /^LCR deck 1M prefixes: packed lookups \/ SQLite's$/, target: 100, than: '>=', unit: '×' },
  { what: 'dead line at the busiest hour → flagged, worst of the seeds', before: /^silence: line dying at 12:40 .* worst of .*today, adaptive detector/, now: /^silence: line dying at 12:40 .* worst of .*new, adaptive \+ test calls/, target: 7, than: '<=', unit: 'min' },
  { what: 'dead line at any hour of the week → flagged, worst', before: /^silence: worst time to flag over a death in each of the 168 hours.*today, adaptive detector/, now: /^silence: worst time to flag over a death in each of the 168 hours.*new, adaptive \+ test calls/, target: 30, than: '<=', unit: 'min' },
  { what: 'false silence alarms per week, 2 healthy lines', before: /^silence: false alarms per week.*today, adaptive detector/, now: /^silence: false alarms per week.*new, adaptive \+ test calls/, target: null, than: '<=', unit: '/week' },
  { what: 'hung modem → usable again (simulated), mean of 3 hangs × 3 modules', before: /^hung modem → usable again, old ladder.*mean of 3 hangs/, now: /^hung modem → usable again, new.*mean of 3 hangs/, target: 45, than: '<=', unit: 's' },
  { what: 'hung modem, hard hang with a power key → usable again, mean', before: /^hung modem → usable again, old ladder.*power key/, now: /^hung modem → usable again, new.*power key/, target: 45, than: '<=', unit: 's' },
]

export function leanRows(figures: readonly Figure[]): { what: string; before: string; now: string; target: string; met: string }[] {
  const find = (re: RegExp) => figures.find((f) => re.test(f.figure))?.value
  return ROWS.map((r) => {
    const before = find(r.before)
    const now = find(r.now)
    const target = r.target ?? before
    const met = now === undefined || target === undefined ? '—' : (r.than === '<=' ? now <= target : now >= target) ? 'yes' : 'no'
    const show = (v: number | undefined) => (v === undefined ? '—' : `${v.toLocaleString('en-US')} ${r.unit}`)
    return { what: r.what, before: show(before), now: show(now), target: r.target === null ? 'no more than before' : `${r.than === '<=' ? '≤' : '≥'} ${r.target} ${r.unit}`, met }
  })
}

export function leanTable(figures: readonly Figure[]): string {
  const rows = leanRows(figures)
  const head = { what: 'issue 20: lean and quick', before: 'before', now: 'now', target: 'target', met: 'met' }
  const all = [head, ...rows]
  const w = (k: keyof typeof head) => Math.max(...all.map((r) => r[k].length))
  const line = (r: typeof head) => `${r.what.padEnd(w('what'))}  ${r.before.padStart(w('before'))}  ${r.now.padStart(w('now'))}  ${r.target.padStart(w('target'))}  ${r.met}`
  return [line(head), '-'.repeat(w('what') + w('before') + w('now') + w('target') + 12), ...rows.map(line)].join('\n')
}

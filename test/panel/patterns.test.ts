/**
 * The pattern table: what each state looks like, when each pattern is lit,
 * how the buzzer chooses its pattern, and the frame at a moment. Pure.
 */
import t from 'tap'
import type { PanelSnapshot, Snapshot } from '../../src/core/state.js'
import { BUZZER_PATTERNS, PATTERNS, buzzerLook, frameAt, litAt, nextEdge, nextFrameChange, partLook, summaryLook, systemLook } from '../../src/panel/patterns.js'

const BUZZER = { pin: 6, passive: false, critical: 'steady', major: 'intermittent', minor: 'off' } as const

t.test('a part lamp: green steady = up, amber blinking = degraded, red fast = down, off = unknown', async (t) => {
  t.same(partLook('up'), { color: 'green', pattern: 'steady' })
  t.same(partLook('degraded'), { color: 'amber', pattern: 'blink' })
  t.same(partLook('down'), { color: 'red', pattern: 'fast' })
  t.same(partLook('unknown'), { color: 'off', pattern: 'off' })
  t.same(partLook(undefined), { color: 'off', pattern: 'off' }, 'a part the box does not know')
})

t.test('the system lamp: a heartbeat, and a pattern of its own on a config error', async (t) => {
  t.same(systemLook(false), { color: 'green', pattern: 'heartbeat' })
  t.same(systemLook(true), { color: 'red', pattern: 'error' })
  const patterns = Object.values(PATTERNS).map((p) => JSON.stringify(p))
  t.equal(new Set(patterns).size, patterns.length, 'no two patterns look alike')
})

t.test('the summary lamp shows the worst known part', async (t) => {
  const snap = (states: Record<string, string>) =>
    ({ lines: Object.fromEntries(Object.entries(states).map(([id, state]) => [id, { state }])), modems: {}, uplinks: { u: { state: 'unknown' } } }) as unknown as Snapshot
  t.same(summaryLook(snap({ a: 'up', b: 'up' })), partLook('up'))
  t.same(summaryLook(snap({ a: 'up', b: 'degraded' })), partLook('degraded'))
  t.same(summaryLook(snap({ a: 'down', b: 'degraded' })), partLook('down'))
  t.same(summaryLook(snap({ a: 'unknown' })), partLook('unknown'), 'nothing known yet')
})

/** Lit ms per period, sampled each ms. */
function dutyMs(name: keyof typeof PATTERNS, from = 1_700_000_000_000): number {
  const p = PATTERNS[name]
  let on = 0
  for (let i = 0; i < (p.periodMs || 1000); i++) if (litAt(p, from + i)) on++
  return on
}

t.test('pattern timings', async (t) => {
  t.equal(dutyMs('steady'), 1000, 'steady: always lit')
  t.equal(dutyMs('off'), 0)
  t.equal(PATTERNS.blink.periodMs, 1000)
  t.equal(dutyMs('blink'), 500, 'degraded: 1 Hz, half lit')
  t.equal(PATTERNS.fast.periodMs, 250)
  t.equal(dutyMs('fast'), 125, 'down: 4 Hz')
  t.equal(dutyMs('heartbeat'), 200, 'heartbeat: two 100 ms beats in 2 s')
  t.equal(dutyMs('error'), 450, 'config error: three 150 ms flashes in 2 s')
  // the epoch phase: every lamp with a pattern is lit at the same moments
  t.ok(litAt(PATTERNS.fast, 1_700_000_000_000) && !litAt(PATTERNS.fast, 1_700_000_000_125))
})

t.test('nextEdge is exactly where the pattern changes, for every pattern', async (t) => {
  for (const [name, p] of [...Object.entries(PATTERNS), ...Object.entries(BUZZER_PATTERNS)]) {
    if (!p.periodMs) {
      t.equal(nextEdge(p, 123), Infinity, `${name}: never changes`)
      continue
    }
    let t0 = 1_700_000_000_003
    let changes = 0
    for (let i = 0; i < 6; i++) {
      const e = nextEdge(p, t0)
      t.ok(e > t0, `${name}: the edge is ahead`)
      for (let x = t0; x < e; x += Math.max(1, Math.floor((e - t0) / 7))) if (litAt(p, x) !== litAt(p, t0)) t.fail(`${name}: changed before its edge at ${x - t0} ms`)
      if (litAt(p, e) !== litAt(p, e - 1)) changes++
      t0 = e
    }
    t.equal(changes, 6, `${name}: each edge is a change`)
  }
})

const alerts = (...list: [string, 'critical' | 'major' | 'minor' | 'info'][]) => list.map(([id, severity]) => ({ id, severity }))

t.test('the buzzer by severity, silenced, in quiet hours', async (t) => {
  const look = (a: ReturnType<typeof alerts>, silenced: string[] = [], quietHours = false) => buzzerLook(BUZZER, { alerts: a, silenced: new Set(silenced), quietHours })
  t.same(look([]), { on: false, pattern: 'off', severity: null, muted: false, quiet: false })
  t.same(look(alerts(['a', 'major'])), { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false })
  t.same(look(alerts(['a', 'major'], ['b', 'critical'])), { on: true, pattern: 'steady', severity: 'critical', muted: false, quiet: false }, 'the worst wins')
  t.same(look(alerts(['a', 'minor'], ['i', 'info'])), { on: false, pattern: 'off', severity: null, muted: false, quiet: false }, 'minor and info are silent by default')
  t.same(look(alerts(['a', 'major'], ['b', 'critical']), ['b']), { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false }, 'a silenced critical leaves the major sounding')
  t.same(look(alerts(['a', 'major']), ['a']), { on: false, pattern: 'off', severity: null, muted: true, quiet: false })
  t.same(look(alerts(['a', 'major']), [], true), { on: false, pattern: 'off', severity: null, muted: false, quiet: true })
  t.same(look([], [], true), { on: false, pattern: 'off', severity: null, muted: false, quiet: true }, 'quiet hours are in force with nothing to sound too')
  t.same(buzzerLook({ ...BUZZER, minor: 'chirp' }, { alerts: alerts(['a', 'minor']), silenced: new Set(), quietHours: false }).pattern, 'chirp', 'a severity set to chirp')
  t.same(buzzerLook(undefined, { alerts: alerts(['a', 'critical']), silenced: new Set(), quietHours: false }).on, false, 'no buzzer configured')
})

function panel(patch: Partial<PanelSnapshot> = {}): PanelSnapshot {
  return {
    lamps: [
      { id: 'l1', source: 'line/l1', color: 'red', pattern: 'fast' },
      { id: 'l2', source: 'line/l2', color: 'green', pattern: 'steady' },
    ],
    summary: { color: 'red', pattern: 'fast' },
    buzzer: { on: true, pattern: 'intermittent', severity: 'major', muted: false, quiet: false },
    test: null,
    outputs: {},
    ts: 0,
    ...patch,
  }
}

t.test('frameAt: what every output shows at a moment', async (t) => {
  const t0 = 1_700_000_000_000 // a multiple of every period
  t.same(frameAt(panel(), t0), { lamps: { l1: 'red', l2: 'green' }, summary: 'red', buzzer: true, test: false })
  t.same(frameAt(panel(), t0 + 130), { lamps: { l1: 'off', l2: 'green' }, summary: 'off', buzzer: true, test: false })
  t.same(frameAt(panel(), t0 + 1500).buzzer, false, 'intermittent: 1 s on, 1 s off')
  const test = panel({ test: { since: t0 + 10, until: t0 + 1010 } })
  t.same(frameAt(test, t0 + 20), { lamps: { l1: 'amber', l2: 'amber' }, summary: 'amber', buzzer: true, test: true }, 'lamp test: all lit, a beep')
  t.same(frameAt(test, t0 + 300).buzzer, false, 'the beep is short')
  t.same(frameAt(panel({ test: { since: t0, until: t0 + 1000 }, buzzer: { on: false, pattern: 'off', severity: null, muted: false, quiet: true } }), t0 + 1).buzzer, false, 'no beep in quiet hours')
  t.same(frameAt(test, t0 + 1010).test, false, 'over at its end')
})

t.test('nextFrameChange: the next edge of any lamp, the buzzer or the test; Infinity when all is steady', async (t) => {
  const t0 = 1_700_000_000_000
  t.equal(nextFrameChange(panel(), t0 + 10), t0 + 125)
  const steady = panel({ lamps: [{ id: 'l2', source: 'line/l2', color: 'green', pattern: 'steady' }], summary: { color: 'green', pattern: 'steady' }, buzzer: { on: false, pattern: 'off', severity: null, muted: false, quiet: false } })
  t.equal(nextFrameChange(steady, t0), Infinity)
  t.equal(nextFrameChange({ ...steady, test: { since: t0, until: t0 + 1000 } }, t0 + 5), t0 + 200, 'the end of the beep')
  t.equal(nextFrameChange({ ...steady, test: { since: t0, until: t0 + 1000 } }, t0 + 300), t0 + 1000, 'the end of the test')
})

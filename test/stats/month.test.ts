/**
 * Issue 19's proof: a seeded month at a store (src/sim/month.ts: two carrier
 * lines, two SIMs, ~6,000 calls, faults on three days) played through the whole
 * box on the simulated clock, then every figure the box answers on
 * GET /api/v1/stats compared with a count made here from the plan alone (what
 * happened), by rules written out below, not with the box's code or records.
 *
 * What the box can know shapes a few rules: a routed attempt is reported at its
 * end with its talk time only, so it starts (for the figures) at its answer or
 * its end; ring time is the PBX's (first ring to answer, or to the caller giving
 * up). Line availability is compared within the detection time of each fault
 * (the SIP trunk and the analog pair at once, a SIM's lost network by the next
 * poll), not to the second.
 */
import { spawnSync } from 'node:child_process'
import { chromium } from 'playwright-core'
import t from 'tap'
import { missing } from '../helpers/real.js'
import { MONTH_LINES, MONTH_START, SIM_BUNDLE_MINUTES, planMonth, startMonth, type MonthPlan, type PlannedCall } from '../../src/sim/month.js'

const DAYS = Number(process.env.LINEWATCH_MONTH_DAYS ?? 30)
const HOUR = 3600_000
const DAY = 24 * HOUR
const TARGET_S = 20 // the default service level: 80 % within 20 s

const round = (x: number, d = 1) => Math.round(x * 10 ** d + Number.EPSILON * 10 ** d) / 10 ** d
/** Moscow is UTC+3 all year: the site's day and hour without a time zone library. */
const siteDay = (ms: number) => new Date(ms + 3 * HOUR).toISOString().slice(0, 10)
const siteHour = (ms: number) => new Date(ms + 3 * HOUR).getUTCHours()
const siteHourKey = (ms: number) => new Date(ms + 3 * HOUR).toISOString().slice(0, 13)

/** A call as the figures count it: incoming from its first ring; outgoing from its answer (or end), as reported. */
interface Counted {
  call: PlannedCall
  start: number
  end: number
  outcome: 'answered' | 'missed' | 'abandoned' | 'busy' | 'no-answer'
  ringS: number
  talkS: number
}

function counted(c: PlannedCall): Counted {
  const end = c.at + c.ringMs + c.talkMs
  if (c.direction === 'in') return { call: c, start: c.at, end, outcome: c.answered ? 'answered' : c.queue ? 'abandoned' : 'missed', ringS: c.ringMs / 1000, talkS: c.talkMs / 1000 }
  return { call: c, start: end - c.talkMs, end, outcome: c.outcome!, ringS: 0, talkS: c.talkMs / 1000 }
}

/** The 90th percentile by nearest rank (the smallest value with at least 90 % of the values at or below it). */
function nearestRank90(xs: number[]): number | null {
  if (!xs.length) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.ceil(0.9 * s.length) - 1]!
}
/** A mean of whole milliseconds in seconds to a tenth, rounded half up, exactly: one quotient of integers (216.85 is 216.9). */
const tenths = (ms: number[]) => (ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / (ms.length * 100)) / 10 : null)

function incoming(cs: Counted[]) {
  const inc = cs.filter((c) => c.call.direction === 'in')
  const ans = inc.filter((c) => c.outcome === 'answered')
  const p = nearestRank90(ans.map((c) => c.ringS))
  return {
    offered: inc.length,
    answered: ans.length,
    missed: inc.filter((c) => c.outcome === 'missed').length,
    abandoned: inc.filter((c) => c.outcome === 'abandoned').length,
    unknown: 0, // every line of the month has the PBX or a modem to say whether a call was answered
    serviceLevel: inc.length ? Math.round((1000 * ans.filter((c) => c.ringS <= TARGET_S).length) / inc.length) / 10 : null,
    answerSeconds: { mean: tenths(ans.map((c) => c.call.ringMs)), p90: p === null ? null : round(p) },
    talkSeconds: tenths(ans.map((c) => c.call.talkMs)),
  }
}

/** What a talk of `seconds` costs by the month's decks, priced here by hand: per minute begun, or per second. */
function carrierPrice(number: string, seconds: number): number {
  const rate = number.startsWith('+7495') ? 0.9 : number.startsWith('+79') ? 3.0 : 1.5
  return seconds > 0 ? rate * Math.ceil(seconds / 60) : 0
}
function simPrice(number: string, seconds: number): number {
  if (seconds <= 0) return 0
  return number.startsWith('+79') ? (1.8 * seconds) / 60 : 2.5 * Math.ceil(seconds / 60)
}

/**
 * Each outgoing call's cost: a SIM's mobile calls come out of its 300 free minutes first, in the order
 * the calls end, a started minute at a time (docs/routing.md: as operators count them); what the bundle
 * no longer covers is paid by the second.
 */
function costs(plan: MonthPlan): { calls: Map<string, { cost: number; bundleS: number; baseline: number }>; left: Map<string, number> } {
  const left = new Map<string, number>([['gsm1', SIM_BUNDLE_MINUTES * 60], ['gsm2', SIM_BUNDLE_MINUTES * 60]])
  const out = new Map<string, { cost: number; bundleS: number; baseline: number }>()
  const byEnd = plan.calls.filter((c) => c.direction === 'out').sort((a, b) => a.at + a.ringMs + a.talkMs - (b.at + b.ringMs + b.talkMs))
  for (const c of byEnd) {
    const s = c.talkMs / 1000
    let cost: number
    let bundleS = 0
    if (c.line.startsWith('gsm')) {
      if (c.number.startsWith('+79')) {
        const take = Math.min(Math.ceil(s / 60) * 60, left.get(c.line)!)
        left.set(c.line, left.get(c.line)! - take)
        bundleS = Math.min(s, take)
      }
      cost = simPrice(c.number, s - bundleS)
    } else cost = carrierPrice(c.number, s)
    out.set(c.id, { cost, bundleS, baseline: carrierPrice(c.number, s) })
  }
  return { calls: out, left }
}

function outgoing(cs: Counted[], price: Map<string, { cost: number }>) {
  const out = cs.filter((c) => c.call.direction === 'out')
  const ans = out.filter((c) => c.outcome === 'answered')
  return {
    attempts: out.length,
    answered: ans.length,
    asr: out.length ? Math.round((1000 * ans.length) / out.length) / 10 : null,
    acd: tenths(ans.map((c) => c.call.talkMs)),
    minutes: Math.round(ans.reduce((s, c) => s + c.call.talkMs, 0) / 6000) / 10,
    cost: round(out.reduce((s, c) => s + price.get(c.call.id)!.cost, 0), 2),
  }
}

/** Erlang B by its recurrence: B(E,0) = 1, B(E,m) = E·B(E,m−1) / (m + E·B(E,m−1)). */
function erlangB(e: number, m: number): number {
  let b = 1
  for (let k = 1; k <= m; k++) b = (e * b) / (k + e * b)
  return b
}

// a month is a few minutes of simulated work; tap's 120 s per file would stop it
t.setTimeout(20 * 60_000)

t.test(`a seeded month at a store (${DAYS} days) through the whole box: every figure as counted from the calls`, async (t) => {
  const plan = planMonth(19, DAYS)
  const started = Date.now()
  const month = await startMonth(plan)
  t.teardown(() => month.stop())
  const { calls: price, left } = costs(plan)
  // a minute before the month ends: the bundles' minutes used and left in November (at midnight a new period starts)
  await month.playTo(MONTH_START + DAYS * DAY - 60_000)
  const bundles = ((await (await fetch(`${month.url}/api/v1/stats`)).json()) as { money: { bundles: { path: string }[] } }).money.bundles
  for (const sim of ['gsm1', 'gsm2']) {
    const leftMin = left.get(sim)! / 60
    t.match(bundles.find((b) => b.path === sim), { plan: 'sims', bundle: 'mobile', minutes: SIM_BUNDLE_MINUTES, usedMinutes: round(SIM_BUNDLE_MINUTES - leftMin), leftMinutes: round(leftMin) }, `${sim}: the bundle's minutes used and left`)
  }
  await month.playTo(MONTH_START + DAYS * DAY)
  t.comment(`${plan.calls.length} calls, ${plan.refused.length} refused, ${plan.faults.length} faults, played in ${((Date.now() - started) / 1000).toFixed(0)} s (${month.steps} steps)`)
  if (DAYS === 30) t.ok(plan.calls.length >= 5500 && plan.calls.length <= 7000, `about 6,000 calls (${plan.calls.length})`)

  const lastDay = siteDay(MONTH_START + DAYS * DAY - 1)
  const res = await fetch(`${month.url}/api/v1/stats?from=2026-11-01&to=${lastDay}&by=day`)
  t.equal(res.status, 200)
  const f = (await res.json()) as any
  const all = plan.calls.map(counted)

  // ---- per line and for the store, per day and in total ----
  const lines = ['*', ...MONTH_LINES.map((l) => l.id).sort()]
  t.same(f.lines.map((l: { line: string }) => l.line), lines, 'every line and the store')
  for (const line of lines) {
    const mine = all.filter((c) => line === '*' || c.call.line === line)
    const got = f.lines.find((l: { line: string }) => l.line === line)
    t.same(got.total, { bucket: 'total', incoming: incoming(mine), outgoing: outgoing(mine, price) }, `${line}: the month`)
    const days = [...new Set(mine.map((c) => siteDay(c.start)))].sort()
    t.same(got.buckets.map((b: { bucket: string }) => b.bucket), days, `${line}: a bucket for each day with calls`)
    let wrong = 0
    for (const day of days) {
      const those = mine.filter((c) => siteDay(c.start) === day)
      const b = got.buckets.find((x: { bucket: string }) => x.bucket === day)
      const want = { bucket: day, incoming: incoming(those), outgoing: outgoing(those, price) }
      if (JSON.stringify(b) !== JSON.stringify(want)) {
        wrong++
        if (wrong <= 3) t.same(b, want, `${line} ${day}`)
      }
    }
    t.equal(wrong, 0, `${line}: all ${days.length} days agree`)
    const byHour = new Array<number>(24).fill(0)
    for (const c of mine) if (c.call.direction === 'in') byHour[siteHour(c.start)]!++
    const top = Math.max(...byHour)
    t.same(got.busiestHour, top ? { hour: byHour.indexOf(top), offered: top } : null, `${line}: the busiest hour`)
  }

  // ---- the same figures as CSV, for a spreadsheet ----
  const csv = await fetch(`${month.url}/api/v1/stats?from=2026-11-01&to=${lastDay}&by=day&format=csv`)
  t.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8')
  const table = (await csv.text()).trim().split('\r\n').map((l) => l.split(','))
  t.same(table[0]!.slice(0, 8), ['line', 'bucket', 'offered', 'answered', 'missed', 'abandoned', 'unknown', 'serviceLevel'])
  t.equal(table.length - 1, f.lines.reduce((n: number, l: { buckets: unknown[] }) => n + l.buckets.length + 1, 0), 'a row per line and day, and each line\'s total')
  const store = incoming(all)
  t.same(table.find((r) => r[0] === '*' && r[1] === 'total')!.slice(2, 8), [store.offered, store.answered, store.missed, store.abandoned, 0, store.serviceLevel].map(String), "the store's month in the CSV")

  // ---- paths and money ----
  const paths = [...new Set(all.filter((c) => c.call.direction === 'out').map((c) => c.call.line))].sort()
  t.same(
    f.paths,
    paths.map((p) => ({ path: p, currency: 'RUB', ...outgoing(all.filter((c) => c.call.direction === 'out' && c.call.line === p), price) })),
    'per path: attempts, ASR, ACD, minutes, cost',
  )
  const outs = plan.calls.filter((c) => c.direction === 'out')
  const answeredOut = outs.filter((c) => c.answered)
  const baseline = answeredOut.reduce((s, c) => s + price.get(c.id)!.baseline, 0)
  const cost = outs.reduce((s, c) => s + price.get(c.id)!.cost, 0)
  t.match(f.money, {
    currency: 'RUB',
    cost: round(cost, 2),
    baselinePath: 'line1',
    baselineCost: round(baseline, 2),
    saving: round(baseline - cost, 2),
    unpriced: 0,
    paths: paths.map((p) => {
      const mine = outs.filter((c) => c.line === p)
      return { path: p, cost: round(mine.reduce((s, c) => s + price.get(c.id)!.cost, 0), 2), minutes: round(mine.reduce((s, c) => s + c.talkMs, 0) / 60_000), bundleMinutes: round(mine.reduce((s, c) => s + price.get(c.id)!.bundleS, 0) / 60) }
    }),
  }, 'money: cost per path, bundle minutes, and the saving against sending every call on the carrier trunk')
  t.ok(f.money.saving > 0, `routing saved ${f.money.saving} RUB`)
  if (DAYS === 30) t.match(f.money.bundles, [{ usedMinutes: 0, leftMinutes: SIM_BUNDLE_MINUTES }, { usedMinutes: 0, leftMinutes: SIM_BUNDLE_MINUTES }], "at midnight December's minutes start: all left")

  // ---- missed calls and their follow-up ----
  const missed = all.filter((c) => c.call.direction === 'in' && c.outcome !== 'answered')
  const now = MONTH_START + DAYS * DAY
  const followUps = missed.map((m) => {
    // the store's first call to that number after the missed one started, or the caller's next answered call
    const next = all
      .filter((c) => c.call.number === m.call.number && c.start > m.start && ((c.call.direction === 'out') || (c.call.direction === 'in' && c.outcome === 'answered')))
      .sort((a, b) => a.start - b.start)[0]
    return { id: m.call.id, next, waiting: Math.max(0, Math.round(((next?.start ?? now) - m.end) / 1000)) }
  })
  t.equal(f.missed.calls.length, missed.length, `${missed.length} missed and abandoned calls`)
  t.equal(f.missed.open, followUps.filter((x) => !x.next).length, 'not called back (open)')
  const within = followUps.filter((x) => x.next && x.waiting <= 15 * 60).length
  t.equal(f.missed.followedUpWithin15Minutes, missed.length ? Math.round((1000 * within) / missed.length) / 10 : null, 'the share followed up within 15 minutes')
  // a PBX's record carries the PBX's id; a SIM's carries the modem's, and is found by its line and first
  // ring (a SIM has one channel: one call at a time)
  const plannedAt = new Map(plan.calls.filter((c) => c.line.startsWith('gsm')).map((c) => [`${c.line}|${c.at}`, c.id]))
  const plannedId = (m: { id: string; line: string; at: number }) => (m.id.startsWith(`pbx-${m.line}-`) ? m.id.slice(`pbx-${m.line}-`.length) : plannedAt.get(`${m.line}|${m.at}`))
  const got = new Map<string | undefined, { followedUp: { how: string } | null; waitingSeconds: number; outcome: string }>(f.missed.calls.map((m: { id: string; line: string; at: number }) => [plannedId(m), m]))
  let differ = 0
  for (const x of followUps) {
    const g = got.get(x.id)
    const how = x.next ? (x.next.call.direction === 'out' ? 'called-back' : 'answered-again') : null
    if (!g || (g.followedUp?.how ?? null) !== how || g.waitingSeconds !== x.waiting) {
      if (differ++ < 3) t.fail(`missed call ${x.id}: box ${JSON.stringify(g)}, count ${how} after ${x.waiting} s`)
    }
  }
  t.equal(differ, 0, 'each missed call: its follow-up and waiting time')
  t.ok(followUps.some((x) => x.next?.call.direction === 'in'), 'some callers rang again and were answered')

  // ---- capacity ----
  for (const l of MONTH_LINES) {
    const mine = all.filter((c) => c.call.line === l.id && c.end > c.start)
    const edges = mine.flatMap((c) => [[c.start, 1], [c.end, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let on = 0
    let peak = 0
    for (const [, d] of edges) peak = Math.max(peak, (on += d))
    const held = new Map<string, number>()
    for (const c of mine) {
      for (let s = c.start; s < c.end; s = Math.min(c.end, Math.floor(s / HOUR) * HOUR + HOUR)) {
        const to = Math.min(c.end, Math.floor(s / HOUR) * HOUR + HOUR)
        held.set(siteHourKey(s), (held.get(siteHourKey(s)) ?? 0) + (to - s) / 1000)
      }
    }
    const [hourKey, seconds] = [...held].reduce((b, h) => (h[1] > b[1] ? h : b))
    const e = seconds / 3600
    let need = 1
    while (erlangB(e, need) > 0.01) need++
    const cap = f.capacity.find((c: { line: string }) => c.line === l.id)
    t.match(cap, { channels: l.channels, peak: { calls: peak }, busiestHour: { erlangs: round(e, 2) }, blockingPercent: round(100 * erlangB(e, l.channels), 2), channelsFor1Percent: need, blocked: plan.refused.filter((r) => r.line === l.id).length }, `${l.id}: capacity`)
    t.equal(cap.busiestHour.bucket.slice(0, 13).replace(' ', 'T'), hourKey, `${l.id}: the busiest hour by traffic`)
    t.ok(peak <= l.channels, `${l.id}: never more calls at once than channels (${peak} of ${l.channels})`)
  }
  t.ok(plan.refused.length > 0, `calls refused with every channel busy (${plan.refused.length})`)

  // ---- availability: each fault is an outage of its line, within the time the box needs to see it ----
  for (const l of MONTH_LINES) {
    const a = f.availability.find((x: { line: string }) => x.line === l.id)
    const faults = plan.faults.filter((x) => x.line === l.id)
    t.equal(a.outages.length, faults.length, `${l.id}: ${faults.length} outage(s)`)
    const detect = l.id.startsWith('gsm') ? 2 * 60_000 : 5_000
    faults.forEach((fault, i) => {
      const o = a.outages[i]
      t.ok(o.from >= fault.from && o.from <= fault.from + detect, `${l.id}: down from ${new Date(fault.from).toISOString()} (+${(o.from - fault.from) / 1000} s)`)
      t.ok(o.to >= fault.to && o.to <= fault.to + detect, `${l.id}: up again at ${new Date(fault.to).toISOString()} (+${(o.to - fault.to) / 1000} s)`)
    })
    for (const d of a.days) {
      const down = faults.filter((x) => siteDay(x.from) === d.day).reduce((s, x) => s + (x.to - x.from) / 60_000, 0)
      t.ok(Math.abs(d.down - down) <= detect / 60_000, `${l.id} ${d.day}: ${d.down} min down, ${down} planned`) 
      t.equal(round(d.up + d.degraded + d.down + d.unknown), 1440, `${l.id} ${d.day}: every minute of the day in one state`)
      if (!faults.some((x) => siteDay(x.from) === d.day)) t.equal(d.up, 1440, `${l.id} ${d.day}: up all day`)
    }
  }

  // ---- the records: one per call, both halves of a SIM's call in one ----
  const records = (await (await fetch(`${month.url}/api/v1/stats/calls?from=2026-11-01&to=${lastDay}`)).json()) as { calls: { line: string; direction: string; sources: string[] }[] }
  t.equal(records.calls.length, plan.calls.length, 'one record per call')
  const simIn = records.calls.filter((r) => r.direction === 'in' && r.line.startsWith('gsm'))
  t.ok(simIn.length > 0 && simIn.every((r) => r.sources.includes('modem') && r.sources.includes('pbx')), `the SIMs' incoming calls: the modem's and the PBX's view, one record each (${simIn.length})`)
  t.equal(f.testCalls, 0)

  // ---- the month's page, in chromium: what the manager reads is what was counted ----
  t.test('/stats/month in headless chromium', { skip: missing('chromium') }, async (t) => {
    const browser = await chromium.launch({ executablePath: spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] })
    t.teardown(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } }) // a phone
    const errors: string[] = []
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${month.url}/stats/month?month=2026-11`)
    await page.locator('#capacity tbody tr').first().waitFor({ timeout: 15_000 })
    for (const chart of ['#days-chart', '#avail-chart']) {
      const b = await page.locator(`${chart} canvas`).first().boundingBox()
      t.ok(b && b.width > 100 && b.height > 50, `${chart} drew (${b?.width}×${b?.height})`)
    }
    t.equal(await page.locator('#lines-table tbody tr').count(), MONTH_LINES.length, 'a row per line')
    t.equal(await page.locator('#outages tbody tr').count(), plan.faults.length, 'an outage per fault')
    if (plan.faults.length) t.match(await page.locator('#outages tbody').textContent(), /Nov 9, 10:0\d/, 'outages in site time (the trunk lost at 10:00 Moscow), whatever the browser\'s zone')
    for (const p of f.money.paths as { path: string }[]) t.ok(await page.locator(`#paths tr[data-path="${p.path}"] td`).last().isVisible(), `${p.path}: its cost is shown on a phone`)
    t.match(await page.locator('#money').textContent(), new RegExp(`${f.money.saving.toFixed(2).replace('.', '\\.')} RUB`), `the saving shown (${f.money.saving} RUB)`)
    for (const p of f.money.paths as { path: string; cost: number }[]) t.match(await page.locator(`#paths tr[data-path="${p.path}"]`).textContent(), p.cost.toFixed(2), `${p.path}: its cost`)
    t.equal(await page.locator('#bundles tbody tr').count(), 2, "each SIM's bundle")
    for (const c of f.capacity as { line: string; channels: number; channelsFor1Percent: number }[]) {
      const text = await page.locator(`#capacity tr[data-line="${c.line}"]`).textContent()
      const want = c.channelsFor1Percent > c.channels ? `add ${c.channelsFor1Percent - c.channels}` : c.channelsFor1Percent < c.channels ? `${c.channelsFor1Percent} would do` : 'right for'
      t.match(text, want, `${c.line}: the Erlang advice (${want})`)
    }
    await page.screenshot({ path: '/tmp/linewatch-month.png', fullPage: true })
    t.same(errors, [], 'no console error')
  })
})

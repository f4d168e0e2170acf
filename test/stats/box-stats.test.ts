/**
 * The call records and figures of the whole demo box (simulated modems
 * speaking AT bytes): a call that rings and is not answered is a missed call
 * with the caller in E.164; the box's own test call is recorded, marked and
 * left out of the figures; a routed attempt the PBX reports and the modem call
 * that carried it are one record with the path and price; the HTTP answers,
 * the CSV export, and clear refusals for junk.
 */
import t from 'tap'
import { runDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'

interface Figures {
  lines: { line: string; total: { incoming: { offered: number; missed: number; answered: number }; outgoing: { attempts: number } } }[]
  paths: { path: string; attempts: number; cost: number }[]
  missed: { open: number; calls: { caller: string; followedUp: unknown }[] }
  testCalls: number
  availability: { line: string; days: { up: number }[]; outages: unknown[] }[]
}

t.test('the demo box records its calls and answers for them', async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const { box } = demo
  const url = box.httpUrl
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up' && box.store.get('line', 'gsm2')?.state === 'up', 20_000, 'the demo lines up')
  const get = async (path: string) => fetch(`${url}${path}`)
  const figures = async () => (await (await get('/api/v1/stats')).json()) as Figures

  // a caller rings gsm1 and gives up
  box.simulator!.modems.get('gsm1')!.ring('+79161112233', { times: 2, intervalMs: 3000 })
  await waitFor(() => box.store.get('modem', 'gsm1')?.lastCall?.outcome === 'missed', 20_000, 'the ring ends unanswered')
  let f = await figures()
  const gsm1 = f.lines.find((l) => l.line === 'gsm1')!
  t.match(gsm1.total.incoming, { offered: 1, missed: 1, answered: 0 }, 'a missed call on gsm1')
  t.same(f.missed.calls.map((m) => m.caller), ['+79161112233'], 'in E.164, waiting to be called back')
  t.equal(f.missed.open, 1)
  t.ok(f.availability.find((a) => a.line === 'gsm1')!.days[0]!.up > 0, 'gsm1 has been up some minutes today')

  // the store calls back from gsm2 (the simulated network lets it ring out), and the PBX reports the routed attempt
  const back = box.modems.find((m) => m.id === 'gsm2')!.dial('+79161112233', { ringSeconds: 3, talkSeconds: 0 })
  await back.catch(() => {})
  const report = await fetch(`${url}/api/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'gsm2', to: '89161112233', outcome: 'no-answer', id: 'cb1' }) })
  t.equal(report.status, 202)
  f = await figures()
  t.equal(f.missed.open, 0, 'the call back closes the missed call')
  t.ok(f.missed.calls[0]!.followedUp, 'with its follow-up')
  const records = (await (await get('/api/v1/stats/calls')).json()) as { calls: { direction: string; path: string | null; sources: string[]; called: string }[] }
  const out = records.calls.filter((c) => c.direction === 'out')
  t.equal(out.length, 1, 'the modem call and the routed report are one record')
  t.match(out[0], { path: 'gsm2', called: '+79161112233' })
  t.same(out[0]!.sources.sort(), ['modem', 'routing'])

  // a test call from gsm2 to gsm1: recorded, marked, and not a customer's call
  const before = f.lines.find((l) => l.line === 'gsm1')!.total.incoming.offered
  const result = await box.testCalls.run('gsm1')
  t.ok(result.ok, `the test call rang (${result.detail})`)
  await waitFor(() => box.store.get('modem', 'gsm1')?.call === null && box.store.get('modem', 'gsm2')?.call === null, 20_000, 'both modems free')
  await new Promise((r) => setTimeout(r, 500))
  f = await figures()
  t.equal(f.lines.find((l) => l.line === 'gsm1')!.total.incoming.offered, before, 'the test call is not offered traffic')
  t.ok(f.testCalls >= 1, `kept as test calls (${f.testCalls})`)

  // CSV for a spreadsheet, and junk refused plainly
  const csv = await get('/api/v1/stats/calls?format=csv')
  t.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8')
  const lines = (await csv.text()).trim().split('\r\n')
  t.equal(lines[0], 'id,line,direction,caller,called,started,answered,ended,ringSeconds,talkSeconds,outcome,path,cost,currency,test')
  t.ok(lines.some((l) => l.includes(',+79161112233,') && l.includes(',missed,')), 'the missed call in the CSV')
  for (const [q, message] of [
    ['from=2016-01-01&to=2026-12-31', /at most 400 days/],
    ['from=2025-01-01&to=2026-02-05', /at most 400 days/], // 401 days, both included
    ['to=2000-01-01', /^"to" \(2000-01-01\) is before "from" \(\d{4}-\d\d-\d\d, today: the default\)$/],
    ['from=2026-02-30', /not a day of the calendar/],
    ['from=2026-12-10&to=2026-12-01', /before/],
    ['line=nope', /no line "nope"/],
  ] as const) {
    const r = await get(`/api/v1/stats?${q}`)
    t.equal(r.status, 400, q)
    t.match(((await r.json()) as { message: string }).message, message)
  }
  t.equal((await get('/api/v1/stats?from=2025-01-01&to=2026-02-04')).status, 200, '400 days, both included')
  t.equal((await get('/api/v1/stats?by=decade')).status, 400, 'an unknown period')
})

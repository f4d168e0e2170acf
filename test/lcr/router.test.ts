import t from 'tap'
import type { LineConfig, RoutingConfig } from '../../src/config/schema.js'
import { parseDeck } from '../../src/lcr/deck.js'
import { PrefixIndex } from '../../src/lcr/prefix-index.js'
import { LcrRouter, type RouteAnswer } from '../../src/lcr/router.js'
import type { BundleCounts } from '../../src/lcr/bundles.js'
import { initialLine } from '../../src/lines/monitor.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

const CARRIER = `Code,Rate,Increments,Connection fee,Band
7495,0.90,60/60,0,
7495,0.60,60/60,0,offpeak
7,1.50,60/60,0,
79,2.20,60/60,0,
49,12.00,60/60,1.00,
`
const SIMS = `prefix;rate;increment;minimum
79;1,80;1/1;0,50
7;2,50;60/60;0
`
const lines: LineConfig[] = [
  { ...LINE_DEFAULTS, id: 'sip1', kind: 'sip', numbers: ['+74951110000', '+74951110009'], channels: 10 },
  { ...LINE_DEFAULTS, id: 'pots1', kind: 'analog', numbers: ['+74951110003'], channels: 1 },
  { ...LINE_DEFAULTS, id: 'gsm1', kind: 'gsm', numbers: ['+79031110001'], channels: 1, modem: 'gsm1' },
]

function rig(patch: Partial<RoutingConfig> = {}, at = Date.parse('2026-11-24T10:00:00Z'), deckPatch: Record<string, PrefixIndex | null> = {}) {
  const { store, clock } = testStore()
  clock.advance(at - clock.now())
  for (const l of lines) {
    store.init('line', initialLine(l, clock.now()))
    store.update('line', l.id, { state: 'up', routable: true })
  }
  const config: RoutingConfig = {
    callerIds: [],
    expectedSeconds: 60,
    breaker: { faults: 3, openSeconds: 300 },
    qualityCalls: 50,
    plans: [
      { id: 'carrier', currency: 'RUB', deck: { file: 'c.csv' }, bands: [{ name: 'offpeak', days: ['sat', 'sun'], from: '00:00', to: '24:00' }], bundles: [] },
      { id: 'sims', currency: 'RUB', deck: { file: 's.csv' }, bands: [], bundles: [{ id: 'mob', minutes: 3, prefixes: ['79'], unlimited: false, per: 'month', resetDay: 1, shared: false }] },
    ],
    paths: [
      { id: 'sip1', line: 'sip1', dial: 'PJSIP/{e164}@carrier', plan: 'carrier' },
      { id: 'pots1', line: 'pots1', dial: 'DAHDI/g1/{national}', plan: 'carrier' },
      { id: 'gsm1', line: 'gsm1', dial: 'Dongle/gsm1/{digits}', plan: 'sims' },
    ],
    ...patch,
  }
  const decks: Record<string, PrefixIndex | null> = { carrier: new PrefixIndex(parseDeck(CARRIER).rows), sims: new PrefixIndex(parseDeck(SIMS).rows), ...deckPatch }
  const counts: BundleCounts = {}
  let saves = 0
  const router = new LcrRouter({
    config,
    numbering: { countryCode: '7', nationalPrefix: '8', internationalPrefix: '810', areaCode: '495', localDigits: 7 },
    lines,
    store,
    clock,
    timeZone: 'Europe/Moscow',
    deck: (p) => decks[p] ?? null,
    counts,
    changed: () => saves++,
  })
  return { router, store, clock, counts, saves: () => saves }
}

const ok = (a: RouteAnswer) => {
  if (!a.ok) throw new Error(`refused: ${a.reason}`)
  return a
}
const order = (a: RouteAnswer) => ok(a).paths.map((p) => p.path)

t.test('cheapest first, with the dial string, caller ID, rate and bundle', async (t) => {
  const { router } = rig()
  const a = ok(router.route('89161234567'))
  t.equal(a.e164, '+79161234567')
  t.same(order(a), ['gsm1', 'sip1', 'pots1'], 'the SIM\'s bundle covers a mobile call: free; then the carrier by ASR and use')
  t.match(a.paths[0], { cost: 0, bundle: 'mob', dial: 'Dongle/gsm1/79161234567', callerId: '+79031110001', prefix: '79', ratePerMinute: 1.8 })
  t.match(a.paths[1], { cost: 2.2, bundle: null, dial: 'PJSIP/+79161234567@carrier', callerId: '+74951110000', currency: 'RUB' })
  t.match(a.paths[2], { dial: 'DAHDI/g1/89161234567' })
  const local = ok(router.route('1234567'))
  t.same(local.paths.map((p) => [p.path, p.cost, p.prefix]), [['sip1', 0.9, '7495'], ['pots1', 0.9, '7495'], ['gsm1', 2.5, '7']], 'a local call: the carrier\'s Moscow rate beats the SIM')
  t.same(ok(router.route('+493012345')).excluded, [{ path: 'gsm1', reason: 'no rate for +493012345 in plan "sims"' }])
  t.match(ok(router.route('+493012345')).paths[0], { cost: 13, prefix: '49' }, 'a connection fee is priced in')
})

t.test('a time band: the weekend rate', async (t) => {
  const { router } = rig({}, Date.parse('2026-11-28T10:00:00Z'))
  t.match(ok(router.route('1234567')).paths[0], { cost: 0.6, band: 'offpeak' })
})

t.test('each exclusion, with its reason', async (t) => {
  const { router, store } = rig({ callerIds: ['+74951110000'] })
  store.update('line', 'pots1', { state: 'down', routable: false, reason: 'line voltage gone' })
  const a = ok(router.route('84951234567'))
  t.same(a.paths.map((p) => p.path), ['sip1'])
  t.same(a.excluded, [
    { path: 'pots1', reason: 'down: line voltage gone' },
    { path: 'gsm1', reason: 'cannot show the store\'s number (it shows +79031110001)' },
  ])
  store.update('line', 'sip1', { channelUse: { ...store.get('line', 'sip1')!.channelUse, busy: 10 } })
  t.same(ok(router.route('84951234567')).excluded[0], { path: 'sip1', reason: 'full: 10 of 10 channels busy' })
})

t.test('a plan whose deck could not be loaded: its paths are left out, saying so', async (t) => {
  const { router } = rig({}, undefined, { sims: null })
  t.match(ok(router.route('89161234567')).excluded, [{ path: 'gsm1', reason: 'no rate deck loaded for plan "sims"' }])
})

t.test('faults in a row break a path; busy and no answer do not; it is tried again later and comes back', async (t) => {
  const { router, clock } = rig()
  for (let i = 0; i < 5; i++) t.equal(router.report({ path: 'sip1', to: '84951234567', outcome: i % 2 ? 'busy' : 'no-answer' }), null)
  t.same(order(router.route('84951234567')).includes('sip1'), true, 'busy and no answer: the path stays')
  for (let i = 0; i < 3; i++) router.report({ path: 'sip1', to: '84951234567', outcome: 'failed', cause: '503' })
  const broken = ok(router.route('84951234567'))
  t.notOk(broken.paths.some((p) => p.path === 'sip1'), 'three 503s in a row: left out')
  t.match(broken.excluded, [{ path: 'sip1', reason: /^circuit-broken after 3 path faults; tried again from / }])
  clock.advance(300_000)
  t.ok(order(router.route('84951234567')).includes('sip1'), 'after the open time: offered again (half-open)')
  t.match(ok(router.route('84951234567')).excluded, [{ path: 'sip1', reason: 'circuit-broken: one trial call is under way' }], 'one trial at a time')
  router.report({ path: 'sip1', to: '84951234567', outcome: 'answered', seconds: 30 })
  t.ok(order(router.route('84951234567')).includes('sip1'), 'an answer closes it')
  t.ok(order(router.route('84951234567')).includes('sip1'), 'and it stays offered to every call')
  t.match(router.status().paths.find((p) => p.id === 'sip1'), { breaker: { state: 'closed' }, uses: 9 })
})

t.test('at the same price: better answer-seizure ratio first, then the less used', async (t) => {
  const { router } = rig()
  for (let i = 0; i < 6; i++) router.report({ path: 'sip1', to: '84951234567', outcome: 'failed', cause: i % 2 ? '486' : 'BUSY' })
  for (let i = 0; i < 6; i++) router.report({ path: 'pots1', to: '84951234567', outcome: 'answered', seconds: 10 })
  t.same(order(router.route('84951234567')).slice(0, 2), ['pots1', 'sip1'], 'pots1 answers, sip1 does not')
})

t.test('the expected duration is learnt per destination; bundle minutes are counted and kept', async (t) => {
  const { router, counts, saves } = rig()
  t.equal(router.expectedSeconds('79161234567'), 60)
  for (const s of [100, 200, 300]) router.report({ path: 'gsm1', to: '+79161234567', outcome: 'answered', seconds: s })
  t.equal(router.expectedSeconds('79161234567'), 200, 'the average of the answered calls')
  t.equal(router.expectedSeconds('74951234567'), 60, 'another destination: the default')
  t.ok(saves() >= 1, 'the counts were saved')
  t.equal(Object.values(counts)[0]?.seconds, 180, 'counted by the started minute, up to the bundle\'s 3 minutes')
  const a = ok(router.route('89161234567'))
  t.equal(a.expectedSeconds, 200)
  t.match(a.paths.find((p) => p.path === 'gsm1'), { bundle: null, cost: 6 }, 'the bundle is used up: the SIM\'s per-second rate for 200 s')
})

t.test('a number that cannot be normalised, and a report about an unknown path', async (t) => {
  const { router } = rig()
  t.match(router.route('112'), { ok: false, reason: /short number/ })
  t.match(router.report({ path: 'nope', to: '84951234567', outcome: 'answered' }), /no path "nope"/)
  t.match(router.report({ path: 'sip1', to: 'x', outcome: 'answered' }), /not a phone number/)
})

t.test('a look (peek) leaves a half-open path\'s trial for a real call; a report sent twice with its id counts once', async (t) => {
  const { router, clock } = rig()
  for (let i = 0; i < 3; i++) router.report({ path: 'sip1', to: '84951234567', outcome: 'failed', cause: 'CONGESTION' })
  clock.advance(300_000)
  t.ok(order(router.route('84951234567', true)).includes('sip1'), 'a look sees it offered')
  t.ok(order(router.route('84951234567', true)).includes('sip1'), 'and again: the look took no trial')
  t.ok(order(router.route('84951234567')).includes('sip1'), 'a real call takes the trial')
  t.notOk(order(router.route('84951234567')).includes('sip1'), 'the next one waits for its report')
  const once = rig()
  for (let i = 0; i < 3; i++) once.router.report({ id: 'a1', path: 'sip1', to: '84951234567', outcome: 'failed', cause: '503' })
  t.ok(order(once.router.route('84951234567')).includes('sip1'), 'one fault, not three: the same report retried')
  t.equal(once.router.status().paths.find((p) => p.id === 'sip1')?.uses, 1)
})

import t from 'tap'
import { countCall, coveringBundle, migrateCounts, periodOf, poolKey, pools, secondsLeft, type Bundle, type BundleCounts } from '../../src/lcr/bundles.js'
import type { PlanConfig } from '../../src/config/schema.js'

const TZ = 'Europe/Moscow'
const at = (iso: string) => Date.parse(iso)
const bundle = (b: Partial<Bundle> & { id: string }): Bundle => ({ unlimited: false, per: 'month', resetDay: 1, prefixes: [], shared: false, ...b })
const plan = (bundles: Bundle[]): PlanConfig => ({ id: 'sim1', currency: 'RUB', deck: { file: 'x.csv' }, bands: [], bundles })

t.test('periods in site time, from the reset day', async (t) => {
  const monthly = bundle({ id: 'm', resetDay: 15 })
  t.equal(periodOf(monthly, at('2026-11-14T20:59:00Z'), TZ), '2026-10', '23:59 on the 14th in Moscow: still the October period')
  t.equal(periodOf(monthly, at('2026-11-14T21:00:00Z'), TZ), '2026-11', '00:00 on the 15th in Moscow: the new period')
  t.equal(periodOf(monthly, at('2026-01-03T12:00:00Z'), TZ), '2025-12', 'early January belongs to December\'s period')
  t.equal(periodOf(bundle({ id: 'd', per: 'day' }), at('2026-11-23T21:30:00Z'), TZ), '2026-11-24', 'a daily bundle by the local date')
})

t.test('a simulated month: minutes counted by the started minute, used up, reset on the reset day', async (t) => {
  const p = plan([bundle({ id: 'mobile', minutes: 100, prefixes: ['79'] }), bundle({ id: 'all', minutes: 10 })])
  const counts: BundleCounts = {}
  let now = at('2026-11-01T09:00:00Z')
  // 99 calls of 61 s to mobiles: 2 minutes each by the started minute
  let counted = 0
  for (let i = 0; i < 60; i++) {
    const b = countCall(p, 'path1', '79161234567', 61, counts, now, TZ)
    if (b?.bundle.id === 'mobile') counted++
    now += 3_600_000
  }
  t.equal(counted, 50, '100 minutes at 2 minutes a call: 50 calls from the mobile bundle')
  t.equal(secondsLeft(poolKey('sim1', p.bundles[0]!, 'path1'), p.bundles[0]!, counts, now, TZ), 0)
  t.equal(secondsLeft(poolKey('sim1', p.bundles[1]!, 'path1'), p.bundles[1]!, counts, now, TZ), 0, 'the rest went to the bundle for every destination (10 min: 5 calls)')
  t.equal(countCall(p, 'path1', '79161234567', 61, counts, now, TZ), null, 'both used up: no bundle')
  t.equal(countCall(p, 'path1', '4930123456', 0, counts, now, TZ), null, 'an unanswered call uses nothing')
  t.equal(coveringBundle(p, 'path1', '79161234567', 60, counts, now, TZ), null, 'nothing covers a call now')
  const december = at('2026-12-01T06:00:00Z')
  t.same(coveringBundle(p, 'path1', '79161234567', 60, counts, december, TZ)?.bundle.id, 'mobile', 'a new month: the minutes are back')
  t.equal(secondsLeft(poolKey('sim1', p.bundles[0]!, 'path1'), p.bundles[0]!, counts, december, TZ), 6000)
})

t.test('a bundle covers a call only with the expected minutes left; prefixes; unlimited with a fair-use cap', async (t) => {
  const p = plan([bundle({ id: 'ten', minutes: 1, prefixes: ['7495'] }), bundle({ id: 'flat', unlimited: true, prefixes: ['7'], fairUseMinutes: 2 })])
  const counts: BundleCounts = {}
  const now = at('2026-11-10T10:00:00Z')
  t.equal(coveringBundle(p, 'path1', '74951234567', 60, counts, now, TZ)?.bundle.id, 'ten')
  t.equal(coveringBundle(p, 'path1', '74951234567', 61, counts, now, TZ)?.bundle.id, 'flat', 'one minute cannot cover 61 s: the next bundle does')
  t.equal(coveringBundle(p, 'path1', '4930123', 10, counts, now, TZ), null, 'not a listed prefix')
  countCall(p, 'path1', '79161234567', 120, counts, now, TZ)
  t.equal(secondsLeft(poolKey('sim1', p.bundles[1]!, 'path1'), p.bundles[1]!, counts, now, TZ), 0, 'the fair-use cap is used up')
  t.equal(secondsLeft(poolKey('sim1', bundle({ id: 'open', unlimited: true }), 'path1'), bundle({ id: 'open', unlimited: true }), counts, now, TZ), Infinity, 'unlimited without a cap')
})

t.test('the bundle alert: raised below 10 % left, cleared when the minutes are back; none for an uncapped bundle', async (t) => {
  const { bundleAlert } = await import('../../src/alerts/rules.js')
  t.match(bundleAlert('sims', 'mob', null, 1799, 18000, 'en'), { id: 'routing/bundle/sims/mob', severity: 'minor', state: 'raised', message: 'Plan sims: bundle mob is nearly used up: 29 of 300 min left; calls will then be paid by the minute' })
  t.match(bundleAlert('sims', 'mob', null, 1800, 18000, 'en'), { state: 'cleared', message: 'Plan sims: bundle mob has minutes again' })
  t.match(bundleAlert('sims', 'mob', null, 0, 18000, 'ru'), { state: 'raised', message: /пакет mob почти израсходован: осталось 0 из 300 мин/ })
  t.equal(bundleAlert('sims', 'flat', null, 0, Infinity, 'en'), null)
})

t.test('a call longer than one bundle\'s rest goes on into the next bundle that covers it', async (t) => {
  const p = plan([bundle({ id: 'small', minutes: 1, prefixes: ['79'] }), bundle({ id: 'big', minutes: 100 })])
  const counts: BundleCounts = {}
  const now = at('2026-11-10T10:00:00Z')
  t.same(countCall(p, 'path1', '79161234567', 150, counts, now, TZ), { bundle: p.bundles[0], covered: 150 }, 'one minute from the first, two from the second: all covered')
  t.same(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.seconds])), { 'path1/sim1/small': 60, 'path1/sim1/big': 120 })
})

t.test('a bundle belongs to a SIM: two paths on one plan count their minutes apart; shared only when asked', async (t) => {
  const p = plan([bundle({ id: 'ten', minutes: 10, prefixes: ['7916'] })])
  const counts: BundleCounts = {}
  const now = at('2026-11-10T10:00:00Z')
  countCall(p, 'sim1', '79161234567', 600, counts, now, TZ)
  t.equal(coveringBundle(p, 'sim1', '79161234567', 60, counts, now, TZ), null, 'sim1 used its ten minutes')
  t.equal(coveringBundle(p, 'sim2', '79161234567', 60, counts, now, TZ)?.bundle.id, 'ten', 'sim2 keeps its own')
  const pooled = plan([bundle({ id: 'pool', minutes: 10, prefixes: ['7916'], shared: true })])
  countCall(pooled, 'sim1', '79161234567', 600, counts, now, TZ)
  t.equal(coveringBundle(pooled, 'sim2', '79161234567', 60, counts, now, TZ), null, 'a shared pool is used up for every path of the plan')
  const paths = [{ id: 'sim1', plan: 'sim1' }, { id: 'sim2', plan: 'sim1' }]
  t.same(pools([p], paths).map((x) => [x.key, x.path]), [['sim1/sim1/ten', 'sim1'], ['sim2/sim1/ten', 'sim2']], 'one pool per path')
  t.same(pools([pooled], paths).map((x) => [x.key, x.path]), [['sim1/pool', null]], 'one pool per plan when shared')
  const { bundleAlert } = await import('../../src/alerts/rules.js')
  t.match(bundleAlert('sims', 'ten', 'sim1', 0, 600, 'en'), { id: 'routing/bundle/sims/ten/sim1', source: 'routing/sim1', message: 'Path sim1: bundle ten is nearly used up: 0 of 10 min left; calls will then be paid by the minute' })
})

t.test('counts written per plan (before bundles were per SIM) migrate: every path of the plan starts from the plan\'s count', async (t) => {
  const sims: PlanConfig = { ...plan([bundle({ id: 'mobile', minutes: 300 }), bundle({ id: 'pool', minutes: 100, shared: true })]), id: 'sims' }
  const paths = [{ id: 'gsm1', plan: 'sims' }, { id: 'gsm2', plan: 'sims' }, { id: 'sip1', plan: 'carrier' }]
  const counts: BundleCounts = { 'sims/mobile': { period: '2026-11', seconds: 1200 }, 'sims/pool': { period: '2026-11', seconds: 60 } }
  t.equal(migrateCounts(counts, [sims], paths), true)
  t.same(counts, {
    'gsm1/sims/mobile': { period: '2026-11', seconds: 1200 },
    'gsm2/sims/mobile': { period: '2026-11', seconds: 1200 },
    'sims/pool': { period: '2026-11', seconds: 60 },
  }, 'per-SIM bundles copied to each SIM of the plan (nobody is thought richer than they are); a shared pool kept')
  t.equal(migrateCounts(counts, [sims], paths), false, 'twice is once')
})

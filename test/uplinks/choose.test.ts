import t from 'tap'
import type { PartState } from '../../src/core/state.js'
import { chooseUplink, type Candidate } from '../../src/uplinks/choose.js'

const NOW = 1_000_000

/** An uplink that works and has been back long enough, unless told otherwise. */
function c(id: string, preference: number, patch: { state?: PartState; metered?: boolean; failbackAt?: number | null } = {}): Candidate {
  const state = patch.state ?? 'up'
  const working = state === 'up' || state === 'degraded'
  return { id, preference, metered: patch.metered ?? false, state, failbackAt: patch.failbackAt !== undefined ? patch.failbackAt : working ? 0 : null }
}
const down = { state: 'down' as const }

t.test('wired uplinks by preference, not by their order in the list', async (t) => {
  t.same(chooseUplink([c('a', 1), c('b', 2)], null, NOW), { id: 'a', reason: 'first choice; a works' })
  t.equal(chooseUplink([c('b', 2), c('a', 1)], null, NOW).id, 'a')
  t.equal(chooseUplink([c('a', 1, down), c('b', 2), c('c', 3)], null, NOW).id, 'b', 'the best that works')
  t.equal(chooseUplink([c('a', 1, { state: 'unknown', failbackAt: null }), c('b', 2)], null, NOW).id, 'b', 'unknown does not work')
})

t.test('a metered uplink only when no wired one works', async (t) => {
  const lte = (patch = {}) => c('lte', 1, { metered: true, ...patch })
  t.equal(chooseUplink([lte(), c('a', 5)], null, NOW).id, 'a', 'wired first, whatever the preferences say')
  t.equal(chooseUplink([lte(), c('a', 5, { state: 'degraded' })], null, NOW).id, 'a', 'a degraded wired one still beats the metered one')
  const choice = chooseUplink([c('a', 1, down), c('b', 2, down), lte()], 'a', NOW)
  t.same(choice, { id: 'lte', reason: 'a is not working; lte is the metered fallback: no wired uplink works' })
  t.equal(chooseUplink([c('a', 1, down), c('m2', 2, { metered: true }), c('m1', 1, { metered: true })], null, NOW).id, 'm1', 'metered ones by preference')
})

t.test('stays on a working uplink until a better one is past its fail-back time', async (t) => {
  const cands = (failbackAt: number) => [c('a', 1, { failbackAt }), c('b', 2)]
  t.same(chooseUplink(cands(NOW + 1), 'b', NOW), { id: 'b', reason: 'b still works' }, 'a is back but within its hold-down')
  t.same(chooseUplink(cands(NOW), 'b', NOW), { id: 'a', reason: 'a is preferred and has been up for its hold-down' }, 'at failbackAt: back to a')
  t.equal(chooseUplink(cands(NOW - 1), 'b', NOW).id, 'a')
  // a worse one, however settled, is no reason to move
  t.same(chooseUplink([c('a', 1, { failbackAt: NOW }), c('b', 2)], 'a', NOW), { id: 'a', reason: 'a still works' })
  t.equal(chooseUplink([c('a', 1), c('b', 2), c('c', 3, { failbackAt: NOW + 5 })], 'c', NOW).id, 'a', 'the best settled one, not just any better')
  t.equal(chooseUplink([c('a', 1, { failbackAt: NOW + 5 }), c('b', 2), c('c', 3)], 'c', NOW).id, 'b', 'a better one that is settled, while the best is in its hold-down')
})

t.test('a current uplink that stopped working is left at once', async (t) => {
  t.same(chooseUplink([c('a', 1, down), c('b', 2, { failbackAt: NOW + 30_000 })], 'a', NOW), { id: 'b', reason: 'a is not working; b works' }, 'for a working one even within its hold-down')
  t.equal(chooseUplink([c('a', 1, down), c('b', 2, { failbackAt: NOW + 30_000 }), c('c', 3)], 'a', NOW).id, 'c', 'preferring one past its hold-down')
  t.equal(chooseUplink([c('a', 1, down), c('b', 2, { failbackAt: NOW + 30_000 }), c('c', 3, { failbackAt: NOW + 1 })], 'a', NOW).id, 'b', 'none past it: the best working one')
  t.equal(chooseUplink([c('a', 1, { state: 'unknown', failbackAt: null }), c('b', 2)], 'a', NOW).id, 'b', 'unknown again is not working')
  t.equal(chooseUplink([c('b', 2)], 'gone', NOW).id, 'b', 'a current uplink no longer configured is left')
})

t.test('from metered back to wired only after the wired one’s hold-down', async (t) => {
  const cands = (failbackAt: number) => [c('a', 1, { failbackAt }), c('lte', 2, { metered: true })]
  t.same(chooseUplink(cands(NOW + 30_000), 'lte', NOW), { id: 'lte', reason: 'lte still works' })
  t.same(chooseUplink(cands(NOW), 'lte', NOW), { id: 'a', reason: 'a is wired and has been up for its hold-down' })
  // the metered uplink with the better preference number is still worse than any wired one
  t.equal(chooseUplink([c('lte', 1, { metered: true }), c('a', 9)], 'lte', NOW).id, 'a')
})

t.test('nothing works: the choice stays where it was', async (t) => {
  t.same(chooseUplink([c('a', 1, down), c('b', 2, down)], 'a', NOW), { id: 'a', reason: 'no uplink works' })
  t.same(chooseUplink([c('a', 1, down), c('lte', 2, { metered: true, state: 'down' })], 'lte', NOW), { id: 'lte', reason: 'no uplink works' })
  t.same(chooseUplink([c('a', 1, { state: 'unknown', failbackAt: null })], null, NOW), { id: null, reason: 'no uplink works' })
  t.same(chooseUplink([], null, NOW), { id: null, reason: 'no uplink works' })
})

t.test('degraded counts as working', async (t) => {
  t.same(chooseUplink([c('a', 1, { state: 'degraded' }), c('b', 2)], 'a', NOW), { id: 'a', reason: 'a still works' }, 'not left for a better-sounding one')
  t.equal(chooseUplink([c('a', 1, { state: 'degraded' }), c('b', 2)], 'b', NOW).id, 'a', 'and preferred when settled')
  t.equal(chooseUplink([c('a', 1, { state: 'degraded' }), c('b', 2)], null, NOW).id, 'a')
})

/** Erlang B against the published table (1 % grade of service) and its edges. */
import t from 'tap'
import { channelsFor, erlangB, erlangs } from '../../src/stats/erlang.js'

t.test("the table's 1 % column: the traffic N channels carry at 1 % blocking", async (t) => {
  // N → A at exactly 1 % (standard Erlang B tables)
  const table: [number, number][] = [[1, 0.0101], [2, 0.1526], [5, 1.361], [7, 2.501], [10, 4.461], [18, 10.437], [30, 20.337], [50, 37.901]]
  for (const [n, a] of table) {
    t.ok(Math.abs(erlangB(a, n) - 0.01) < 0.0005, `B(${a}, ${n}) ≈ 1 % (got ${erlangB(a, n).toFixed(5)})`)
    t.equal(channelsFor(a * 0.999, 0.01), n, `${a} erlangs need ${n} channels`)
    t.equal(channelsFor(a * 1.01, 0.01), n + 1, `a little more needs ${n + 1}`)
  }
})

t.test('edges and bad input', async (t) => {
  t.equal(erlangB(5, 0), 1, 'no channel blocks everything')
  t.equal(erlangB(0, 3), 0, 'no traffic blocks nothing')
  t.ok(erlangB(1000, 1000) > 0 && erlangB(1000, 1000) < 0.03, 'large figures without overflow')
  t.equal(channelsFor(0, 0.01), 0)
  t.equal(erlangs(60, 180), 3, '60 calls of 3 minutes in an hour are 3 erlangs')
  t.throws(() => erlangB(-1, 2), RangeError)
  t.throws(() => erlangB(1, 2.5), RangeError)
  t.throws(() => erlangB(Number.NaN, 2), RangeError)
  t.throws(() => channelsFor(1, 0), RangeError)
  t.throws(() => channelsFor(1e6, 0.01, 50), /more than 50 channels/)
})

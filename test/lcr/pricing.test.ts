import t from 'tap'
import type { RateRow } from '../../src/lcr/deck.js'
import { billedSeconds, callCost } from '../../src/lcr/pricing.js'

const row = (over: Partial<RateRow>): RateRow => ({
  prefix: '49', ratePerMinute: 0.6, connectionFee: 0, firstIncrement: 60, nextIncrement: 60, minimumCharge: 0, validFrom: null, validTo: null, band: null, ...over,
})

t.test('billed seconds by increments', async (t) => {
  const table: [seconds: number, first: number, next: number, billed: number][] = [
    [0, 60, 60, 0], // unanswered: free
    [1, 60, 60, 60],
    [60, 60, 60, 60],
    [61, 60, 60, 120],
    [119.5, 60, 60, 120],
    [0, 30, 6, 0],
    [1, 30, 6, 30],
    [30, 30, 6, 30],
    [31, 30, 6, 36],
    [36, 30, 6, 36],
    [37, 30, 6, 42],
    [1, 1, 1, 1],
    [59, 1, 1, 59],
    [12.2, 1, 1, 13], // a fraction of a second starts the next one
    [0, 0, 60, 0],
    [1, 0, 60, 60], // 0/60: no first increment, minutes begun
    [60, 0, 60, 60],
    [61, 0, 60, 120],
    [-5, 60, 60, 0],
  ]
  for (const [s, f, n, billed] of table) t.equal(billedSeconds(s, f, n), billed, `${s} s at ${f}/${n}`)
  t.throws(() => billedSeconds(Number.NaN, 60, 60), RangeError, 'NaN is a bug, not a free call')
  t.throws(() => billedSeconds(10, 60, 0), RangeError, 'next 0 would never end')
})

t.test('call cost: rate, connection fee, minimum charge, rounding', async (t) => {
  const table: [over: Partial<RateRow>, seconds: number, cost: number, why: string][] = [
    [{}, 0, 0, 'unanswered: free'],
    [{ connectionFee: 0.5 }, 0, 0, 'unanswered: no connection fee either'],
    [{}, 1, 0.6, '60/60: a second costs a minute'],
    [{}, 61, 1.2, 'two minutes'],
    [{ firstIncrement: 30, nextIncrement: 6 }, 31, 0.36, '30/6: 36 s'],
    [{ firstIncrement: 1, nextIncrement: 1 }, 90, 0.9, '1/1: per second'],
    [{ firstIncrement: 0, nextIncrement: 60 }, 1, 0.6, '0/60'],
    [{ connectionFee: 0.25 }, 61, 1.45, 'connection fee added'],
    [{ minimumCharge: 1 }, 10, 1, 'a short call costs the minimum'],
    [{ minimumCharge: 1 }, 120, 1.2, 'a long call more than it'],
    [{ minimumCharge: 1, connectionFee: 0.5 }, 10, 1.1, 'the minimum is compared with fee + rate'],
    [{ ratePerMinute: 0.1, firstIncrement: 1, nextIncrement: 1 }, 3, 0.005, '6 decimals kept'],
    [{ ratePerMinute: 0.0000001, firstIncrement: 1, nextIncrement: 1 }, 1, 0, 'rounded to 6 decimals'],
    [{ ratePerMinute: 0.1, connectionFee: 0.2, firstIncrement: 60, nextIncrement: 60 }, 1, 0.3, 'no float noise (0.1 + 0.2)'],
  ]
  for (const [over, seconds, cost, why] of table) t.equal(callCost(row(over), seconds), cost, why)
})

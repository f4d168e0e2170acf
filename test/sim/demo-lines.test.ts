import t from 'tap'
import { runDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'

t.test('the demo\'s analog line: cut from the page route, down at once with a route event; mended, back after its hold-down; a call rings its GPIO', async (t) => {
  const printed: string[] = []
  const demo = await runDemo({ httpPort: 0, print: (l) => printed.push(l) })
  t.teardown(() => demo.stop())
  const { box } = demo
  const line = () => box.store.get('line', 'pots1')!
  const events: string[] = []
  box.store.on('change', (c) => c.kind === 'event' && events.push(c.next.type))
  await waitFor(() => line().state === 'up', 5000, 'pots1 up (its voltage present)')
  const post = (path: string) => fetch(`${box.httpUrl}/api/v1/sim/line/${path}`, { method: 'POST' }).then(async (r) => ({ status: r.status, body: (await r.json()) as { message?: string; error?: string } }))
  t.match(await post('pots1/cut'), { status: 200, body: { message: /cable cut/ } })
  await waitFor(() => line().state === 'down', 3000, 'pots1 down')
  t.match(line(), { reason: 'no line voltage (GPIO 11)', routable: false, analog: { voltage: 'lost' } })
  t.ok(events.includes('route'), 'the route withdrawal is an event')
  t.match(await post('pots1/restore'), { status: 200 })
  await waitFor(() => line().transition?.to === 'up', 3000, 'on its way up')
  t.equal(line().state, 'down', 'held down')
  t.match(await post('pots1/call?arg=%2B79161234567'), { status: 200, body: { message: /ringing/ } })
  await waitFor(() => line().lastCallAt !== null, 5000, 'the ring counted as a call')
  t.match(await post('nope/cut'), { status: 400, body: { error: /no simulated analog line "nope"/ } })
  t.match(await post('pots1/flood'), { status: 400, body: { error: /unknown action "flood"/ } })
  await waitFor(() => line().state === 'up', 15000, 'up after the 10 s hold-down')
})

/**
 * A SIM on a call is not free: while the simulated module rings the box
 * (RING/+CLIP, the bytes a real module sends) or places a call, its GSM line's
 * channel is busy and least-cost routing leaves the path out as full, whatever
 * the PBX reports; when the call ends the path is offered again. The demo box,
 * through its HTTP routes.
 */
import t from 'tap'
import { runDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'

interface Route {
  paths: { path: string }[]
  excluded: { path: string; reason: string }[]
}

t.test('a ringing or calling SIM is full for routing until its call ends', async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const { box } = demo
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up' && box.store.get('line', 'gsm2')?.state === 'up', 15_000, 'the demo lines up')
  const route = async () => (await (await fetch(`${box.httpUrl}/api/v1/route?to=89161234567`)).json()) as Route
  const busy = (line: string) => box.store.get('line', line)!.channelUse.busy
  t.ok((await route()).paths.some((p) => p.path === 'gsm1'), 'gsm1 offered while idle')

  box.simulator!.modems.get('gsm1')!.ring('+79161112233', { times: 20, intervalMs: 3000 })
  await waitFor(() => busy('gsm1') === 1, 10_000, 'the ring takes the channel')
  const ringing = await route()
  t.notOk(ringing.paths.some((p) => p.path === 'gsm1'), 'not offered while it rings')
  t.match(ringing.excluded.find((e) => e.path === 'gsm1'), { reason: /^full: 1 of 1 channels busy/ }, 'left out as full')
  t.ok(ringing.paths.some((p) => p.path === 'gsm2'), 'the other SIM is still offered')

  box.simulator!.modems.get('gsm1')!.hangUpRemote()
  await waitFor(() => busy('gsm1') === 0, 20_000, 'the channel is free once the call ended')
  t.ok((await route()).paths.some((p) => p.path === 'gsm1'), 'gsm1 offered again')

  // a call the box places itself (a test call from gsm2 to gsm1's number) takes both SIMs
  const dialled = box.modems.find((m) => m.id === 'gsm2')!.dial('+74951110001', { ringSeconds: 20, talkSeconds: 0 })
  await waitFor(() => busy('gsm2') === 1, 10_000, 'the calling SIM is busy')
  t.match((await route()).excluded.find((e) => e.path === 'gsm2'), { reason: /^full/ }, 'the calling SIM is left out')
  await dialled.catch(() => {})
  await waitFor(() => busy('gsm2') === 0 && busy('gsm1') === 0, 30_000, 'both free after the call')
})

/**
 * 50 SIGKILLs of the box's office link at random moments while it fills and
 * drains its outbox (scripts/outbox-child.ts: the real reporter and journal,
 * an event every few ms), against a real mosquitto, counted by seq at an
 * office subscriber: no seq missing, and a seq that comes twice is the same
 * message. A kill can take the events not yet on the card with it (they were
 * never sent: their seq is given again), never one the office has.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { packageRoot } from '../../src/core/version.js'
import { prng } from '../../src/sim/prng.js'
import { waitFor } from '../helpers/flush.js'
import { missing, startMosquitto, terminate } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto')
const KILLS = Number(process.env.LINEWATCH_KILLS ?? 50)
// 50 lives of a child process take ~1.5-2 min on a busy CI machine: more than the suite's 120 s per file
t.setTimeout(360_000)

t.test(`${KILLS} SIGKILLs while the outbox fills and drains: no seq lost, a copy is always the same message`, { skip, timeout: 300_000 }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const dir = tempDir(t, 'lw-kill-')
  const box = `k${process.pid}`
  const base = `lwkill/kill/${box}`
  const got = new Map<number, string>()
  const conflicts: string[] = []
  let copies = 0
  const office = mqtt.connect(broker.url, { clientId: `office-${box}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } })
  t.teardown(() => office.endAsync(true))
  office.on('message', (_topic, payload) => {
    const text = payload.toString()
    const seq = (JSON.parse(text) as { seq?: number }).seq
    if (typeof seq !== 'number') return
    if (got.has(seq)) {
      copies++
      if (got.get(seq) !== text) conflicts.push(`${seq}: ${got.get(seq)} / ${text}`)
    } else got.set(seq, text)
  })
  await waitFor(() => office.connected, 5000, 'the office')
  await office.subscribeAsync(`${base}/event`, { qos: 1 })

  const child = join(packageRoot(), 'dist', 'scripts', 'outbox-child.js')
  const life = (mode?: 'drain') => {
    const p: ChildProcess = spawn(process.execPath, [child, dir, broker.url, box, ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
    let said = ''
    p.stdout!.on('data', (d: Buffer) => (said += d.toString()))
    t.teardown(() => terminate(p, 'SIGKILL'))
    return { p, ready: () => said.includes('ready'), said: () => said }
  }
  const rnd = prng(18_50)
  for (let k = 0; k < KILLS; k++) {
    const l = life()
    await waitFor(() => l.ready(), 10_000, `life ${k} connected`)
    await new Promise((r) => setTimeout(r, 50 + Math.floor(rnd() * 400)))
    await terminate(l.p, 'SIGKILL')
  }
  // a last life that records nothing: it sends what the others left on the card
  const last = life('drain')
  await waitFor(() => last.said().includes('drained'), 30_000, 'the last life to drain')
  await terminate(last.p)
  const max = Math.max(...got.keys())
  t.same(conflicts, [], 'a seq that came twice was the same message each time')
  const missingSeqs = [...Array(max).keys()].map((i) => i + 1).filter((s) => !got.has(s))
  t.same(missingSeqs, [], `no seq lost over ${KILLS} kills: 1…${max} all at the office (${copies} copies)`)
  t.ok(max > 1000, `the lives had work to do (${max} messages)`)
})

/**
 * The boot state's two copies and the initramfs's rules (docs/updates.md): a torn or foreign copy is
 * never read, the newest good one is, and a try is booted once and then falls back unless confirmed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { BootStateFile, chooseBoot, confirmed, formatState, INITIAL_STATE, parseState, pickState, STATE_FILES, type BootState } from '../../src/update/boot-state.js'
import { tempDir } from '../helpers/tmp.js'

const base: BootState = { ...INITIAL_STATE, seq: 3, versions: { a: '1.4.0', b: null } }

t.test('a copy reads back as written; a flipped byte, a cut or a foreign file is refused', async (t) => {
  const text = formatState({ ...base, try: 'b', versions: { a: '1.4.0', b: '1.5.0' } })
  t.same(parseState(text), { ...base, try: 'b', versions: { a: '1.4.0', b: '1.5.0' } })
  t.equal(parseState(text.replace('try=b', 'try=a')), null, 'a changed line fails the sum')
  t.equal(parseState(text.slice(0, text.length - 20)), null, 'a torn copy')
  t.equal(parseState(''), null)
  t.equal(parseState('seq=9\nactive=b\n'), null, 'no sum')
  const bodyOnly = text.slice(0, text.indexOf('sum='))
  const { createHash } = await import('node:crypto')
  const forged = bodyOnly.replace('active=a', 'active=c')
  t.equal(parseState(`${forged}sum=${createHash('sha256').update(forged).digest('hex')}\n`), null, 'a good sum over a bad slot name')
})

t.test('the newest good copy wins; a torn newer copy leaves the older one', async (t) => {
  const older = formatState({ ...base, seq: 4 })
  const newer = formatState({ ...base, seq: 5, try: 'b' })
  t.equal(pickState([older, newer])?.state.seq, 5)
  t.equal(pickState([newer, older])?.index, 0)
  t.equal(pickState([older, newer.slice(0, 40)])?.state.seq, 4)
  t.equal(pickState([null, null]), null)
})

t.test('the initramfs boots a try once, then falls back unless it was confirmed', async (t) => {
  const staged = { ...base, try: 'b' as const }
  const first = chooseBoot(staged)
  t.equal(first.boot, 'b')
  t.match(first.write, { try: null, trying: 'b', active: 'a', seq: 4 })
  // not confirmed: the next boot is the old slot, and it says which one failed
  const second = chooseBoot(first.write!)
  t.equal(second.boot, 'a')
  t.match(second.write, { try: null, trying: null, fallback: 'b', active: 'a', seq: 5 })
  t.same(chooseBoot(second.write!), { boot: 'a', write: null }, 'then the old slot, with nothing to write')
  // confirmed: b becomes the active slot and stays
  const ok = confirmed(first.write!, 'b')
  t.match(ok, { active: 'b', trying: null })
  t.same(chooseBoot(ok!), { boot: 'b', write: null })
  t.equal(confirmed(first.write!, 'a'), null, 'the old slot cannot confirm the try')
  t.equal(confirmed(base, 'a'), null, 'nothing on trial: nothing to confirm')
})

t.test('the file: writes alternate copies, a torn newest copy falls back to the previous state', async (t) => {
  const dir = tempDir(t)
  const f = new BootStateFile(dir)
  t.same(await f.read(), INITIAL_STATE, 'a new card: slot a')
  const s1 = await f.write({ ...INITIAL_STATE, versions: { a: '1.4.0', b: null } })
  const s2 = await f.update((s) => ({ ...s, try: 'b' }))
  t.equal(s1.seq, 1)
  t.equal(s2.seq, 2)
  const [c0, c1] = STATE_FILES.map((n) => readFileSync(join(dir, n), 'utf8')) as [string, string]
  t.equal(parseState(c0)?.seq, 1)
  t.equal(parseState(c1)?.seq, 2)
  t.equal((await f.read()).try, 'b')
  // a power cut tore the newest copy: the previous one (no try) is read, so the old slot boots
  writeFileSync(join(dir, STATE_FILES[1]), c1.slice(0, 50))
  const after = await f.read()
  t.equal(after.seq, 1)
  t.equal(chooseBoot(after).boot, 'a')
  // and the next write goes over the torn copy, not the good one
  await f.update((s) => ({ ...s, fallback: null }))
  t.equal(parseState(readFileSync(join(dir, STATE_FILES[0]), 'utf8'))?.seq, 1)
  t.equal(parseState(readFileSync(join(dir, STATE_FILES[1]), 'utf8'))?.seq, 2)
})

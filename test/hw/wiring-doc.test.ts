/**
 * The installer's wiring picture cannot drift from the board map or from the
 * example config it illustrates: every "pin N GPIOm" in docs/wiring.svg is
 * that pin on a Pi 4B, and that GPIO is wired in examples/linewatch.yaml.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadBoardMap, resolvePin } from '../../src/hw/board-maps.js'

const svg = readFileSync(new URL('../../docs/wiring.svg', import.meta.url), 'utf8')
const example = readFileSync(new URL('../../examples/linewatch.yaml', import.meta.url), 'utf8')

t.test('docs/wiring.svg agrees with boards/pi-4b.yaml and examples/linewatch.yaml', async (t) => {
  const pins = [...svg.matchAll(/>pin (\d+) +(GPIO\d+) +([^<]+)</g)].map((m) => ({ header: m[1]!, gpio: m[2]!, what: m[3]!.trim() }))
  t.equal(pins.length, 13, 'the 13 wired pins of the example')
  const map = loadBoardMap('pi-4b')
  for (const p of pins) {
    const r = resolvePin(map, `pin${p.header}`)
    t.equal(r.ok && r.pin.name, p.gpio, `pin ${p.header} is ${p.gpio} (${p.what})`)
    t.match(example, new RegExp(`\\b${p.gpio}\\b`), `${p.gpio} (${p.what}) is in the example config`)
  }
})

/**
 * The Pi pin maps in boards/ and how a config pin is resolved on them:
 * every header pin, every GPIO once, the well-known anchors, and refusals an
 * installer can read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PI_BOARDS, loadBoardMap, resolvePin } from '../../src/hw/board-maps.js'

const ANCHORS: Record<number, string> = { 1: '3V3', 2: '5V', 3: 'GPIO2', 5: 'GPIO3', 6: 'GND', 7: 'GPIO4', 8: 'GPIO14', 10: 'GPIO15', 11: 'GPIO17', 12: 'GPIO18', 13: 'GPIO27', 17: '3V3', 19: 'GPIO10', 27: 'GPIO0', 28: 'GPIO1', 32: 'GPIO12', 33: 'GPIO13', 37: 'GPIO26', 39: 'GND', 40: 'GPIO21' }

for (const name of PI_BOARDS) {
  t.test(`${name}: 40 header pins, GPIO0..27 once each, line = BCM number`, async (t) => {
    const map = loadBoardMap(name)
    t.same(Object.keys(map.header).map(Number), Array.from({ length: 40 }, (_, i) => i + 1))
    t.same(map.pins.map((p) => Number(p.name.slice(4))).sort((a, b) => a - b), Array.from({ length: 28 }, (_, i) => i))
    t.ok(map.pins.every((p) => p.line === Number(p.name.slice(4))))
    for (const [pin, what] of Object.entries(ANCHORS)) t.equal(map.header[Number(pin)], what, `header pin ${pin} is ${what}`)
    t.equal(Object.values(map.header).filter((v) => v === 'GND').length, 8, '8 ground pins')
    t.ok(map.chipLabels.length > 0 && map.chipFallback.startsWith('/dev/gpiochip'))
  })
}

t.test('chip labels: the Pi 5 by its RP1, the Pi 4 under both kernels', async (t) => {
  t.same(loadBoardMap('pi-5').chipLabels, ['pinctrl-rp1'])
  t.same(loadBoardMap('pi-4b').chipLabels, ['pinctrl-bcm2711', 'pinctrl-bcm2835'])
  t.same(loadBoardMap('pi-3b-plus').chipLabels, ['pinctrl-bcm2835'])
})

t.test('resolvePin: GPIO name and header pin are one pin; the rest refused in plain words', async (t) => {
  const map = loadBoardMap('pi-4b')
  const line = (ref: string | number) => {
    const r = resolvePin(map, ref)
    return r.ok ? r.pin.line : r.message
  }
  t.same(['GPIO17', 'gpio 17', 'pin11', 'PIN11', ' Pin 11 '].map(line), [17, 17, 17, 17, 17])
  t.equal(line(17), '17 is ambiguous on pi-4b: write GPIO17 (header pin 11) or pin17 (3V3)')
  t.equal(line(41), '41 is ambiguous on pi-4b: write GPIO41 (no such GPIO) or pin41 (no such header pin)')
  t.equal(line('pin2'), 'header pin 2 is 5 V power, not a GPIO')
  t.equal(line('pin9'), 'header pin 9 is ground, not a GPIO')
  t.equal(line('pin1'), 'header pin 1 is 3.3 V power, not a GPIO')
  t.equal(line('GPIO40'), 'pi-4b has no GPIO40; its GPIOs are GPIO0..GPIO27')
  t.equal(line('pin41'), "pi-4b's header has pins 1..40, not 41")
  t.equal(line('banana'), '"banana" is not a pin of pi-4b: write GPIO17 (the BCM name) or pin11 (the header pin); GPIOs are GPIO0..GPIO27')
})

t.test('a malformed map is an error naming its file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-boards-'))
  writeFileSync(join(dir, 'pi-5.yaml'), 'board: pi-5\ngpiochip: { labels: [x], fallback: /dev/gpiochip0 }\nheader:\n  3: { gpio: two }\n')
  t.throws(() => loadBoardMap('pi-5', dir), { message: new RegExp(`${dir}/pi-5.yaml: header pin 3: needs gpio and line`) })
  writeFileSync(join(dir, 'pi-4b.yaml'), 'board: pi-4b\nheader: [\n')
  t.throws(() => loadBoardMap('pi-4b', dir), { message: new RegExp(`${dir}/pi-4b.yaml: `) })
  writeFileSync(join(dir, 'cm4.yaml'), 'board: pi-5\n')
  t.throws(() => loadBoardMap('cm4', dir), { message: /cm4.yaml: board: must be cm4/ })
})

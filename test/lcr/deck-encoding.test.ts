/**
 * Rate decks as carriers send them, saved by Excel on a Russian Windows:
 * "CSV" in Windows-1251 with a semicolon, "CSV UTF-8" with a BOM, "Unicode
 * text" (UTF-16 LE with a BOM, tab-separated), and UTF-16 BE. Each is imported
 * through the deck library the box uses, with a Russian header mapped in the
 * config; a wrong `deck.encoding` says which encoding it read the file as.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { PlanConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import { decodeDeck } from '../../src/lcr/deck-encoding.js'
import { DeckLibrary } from '../../src/lcr/decks.js'
import { tempDir } from '../helpers/tmp.js'

const HEADER = 'Префикс;Цена руб/мин'
const ROWS = ['7495;0,90', '79;1,80', '7;1,50']

/** Windows-1251 by hand: ASCII as is, А..я at 0xC0..0xFF, Ё and ё at 0xA8 and 0xB8. */
function cp1251(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.codePointAt(0)!
    if (c < 0x80) return c
    if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0
    if (c === 0x401) return 0xa8
    if (c === 0x451) return 0xb8
    throw new Error(`not in cp1251: ${ch}`)
  }))
}
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16()

const csv = (sep: string) => [HEADER, ...ROWS].map((l) => l.replaceAll(';', sep)).join('\r\n') + '\r\n'
const FILES: [string, Buffer, string][] = [
  ['windows-1251, Excel "CSV" on a Russian Windows', cp1251(csv(';')), 'windows-1251'],
  ['UTF-8 with a BOM, Excel "CSV UTF-8"', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(';'))]), 'utf-8'],
  ['UTF-8 without a BOM', Buffer.from(csv(';')), 'utf-8'],
  ['UTF-16 LE with a BOM, Excel "Unicode text" (tabs)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv('\t'), 'utf16le')]), 'utf-16le'],
  ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(csv(';'))]), 'utf-16be'],
  ['UTF-16 LE without a BOM', Buffer.from(csv('\t'), 'utf16le'), 'utf-16le'],
]

const plan = (encoding?: PlanConfig['deck']['encoding']): PlanConfig => ({
  id: 'carrier', currency: 'RUB', bands: [], bundles: [],
  deck: { file: 'deck.csv', columns: { prefix: 'Префикс', rate: 'Цена руб/мин' }, ...(encoding ? { encoding } : {}) },
})

t.test('each way Excel saves a deck is read, with its Russian header mapped', async (t) => {
  for (const [what, bytes, encoding] of FILES) {
    const dir = tempDir(t, 'lw-enc-')
    await writeFile(join(dir, 'deck.csv'), bytes)
    t.equal(decodeDeck(bytes).encoding, encoding, `${what}: detected as ${encoding}`)
    const lib = new DeckLibrary({ plans: [plan()], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
    const status = await lib.load(plan(), 1)
    t.match(status, { source: 'file', rows: 3, refused: null }, `${what}: imported`)
    t.equal(lib.get('carrier')?.lookup('79161234567', 1, null)?.ratePerMinute, 1.8, `${what}: the rates read (a decimal comma)`)
  }
})

t.test('a wrong deck.encoding: the header problem says which encoding the file was read as', async (t) => {
  const dir = tempDir(t, 'lw-enc-')
  await writeFile(join(dir, 'deck.csv'), cp1251(csv(';')))
  const lib = new DeckLibrary({ plans: [plan('utf-8')], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  const status = await lib.load(plan('utf-8'), 1)
  t.equal(status.source, null, 'not imported')
  t.match(status.problems[0]!.message, /the prefix column "Префикс" named in the mapping is not in the header; the file was read as utf-8 \(configured\); if that is wrong, set deck\.encoding \(utf-8, utf-16le, utf-16be, windows-1251\)/)
  t.match(status.refused, /there is no earlier deck: plan carrier has no rates until a good one is imported$/, 'and no deck is promised that does not exist')
  const right = new DeckLibrary({ plans: [plan('windows-1251')], configDir: dir, stateDir: join(dir, 'state2'), log: silentLogger() })
  t.match(await right.load(plan('windows-1251'), 2), { source: 'file', rows: 3 }, 'deck.encoding: windows-1251 reads it')
})

t.test('the last good copy is kept as UTF-8 and read back after a reboot', async (t) => {
  const dir = tempDir(t, 'lw-enc-')
  await writeFile(join(dir, 'deck.csv'), cp1251(csv(';')))
  const lib = new DeckLibrary({ plans: [plan()], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  await lib.load(plan(), 1)
  await writeFile(join(dir, 'deck.csv'), 'garbage')
  const reboot = new DeckLibrary({ plans: [plan()], configDir: dir, stateDir: join(dir, 'state'), log: silentLogger() })
  t.match(await reboot.load(plan(), 2), { source: 'last-good', rows: 3 })
})

import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { formatProblem, loadConfig, validateConfigText, ConfigError } from '../../src/config/index.js'
import { jsonSchema } from '../../src/config/schema.js'
import { DEMO_CONFIG_YAML } from '../../src/sim/demo-config.js'
import { tempDir } from '../helpers/tmp.js'

const GOOD = `site: shop1
box: closet
board: sim
modems:
  - id: gw1
    port: /dev/gsm-gw1
lines:
  - id: line1
    kind: gsm
    numbers: ["+74951234567"]
    modem: gw1
`

function problems(text: string): string[] {
  const r = validateConfigText(text)
  return r.problems.map(formatProblem)
}

t.test('a good file passes and gets its defaults', async (t) => {
  const r = validateConfigText(GOOD)
  t.same(r.problems, [])
  t.match(r.config, {
    modems: [{ id: 'gw1', port: '/dev/gsm-gw1', baudRate: 115200, pollSeconds: 10 }],
    lines: [{ channels: 1 }],
    mqtt: { url: 'mqtt://127.0.0.1:1883', baseTopic: 'linewatch' },
    http: { port: 8080 },
    alerts: { language: 'en', contacts: [] },
    panel: { lamps: [] },
  })
})

t.test('the demo config and the example config are valid', async (t) => {
  t.same(problems(DEMO_CONFIG_YAML), [])
  const example = await readFile(new URL('../../examples/linewatch.yaml', import.meta.url), 'utf8')
  t.same(problems(example), [])
})

t.test('a wrong type is refused with its path and line', async (t) => {
  t.same(problems(GOOD.replace('    port: /dev/gsm-gw1', '    port: /dev/gsm-gw1\n    baudRate: fast')), ['modems[0].baudRate: must be integer (line 7)'])
  t.same(problems(GOOD.replace('kind: gsm', 'kind: pots')), ['lines[0].kind: must be one of: sip, analog, gsm (line 9)'])
})

t.test('an unknown key is refused with its own line', async (t) => {
  t.same(problems(GOOD.replace('    modem: gw1', '    modem: gw1\n    colour: red')), ['lines[0].colour: unknown key "colour" (line 12)'])
  t.same(problems(`${GOOD}mqtt:\n  url: mqtt://b:1883\n  passwrod: x\n`), ['mqtt.passwrod: unknown key "passwrod" (line 14)'])
})

t.test('a missing required key is refused, pointing at the object that lacks it', async (t) => {
  t.same(problems(GOOD.replace('box: closet\n', '')), ['box: missing required key "box" (line 1)'])
  t.same(problems(GOOD.replace('    port: /dev/gsm-gw1\n', '')), ['modems[0].port: missing required key "port" (line 5)'])
})

t.test('references, duplicates and pins are checked', async (t) => {
  t.same(problems(GOOD.replace('modem: gw1', 'modem: gw9')), ['lines[0].modem: no modem with id "gw9" (line 11)'])
  t.same(problems(GOOD.replace('    modem: gw1\n', '')), ['lines[0]: a gsm line needs "modem": the modem that carries it (line 8)'])
  const twice = `${GOOD}  - { id: line1, kind: sip }\n`
  t.same(problems(twice), ['lines[1].id: duplicate line id "line1" (line 12)'])
  const panel = `${GOOD}panel:\n  lamps:\n    - { id: l1, source: line/line1, green: 2, red: 3 }\n    - { id: l2, source: uplink/wan9, green: 3, red: 4 }\n  buzzer: { pin: 4 }\n`
  t.same(problems(panel), [
    'panel.lamps[1].source: no uplink with id "wan9" (line 15)',
    'panel.lamps[1].green: pin 3 is already used by panel.lamps[0].red (line 15)',
    'panel.buzzer.pin: pin 4 is already used by panel.lamps[1].red (line 16)',
  ])
})

t.test('pins the board does not have are refused at validation, not at start', async (t) => {
  const panel = `${GOOD}panel:\n  lamps:\n    - { id: l1, source: line/line1, green: GPIO17, red: 40 }\n`
  t.same(problems(panel), [
    'panel.lamps[0].green: board sim has pins 0..31 by number, not "GPIO17" (line 14)',
    'panel.lamps[0].red: board sim has pins 0..31 by number, not 40 (line 14)',
  ])
})

t.test('a Pi board: pins by GPIO name or header pin; power pins, unknown names and one wire used twice are refused', async (t) => {
  const pi = GOOD.replace('board: sim', 'board: pi-5')
  const lamps = (green: string, red: string) => `${pi}panel:\n  lamps:\n    - { id: l1, source: line/line1, green: ${green}, red: ${red} }\n`
  t.same(problems(lamps('GPIO17', 'pin13')), [], 'GPIO17 and header pin 13 (GPIO27)')
  t.same(problems(lamps('GPIO17', 'pin11')), ['panel.lamps[0].red: GPIO17 (header pin 11) is already used by panel.lamps[0].green (line 14)'], 'the same wire under two names')
  t.same(problems(lamps('pin2', 'GPIO40')), [
    'panel.lamps[0].green: header pin 2 is 5 V power, not a GPIO (line 14)',
    'panel.lamps[0].red: pi-5 has no GPIO40; its GPIOs are GPIO0..GPIO27 (line 14)',
  ])
  t.match(problems(lamps('17', 'pin6')), [/green: 17 is ambiguous on pi-5: write GPIO17 \(header pin 11\) or pin17 \(3V3\)/, /red: header pin 6 is ground, not a GPIO/])
  t.same(problems(`${pi}panel:\n  buzzer: { pin: GPIO18 }\n  button: { pin: pin12 }\n`), ['panel.button.pin: GPIO18 (header pin 12) is already used by panel.buzzer.pin (line 14)'])
})

t.test('firmata needs its port; the stack light shows a lamp that exists, each coil once, not on a modem port', async (t) => {
  t.same(problems(GOOD.replace('board: sim', 'board: firmata')), ['firmata: board: firmata needs firmata.port, the serial port of the Arduino or Pico (e.g. /dev/ttyACM0) (line 1)'])
  t.same(problems(`${GOOD.replace('board: sim', 'board: firmata')}firmata: { port: /dev/ttyACM0 }\npanel:\n  buzzer: { pin: 13 }\n`), [])
  const stack = `${GOOD}panel:\n  modbus: { port: /dev/gsm-gw1, slaveId: 1, shows: nope, coils: { red: 0, amber: 1, green: 0 } }\n`
  t.same(problems(stack).map((p) => p.replace(/ \(line \d+\)$/, '')), [
    'panel.modbus.shows: no lamp with id "nope" (summary, or one of panel.lamps)',
    'panel.modbus.coils.green: coil 0 is already the red coil',
    'panel.modbus.port: port "/dev/gsm-gw1" is modems[0]\'s',
  ])
  t.match(problems(`${GOOD}panel:\n  quietHours: [{ days: [mon], from: "22:00", to: "07:00" }]\n`), [/quietHours.*wraps or is empty; split a window over midnight in two/])
})

t.test('a modem power key pin is checked like the panel pins', async (t) => {
  const cfg = GOOD.replace('    port: /dev/gsm-gw1', '    port: /dev/gsm-gw1\n    powerKey: { pin: 6 }') + 'panel:\n  buzzer: { pin: 6 }\n'
  t.same(problems(cfg), ['panel.buzzer.pin: pin 6 is already used by modems[0].powerKey.pin (line 14)'])
  t.match(validateConfigText(GOOD.replace('    port: /dev/gsm-gw1', '    port: /dev/gsm-gw1\n    powerKey: { pin: 8 }')).config, { modems: [{ powerKey: { pin: 8, pulseMs: 1600 }, bootWaitSeconds: 30 }] })
})

t.test('the published schema requires only what has no default', async (t) => {
  const s = jsonSchema() as unknown as { required: string[]; properties: { modems: { items: { required: string[] } } } }
  t.same(s.required, ['site', 'box', 'board'])
  t.same(s.properties.modems.items.required, ['id', 'port'])
})

t.test('bad YAML, empty files, wrong top-level shapes', async (t) => {
  t.match(problems('site: [unclosed\n'), [/^\(file\): YAML: .* \(line \d\)$/])
  t.same(problems(''), ['site: missing required key "site" (line 1)', 'box: missing required key "box" (line 1)', 'board: missing required key "board" (line 1)'])
  t.same(problems('- just\n- a list\n'), ['(file): must be object (line 1)'])
  t.match(problems(`${GOOD}site: again\n`), [/YAML: .*[Uu]nique/], 'a key given twice is an error, not a silent override')
})

t.test('loadConfig: unreadable file and ConfigError', async (t) => {
  await t.rejects(loadConfig('/nonexistent/linewatch.yaml'), { code: 'CONFIG_UNREADABLE' })
  const dir = tempDir(t, 'lw-cfg-')
  const file = join(dir, 'bad.yaml')
  await writeFile(file, GOOD.replace('kind: gsm', 'kind: 7'))
  const err = await loadConfig(file).catch((e: unknown) => e)
  t.ok(err instanceof ConfigError)
  t.match((err as ConfigError).message, /lines\[0\]\.kind: must be string \(line 9\)/)
})

t.test('the published JSON Schema is the one the code uses', async (t) => {
  const published = JSON.parse(await readFile(new URL('../../schema/linewatch.schema.json', import.meta.url), 'utf8'))
  t.same(published, jsonSchema(), 'schema/linewatch.schema.json is stale: run npm run schema')
})

t.test('linewatch validate: exit 0 on a good file, 1 with one line per problem', async (t) => {
  const run = promisify(execFile)
  const bin = new URL('../../bin/linewatch.js', import.meta.url).pathname
  const dir = tempDir(t, 'lw-cli-')
  const good = join(dir, 'good.yaml')
  const bad = join(dir, 'bad.yaml')
  await writeFile(good, GOOD)
  await writeFile(bad, GOOD.replace('kind: gsm', 'kind: pots').replace('box: closet\n', ''))
  const ok = await run(process.execPath, [bin, 'validate', good])
  t.match(ok.stdout, /good\.yaml: ok/)
  const fail = await run(process.execPath, [bin, 'validate', bad]).catch((e: { code: number; stderr: string }) => e)
  t.equal((fail as { code: number }).code, 1)
  t.same((fail as { stderr: string }).stderr.trim().split('\n'), [
    `${bad}: box: missing required key "box" (line 1)`,
    `${bad}: lines[0].kind: must be one of: sip, analog, gsm (line 8)`,
  ])
})

t.test('a boot wait shorter than a key press (plus 2 s to switch off) is refused', async (t) => {
  const cfg = GOOD.replace('    port: /dev/gsm-gw1', '    port: /dev/gsm-gw1\n    powerKey: { pin: 8, pulseMs: 3000 }\n    bootWaitSeconds: 5')
  t.same(problems(cfg), ['modems[0].bootWaitSeconds: must be longer than powerKey.pulseMs + 2 s (5 s) (line 8)'])
  t.same(problems(cfg.replace('bootWaitSeconds: 5', 'bootWaitSeconds: 6')), [])
})

t.test('hostile files: an alias bomb and an oversized file are refused with one clear line, quickly', async (t) => {
  const run = promisify(execFile)
  const bin = new URL('../../bin/linewatch.js', import.meta.url).pathname
  const dir = tempDir(t, 'lw-hostile-')
  // a "billion laughs": nine levels of nine aliases, 9^9 strings if expanded
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  for (let i = 1; i < 9; i++) bomb += `${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]\n`
  const bombFile = join(dir, 'bomb.yaml')
  await writeFile(bombFile, `site: s\nbox: b\nboard: sim\nextra:\n${bomb.replace(/^/gm, '  ')}`)
  const a = await run(process.execPath, [bin, 'validate', bombFile]).catch((e: { code: number; stderr: string }) => e)
  t.equal((a as { code: number }).code, 1)
  t.equal((a as { stderr: string }).stderr.trim(), `${bombFile}: (file): YAML: refused: more than 100 uses of aliases (*name), as in a file built to blow up when read`)
  const big = join(dir, 'big.yaml')
  await writeFile(big, `site: s\nbox: b\nboard: sim\n# ${'x'.repeat(2 * 1024 * 1024)}\n`)
  const b = await run(process.execPath, [bin, 'validate', big]).catch((e: { code: number; stderr: string }) => e)
  t.equal((b as { code: number }).code, 1)
  t.match((b as { stderr: string }).stderr.trim(), /big\.yaml: cannot read: the file is 2097181 bytes; a config may be at most 1048576 bytes \(1 MiB\)$/)
  // the limit is the documented one: 100 uses pass, 101 do not
  const uses = (n: number) => `site: s\nbox: b\nboard: sim\nextra: { a: &p x, b: [${Array(n).fill('*p').join(',')}] }\n`
  t.notMatch(problems(uses(100)).join('\n'), /aliases/, '100 uses of an alias are allowed')
  t.match(problems(uses(101)), [/more than 100 uses of aliases/], '101 are refused')
  const over = join(dir, 'over.yaml')
  await writeFile(over, `site: s\nbox: b\nboard: sim\n# ${'x'.repeat(1024 * 1024)}\n`)
  const c = await run(process.execPath, [bin, 'validate', over]).catch((e: { code: number; stderr: string }) => e)
  t.match((c as { stderr: string }).stderr.trim(), /over\.yaml: cannot read: the file is 1048605 bytes; a config may be at most 1048576 bytes \(1 MiB\)$/, 'a file just over the limit does not read as the limit')
  t.same(problems('site: s\nbox: b\nboard: sim\ntimezone: &tz Europe/Moscow\nsilence: { businessHours: [{ days: [mon], from: "09:00", to: "18:00" }] }\n'), [], 'a few ordinary aliases are fine')
})

t.test('http.auth: none only on a loopback address', async (t) => {
  const base = 'site: s\nbox: b\nboard: sim\n'
  t.same(validateConfigText(`${base}http: { host: 127.0.0.1, auth: none }\n`).problems, [])
  t.same(validateConfigText(`${base}http: { host: "::1", auth: none }\n`).problems, [])
  const open = validateConfigText(`${base}http: { auth: none }\n`).problems.map((p) => formatProblem(p))
  t.same(open, ['http.auth: "none" is allowed only with a loopback http.host (127.0.0.1 or ::1), not "0.0.0.0": anyone on the network could silence the alarms and steer the calls (line 4)'])
})

t.test('routing.baselinePath names one of the paths', async (t) => {
  const routing = (baseline: string) =>
    `${GOOD}routing:\n  plans: [{ id: p, currency: RUB, deck: { file: d.csv } }]\n  paths: [{ id: gsm, line: line1, dial: "Dongle/{national}", plan: p }]\n  baselinePath: ${baseline}\n`
  t.same(problems(routing('gsm')), [])
  t.match(problems(routing('carrier')), [/^routing\.baselinePath: no path with id "carrier" \(paths: gsm\)/])
})

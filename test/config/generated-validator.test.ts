/**
 * The config's validator compiled at build time (scripts/write-validator.ts, part of `npm run build`, which
 * `npm test` runs first) must judge exactly as Ajv compiling the schema at run time: same verdict, same
 * errors, same defaults filled in, on the shipped example, the demo and broken variants of them. One made
 * from another schema is not used.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { AJV_OPTIONS, generatedValidator, schemaHash } from '../../src/config/check.js'
import { jsonSchema } from '../../src/config/schema.js'
import { DEMO_CONFIG_YAML } from '../../src/sim/demo-config.js'

const built = new URL('../../dist/src/config/check.generated.js', import.meta.url)
const example = parse(readFileSync(new URL('../../examples/linewatch.yaml', import.meta.url), 'utf8')) as Record<string, unknown>
const demo = parse(DEMO_CONFIG_YAML) as Record<string, unknown>

/** Broken variants: each a copy of `base` with one change. */
function variants(base: Record<string, unknown>): unknown[] {
  const c = () => structuredClone(base) as Record<string, any>
  const out: unknown[] = [c()]
  const add = (f: (x: Record<string, any>) => void) => {
    const x = c()
    f(x)
    out.push(x)
  }
  add((x) => delete x.site)
  add((x) => (x.box = 'Not Valid!'))
  add((x) => (x.board = 'pi-9'))
  add((x) => (x.unknownKey = 1))
  add((x) => (x.mqtt = { ...x.mqtt, url: 'http://wrong' }))
  add((x) => x.modems?.[0] && (x.modems[0].baudRate = 1234))
  add((x) => x.modems?.[0] && (x.modems[0].pollSeconds = 'ten'))
  add((x) => x.lines?.[0] && (x.lines[0].kind = 'fax'))
  add((x) => (x.lines = [...(x.lines ?? []), { id: 'x' }]))
  add((x) => (x.http = { port: 70000 }))
  add((x) => (x.silence = { testCalls: { perDay: -1 } }))
  add((x) => (x.uplinks = [{ id: 'u', interface: 'eth0', probes: { suspectTimeoutMs: 'soon' } }]))
  add((x) => (x.panel = { lamps: [{ id: 'a' }] }))
  return out
}

t.test('npm run build left a validator made from this schema', async (t) => {
  t.ok(existsSync(built), `${built.pathname} exists (npm run build writes it)`)
  const m = (await import(built.href)) as { schemaHash: string }
  t.equal(m.schemaHash, schemaHash(jsonSchema()), "it was made from the sources' schema")
})

t.test('the built validator judges as a runtime compile does: verdict, errors, defaults', async (t) => {
  const schema = jsonSchema()
  const pre = await generatedValidator(built, schemaHash(schema))
  t.ok(pre, 'the built validator is used')
  const runtime = new Ajv(AJV_OPTIONS).compile(schema)
  let invalid = 0
  for (const input of [...variants(example), ...variants(demo)]) {
    const a = structuredClone(input)
    const b = structuredClone(input)
    const okA = pre!(a)
    const okB = runtime(b)
    if (!okB) invalid++
    t.equal(okA, okB, 'same verdict')
    t.same(pre!.errors ?? null, runtime.errors ?? null, 'same errors')
    t.same(a, b, 'same defaults filled in')
  }
  t.ok(invalid >= 20, `the broken variants are broken (${invalid})`)
})

t.test('a validator made from another schema is not used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-check-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'check.generated.js')
  writeFileSync(file, 'export const schemaHash = "0"\nexport const validate = () => true\n')
  t.equal(await generatedValidator(pathToFileURL(file), schemaHash(jsonSchema())), null, 'another hash: compiled at run time instead')
  t.equal(await generatedValidator(pathToFileURL(join(dir, 'none.js')), 'x'), null, 'none there: compiled at run time')
})

/**
 * Only what a command or a config uses is loaded (issue 20): `linewatch route`, `passwd`, `token`, `validate`
 * and `schema` never load the firmware; a box without a GPIO panel, a Firmata board or a Modbus part never
 * requires johnny-five, firmata-io or modbus-serial. Seen from the module loader itself: a resolve hook that
 * writes every URL it resolves, and require's own cache.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'

const bin = new URL('../../bin/linewatch.js', import.meta.url).pathname
const HOOK = `
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  appendFileSync(process.env.LW_LOADED, r.url + '\\\\n')
  return r
}\`))
`

/** The URLs the ESM loader resolved while `linewatch ARGS` ran (tap's own hooks kept out). */
async function loadedBy(t: Test, args: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-lazy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'hook.mjs'), HOOK)
  const log = join(dir, 'loaded.txt')
  await writeFile(log, '')
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, '--import', join(dir, 'hook.mjs'), bin, ...args], { env: { ...process.env, LW_LOADED: log }, encoding: 'utf8', timeout: 60_000 })
  t.not(r.status, null, `linewatch ${args[0]} exited (${r.stderr.slice(-300)})`)
  return bundleInputs((await readFile(log, 'utf8')).split('\n').filter(Boolean))
}

/**
 * bin/linewatch.js runs the bundle (scripts/bundle.ts): a loaded file of dist/bundle/ stands for the modules
 * esbuild put in it, as its metafile lists them (paths from the repository), so the rules below see modules.
 */
function bundleInputs(urls: string[]): string[] {
  const repo = new URL('../../', import.meta.url).pathname
  const meta = JSON.parse(readFileSync(join(repo, 'dist/bundle/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }
  return urls.flatMap((u) => {
    const file = u.startsWith('file://') ? new URL(u).pathname : u
    const out = meta.outputs[file.slice(repo.length)]
    return out ? [file, ...Object.keys(out.inputs).map((i) => join(repo, i))] : [file]
  })
}

const FIRMWARE = [/\/dist\/src\/app\.js$/, /\/node_modules\/fastify\//, /\/node_modules\/mqtt\//, /\/node_modules\/serialport\//, /\/dist\/src\/modem\//]

t.test('the command line loads only its subcommand', async (t) => {
  const cases: [string[], RegExp[], RegExp][] = [
    [['route', '+74951234567', '--url', 'http://127.0.0.1:1'], [...FIRMWARE, /\/dist\/src\/config\//, /\/node_modules\/ajv\//], /\/dist\/src\/lcr\/cli\.js$/],
    // the bundle's validator was checked against the schema when it was built: no schema, no Ajv compiler at run time
    [['validate', new URL('../../examples/linewatch.yaml', import.meta.url).pathname], [...FIRMWARE, /\/dist\/src\/config\/schema\.js$/, /\/node_modules\/ajv\/dist\/compile\//, /\/node_modules\/@sinclair\/typebox\//], /\/dist\/src\/config\/validate\.js$/],
    [['schema'], [...FIRMWARE, /\/node_modules\/ajv\//], /\/dist\/src\/config\/schema\.js$/],
    [['--version'], [...FIRMWARE, /\/dist\/src\/config\//], /\/dist\/src\/main\.js$/],
  ]
  for (const [args, never, needed] of cases) {
    const loaded = await loadedBy(t, args)
    t.ok(loaded.some((u) => needed.test(u)), `linewatch ${args[0]}: the hook saw it load ${needed} (${loaded.length} modules)`)
    for (const re of never) t.notOk(loaded.some((u) => re.test(u)), `linewatch ${args[0]} does not load ${re}`)
  }
})

const required = () => Object.keys(createRequire(import.meta.url).cache)
const has = (name: string) => required().some((f) => f.includes(`/node_modules/${name}/`))

t.test('a box without a panel, Firmata or Modbus never requires their libraries; one with a panel does', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-lazy-box-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const base = `site: s\nbox: b\nboard: sim\nmodems: [{ id: gsm1, port: "sim:gsm1" }]\nlines: [{ id: gsm1, kind: gsm, modem: gsm1 }]\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp: { host: 127.0.0.1, port: 0, auth: none }\nstorage: { dir: "${dir}" }\n`
  const bare = new Box({ config: validateConfigText(base).config!, log: silentLogger() })
  await bare.start()
  await bare.stop()
  for (const lib of ['johnny-five', 'modbus-serial', 'firmata-io']) t.notOk(has(lib), `${lib} not required`)
  const panel = new Box({ config: validateConfigText(`${base}panel: { lamps: [{ id: system, source: system, green: 2, red: 3 }] }\n`).config!, log: silentLogger() })
  await panel.start()
  await panel.stop()
  t.ok(has('johnny-five'), 'johnny-five required once the config has a GPIO panel')
  t.notOk(has('modbus-serial'), 'modbus-serial still not required')
})

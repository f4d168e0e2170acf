/**
 * The reference in docs/ against the code it describes: every config key in
 * the published schema, every HTTP route the server registers, every MQTT
 * topic the box publishes or listens to, every CLI command and every demo
 * command is documented, in the one file that holds it. A key, route or
 * topic added without its line fails here, by name.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { HELP } from '../../src/sim/demo.js'

const root = join(import.meta.dirname, '..', '..')
const read = (p: string) => readFileSync(join(root, p), 'utf8')

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
  oneOf?: SchemaNode[]
}

/** Every property path in the schema: `modems[].powerKey.pin`. */
function keyPaths(node: SchemaNode, prefix = ''): string[] {
  const out: string[] = []
  const visit = (n: SchemaNode, at: string) => {
    for (const alt of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) visit(alt, at)
    if (n.items) visit(n.items, `${at}[]`)
    for (const [k, child] of Object.entries(n.properties ?? {})) {
      const p = at ? `${at}.${k}` : k
      out.push(p)
      visit(child, p)
    }
  }
  visit(node, prefix)
  return [...new Set(out)]
}

/** Documented: the whole path in backticks, or a line naming an ancestor in backticks and the key itself. */
function documented(path: string, lines: string[]): boolean {
  // the whole path, or (an object or list) its members under it: `modems[].id`
  if (lines.some((l) => l.includes(`\`${path}\``) || l.includes(`\`${path}.`) || l.includes(`\`${path}[]`))) return true
  const leaf = path.split('.').at(-1)!.replace(/\[\]$/, '')
  const parts = path.split('.')
  for (let i = parts.length - 1; i > 0; i--) {
    const ancestor = parts.slice(0, i).join('.')
    const word = new RegExp(`(^|[^A-Za-z0-9])\\.?${leaf}([^A-Za-z0-9]|$)`)
    if (lines.some((l) => l.includes(`\`${ancestor}`) && word.test(l.slice(l.indexOf(`\`${ancestor}`))))) return true
  }
  return false
}

t.test('every config key is in docs/configuration.md', async (t) => {
  const schema = JSON.parse(read('schema/linewatch.schema.json')) as SchemaNode
  const lines = read('docs/configuration.md').split('\n')
  const missing = keyPaths(schema).filter((p) => !documented(p, lines))
  t.same(missing, [], 'keys in the schema that docs/configuration.md does not name')
})

/** Routes as registered in the source: `app.get(...'/path'` and `app.post<…>('/path'`. */
function registeredRoutes(): string[] {
  const files = [...readdirSync(join(root, 'src/web')).map((f) => `src/web/${f}`), 'src/sim/demo.ts'].filter((f) => f.endsWith('.ts'))
  const out: string[] = []
  for (const f of files) {
    for (const m of read(f).matchAll(/app\.(get|post|put|delete)\b[^(]*?\(\s*['`](\/[^'`]*)['`]/g)) {
      // the demo's template `/api/v1/sim/${part}/:name/:action` stands for each part
      const paths = m[2]!.includes('${part}') ? ['modem', 'line', 'uplink'].map((p) => m[2]!.replace('${part}', p)) : [m[2]!]
      for (const p of paths) out.push(`${m[1]!.toUpperCase()} ${p.replace(/:(\w+)/g, '<$1>')}`)
    }
  }
  return out
}

t.test('every HTTP route is in docs/http.md', async (t) => {
  const routes = registeredRoutes()
  t.ok(routes.length >= 15, `found the routes (${routes.length})`)
  const doc = read('docs/http.md').replace(/<name>|<id>/g, '<x>')
  const missing = routes.filter((r) => !doc.includes(r.replace(/<name>|<id>/g, '<x>')))
  t.same(missing, [], 'routes the server registers that docs/http.md does not list')
})

t.test('every MQTT topic the box publishes or listens to is in docs/mqtt.md', async (t) => {
  const contract = read('src/report/topics.ts')
  const body = contract.slice(contract.indexOf('export interface TopicPayloads'), contract.indexOf('}\n', contract.indexOf('export interface TopicPayloads')))
  const published = [...body.matchAll(/^\s+(?:'([^']+)'|(\w+)):/gm)].map((m) => m[1] ?? m[2]!)
  const parts = [...body.matchAll(/\[\w+: `(\w+)\/\$\{string\}`\]/g)].map((m) => `${m[1]}/<id>`)
  // `+` is a line in pbx/+/report and a command's name in cmd/+
  const heard = [...read('src/app.ts').matchAll(/\.listen\('([^']+)'/g)].map((m) => m[1]!.replace(/^cmd\/\+$/, 'cmd/<name>').replace('+', '<line>'))
  const topics = [...published, ...parts, ...heard]
  t.ok(topics.length >= 14, `found the topics (${topics.length})`)
  const doc = read('docs/mqtt.md')
  t.same(topics.filter((x) => !doc.includes(`\`<base>/${x}\``)), [], 'topics that docs/mqtt.md does not list')
})

t.test('every CLI command is in docs/cli.md', async (t) => {
  const commands = [...read('src/main.ts').matchAll(/case '([a-z-]+)':/g)].map((m) => m[1]!)
  t.ok(commands.length >= 8, `found the commands (${commands.length})`)
  const doc = read('docs/cli.md')
  t.same(commands.filter((c) => !doc.includes(`\`linewatch ${c}`)), [], 'commands that docs/cli.md does not list')
})

t.test("docs/demo.md lists the demo's commands as `help` prints them", async (t) => {
  const doc = read('docs/demo.md')
  const lines = HELP.split('\n').slice(1).map((l) => l.replace(/^ {2}/, ''))
  t.ok(lines.length >= 20)
  t.same(lines.filter((l) => !doc.includes(l)), [], 'help lines missing from docs/demo.md')
})

t.test('the README stays a front page: short, the two commands first, every docs/ link alive', async (t) => {
  const readme = read('README.md')
  t.ok(readme.split('\n').length <= 150, `README is ${readme.split('\n').length} lines`)
  const firstBlock = readme.slice(readme.indexOf('```'), readme.indexOf('```', readme.indexOf('```') + 3))
  t.match(firstBlock, /npm install && npx linewatch demo/)
  t.match(firstBlock, /npm test/)
  const docs = new Set(readdirSync(join(root, 'docs')))
  const linked = [...readme.matchAll(/\(docs\/([\w.-]+)\)/g)].map((m) => m[1]!)
  t.same(linked.filter((f) => !docs.has(f)), [], 'links to files that do not exist')
  t.same([...docs].filter((f) => f.endsWith('.md') && !linked.includes(f)), [], 'docs the README does not link')
})

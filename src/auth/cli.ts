/**
 * `linewatch passwd` and `linewatch token`: web users and API tokens, set from
 * the console (or over SSH) on the box itself. They write the credentials file
 * in the state folder; the running box notices the change by itself.
 */
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/index.js'
import { resolveStateDir } from '../config/storage.js'
import { errorMessage } from '../core/errors.js'
import { Credentials } from './credentials.js'
import { isRole, ROLES, SCOPES } from './permissions.js'

export const PASSWD_USAGE = 'usage: linewatch passwd [USER] [--role viewer|operator|admin] [--remove] [--config FILE | --state DIR]'
export const TOKEN_USAGE = `usage: linewatch token add NAME --scope SCOPE[,SCOPE…] | list | revoke NAME  [--config FILE | --state DIR]
scopes: ${SCOPES.join(', ')}`

const stateOptions = { config: { type: 'string', short: 'c' }, state: { type: 'string' } } as const

/** The state folder: --state, else the config's storage.dir (a config that does not load still has one: the default). */
async function credentialsOf(values: { config?: string | undefined; state?: string | undefined }, defaultConfig: string): Promise<Credentials> {
  let dir = values.state
  if (!dir) {
    const configured = await loadConfig(values.config ?? defaultConfig).then((c) => c.storage.dir, () => undefined)
    dir = await resolveStateDir(configured)
  }
  return new Credentials(join(dir, 'credentials.json'))
}

/** A secret from the terminal without echo, or the first line of a pipe (scripts, the tests). */
async function readSecret(prompt: string, input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (!input.isTTY) {
    let text = ''
    for await (const chunk of input) {
      text += String(chunk)
      if (text.includes('\n')) break
    }
    return text.split(/\r?\n/)[0] ?? ''
  }
  process.stderr.write(prompt)
  const silent = new Writable({ write: (_c, _e, done) => done() })
  const rl = createInterface({ input, output: silent, terminal: true })
  const answer = await new Promise<string>((resolve) => rl.question('', resolve))
  rl.close()
  process.stderr.write('\n')
  return answer
}

export async function runPasswd(args: string[], defaultConfig: string, input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...stateOptions, role: { type: 'string' }, remove: { type: 'boolean', default: false } } })
  const user = positionals[0] ?? 'admin'
  if (positionals.length > 1 || (values.role !== undefined && !isRole(values.role))) {
    process.stderr.write(`${PASSWD_USAGE}\nroles: ${ROLES.join(', ')}\n`)
    return 2
  }
  const creds = await credentialsOf(values, defaultConfig)
  try {
    if (values.remove) {
      if (!(await creds.removeUser(user))) {
        process.stderr.write(`linewatch: no web user "${user}"\n`)
        return 1
      }
      process.stdout.write(`web user ${user} removed; their logins end now\n`)
      return 0
    }
    const existing = creds.users().find((u) => u.name === user)
    const role = (values.role ?? existing?.role ?? (user === 'admin' ? 'admin' : 'viewer')) as (typeof ROLES)[number]
    const password = await readSecret(`new web password for ${user}: `, input)
    if (input.isTTY && (await readSecret('again: ', input)) !== password) {
      process.stderr.write('linewatch: the two passwords differ; nothing changed\n')
      return 1
    }
    const made = await creds.setPassword(user, password, role, Date.now())
    process.stdout.write(`web password ${made ? 'set for the new user' : 'changed for'} ${user} (${role}); their other logins end now\n`)
    return 0
  } catch (err) {
    process.stderr.write(`linewatch: ${errorMessage(err)}\n`)
    return 1
  }
}

export async function runToken(args: string[], defaultConfig: string): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...stateOptions, scope: { type: 'string' }, json: { type: 'boolean', default: false } } })
  const [verb, name] = positionals
  const usable = (verb === 'add' && positionals.length === 2 && name && values.scope) || (verb === 'list' && positionals.length === 1) || (verb === 'revoke' && positionals.length === 2 && name)
  // a usage error changes nothing: not even the state folder is made
  if (!usable) {
    process.stderr.write(`${TOKEN_USAGE}\n`)
    return 2
  }
  const creds = await credentialsOf(values, defaultConfig)
  try {
    if (verb === 'add' && name && values.scope) {
      const token = await creds.addToken(name, values.scope.split(',').map((s) => s.trim()).filter(Boolean), Date.now())
      // the one time the token is shown: to stdout only, so `linewatch token add pbx --scope pbx > file` keeps it off the screen
      process.stdout.write(`${token}\n`)
      process.stderr.write(`token "${name}" made (${values.scope}); it is shown this once: keep it, the box stores only its hash\n`)
      return 0
    }
    if (verb === 'list') {
      const list = creds.tokens().map((t) => ({ name: t.name, scopes: t.scopes, createdAt: new Date(t.createdAt).toISOString() }))
      if (values.json) process.stdout.write(`${JSON.stringify(list)}\n`)
      else for (const t of list) process.stdout.write(`${t.name.padEnd(20)} ${t.scopes.join(',').padEnd(24)} made ${t.createdAt}\n`)
      return 0
    }
    // revoke
    if (!(await creds.revokeToken(name!))) {
      process.stderr.write(`linewatch: no token "${name}"\n`)
      return 1
    }
    process.stdout.write(`token "${name}" revoked: refused from now on\n`)
    return 0
  } catch (err) {
    process.stderr.write(`linewatch: ${errorMessage(err)}\n`)
    return 1
  }
}

import { knownTimeZone } from '../silence/week.js'
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve as resolvePath } from 'node:path'
import { resolveSecrets } from './secrets.js'
import type { ErrorObject } from 'ajv'
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { LinewatchError, ErrorCode, errorMessage } from '../core/errors.js'
import { bandRuleProblems } from '../lcr/bands.js'
import { pinClaims } from './pins.js'
import type { Config } from './schema.js'
import { checkConfig } from './check.js'
import { migrateDocument } from './migrate.js'

export interface ConfigProblem {
  /** e.g. `lines[1].kind`; empty for the whole file. */
  path: string
  message: string
  line: number | null
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path || '(file)'}: ${p.message}${p.line === null ? '' : ` (line ${p.line})`}`
}

export class ConfigError extends LinewatchError {
  readonly problems: ConfigProblem[]
  constructor(file: string, problems: ConfigProblem[]) {
    super(ErrorCode.CONFIG_INVALID, `${file}: ${problems.length} problem(s)\n` + problems.map(formatProblem).join('\n'), problems)
    this.problems = problems
  }
}


type Segment = string | number

/** A config is a few kilobytes; the commented example is under 20. */
export const MAX_CONFIG_BYTES = 1024 * 1024
/** Why a file over MAX_CONFIG_BYTES is not read: in bytes, so a file one byte over does not read as the limit itself. */
export const tooBig = (size: number): string => `the file is ${size} bytes; a config may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`
/** Aliases a config may use: a handful in practice; thousands only in a file made to explode when read. */
const MAX_ALIASES = 100

/** Parse and validate YAML text. Returns the config with defaults filled in, or the problems. */
export function validateConfigText(text: string): { config: Config; problems: [] } | { config: null; problems: ConfigProblem[] } {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  const lineAt = (offset: number | undefined) => (offset === undefined ? null : counter.linePos(offset).line)
  if (doc.errors.length > 0) {
    return { config: null, problems: doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: lineAt(e.pos[0]) })) }
  }
  // an older file's format is brought up to date in memory only: the file is rewritten by `linewatch config migrate`
  // or once an update is confirmed (migrate-file.ts), never while a fallback to the old system could still come
  const migrated = migrateDocument(doc)
  if ('problem' in migrated) return { config: null, problems: [{ path: 'configVersion', message: migrated.problem, line: lineOf(doc, ['configVersion'], lineAt) }] }
  let data: unknown
  try {
    // the yaml library refuses a file whose aliases expand without end (a "billion laughs"): say so, plainly
    // (the library refuses once its count reaches the limit: +1 lets exactly MAX_ALIASES through)
    data = doc.toJS({ maxAliasCount: MAX_ALIASES + 1 }) ?? {}
  } catch (err) {
    return { config: null, problems: [{ path: '', message: `YAML: refused: ${/alias/i.test(errorMessage(err)) ? `more than ${MAX_ALIASES} uses of aliases (*name), as in a file built to blow up when read` : errorMessage(err)}`, line: null }] }
  }
  if (!checkConfig(data)) {
    const problems = dedupe((checkConfig.errors ?? []).map((e) => problemFromAjv(e, doc, lineAt)))
    return { config: null, problems }
  }
  const problems = crossCheck(data).map(({ path, message }) => ({ path: pathText(path), message, line: lineOf(doc, path, lineAt) }))
  return problems.length > 0 ? { config: null, problems } : { config: data, problems: [] }
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string
  try {
    // a config is a few kilobytes: a larger file is a mistake (or an attack), not read into memory
    const size = (await stat(file)).size
    if (size > MAX_CONFIG_BYTES) throw new Error(tooBig(size))
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new LinewatchError(ErrorCode.CONFIG_UNREADABLE, `${file}: cannot read: ${errorMessage(err)}`)
  }
  return configFromText(text, dirname(resolvePath(file)), file)
}

/** A config's text checked, its secret files (named relative to `dir`) read: the config, or a ConfigError naming `label`. */
export async function configFromText(text: string, dir: string, label: string): Promise<Config> {
  const result = validateConfigText(text)
  if (result.config === null) throw new ConfigError(label, result.problems)
  const secrets = await resolveSecrets(result.config, dir)
  if (secrets.length) throw new ConfigError(label, secrets.map((p) => ({ ...p, line: null })))
  return result.config
}

function problemFromAjv(e: ErrorObject, doc: Document, lineAt: (o: number | undefined) => number | null): ConfigProblem {
  const base = pointerToSegments(e.instancePath)
  let path = base
  let message = e.message ?? 'is invalid'
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty)
      path = [...base, key]
      message = `unknown key "${key}"`
      break
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty)
      path = [...base, key]
      message = `missing required key "${key}"`
      // the key is absent: point at the object that lacks it
      return { path: pathText(path), message, line: lineOf(doc, base, lineAt) }
    }
    case 'enum':
      message = `must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')}`
      break
    case 'type':
      message = `must be ${String((e.params as { type: string | string[] }).type).replace(',', ' or ')}`
      break
  }
  return { path: pathText(path), message, line: lineOf(doc, path, lineAt) }
}

/** Checks a JSON Schema cannot express: unique ids, references between parts, pins used once. */
function crossCheck(c: Config): { path: Segment[]; message: string }[] {
  const out: { path: Segment[]; message: string }[] = []
  const ids = (key: 'modems' | 'lines' | 'uplinks' | 'lamps', list: { id: string }[], prefix: Segment[]) => {
    const seen = new Set<string>()
    list.forEach((p, i) => {
      if (seen.has(p.id)) out.push({ path: [...prefix, i, 'id'], message: `duplicate ${key.slice(0, -1)} id "${p.id}"` })
      seen.add(p.id)
    })
    return seen
  }
  const modems = ids('modems', c.modems, ['modems'])
  const lines = ids('lines', c.lines, ['lines'])
  const uplinks = ids('uplinks', c.uplinks, ['uplinks'])
  ids('lamps', c.panel.lamps, ['panel', 'lamps'])
  const ports = new Map<string, number>()
  c.modems.forEach((m, i) => {
    if (ports.has(m.port)) out.push({ path: ['modems', i, 'port'], message: `port "${m.port}" is already used by modems[${ports.get(m.port)}]` })
    else ports.set(m.port, i)
  })
  c.lines.forEach((l, i) => {
    if (l.modem !== undefined && !modems.has(l.modem)) out.push({ path: ['lines', i, 'modem'], message: `no modem with id "${l.modem}"` })
    if (l.kind === 'gsm' && l.modem === undefined) out.push({ path: ['lines', i], message: 'a gsm line needs "modem": the modem that carries it' })
  })
  const known = { line: lines, modem: modems, uplink: uplinks }
  const claim = pinClaims(c.board)
  const usePin = (pin: number | string, path: Segment[]) => {
    const problem = claim(pin, pathText(path))
    if (problem) out.push({ path, message: problem })
  }
  c.panel.lamps.forEach((lamp, i) => {
    if (lamp.source.includes('/')) {
      const [kind, id] = lamp.source.split('/') as ['line' | 'modem' | 'uplink', string]
      if (!known[kind].has(id)) out.push({ path: ['panel', 'lamps', i, 'source'], message: `no ${kind} with id "${id}"` })
    }
    usePin(lamp.green, ['panel', 'lamps', i, 'green'])
    usePin(lamp.red, ['panel', 'lamps', i, 'red'])
    if (lamp.amber !== undefined) usePin(lamp.amber, ['panel', 'lamps', i, 'amber'])
  })
  c.modems.forEach((m, i) => {
    if (m.powerKey) usePin(m.powerKey.pin, ['modems', i, 'powerKey', 'pin'])
    if (m.powerCut) usePin(m.powerCut.pin, ['modems', i, 'powerCut', 'pin'])
    // the next step would come while the key is still held (or the module still switching off)
    if (m.powerKey && m.bootWaitSeconds * 1000 <= m.powerKey.pulseMs + 2000) {
      out.push({ path: ['modems', i, 'bootWaitSeconds'], message: `must be longer than powerKey.pulseMs + 2 s (${(m.powerKey.pulseMs + 2000) / 1000} s)` })
    }
  })
  c.lines.forEach((l, i) => {
    if (l.sip && l.kind !== 'sip') out.push({ path: ['lines', i, 'sip'], message: `only a sip line is probed with SIP OPTIONS (this one is ${l.kind})` })
    if (l.analog && l.kind !== 'analog') out.push({ path: ['lines', i, 'analog'], message: `only an analog line has FXO inputs (this one is ${l.kind})` })
    for (const part of ['voltage', 'ring', 'divert'] as const) {
      const pin = l.analog?.[part]?.pin
      if (pin !== undefined) usePin(pin, ['lines', i, 'analog', part, 'pin'])
    }
    const divert = l.analog?.divert
    if (divert && (divert.pin === undefined) === (divert.modbus === undefined)) out.push({ path: ['lines', i, 'analog', 'divert'], message: 'needs either a pin or a modbus coil (one of them)' })
  })
  c.testCalls.fromModems.forEach((m, i) => {
    if (!known.modem.has(m)) out.push({ path: ['testCalls', 'fromModems', i], message: `no modem with id "${m}"` })
  })
  c.alerts.sms.modems.forEach((m, i) => {
    if (!known.modem.has(m)) out.push({ path: ['alerts', 'sms', 'modems', i], message: `no modem with id "${m}"` })
  })
  if (!knownTimeZone(c.timezone)) out.push({ path: ['timezone'], message: `unknown time zone "${c.timezone}" (an IANA name such as Europe/Moscow)` })
  c.silence.businessHours.forEach((h, i) => {
    if (h.from >= h.to) out.push({ path: ['silence', 'businessHours', i, 'to'], message: `must be after from (${h.from})` })
  })
  out.push(...uplinkChecks(c))
  out.push(...routingChecks(c, lines))
  if (c.panel.buzzer) usePin(c.panel.buzzer.pin, ['panel', 'buzzer', 'pin'])
  if (c.panel.button) usePin(c.panel.button.pin, ['panel', 'button', 'pin'])
  out.push(...panelChecks(c, ports))
  if (c.http.auth === 'none' && !isLoopback(c.http.host)) out.push({ path: ['http', 'auth'], message: `"none" is allowed only with a loopback http.host (127.0.0.1 or ::1), not "${c.http.host}": anyone on the network could silence the alarms and steer the calls` })
  return out
}

export function isLoopback(host: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(host) || host === '::1' || host === 'localhost'
}

/** The board's own settings, quiet hours, and the stack light: a lamp it can show, coils once, a port of its own. */
function panelChecks(c: Config, modemPorts: Map<string, number>): { path: Segment[]; message: string }[] {
  const out: { path: Segment[]; message: string }[] = []
  if (c.board === 'firmata' && !c.firmata) out.push({ path: ['firmata'], message: 'board: firmata needs firmata.port, the serial port of the Arduino or Pico (e.g. /dev/ttyACM0)' })
  if (c.board !== 'firmata' && c.firmata) out.push({ path: ['firmata'], message: `only used with board: firmata (the board is ${c.board})` })
  for (const p of bandRuleProblems(c.panel.quietHours.map((w, i) => ({ ...w, name: `quiet ${i + 1}` })))) out.push({ path: ['panel', 'quietHours'], message: p })
  const stack = c.panel.modbus
  if (stack) {
    if (stack.shows !== 'summary' && !c.panel.lamps.some((l) => l.id === stack.shows)) out.push({ path: ['panel', 'modbus', 'shows'], message: `no lamp with id "${stack.shows}" (summary, or one of panel.lamps)` })
    const coils = Object.entries(stack.coils)
    coils.forEach(([tier, coil], i) => {
      const other = coils.findIndex(([, c2]) => c2 === coil)
      if (other < i) out.push({ path: ['panel', 'modbus', 'coils', tier], message: `coil ${coil} is already the ${coils[other]![0]} coil` })
    })
    if (modemPorts.has(stack.port)) out.push({ path: ['panel', 'modbus', 'port'], message: `port "${stack.port}" is modems[${modemPorts.get(stack.port)}]'s` })
  }
  return out
}

/** Paths name lines and plans that exist; ids once; a bundle says how many minutes; one currency (costs are compared). */
function routingChecks(c: Config, lines: Set<string>): { path: Segment[]; message: string }[] {
  const out: { path: Segment[]; message: string }[] = []
  const r = c.routing
  const plans = new Set<string>()
  r.plans.forEach((p, i) => {
    if (plans.has(p.id)) out.push({ path: ['routing', 'plans', i, 'id'], message: `duplicate plan id "${p.id}"` })
    plans.add(p.id)
    if (p.currency !== r.plans[0]!.currency) out.push({ path: ['routing', 'plans', i, 'currency'], message: `every plan must be in one currency (${r.plans[0]!.currency}): their costs are compared` })
    p.bundles.forEach((b, j) => {
      if (!b.unlimited && b.minutes === undefined) out.push({ path: ['routing', 'plans', i, 'bundles', j], message: 'needs "minutes", or "unlimited: true"' })
    })
    p.bands.forEach((b, j) => {
      if (b.from >= b.to) out.push({ path: ['routing', 'plans', i, 'bands', j, 'to'], message: `must be after from (${b.from}); split a band that crosses midnight in two` })
    })
  })
  const paths = new Set<string>()
  r.paths.forEach((p, i) => {
    if (paths.has(p.id)) out.push({ path: ['routing', 'paths', i, 'id'], message: `duplicate path id "${p.id}"` })
    paths.add(p.id)
    if (!lines.has(p.line)) out.push({ path: ['routing', 'paths', i, 'line'], message: `no line with id "${p.line}"` })
    if (!plans.has(p.plan)) out.push({ path: ['routing', 'paths', i, 'plan'], message: `no plan with id "${p.plan}"` })
    if (!/\{(e164|digits|national)\}/.test(p.dial)) out.push({ path: ['routing', 'paths', i, 'dial'], message: 'must contain {e164}, {digits} or {national}: where the number goes' })
  })
  if (r.baselinePath !== undefined && !paths.has(r.baselinePath)) out.push({ path: ['routing', 'baselinePath'], message: `no path with id "${r.baselinePath}" (paths: ${[...paths].join(', ') || 'none'})` })
  return out
}

/** What each probe type needs, one interface per uplink, a gateway where the box sets routes, and one preference each. */
function uplinkChecks(c: Config): { path: Segment[]; message: string }[] {
  const out: { path: Segment[]; message: string }[] = []
  const needs = { icmp: ['host'], tcp: ['host', 'port'], http: ['url'], dns: ['host'] } as const
  const interfaces = new Map<string, number>()
  const preferences = new Map<number, number>()
  // 253–255 are the kernel's default, main and local tables
  if (c.failover.table + c.uplinks.length - 1 > 252) out.push({ path: ['failover', 'table'], message: `with ${c.uplinks.length} uplinks, at most ${253 - c.uplinks.length} (tables 253–255 are the system's)` })
  c.uplinks.forEach((u, i) => {
    const at = (...rest: Segment[]): Segment[] => ['uplinks', i, ...rest]
    if (interfaces.has(u.interface)) out.push({ path: at('interface'), message: `interface "${u.interface}" is already used by uplinks[${interfaces.get(u.interface)}]` })
    else interfaces.set(u.interface, i)
    if (u.preference !== undefined) {
      if (preferences.has(u.preference)) out.push({ path: at('preference'), message: `preference ${u.preference} is already used by uplinks[${preferences.get(u.preference)}]` })
      else preferences.set(u.preference, i)
    }
    if (c.failover.routes === 'metrics' && !u.gateway) out.push({ path: at('gateway'), message: 'needed when failover.routes is "metrics" (the box sets the default route through it); or set failover.routes to "report"' })
    if (u.interface.startsWith('sim:') !== c.uplinks[0]!.interface.startsWith('sim:')) out.push({ path: at('interface'), message: 'simulated (sim:) and real uplinks cannot be mixed' })
    u.probes.targets.forEach((t, j) => {
      for (const key of needs[t.type]) if (t[key] === undefined) out.push({ path: at('probes', 'targets', j), message: `a ${t.type} probe needs "${key}"` })
    })
    if (u.probes.failWhen !== undefined && u.probes.failWhen > u.probes.targets.length) {
      out.push({ path: at('probes', 'failWhen'), message: `at most the number of targets (${u.probes.targets.length})` })
    }
    if (u.probes.timeoutMs > u.probes.everyMs) out.push({ path: at('probes', 'timeoutMs'), message: `at most probes.everyMs (${u.probes.everyMs}): a round must end before the next starts` })
    if (u.thresholds.recoverMos < u.thresholds.degradedMos) out.push({ path: at('thresholds', 'recoverMos'), message: `at least degradedMos (${u.thresholds.degradedMos})` })
    if (u.thresholds.upLossPct >= u.thresholds.downLossPct) out.push({ path: at('thresholds', 'upLossPct'), message: `below downLossPct (${u.thresholds.downLossPct})` })
  })
  return out
}

function pointerToSegments(pointer: string): Segment[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

export function pathText(path: Segment[]): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '')
}

/** The line of the deepest YAML node that exists along the path (a key's own line when the path ends at a key). */
function lineOf(doc: Document, path: Segment[], lineAt: (o: number | undefined) => number | null): number | null {
  let node: unknown = doc.contents
  let line = lineAt((doc.contents as Node | null)?.range?.[0]) ?? 1
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg)
      if (!pair) break
      line = lineAt((pair.key as Node).range?.[0]) ?? line
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (!item) break
      line = lineAt(item.range?.[0]) ?? line
      node = item
    } else break
  }
  return line
}

/** One problem per line of output; a wrong type says it all, so other complaints about that value go. */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>()
  const wrongType = new Set(problems.filter((p) => p.message.startsWith('must be ') && !p.message.startsWith('must be one of')).map((p) => p.path))
  return problems.filter((p) => {
    if (wrongType.has(p.path) && p.message.startsWith('must be one of')) return false
    const k = formatProblem(p)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}


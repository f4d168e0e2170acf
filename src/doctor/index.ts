import { ConfigError, loadConfig, resolveStateDir, type Config } from '../config/index.js'
import { systemClock } from '../core/clock.js'
import { officeConfig } from '../config/reload.js'
import { errorMessage } from '../core/errors.js'
import { SerialOpener } from '../hw/serial.js'
import { SimBinding, modbusOpener, simulatorFor, type SimGateway } from '../sim/binding.js'
import { checkClock, checkGpio, checkHeadroom, checkModbus, checkModem, checkMqtt, checkHttps, checkUplinks, checkWebLogin, type CheckResult } from './checks.js'

export type { CheckResult } from './checks.js'

export interface DoctorOptions {
  file: string
  /** The simulated gateway for `sim:` ports (tests set its faults); made from the config when not given. */
  simulator?: SimGateway | null
  /** Per-step limits, ms (AT answers; the broker). */
  timeoutMs?: number
}

/** Every check, in the order an installer would fix things. Never throws: a check that breaks is a finding. */
export async function runChecks(opts: DoctorOptions): Promise<CheckResult[]> {
  let config: Config
  try {
    config = await loadConfig(opts.file)
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.problems.map((p) => ({ check: 'config', status: 'fail' as const, detail: `${p.path || '(file)'}: ${p.message}`, fix: `edit ${opts.file}${p.line === null ? '' : ` at line ${p.line}`}; linewatch validate ${opts.file} checks it again` }))
    }
    return [{ check: 'config', status: 'fail', detail: errorMessage(err), fix: `write the config at ${opts.file} (or give --config FILE); examples/linewatch.yaml is a commented start` }]
  }
  const out: CheckResult[] = [{ check: 'config', status: 'ok', detail: `${opts.file} is valid` }]
  // the box runs on the config the office sent while it is newer than the installer's file: check that one
  const office = await officeConfig(opts.file, config).catch(() => null)
  if (office && 'config' in office) {
    config = office.config
    out.push({ check: 'config', status: 'ok', detail: `the box runs on the config the office sent (reload-config), ${office.path}: valid` })
  } else if (office) {
    out.push({ check: 'config', status: 'warn', detail: `the config the office sent, ${office.path}, does not load (${office.error}): the box runs on ${opts.file}`, fix: 'send a good one with reload-config, or remove that file' })
  }
  const sim = opts.simulator === undefined ? simulatorFor(config, systemClock) : opts.simulator
  const opener = new SerialOpener(sim ? new SimBinding(sim) : null)
  const guard = async (check: string, fn: () => Promise<CheckResult[]> | CheckResult[]): Promise<CheckResult[]> => {
    try {
      return await fn()
    } catch (err) {
      return [{ check, status: 'fail', detail: `the check itself failed: ${errorMessage(err)}`, fix: 'report this with the output of linewatch doctor --json' }]
    }
  }
  for (const m of config.modems) out.push(...(await guard(`modem ${m.id}`, () => checkModem(m, opener, opts.timeoutMs))))
  out.push(...(await guard('gpio', () => checkGpio(config))))
  out.push(...(await guard('modbus', () => checkModbus(config, modbusOpener(sim)))))
  out.push(...(await guard('mqtt', async () => [await checkMqtt(config, opts.timeoutMs)])))
  out.push(...(await guard('uplinks', () => checkUplinks(config))))
  out.push(checkClock())
  const stateDir = await resolveStateDir(config.storage.dir)
  out.push(...(await guard('web login', () => [checkWebLogin(config, stateDir)])))
  out.push(...(await guard('https', async () => [await checkHttps(config, stateDir)])))
  out.push(...(await guard('disk', async () => checkHeadroom(stateDir))))
  return out
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const

export function formatTable(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length))
  const lines = results.map((r) => `${MARK[r.status]}  ${r.check.padEnd(width)}  ${r.detail}${r.fix ? `\n${' '.repeat(width + 8)}→ ${r.fix}` : ''}`)
  const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length
  lines.push('', `${n('ok')} ok, ${n('warn')} warnings, ${n('fail')} failed${n('skip') ? `, ${n('skip')} skipped` : ''}`)
  return lines.join('\n')
}

/** Exit code: 1 when anything failed (warnings pass). */
export function exitCode(results: CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0
}

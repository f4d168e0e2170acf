/** The installer's tools: `linewatch validate`, `doctor` and `firstboot` (each loads only its own part). */
import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, formatProblem } from '../config/index.js'
import { errorMessage } from '../core/errors.js'
import { DEFAULT_CONFIG } from './defaults.js'

export async function validate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
  const file = positionals[0]
  if (!file || positionals.length > 1) {
    process.stderr.write('usage: linewatch validate FILE\n')
    return 2
  }
  try {
    await loadConfig(file)
    process.stdout.write(`${file}: ok\n`)
    // an older format is fine to run on; say how the file itself is brought up to date
    const note = await (await import('../config/migrate-file.js')).fileMigrationNote(file)
    if (note) process.stdout.write(`${note}\n`)
    return 0
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${file}: ${formatProblem(p)}\n`)
      return 1
    }
    process.stderr.write(`${errorMessage(err)}\n`)
    return 1
  }
}

/** The installer's files on the boot partition, applied (linewatch-firstboot.service); one line each to the journal. */
export async function firstboot(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { boot: { type: 'string', default: '/boot/firmware' }, etc: { type: 'string', default: '/etc' }, state: { type: 'string' } } })
  const run = (cmd: string, a: string[], input?: string) =>
    new Promise<number>((res) => {
      const child = spawn(cmd, a, { stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] })
      child.once('error', () => res(127))
      child.once('exit', (code) => res(code ?? 1))
      if (input !== undefined) child.stdin!.end(input)
    })
  // a boot partition that is not there is not "nothing to apply"
  if (!(await stat(values.boot!).then((st) => st.isDirectory(), () => false))) {
    process.stderr.write(`${values.boot}: no such folder (is the boot partition mounted?)\n`)
    return 1
  }
  const { applyBootFiles, HTTPS_STEP } = await import('../firstboot/apply.js')
  const applied = await applyBootFiles(values.boot!, { etc: values.etc!, state: values.state, run })
  for (const a of applied) process.stdout.write(`${a.file === HTTPS_STEP ? 'https' : `${values.boot}/${a.file}`}: ${a.action}\n`)
  if (applied.length === 0) process.stdout.write(`${values.boot}: nothing to apply\n`)
  return applied.every((a) => a.ok) ? 0 : 1
}

export async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG }, json: { type: 'boolean', default: false } } })
  const { exitCode, formatTable, runChecks } = await import('../doctor/index.js')
  const results = await runChecks({ file: values.config! })
  process.stdout.write(`${values.json ? JSON.stringify({ ok: exitCode(results) === 0, checks: results }, null, 2) : formatTable(results)}\n`)
  return exitCode(results)
}

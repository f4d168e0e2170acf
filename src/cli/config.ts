/** `linewatch config migrate [--config FILE]`: an older config file rewritten in the current format (docs/cli.md). */
import { parseArgs } from 'node:util'
import { DEFAULT_CONFIG } from './defaults.js'

type Out = { write(s: string): unknown }

export async function config(args: string[], out: Out = process.stdout, err: Out = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG } } })
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    err.write('usage: linewatch config migrate [--config FILE]\n')
    return 2
  }
  const file = values.config!
  const { migrateConfigFile } = await import('../config/migrate-file.js')
  const r = await migrateConfigFile(file)
  switch (r.outcome) {
    case 'current':
      out.write(`${file}: configVersion ${r.version}, the current format: nothing to do\n`)
      return 0
    case 'migrated':
      for (const s of r.steps) out.write(`${file}: ${s}\n`)
      out.write(`${file}: migrated from configVersion ${r.from} to ${r.to}; the old file is kept as ${r.backup}\n`)
      return 0
    case 'refused':
      for (const p of r.problems) err.write(`${file}: ${p}\n`)
      return 1
  }
}

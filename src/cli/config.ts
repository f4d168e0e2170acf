/** `linewatch config migrate [--config FILE]`: an older config file rewritten in the current format (docs/cli.md). */
import { parseArgs } from 'node:util'
import { DEFAULT_CONFIG } from './defaults.js'

export async function config(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG } } })
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    process.stderr.write('usage: linewatch config migrate [--config FILE]\n')
    return 2
  }
  const file = values.config!
  const { migrateConfigFile } = await import('../config/migrate-file.js')
  const r = await migrateConfigFile(file)
  switch (r.outcome) {
    case 'current':
      process.stdout.write(`${file}: configVersion ${r.version}, the current format: nothing to do\n`)
      return 0
    case 'migrated':
      for (const s of r.steps) process.stdout.write(`${file}: ${s}\n`)
      process.stdout.write(`${file}: migrated from configVersion ${r.from} to ${r.to}; the old file is kept as ${r.backup}\n`)
      return 0
    case 'refused':
      for (const p of r.problems) process.stderr.write(`${file}: ${p}\n`)
      return 1
  }
}

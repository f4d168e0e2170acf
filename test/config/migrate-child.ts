/**
 * For test/config/migrate.test.ts: migrates FILE with the test's migration and stops at STEP (backup|temp)
 * until it is killed, as a power cut would stop it. `node --import <tap's ts loader> migrate-child.ts FILE STEP`
 */
import { migrateConfigFile } from '../../src/config/migrate-file.js'
import { renameKey } from '../../src/config/migrate.js'

const [file, at] = process.argv.slice(2)
await migrateConfigFile(file!, {
  current: 2,
  migrations: [{ to: 2, what: 'alerts.language renamed alerts.lang', apply: (d) => renameKey(d, ['alerts', 'language'], 'lang') }],
  check: () => [],
  step: async (what) => {
    if (what !== at) return
    process.stdout.write(`${what}\n`)
    await new Promise(() => {}) // held here until SIGKILL
  },
})
process.stdout.write('done\n')

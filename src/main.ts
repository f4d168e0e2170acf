/**
 * The `linewatch` command. Each subcommand imports only what it needs (issue 20): `route`, `passwd` and
 * `token` must not pay for the firmware (the PBX runs `route` per call), `validate` and `schema` not for
 * the drivers; only `run` and `demo` load the box.
 */
import { ErrorCode, errorMessage, hasCode, LinewatchError } from './core/errors.js'
import { VERSION } from './core/version.js'
import { DEFAULT_CONFIG } from './cli/defaults.js'

export { DEFAULT_CONFIG }

const USAGE = `linewatch ${VERSION} — call-center line watch box

usage:
  linewatch run [--config FILE]           run the box (default config ${DEFAULT_CONFIG})
  linewatch demo [--mqtt-url URL] [--http-port N] [--http-host H]
                                          the whole box on simulated hardware, page on http://127.0.0.1:8080
  linewatch validate FILE                 check a config; exit 1 with "path: message (line N)" per problem
  linewatch config migrate [--config FILE]
                                          rewrite an older config file in this version's format (the old one
                                          kept as FILE.v<N>)
  linewatch firstboot [--boot DIR] [--etc DIR] [--state DIR]
                                          apply the installer's files on the boot partition (factory reset,
                                          linewatch.yaml, admin and web passwords, Wi-Fi, SSH key, host name);
                                          secrets are removed from it
  linewatch doctor [--config FILE] [--json]
                                          check everything an installer can get wrong (config, modems and SIMs,
                                          GPIO, Modbus, MQTT, uplinks, clock, disk), each with its fix; exit 1 on a failure
  linewatch sim modem --port PATH [--personality quectel|simcom|huawei] [--baud N]
                                          a simulated module on a serial device (e.g. one end of a socat pty pair)
  linewatch sim day [--seed N] [--fault deaf|cut] [--at HH:MM] [--json]
                                          a scripted day at a store on the simulated clock: line 1 dies at 11:40;
                                          when each detector fired, without and with four weeks of history
  linewatch route NUMBER [--url URL] [--token T] [--json]
                                          ask the running box which paths a call to NUMBER takes, cheapest first
  linewatch passwd [USER] [--role viewer|operator|admin] [--remove]
                                          set a web user's password (default user admin), from the terminal or
                                          the first line of stdin; --remove deletes the user
  linewatch token add NAME --scope S[,S…] | list | revoke NAME
                                          API tokens: made with scopes (read, metrics, route, report, operate, admin,
                                          pbx, viewer, operator), shown once, stored hashed; revoked at once
                                          (passwd and token take [--config FILE | --state DIR])
  linewatch update FILE [--force] [--no-reboot] [--json]
                                          install a signed bundle into the other root slot and reboot to try it
                                          once (as root; docs/updates.md); --status: the boot state
  linewatch schema                        print the config's JSON Schema
  linewatch --version | --help

exit codes: 0 ok, 1 a config problem or a failure at start, 2 a usage error`

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return command ? 0 : 2
  }
  // `linewatch run --help`: the usage, not "Unknown option"
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  try {
    switch (command) {
      case 'validate':
        return await (await import('./cli/tools.js')).validate(rest)
      case 'config':
        return await (await import('./cli/config.js')).config(rest)
      case 'schema':
        if (rest.length > 0) {
          process.stderr.write('usage: linewatch schema\n')
          return 2
        }
        process.stdout.write(`${JSON.stringify((await import('./config/schema.js')).jsonSchema(), null, 2)}\n`)
        return 0
      case 'run':
        return await (await import('./cli/run.js')).run(rest)
      case 'demo':
        return await (await import('./cli/sim.js')).demo(rest)
      case 'sim':
        return await (await import('./cli/sim.js')).sim(rest)
      case 'route':
        return await (await import('./lcr/cli.js')).runRoute(rest)
      case 'doctor':
        return await (await import('./cli/tools.js')).doctor(rest)
      case 'firstboot':
        return await (await import('./cli/tools.js')).firstboot(rest)
      case 'passwd':
        return await (await import('./auth/cli.js')).runPasswd(rest, DEFAULT_CONFIG)
      case 'token':
        return await (await import('./auth/cli.js')).runToken(rest, DEFAULT_CONFIG)
      case 'update':
        return await (await import('./cli/update.js')).update(rest)
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`)
        return 2
    }
  } catch (err) {
    // a ConfigError is a LinewatchError with this code: told by code, so that this file need not load the config's validator
    if (hasCode(err, ErrorCode.CONFIG_INVALID) || hasCode(err, ErrorCode.CONFIG_UNREADABLE)) {
      process.stderr.write(`${(err as Error).message}\n`)
      return 1
    }
    const errno = err as NodeJS.ErrnoException & { address?: string; port?: number }
    if (errno.code === 'EADDRINUSE' || errno.code === 'EACCES' || errno.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`linewatch: cannot listen on ${errno.address ?? ''}:${errno.port ?? ''}: ${errno.code}\n`)
      return 1
    }
    // node:util parseArgs: an unknown option, a missing value, an argument too many
    if (err instanceof LinewatchError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`linewatch: ${errorMessage(err)}\n`)
      return 2
    }
    throw err
  }
}

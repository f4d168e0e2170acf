/**
 * `linewatch update` (docs/updates.md, docs/cli.md): install a signed bundle into the other root slot,
 * show the boot state, or (linewatch-update-confirm.service) confirm a trial boot or reboot to fall back.
 */
import { spawnSync } from 'node:child_process'
import { access, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/index.js'
import { resolveStateDir } from '../config/storage.js'
import { errorMessage } from '../core/errors.js'
import { DEFAULT_CONFIG } from './defaults.js'
import { VERSION } from '../core/version.js'
import { BootStateFile, type Slot } from '../update/boot-state.js'
import { loadPublicKey } from '../update/bundle.js'
import { ProgressFile, type ProgressFileRecord } from '../update/progress-file.js'
import { HANDOFF_PROGRESS, HANDOFF_UNIT, handOff, here, shouldHandOff, type HandOffWhere, type ProgressRecord } from '../update/hand-off.js'
import { install, UpdateError, type ProgressEvent } from '../update/install.js'
import { FILES, updateDir } from '../update/service.js'
import { BOOT_DIR, imageBoard, LOCK, PUBLIC_KEY, runningKernel, runningSlot, slotDevice } from '../update/paths.js'

const USAGE = `usage: linewatch update FILE [--force] [--no-reboot] [--json] [--progress-file F] [--config FILE | --state DIR] [--foreground]
       linewatch update --request STATE/update/request.json | --boot-file /boot/firmware/linewatch-update.lwb
       linewatch update --status
       linewatch update --confirm-boot [--config FILE]
  (paths, for tests and unusual cards: --boot DIR --slot-a DEV --slot-b DEV --running a|b --key PUB --board B --kernel K --lock F)`

const MB = 1024 * 1024

/** --state, else the config's storage.dir, else the default (a config that does not load still has one). */
export async function stateDirOf(state: string | undefined, config: string | undefined): Promise<string> {
  if (state) return resolveStateDir(state)
  const configured = await loadConfig(config ?? DEFAULT_CONFIG).then((c) => c.storage.dir, () => undefined)
  return resolveStateDir(configured)
}

/**
 * Console progress: a line per stage and per 10 % of a long stage (a serial console is slow); the end
 * record of a progress file (a handed-off update's) as its message.
 */
export function progressPrinter(out: (s: string) => void, json: boolean): (p: ProgressRecord) => void {
  let last = { stage: '', step: -1 }
  return (p) => {
    if ('message' in p) {
      if (json) out(`${JSON.stringify(p)}\n`)
      else out(`${p.carried?.length ? `carried: ${p.carried.join(', ')}\n` : ''}${p.message}\n`)
      return
    }
    const step = Math.floor(p.percent / 10)
    if (p.stage === last.stage && step === last.step) return
    last = { stage: p.stage, step }
    if (json) out(`${JSON.stringify(p)}\n`)
    else out(`${p.stage.padEnd(8)} ${String(p.percent).padStart(3)} %${p.total > 1 ? `  ${(p.done / MB).toFixed(1)}/${(p.total / MB).toFixed(1)} MB` : ''}\n`)
  }
}

/** Where `update` runs and how it reaches systemd; tests give their own. */
export interface UpdateDeps {
  where?: HandOffWhere
  systemdRun?: string
  self?: string[]
}

export async function update(args: string[], deps: UpdateDeps = {}): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      tokens: true,
      options: {
        force: { type: 'boolean', default: false },
        foreground: { type: 'boolean', default: false },
        'no-reboot': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        'confirm-boot': { type: 'boolean', default: false },
        request: { type: 'string' },
        'boot-file': { type: 'string' },
        config: { type: 'string' },
        state: { type: 'string' },
        'progress-file': { type: 'string' },
        boot: { type: 'string', default: BOOT_DIR },
        'slot-a': { type: 'string', default: slotDevice('a') },
        'slot-b': { type: 'string', default: slotDevice('b') },
        running: { type: 'string' },
        key: { type: 'string', default: PUBLIC_KEY },
        board: { type: 'string' },
        kernel: { type: 'string' },
        lock: { type: 'string', default: LOCK },
      },
    })
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${USAGE}\n`)
    return 2
  }
  const { values: v, positionals, tokens } = parsed
  const slots: Record<Slot, string> = { a: v['slot-a']!, b: v['slot-b']! }
  if (v.running !== undefined && v.running !== 'a' && v.running !== 'b') {
    process.stderr.write(`--running must be a or b\n${USAGE}\n`)
    return 2
  }
  if (v.status) {
    process.stdout.write(`${JSON.stringify({ running: (v.running as Slot | undefined) ?? (await runningSlot(slots)), state: await new BootStateFile(v.boot!).read() }, null, 2)}\n`)
    return 0
  }
  if (v['confirm-boot']) {
    const { confirmBoot } = await import('../update/confirm-cli.js')
    return confirmBoot({ boot: v.boot!, running: (v.running as Slot | undefined) ?? (await runningSlot(slots)), config: v.config, state: v.state })
  }
  // linewatch-update.service: a request the box left in the state folder (the office's command, the page)
  let file = positionals[0]
  let force = v.force!
  let progressFile = v['progress-file']
  if (v.request) {
    const req = await readFile(v.request, 'utf8').then((t) => JSON.parse(t) as { file?: unknown; force?: unknown }, () => null)
    // taken away first: a request that fails is not run again at every boot
    await rm(v.request, { force: true })
    if (!req || typeof req.file !== 'string') {
      process.stderr.write(`update: no readable request in ${v.request}\n`)
      return 1
    }
    file = req.file
    force = req.force === true
    progressFile ??= join(dirname(v.request), 'progress.json')
  }
  // linewatch-update-bootfile.path: a bundle the installer put on the boot partition (or a stick), renamed
  // first so that a bundle that fails, or falls back, is not tried again at every boot
  if (v['boot-file']) {
    const tried = `${v['boot-file']}.tried`
    try {
      await rename(v['boot-file'], tried)
    } catch (err) {
      process.stderr.write(`update: ${errorMessage(err)}\n`)
      return 1
    }
    file = tried
  }
  if (!file || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  if (!v.request && !v['boot-file'] && !v.foreground && shouldHandOff(deps.where ?? here())) {
    const abs = resolve(file)
    try {
      await access(abs)
    } catch (err) {
      process.stderr.write(`update: ${errorMessage(err)}\n`)
      return 1
    }
    // in the state folder where the box reads it (the page and MQTT then show the update), if the box made it
    const boxDir = updateDir(await stateDirOf(v.state, v.config))
    const progress = progressFile ?? ((await access(boxDir).then(() => true, () => false)) ? join(boxDir, FILES.progress) : HANDOFF_PROGRESS)
    const at = tokens.find((k) => k.kind === 'positional')?.index
    const rest = args.filter((_, i) => i !== at)
    const code = await handOff({
      args: [abs, ...rest, ...(progressFile ? [] : ['--progress-file', progress])],
      self: deps.self ?? [process.execPath, ...process.execArgv, process.argv[1]!],
      systemdRun: deps.systemdRun,
      progressFile: progress,
      print: progressPrinter((s) => process.stdout.write(s), v.json!),
      out: (s) => process.stderr.write(s),
    })
    if (code !== 0) process.stderr.write(`update: ${HANDOFF_UNIT}.service ended with ${code} (journalctl -u ${HANDOFF_UNIT})\n`)
    return code
  }
  const print = progressPrinter((s) => process.stdout.write(s), v.json!)
  const out = progressFile ? new ProgressFile(progressFile) : null
  const toFile = <T extends ProgressFileRecord>(p: T) => out?.put(p)
  const written = () => out?.flushed()
  const running = (v.running as Slot | undefined) ?? (await runningSlot(slots))
  if (!running) {
    // in the progress file too: a handed-off update's follower prints it, the box publishes it
    const message = 'update: cannot tell which slot runs (not an A/B card?); say it with --running a|b'
    toFile({ stage: 'failed', ok: false, message })
    await written()
    process.stderr.write(`${message}\n`)
    return 1
  }
  try {
    const publicKey = loadPublicKey(await readFile(v.key!))
    // the token the new system's confirmation asks /api/v1/health with (the state folder is on the data
    // partition both slots mount); made first, so a box that cannot make it is not left trying a system
    // it could never confirm
    const { makeConfirmToken } = await import('../update/confirm-cli.js')
    await makeConfirmToken(await stateDirOf(v.state, v.config))
    const done = await install(file, {
      publicKey,
      box: { version: VERSION, board: v.board ?? (await imageBoard()), kernel: v.kernel ?? (await runningKernel()) },
      bootDir: v.boot!,
      slots,
      running,
      lockPath: v.lock!,
      force,
      onProgress: (p) => (print(p), toFile(p)),
    })
    const msg = `linewatch ${done.manifest.version} written to slot ${done.slot}, to be tried at the next boot`
    if (done.carried.length) process.stdout.write(`carried into slot ${done.slot}: ${done.carried.join(', ')}\n`)
    toFile({ stage: 'done', done: 1, total: 1, percent: 100, ok: true, message: msg, carried: done.carried })
    await written()
    process.stdout.write(`${msg}\n`)
    // a downloaded bundle is not kept: the data partition is for the box's state
    if (v.request) await rm(file, { force: true })
    if (v['no-reboot']) return 0
    process.stdout.write('rebooting\n')
    const r = spawnSync('systemctl', ['reboot'], { stdio: 'inherit' })
    return r.status === 0 ? 0 : 1
  } catch (err) {
    const stage = err instanceof UpdateError ? err.stage : 'error'
    const message = `update refused at ${stage}: ${errorMessage(err)}`
    toFile({ stage, ok: false, message })
    await written()
    process.stderr.write(`${message}\n`)
    return 1
  }
}

/**
 * `linewatch doctor`: one check per thing an installer can get wrong, each
 * with what was found and, when it is wrong, the fix in plain words. Checks
 * touch the hardware the way the box would (open the port, ask AT, request
 * the GPIO line) and let go at once.
 */
import { readFile, statfs } from 'node:fs/promises'
import { storageProblem } from '../core/storage-watch.js'
import { fingerprintOf, httpsWanted } from '../web/tls.js'
import { join } from 'node:path'
import { Credentials } from '../auth/credentials.js'
import { freemem, totalmem } from 'node:os'
import { spawnSync } from 'node:child_process'
import mqtt from 'mqtt'
import { brokerAuth } from '../report/mqtt-options.js'
import type { Config } from '../config/schema.js'
import { systemClock } from '../core/clock.js'
import { ErrorCode, errorMessage, hasCode } from '../core/errors.js'
import { loadBoardMap, resolvePin } from '../hw/board-maps.js'
import { isPiBoard } from '../hw/boards.js'
import type { GpioChip } from '../hw/io/gpio-chip.js'
import { openKernelChip } from '../hw/gpio.js'
import { ModbusCoils, type LinkOpener } from '../hw/modbus-coils.js'
import { closePort, openFailureReason, type SerialOpener } from '../hw/serial.js'
import { AtEngine } from '../modem/engine.js'
import { parseCpin, parseCreg, parseCsq } from '../modem/parse.js'
import { probeTarget } from '../uplinks/monitor.js'
import { describeTarget, interfaceAddress, probe, type Prober } from '../uplinks/probes.js'

export type Status = 'ok' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  check: string
  status: Status
  detail: string
  /** What to do about it (for warn and fail). */
  fix?: string
}

const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail })
const bad = (status: 'warn' | 'fail', check: string, detail: string, fix: string): CheckResult => ({ check, status, detail, fix })

/** Below this CSQ (-93 dBm) calls break up: worth a better antenna spot. */
const WEAK_CSQ = 10

/** A modem: the port opens, it answers AT, the SIM is ready, it is registered, with signal. */
export async function checkModem(m: Config['modems'][number], opener: SerialOpener, timeoutMs = 3000): Promise<CheckResult[]> {
  const name = `modem ${m.id}`
  let port
  try {
    port = await opener.open(m.port, m.baudRate)
  } catch (err) {
    return [portFailure(name, m.port, err)]
  }
  const out: CheckResult[] = [ok(`${name}: port`, `${m.port} opens`)]
  const engine = new AtEngine(port, systemClock, { defaultTimeoutMs: timeoutMs })
  // an ERROR or a timeout is an answer here: what the modem said goes into the finding, without the command
  const ask = (cmd: string, expect?: string) =>
    engine.send(cmd, { expect }).then(
      (r) => ({ ok: true, lines: r.lines, error: '' }),
      (err: unknown) => ({ ok: false, lines: [] as string[], error: hasCode(err, ErrorCode.AT_TIMEOUT) ? `no answer in ${timeoutMs / 1000} s` : errorMessage(err).replace(`${cmd}: `, '').replace(/^CM[ES] ERROR: /, '') }),
    )
  try {
    const at = await ask('AT')
    if (!at.ok) {
      out.push(bad('fail', `${name}: AT`, at.error.startsWith('no answer') ? at.error : `answers "${at.error}" to AT instead of OK`, `this is not the modem's AT port, or the baud rate (${m.baudRate}) is wrong, or the module is off: try the other ttyUSB ports of the gateway`))
      return out
    }
    out.push(ok(`${name}: AT`, 'answers'))
    await ask('AT+CMEE=2') // errors in words: "SIM not inserted", not a bare ERROR
    const cpin = await ask('AT+CPIN?', '+CPIN:')
    const sim = cpin.lines.map(parseCpin).find((x) => x) ?? null
    if (sim !== 'READY') {
      const why = sim ?? (cpin.error || 'no +CPIN answer')
      const fix = /not inserted|10\b/i.test(why)
        ? 'insert the SIM card (power off first) and check it sits flat in its holder'
        : /PUK/.test(why)
          ? 'three wrong PINs locked the SIM: unlock it in a phone with the PUK from its card'
          : /PIN/.test(why)
            ? `put the PIN in modems[].simPinFile (linewatch run enters it; a PIN the SIM refused is never sent again${m.simPin ? ': the configured one may be wrong, check it in a phone' : ''}) or remove the lock in a phone`
            : 'check the SIM card in a phone'
      out.push(bad('fail', `${name}: SIM`, `not ready: ${why}`, fix))
      return out
    }
    out.push(ok(`${name}: SIM`, 'ready'))
    const creg = await ask('AT+CREG?', '+CREG:')
    const reg = creg.lines.map(parseCreg).find((x) => x)?.registration ?? 'unknown'
    if (reg === 'home' || reg === 'roaming') out.push(ok(`${name}: network`, `registered (${reg})`))
    else out.push(bad('fail', `${name}: network`, `not registered (${reg})`, 'check the antenna and that the SIM has service (a call from a phone with it); "denied": the operator refuses the SIM'))
    const csq = (await ask('AT+CSQ', '+CSQ:')).lines.map(parseCsq).find((x) => x)
    if (!csq || csq.csq === null) out.push(bad('warn', `${name}: signal`, 'unknown', 'check the antenna is screwed on'))
    else if (csq.csq < WEAK_CSQ) out.push(bad('warn', `${name}: signal`, `weak: CSQ ${csq.csq} (${csq.rssiDbm} dBm)`, 'move the antenna (a window, outside the metal cabinet, an extension cable)'))
    else out.push(ok(`${name}: signal`, `CSQ ${csq.csq} (${csq.rssiDbm} dBm)`))
  } finally {
    engine.close()
    await closePort(port)
  }
  return out
}

/** A port that would not open: what is wrong with it, once, and what to do. */
function portFailure(name: string, path: string, err: unknown): CheckResult {
  const reason = hasCode(err, ErrorCode.SERIAL_OPEN_FAILED) ? (err.details as ReturnType<typeof openFailureReason>) : openFailureReason(err)
  const check = `${name}: port`
  switch (reason.kind) {
    case 'in-use':
      return bad('warn', check, `${path} is in use`, 'the running linewatch service holds it: stop it (systemctl stop linewatch) to check the modem, or read its state on the web page')
    case 'absent':
      return bad('fail', check, `${path} does not exist`, "check modems[].port: the gateway's AT port (ls -l /dev/serial/by-id/), the USB cable, and the udev rule that names it")
    case 'denied':
      return bad('fail', check, `${path}: permission denied`, 'run doctor with sudo; the udev rule that names the port must give it to group dialout (GROUP="dialout", MODE="0660": systemd/99-linewatch-gateway.rules)')
    default:
      return bad('fail', check, `${path} cannot be opened: ${reason.text}`, "check modems[].port: the gateway's AT port (ls -l /dev/serial/by-id/), the USB cable, and the udev rule that names it")
  }
}

/** Every configured GPIO line of a Pi: the chip is there and the line can be requested. */
export function checkGpio(config: Config, openChip?: () => GpioChip): CheckResult[] {
  if (!isPiBoard(config.board)) return [{ check: 'gpio', status: 'skip', detail: `board ${config.board}: no GPIO character device to check` }]
  const map = loadBoardMap(config.board)
  let chip: GpioChip
  try {
    chip = (openChip ?? (() => openKernelChip({ labels: map.chipLabels, fallback: map.chipFallback })))()
  } catch (err) {
    return [bad('fail', 'gpio: chip', errorMessage(err), `is this a ${map.description}? board: in linewatch.yaml must match the hardware; the service user needs the gpio group`)]
  }
  const out: CheckResult[] = [ok('gpio: chip', `${chip.label}, ${chip.lineCount} lines`)]
  for (const { ref, what } of configuredPins(config)) {
    const r = resolvePin(map, ref)
    if (!r.ok) continue // validation reports it
    try {
      chip.requestInput(r.pin.line, 'as-is', 'linewatch-doctor').release()
      out.push(ok(`gpio: ${r.pin.name}`, `${what}: usable`))
    } catch (err) {
      out.push(bad('fail', `gpio: ${r.pin.name}`, `${what}: ${errorMessage(err)}`, 'another program holds this line (gpioinfo shows which): stop it, or move the wire to a free GPIO'))
    }
  }
  chip.close()
  return out
}

function configuredPins(c: Config): { ref: number | string; what: string }[] {
  const pins: { ref: number | string; what: string }[] = []
  for (const l of c.panel.lamps) for (const die of ['green', 'red', 'amber'] as const) if (l[die] !== undefined) pins.push({ ref: l[die]!, what: `lamp ${l.id} ${die}` })
  if (c.panel.buzzer) pins.push({ ref: c.panel.buzzer.pin, what: 'buzzer' })
  if (c.panel.button) pins.push({ ref: c.panel.button.pin, what: 'silence button' })
  for (const m of c.modems) {
    if (m.powerKey) pins.push({ ref: m.powerKey.pin, what: `modem ${m.id} power key` })
    if (m.powerCut) pins.push({ ref: m.powerCut.pin, what: `modem ${m.id} supply` })
  }
  for (const l of c.lines) for (const part of ['voltage', 'ring', 'divert'] as const) if (l.analog?.[part]?.pin !== undefined) pins.push({ ref: l.analog[part]!.pin!, what: `line ${l.id} ${part}` })
  return pins
}

/** Each Modbus device answers a read of its first coil. */
export async function checkModbus(config: Config, opener?: LinkOpener): Promise<CheckResult[]> {
  const devices: { what: string; cfg: ConstructorParameters<typeof ModbusCoils>[0] }[] = []
  if (config.panel.modbus) devices.push({ what: 'stack light', cfg: { ...config.panel.modbus, stopBits: config.panel.modbus.stopBits as 1 | 2 } })
  for (const l of config.lines) if (l.analog?.divert?.modbus) devices.push({ what: `line ${l.id} divert relay`, cfg: { ...l.analog.divert.modbus, stopBits: l.analog.divert.modbus.stopBits as 1 | 2 } })
  const out: CheckResult[] = []
  for (const d of devices) {
    const coils = new ModbusCoils(d.cfg, opener)
    try {
      await coils.open()
      await coils.readCoils(0, 1)
      out.push(ok(`modbus: ${d.what}`, `${d.cfg.port} slave ${d.cfg.slaveId} answers`))
    } catch (err) {
      out.push(bad('fail', `modbus: ${d.what}`, errorMessage(err), `check the slave id (${d.cfg.slaveId}), ${d.cfg.baudRate ?? 9600} baud and parity against the device's DIP switches, A/B wires (swap them), and the 120 Ω termination`))
    } finally {
      await coils.close()
    }
  }
  return out
}

/** The broker takes the box's connection with its credentials. */
export async function checkMqtt(config: Config, timeoutMs = 5000): Promise<CheckResult> {
  const { url, username, password } = config.mqtt
  const shown = url.replace(/\/\/[^@/]*@/, '//')
  try {
    const client = await Promise.race([
      mqtt.connectAsync(url, { ...brokerAuth(config.mqtt), reconnectPeriod: 0, connectTimeout: timeoutMs, clientId: `linewatch-doctor-${process.pid}` }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ])
    await client.endAsync()
    return ok('mqtt', `${shown}: connected${username ? ` as ${username}` : ''}`)
  } catch (err) {
    const msg = errorMessage(err)
    if (/not authori[sz]ed|bad user ?name or password|connection refused: (5|4)/i.test(msg)) return bad('fail', 'mqtt', `${shown}: the broker refuses the login (${msg.replace(/^connection refused: /i, '')})`, 'check mqtt.username and mqtt.password with the office (the broker\'s password file / ACL)')
    return bad('fail', 'mqtt', `${shown}: not reachable: ${networkReason(err)}`, 'check mqtt.url (host and port), that the broker runs, and that the firewall lets the box out on that port')
  }
}

/** A socket error in words, without the address node adds to it ("connect ECONNREFUSED 127.0.0.1:1"). */
function networkReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const words: Record<string, string> = {
    ECONNREFUSED: 'nothing listens on that port (connection refused)',
    ENOTFOUND: 'the host name is not known (DNS)',
    EAI_AGAIN: 'the host name cannot be looked up now (DNS)',
    ETIMEDOUT: 'no answer (timed out)',
    EHOSTUNREACH: 'no route to the host',
    ENETUNREACH: 'no route to that network',
    ECONNRESET: 'the connection was cut (TLS on a plain port, or the other way round?)',
  }
  return (typeof code === 'string' && words[code]) || errorMessage(err)
}

/** One probe round per uplink. */
export async function checkUplinks(config: Config, prober: Prober = probe): Promise<CheckResult[]> {
  const out: CheckResult[] = []
  for (const u of config.uplinks) {
    if (u.interface.startsWith('sim:')) {
      out.push({ check: `uplink ${u.id}`, status: 'skip', detail: 'simulated' })
      continue
    }
    const address = interfaceAddress(u.interface)
    if (!address) {
      out.push(bad('fail', `uplink ${u.id}`, `${u.interface} has no IPv4 address`, 'check the cable/modem of this uplink and its DHCP (ip addr show)'))
      continue
    }
    const targets = u.probes.targets.map(probeTarget)
    const results = await Promise.all(targets.map((t) => prober(t, { interface: u.interface, address }, u.probes.timeoutMs)))
    const good = results.filter((r) => r.ok).length
    const detail = targets.map((t, i) => `${describeTarget(t)} ${results[i]!.ok ? 'ok' : `failed${results[i]!.error ? ` (${results[i]!.error})` : ''}`}`).join('; ')
    // the box's own rule: a round fails once failWhen targets fail (all of them by default)
    const failed = results.length - good
    const failWhen = u.probes.failWhen ?? results.length
    if (failed === 0) out.push(ok(`uplink ${u.id}`, detail))
    else if (good === 0) out.push(bad('fail', `uplink ${u.id}`, detail, `nothing answers through ${u.interface}: check the provider's router${u.gateway ? ` and the gateway ${u.gateway}` : ''}`))
    else if (failed >= failWhen) out.push(bad('fail', `uplink ${u.id}`, detail, `${failed} of ${results.length} targets do not answer, and the box counts a round as failed at ${failWhen} (probes.failWhen): check they are reachable from this provider, or choose others`))
    else out.push(bad('warn', `uplink ${u.id}`, detail, 'some targets do not answer: check they are reachable from this provider'))
  }
  return out
}

/** The clock: alerts, call records and time bands need the right time. */
export function checkClock(run: (cmd: string, args: string[]) => RunResult = runText): CheckResult {
  const r = run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'])
  if (!r.ok) return { check: 'clock', status: 'skip', detail: r.why }
  const synced = r.out
  if (synced.trim() === 'yes') return ok('clock', `synchronised (${new Date().toISOString()})`)
  return bad('fail', 'clock', `not synchronised (${new Date().toISOString()})`, 'the box needs NTP: check that systemd-timesyncd runs and that UDP port 123 is let out; a Pi has no battery clock')
}

export type RunResult = { ok: true; out: string } | { ok: false; why: string }

/** A command's output, or why there is none in words an installer can act on. */
function runText(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 })
  if (r.status === 0) return { ok: true, out: r.stdout }
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { ok: false, why: `${cmd} is not installed, so the clock's sync cannot be read` }
  // timedatectl asks systemd over D-Bus: in a container or chroot there is none to ask
  if (/not been booted with systemd|failed to connect to bus/i.test(r.stderr ?? '')) return { ok: false, why: `systemd is not running here (a container or chroot?), so ${cmd} cannot tell whether the clock is synchronised` }
  const said = (r.stderr ?? '').trim().split('\n')[0] || (r.error ? errorMessage(r.error) : `exit ${r.status}`)
  return { ok: false, why: `${cmd} failed: ${said}` }
}

const MiB = 1024 * 1024

/** Room on the state folder's disk and in memory. */
export async function checkHeadroom(stateDir: string, mem = { free: freemem(), total: totalmem() }): Promise<CheckResult[]> {
  const out: CheckResult[] = []
  const problem = await storageProblem(stateDir, 0).catch(() => null)
  if (problem && /EROFS|EACCES/.test(problem)) out.push(bad('fail', 'disk', problem, 'a read-only card is failing: back up /var/lib/linewatch and replace it (dmesg | grep -i mmc says why); otherwise systemd-tmpfiles --create'))
  try {
    const s = await statfs(stateDir)
    const free = s.bavail * s.bsize
    const share = free / (s.blocks * s.bsize)
    const detail = `${Math.round(free / MiB)} MiB free on ${stateDir} (${Math.round(share * 100)} %)`
    out.push(free < 100 * MiB || share < 0.05 ? bad('fail', 'disk', detail, 'free space on the card (old logs: journalctl --vacuum-size=50M) or use a bigger card') : ok('disk', detail))
  } catch (err) {
    out.push(bad('fail', 'disk', `${stateDir}: ${errorMessage(err)}`, 'the state folder must exist and be writable by the service user (systemd-tmpfiles --create)'))
  }
  const detail = `${Math.round(mem.free / MiB)} MiB of ${Math.round(mem.total / MiB)} MiB free`
  out.push(mem.free < 64 * MiB ? bad('warn', 'memory', detail, 'something else uses the memory: top; the box needs ~100 MiB') : ok('memory', detail))
  return out
}

/** The web page's login: open on loopback (the demo), a password set, or not yet (and how to set one). */
export function checkWebLogin(config: Config, stateDir: string): CheckResult {
  const { http } = config
  if (http.auth === 'none') return ok('web login', `none: the page is open to anyone on ${http.host} (http.auth: none, loopback only)`)
  const creds = new Credentials(join(stateDir, 'credentials.json'))
  const users = creds.users()
  if (creds.damaged) return bad('fail', 'web login', `nobody can log in: ${creds.damaged}`, 'set a password again: sudo linewatch passwd (the damaged file is kept aside)')
  const tokens = creds.tokens().length + (http.token ? 1 : 0)
  if (users.length === 0) {
    const window = http.setupMinutes > 0 ? `the page's first setup (/setup) is open for ${http.setupMinutes} min after the service starts` : 'the page has no setup (http.setupMinutes: 0)'
    return bad('warn', 'web login', `no web password set: ${window}${tokens ? `; ${tokens} API token(s)` : ''}`, 'set one: sudo linewatch passwd, or web-password.txt on the boot partition and a reboot')
  }
  return ok('web login', `${users.length} web user(s) (${users.map((u) => `${u.name}: ${u.role}`).join(', ')}), ${tokens} API token(s)`)
}

/** HTTPS: on (with the fingerprint to compare in the browser), or plain and whether that is a risk. */
export async function checkHttps(config: Config, stateDir: string): Promise<CheckResult> {
  if (!httpsWanted(config)) {
    if (config.board === 'sim') return ok('https', 'plain HTTP (board: sim)')
    return bad('warn', 'https', 'plain HTTP on a real board (http.tls: off): passwords and tokens cross the LAN readable', 'http.tls: auto (the default), unless a proxy in front does HTTPS')
  }
  if (config.http.cert) {
    try {
      return ok('https', `HTTPS with ${config.http.cert}, SHA-256 ${fingerprintOf(await readFile(config.http.cert, 'utf8'))}`)
    } catch (err) {
      return bad('fail', 'https', `${config.http.cert}: ${errorMessage(err)}`, 'give a PEM certificate in http.cert and its key in http.key')
    }
  }
  const own = join(stateDir, 'tls', 'cert.pem')
  try {
    return ok('https', `HTTPS with the box's own certificate, SHA-256 ${fingerprintOf(await readFile(own, 'utf8'))}: the browser shows the same`)
  } catch {
    return bad('warn', 'https', `the box's own certificate is not made yet (${own})`, 'the service makes it at its first start (or linewatch firstboot at boot); run doctor again then')
  }
}

import { randomInt } from 'node:crypto'
import type { Clock, Timer } from '../core/clock.js'
import { ErrorCode, errorMessage, hasCode, LinewatchError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { isRegistered, type ModemCall, type ModemSnapshot } from '../core/state.js'
import { Backoff } from '../core/backoff.js'
import type { StateStore } from '../core/store.js'
import type { ModemConfig } from '../config/schema.js'
import { closePort, type SerialOpener, type SerialStream } from '../hw/serial.js'
import { classifyBanner } from './banners.js'
import { AtEngine, type AtCommandOptions, type AtResponse } from './engine.js'
import { BalanceCheck, type Balance } from './balance.js'
import { RecoveryLadder, STEP_TEXT } from './recovery.js'
import { Prober } from './probe.js'
import { readIdentity } from './identity.js'
import { initialModem, modemHealth } from './modem-state.js'
import { parseClip } from './calls.js'
import { CallControl, type DialOptions } from './call-control.js'
import { sendSms, type SmsResult } from './sms-sender.js'
import { callerIdE164, type NumberingPlan } from '../numbers/e164.js'
import { parseCops, parseCpin, parseCreg, parseCsq } from './parse.js'
import { SimPinLedger } from './pin-ledger.js'

/** GPIO outputs the driver may drive (the modem's power key). */
export interface OutputPins {
  pulse(pin: number | string, ms: number): void
  write(pin: number | string, level: 0 | 1): void
}

/** Commands that put a module into the mode this driver expects. */
export const INIT_SEQUENCE = ['ATE0', 'ATV1', 'AT+CMEE=2', 'AT+CLIP=1', 'AT+CREG=2'] as const

/** Some modules take seconds to check a PIN against the SIM. */
const PIN_TIMEOUT_MS = 15_000

/** A call's RINGs come every ~5 s; this long without one and the ringing is over. */
const RING_GAP_MS = 8000
/** A lost port is tried again after 1 s, doubling to a minute. */
const REOPEN_MIN_MS = 1000
const REOPEN_MAX_MS = 60000
/** After a boot banner, the module gets this long before it is set up (SIM and stack still starting). */
const BOOT_SETTLE_MS = 2000
/** A port that stayed open this long starts its reopen back-off afresh when lost; one that drops at once keeps backing off. */
const STABLE_PORT_MS = 60_000
/** While the ladder brings a module back, a missing port is looked for this often: a booted USB module is found at once. */
const REOPEN_RECOVERING_MS = 2000
/** quietSeconds when the config leaves it out. */
export const DEFAULT_QUIET_SECONDS = 8

/**
 * One modem (one AT port): opens it, initialises it, polls signal and
 * registration, turns unsolicited lines into state, and reopens the port with
 * back-off when it fails. It writes only to the store; it never throws.
 */
export class ModemDriver {
  readonly #cfg: ModemConfig
  readonly #store: StateStore
  readonly #clock: Clock
  readonly #opener: SerialOpener
  readonly #log: Logger
  #port: SerialStream | null = null
  #engine: AtEngine | null = null
  #poll: Timer | null = null
  #tickStartedAt = 0
  #reopen: Timer | null = null
  #ringEnd: Timer | null = null
  #bootTick: Timer | null = null
  #openedAt = 0
  /** The supply's restore while a power cut is on: run at once at stop, so the module is never left off. */
  #restorePower: (() => void) | null = null
  readonly #reopenBackoff = new Backoff(REOPEN_MIN_MS, REOPEN_MAX_MS)
  #initialised = false
  #ticking = false
  #timeoutsInRow = 0
  #portError: string | null = null
  #stopped = false
  #discarded = 0
  /** Unsolicited +CREG reports seen: a poll's answer older than one of them is not applied. */
  #cregReports = 0
  #discardLoggedAt = -Infinity
  readonly #ladder: RecoveryLadder
  readonly #pins: OutputPins | null
  readonly #numbering: NumberingPlan | null
  readonly #balance: BalanceCheck
  /** Signs that the module restarted (a boot banner, the port opened again, a command unanswered): an asked restart waits for one. */
  #restartSigns = 0
  /** An asked restart waiting for the module to be set up again. */
  #restartWaiter: (() => void) | null = null
  /** It said it is powering down and has not answered since: a module restarting, silent while it boots. */
  #goingDown = false
  readonly #calls: CallControl
  readonly #pinLedger: SimPinLedger
  /** Groups of commands that change the module's modes (character set, SMS format) run one at a time. */
  #exclusiveTail: Promise<unknown> = Promise.resolve()
  /** Such groups running or waiting (an SMS, a USSD, an asked restart): the module is busy for us. */
  #exclusiveCount = 0
  /** The concatenation reference of the next long SMS; random at start so a restart does not reuse the last one. */
  #smsRef = randomInt(256)
  #firstAnswer: Promise<void>
  #resolveFirst: () => void = () => {}
  /** The ladder's AT+CFUN=1,1 is waiting for its answer: a boot banner now is from before the reset, not the module back. */
  #resetInFlight = false
  /** While the ladder runs: `AT` now and then, the first answer ends it (the module is set up at once). */
  readonly #prober: Prober
  /** The old ladder (a fixed wait after every step, no probes): for the bench's comparison only. */
  readonly #fixedWaits: boolean
  /** After a first timeout, `AT` again at once rather than at the next poll (false: the old pace, for the bench). */
  readonly #quickProbe: boolean

  constructor(deps: {
    config: ModemConfig
    store: StateStore
    clock: Clock
    opener: SerialOpener
    log: Logger
    pins?: OutputPins | null
    numbering?: NumberingPlan | null
    /** The PINs the SIMs refused, kept in the state folder by the box; in memory when absent. */
    pinLedger?: SimPinLedger
    /** Recovery as it was (fixed waits, no probes): for the bench's "today" figures, never in the box. */
    fixedWaits?: boolean
    /** false: a second timeout only at the next poll, as before (the bench's comparison); default: !fixedWaits. */
    quickProbe?: boolean
  }) {
    this.#fixedWaits = deps.fixedWaits ?? false
    this.#quickProbe = deps.quickProbe ?? !this.#fixedWaits
    this.#cfg = deps.config
    this.#pinLedger = deps.pinLedger ?? new SimPinLedger()
    this.#numbering = deps.numbering ?? null
    this.#store = deps.store
    this.#clock = deps.clock
    this.#opener = deps.opener
    this.#log = deps.log.child({ modem: deps.config.id })
    const { powerKey, powerCut } = deps.config
    const pins = deps.pins ?? null
    this.#pins = pins
    this.#ladder = new RecoveryLadder(
      this.#clock,
      {
        // a module that hears it answers OK at once, then restarts; a hung one says nothing, so no long wait
        softReset: () => this.#softReset(),
        portOpen: () => this.#engine !== null,
        powerKey: powerKey && pins ? () => pins.pulse(powerKey.pin, powerKey.pulseMs) : null,
        powerCut: powerCut && pins ? () => this.#cutPower(pins, powerCut) : null,
        report: (step, round) => {
          if (step) this.#log.warn({ step, round }, `recovering: ${STEP_TEXT[step]}`)
          else this.#log.info({ round }, 'answering again: recovered')
          this.#publish({ recovery: step ? { step, round, since: this.#clock.now() } : null })
          if (step && !this.#fixedWaits && !this.#stopped) this.#prober.start()
          else if (!step) this.#prober.stop()
          // without a port the pending reopen may be a minute away: a module a step brings back is looked for at once
          if (step && !this.#port && !this.#stopped) this.#scheduleReopen()
        },
      },
      // a press is over when the key is released and a module switching off has had ~2 s to do it
      {
        bootWaitMs: deps.config.bootWaitSeconds * 1000,
        quietMs: (deps.config.quietSeconds ?? DEFAULT_QUIET_SECONDS) * 1000,
        fixedWaits: this.#fixedWaits,
        cutOffMs: powerCut?.offMs ?? 0,
        keyReleaseMs: (powerKey?.pulseMs ?? 0) + 2000,
      },
    )
    this.#prober = new Prober(this.#clock, {
      engine: () => this.#engine,
      // not over a poll, nor before the reset's answer (its OK is not the module back)
      ready: () => !this.#ticking && !this.#resetInFlight,
      timeoutMs: deps.config.commandTimeoutMs,
      answered: () => this.#answeredProbe(),
    })
    const b = deps.config.balance
    // always there, so the office can ask with a code of its own; checked on a schedule only when configured
    this.#balance = new BalanceCheck({
      clock: this.#clock,
      code: b?.ussd ?? null,
      everyMs: (b?.everyMinutes ?? 360) * 60_000,
      // not in the middle of an SMS: it switches the character set, which also shapes the USSD reply
      send: (cmd) => this.#exclusive(() => this.#send(cmd, { timeoutMs: 20_000 })),
      report: (balance) => {
        this.#log.info({ amount: balance.amount }, 'balance')
        this.#publish({ balance })
      },
      log: this.#log,
    })
    this.#calls = new CallControl({
      clock: this.#clock,
      send: (cmd, opts) => this.#send(cmd, opts),
      report: (call, ended) => this.#publish(ended ? { call, lastCall: ended } : { call }),
      log: this.#log,
    })
    this.#firstAnswer = new Promise((r) => (this.#resolveFirst = r))
    this.#store.init('modem', initialModem(this.#cfg, this.#clock.now()))
  }

  get id(): string {
    return this.#cfg.id
  }

  get config(): Readonly<ModemConfig> {
    return this.#cfg
  }

  /** The AT engine of the open port (null while closed): for the bench and tests. */
  get engine(): AtEngine | null {
    return this.#engine
  }

  /** Resolves once the modem has been initialised, or once it is known to be down. */
  settled(): Promise<void> {
    return this.#firstAnswer
  }

  /** Dial a number from this modem (a test call); resolves with the ended call and its outcome. */
  dial(number: string, opts: DialOptions = {}): Promise<ModemCall> {
    if (!this.#engine) return Promise.reject(this.#notOpen())
    return this.#calls.dial(number, opts)
  }

  /** Hang up this modem's outgoing call before it is answered (a test call that has rung). */
  cancelCall(): Promise<void> {
    return this.#calls.cancel()
  }

  /** Send an SMS from this modem; resolves once the network has taken every part. */
  async sendSms(to: string, text: string): Promise<SmsResult> {
    if (!this.#engine) throw this.#notOpen()
    this.#smsRef = (this.#smsRef + 1) % 256
    const ref = this.#smsRef
    const result = await this.#exclusive(() => sendSms((cmd, opts) => this.#send(cmd, opts), to, text, ref))
    this.#log.info({ to, parts: result.parts, encoding: result.encoding, mode: result.mode }, 'SMS sent')
    return result
  }

  /** The SIM's balance now (the office's sim-balance), with this USSD code or the configured one. */
  balanceNow(code?: string): Promise<Balance> {
    if (!this.#engine) return Promise.reject(this.#notOpen())
    return this.#balance.ask(code ?? undefined)
  }

  /**
   * Restart the module on request (the office's restart-modem): AT+CFUN=1,1,
   * or a cut of its supply. Resolves with the time taken once it has been set
   * up again; rejects when it is not back within two boot waits.
   */
  async restart(opts: { power: boolean; force: boolean }): Promise<{ seconds: number }> {
    const call = this.#store.get('modem', this.#cfg.id)?.call
    if (call && call.state !== 'ended' && !opts.force) throw new Error(`modem ${this.#cfg.id}: a call is in progress (${call.state}); send force: true to restart anyway`)
    const cut = this.#cfg.powerCut
    if (opts.power && !(cut && this.#pins)) throw new Error(`modem ${this.#cfg.id}: no power switch wired (modems[].powerCut)`)
    if (!opts.power && !this.#engine) throw this.#notOpen()
    if (this.#restartWaiter) throw new Error(`modem ${this.#cfg.id}: a restart is already under way`)
    const started = this.#clock.now()
    const signs = this.#restartSigns
    const limitMs = 2 * this.#cfg.bootWaitSeconds * 1000 + (opts.power ? (cut?.offMs ?? 0) : 0)
    const back = new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#restartWaiter = null
        reject(new LinewatchError(ErrorCode.AT_TIMEOUT, `modem ${this.#cfg.id}: not set up again within ${Math.round(limitMs / 1000)} s of the restart`))
      }, limitMs)
      this.#restartWaiter = () => {
        // set up again, after a sign that it did restart (not a poll that ran before the reboot)
        if (this.#restartSigns === signs || !this.#initialised) return
        timer.cancel()
        this.#restartWaiter = null
        resolve()
      }
    })
    this.#log.warn({ power: opts.power }, 'restart asked by the office')
    if (opts.power) this.#cutPower(this.#pins!, cut!)
    else await this.#exclusive(() => this.#send('AT+CFUN=1,1')).catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'AT+CFUN=1,1 not acknowledged; waiting for the module anyway'))
    this.#initialised = false
    await back
    return { seconds: Math.round((this.#clock.now() - started) / 1000) }
  }

  /** What a request to a modem without an open port gets: the port's own error when there is one. */
  #notOpen(): LinewatchError {
    return new LinewatchError(ErrorCode.AT_PORT_CLOSED, `modem ${this.#cfg.id}: ${this.#portError ?? 'port not open'}`)
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#exclusiveCount++
    const run = this.#exclusiveTail.then(fn, fn).finally(() => this.#exclusiveCount--)
    this.#exclusiveTail = run.catch(() => {})
    return run
  }

  start(): void {
    this.#stopped = false
    this.#calls.start()
    // a supply switch that cuts at level 0 would cut at boot, when GPIO lines come up low: power on first
    const cut = this.#cfg.powerCut
    if (cut && this.#pins) this.#pins.write(cut.pin, cut.cutLevel === 1 ? 0 : 1)
    void this.#open()
    this.#balance.start()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#resolveFirst()
    this.#ladder.stop()
    this.#balance.stop()
    this.#calls.stop()
    this.#poll?.cancel()
    this.#reopen?.cancel()
    this.#ringEnd?.cancel()
    this.#bootTick?.cancel()
    this.#prober.stop()
    this.#restorePower?.()
    this.#engine?.close()
    if (this.#port) await closePort(this.#port)
    this.#port = null
    this.#engine = null
  }

  async #open(): Promise<void> {
    if (this.#stopped) return
    try {
      const port = await this.#opener.open(this.#cfg.port, this.#cfg.baudRate)
      if (this.#stopped) return void (await closePort(port))
      this.#port = port
      this.#portError = null
      this.#restartSigns++
      this.#openedAt = this.#clock.now()
      this.#ladder.portBack()
      const engine = new AtEngine(port, this.#clock, { defaultTimeoutMs: this.#cfg.commandTimeoutMs })
      this.#engine = engine
      engine.on('urc', (line) => this.#onUrc(line))
      engine.on('discard', (n) => {
        this.#noteGarbage(n)
        this.#ladder.alive() // noise from a module starting up is still a sign of life
      })
      // the engine closes on the port's close and on its errors (a port can fail with only an error);
      // only the engine of the port in use may declare it lost: a late close of an old port must not
      engine.on('close', () => {
        if (this.#engine === engine) this.#onPortLost('port closed')
      })
      port.on('error', (err) => this.#log.warn({ err: errorMessage(err) }, 'serial error'))
      this.#log.info({ port: this.#cfg.port }, 'port open')
      this.#initialised = false
      this.#poll = this.#clock.setInterval(() => void this.#tick(), this.#cfg.pollSeconds * 1000)
      await this.#tick()
    } catch (err) {
      this.#portError = `port ${errorMessage(err)}`
      this.#publish({ answering: false })
      this.#resolveFirst()
      this.#scheduleReopen()
    }
  }

  /** The ladder's soft reset: resolves with whether the module answered it (OK or ERROR: it heard it). */
  async #softReset(): Promise<boolean> {
    const engine = this.#engine
    if (!engine) return false
    this.#resetInFlight = true
    try {
      await engine.send('AT+CFUN=1,1')
      return true
    } catch (err) {
      return hasCode(err, ErrorCode.AT_ERROR)
    } finally {
      this.#resetInFlight = false
    }
  }

  /** A probe was answered: the module is up again. */
  #answeredProbe(): void {
    if (this.#stopped) return
    this.#log.info('answered a probe')
    this.#heard()
    this.#initialised = false // it answered after a reset or a press: it has forgotten ATE0 and friends
    void this.#tick()
  }

  /** Cut the supply, and restore it after offMs (or at once at stop). */
  #cutPower(pins: OutputPins, cut: NonNullable<ModemConfig['powerCut']>): void {
    const level = cut.cutLevel as 0 | 1
    pins.write(cut.pin, level)
    const restore = this.#clock.setTimeout(() => this.#restorePower?.(), cut.offMs)
    this.#restorePower = () => {
      restore.cancel()
      this.#restorePower = null
      pins.write(cut.pin, level === 1 ? 0 : 1)
    }
  }

  /** Noise is counted and logged at most once a minute: a wrong baud rate must not flood the journal. */
  #noteGarbage(bytes: number): void {
    this.#discarded += bytes
    const now = this.#clock.now()
    if (now - this.#discardLoggedAt < 60_000) return
    this.#log.warn({ bytes: this.#discarded }, 'garbage on the serial line dropped')
    this.#discardLoggedAt = now
    this.#discarded = 0
  }

  #onPortLost(why: string): void {
    if (this.#stopped) return
    this.#poll?.cancel()
    const port = this.#port
    this.#engine = null
    this.#port = null
    if (port) void closePort(port)
    this.#portError = `port ${this.#cfg.port}: ${why}`
    this.#publish({ answering: false })
    if (this.#clock.now() - this.#openedAt >= STABLE_PORT_MS) this.#reopenBackoff.reset()
    this.#ladder.portLost()
    this.#scheduleReopen()
  }

  #scheduleReopen(): void {
    if (this.#stopped) return
    this.#reopen?.cancel()
    const next = this.#reopenBackoff.next()
    const wait = this.#ladder.active ? Math.min(next, REOPEN_RECOVERING_MS) : next
    this.#log.warn({ err: this.#portError, retryMs: wait }, 'port unavailable; retrying')
    this.#reopen = this.#clock.setTimeout(() => void this.#open(), wait)
  }

  /** One poll: initialise if needed (a rebooted module forgets ATE0 and friends), then read state. */
  /** How long the poll in progress has run (0 when none): every command has a timeout, so a poll that runs on is a bug the watchdog answers. */
  pollRunningMs(now = this.#clock.now()): number {
    return this.#ticking ? now - this.#tickStartedAt : 0
  }

  async #tick(): Promise<void> {
    if (this.#ticking || !this.#engine) return
    this.#ticking = true
    this.#tickStartedAt = this.#clock.now()
    try {
      if (!this.#initialised) {
        for (const cmd of INIT_SEQUENCE) await this.#send(cmd)
        const cpin = await this.#send('AT+CPIN?', { expect: '+CPIN:' }).catch((e: unknown) => this.#simError(e))
        let sim = cpin ? (parseCpin(cpin[0] ?? '') ?? 'unknown') : undefined
        if (sim === 'SIM PIN' && this.#cfg.simPin) sim = await this.#enterPin(this.#cfg.simPin)
        this.#initialised = true
        if (sim) this.#publish({ sim })
        const identity = await readIdentity((cmd) => this.#send(cmd))
        this.#log.info({ identity }, 'initialised')
        this.#publish({ identity })
        this.#restartWaiter?.()
      }
      const csq = parseCsq((await this.#send('AT+CSQ', { expect: '+CSQ:' }))[0] ?? '')
      if (csq) this.#publish({ signal: { csq: csq.csq, rssiDbm: csq.rssiDbm } })
      // An unsolicited +CREG that arrives while AT+CREG? is answered is newer than the answer: keep it.
      const reportsBefore = this.#cregReports
      const creg = parseCreg((await this.#send('AT+CREG?', { expect: '+CREG:' })).at(-1) ?? '')
      if (creg && this.#cregReports === reportsBefore) this.#publish(creg)
      const cops = (await this.#send('AT+COPS?', { expect: '+COPS:' }))[0]
      // no +COPS line at all is a missing answer, not "no operator"
      if (cops !== undefined) this.#publish({ operator: parseCops(cops) })
    } catch (err) {
      if (!hasCode(err, ErrorCode.AT_TIMEOUT, ErrorCode.AT_PORT_CLOSED)) {
        this.#log.warn({ err: errorMessage(err) }, 'poll failed')
      }
    } finally {
      this.#ticking = false
      this.#resolveFirst()
    }
  }

  /** Send a command; count timeouts in a row to decide the modem is not answering. */
  async #send(cmd: string, opts: AtCommandOptions = {}): Promise<string[]> {
    const engine = this.#engine
    if (!engine) throw new LinewatchError(ErrorCode.AT_PORT_CLOSED, `${cmd}: port closed`)
    try {
      const res = await engine.send(cmd, opts)
      this.#heard()
      return res.lines
    } catch (err) {
      // an SMS or a dial waits on the network, which may be slow: that says nothing about the module
      const networkBound = opts.body !== undefined || /^ATD/i.test(cmd)
      if (hasCode(err, ErrorCode.AT_TIMEOUT) && networkBound) this.#log.warn({ cmd }, 'command timed out waiting for the network')
      else if (hasCode(err, ErrorCode.AT_TIMEOUT)) {
        this.#timeoutsInRow++
        this.#restartSigns++
        this.#log.warn({ cmd, inRow: this.#timeoutsInRow }, 'command timed out')
        // a module that missed a command may have rebooted and forgotten ATE0, +CLIP and +CREG
        this.#initialised = false
        if (this.#timeoutsInRow >= this.#cfg.unansweredLimit) {
          this.#publish({ answering: false })
          this.#ladder.begin()
        } else this.#suspect()
      } else if (hasCode(err, ErrorCode.AT_ERROR)) this.#heard()
      throw err
    }
  }

  /**
   * A command went unanswered: `AT` at once (after the engine's resync), not a poll later, so a hung
   * module is called down after unansweredLimit timeouts back to back instead of a poll period between
   * them. Its timeout counts as any other; its answer, or a late answer to the command that timed out
   * (which it then receives), clears the count. Not while the module is busy for us (a call, a ringing,
   * an SMS, a USSD under way, whose commands wait on the network) nor while it restarts (asked by the
   * office, or after its power-down line): then the next poll asks, as before, so it gets the poll
   * period to answer.
   */
  #suspect(): void {
    if (!this.#quickProbe || this.#stopped || this.#ladder.active || this.#exclusiveCount > 0) return
    if (this.#restartWaiter || this.#goingDown) return
    const m = this.#store.get('modem', this.#cfg.id)
    if ((m?.call && m.call.state !== 'ended') || m?.ringing) return
    this.#log.info('a command went unanswered: asking again at once')
    void this.#send('AT').catch(() => {})
  }

  #heard(): void {
    this.#timeoutsInRow = 0
    this.#goingDown = false
    this.#ladder.end()
    if (!this.#store.get('modem', this.#cfg.id)?.answering) this.#publish({ answering: true })
  }

  /**
   * Unlock the SIM with the configured PIN, at most once per PIN: a PIN the SIM
   * refused is remembered in the state folder and never sent again, so no
   * restart loop can spend the SIM's three tries. The PIN is never logged; an
   * error carrying the command is replaced by one without it. Returns the SIM state to publish.
   */
  async #enterPin(pin: string): Promise<string | undefined> {
    const id = this.#cfg.id
    const refusedText = 'SIM PIN (the PIN in the config was refused; not tried again)'
    if (this.#pinLedger.refused(id, pin)) {
      this.#log.error('the SIM refused this PIN before: it is not sent again (a SIM allows three wrong PINs); put the right one in simPin or simPinFile')
      return refusedText
    }
    try {
      await this.#send(`AT+CPIN="${pin}"`, { timeoutMs: PIN_TIMEOUT_MS })
    } catch (err) {
      if (!hasCode(err, ErrorCode.AT_ERROR)) {
        const code = hasCode(err, ErrorCode.AT_TIMEOUT) ? ErrorCode.AT_TIMEOUT : ErrorCode.AT_PORT_CLOSED
        throw new LinewatchError(code, 'AT+CPIN=<the PIN>: no answer')
      }
      await this.#pinLedger.refuse(id, pin)
      const final = (err.details as AtResponse | undefined)?.final
      this.#log.error({ answer: final?.detail ?? final?.code }, 'the SIM refused the PIN in the config; it will not be sent again')
      return refusedText
    }
    await this.#pinLedger.accepted(id)
    this.#log.info('SIM PIN entered')
    const again = await this.#send('AT+CPIN?', { expect: '+CPIN:' }).catch((e: unknown) => this.#simError(e))
    // an error answer was published as the SIM state by #simError
    return again ? (parseCpin(again[0] ?? '') ?? 'unknown') : undefined
  }

  #simError(err: unknown): null {
    if (!hasCode(err, ErrorCode.AT_ERROR)) throw err
    // the modem's own words ("SIM not inserted", or a CME number), not our wrapping
    const final = (err.details as AtResponse | undefined)?.final
    this.#publish({ sim: (final && !final.ok && final.detail) || final?.code || errorMessage(err) })
    return null
  }

  #onUrc(line: string): void {
    // any line while the ladder waits is a module alive, maybe booting: it gets the whole boot wait
    this.#ladder.alive()
    if (this.#calls.onLine(line)) return
    if (line === 'RING' || line.startsWith('+CRING:')) return this.#ring(undefined)
    const clip = parseClip(line)
    if (clip) return this.#ring(callerIdE164(clip.callerId, this.#numbering))
    if (line.startsWith('+CUSD:') && this.#balance.onLine(line)) return
    const cpin = parseCpin(line)
    if (cpin) return this.#publish({ sim: cpin }) // a SIM pulled or locked while running, or ready after a boot
    const creg = parseCreg(line)
    if (creg) {
      this.#cregReports++
      this.#heard()
      // off the network there is no operator; the next AT+COPS? would say the same
      return this.#publish(isRegistered(creg.registration) ? creg : { ...creg, operator: null })
    }
    const banner = classifyBanner(line)
    if (banner === 'boot' || banner === 'power-down') {
      // it restarted (or is about to): it forgot ATE0, +CLIP and +CREG
      this.#initialised = false
      this.#restartSigns++
      this.#log.warn({ line }, banner === 'boot' ? 'module booted' : 'module powering down')
      if (banner === 'power-down') {
        this.#goingDown = true
        this.#ladder.poweredDown()
      }
      if (banner === 'boot' && this.#resetInFlight) {
        // the reset is still unanswered: this banner is from before it (its restart is still to come), not the module back
        this.#log.warn({ line }, 'boot banner before the soft reset was answered: not taken as recovered')
      } else if (banner === 'boot') {
        // alive again: set it up once it has settled, not at the next poll
        this.#heard()
        this.#bootTick?.cancel()
        this.#bootTick = this.#clock.setTimeout(() => void this.#tick(), BOOT_SETTLE_MS)
      }
    } else if (banner === 'voltage-warning' || banner === 'temperature') this.#log.warn({ line }, 'module warning')
    else if (!banner) this.#log.debug({ line }, 'unhandled unsolicited line')
  }

  /** RING and +CLIP of one call arrive several times; one call until RING_GAP_MS of quiet. */
  #ring(callerId: string | null | undefined): void {
    this.#heard()
    let cur = this.#store.get('modem', this.#cfg.id)?.ringing
    if (cur && typeof callerId === 'string' && cur.callerId !== null && callerId !== cur.callerId) {
      // another caller (call control ends the one before as missed): counted, and this ringing starts now
      this.#publish({ ringing: null, callsSeen: (this.#store.get('modem', this.#cfg.id)?.callsSeen ?? 0) + 1 })
      cur = null
    }
    const ringing = cur ? { ...cur, callerId: callerId === undefined ? cur.callerId : callerId } : { callerId: callerId ?? null, at: this.#clock.now() }
    this.#publish({ ringing })
    this.#calls.ringing(callerId, ringing.at)
    this.#ringEnd?.cancel()
    this.#ringEnd = this.#clock.setTimeout(() => {
      const m = this.#store.get('modem', this.#cfg.id)
      if (!m?.ringing) return
      this.#log.info({ callerId: m.ringing.callerId }, 'incoming call')
      this.#publish({ ringing: null, callsSeen: m.callsSeen + 1 })
      void this.#calls.ringStopped()
    }, RING_GAP_MS)
  }

  #publish(patch: Partial<ModemSnapshot>): void {
    const cur = this.#store.get('modem', this.#cfg.id)
    if (!cur) return
    const merged = { ...cur, ...patch }
    this.#store.update('modem', this.#cfg.id, { ...patch, ...modemHealth({ ...merged, portError: this.#portError }) })
  }
}


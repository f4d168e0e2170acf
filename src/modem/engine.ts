import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { Clock, Timer } from '../core/clock.js'
import { ErrorCode, hasCode, LinewatchError } from '../core/errors.js'
import { classifyBanner } from './banners.js'
import { AtFramer, type AtFrame } from './framer.js'
import { isUnsolicited, parseFinal, type FinalResult } from './parse.js'

export interface AtCommandOptions {
  /** Time to the final result code; the engine's default when absent. */
  timeoutMs?: number
  /** Prefix of the answer's intermediate lines (e.g. "+CSQ:"); other lines count as unsolicited. */
  expect?: string
  /** Text sent after the "> " prompt (SMS), ended with Ctrl-Z. */
  body?: string
  /** With a body: how long the prompt may take (default 5 s); the whole timeout runs from the prompt. */
  promptTimeoutMs?: number
}

export interface AtResponse {
  command: string
  lines: string[]
  final: FinalResult
}

/** Call-progress codes: final results of ATD and ATA, unsolicited at any other moment. */
const CALL_END = new Set(['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE'])
const DIAL_OR_ANSWER = /^AT(D|A$)/i

interface Pending {
  command: string
  opts: AtCommandOptions
  lines: string[]
  echoSeen: boolean
  /** The body went out: a module prompts again after every CR in a text, and the body must go once. */
  bodySent: boolean
  timer: Timer | null
  resolve: (r: AtResponse) => void
  reject: (e: Error) => void
}

interface AtEngineEvents {
  /** A line that is not part of any command's answer (RING, +CLIP, +CREG, ...). */
  urc: [string]
  /** A final result code with no command waiting (a late answer to a timed-out command). */
  stray: [string]
  /** Bytes dropped as garbage by the framer. */
  discard: [number]
  close: []
}

/**
 * One command in flight per port. Bytes go through the framer; each line is
 * an echo of the command, its answer, its final result code, or unsolicited.
 * Unsolicited lines are recognised at any moment, also between a command's
 * echo and its result. A command without a final result code in time is
 * rejected with AT_TIMEOUT; the next command goes out after a short quiet
 * time in which a late answer to the old one is dropped as stray.
 */
export class AtEngine extends EventEmitter<AtEngineEvents> {
  readonly #port: Duplex
  readonly #clock: Clock
  readonly #defaultTimeoutMs: number
  readonly #queue: Pending[] = []
  #current: Pending | null = null
  #closed = false
  /** After a timeout: lines are strays until this time, so a late answer is not taken as the next command's. */
  #quietUntil = 0
  readonly #resyncMs: number
  /** Lines parsed since start: for the bench. */
  linesParsed = 0

  constructor(port: Duplex, clock: Clock, opts: { defaultTimeoutMs?: number; resyncMs?: number } = {}) {
    super()
    this.#port = port
    this.#clock = clock
    this.#defaultTimeoutMs = opts.defaultTimeoutMs ?? 3000
    this.#resyncMs = opts.resyncMs ?? 300
    const framer = new AtFramer()
    framer.on('data', (frame: AtFrame) => this.#onFrame(frame))
    framer.on('discard', (n: number) => this.emit('discard', n))
    port.pipe(framer)
    port.on('close', () => this.#shutdown())
    port.on('error', () => this.#shutdown())
  }


  send(command: string, opts: AtCommandOptions = {}): Promise<AtResponse> {
    if (this.#closed) return Promise.reject(new LinewatchError(ErrorCode.AT_PORT_CLOSED, `${command}: port closed`))
    return new Promise((resolve, reject) => {
      this.#queue.push({ command, opts, lines: [], echoSeen: false, bodySent: false, timer: null, resolve, reject })
      this.#next()
    })
  }

  /** Reject everything pending; used when the port goes away or the driver stops. */
  close(): void {
    this.#shutdown()
  }

  #next(): void {
    if (this.#current || this.#closed || this.#queue.length === 0) return
    const wait = this.#quietUntil - this.#clock.now()
    if (wait > 0) {
      this.#clock.setTimeout(() => this.#next(), wait)
      return
    }
    const p = this.#queue.shift()
    if (!p) return
    this.#current = p
    if (p.opts.body === undefined) this.#arm(p, p.opts.timeoutMs ?? this.#defaultTimeoutMs, 'no final result code')
    else this.#arm(p, p.opts.promptTimeoutMs ?? 5000, 'no "> " prompt')
    this.#port.write(`${p.command}\r`)
  }

  #arm(p: Pending, ms: number, what: string): void {
    p.timer?.cancel()
    p.timer = this.#clock.setTimeout(() => {
      // a module left waiting for text would take the next commands as its message: ESC cancels it
      if (p.opts.body !== undefined) this.#port.write('\x1b')
      this.#finish(p, new LinewatchError(ErrorCode.AT_TIMEOUT, `${p.command}: ${what} in ${ms} ms`))
    }, ms)
  }

  #finish(p: Pending, outcome: AtResponse | Error): void {
    if (this.#current !== p) return
    p.timer?.cancel()
    this.#current = null
    if (hasCode(outcome, ErrorCode.AT_TIMEOUT)) this.#quietUntil = this.#clock.now() + this.#resyncMs
    if (outcome instanceof Error) p.reject(outcome)
    else if (outcome.final.ok) p.resolve(outcome)
    else {
      const detail = outcome.final.detail ? `: ${outcome.final.detail}` : ''
      p.reject(new LinewatchError(ErrorCode.AT_ERROR, `${p.command}: ${outcome.final.code}${detail}`, outcome))
    }
    this.#next()
  }

  #onFrame(frame: AtFrame): void {
    const p = this.#current
    if (frame.type === 'prompt') {
      if (p?.opts.body !== undefined && !p.bodySent) {
        p.bodySent = true
        this.#port.write(`${p.opts.body}\x1a`)
        this.#arm(p, p.opts.timeoutMs ?? this.#defaultTimeoutMs, 'no final result code')
      }
      return
    }
    this.linesParsed++
    const line = frame.text
    // after a voice ATD...; has had its OK, the call's end comes as these codes: they end the call, not whatever command is in flight
    if (CALL_END.has(line) && !(p && DIAL_OR_ANSWER.test(p.command))) return void this.emit('urc', line)
    if (!p || this.#clock.now() < this.#quietUntil) {
      if (parseFinal(line)) this.emit('stray', line)
      else if (!/^AT/i.test(line)) this.emit('urc', line)
      return
    }
    if (!p.echoSeen && p.lines.length === 0 && line === p.command) {
      p.echoSeen = true
      return
    }
    const final = parseFinal(line)
    if (final) return this.#finish(p, { command: p.command, lines: p.lines, final })
    // a module that reboots while a command waits prints its banners then: they are news, not the answer
    if (p.opts.expect !== undefined) {
      if (line.startsWith(p.opts.expect)) p.lines.push(line)
      else this.emit('urc', line)
    } else if (isUnsolicited(line) || classifyBanner(line) !== null) this.emit('urc', line)
    else p.lines.push(line)
  }

  #shutdown(): void {
    if (this.#closed) return
    this.#closed = true
    const err = new LinewatchError(ErrorCode.AT_PORT_CLOSED, 'port closed')
    const all = [...(this.#current ? [this.#current] : []), ...this.#queue.splice(0)]
    this.#current = null
    for (const p of all) {
      p.timer?.cancel()
      p.reject(err)
    }
    this.emit('close')
  }
}

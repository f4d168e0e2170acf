import { Transform, type TransformCallback } from 'node:stream'

/** What the framer cuts the modem's byte stream into. */
export type AtFrame = { type: 'line'; text: string } | { type: 'prompt' }

const CR = 0x0d
const LF = 0x0a
const MAX_LINE = 2048

/**
 * Bytes from the modem → lines. Lines end with CR, LF or both (modems mix them);
 * blank lines are dropped; the SMS prompt "> " has no line end, so it is
 * recognised when it is all that is pending at the start of a line.
 *
 * Not @serialport/parser-readline: that one cannot see the prompt, and a noisy
 * line (wrong baud rate, a modem rebooting) must be cleaned, not passed on.
 * Bytes outside printable ASCII are dropped and reported via 'discard'; a
 * line longer than MAX_LINE is dropped whole so memory stays bounded.
 */
export class AtFramer extends Transform {
  #buf: number[] = []
  #discarded = 0
  /** Inside a line that grew past MAX_LINE: drop the rest of it, up to its end. */
  #overflow = false

  constructor() {
    super({ readableObjectMode: true })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const byte of chunk) this.#byte(byte)
    if (this.#buf.length === 2 && this.#buf[0] === 0x3e && this.#buf[1] === 0x20) {
      this.#buf = []
      this.push({ type: 'prompt' } satisfies AtFrame)
    }
    this.#flushDiscarded()
    done()
  }

  override _flush(done: TransformCallback): void {
    this.#endLine()
    this.#flushDiscarded()
    done()
  }

  #byte(byte: number): void {
    if (byte === CR || byte === LF) {
      this.#overflow = false
      return this.#endLine()
    }
    if (this.#overflow || !((byte >= 0x20 && byte < 0x7f) || byte === 0x09)) {
      this.#discarded++
      return
    }
    if (this.#buf.length >= MAX_LINE) {
      this.#discarded += this.#buf.length + 1
      this.#buf = []
      this.#overflow = true
      return
    }
    this.#buf.push(byte)
  }

  #endLine(): void {
    if (this.#buf.length === 0) return
    const text = Buffer.from(this.#buf).toString('latin1').trim()
    this.#buf = []
    if (text) this.push({ type: 'line', text } satisfies AtFrame)
  }

  #flushDiscarded(): void {
    if (this.#discarded > 0) {
      this.emit('discard', this.#discarded)
      this.#discarded = 0
    }
  }
}

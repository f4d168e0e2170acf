import { Duplex } from 'node:stream'

/** A byte-level stand-in for a serial port: records what the host writes, lets the test play the modem. */
export class FakePort extends Duplex {
  readonly written: string[] = []
  onWrite: ((data: string) => void) | null = null

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const s = chunk.toString('latin1')
    this.written.push(s)
    this.onWrite?.(s)
    done()
  }

  /** Bytes from the modem to the host. */
  modem(data: string | Buffer): void {
    this.push(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
  }
}

/**
 * A USB Arduino or Pico panel running StandardFirmata, through johnny-five's
 * own Firmata client (firmata-io) on a serialport 13 stream. firmata-io is
 * the client without its bundled serialport 8, so the box has one serial
 * stack. Its handshake has no overall time limit, so one is added here: a
 * board that never answers is an 'error' in plain words, not a hang.
 */
import type { Duplex } from 'node:stream'
import { createRequire } from 'node:module'
import type FirmataIo from 'firmata-io'
import { SerialPort } from 'serialport'
import type { IoPlugin } from './contract.js'

export interface FirmataOptions {
  port: string
  baudRate?: number
  /** Opens the transport (tests: one end of a memory line); default: the serial device. */
  open?: (path: string, baudRate: number) => Duplex
  /** The whole handshake's limit (default 10 s). */
  timeoutMs?: number
}

export function openFirmata(opts: FirmataOptions): IoPlugin {
  const baudRate = opts.baudRate ?? 57600
  const timeoutMs = opts.timeoutMs ?? 10_000
  const transport = opts.open ? opts.open(opts.port, baudRate) : new SerialPort({ path: opts.port, baudRate })
  // the board may answer the version request half-way through the handshake
  // required here, not imported: only a box with board: firmata loads the client
  const firmataIo = createRequire(import.meta.url)('firmata-io') as typeof FirmataIo
  const board = new firmataIo.Firmata(transport, { reportVersionTimeout: Math.min(2000, timeoutMs / 2) })
  const io = board as unknown as IoPlugin & { close(): Promise<void> }
  const fail = (why: string) => board.emit('error', new Error(`Firmata on ${opts.port}: ${why}`))
  const timer = setTimeout(() => {
    if (!board.isReady) fail(`no answer in ${timeoutMs / 1000} s — is StandardFirmata flashed, at ${baudRate} baud?`)
  }, timeoutMs)
  board.once('ready', () => {
    clearTimeout(timer)
    // johnny-five waits for 'connect' too (its own Firmata path emits it when the port opens)
    board.emit('connect')
  })
  // firmata-io re-emits transport errors on the board; the panel listens there
  io.close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(timer)
      clearTimeout(board.reportVersionTimeoutId)
      const t = transport as Duplex & { isOpen?: boolean; close?: (cb: () => void) => void }
      if (typeof t.close === 'function' && t.isOpen !== false) t.close(() => resolve())
      else {
        t.destroy()
        resolve()
      }
    })
  return io
}

/**
 * The part of johnny-five's IO plugin contract linewatch relies on
 * (https://github.com/rwaldron/io-plugins). Every board the box drives
 * (SimIO, GpiodIO, Firmata) is used through this type only, so a driver
 * written against it works on all of them.
 *
 * - MODES frozen; pins[] with supportedModes/mode/value/report/analogChannel.
 * - 'connect' then 'ready' emitted asynchronously after construction (isReady after).
 * - pinMode(INPUT) then digitalWrite(pin, HIGH) turns the pull-up on (Firmata's
 *   convention, what johnny-five's Button does with `isPullup`).
 * - digitalRead(pin, cb) calls cb with the level now and then on every change.
 * - pwmWrite/analogWrite take 0..RESOLUTION.PWM (255).
 * - normalize(pin), when present, turns a pin name ('GPIO17', 'pin11') into the
 *   index in pins[] (johnny-five calls it for every pin it is given).
 */
import type { EventEmitter } from 'node:events'

export interface IoPin {
  supportedModes: number[]
  mode: number
  value: number
  report: number
  analogChannel: number
}

export interface IoModes {
  readonly INPUT: number
  readonly OUTPUT: number
  readonly ANALOG: number
  readonly PWM: number
  readonly SERVO: number
  readonly PULLUP?: number
}

export interface IoPlugin extends Pick<EventEmitter, 'on' | 'once' | 'off' | 'emit' | 'removeListener'> {
  readonly MODES: IoModes
  readonly HIGH: 1
  readonly LOW: 0
  readonly name: string
  readonly pins: readonly IoPin[]
  readonly analogPins: readonly number[]
  isReady: boolean
  pinMode(pin: number, mode: number): unknown
  digitalWrite(pin: number, value: number): unknown
  digitalRead(pin: number, cb: (value: number) => void): unknown
  pwmWrite(pin: number, value: number): unknown
  analogWrite(pin: number, value: number): unknown
  normalize?(pin: number | string): number
  /** Release every line / close the transport; optional (SimIO has nothing to release). */
  close?(): Promise<void> | void
}

/**
 * One error class with a stable code. Codes are grouped by area (the prefix)
 * and never renamed: logs, MQTT events and the office server match on them.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  SERIAL_OPEN_FAILED: 'SERIAL_OPEN_FAILED',
  SERIAL_CLOSED: 'SERIAL_CLOSED',
  SIM_PORT_UNKNOWN: 'SIM_PORT_UNKNOWN',
  AT_TIMEOUT: 'AT_TIMEOUT',
  AT_ERROR: 'AT_ERROR',
  AT_PORT_CLOSED: 'AT_PORT_CLOSED',
  AT_BUSY: 'AT_BUSY',
  GPIO_FAILED: 'GPIO_FAILED',
  MQTT_FAILED: 'MQTT_FAILED',
  USAGE: 'USAGE',
  /** A request the box refuses as it stands (a number it cannot dial, an empty SMS). */
  INVALID_INPUT: 'INVALID_INPUT',
} as const

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode]

export class LinewatchError extends Error {
  readonly code: ErrorCodeName
  readonly details: unknown

  constructor(code: ErrorCodeName, message: string, details?: unknown) {
    super(message)
    this.name = 'LinewatchError'
    this.code = code
    this.details = details
  }
}

/** Whether `err` is one of ours with one of these codes. */
export function hasCode(err: unknown, ...codes: ErrorCodeName[]): err is LinewatchError {
  return err instanceof LinewatchError && codes.includes(err.code)
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

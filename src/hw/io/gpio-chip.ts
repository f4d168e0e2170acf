/**
 * A GPIO character device chip, as small as GpiodIO needs it: lines
 * requested as outputs or as inputs with a bias. node-libgpiod gives the real
 * one (libgpiod-chip.ts); tests and the bench give a fake with the kernel's
 * rules (a line requested twice is refused, as EBUSY).
 */
export type Bias = 'pull-up' | 'pull-down' | 'disable' | 'as-is'

export interface GpioOutputLine {
  set(value: 0 | 1): void
  release(): void
}

export interface GpioInputLine {
  get(): 0 | 1
  release(): void
}

export interface GpioChip {
  readonly label: string
  readonly lineCount: number
  requestOutput(line: number, initial: 0 | 1, consumer: string): GpioOutputLine
  requestInput(line: number, bias: Bias, consumer: string): GpioInputLine
  close(): void
}

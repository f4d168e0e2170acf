/**
 * A GPIO character device chip, as small as GpiodIO needs it: lines
 * requested as outputs or as inputs with a bias, and, where the chip can,
 * edge events on inputs. node-libgpiod gives the real one (libgpiod-chip.ts);
 * tests and the bench give a fake with the kernel's rules (a line requested
 * twice is refused, as EBUSY).
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

/** Edge events on a set of input lines; the watch holds the lines (they are not requested otherwise meanwhile). */
export interface GpioWatch {
  /** Stops watching; resolves once the lines are free to be requested again. */
  close(): Promise<void>
}

export interface GpioWatchHandlers {
  /** A line's level after an edge, as the kernel reported it. */
  edge(line: number, level: 0 | 1): void
  /** The watch could not start or stopped by itself (told once); its lines are free again when this is called. */
  failed(err: Error): void
}

export interface GpioChip {
  readonly label: string
  readonly lineCount: number
  requestOutput(line: number, initial: 0 | 1, consumer: string): GpioOutputLine
  requestInput(line: number, bias: Bias, consumer: string): GpioInputLine
  close(): void
  /** Edge events where the chip has them (else GpiodIO polls); lines of one bias per watch. */
  watch?(lines: number[], bias: Bias, handlers: GpioWatchHandlers): GpioWatch
}

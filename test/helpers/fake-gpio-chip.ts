import type { Clock } from '../../src/core/clock.js'
import type { Bias, GpioChip, GpioInputLine, GpioOutputLine } from '../../src/hw/io/gpio-chip.js'

interface FakeLine {
  direction: 'in' | 'out'
  bias: Bias
  value: 0 | 1
}

/**
 * A GPIO chip with the kernel's rules: a line requested twice is refused
 * (EBUSY), a line past the chip's end too (EINVAL); an input reads what is
 * driven from outside, or its bias when nothing is.
 */
export class FakeGpioChip implements GpioChip {
  readonly label: string
  readonly lineCount: number
  readonly requested = new Map<number, FakeLine>()
  readonly driven = new Map<number, 0 | 1>()
  /** Every output set: [ms (clock time, or 0), line, value]. */
  readonly sets: [number, number, 0 | 1][] = []
  closed = false
  #failNext: Error | null = null
  readonly #clock: Clock | null

  constructor(opts: { label?: string; lineCount?: number; clock?: Clock } = {}) {
    this.label = opts.label ?? 'pinctrl-bcm2835'
    this.lineCount = opts.lineCount ?? 54
    this.#clock = opts.clock ?? null
  }

  #claim(line: number, l: FakeLine): void {
    if (this.closed) throw new Error('chip closed')
    if (!Number.isInteger(line) || line < 0 || line >= this.lineCount) throw Object.assign(new Error(`line ${line}: EINVAL`), { code: 'EINVAL' })
    if (this.requested.has(line)) throw Object.assign(new Error(`line ${line}: EBUSY (requested already)`), { code: 'EBUSY' })
    this.requested.set(line, l)
  }

  requestOutput(line: number, initial: 0 | 1): GpioOutputLine {
    const l: FakeLine = { direction: 'out', bias: 'as-is', value: initial }
    this.#claim(line, l)
    return {
      set: (v) => {
        if (this.requested.get(line) !== l) throw new Error(`line ${line}: released`)
        if (this.#failNext) {
          const e = this.#failNext
          this.#failNext = null
          throw e
        }
        l.value = v
        this.sets.push([this.#clock?.now() ?? 0, line, v])
      },
      release: () => {
        if (this.requested.get(line) === l) this.requested.delete(line)
      },
    }
  }

  requestInput(line: number, bias: Bias): GpioInputLine {
    const l: FakeLine = { direction: 'in', bias, value: 0 }
    this.#claim(line, l)
    return {
      get: () => {
        if (this.requested.get(line) !== l) throw new Error(`line ${line}: released`)
        return this.driven.get(line) ?? (bias === 'pull-up' ? 1 : 0)
      },
      release: () => {
        if (this.requested.get(line) === l) this.requested.delete(line)
      },
    }
  }

  /** Drive a line from outside (a button to ground = 0); null lets it float to its bias. */
  drive(line: number, level: 0 | 1 | null): void {
    if (level === null) this.driven.delete(line)
    else this.driven.set(line, level)
  }

  /** The level of an output line, or undefined when it is not an output. */
  level(line: number): 0 | 1 | undefined {
    const l = this.requested.get(line)
    return l?.direction === 'out' ? l.value : undefined
  }

  failNextSet(err: Error): void {
    this.#failNext = err
  }

  close(): void {
    this.closed = true
  }
}

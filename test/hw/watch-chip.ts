import type { Bias, GpioWatch, GpioWatchHandlers } from '../../src/hw/io/gpio-chip.js'
import { FakeGpioChip } from '../helpers/fake-gpio-chip.js'

interface Watch {
  lines: number[]
  bias: Bias
  handlers: GpioWatchHandlers
  levels: Map<number, 0 | 1>
}

/**
 * The fake chip with edge events, as gpiomon gives them on a real kernel: the watch holds its lines
 * (a request of one of them meanwhile is refused, EBUSY), reports each change of level once, and lets
 * the lines go only a moment after close() (a child process has to exit first).
 */
export class FakeWatchChip extends FakeGpioChip {
  readonly watches: Watch[] = []
  /** The next watch fails at once, as gpiomon does when it is not installed. */
  failNextWatch: Error | null = null

  watch(lines: number[], bias: Bias, handlers: GpioWatchHandlers): GpioWatch {
    for (const l of lines) if (this.requested.has(l)) throw Object.assign(new Error(`line ${l}: EBUSY (requested already)`), { code: 'EBUSY' })
    const w: Watch = { lines, bias, handlers, levels: new Map(lines.map((l) => [l, this.#read(l, bias)])) }
    if (this.failNextWatch) {
      const err = this.failNextWatch
      this.failNextWatch = null
      queueMicrotask(() => handlers.failed(err))
      return { close: async () => {} }
    }
    for (const l of lines) this.requested.set(l, { direction: 'in', bias, value: 0 })
    this.watches.push(w)
    return {
      close: () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            this.#drop(w)
            resolve()
          }),
        ),
    }
  }

  /** The watch's child dies (killed, crashed): its lines are free, and it says so once. */
  killWatch(i = 0, err = new Error('gpiomon stopped (SIGKILL)')): void {
    const w = this.watches[i]!
    this.#drop(w)
    w.handlers.failed(err)
  }

  override drive(line: number, level: 0 | 1 | null): void {
    super.drive(line, level)
    for (const w of this.watches) {
      if (!w.lines.includes(line)) continue
      const now = this.#read(line, w.bias)
      if (now === w.levels.get(line)) continue
      w.levels.set(line, now)
      w.handlers.edge(line, now)
    }
  }

  #read(line: number, bias: Bias): 0 | 1 {
    return this.driven.get(line) ?? (bias === 'pull-up' ? 1 : 0)
  }

  #drop(w: Watch): void {
    const i = this.watches.indexOf(w)
    if (i < 0) return
    this.watches.splice(i, 1)
    for (const l of w.lines) this.requested.delete(l)
  }
}

/** Let pending I/O callbacks and promise chains run (no timers involved). */
export async function flush(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r))
}

/** Poll until `check` returns true, or fail after `ms` of real time (for real processes and sockets). */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Move a FakeClock forward in steps, letting I/O run between steps, as real time would. */
export async function advance(clock: { advance(ms: number): void }, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done))
    await flush(10)
  }
  await flush()
}

/**
 * For code that waits on real I/O (a serial timeout) and then on a FakeClock timer: move the clock by
 * `step` whenever real time has let the I/O happen, until `check` holds (or `ms` of real time pass).
 * Whatever the machine's load, the fake timer is reached once the real wait is over.
 */
export async function waitAdvancing(clock: { advance(ms: number): void }, step: number, check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  await waitFor(() => {
    if (check()) return true
    clock.advance(step)
    return check()
  }, ms, what)
}

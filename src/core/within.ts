/**
 * Wait for a promise at most `ms` (real time: this bounds shutdown, which
 * must finish within the SIGTERM budget whatever the clock says). Resolves
 * true when it settled in time; its rejection is passed on.
 */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))
  try {
    return await Promise.race([work.then(() => true as const), late])
  } finally {
    clearTimeout(timer)
  }
}

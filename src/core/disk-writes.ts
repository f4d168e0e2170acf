/** Bytes the box has written to its state folder since start (files rewritten whole and the journal): the bench's bytes-per-hour figure. */
export const diskWrites = { bytes: 0, writes: 0 }

export function countWrite(bytes: number): void {
  diskWrites.bytes += bytes
  diskWrites.writes++
}

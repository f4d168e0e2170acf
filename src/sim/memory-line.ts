import { Duplex } from 'node:stream'

/** Two cross-wired streams: what one end writes, the other reads. */
export function memoryLine(): [Duplex, Duplex] {
  const ends: Duplex[] = []
  const make = (i: number) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        ends[1 - i]!.push(chunk)
        done()
      },
    })
  ends.push(make(0), make(1))
  return [ends[0]!, ends[1]!]
}


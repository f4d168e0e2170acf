import { closeSync, fdatasyncSync, fstatSync, openSync, readFileSync, renameSync, ftruncateSync, writeSync, fsyncSync } from 'node:fs'
import { dirname } from 'node:path'
import { countWrite } from './disk-writes.js'
import { errorMessage } from './errors.js'
import type { Logger } from './logger.js'

/** One part of the box that keeps its durable state in the journal. */
export interface JournalSection {
  /** The section's records from before the restart, oldest first; called once, at `section()`. */
  replay(records: unknown[]): void
  /** The records that rebuild the section's state now: written instead of its history when the journal is compacted. */
  live(): unknown[]
}

export interface JournalOptions {
  /** At most one fsync this often under load (the first change after a quiet spell is written at once). */
  batchMs?: number
  /** Compact when the file is this big and at least four times what its sections hold. */
  compactBytes?: number
}

interface Pending {
  line: string
  done: () => void
}

const fsyncFolder = (path: string) => {
  const fd = openSync(dirname(path), 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * An append-only file of JSON lines, one record per line, shared by the
 * parts that must not lose a word to a power cut (the outbox, the alerts).
 * Records appended in the same moment share one write and one fdatasync
 * (group commit), so an alert, its event and its outbox entry are on the
 * card together or not at all; under load there is at most one fsync per
 * `batchMs`. A power cut can tear only the last line: it is cut off at the
 * next start. When the history outgrows what it says, the file is rewritten
 * from the sections' live records (temp file, fsync, rename, fsync of the folder).
 *
 * Writes are synchronous on purpose: they are small, batched, and a box that
 * must not lose an alert has nothing better to do for that millisecond.
 */
export class Journal {
  readonly #file: string
  readonly #log: Logger
  readonly #batchMs: number
  readonly #compactBytes: number
  #open = false
  #loaded = new Map<string, unknown[]>()
  readonly #sections = new Map<string, JournalSection>()
  #pending: Pending[] = []
  #timer: NodeJS.Timeout | null = null
  #lastSync = -Infinity
  #bytes = 0
  #compactWanted = false
  #broken: string | null = null
  /** For the bench: fsyncs and bytes written since start. */
  fsyncs = 0
  bytesWritten = 0

  constructor(file: string, log: Logger, opts: JournalOptions = {}) {
    this.#file = file
    this.#log = log
    this.#batchMs = opts.batchMs ?? 100
    this.#compactBytes = opts.compactBytes ?? 256 * 1024
  }

  /** Read what is there (a torn last line is cut off) and open the file for appending. */
  open(): void {
    let text = ''
    try {
      text = readFileSync(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    let good = 0
    for (let at = 0; at < text.length; ) {
      const end = text.indexOf('\n', at)
      if (end < 0) break // no newline: the write was cut short
      try {
        const rec = JSON.parse(text.slice(at, end)) as { s?: unknown; r?: unknown }
        if (typeof rec.s !== 'string') throw new Error('no section')
        const list = this.#loaded.get(rec.s) ?? []
        list.push(rec.r)
        this.#loaded.set(rec.s, list)
      } catch {
        break
      }
      at = end + 1
      good = Buffer.byteLength(text.slice(0, at))
    }
    const created = text === ''
    // the file is opened for each batch, not held: a card the kernel makes read-only is not kept busy by us
    const fd = openSync(this.#file, 'a+', 0o600)
    try {
      const size = fstatSync(fd).size
      if (good < size) {
        this.#log.warn({ file: this.#file, cut: size - good }, 'journal: a torn last record (a power cut during a write) was cut off')
        ftruncateSync(fd, good)
        fdatasyncSync(fd)
      }
    } finally {
      closeSync(fd)
    }
    this.#bytes = good
    if (created) fsyncFolder(this.#file)
    this.#open = true
  }

  /** A part of the box that keeps its state here: it gets its records from before, and writes through the returned function. */
  section(name: string, section: JournalSection): (record: unknown) => Promise<void> {
    this.#sections.set(name, section)
    section.replay(this.#loaded.get(name) ?? [])
    this.#loaded.delete(name)
    return (record) => this.#append(name, record)
  }

  /**
   * Records for a section that has none here yet (state from a file of an older version): they
   * are its history from now on, and written with the next write. Returns whether they were taken.
   */
  adopt(name: string, records: unknown[]): boolean {
    if (this.#loaded.has(name) || this.#sections.has(name) || !records.length) return false
    this.#loaded.set(name, records)
    this.#compactWanted = true
    return true
  }

  /** Write what waits now (before a file it replaces is deleted). */
  flushNow(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#flush()
  }

  /** Ask for a rewrite from the live records at the next write (cheap to call often). */
  maybeCompact(liveBytes: number): void {
    if (this.#bytes > this.#compactBytes && this.#bytes > 4 * liveBytes) {
      this.#compactWanted = true
      this.#schedule()
    }
  }

  /** The file's size now. */
  get bytes(): number {
    return this.#bytes
  }

  /** Write what waits, now, and close the file. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (!this.#open) return
    this.#flush()
    this.#open = false
  }

  #append(section: string, record: unknown): Promise<void> {
    return new Promise<void>((done) => {
      this.#pending.push({ line: `${JSON.stringify({ s: section, r: record })}\n`, done })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#timer || !this.#open) return
    // in the same tick, so an alert and its outbox entry share the write; then no more than one fsync per batchMs
    const wait = Math.max(0, this.#lastSync + this.#batchMs - performance.now())
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#flush()
      // a card that refuses writes is tried again with the next record, not in a loop
      if (this.#pending.length || (this.#compactWanted && this.#broken === null)) this.#schedule()
    }, wait)
    // the box closes the journal when it stops; a timer must not keep a process alive by itself
    this.#timer.unref()
  }

  #flush(): void {
    if (!this.#open || (!this.#pending.length && !this.#compactWanted)) return
    const batch = this.#pending
    this.#pending = []
    try {
      if (this.#compactWanted) this.#compact()
      else {
        const text = batch.map((p) => p.line).join('')
        const fd = openSync(this.#file, 'a', 0o600)
        let wrote = 0
        try {
          wrote = writeSync(fd, text)
          fdatasyncSync(fd)
        } finally {
          closeSync(fd)
        }
        this.#bytes += wrote
        this.bytesWritten += wrote
        countWrite(wrote)
        this.fsyncs++
      }
      if (this.#broken) this.#log.info({ file: this.#file }, 'journal: writing again')
      this.#broken = null
    } catch (err) {
      // a full or read-only card: the box runs on from memory, and says so once (box/storage raises the alert)
      if (this.#broken === null) this.#log.error({ file: this.#file, err: errorMessage(err) }, 'journal: cannot write; kept in memory')
      this.#broken = errorMessage(err)
      // in memory the records are still known to their sections; the next compaction writes them
      this.#compactWanted = true
    } finally {
      this.#lastSync = performance.now()
      for (const p of batch) p.done()
    }
  }

  /** The history replaced by what the sections hold now (it already includes the batch in hand). */
  #compact(): void {
    const lines = [...this.#sections].flatMap(([name, s]) => s.live().map((r) => `${JSON.stringify({ s: name, r })}\n`))
    // sections not registered this run (none yet, or a part switched off) keep their records
    for (const [name, records] of this.#loaded) for (const r of records) lines.push(`${JSON.stringify({ s: name, r })}\n`)
    const text = lines.join('')
    const tmp = `${this.#file}.tmp`
    const fd = openSync(tmp, 'w', 0o600)
    try {
      writeSync(fd, text)
      fdatasyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.#file)
    fsyncFolder(this.#file)
    this.#bytes = Buffer.byteLength(text)
    this.bytesWritten += this.#bytes
    countWrite(this.#bytes)
    this.fsyncs += 2
    this.#compactWanted = false
  }
}
